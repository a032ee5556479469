from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "tend.leads"
    label = "leads"

    def ready(self):
        from tend.core.timeline import register_timeline
        from tend.leads.models import Lead
        from tend.leads.selectors import lead_scope, lead_timeline_entries
        from tend.recyclebin.registry import BinKind, register

        # A lead belongs to no customer: its own scope decides who sees it in the bin.
        register(BinKind("lead", Lead, customer_field=None, purge_rank=30, scope=lead_scope))
        register_timeline("lead", lead_timeline_entries)
