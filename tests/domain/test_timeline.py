"""The merged customer timeline: events of every kind in time order, paged by a cursor."""

import datetime

import pytest

from tend.core import timeline
from tend.core.errors import ValidationFailed
from tend.core.timeline import TimelineCursor, TimelineEntry, merged_timeline

BASE = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def _provider(kind, events):
    """A provider over an in-memory list of (minutes after BASE, id), honouring the cursor
    exactly as a query with cursor.before() would."""

    def provide(customer_id, cursor, limit):
        entries = [
            TimelineEntry(BASE + datetime.timedelta(minutes=m), kind, pk, None, "")
            for m, pk in events
        ]
        if cursor.at is not None:
            entries = [
                e
                for e in entries
                if e.at < cursor.at
                or (e.at == cursor.at and kind < cursor.kind)
                or (e.at == cursor.at and kind == cursor.kind and e.record_id < cursor.record_id)
            ]
        entries.sort(key=lambda e: (e.at, e.record_id), reverse=True)
        return entries[:limit]

    return provide


@pytest.fixture
def two_kinds(monkeypatch):
    monkeypatch.setattr(
        timeline,
        "_PROVIDERS",
        {
            "activity": _provider("activity", [(10, 1), (30, 2), (30, 3), (50, 4)]),
            "order": _provider("order", [(30, 1), (40, 2), (5, 3)]),
        },
    )


def _walk(page_size):
    seen, cursor = [], None
    while True:
        page = merged_timeline(1, cursor, limit=page_size)
        seen += [(e.kind, e.record_id) for e in page.items]
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


def test_events_of_every_kind_come_newest_first_with_ties_in_kind_then_id_order(two_kinds):
    assert _walk(100) == [
        ("activity", 4),
        ("order", 2),
        ("order", 1),
        ("activity", 3),
        ("activity", 2),
        ("activity", 1),
        ("order", 3),
    ]


@pytest.mark.parametrize("page_size", [1, 2, 3])
def test_paging_through_ties_neither_skips_nor_repeats(two_kinds, page_size):
    assert _walk(page_size) == _walk(100)


def test_a_filter_keeps_only_the_kinds_asked_for(two_kinds):
    page = merged_timeline(1, None, limit=10, kinds={"order"})
    assert [(e.kind, e.record_id) for e in page.items] == [("order", 2), ("order", 1), ("order", 3)]


@pytest.mark.parametrize("cursor", ["nonsense", "W10", "WyJ4IiwgMSwgMl0"])
def test_a_damaged_cursor_is_a_validation_error(cursor):
    with pytest.raises(ValidationFailed):
        TimelineCursor.decode(cursor)
