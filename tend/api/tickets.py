"""/tickets: after-sales service requests (工单), their reply thread, status and satisfaction."""

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
    add_ticket_comment,
    change_ticket_status,
    create_ticket,
    delete_ticket,
    rate_ticket,
    update_ticket,
)
from tend.service.selectors import (
    TicketFilters,
    access_ticket,
    ticket_comments,
    ticket_page,
    ticket_status_counts,
)

router = Router(tags=["tickets"])

# A record named in a path is checked before the request is judged (see tend.api.access).
PATH_RECORDS["ticket_id"] = access_ticket


class TicketChange(InputSchema):
    subject: str | None = None
    description: str | None = None
    priority: str | None = Field(None, description="low, normal (default), high or urgent")
    contact: RecordId | None = Field(None, description="A contact of the same customer")
    assignee: RecordId | None = Field(
        None, description="A user who may see the customer; null leaves the ticket unassigned"
    )


class TicketCreate(TicketChange):
    customer: RecordId = Field(description="The customer's id")


class TicketOut(Schema):
    id: int
    customer: int
    contact: int | None
    subject: str
    description: str
    priority: str
    status: str
    assignee: UserRef | None
    opened_by: UserRef | None
    opened_at: Timestamp
    first_response_at: Timestamp | None
    resolved_at: Timestamp | None
    first_response_seconds: int | None = Field(description="From opening to the first response")
    resolution_seconds: int | None = Field(description="From opening to resolution")
    satisfaction: int | None
    satisfaction_comment: str
    created_at: Timestamp
    updated_at: Timestamp

    @staticmethod
    def resolve_customer(ticket) -> int:
        return ticket.customer_id

    @staticmethod
    def resolve_contact(ticket) -> int | None:
        return ticket.contact_id

    @staticmethod
    def resolve_first_response_seconds(ticket) -> int | None:
        span = ticket.first_response_time
        return None if span is None else int(span.total_seconds())

    @staticmethod
    def resolve_resolution_seconds(ticket) -> int | None:
        span = ticket.resolution_time
        return None if span is None else int(span.total_seconds())


class TicketPageOut(Schema):
    items: list[TicketOut]
    next_cursor: str | None


class TicketListParams(PageParams):
    status: str | None = Field(
        None, description="open, in_progress, waiting_on_customer, resolved or closed"
    )
    priority: str | None = Field(None, description="low, normal, high or urgent")
    assignee: str | None = Field(
        None, pattern=r"^(me|none|\d+)$", description='"me", "none" or a user id'
    )
    customer: RecordId | None = Field(None, description="Only this customer's tickets")
    open: bool | None = Field(None, description="true: only tickets not resolved or closed")
    ordering: Literal["newest", "priority"] = Field(
        "newest", description="newest first, or most urgent first"
    )


def _filters(params) -> TicketFilters:
    return TicketFilters(
        status=params.status or "",
        priority=params.priority or "",
        assignee=params.assignee or "",
        customer=params.customer,
        open_only=bool(params.open),
    )


class TicketStatusChange(InputSchema):
    status: str = Field(description="The status to move to")
    note: str = Field("", description="Why, for the ticket's history")


class CommentIn(InputSchema):
    body: str
    public: bool = Field(True, description="A reply the customer is told; false: internal note")
    from_customer: bool = Field(False, description="The customer's own words, written down")


class CommentOut(Schema):
    id: int
    ticket: int
    author: UserRef | None
    body: str
    public: bool
    from_customer: bool
    at: Timestamp

    @staticmethod
    def resolve_ticket(comment) -> int:
        return comment.ticket_id


class CommentPageOut(Schema):
    items: list[CommentOut]
    next_cursor: str | None


class SatisfactionIn(InputSchema):
    satisfaction: int = Field(description="1 (very unhappy) to 5 (very happy)")
    satisfaction_comment: str = ""


@router.get(
    "",
    response=responses(200, TicketPageOut, 422),
    operation_id="listTickets",
    summary="List tickets",
)
def list_tickets(request, params: Query[TicketListParams]):
    """Tickets of the customers the caller may see, newest or most urgent first."""
    page = ticket_page(
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
    operation_id="countTickets",
    summary="Count tickets per status",
)
def count_tickets(request, params: Query[TicketListParams]):
    """How many tickets are in each status (the status filter aside), capped."""
    counts = ticket_status_counts(request.auth, _filters(params))
    return status_counts_out(counts)


