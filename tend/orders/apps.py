from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "tend.orders"
    label = "orders"

    def ready(self):
        from tend.core.timeline import register_timeline
        from tend.orders.actions import refresh_order_ledger
        from tend.orders.models import Order, Payment
        from tend.orders.selectors import order_timeline_entries, payment_timeline_entries
        from tend.recyclebin.registry import BinKind, register
        from tend.web.tabs import CustomerTab, register_tab
        from tend.web.views.orders import orders_tab_context

        # Allocations have no bin of their own: purging an order or a payment (25) deletes
        # them with it, before contracts (30) and customers (100). Every restore of a
        # customer's records runs every kind's after_restore, so one hook serves both kinds.
        register(BinKind("order", Order, purge_rank=25, after_restore=refresh_order_ledger))
        register(BinKind("payment", Payment, purge_rank=25))
        register_timeline("order", order_timeline_entries)
        register_timeline("payment", payment_timeline_entries)
        register_tab(
            CustomerTab("orders", _("orders"), "web/orders/_tab.html", orders_tab_context, order=40)
        )
