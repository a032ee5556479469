"""Schemas and helpers shared by the resource routers."""

import datetime
from typing import Annotated

from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict

from tend.api.errors import ErrorOut
from tend.core.ids import MAX_ID
from tend.core.pagination import Page

# An id given by a caller: beyond 64 bits it names no record (and must not reach the database).
RecordId = Annotated[int, Field(ge=1, le=MAX_ID)]


class InputSchema(Schema):
    """A request body. The schema checks JSON types only; the actions validate values with
    the same form classes as every other door. Unknown keys — including fields no one may
    set, such as owner, id or the audit fields — are refused, never ignored."""

    model_config = ConfigDict(extra="forbid")


def _as_utc(value: datetime.datetime) -> datetime.datetime:
    return value.astimezone(datetime.UTC) if value.tzinfo is not None else value


# A moment in an answer: always UTC, whether it was just written (in the caller's offset) or
# read back from the database.
Timestamp = Annotated[datetime.datetime, AfterValidator(_as_utc)]


class UserRef(Schema):
    id: int
    display_name: str


class PageParams(Schema):
    cursor: str | None = Field(
        None, description="The next_cursor of the previous page; leave out for the first page."
    )
    limit: int = Field(25, ge=1, le=100, description="Rows per page (1–100).")


def responses(status: int, schema, *errors: int) -> dict:
    """The success response and the error responses an operation can give, for the document.
    401 (and 403 for a cookie-authenticated write without its CSRF token) apply to all."""
    result = {status: schema}
    for code in sorted({401, *errors}):
        result[code] = ErrorOut
    return result


def page_out(page: Page) -> dict:
    return {"items": page.items, "next_cursor": page.next_cursor}


def body_data(payload: InputSchema) -> dict:
    """The keys the caller sent, and only those: a PATCH changes what it names."""
    return payload.model_dump(exclude_unset=True)


class StatusCountOut(Schema):
    count: int
    more: bool = Field(description="True when there are more than `count` (the count is capped)")


def status_counts_out(counts: dict) -> dict:
    """{status: (count, more)} from a *_status_counts selector, as StatusCountOut data."""
    return {status: {"count": count, "more": more} for status, (count, more) in counts.items()}
