"""Turning a row's cells into checked values with the same rules as the forms.

A form per row costs about a hundred microseconds; a million rows would take minutes. So the
rules are read once from the domain's form class — required, maximum length, choices, the
field's own cleaning (phone, email, credit code) and the form's clean_<field> methods — and
applied per cell by plain functions. The messages are the forms' own."""

import datetime
import decimal
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from tend.core.validators import check_plausible_year

TRUE_WORDS = {"1", "true", "yes", "y", "是", "有效", "对", "√", "✓", "x"}
FALSE_WORDS = {"0", "false", "no", "n", "否", "无效", "不", ""}


@dataclass
class ImportField:
    name: str
    label: Any
    aliases: tuple[str, ...] = ()
    required: bool = False
    convert: Callable[[Any], Any] | None = None
    default: Any = ""

    def headers(self) -> set[str]:
        """Header texts this field is recognised by (compared normalised)."""
        return {normalise_header(text) for text in (self.name, str(self.label), *self.aliases)}


def normalise_header(text) -> str:
    return re.sub(r"[\s_\-·:：*（）()]+", "", str(text or "")).lower()


# -- cell parsers ------------------------------------------------------------------------------

DATE_PATTERNS = [
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]
AMBIGUOUS_DATE = re.compile(r"^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}$")
TIME_PART = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def parse_date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return check_plausible_year(value.date())
    if isinstance(value, datetime.date):
        return check_plausible_year(value)
    text = str(value).strip()
    for pattern in DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                day = datetime.date(*(int(part) for part in match.groups()))
            except ValueError:
                break
            return check_plausible_year(day)
    if AMBIGUOUS_DATE.match(text):
        raise ValidationError(
            _("“%(value)s” is ambiguous (day and month could be swapped): write it as YYYY-MM-DD.")
            % {"value": text},
            code="ambiguous_date",
        )
    raise ValidationError(
        _("“%(value)s” is not a date: write it as YYYY-MM-DD.") % {"value": text},
        code="invalid_date",
    )


def parse_datetime(value) -> datetime.datetime:
    """A date and time in the server's zone (Asia/Shanghai by default) unless it says its
    offset; a date alone means midnight."""
    if isinstance(value, datetime.datetime):
        moment = value
    else:
        text = str(value).strip().replace("T", " ")
        date_text, _space, time_text = text.partition(" ")
        if not time_text:
            moment = datetime.datetime.combine(parse_date(date_text), datetime.time())
        else:
            try:
                moment = datetime.datetime.fromisoformat(text)
            except ValueError:
                day = parse_date(date_text)
                match = TIME_PART.match(time_text.strip())
                if not match:
                    raise ValidationError(
                        _("“%(value)s” is not a date and time: write it as YYYY-MM-DD HH:MM.")
                        % {"value": text},
                        code="invalid_datetime",
                    ) from None
                hour, minute, second = (int(part or 0) for part in match.groups())
                try:
                    moment = datetime.datetime.combine(day, datetime.time(hour, minute, second))
                except ValueError:
                    raise ValidationError(
                        _("“%(value)s” is not a date and time: write it as YYYY-MM-DD HH:MM.")
                        % {"value": text},
                        code="invalid_datetime",
                    ) from None
    check_plausible_year(moment)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def parse_boolean(value) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValidationError(
        _("“%(value)s” is not yes or no (是/否).") % {"value": value}, code="invalid_boolean"
    )


def parse_decimal(value, field: forms.DecimalField | forms.IntegerField):
    if isinstance(value, (int, float, decimal.Decimal)) and not isinstance(value, bool):
        text = str(value)
    else:
        text = str(value).strip().replace(",", "").replace("，", "")
        text = text.lstrip("¥￥$").strip()
    return field.clean(text)


# -- rules read from a form class --------------------------------------------------------------


