from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "tend.leads"
    label = "leads"
