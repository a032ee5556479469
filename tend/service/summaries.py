"""The ticket list's status counts and response-time sums, kept by the database (see
tend.core.summaries)."""

from tend.core.sql import seconds_between
from tend.core.summaries import Source, Summary
from tend.customers.summaries import (
    CUSTOMER_CONFLICT,
    CUSTOMER_KEYS,
    CUSTOMER_LIVE,
    customer_source,
)
from tend.service.models import Ticket, TicketTotal


def _seconds(end: str, start: str = "ticket.opened_at"):
    """Seconds from `start` to `end` when `end` is set (0 otherwise), per database."""

    def expression(vendor: str) -> str:
        return f"CASE WHEN {end} IS NULL THEN 0 ELSE {seconds_between(vendor, end, start)} END"

    return expression


TICKET_TOTALS = Summary(
    name="ticket_totals",
    table=TicketTotal._meta.db_table,
    sources=(
        Source(
            "ticket",
            Ticket._meta.db_table,
            (
                "id",
                "customer_id",
                "status",
                "priority",
                "assignee_id",
                "opened_at",
                "first_response_at",
                "resolved_at",
                "deleted_at",
            ),
        ),
        customer_source("ticket"),
    ),
    keys={
        "status": "ticket.status",
        "priority": "ticket.priority",
        "assignee_id": "ticket.assignee_id",
        **CUSTOMER_KEYS,
    },
    measures={
        "ticket_count": "1",
        "responded": "CASE WHEN ticket.first_response_at IS NULL THEN 0 ELSE 1 END",
        "response_seconds": _seconds("ticket.first_response_at"),
        "resolved": "CASE WHEN ticket.resolved_at IS NULL THEN 0 ELSE 1 END",
        "resolution_seconds": _seconds("ticket.resolved_at"),
    },
    live=f"ticket.deleted_at IS NULL AND {CUSTOMER_LIVE}",
    conflict=(
        "status",
        "priority",
        "(COALESCE(assignee_id, 0))",
        *CUSTOMER_CONFLICT,
    ),
)
