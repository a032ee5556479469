from django.apps import AppConfig


class RecycleBinConfig(AppConfig):
    name = "tend.recyclebin"
    label = "recyclebin"
