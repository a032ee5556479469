"""/feedback: what customers told us (反馈) — complaints, suggestions, praise — with status,
resolution and escalation."""

from typing import Literal

from ninja import Field, Query, Router, Schema, Status

from tend.api.access import PATH_RECORDS
from tend.api.common import (
    InputSchema,
    PageParams,
    RecordId,
    StatusCountOut,
    Timestamp,
    UserRef,
    body_data,
    page_out,
    responses,
    status_counts_out,
)
from tend.core.pagination import keyset_page
from tend.service.actions import (
    change_feedback_status,
    create_feedback,
    delete_feedback,
    escalate_feedback,
    update_feedback,
)
from tend.service.selectors import (
    FeedbackFilters,
    access_feedback,
    feedback_escalations,
    feedback_page,
    feedback_status_counts,
)

router = Router(tags=["feedback"])

# A record named in a path is checked before the request is judged (see tend.api.access).
PATH_RECORDS["feedback_id"] = access_feedback


class FeedbackChange(InputSchema):
    kind: str | None = Field(None, description="complaint, suggestion or praise")
    severity: str | None = Field(None, description="low (default), medium, high or critical")
    subject: str | None = None
    description: str | None = None
    contact: RecordId | None = Field(None, description="A contact of the same customer")
    ticket: RecordId | None = Field(None, description="A ticket of the same customer")


class FeedbackCreate(FeedbackChange):
    customer: RecordId = Field(description="The customer's id")


class FeedbackOut(Schema):
    id: int
    customer: int
    contact: int | None
    ticket: int | None
    kind: str
    severity: str
    subject: str
    description: str
    status: str
    escalation_level: str
    resolution: str
    received_at: Timestamp
    resolved_at: Timestamp | None
    created_by: UserRef | None
    created_at: Timestamp
    updated_at: Timestamp

    @staticmethod
    def resolve_customer(feedback) -> int:
        return feedback.customer_id

    @staticmethod
    def resolve_contact(feedback) -> int | None:
        return feedback.contact_id

    @staticmethod
    def resolve_ticket(feedback) -> int | None:
        return feedback.ticket_id


class FeedbackPageOut(Schema):
    items: list[FeedbackOut]
    next_cursor: str | None


class FeedbackListParams(PageParams):
    status: str | None = Field(
        None, description="new, acknowledged, in_progress, resolved or closed"
    )
    kind: str | None = Field(None, description="complaint, suggestion or praise")
    severity: str | None = Field(None, description="low, medium, high or critical")
    customer: RecordId | None = Field(None, description="Only this customer's feedback")
    open: bool | None = Field(None, description="true: only feedback not resolved or closed")
    ordering: Literal["newest", "severity"] = Field(
        "newest", description="newest first, or most severe first"
    )


def _filters(params) -> FeedbackFilters:
    return FeedbackFilters(
        status=params.status or "",
        kind=params.kind or "",
        severity=params.severity or "",
        customer=params.customer,
        open_only=bool(params.open),
    )


class FeedbackStatusChange(InputSchema):
    status: str = Field(description="The status to move to")
    resolution: str | None = Field(
        None,
        description="What was done; required to resolve or close a complaint. Left out: kept.",
    )


class EscalationIn(InputSchema):
    to_level: str = Field(description="manager or executive: higher than the current level")
    reason: str


class EscalationOut(Schema):
    id: int
    feedback: int
    from_level: str
    to_level: str
    by: UserRef | None
    at: Timestamp
    reason: str

    @staticmethod
    def resolve_feedback(escalation) -> int:
        return escalation.feedback_id


class EscalationPageOut(Schema):
    items: list[EscalationOut]
    next_cursor: str | None


@router.get(
    "",
    response=responses(200, FeedbackPageOut, 422),
    operation_id="listFeedback",
    summary="List feedback",
)
def list_feedback(request, params: Query[FeedbackListParams]):
    """Feedback from the customers the caller may see, newest or most severe first."""
    page = feedback_page(
        request.auth,
        _filters(params),
        ordering=params.ordering,
        cursor=params.cursor,
        limit=params.limit,
    )
    return page_out(page)


