from tend.audit.models import AuditEntry


def customer_history(customer_id: int, limit: int = 100):
    """Changes to a customer and to its contacts, activities and tasks, newest first."""
    return (
        AuditEntry.objects.filter(customer_id=customer_id)
        .select_related("actor")
        .order_by("-at", "-id")[:limit]
    )


def object_history(object_type: str, object_id: int):
    return AuditEntry.objects.filter(object_type=object_type, object_id=object_id).order_by("at")
