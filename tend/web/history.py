"""Turning audit entries into rows a person can read: field names become the models' verbose
names, ids of related records become their names, stored values their display form."""

import datetime
from dataclasses import dataclass, field

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from tend.audit.models import AuditAction
from tend.core.validators import display_phone

EMPTY = "—"
PHONE_FIELDS = {"phone", "mobile"}


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class HistoryRow:
    at: datetime.datetime
    actor: str
    action: str
    action_code: str
    object_kind: str
    object_label: str
    changes: list[Change] = field(default_factory=list)
    note: str = ""


SYSTEM_ACTORS = {
    "system": gettext_lazy("System"),
    "demo": gettext_lazy("Demo data"),
    "cli": gettext_lazy("Command line"),
    "import": gettext_lazy("Import"),
}


def _actor_label(label: str) -> str:
    """Who acted when no user did: known system actors in the reader's language."""
    return str(SYSTEM_ACTORS.get(label, label or EMPTY))


def _model_for(object_type: str):
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def _field(model, name):
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _related_names(entries, models_by_type) -> dict:
    """{related model: {pk: display name}} for every foreign key value in the entries, one
    query per related model."""
    wanted: dict = {}
    for entry in entries:
        model = models_by_type.get(entry.object_type)
        for name, values in (entry.changes or {}).items():
            model_field = _field(model, name)
            if model_field is None or not model_field.many_to_one:
                continue
            ids = wanted.setdefault(model_field.related_model, set())
            ids.update(value for value in values if isinstance(value, int))
    names = {}
    for related_model, ids in wanted.items():
        if not ids:
            continue
        names[related_model] = {
            obj.pk: getattr(obj, "display_name", None) or str(obj)
            for obj in related_model._base_manager.filter(pk__in=ids)
        }
    return names


def _format_datetime(value: datetime.datetime) -> str:
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "Y-m-d H:i")


def _display(value, model_field, related_names, custom_labels) -> str:
    if value in (None, "", [], {}):
        return EMPTY
    if model_field is not None and model_field.many_to_one:
        names = related_names.get(model_field.related_model, {})
        return names.get(value, f"#{value}")
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if model_field is not None and model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(
            f"{custom_labels.get(key, key)}: {_display(item, None, {}, {})}"
            for key, item in value.items()
        )
    if isinstance(value, str):
        if model_field is not None and model_field.name in PHONE_FIELDS:
            return display_phone(value)
        if isinstance(model_field, models.DateTimeField):
            parsed = parse_datetime(value)
            if parsed is not None:
                return _format_datetime(parsed)
        if isinstance(model_field, models.DateField):
            parsed = parse_date(value)
            if parsed is not None:
                return parsed.isoformat()
    return str(value)


def history_rows(entries, custom_field_definitions=()) -> list[HistoryRow]:
    entries = list(entries)
    models_by_type = {entry.object_type: _model_for(entry.object_type) for entry in entries}
    related_names = _related_names(entries, models_by_type)
    language = get_language() or "zh-hans"
    custom_labels = {d.key: d.label(language) for d in custom_field_definitions}
    rows = []
    for entry in entries:
        model = models_by_type.get(entry.object_type)
        row = HistoryRow(
            at=entry.at,
            actor=entry.actor.display_name if entry.actor else _actor_label(entry.actor_label),
            action=entry.get_action_display(),
            action_code=entry.action,
            object_kind=capfirst(model._meta.verbose_name) if model else entry.object_type,
            object_label=entry.object_label,
        )
        if entry.action == AuditAction.DUPLICATE_OVERRIDE:
            for name, values in (entry.changes or {}).items():
                model_field = _field(model, name)
                row.note = _("Saved although customer #%(id)s has the same %(field)s.") % {
                    "id": values[0] if values else "?",
                    "field": model_field.verbose_name if model_field else name,
                }
        else:
            for name, values in (entry.changes or {}).items():
                model_field = _field(model, name)
                old, new = [*values, None, None][:2]
                row.changes.append(
                    Change(
                        label=capfirst(model_field.verbose_name) if model_field else name,
                        old=_display(old, model_field, related_names, custom_labels),
                        new=_display(new, model_field, related_names, custom_labels),
                    )
                )
        rows.append(row)
    return rows
