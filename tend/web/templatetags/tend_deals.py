"""Showing deals: money with its currency, time spent in a stage."""

from decimal import Decimal

from django import template
from django.utils.translation import ngettext

register = template.Library()


@register.filter
def money(value, currency: str = "CNY") -> str:
    """1234567.5 → "CNY 1,234,567.50"."""
    # Grouped by thousands with commas in both languages, as Chinese finance writes too.
    return f"{currency} {Decimal(value or 0):,.2f}"


@register.filter
def stage_duration(seconds) -> str:
    """Seconds in a stage, said the way people say it: "3 days 4 hours", "25 minutes"."""
    seconds = int(seconds or 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        text = ngettext("%(count)s day", "%(count)s days", days) % {"count": days}
        if hours and days < 10:
            text += " " + ngettext("%(count)s hour", "%(count)s hours", hours) % {"count": hours}
        return text
    if hours:
        return ngettext("%(count)s hour", "%(count)s hours", hours) % {"count": hours}
    return ngettext("%(count)s minute", "%(count)s minutes", minutes) % {"count": minutes}
