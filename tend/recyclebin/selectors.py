"""What a user's recycle bin holds: records deleted within the retention period whose
customer they may see. A record deleted with its customer is listed under that customer."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from tend.accounts.models import User
from tend.core.errors import NotFound
from tend.core.ids import get_or_not_found
from tend.customers.models import Customer
from tend.customers.selectors import detail_scope
from tend.recyclebin.registry import BinKind, bin_kind, bin_kinds


@dataclass
class BinItem:
    kind: BinKind
    record: object
    deleted_at: datetime
    purge_on: datetime
    children: int = 0


def retention_cutoff() -> datetime:
    return timezone.now() - timedelta(days=settings.RECYCLE_BIN_RETENTION_DAYS)


def _scoped(user: User, kind: BinKind):
    if kind.scope is not None:
        scope = kind.scope(user)
    else:
        # A record of a customer locked for the user (跟进中) is one of its details.
        scope = Q(**{f"{kind.customer_field}__in": Customer.objects.filter(detail_scope(user))})
    return kind.model.objects.filter(scope)


def recycle_bin(user: User, limit: int = 200) -> list[BinItem]:
    cutoff = retention_cutoff()
    items: list[BinItem] = []
    retention = timedelta(days=settings.RECYCLE_BIN_RETENTION_DAYS)
    for kind in bin_kinds():
        deleted = _scoped(user, kind).filter(deleted_at__gte=cutoff)
        if kind.customer_field:
            # Only records deleted on their own; the rest come back with their customer.
            deleted = deleted.exclude(
                **{
                    f"{kind.customer_field}__deletion_batch": F("deletion_batch"),
                    f"{kind.customer_field}__deleted_at__isnull": False,
                }
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


def access_deleted(user: User, kind_key: str, record_id) -> object:
    kind = bin_kind(kind_key)
    if kind is None:
        raise NotFound()
    return get_or_not_found(
        _scoped(user, kind),
        record_id,
        deleted_at__isnull=False,
        deleted_at__gte=retention_cutoff(),
    )
