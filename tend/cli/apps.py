from django.apps import AppConfig


class CliConfig(AppConfig):
    name = "tend.cli"
    label = "tend_cli"
