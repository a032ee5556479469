"""A customer's timeline: what happened to it, from every kind of record, in time order.

Each app registers a provider per kind of event (an activity logged, a deal's stage move, an
order, a ticket opened…). A page of the merged timeline asks every provider for at most
`limit` events older than the cursor — each one an index range scan on (customer, time) —
and merges them, newest first, ties broken by kind and id. The cursor holds the last event
shown, so every page costs the same however far back it is."""

import base64
import binascii
import datetime
import heapq
import json
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from tend.core.errors import ValidationFailed
from tend.core.pagination import Page


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime.datetime
    kind: str
    record_id: int
    record: object
    # The partial that renders this entry; it receives `entry` and `record`.
    template: str

    @property
    def sort_key(self) -> tuple:
        return (self.at, self.kind, self.record_id)


@dataclass(frozen=True)
class TimelineCursor:
    """The last event shown; `before()` is the filter a provider adds to its query."""

    at: datetime.datetime | None = None
    kind: str = ""
    record_id: int = 0

    def before(self, kind: str, time_field: str, id_field: str = "id") -> Q:
        """Events of `kind` that sort after the cursor (older, or as old and lower in the
        tie order of kind then id)."""
        if self.at is None:
            return Q()
        older = Q(**{f"{time_field}__lt": self.at})
        if kind < self.kind:
            return older | Q(**{time_field: self.at})
        if kind == self.kind:
            return older | Q(**{time_field: self.at, f"{id_field}__lt": self.record_id})
        return older

    def encode(self) -> str:
        raw = json.dumps([self.at.isoformat(), self.kind, self.record_id])
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str | None) -> "TimelineCursor":
        if not cursor:
            return cls()
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            at, kind, record_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
            moment = parse_datetime(at)
            if moment is None or not isinstance(kind, str):
                raise ValueError(at)
            return cls(at=moment, kind=kind, record_id=int(record_id))
        except (ValueError, TypeError, binascii.Error) as exc:
            raise ValidationFailed(field_errors={"cursor": [_("Invalid cursor.")]}) from exc


# (customer_id, cursor, limit) -> at most `limit` entries, newest first.
Provider = Callable[[int, TimelineCursor, int], list[TimelineEntry]]
_PROVIDERS: dict[str, Provider] = {}


def register_timeline(kind: str, provider: Provider) -> None:
    _PROVIDERS[kind] = provider


def timeline_kinds() -> list[str]:
    return sorted(_PROVIDERS)


def merged_timeline(
    customer_id: int, cursor: str | None = None, limit: int = 20, kinds=None
) -> Page:
    """One page of the customer's timeline, newest first; `kinds` narrows it (a filter)."""
    position = TimelineCursor.decode(cursor)
    streams = [
        provider(customer_id, position, limit + 1)
        for kind, provider in sorted(_PROVIDERS.items())
        if kinds is None or kind in kinds
    ]
    merged = heapq.merge(*streams, key=lambda entry: entry.sort_key, reverse=True)
    entries = []
    for entry in merged:
        entries.append(entry)
        if len(entries) > limit:
            break
    next_cursor = None
    if len(entries) > limit:
        entries = entries[:limit]
        last = entries[-1]
        next_cursor = TimelineCursor(last.at, last.kind, last.record_id).encode()
    return Page(items=entries, next_cursor=next_cursor, ordering="-at")