@router.post(
    "",
    response=responses(201, TicketOut, 403, 422),
    operation_id="createTicket",
    summary="Open a ticket",
)
def create_ticket_endpoint(request, payload: TicketCreate):
    ticket = create_ticket(actor=request.auth, data=body_data(payload))
    return Status(201, access_ticket(request.auth, ticket.pk))


@router.get(
    "/{int:ticket_id}",
    response=responses(200, TicketOut, 404),
    operation_id="getTicket",
    summary="Read a ticket",
)
def get_ticket(request, ticket_id: int):
    return access_ticket(request.auth, ticket_id)


@router.patch(
    "/{int:ticket_id}",
    response=responses(200, TicketOut, 403, 404, 422),
    operation_id="updateTicket",
    summary="Change a ticket",
)
def update_ticket_endpoint(request, ticket_id: int, payload: TicketChange):
    """Change the fields given; the others stay as they are. The status changes through
    POST /tickets/{id}/status."""
    ticket = access_ticket(request.auth, ticket_id)
    update_ticket(actor=request.auth, ticket=ticket, data=body_data(payload))
    return access_ticket(request.auth, ticket_id)


@router.delete(
    "/{int:ticket_id}",
    response=responses(204, None, 403, 404),
    operation_id="deleteTicket",
    summary="Delete a ticket",
)
def delete_ticket_endpoint(request, ticket_id: int):
    ticket = access_ticket(request.auth, ticket_id)
    delete_ticket(actor=request.auth, ticket=ticket)
    return Status(204, None)


@router.post(
    "/{int:ticket_id}/status",
    response=responses(200, TicketOut, 403, 404, 422),
    operation_id="changeTicketStatus",
    summary="Move a ticket to another status",
)
def change_ticket_status_endpoint(request, ticket_id: int, payload: TicketStatusChange):
    """Allowed moves: open → in progress, waiting on customer, resolved or closed; in progress
    ⇄ waiting on customer; either → resolved or closed; resolved → closed; resolved or
    closed → open (a reopen, which clears the resolution time and satisfaction)."""
    ticket = access_ticket(request.auth, ticket_id)
    change_ticket_status(
        actor=request.auth, ticket=ticket, status=payload.status, note=payload.note
    )
    return access_ticket(request.auth, ticket_id)


@router.get(
    "/{int:ticket_id}/comments",
    response=responses(200, CommentPageOut, 404, 422),
    operation_id="listTicketComments",
    summary="List a ticket's messages",
)
def list_ticket_comments(request, ticket_id: int, params: Query[PageParams]):
    """The ticket's thread, oldest first."""
    ticket = access_ticket(request.auth, ticket_id)
    return page_out(keyset_page(ticket_comments(ticket), "at", params.cursor, params.limit))


@router.post(
    "/{int:ticket_id}/comments",
    response=responses(201, CommentOut, 403, 404, 422),
    operation_id="addTicketComment",
    summary="Add a message to a ticket",
)
def add_ticket_comment_endpoint(request, ticket_id: int, payload: CommentIn):
    """A public reply or an internal note. The first public reply that is not the customer's
    own words is the ticket's first response."""
    ticket = access_ticket(request.auth, ticket_id)
    comment = add_ticket_comment(actor=request.auth, ticket=ticket, data=body_data(payload))
    return Status(201, comment)


@router.put(
    "/{int:ticket_id}/satisfaction",
    response=responses(200, TicketOut, 403, 404, 422),
    operation_id="rateTicket",
    summary="Record a ticket's satisfaction",
)
def rate_ticket_endpoint(request, ticket_id: int, payload: SatisfactionIn):
    """The customer's satisfaction, 1–5, once the ticket is resolved or closed."""
    ticket = access_ticket(request.auth, ticket_id)
    rate_ticket(actor=request.auth, ticket=ticket, data=body_data(payload))
    return access_ticket(request.auth, ticket_id)
