from datetime import date, datetime, timedelta

from django.utils import timezone


def now() -> datetime:
    return timezone.now()


def today() -> date:
    return timezone.localdate()


def days_ago(days: int) -> datetime:
    return timezone.now() - timedelta(days=days)
