"""Keyset (cursor) pagination, shared by the web list pages and the API.

Offsets grow slower with every page at a million rows; a cursor holds the sort value and id of
the last row shown, so every page is an index range scan of the same cost."""

import base64
import binascii
import datetime
import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _

from tend.core.errors import ValidationFailed

COUNT_CAP = 1_000


@dataclass
class Page:
    items: list
    next_cursor: str | None
    ordering: str


def encode_cursor(value: Any, last_id: int) -> str:
    if isinstance(value, datetime.datetime):
        # Full precision: DjangoJSONEncoder cuts microseconds to milliseconds, which would
        # skip the rows that sort after the last one shown within the same millisecond.
        value = value.isoformat()
    raw = json.dumps([value, last_id], cls=DjangoJSONEncoder, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, field) -> tuple[Any, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, last_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        last_id = int(last_id)
        if value is not None:
            value = field.to_python(value)
    except (ValueError, TypeError, binascii.Error, DjangoValidationError) as exc:
        raise ValidationFailed(field_errors={"cursor": [_("Invalid cursor.")]}) from exc
    return value, last_id


def keyset_ordering(queryset: QuerySet, ordering: str) -> QuerySet:
    """`queryset` sorted as its keyset pages are: by `ordering` ("name" or "-created_at"),
    ties broken by id in the same direction, nulls last either way. An export of a list reads
    its rows in this order."""
    field_name = ordering.lstrip("-")
    descending = ordering.startswith("-")
    field = queryset.model._meta.get_field(field_name)
    if descending:
        expression = F(field_name).desc(nulls_last=True) if field.null else F(field_name).desc()
    else:
        expression = F(field_name).asc(nulls_last=True) if field.null else F(field_name).asc()
    return queryset.order_by(expression, "-id" if descending else "id")


def keyset_page(queryset: QuerySet, ordering: str, cursor: str | None, limit: int) -> Page:
    """One page of `queryset` sorted by `ordering` (see keyset_ordering)."""
    field_name = ordering.lstrip("-")
    descending = ordering.startswith("-")
    field = queryset.model._meta.get_field(field_name)
    queryset = keyset_ordering(queryset, ordering)
    if cursor:
        value, last_id = _decode_cursor(cursor, field)
        beyond = "lt" if descending else "gt"
        if value is None:
            queryset = queryset.filter(**{f"{field_name}__isnull": True, f"id__{beyond}": last_id})
        else:
            after = Q(**{f"{field_name}__{beyond}": value}) | Q(
                **{field_name: value, f"id__{beyond}": last_id}
            )
            if field.null:
                after |= Q(**{f"{field_name}__isnull": True})
            queryset = queryset.filter(after)
    rows = list(queryset[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(getattr(last, field_name), last.pk)
    return Page(items=rows, next_cursor=next_cursor, ordering=ordering)


def capped_count(queryset: QuerySet, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """Count up to `cap` rows; the flag says whether there are more than that."""
    count = queryset.order_by()[: cap + 1].count()
    return min(count, cap), count > cap
