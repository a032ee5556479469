from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "tend.audit"
    label = "audit"
