from django.apps import AppConfig


class StatusConfig(AppConfig):
    name = "tend.status"
    label = "status"

    def ready(self):
        from django.db.models.signals import post_migrate

        from tend.status.model_file import install_after_migrate

        # A database without a status model gets the default one (after every migrate and
        # every test flush).
        post_migrate.connect(install_after_migrate, sender=self)
