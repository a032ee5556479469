"""Reading tickets and feedback. Both follow their customer's visibility: a ticket or a piece
of feedback is visible exactly when its customer is."""

import dataclasses
import datetime
from dataclasses import dataclass

from django.db.models import (
    Avg,
    Count,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from tend.accounts.models import User
from tend.audit.models import AuditEntry
from tend.core.ids import get_or_not_found, parse_record_id
from tend.core.pagination import Page, capped_count, keyset_page
from tend.core.sql import seconds_between
from tend.core.timeline import TimelineCursor, TimelineEntry
from tend.customers.models import Customer
from tend.customers.selectors import customer_scope, customer_visibility
from tend.service.models import (
    OPEN_FEEDBACK_STATUSES,
    OPEN_TICKET_STATUSES,
    Feedback,
    FeedbackEscalation,
    FeedbackKind,
    FeedbackSeverity,
    FeedbackStatus,
    Ticket,
    TicketComment,
    TicketPriority,
    TicketStatus,
    TicketTotal,
)

# List orders: newest first, or most urgent (severe) first with the newest first among equals.
TICKET_ORDERINGS = {"newest": "-opened_at", "priority": "-priority_rank"}
FEEDBACK_ORDERINGS = {"newest": "-received_at", "severity": "-severity_rank"}
# How far back "recent complaints" reach.
COMPLAINT_WINDOW = datetime.timedelta(days=90)


# --- tickets ----------------------------------------------------------------------------------


def visible_tickets(user: User) -> QuerySet[Ticket]:
    return Ticket.objects.filter(customer_visibility(user), deleted_at__isnull=True)


def access_ticket(user: User, ticket_id) -> Ticket:
    return get_or_not_found(
        visible_tickets(user).select_related("customer", "contact", "assignee", "opened_by"),
        ticket_id,
    )


@dataclass
class TicketFilters:
    status: str = ""
    priority: str = ""
    assignee: str = ""  # a user id, "me" or "none"
    customer: int | None = None
    open_only: bool = False


def _by_assignee(records: QuerySet, user: User, assignee: str) -> QuerySet:
    if assignee == "me":
        return records.filter(assignee_id=user.pk)
    if assignee == "none":
        return records.filter(assignee__isnull=True)
    if assignee:
        assignee_id = parse_record_id(assignee)
        return records.filter(assignee_id=assignee_id) if assignee_id else records.none()
    return records


def _by_customer(records: QuerySet, customer) -> QuerySet:
    if customer in (None, ""):
        return records
    customer_id = parse_record_id(customer)
    return records.filter(customer_id=customer_id) if customer_id else records.none()


def filter_tickets(user: User, filters: TicketFilters) -> QuerySet[Ticket]:
    tickets = visible_tickets(user)
    if filters.status:
        if filters.status not in TicketStatus.values:
            return tickets.none()
        tickets = tickets.filter(status=filters.status)
    if filters.priority:
        if filters.priority not in TicketPriority.values:
            return tickets.none()
        tickets = tickets.filter(priority=filters.priority)
    if filters.open_only:
        tickets = tickets.filter(status__in=OPEN_TICKET_STATUSES)
    tickets = _by_assignee(tickets, user, filters.assignee)
    return _by_customer(tickets, filters.customer)


def ticket_page(
    user: User,
    filters: TicketFilters,
    *,
    ordering: str = "newest",
    cursor: str | None = None,
    limit: int = 25,
) -> Page:
    """One keyset page of the tickets matching `filters`; `ordering` is newest or priority."""
    tickets = filter_tickets(user, filters).select_related("customer", "assignee", "opened_by")
    return keyset_page(tickets, TICKET_ORDERINGS.get(ordering, "-opened_at"), cursor, limit)


def _kept_totals(user: User, filters: TicketFilters) -> QuerySet[TicketTotal] | None:
    """The kept totals (TicketTotal) of the visible tickets matching `filters`, or None when
    a filter needs the tickets themselves (one customer's). The totals are keyed by status,
    priority, assignee and the customer's owner and team."""
    if filters.customer not in (None, ""):
        return None
    totals = TicketTotal.objects.filter(customer_scope(user))
    if filters.status:
        totals = totals.filter(status=filters.status)
    if filters.priority:
        totals = totals.filter(priority=filters.priority)
    if filters.open_only:
        totals = totals.filter(status__in=OPEN_TICKET_STATUSES)
    return _by_assignee(totals, user, filters.assignee)


def ticket_status_counts(user: User, filters: TicketFilters | None = None) -> dict:
    """{status: (count, more than the cap)} over the visible tickets matching `filters` (the
    status filter aside): exact, from the kept totals, in one query; for one customer's
    tickets, one capped count per status, each an index range."""
    filters = dataclasses.replace(filters or TicketFilters(), status="")
    totals = _kept_totals(user, filters)
    if totals is None:
        base = filter_tickets(user, filters)
        return {status: capped_count(base.filter(status=status)) for status in TicketStatus.values}
    counts = dict(totals.order_by().values_list("status").annotate(count=Sum("ticket_count")))
    return {status: (counts.get(status) or 0, False) for status in TicketStatus.values}


def ticket_comments(ticket: Ticket) -> QuerySet[TicketComment]:
    """The ticket's thread, oldest first."""
    return ticket.comments.select_related("author").order_by("at", "id")


def ticket_history(ticket: Ticket, limit: int = 50) -> list[AuditEntry]:
    """The latest changes of the ticket (status moves with their notes among them), newest
    first."""
    entries = AuditEntry.objects.filter(
        object_type=Ticket._meta.label_lower, object_id=ticket.pk
    ).select_related("actor")
    return list(entries.order_by("-at", "-id")[:limit])


def customer_tickets(customer: Customer, limit: int = 20) -> list[Ticket]:
    """The customer's latest tickets, for its page."""
    return list(
        Ticket.objects.filter(customer=customer, deleted_at__isnull=True)
        .select_related("assignee")
        .order_by("-opened_at", "-id")[:limit]
    )


@dataclass
class TicketTimes:
    """Averages over tickets that have the time (None when none has)."""

    first_response: datetime.timedelta | None
    resolution: datetime.timedelta | None
    responded: int
    resolved: int


class _SecondsBetween(Func):
    """Seconds from one datetime column to another, in the database's own arithmetic
    (tend.core.sql): the generic `F(end) - F(start)` runs a Python function per row on
    SQLite (seconds, over a million tickets)."""

    arity = 2
    output_field = FloatField()

    def as_sql(self, compiler, connection, **extra_context):
        end, end_params = compiler.compile(self.source_expressions[0])
        start, start_params = compiler.compile(self.source_expressions[1])
        return seconds_between(connection.vendor, end, start), [*end_params, *start_params]


def _average_duration(seconds) -> datetime.timedelta | None:
    # To the millisecond: SQLite's julianday() carries about ten microseconds of float error.
    return None if seconds is None else datetime.timedelta(seconds=round(seconds, 3))


def ticket_times(user: User, filters: TicketFilters | None = None) -> TicketTimes:
    """Average first-response and resolution times of the visible tickets matching
    `filters`, in one query: over the kept sums, or over one customer's tickets."""
    filters = filters or TicketFilters()
    totals = _kept_totals(user, filters)
    if totals is None:
        result = filter_tickets(user, filters).aggregate(
            first_response=Avg(_SecondsBetween("first_response_at", "opened_at")),
            resolution=Avg(_SecondsBetween("resolved_at", "opened_at")),
            responded=Count("id", filter=Q(first_response_at__isnull=False)),
            resolved=Count("id", filter=Q(resolved_at__isnull=False)),
        )
    else:
        sums = totals.aggregate(
            response_seconds=Sum("response_seconds"),
            responded=Sum("responded"),
            resolution_seconds=Sum("resolution_seconds"),
            resolved=Sum("resolved"),
        )
        result = {
            "first_response": _ratio(sums["response_seconds"], sums["responded"]),
            "resolution": _ratio(sums["resolution_seconds"], sums["resolved"]),
            "responded": sums["responded"] or 0,
            "resolved": sums["resolved"] or 0,
        }
    result["first_response"] = _average_duration(result["first_response"])
    result["resolution"] = _average_duration(result["resolution"])
    return TicketTimes(**result)


def _ratio(total, count) -> float | None:
    return total / count if count else None


def ticket_timeline_entries(customer_id: int, cursor: TimelineCursor, limit: int) -> list:
    """Tickets opened, as events of the customer's timeline (see tend.core.timeline)."""
    tickets = (
        Ticket.objects.filter(customer_id=customer_id, deleted_at__isnull=True)
        .filter(cursor.before("ticket", "opened_at"))
        .select_related("assignee")
        .order_by("-opened_at", "-id")[:limit]
    )
    return [
        TimelineEntry(ticket.opened_at, "ticket", ticket.pk, ticket, "web/timeline/ticket.html")
        for ticket in tickets
    ]


# --- feedback ---------------------------------------------------------------------------------


def visible_feedback(user: User) -> QuerySet[Feedback]:
    return Feedback.objects.filter(customer_visibility(user), deleted_at__isnull=True)


def access_feedback(user: User, feedback_id) -> Feedback:
    return get_or_not_found(
        visible_feedback(user).select_related("customer", "contact", "ticket", "created_by"),
        feedback_id,
    )


@dataclass
class FeedbackFilters:
    status: str = ""
    kind: str = ""
    severity: str = ""
    customer: int | None = None
    open_only: bool = False


def filter_feedback(user: User, filters: FeedbackFilters) -> QuerySet[Feedback]:
    feedback = visible_feedback(user)
    for name, choices in (
        ("status", FeedbackStatus),
        ("kind", FeedbackKind),
        ("severity", FeedbackSeverity),
    ):
        value = getattr(filters, name)
        if not value:
            continue
        if value not in choices.values:
            return feedback.none()
        feedback = feedback.filter(**{name: value})
    if filters.open_only:
        feedback = feedback.filter(status__in=OPEN_FEEDBACK_STATUSES)
    return _by_customer(feedback, filters.customer)


def feedback_page(
    user: User,
    filters: FeedbackFilters,
    *,
    ordering: str = "newest",
    cursor: str | None = None,
    limit: int = 25,
) -> Page:
    """One keyset page of the feedback matching `filters`; `ordering` is newest or severity."""
    feedback = filter_feedback(user, filters).select_related("customer", "created_by")
    return keyset_page(feedback, FEEDBACK_ORDERINGS.get(ordering, "-received_at"), cursor, limit)


def feedback_status_counts(user: User, filters: FeedbackFilters | None = None) -> dict:
    """{status: (count, more than the cap)} over the visible feedback matching `filters`."""
    filters = filters or FeedbackFilters()
    base = filter_feedback(user, dataclasses.replace(filters, status=""))
    return {status: capped_count(base.filter(status=status)) for status in FeedbackStatus.values}


def feedback_escalations(feedback: Feedback) -> QuerySet[FeedbackEscalation]:
    """The feedback's escalations, oldest first."""
    return feedback.escalations.select_related("by").order_by("at", "id")


def customer_feedback(customer: Customer, limit: int = 20) -> list[Feedback]:
    return list(
        Feedback.objects.filter(customer=customer, deleted_at__isnull=True).order_by(
            "-received_at", "-id"
        )[:limit]
    )


def feedback_timeline_entries(customer_id: int, cursor: TimelineCursor, limit: int) -> list:
    """Feedback received, as events of the customer's timeline."""
    feedback = (
        Feedback.objects.filter(customer_id=customer_id, deleted_at__isnull=True)
        .filter(cursor.before("feedback", "received_at"))
        .order_by("-received_at", "-id")[:limit]
    )
    return [
        TimelineEntry(item.received_at, "feedback", item.pk, item, "web/timeline/feedback.html")
        for item in feedback
    ]


# --- per customer -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceCounts:
    open_tickets: int = 0
    recent_complaints: int = 0


def _count_of(queryset: QuerySet) -> Subquery:
    counted = queryset.order_by().values("customer_id").annotate(total=Count("id"))
    return Coalesce(Subquery(counted.values("total")[:1]), Value(0))


def service_counts(customer_ids, *, now: datetime.datetime | None = None) -> dict:
    """{customer id: ServiceCounts} — open tickets, and complaints received in the last 90
    days — for a page of customers, in one query. Visibility is the caller's: pass ids of
    customers the reader may see."""
    ids = [customer_id for customer_id in customer_ids if customer_id]
    if not ids:
        return {}
    since = (now or timezone.now()) - COMPLAINT_WINDOW
    rows = (
        Customer.objects.filter(pk__in=ids)
        .annotate(
            open_tickets=_count_of(
                Ticket.objects.filter(
                    customer_id=OuterRef("pk"),
                    deleted_at__isnull=True,
                    status__in=OPEN_TICKET_STATUSES,
                )
            ),
            recent_complaints=_count_of(
                Feedback.objects.filter(
                    customer_id=OuterRef("pk"),
                    deleted_at__isnull=True,
                    kind=FeedbackKind.COMPLAINT,
                    received_at__gte=since,
                )
            ),
        )
        .values_list("pk", "open_tickets", "recent_complaints")
    )
    counts = {customer_id: ServiceCounts() for customer_id in ids}
    for customer_id, open_tickets, recent_complaints in rows:
        counts[customer_id] = ServiceCounts(open_tickets, recent_complaints)
    return counts


def customer_service_counts(customer: Customer, *, now=None) -> ServiceCounts:
    return service_counts([customer.pk], now=now)[customer.pk]
