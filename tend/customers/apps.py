from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "tend.customers"
    label = "customers"

    def ready(self):
        from tend.customers.models import Contact, Customer
        from tend.customers.selectors import detail_scope
        from tend.recyclebin.registry import BinKind, register

        # Not a customer locked for the reader (跟进中): restoring it is acting on it.
        register(
            BinKind("customer", Customer, customer_field=None, purge_rank=100, scope=detail_scope)
        )
        register(BinKind("contact", Contact, purge_rank=40))
