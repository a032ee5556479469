"""Small helpers for the domain tests: row counts (to prove nothing was written) and audit
lookups."""

from tend.accounts.models import ApiToken, Team, User
from tend.activities.models import Activity, Task
from tend.audit.models import AuditEntry
from tend.customers.models import Contact, Customer, CustomFieldDefinition, Tag

COUNTED = {
    "customers": Customer,
    "contacts": Contact,
    "activities": Activity,
    "tasks": Task,
    "tags": Tag,
    "custom_fields": CustomFieldDefinition,
    "audit": AuditEntry,
    "users": User,
    "teams": Team,
    "tokens": ApiToken,
}


def row_counts() -> dict[str, int]:
    """How many rows each domain table holds, deleted rows included."""
    return {name: model.objects.count() for name, model in COUNTED.items()}


def audit_for(instance, action=None):
    """Audit entries about one record, oldest first."""
    entries = AuditEntry.objects.filter(
        object_type=instance._meta.label_lower, object_id=instance.pk
    )
    if action:
        entries = entries.filter(action=action)
    return list(entries.order_by("at", "id"))


def last_audit(instance):
    entries = audit_for(instance)
    return entries[-1] if entries else None
