"""/follow-ups: the caller's worklist of due and overdue follow-ups (今日待跟进)."""

import datetime

from ninja import Field, Query, Router, Schema

from tend.api.common import PageParams, Timestamp, page_out, responses
from tend.status.cadence import follow_up_worklist

router = Router(tags=["follow-ups"])


class GradeOut(Schema):
    key: str
    label: str
    color: str
    follow_up_days: int | None = Field(description="The grade's cadence: follow up every N days")


class FollowUpOut(Schema):
    id: int = Field(description="The customer's id")
    name: str
    due_on: datetime.date = Field(description="When the follow-up is due")
    days_overdue: int = Field(description="0: due today")
    grade: GradeOut | None
    last_contact_at: Timestamp | None
    next_follow_up_on: datetime.date | None = Field(
        description="The follow-up planned on the last activity that planned one"
    )

    @staticmethod
    def resolve_id(entry) -> int:
        return entry.customer.pk

    @staticmethod
    def resolve_name(entry) -> str:
        return entry.customer.name

    @staticmethod
    def resolve_due_on(entry) -> datetime.date:
        return entry.customer.follow_up_due_on

    @staticmethod
    def resolve_last_contact_at(entry):
        return entry.customer.last_contact_at

    @staticmethod
    def resolve_next_follow_up_on(entry):
        return entry.customer.next_follow_up_on


class FollowUpPageOut(Schema):
    items: list[FollowUpOut]
    next_cursor: str | None


class FollowUpParams(PageParams):
    owner: str | None = Field(
        None,
        pattern=r"^(me|\d+)$",
        description='"me" (default) or a user id: another owner\'s follow-ups, as far as the '
        "caller may see their customers",
    )


@router.get(
    "",
    response=responses(200, FollowUpPageOut, 422),
    operation_id="listDueFollowUps",
    summary="List due follow-ups (今日待跟进)",
)
def list_due_follow_ups(request, params: Query[FollowUpParams]):
    """The customers whose follow-up is due today or overdue — by their grade's cadence or
    the follow-up planned on an activity — most overdue first, then by grade."""
    page = follow_up_worklist(
        request.auth, owner=params.owner, cursor=params.cursor, limit=params.limit
    )
    return page_out(page)
