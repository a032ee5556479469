"""Validating input at the domain boundary. Every door hands actions a plain mapping; the
action checks it with a Django form class (so the web, API, CLI and import share one set of
rules and one set of translated messages) and refuses any key it does not know."""

from collections.abc import Iterable, Mapping

from django import forms
from django.utils.translation import gettext as _

from tend.core.errors import ValidationFailed


def check_known_fields(data: Mapping, allowed: Iterable[str]) -> None:
    allowed = set(allowed)
    unknown = [key for key in data if key not in allowed]
    if unknown:
        raise ValidationFailed(
            field_errors={
                key: [_("This field is unknown or cannot be set here.")] for key in unknown
            }
        )


def clean_input(
    form_class: type[forms.Form],
    data: Mapping,
    *,
    current: Mapping | None = None,
) -> dict:
    """Validate `data` (merged over `current` for partial updates) and return cleaned values
    of the keys in `data` — or, with no `current`, of every field."""
    check_known_fields(data, form_class.base_fields)
    merged = {**(current or {}), **data}
    form = form_class(data=merged)
    if not form.is_valid():
        raise ValidationFailed(
            field_errors={field: list(errors) for field, errors in form.errors.items()}
        )
    if current is None:
        return form.cleaned_data
    return {key: form.cleaned_data[key] for key in data}


def clean_reason(reason: str | None, limit: int, field: str = "reason") -> str:
    """A free-text reason given with a move (a deal's stage, a customer's state): trimmed,
    and refused past `limit` characters."""
    reason = (reason or "").strip()
    if len(reason) > limit:
        raise ValidationFailed(
            field_errors={
                field: [_("Ensure this value has at most %(limit)s characters.") % {"limit": limit}]
            }
        )
    return reason
