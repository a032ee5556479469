from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tend.core"
    label = "core"

    def ready(self):
        from tend.core import lookups  # noqa: F401 (registers the in_list lookup)
