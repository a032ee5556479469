from tend.audit.models import AuditEntry
from tend.core.pagination import Page, keyset_page

HISTORY_PAGE = 20


def customer_history(
    customer_id: int, cursor: str | None = None, limit: int = HISTORY_PAGE
) -> Page:
    """Changes to a customer and to its contacts, activities and tasks, newest first."""
    entries = AuditEntry.objects.filter(customer_id=customer_id).select_related("actor")
    return keyset_page(entries, "-at", cursor, limit)


def object_history(object_type: str, object_id: int):
    return AuditEntry.objects.filter(object_type=object_type, object_id=object_id).order_by("at")
