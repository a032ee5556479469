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
