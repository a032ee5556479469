from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "tend.customers"
    label = "customers"
