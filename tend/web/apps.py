from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "tend.web"
    label = "tend_web"
