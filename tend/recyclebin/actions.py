"""Restoring from and purging the recycle bin."""

from django.db import transaction
from django.utils.translation import gettext as _

from tend.accounts.models import User
from tend.activities.actions import refresh_contact_time_nodes
from tend.activities.models import Activity, Task
from tend.audit.actions import object_type_of, record_change
from tend.audit.models import AuditAction, AuditEntry
from tend.core.errors import ValidationFailed
from tend.customers.models import Contact, Customer
from tend.recyclebin.selectors import retention_cutoff

MODELS = (Customer, Contact, Activity, Task)


@transaction.atomic
def restore(*, actor: User, record) -> int:
    """Bring back a deleted record and everything deleted together with it. Returns how many
    records came back."""
    if record.deletion_batch is None:
        # Without this, the batch filter below (deletion_batch IS NULL) would match every live row.
        raise ValidationFailed(_("This record is not in the recycle bin."))
    customer_id = record.pk if isinstance(record, Customer) else record.customer_id
    if not isinstance(record, Customer) and customer_id is not None:
        parent = Customer.objects.filter(pk=customer_id).values("deleted_at").first()
        if parent and parent["deleted_at"] is not None:
            raise ValidationFailed(_("Restore its customer first."))
    batch = record.deletion_batch
    restored = 0
    for model in MODELS:
        restored += model.objects.filter(deletion_batch=batch).update(
            deleted_at=None, deleted_by=None, deletion_batch=None
        )
    if customer_id is not None:
        refresh_contact_time_nodes(customer_id)
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
    Children go before parents; each model in its own transaction keeps locks short."""
    cutoff = cutoff or retention_cutoff()
    purged = 0
    for model in (Activity, Task, Contact, Customer):
        with transaction.atomic():
            expired = model.objects.filter(deleted_at__lt=cutoff)
            entries = [
                AuditEntry(
                    actor_label="system",
                    action=AuditAction.PURGE,
                    object_type=object_type_of(record),
                    object_id=record.pk,
                    object_label=str(record)[:255],
                    customer_id=record.pk if model is Customer else record.customer_id,
                )
                for record in expired.iterator()
            ]
            AuditEntry.objects.bulk_create(entries, batch_size=500)
            _total, deleted = expired.delete()
            # Count the records themselves, not what cascades with them (e.g. name search rows).
            purged += deleted.get(model._meta.label, 0)
    return purged
