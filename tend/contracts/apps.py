from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "tend.contracts"
    label = "contracts"
