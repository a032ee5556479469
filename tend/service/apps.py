from django.apps import AppConfig


class ServiceConfig(AppConfig):
    name = "tend.service"
    label = "service"
