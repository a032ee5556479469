from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatusConfig(AppConfig):
    name = "tend.status"
    label = "status"

    def ready(self):
        from django.db.models.signals import post_migrate

        from tend.status.model_file import install_after_migrate
        from tend.web.tabs import CustomerTab, register_tab
        from tend.web.views.status import customer_status_tab

        # A database without a status model gets the default one (after every migrate and
        # every test flush).
        post_migrate.connect(install_after_migrate, sender=self)
        register_tab(
            CustomerTab(
                key="status",
                label=_("status"),
                template="web/status/_customer_tab.html",
                context=customer_status_tab,
                order=5,
            )
        )
