"""Reading customers' status: where they stand now, where they stood at a moment, what
changed between two moments, and how long they have been where they are — each one indexed
query."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.utils import timezone

from tend.customers.models import Customer
from tend.status.models import (
    ChecklistTick,
    CustomerState,
    Dimension,
    State,
    StateChange,
    Transition,
    TransitionRequest,
)


def current_states(customer: Customer) -> dict[int, list[CustomerState]]:
    """{dimension id: the customer's current states there} (one query)."""
    found = defaultdict(list)
    for row in CustomerState.objects.filter(customer=customer).select_related(
        "state", "change", "change__actor"
    ):
        found[row.dimension_id].append(row)
    return dict(found)


def state_as_of(
    customer: Customer, dimension: Dimension, moment: datetime.datetime
) -> State | None:
    """The customer's state of an exclusive dimension at `moment`: the last change at or
    before it (one indexed query on (customer, dimension, at))."""
    change = (
        StateChange.objects.filter(customer=customer, dimension=dimension, at__lte=moment)
        .select_related("to_state")
        .order_by("-at", "-id")
        .first()
    )
    return change.to_state if change else None


def states_as_of(dimension: Dimension, moment: datetime.datetime) -> QuerySet[StateChange]:
    """For every customer with a history on an exclusive dimension, its last change at or
    before `moment` (whose to_state is where it stood): one grouped pass over the
    dimension's index."""
    last = (
        StateChange.objects.filter(
            dimension=dimension, customer=OuterRef("customer"), at__lte=moment
        )
        .order_by("-at", "-id")
        .values("id")[:1]
    )
    return StateChange.objects.filter(
        dimension=dimension, at__lte=moment, id=Subquery(last)
    ).select_related("to_state")


def changes_between(
    dimension: Dimension, start: datetime.datetime, end: datetime.datetime
) -> QuerySet[StateChange]:
    """The dimension's changes with start <= at < end, oldest first (an index range)."""
    return (
        StateChange.objects.filter(dimension=dimension, at__gte=start, at__lt=end)
        .select_related("customer", "from_state", "to_state", "actor")
        .order_by("at", "id")
    )


def customer_history(customer: Customer, dimension: Dimension | None = None, limit: int = 100):
    """The customer's changes, newest first."""
    changes = StateChange.objects.filter(customer=customer)
    if dimension is not None:
        changes = changes.filter(dimension=dimension)
    return list(
        changes.select_related("dimension", "from_state", "to_state", "actor").order_by(
            "-at", "-id"
        )[:limit]
    )


def replayed_states(customer: Customer) -> dict[int, set[int]]:
    """{dimension id: state ids} obtained by replaying the customer's history from the
    start — which must equal its current states."""
    states: dict[int, set[int]] = defaultdict(set)
    for change in StateChange.objects.filter(customer=customer).order_by("at", "id"):
        held = states[change.dimension_id]
        if change.from_state_id is not None:
            held.discard(change.from_state_id)
        if change.to_state_id is not None:
            held.add(change.to_state_id)
    return {dimension: held for dimension, held in states.items() if held}


def pending_requests(customer: Customer | None = None) -> QuerySet[TransitionRequest]:
    requests = TransitionRequest.objects.filter(status="pending")
    if customer is not None:
        requests = requests.filter(customer=customer)
    return requests.select_related("customer", "dimension", "to_state", "requested_by")


@dataclass
class DimensionPanel:
    """One dimension of a customer, as the customer page shows it: where the customer stands,
    where it may go from there (with each move's checklist and whether it needs approval),
    and a move waiting for approval."""

    dimension: Dimension
    current: list[CustomerState]
    moves: list[Transition]
    ticked: set[int]  # ids of the checklist steps ticked for this customer
    pending: TransitionRequest | None
    rules: list = field(default_factory=list)  # the rules that could change it (RuleOutlook)


def status_panels(customer: Customer) -> list[DimensionPanel]:
    """Every dimension of the model for the customer page: a fixed number of queries."""
    dimensions_ = list(Dimension.objects.all())
    current = current_states(customer)
    transitions = defaultdict(list)
    for transition in (
        Transition.objects.select_related("from_state", "to_state")
        .prefetch_related("steps")
        .order_by("to_state__order", "id")
    ):
        transitions[transition.dimension_id].append(transition)
    ticked = set(ChecklistTick.objects.filter(customer=customer).values_list("step_id", flat=True))
    pending = {
        request.dimension_id: request
        for request in pending_requests(customer).select_related("transition")
    }
    panels = []
    for dimension in dimensions_:
        rows = current.get(dimension.pk, [])
        held = {row.state_id for row in rows}
        source = rows[0].state_id if dimension.exclusive and rows else None
        moves = [
            transition
            for transition in transitions[dimension.pk]
            if transition.to_state_id not in held
            and (transition.from_state_id is None or transition.from_state_id == source)
        ]
        # One move per target: one from exactly the current state wins over one from any.
        by_target = {}
        for transition in sorted(moves, key=lambda t: t.from_state_id is not None):
            by_target[transition.to_state_id] = transition
        panels.append(
            DimensionPanel(
                dimension,
                rows,
                sorted(by_target.values(), key=lambda t: (t.to_state.order, t.to_state_id)),
                ticked,
                pending.get(dimension.pk),
            )
        )
    return panels


STALE_DAYS = 90


def stale_states(user, days: int = STALE_DAYS, now=None, limit: int = 50):
    """The status review: per dimension, the visible customers whose state has not changed
    and who have had no follow-up for `days` days, longest first — (count, first rows)."""
    from tend.customers.selectors import customer_visibility

    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    stale = CustomerState.objects.filter(
        customer_visibility(user),
        since__lt=cutoff,
        customer__deleted_at__isnull=True,
    ).filter(Q(customer__last_contact_at__isnull=True) | Q(customer__last_contact_at__lt=cutoff))
    counts = dict(stale.order_by().values_list("dimension_id").annotate(count=Count("id")))
    review = []
    for dimension in Dimension.objects.all():
        count = counts.get(dimension.pk, 0)
        rows = (
            list(
                stale.filter(dimension=dimension)
                .select_related("customer", "customer__owner", "state")
                .order_by("since", "id")[:limit]
            )
            if count
            else []
        )
        review.append((dimension, count, rows))
    return review


def visible_pending_requests(user):
    """Moves waiting for approval on customers the user may see, oldest first."""
    from tend.customers.selectors import customer_visibility

    return (
        pending_requests()
        .filter(customer_visibility(user))
        .select_related("transition")
        .order_by("requested_at", "id")
    )


def customers_where(condition_text: str, now=None) -> RawSQL:
    """The ids of the customers a condition over facts holds for, as a subquery for a
    list's filter (compiled to SQL once, the same as a rule's). A mistake raises
    ValidationFailed with its position, in the user's language."""
    from django.db import connection

    from tend.core.errors import ValidationFailed
    from tend.core.sql import quoted_table
    from tend.status import conditions
    from tend.status.facts import fact_sql, signatures

    try:
        condition = conditions.parse(condition_text, signatures())
    except conditions.ConditionErrors as errors:
        messages = [str(error) for error in errors.errors]
        raise ValidationFailed(" ".join(messages), field_errors={"condition": messages}) from None
    vendor, now = connection.vendor, now or timezone.now()
    where, params = conditions.to_sql(condition, lambda fact: fact_sql(fact, vendor, now))
    return RawSQL(
        f"SELECT customer.id FROM {quoted_table(Customer)} AS customer WHERE {where}", params
    )


def notifications_for(user, *, limit: int = 100):
    """The user's notifications, unread first, newest first; and how many are unread."""
    from tend.status.models import Notification

    mine = Notification.objects.filter(recipient=user)
    unread = mine.filter(read_at__isnull=True).count()
    rows = list(
        mine.select_related("customer").order_by(
            F("read_at").asc(nulls_first=True), "-created_at", "-id"
        )[:limit]
    )
    return rows, unread
