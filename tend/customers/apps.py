from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "tend.customers"
    label = "customers"

    def ready(self):
        from tend.customers.models import Contact, Customer
        from tend.customers.selectors import customer_scope
        from tend.recyclebin.registry import BinKind, register

        register(
            BinKind("customer", Customer, customer_field=None, purge_rank=100, scope=customer_scope)
        )
        register(BinKind("contact", Contact, purge_rank=40))
