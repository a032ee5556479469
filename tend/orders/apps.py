from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "tend.orders"
    label = "orders"
