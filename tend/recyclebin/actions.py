"""Restoring from and purging the recycle bin."""

import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tend.accounts.models import User
from tend.audit.actions import object_type_of, record_change
from tend.audit.models import AuditAction, AuditEntry
from tend.core.errors import ValidationFailed
from tend.customers.models import Customer
from tend.recyclebin.registry import bin_kind_of, bin_kinds, customer_children
from tend.recyclebin.selectors import retention_cutoff


def soft_delete(queryset, *, actor: User, batch: uuid.UUID, at=None) -> int:
    """Move the live records of `queryset` to the recycle bin under `batch`."""
    return queryset.filter(deleted_at__isnull=True).update(
        deleted_at=at or timezone.now(), deleted_by=actor, deletion_batch=batch
    )


def delete_with_customer(*, actor: User, customer_id: int, batch: uuid.UUID, at) -> int:
    """Move every live record of a customer, of every registered kind, into `batch`."""
    return sum(
        soft_delete(
            kind.model.objects.filter(**{f"{kind.customer_field}_id": customer_id}),
            actor=actor,
            batch=batch,
            at=at,
        )
        for kind in customer_children()
    )


def delete_record(*, actor: User, record, then=None) -> uuid.UUID:
    """Move one record to the recycle bin on its own, with its audit entry; `then` runs after
    (e.g. to recompute what the record fed). Call inside the caller's transaction."""
    batch = uuid.uuid4()
    soft_delete(type(record).objects.filter(pk=record.pk), actor=actor, batch=batch)
    if then is not None:
        then()
    record_change(
        actor=actor,
        action=AuditAction.DELETE,
        instance=record,
        customer_id=bin_kind_of(record).customer_id_of(record),
    )
    return batch


def refresh_after_restore(customer_id: int) -> None:
    for kind in bin_kinds():
        if kind.after_restore is not None:
            kind.after_restore(customer_id)


@transaction.atomic
def restore(*, actor: User, record) -> int:
    """Bring back a deleted record and everything deleted together with it. Returns how many
    records came back."""
    if record.deletion_batch is None:
        # Without this, the batch filter below (deletion_batch IS NULL) would match every live row.
        raise ValidationFailed(_("This record is not in the recycle bin."))
    customer_id = bin_kind_of(record).customer_id_of(record)
    if not isinstance(record, Customer) and customer_id is not None:
        parent = Customer.objects.filter(pk=customer_id).values("deleted_at").first()
        if parent and parent["deleted_at"] is not None:
            raise ValidationFailed(_("Restore its customer first."))
    batch = record.deletion_batch
    restored = 0
    try:
        with transaction.atomic():
            for kind in bin_kinds():
                restored += kind.model.objects.filter(deletion_batch=batch).update(
                    deleted_at=None, deleted_by=None, deletion_batch=None
                )
    except IntegrityError as exc:
        # A live record took what this one held meanwhile (a contract number, a renewal).
        raise ValidationFailed(
            _(
                "This record cannot come back: a live record now holds its number or its "
                "place. Change or delete that record first."
            )
        ) from exc
    if customer_id is not None:
        refresh_after_restore(customer_id)
    record_change(
        actor=actor,
        action=AuditAction.RESTORE,
        instance=record,
        customer_id=customer_id,
        note=f"{restored} records restored",
    )
    return restored


def purge_expired(*, cutoff=None) -> int:
    """Delete for good what has been in the recycle bin longer than the retention period.
    Children go before parents; each kind in its own transaction keeps locks short."""
    cutoff = cutoff or retention_cutoff()
    purged = 0
    for kind in sorted(bin_kinds(), key=lambda kind: kind.purge_rank):
        model = kind.model
        with transaction.atomic():
            expired = model.objects.filter(deleted_at__lt=cutoff)
            entries = [
                AuditEntry(
                    actor_label="system",
                    action=AuditAction.PURGE,
                    object_type=object_type_of(record),
                    object_id=record.pk,
                    object_label=str(record)[:255],
                    customer_id=kind.customer_id_of(record),
                )
                for record in expired.iterator()
            ]
            AuditEntry.objects.bulk_create(entries, batch_size=500)
            _total, deleted = expired.delete()
            # Count the records themselves, not what cascades with them (e.g. name search rows).
            purged += deleted.get(model._meta.label, 0)
    return purged
