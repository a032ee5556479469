"""What a user's recycle bin holds: records deleted within the retention period whose
customer they may see. A record deleted with its customer is listed under that customer."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from tend.accounts.models import User
from tend.activities.models import Activity, Task
from tend.core.errors import NotFound
from tend.core.ids import get_or_not_found
from tend.customers.models import Contact, Customer
from tend.customers.selectors import customer_scope

KINDS = {"customer": Customer, "contact": Contact, "activity": Activity, "task": Task}


@dataclass
class BinItem:
    kind: str
    record: object
    deleted_at: datetime
    purge_on: datetime
    children: int = 0


def retention_cutoff() -> datetime:
    return timezone.now() - timedelta(days=settings.RECYCLE_BIN_RETENTION_DAYS)


def _scoped(user: User, model):
    if model is Customer:
        return Customer.objects.filter(customer_scope(user))
    scope = Q(customer__in=Customer.objects.filter(customer_scope(user)))
    if model is Task:
        # As for live tasks: one about a customer follows the customer's visibility.
        scope |= Q(customer__isnull=True) & (Q(assignee_id=user.pk) | Q(created_by_id=user.pk))
    return model.objects.filter(scope)


def recycle_bin(user: User, limit: int = 200) -> list[BinItem]:
    cutoff = retention_cutoff()
    items: list[BinItem] = []
    retention = timedelta(days=settings.RECYCLE_BIN_RETENTION_DAYS)
    for kind, model in KINDS.items():
        deleted = _scoped(user, model).filter(deleted_at__gte=cutoff)
        if model is not Customer:
            # Only records deleted on their own; the rest come back with their customer.
            deleted = deleted.exclude(
                customer__deletion_batch=F("deletion_batch"), customer__deleted_at__isnull=False
            )
        for record in deleted.order_by("-deleted_at")[:limit]:
            items.append(
                BinItem(
                    kind=kind,
                    record=record,
                    deleted_at=record.deleted_at,
                    purge_on=record.deleted_at + retention,
                )
            )
    items.sort(key=lambda item: item.deleted_at, reverse=True)
    return items[:limit]


def access_deleted(user: User, kind: str, record_id) -> object:
    model = KINDS.get(kind)
    if model is None:
        raise NotFound()
    return get_or_not_found(
        _scoped(user, model),
        record_id,
        deleted_at__isnull=False,
        deleted_at__gte=retention_cutoff(),
    )
