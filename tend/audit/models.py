from django.db import models
from django.utils.translation import gettext_lazy as _

from tend.core.models import sort_index


class AuditAction(models.TextChoices):
    CREATE = "create", _("created")
    UPDATE = "update", _("updated")
    DELETE = "delete", _("deleted")
    RESTORE = "restore", _("restored")
    PURGE = "purge", _("purged")
    DUPLICATE_OVERRIDE = "duplicate_override", _("saved despite a duplicate")
    IMPORT = "import", _("imported")


class AuditEntry(models.Model):
    """One change to one record. Append-only: written in the same transaction as the change,
    never updated or deleted (purging a record keeps its history)."""

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who acted when no user did: "cli", "demo", "system", later a rule's key.
    actor_label = models.CharField(max_length=100, blank=True)
    action = models.CharField(max_length=32, choices=AuditAction.choices)
    object_type = models.CharField(max_length=64)
    object_id = models.BigIntegerField()
    object_label = models.CharField(max_length=255, blank=True)
    # The customer the record belongs to, so a customer's page shows the history of its children.
    customer_id = models.BigIntegerField(null=True, blank=True)
    changes = models.JSONField(default=dict, blank=True)  # {field: [old, new]}
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [
            models.Index(fields=["object_type", "object_id", "at"]),
            sort_index("customer_id", sort="-at", name="audit_customer_history"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"
