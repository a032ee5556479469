"""Follow-up cadence (PRODUCT.md S7, seed 004): a customer's grade says how often it must be
followed up — A daily, B weekly, C every 15 days, D monthly, E yearly by default, each
state's `follow_up_days`, edited with the model — which gives every customer the date its
next follow-up is due, and every rep a worklist of due and overdue follow-ups (今日待跟进).

**The grade dimension** is the dimension whose states carry a cadence. The model file allows
cadences on one exclusive dimension only, so code never names it by its key.

**The due date** is the cadence counted from the last contact's day (from the day the
customer was created, if it was never contacted), brought forward to the follow-up the rep
planned on an activity (C3) while that plan is still open: a planned date after the last
contact's day (a contact on or after the planned day fulfilled it). The cadence is the most
time a grade may go without a follow-up (seed 004: at least once a day, a week …), so a
plan can bring the date forward but never push it back. Without a cadence (no grade, or a
grade without one) the open plan alone; with neither, no date. Days are counted in the
server's time zone (TIME_ZONE).

**Where it lives.** On the customer (`follow_up_due_on`, with `follow_up_rank`, the grade's
place among the grades, A first), indexed with the owner, so a rep's worklist is one index
range read in order, a page at a time, at any number of customers. It is computed by one SQL
statement (`follow_up_values`) for one customer or for all, and rewritten by the writes that
change what it is computed from: an activity logged, changed, deleted, restored or imported
(the customer's contact time nodes), a grade changed (`change_state`), a cadence or the order
of the grades changed in the model (`apply_model`)."""

import base64
import binascii
import datetime
import json
from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    Case,
    DateField,
    Exists,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.db.models.lookups import IsNull, LessThan
from django.db.models.sql import UpdateQuery
from django.utils import timezone
from django.utils.translation import gettext as _

from tend.accounts.models import User
from tend.core.errors import ValidationFailed
from tend.core.ids import parse_record_id
from tend.core.pagination import Page, encode_cursor
from tend.core.sql import day_sql
from tend.customers.models import UNGRADED_RANK, Customer
from tend.customers.selectors import visible_customers
from tend.status.models import CustomerState, State

WORKLIST_PAGE = 25


class AddDays(Func):
    """A date plus a whole number of days (NULL if either is NULL)."""

    arity = 2
    output_field = DateField()

    def as_sql(self, compiler, connection, **extra):
        date, days = self.get_source_expressions()
        date_sql, date_params = compiler.compile(date)
        days_sql, days_params = compiler.compile(days)
        params = (*date_params, *days_params)
        if connection.vendor == "postgresql":
            return f"({date_sql} + {days_sql})", params
        return f"date({date_sql}, '+' || ({days_sql}) || ' days')", params


def grade_dimension_ids(state_model=State) -> QuerySet:
    """The grade dimension's id (a subquery): the dimension whose states carry a cadence."""
    return (
        state_model.objects.filter(follow_up_days__isnull=False)
        .order_by("dimension__order", "dimension_id")
        .values("dimension_id")[:1]
    )


def follow_up_values(*, customer_state_model=CustomerState, state_model=State) -> dict:
    """{column: expression} that sets a customer's due date and rank in an UPDATE of
    customers (the models may be a migration's)."""
    grade = customer_state_model.objects.filter(
        customer=OuterRef("pk"), dimension_id__in=grade_dimension_ids(state_model)
    )
    days = Subquery(grade.values("state__follow_up_days")[:1])
    rank = Subquery(grade.values("state__order")[:1])
    cadence_due = AddDays(TruncDate(Coalesce("last_contact_at", "created_at")), days)
    plan = F("next_follow_up_on")
    plan_open = Q(next_follow_up_on__isnull=False) & (
        Q(last_contact_at__isnull=True) | Q(next_follow_up_on__gt=TruncDate("last_contact_at"))
    )
    due = Case(
        When(plan_open & Q(IsNull(days, True)), then=plan),
        When(plan_open & Q(LessThan(plan, cadence_due)), then=plan),
        default=cadence_due,
        output_field=DateField(),
    )
    return {"follow_up_due_on": due, "follow_up_rank": Coalesce(rank, Value(UNGRADED_RANK))}


def _concerned(customers: QuerySet) -> QuerySet:
    """The customers whose due date may change: not those that have none and would get none
    (no grade, no plan) — on PostgreSQL each written row goes into every index of the
    customer table."""
    graded = CustomerState.objects.filter(
        customer=OuterRef("pk"), dimension_id__in=grade_dimension_ids()
    )
    return customers.filter(
        Q(follow_up_due_on__isnull=False)
        | Q(next_follow_up_on__isnull=False)
        | Q(follow_up_rank__lt=UNGRADED_RANK)
        | Q(Exists(graded))
    )


def refresh_follow_up_due(customers: QuerySet | None = None) -> int:
    """Recompute the due date of these customers (every customer by default) in one
    statement; the number of customers written."""
    customers = Customer.objects.all() if customers is None else customers
    return _concerned(customers).update(**follow_up_values())


# One customer's statement, compiled once per database and time zone: building it through the
# ORM takes several milliseconds, running it a fraction of one.
_ONE_CUSTOMER: dict[tuple, tuple[str, list, int]] = {}
_MARKER = -8_214_663_590


