from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "tend.contracts"
    label = "contracts"

    def ready(self):
        from tend.contracts.models import Contract, ContractAttachment
        from tend.contracts.selectors import contract_timeline_entries
        from tend.core.timeline import register_timeline
        from tend.recyclebin.registry import BinKind, register
        from tend.web.tabs import CustomerTab, register_tab
        from tend.web.views.contracts import contracts_tab_context

        # Purged children first: attachments (15), then contracts (30), long before customers.
        register(BinKind("contract_attachment", ContractAttachment, purge_rank=15))
        register(BinKind("contract", Contract, purge_rank=30))
        register_timeline("contract", contract_timeline_entries)
        register_tab(
            CustomerTab(
                "contracts",
                _("contracts"),
                "web/contracts/_tab.html",
                contracts_tab_context,
                order=30,
            )
        )
