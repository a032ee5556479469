from django.apps import AppConfig


class DealsConfig(AppConfig):
    name = "tend.deals"
    label = "deals"