def refresh_customer_follow_up(customer_id: int) -> None:
    """refresh_follow_up_due for one customer (after each activity logged or grade moved)."""
    key = (connection.alias, connection.vendor, timezone.get_current_timezone_name())
    if key not in _ONE_CUSTOMER:
        query = _concerned(Customer.objects.filter(pk=_MARKER)).query.chain(UpdateQuery)
        query.add_update_values(follow_up_values())
        sql, params = query.get_compiler(connection.alias).as_sql()
        _ONE_CUSTOMER[key] = (sql, list(params), list(params).index(_MARKER))
    sql, params, position = _ONE_CUSTOMER[key]
    params = [*params[:position], customer_id, *params[position + 1 :]]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def after_state_change(customer_id: int, *states: State | None) -> None:
    """For change_state: the due date follows the grade when the state left or entered
    belongs to the grade dimension (a state with a cadence, or one of its dimension's)."""
    dimension_ids = {state.dimension_id for state in states if state is not None}
    if paces_follow_ups(dimension_ids):
        refresh_customer_follow_up(customer_id)


def paces_follow_ups(dimension_ids) -> bool:
    """Whether one of these dimensions is the grade (its states carry a cadence)."""
    return bool(dimension_ids) and (
        State.objects.filter(dimension_id__in=dimension_ids, follow_up_days__isnull=False).exists()
    )


def days_to_follow_up_sql(arguments, vendor: str, now: datetime.datetime) -> tuple[str, list]:
    """The fact next_follow_up_in_days over the row `customer`: days from `now`'s day to the
    due date (negative when overdue; unknown without one)."""
    today, params = day_sql(vendor, timezone.localdate(now))
    if vendor == "postgresql":
        return f"(customer.follow_up_due_on - {today})", params
    return (
        f"CAST(ROUND(julianday(customer.follow_up_due_on) - julianday({today})) AS INTEGER)",
        params,
    )


# --- the grade --------------------------------------------------------------------------------


def grade_states(customer: Customer | None = None) -> list[State]:
    """The grade dimension's states in order, with their dimension (one query); with a
    customer, each state's `held` says whether the customer is in it. Empty without a grade
    dimension."""
    states = (
        State.objects.filter(dimension_id=Subquery(grade_dimension_ids()))
        .select_related("dimension")
        .order_by("order", "id")
    )
    if customer is not None:
        states = states.annotate(
            held=Exists(CustomerState.objects.filter(customer=customer, state=OuterRef("pk")))
        )
    return list(states)


# --- the worklist (今日待跟进) ----------------------------------------------------------------


@dataclass
class FollowUpDue:
    customer: Customer
    grade: State | None
    days_overdue: int  # 0: due today

    @property
    def cadence_days(self) -> int | None:
        return self.grade.follow_up_days if self.grade else None


# tend.core.pagination.keyset_page follows one sort column; this list follows two (the due
# date, then the grade), so its cursor holds both, encoded the same way.


def _encode(customer: Customer) -> str:
    return encode_cursor(
        [customer.follow_up_due_on.isoformat(), customer.follow_up_rank], customer.pk
    )


def _decode(cursor: str) -> tuple[datetime.date, int, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        (due, rank), last_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return datetime.date.fromisoformat(due), int(rank), int(last_id)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise ValidationFailed(field_errors={"cursor": [_("Invalid cursor.")]}) from exc


def follow_up_worklist(
    user: User,
    *,
    owner=None,
    cursor: str | None = None,
    limit: int = WORKLIST_PAGE,
    today: datetime.date | None = None,
) -> Page:
    """One page of the follow-ups due today or overdue for `owner`'s customers (the user's by
    default; another owner's only as far as the user may see them), most overdue first, then
    by grade (A first), then by id: one range of the customer_follow_up_due index, plus one
    query for the grades."""
    today = today or timezone.localdate()
    owner_id = user.pk if owner in (None, "", "me") else parse_record_id(owner)
    states = {state.pk: state for state in grade_states()}
    dimension_id = next(iter(states.values())).dimension_id if states else None
    customers = (
        visible_customers(user)
        .filter(owner_id=owner_id, follow_up_due_on__isnull=False, follow_up_due_on__lte=today)
        .annotate(
            grade_state_id=Subquery(
                CustomerState.objects.filter(
                    customer=OuterRef("pk"), dimension_id=dimension_id
                ).values("state_id")[:1]
            )
        )
        .order_by("follow_up_due_on", "follow_up_rank", "id")
    )
    if owner_id is None:
        customers = customers.none()
    if cursor:
        due, rank, last_id = _decode(cursor)
        customers = customers.filter(follow_up_due_on__gte=due).filter(
            Q(follow_up_due_on__gt=due)
            | Q(follow_up_due_on=due, follow_up_rank__gt=rank)
            | Q(follow_up_due_on=due, follow_up_rank=rank, id__gt=last_id)
        )
    rows = list(customers[: limit + 1])
    next_cursor = _encode(rows[limit - 1]) if len(rows) > limit else None
    items = [
        FollowUpDue(
            customer=customer,
            grade=states.get(customer.grade_state_id),
            days_overdue=(today - customer.follow_up_due_on).days,
        )
        for customer in rows[:limit]
    ]
    return Page(items=items, next_cursor=next_cursor, ordering="follow_up_due_on")
