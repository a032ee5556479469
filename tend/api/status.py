"""/status: a customer's status on every dimension, changing it through the status engine's
one entry point (the same guards, checklists and approvals as the web), and deciding moves
that wait for approval."""

import datetime
from typing import Literal

from ninja import Router, Schema, Status

from tend.api.access import PATH_RECORDS
from tend.api.common import InputSchema, responses
from tend.core.errors import NotFound
from tend.core.ids import get_or_not_found
from tend.customers.selectors import access_customer
from tend.status.actions import (
    approve_request,
    change_state,
    record_inbound_event,
    reject_request,
)
from tend.status.models import Dimension, Door, State, TransitionRequest
from tend.status.selectors import current_states


def access_request(user, request_id) -> TransitionRequest:
    """A move waiting for approval, if its customer is visible to the user."""
    waiting = get_or_not_found(TransitionRequest.objects.all(), request_id)
    access_customer(user, waiting.customer_id)
    return waiting


PATH_RECORDS.setdefault("request_id", access_request)

router = Router(tags=["status"])


class StateOut(Schema):
    state: str
    label: str
    category: str
    since: datetime.datetime
    set_by: int | None
    rule: str
    reason: str


class DimensionOut(Schema):
    dimension: str
    label: str
    exclusive: bool
    states: list[StateOut]


class StatusOut(Schema):
    customer: int
    dimensions: list[DimensionOut]


class ChangeIn(InputSchema):
    dimension: str
    state: str
    reason: str = ""
    remove: bool = False


class ChangeOut(Schema):
    outcome: Literal["changed", "waiting", "unchanged"]
    request: int | None
    status: StatusOut


class DecisionIn(InputSchema):
    comment: str = ""


class DecisionOut(Schema):
    request: int
    status: str


def _status(customer) -> dict:
    current = current_states(customer)
    return {
        "customer": customer.pk,
        "dimensions": [
            {
                "dimension": dimension.key,
                "label": dimension.label,
                "exclusive": dimension.exclusive,
                "states": [
                    {
                        "state": row.state.key,
                        "label": row.state.label,
                        "category": row.state.category,
                        "since": row.since,
                        "set_by": row.change.actor_id,
                        "rule": row.change.rule_key,
                        "reason": row.change.reason,
                    }
                    for row in current.get(dimension.pk, [])
                ],
            }
            for dimension in Dimension.objects.all()
        ],
    }


@router.get(
    "/customers/{int:customer_id}",
    response=responses(200, StatusOut, 404),
    operation_id="getCustomerStatus",
    summary="A customer's status on every dimension",
)
def get_status(request, customer_id: int):
    return _status(access_customer(request.auth, customer_id))


@router.post(
    "/customers/{int:customer_id}",
    response=responses(200, ChangeOut, 403, 404, 422),
    operation_id="changeCustomerStatus",
    summary="Change a customer's state on a dimension",
)
def change_status(request, customer_id: int, payload: ChangeIn):
    """Move the customer to a state of a dimension (or, with `remove`, take a state of a
    several-at-once dimension away), by the dimension's and state's keys. A move the model
    refuses answers 422 naming the failed condition or missing step; a move that needs
    approval answers `waiting` with the request's id."""
    customer = access_customer(request.auth, customer_id)
    dimension = Dimension.objects.filter(key=payload.dimension).first()
    state = State.objects.filter(dimension=dimension, key=payload.state).first()
    if dimension is None or state is None:
        raise NotFound()
    outcome = change_state(
        actor=request.auth,
        customer=customer,
        dimension=dimension,
        state=state,
        door=Door.API,
        reason=payload.reason,
        remove=payload.remove,
    )
    return {
        "outcome": outcome.kind,
        "request": outcome.request.pk if outcome.request else None,
        "status": _status(customer),
    }


@router.post(
    "/requests/{int:request_id}/approve",
    response=responses(200, DecisionOut, 403, 404, 422),
    operation_id="approveStatusRequest",
    summary="Approve a move waiting for approval",
)
def approve(request, request_id: int, payload: DecisionIn):
    waiting = access_request(request.auth, request_id)
    outcome = approve_request(actor=request.auth, request=waiting, comment=payload.comment)
    return {"request": outcome.request.pk, "status": outcome.request.status}


@router.post(
    "/requests/{int:request_id}/reject",
    response=responses(200, DecisionOut, 403, 404, 422),
    operation_id="rejectStatusRequest",
    summary="Reject a move waiting for approval",
)
def reject(request, request_id: int, payload: DecisionIn):
    waiting = access_request(request.auth, request_id)
    decided = reject_request(actor=request.auth, request=waiting, comment=payload.comment)
    return {"request": decided.pk, "status": decided.status}


class EventIn(InputSchema):
    name: str


class EventOut(Schema):
    customer: int
    event: str
    queued: bool


@router.post(
    "/customers/{int:customer_id}/events",
    response=responses(202, EventOut, 403, 404, 422),
    operation_id="recordInboundEvent",
    summary="An inbound event for a customer: its inbound-event rules run after it is recorded",
)
def inbound_event(request, customer_id: int, payload: EventIn):
    customer = access_customer(request.auth, customer_id)
    record_inbound_event(actor=request.auth, customer=customer, name=payload.name)
    return Status(202, {"customer": customer.pk, "event": payload.name.strip(), "queued": True})
