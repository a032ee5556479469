from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tend.core"
    label = "core"

    def ready(self):
        from django.db.models.signals import post_migrate

        from tend.core import lookups  # noqa: F401 (registers the in_list lookup)
        from tend.core.summaries import install_after_migrate

        # Once per migrate (the signal comes once per app; this one is sent for core).
        post_migrate.connect(install_after_migrate, sender=self)
