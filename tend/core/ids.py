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


def record_id_or_not_found(value) -> int:
    """The id, or NotFound: for access_* selectors, where a malformed id is simply no record."""
    from tend.core.errors import NotFound

    record_id = parse_record_id(value)
    if record_id is None:
        raise NotFound()
    return record_id
