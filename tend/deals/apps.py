from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DealsConfig(AppConfig):
    name = "tend.deals"
    label = "deals"

    def ready(self):
        from tend.core.summaries import register as register_summary
        from tend.core.timeline import register_timeline
        from tend.deals.models import Deal
        from tend.deals.selectors import deal_timeline_entries
        from tend.deals.summaries import DEAL_STAGE_TOTALS
        from tend.recyclebin.registry import BinKind, register
        from tend.web.tabs import CustomerTab, register_tab
        from tend.web.views.deals import customer_deals_tab

        register(BinKind("deal", Deal, purge_rank=20))
        register_summary(DEAL_STAGE_TOTALS)
        register_timeline("deal", deal_timeline_entries)
        register_tab(
            CustomerTab(
                key="deals",
                label=_("deals"),
                template="web/deals/_customer_tab.html",
                context=customer_deals_tab,
                order=20,
            )
        )
