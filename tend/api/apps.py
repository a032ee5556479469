from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "tend.api"
    label = "tend_api"