@router.get(
    "/counts",
    response=responses(200, dict[str, StatusCountOut], 422),
    operation_id="countFeedback",
    summary="Count feedback per status",
)
def count_feedback(request, params: Query[FeedbackListParams]):
    """How much feedback is in each status (the status filter aside), capped."""
    counts = feedback_status_counts(request.auth, _filters(params))
    return status_counts_out(counts)


@router.post(
    "",
    response=responses(201, FeedbackOut, 403, 422),
    operation_id="createFeedback",
    summary="Record feedback",
)
def create_feedback_endpoint(request, payload: FeedbackCreate):
    feedback = create_feedback(actor=request.auth, data=body_data(payload))
    return Status(201, access_feedback(request.auth, feedback.pk))


@router.get(
    "/{int:feedback_id}",
    response=responses(200, FeedbackOut, 404),
    operation_id="getFeedback",
    summary="Read feedback",
)
def get_feedback(request, feedback_id: int):
    return access_feedback(request.auth, feedback_id)


@router.patch(
    "/{int:feedback_id}",
    response=responses(200, FeedbackOut, 403, 404, 422),
    operation_id="updateFeedback",
    summary="Change feedback",
)
def update_feedback_endpoint(request, feedback_id: int, payload: FeedbackChange):
    """Change the fields given; the others stay as they are. Status and escalation change
    through their own operations."""
    feedback = access_feedback(request.auth, feedback_id)
    update_feedback(actor=request.auth, feedback=feedback, data=body_data(payload))
    return access_feedback(request.auth, feedback_id)


@router.delete(
    "/{int:feedback_id}",
    response=responses(204, None, 403, 404),
    operation_id="deleteFeedback",
    summary="Delete feedback",
)
def delete_feedback_endpoint(request, feedback_id: int):
    feedback = access_feedback(request.auth, feedback_id)
    delete_feedback(actor=request.auth, feedback=feedback)
    return Status(204, None)


@router.post(
    "/{int:feedback_id}/status",
    response=responses(200, FeedbackOut, 403, 404, 422),
    operation_id="changeFeedbackStatus",
    summary="Move feedback to another status",
)
def change_feedback_status_endpoint(request, feedback_id: int, payload: FeedbackStatusChange):
    """Allowed moves: new → acknowledged, in progress, resolved or closed; acknowledged → in
    progress, resolved or closed; in progress → resolved or closed; resolved → closed or back
    to in progress. Closed feedback does not move any more."""
    feedback = access_feedback(request.auth, feedback_id)
    change_feedback_status(
        actor=request.auth,
        feedback=feedback,
        status=payload.status,
        resolution=payload.resolution,
    )
    return access_feedback(request.auth, feedback_id)


@router.get(
    "/{int:feedback_id}/escalations",
    response=responses(200, EscalationPageOut, 404, 422),
    operation_id="listFeedbackEscalations",
    summary="List feedback's escalations",
)
def list_feedback_escalations(request, feedback_id: int, params: Query[PageParams]):
    """The feedback's escalations, oldest first."""
    feedback = access_feedback(request.auth, feedback_id)
    escalations = feedback_escalations(feedback)
    return page_out(keyset_page(escalations, "at", params.cursor, params.limit))


@router.post(
    "/{int:feedback_id}/escalations",
    response=responses(201, EscalationOut, 403, 404, 422),
    operation_id="escalateFeedback",
    summary="Escalate feedback",
)
def escalate_feedback_endpoint(request, feedback_id: int, payload: EscalationIn):
    """Raise the feedback to a higher level (agent → manager → executive), with a reason."""
    feedback = access_feedback(request.auth, feedback_id)
    escalation = escalate_feedback(actor=request.auth, feedback=feedback, data=body_data(payload))
    return Status(201, escalation)
