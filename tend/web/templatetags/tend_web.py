from django import template

from tend.core.validators import display_phone

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """A stored (E.164) phone number as people write it."""
    return display_phone(value or "")


@register.inclusion_tag("web/_field.html")
def field(bound_field, wide=False):
    """One form field: label, input, the action's messages for it, and help text."""
    return {"field": bound_field, "wide": wide}


@register.filter
def fact_value(value):
    """A fact value as people read it: unknown, yes/no, whole numbers without “.0”."""
    from django.utils.translation import gettext as _

    if value is None:
        return _("unknown")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
