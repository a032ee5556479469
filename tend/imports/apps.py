from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "tend.imports"
    label = "imports"
