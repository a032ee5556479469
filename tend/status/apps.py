from django.apps import AppConfig


class StatusConfig(AppConfig):
    name = "tend.status"
    label = "status"