def _choice_lookup(field: forms.ChoiceField) -> dict[str, str]:
    """Accepted texts → stored value: the value itself and its label in both languages."""
    from django.utils import translation

    lookup = {}
    for value, label in field.choices:
        if value == "":
            continue
        lookup[str(value).lower()] = value
        for language in ("zh-hans", "en"):
            with translation.override(language):
                lookup[str(label).lower()] = value
    return lookup


def converter_for(form_class: type[forms.Form], name: str) -> Callable[[Any], Any]:
    """One cell's checks for the form's field `name`, applied to a non-empty cell."""
    form_field = form_class.base_fields[name]
    clean_method = getattr(form_class, f"clean_{name}", None)
    convert: Callable[[Any], Any]

    if isinstance(form_field, forms.ChoiceField):
        lookup = _choice_lookup(form_field)

        def convert(value):
            try:
                return lookup[str(value).strip().lower()]
            except KeyError:
                raise ValidationError(
                    form_field.error_messages["invalid_choice"], params={"value": value}
                ) from None

    elif isinstance(form_field, forms.DateTimeField):
        convert = parse_datetime
    elif isinstance(form_field, forms.DateField):
        convert = parse_date
    elif isinstance(form_field, forms.BooleanField):
        convert = parse_boolean
    elif isinstance(form_field, (forms.DecimalField, forms.IntegerField)):

        def convert(value):
            return parse_decimal(value, form_field)

    elif type(form_field) is forms.CharField:
        max_length = form_field.max_length

        def convert(value):
            text = value if isinstance(value, str) else str(value)
            if max_length is not None and len(text) > max_length:
                raise ValidationError(
                    form_field.error_messages.get("max_length")
                    or _("Ensure this value has at most %(limit_value)d characters."),
                    params={"limit_value": max_length, "show_value": len(text)},
                )
            return text

    else:
        # A field with its own cleaning (phone, email, credit code, tags): the field itself.
        def convert(value):
            return form_field.clean(value if isinstance(value, str) else str(value))

    if clean_method is None:
        return convert
    form = form_class()

    def convert_and_clean(value):
        form.cleaned_data = {name: convert(value)}
        return clean_method(form)

    return convert_and_clean


def fields_from_form(
    form_class: type[forms.Form], names: list[str], aliases: dict[str, tuple[str, ...]]
) -> list[ImportField]:
    fields = []
    for name in names:
        form_field = form_class.base_fields[name]
        fields.append(
            ImportField(
                name=name,
                label=form_field.label,
                aliases=aliases.get(name, ()),
                required=form_field.required,
                convert=converter_for(form_class, name),
                default=False
                if isinstance(form_field, forms.BooleanField)
                else (
                    None
                    if isinstance(
                        form_field,
                        (
                            forms.DateField,
                            forms.DateTimeField,
                            forms.DecimalField,
                            forms.IntegerField,
                        ),
                    )
                    else ""
                ),
            )
        )
    return fields


class FormRules:
    """A form's own clean() (rules across fields, e.g. due date after order date), run over
    each row's converted values. One form serves every row: building a Django form copies
    all its fields, which cost more than the rest of a row's checks together."""

    def __init__(self, form_class: type[forms.Form]):
        self.form = None if form_class.clean is forms.Form.clean else form_class()

    def errors(self, values: dict) -> dict[str, list[str]]:
        """{field or "__all__": [messages]} for one row."""
        if self.form is None:
            return {}
        from django.forms.utils import ErrorDict

        form = self.form
        form.cleaned_data = dict(values)
        form._errors = ErrorDict()
        try:
            form.clean()
        except ValidationError as exc:
            form.add_error(None, exc)
        return {
            field: [str(message) for message in messages]
            for field, messages in form._errors.items()
        }


def message_of(error: ValidationError) -> str:
    return " ".join(str(message) for message in error.messages)


__all__ = [
    "ImportField",
    "fields_from_form",
    "message_of",
    "normalise_header",
    "parse_boolean",
    "parse_date",
    "parse_datetime",
]
