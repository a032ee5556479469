"""Checking custom-field values against the administrator's definitions."""

import datetime
import decimal

from django.utils.translation import gettext as _

from tend.core.errors import ValidationFailed
from tend.customers.models import CustomFieldDefinition, CustomFieldType

NUMBER_LIMIT = decimal.Decimal(10) ** 15


def _clean_value(definition: CustomFieldDefinition, value):
    if value in (None, ""):
        return None
    kind = definition.field_type
    if kind == CustomFieldType.TEXT:
        text = str(value).strip()
        if len(text) > definition.max_length:
            raise ValueError(_("At most %(limit)s characters.") % {"limit": definition.max_length})
        return text
    if kind == CustomFieldType.NUMBER:
        if isinstance(value, bool):
            raise ValueError(_("Enter a number."))
        try:
            number = decimal.Decimal(str(value))
        except decimal.InvalidOperation as exc:
            raise ValueError(_("Enter a number.")) from exc
        if not number.is_finite():
            raise ValueError(_("Enter a number."))
        # Beyond this a number is no business quantity, and huge exponents cost seconds to expand.
        if abs(number) >= NUMBER_LIMIT:
            raise ValueError(_("Enter a number smaller than 10¹⁵."))
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == CustomFieldType.DATE:
        try:
            return datetime.date.fromisoformat(str(value)).isoformat()
        except ValueError as exc:
            raise ValueError(_("Enter a date as YYYY-MM-DD.")) from exc
    if kind == CustomFieldType.CHOICE:
        if value not in definition.choices:
            raise ValueError(
                _("Choose one of: %(choices)s.")
                % {"choices": ", ".join(map(str, definition.choices))}
            )
        return value
    if kind == CustomFieldType.BOOLEAN:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"true", "1", "yes", "是", "on"}:
            return True
        if text in {"false", "0", "no", "否", "off"}:
            return False
        raise ValueError(_("Enter yes or no."))
    raise ValueError(_("Unknown field type."))


def clean_custom_fields(values: dict, *, current: dict | None = None) -> dict:
    """Validate given custom-field values (merged over the current ones) and return the full
    new mapping. Unknown keys and missing required values are refused."""
    definitions = {d.key: d for d in CustomFieldDefinition.objects.all()}
    errors: dict[str, list[str]] = {}
    merged = dict(current or {})
    for key, value in values.items():
        definition = definitions.get(key)
        if definition is None:
            errors[f"custom_fields.{key}"] = [_("Unknown custom field.")]
            continue
        try:
            cleaned = _clean_value(definition, value)
        except ValueError as exc:
            errors[f"custom_fields.{key}"] = [str(exc)]
            continue
        if cleaned is None:
            merged.pop(key, None)
        else:
            merged[key] = cleaned
    for key, definition in definitions.items():
        if (
            definition.required
            and merged.get(key) in (None, "")
            and f"custom_fields.{key}" not in errors
        ):
            errors[f"custom_fields.{key}"] = [_("This field is required.")]
    if errors:
        raise ValidationFailed(field_errors=errors)
    return merged
