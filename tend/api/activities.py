"""/activities: logged communications with customers (跟进记录)."""

import datetime
from typing import Literal

from ninja import Field, Query, Router, Schema, Status

from tend.activities.actions import delete_activity, log_follow_up, update_activity
from tend.activities.selectors import access_activity, visible_activities
from tend.api.common import (
    InputSchema,
    PageParams,
    RecordId,
    Timestamp,
    UserRef,
    body_data,
    page_out,
    responses,
)
from tend.api.contacts import customer_for_body
from tend.core.pagination import keyset_page
from tend.status.models import Door

router = Router(tags=["activities"])


class ActivityChange(InputSchema):
    kind: str | None = Field(None, description="call, visit, meeting, email, wechat, sms or note")
    occurred_at: datetime.datetime | None = None
    summary: str | None = None
    outcome: str | None = None
    valid_communication: bool | None = Field(None, description="有效沟通")
    next_follow_up_on: datetime.date | None = None
    contact: RecordId | None = Field(None, description="A contact of the same customer")


class ActivityCreate(ActivityChange):
    customer: RecordId = Field(description="The customer's id")
    grade: str | None = Field(
        None,
        description="The customer's grade after this follow-up: a state key of the grade "
        "dimension (A–E by default). Moved through the status engine; a refused move logs "
        "nothing.",
    )
    grade_reason: str | None = Field(None, description="Why the grade changes, when it must say")


class ActivityOut(Schema):
    id: int
    customer: int
    contact: int | None
    kind: str
    occurred_at: Timestamp
    summary: str
    outcome: str
    valid_communication: bool
    next_follow_up_on: datetime.date | None
    author: UserRef | None
    created_at: Timestamp
    updated_at: Timestamp

    @staticmethod
    def resolve_customer(activity) -> int:
        return activity.customer_id

    @staticmethod
    def resolve_contact(activity) -> int | None:
        return activity.contact_id


class LoggedActivityOut(ActivityOut):
    grade_outcome: Literal["changed", "waiting", "unchanged"] | None = Field(
        description="What the grade did: changed, waiting (for approval), unchanged; null "
        "when no grade was given"
    )


class ActivityPageOut(Schema):
    items: list[ActivityOut]
    next_cursor: str | None


class ActivityListParams(PageParams):
    customer: RecordId | None = Field(None, description="Only this customer's activities")


@router.get(
    "",
    response=responses(200, ActivityPageOut, 422),
    operation_id="listActivities",
    summary="List activities",
)
def list_activities(request, params: Query[ActivityListParams]):
    """Activities on the customers the caller may see, newest first."""
    activities = visible_activities(request.auth).select_related("author")
    if params.customer is not None:
        activities = activities.filter(customer_id=params.customer)
    return page_out(keyset_page(activities, "-occurred_at", params.cursor, params.limit))


@router.post(
    "",
    response=responses(201, LoggedActivityOut, 403, 422),
    operation_id="logActivity",
    summary="Log an activity",
)
def log_activity_endpoint(request, payload: ActivityCreate):
    """Log an activity; the customer's first and last contact and its follow-up due date
    move with it, and with `grade` the customer is re-graded in the same transaction."""
    data = body_data(payload)
    customer = customer_for_body(request.auth, data.pop("customer"))
    logged = log_follow_up(actor=request.auth, customer=customer, data=data, door=Door.API)
    logged.activity.grade_outcome = logged.grade.kind if logged.grade else None
    return Status(201, logged.activity)


@router.get(
    "/{int:activity_id}",
    response=responses(200, ActivityOut, 404),
    operation_id="getActivity",
    summary="Read an activity",
)
def get_activity(request, activity_id: int):
    return access_activity(request.auth, activity_id)


@router.patch(
    "/{int:activity_id}",
    response=responses(200, ActivityOut, 403, 404, 422),
    operation_id="updateActivity",
    summary="Change an activity",
)
def update_activity_endpoint(request, activity_id: int, payload: ActivityChange):
    """Change the fields given; the others stay as they are."""
    activity = access_activity(request.auth, activity_id)
    return update_activity(actor=request.auth, activity=activity, data=body_data(payload))


@router.delete(
    "/{int:activity_id}",
    response=responses(204, None, 403, 404),
    operation_id="deleteActivity",
    summary="Delete an activity",
)
def delete_activity_endpoint(request, activity_id: int):
    activity = access_activity(request.auth, activity_id)
    delete_activity(actor=request.auth, activity=activity)
    return Status(204, None)
