"""Writing audit entries. Every action that changes a record calls `record_change` inside
its own transaction, so a change and its history commit or roll back together."""

import datetime
import decimal
import uuid
from collections.abc import Iterable

from django.db import models

from tend.audit.models import AuditAction, AuditEntry


def _plain(value):
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (list, tuple, set)):
        return [_plain(item) for item in value]
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict:
    """The current values of `fields`, as JSON-ready data (foreign keys as ids)."""
    values = {}
    for name in fields:
        field = instance._meta.get_field(name)
        attribute = field.attname if field.is_relation else name
        values[name] = _plain(getattr(instance, attribute))
    return values


EMPTY = (None, "", [], {})


def diff(before: dict, after: dict) -> dict:
    """{field: [old, new]} for every field that changed; on create (no `before`), the fields
    that were given a value."""
    return {
        name: [before.get(name), after[name]]
        for name in after
        if before.get(name) != after[name] and (name in before or after[name] not in EMPTY)
    }


def object_type_of(instance: models.Model) -> str:
    return instance._meta.label_lower


def record_change(
    *,
    actor,
    action: str,
    instance: models.Model,
    changes: dict | None = None,
    customer_id: int | None = None,
    note: str = "",
    actor_label: str = "",
) -> AuditEntry:
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        actor=user,
        actor_label=actor_label or ("" if user else "system"),
        action=action,
        object_type=object_type_of(instance),
        object_id=instance.pk,
        object_label=str(instance)[:255],
        customer_id=customer_id,
        changes=changes or {},
        note=note[:500],
    )


def _keeps_updated_at(instance: models.Model) -> bool:
    return any(field.name == "updated_at" for field in instance._meta.concrete_fields)


def save_with_audit(
    actor,
    instance: models.Model,
    fields: Iterable[str],
    values: dict,
    *,
    also_save: Iterable[str] = (),
    customer_id: int | None = None,
    note: str = "",
    actor_label: str = "",
) -> dict:
    """Set `values` on `instance` and save exactly those fields (with `also_save`, and
    updated_at when the model keeps one), then record one UPDATE entry of what changed among
    the audited `fields`. Nothing is recorded when nothing changed, unless a `note` says why
    the update happened. Returns the changes, {field: [old, new]}.

    Call it inside the action's transaction, after every check: a refused change must not
    have touched the instance."""
    fields = list(fields)
    before = snapshot(instance, fields)
    for name, value in values.items():
        setattr(instance, name, value)
    update_fields = [*values, *(name for name in also_save if name not in values)]
    if _keeps_updated_at(instance):
        update_fields.append("updated_at")
    instance.save(update_fields=update_fields)
    changes = diff(before, snapshot(instance, fields))
    if changes or note:
        record_change(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=instance,
            customer_id=customer_id,
            changes=changes,
            note=note,
            actor_label=actor_label,
        )
    return changes


def record_many(entries: list[AuditEntry]) -> None:
    AuditEntry.objects.bulk_create(entries, batch_size=500)


__all__ = ["AuditAction", "diff", "record_change", "record_many", "save_with_audit", "snapshot"]
