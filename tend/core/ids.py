"""Record ids from the outside world (URLs, query strings, bodies), checked once: a value that
is not a positive 64-bit integer names no record, and must not reach the database (SQLite
raises OverflowError on integers past 2**63 - 1)."""

MAX_ID = 2**63 - 1


def parse_record_id(value) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= MAX_ID else None


def get_or_not_found(queryset, record_id, **filters):
    """The one record of `queryset` with this id, or NotFound — for a malformed id as for a
    record the queryset (a visibility scope) does not hold, so existence never leaks."""
    from tend.core.errors import NotFound

    parsed = parse_record_id(record_id)
    if parsed is None:
        raise NotFound()
    try:
        return queryset.get(pk=parsed, **filters)
    except queryset.model.DoesNotExist as exc:
        raise NotFound() from exc
