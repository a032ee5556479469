from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "tend.activities"
    label = "activities"
