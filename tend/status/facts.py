"""The facts conditions may read: named, typed, documented in both languages, each with the
SQL that computes it for the customer row aliased `customer`, as of a moment.

One definition serves both ways a condition runs: compiled into one statement over every
customer (rules), or read for one customer (a guard, or a rule after an event) — the same SQL
with `customer.id = %s`. The values read for one customer are kept with the change they
allowed, so the history shows why.

These facts are computed from the records when read. Facts that need a scan of a customer's
whole history (RFM, growth, health, P(alive)) are materialised per customer by the scheduled
evaluation and read from there; they join this registry as they arrive."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tend.activities.models import Activity
from tend.core.sql import days_between, moment, moment_parameter
from tend.customers.models import Customer
from tend.service.models import OPEN_TICKET_STATUSES, Feedback, FeedbackKind, Ticket
from tend.status.conditions import Condition, Fact, FactSignature, Parameter, Type
from tend.status.models import CustomerFacts, CustomerState, Dimension, State

COMPLAINT_DAYS = 90


# What a fact's argument names: any dimension, an exclusive one, or a state of the dimension
# named before it.
DIMENSION, EXCLUSIVE_DIMENSION, STATE = "dimension", "exclusive dimension", "state"


@dataclass(frozen=True)
class FactDefinition:
    name: str
    type: Type
    description: Promise
    # (arguments, vendor, moment) → (SQL over the row `customer`, parameters)
    sql: Callable[[tuple, str, datetime.datetime], tuple[str, list]]
    parameters: tuple[str, ...] = ()  # DIMENSION, EXCLUSIVE_DIMENSION or STATE each
    states_as_values: bool = False  # the fact's value is a state of its dimension
    # Read from CustomerFacts (refreshed by tend.status.materialized), not the records.
    materialized: bool = False
    values: tuple[str, ...] = ()  # the texts a text fact can take, when fixed


class ModelView:
    """The dimensions and states conditions may name: the database's, or those of a model
    file being checked before anything of it is applied."""

    def __init__(self, dimensions: dict[str, tuple[bool, list[str]]] | None = None):
        # {dimension key: (exclusive, [state keys])}; None: read the database when asked.
        self._dimensions = dimensions

    @property
    def dimensions(self) -> dict[str, tuple[bool, list[str]]]:
        if self._dimensions is None:
            found = {
                key: (exclusive, [])
                for key, exclusive in Dimension.objects.values_list("key", "exclusive")
            }
            for dimension, state in State.objects.values_list("dimension__key", "key"):
                found[dimension][1].append(state)
            self._dimensions = found
        return self._dimensions

    def choices(self, kind: str, before: tuple) -> list[str] | None:
        if kind == DIMENSION:
            return list(self.dimensions)
        if kind == EXCLUSIVE_DIMENSION:
            return [key for key, (exclusive, _states) in self.dimensions.items() if exclusive]
        found = self.dimensions.get(before[0]) if before else None
        return None if found is None else list(found[1])


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _now(vendor: str, now: datetime.datetime) -> tuple[str, list]:
    return moment_parameter(vendor), [moment(now)]


def _count(model, condition: str) -> Callable:
    def sql(arguments, vendor, now):
        return (
            f"(SELECT COUNT(*) FROM {_table(model)} AS record "
            "WHERE record.customer_id = customer.id AND record.deleted_at IS NULL "
            f"AND {condition})",
            [],
        )

    return sql


def _days_since(column: str) -> Callable:
    def sql(arguments, vendor, now):
        moment_sql, params = _now(vendor, now)
        return days_between(vendor, moment_sql, f"customer.{column}"), params

    return sql


def _current_state(column: str) -> str:
    """A subquery over the customer's current states of the dimension named by a parameter."""
    return (
        f"SELECT {column} FROM {_table(CustomerState)} AS current "
        f"JOIN {_table(Dimension)} AS dimension ON dimension.id = current.dimension_id "
        f"JOIN {_table(State)} AS state ON state.id = current.state_id "
        "WHERE current.customer_id = customer.id AND dimension.key = %s"
    )


def _days_in_state(arguments, vendor, now):
    moment_sql, params = _now(vendor, now)
    since = f"({_current_state('MIN(current.since)')})"
    return days_between(vendor, moment_sql, since), [*params, arguments[0]]


def _state(arguments, vendor, now):
    return f"({_current_state('MIN(state.key)')})", [arguments[0]]


def _in_state(arguments, vendor, now):
    return f"EXISTS ({_current_state('1')} AND state.key = %s)", [arguments[0], arguments[1]]


def _complaints(arguments, vendor, now):
    moment_sql, params = _now(vendor, now)
    return (
        f"(SELECT COUNT(*) FROM {_table(Feedback)} AS record "
        "WHERE record.customer_id = customer.id AND record.deleted_at IS NULL "
        f"AND record.kind = '{FeedbackKind.COMPLAINT}' "
        f"AND {days_between(vendor, moment_sql, 'record.received_at')} <= {COMPLAINT_DAYS})",
        params,
    )


def _stored(expression: str) -> Callable:
    """A fact read from the customer's CustomerFacts row (`facts`): unknown without one."""

    def sql(arguments, vendor, now):
        return (
            f"(SELECT {expression} FROM {_table(CustomerFacts)} AS facts "
            "WHERE facts.customer_id = customer.id)",
            [],
        )

    return sql


def _days_overdue(arguments, vendor, now):
    moment_sql, params = _now(vendor, now)
    oldest = (
        f"(SELECT facts.oldest_overdue_on FROM {_table(CustomerFacts)} AS facts "
        "WHERE facts.customer_id = customer.id)"
    )
    return days_between(vendor, moment_sql, oldest), params


def _growth(recent: str, before: str) -> str:
    # Unknown (not infinite) growth from nothing.
    return f"(CAST(facts.{recent} AS DOUBLE PRECISION) / NULLIF(facts.{before}, 0) - 1)"


_open_statuses = ", ".join(f"'{status}'" for status in OPEN_TICKET_STATUSES)

FACTS: dict[str, FactDefinition] = {
    definition.name: definition
    for definition in [
        FactDefinition(
            "valid_activities",
            Type.NUMBER,
            _("Valid communications (有效沟通) logged with the customer, ever."),
            _count(Activity, "record.valid_communication"),
        ),
        FactDefinition(
            "days_since_last_contact",
            Type.NUMBER,
            _("Days since the last logged follow-up; unknown if there was none."),
            _days_since("last_contact_at"),
        ),
        FactDefinition(
            "days_since_last_order",
            Type.NUMBER,
            _("Days since the last order; unknown if there was none."),
            _days_since("last_order_on"),
        ),
        FactDefinition(
            "days_in_state",
            Type.NUMBER,
            _("Days the customer has been in its current state of the dimension."),
            _days_in_state,
            (EXCLUSIVE_DIMENSION,),
        ),
        FactDefinition(
            "state",
            Type.TEXT,
            _("The key of the customer's current state of the dimension; unknown if none."),
            _state,
            (EXCLUSIVE_DIMENSION,),
            states_as_values=True,
        ),
        FactDefinition(
            "in_state",
            Type.BOOLEAN,
            _("Whether the customer is in the state (any dimension, tag-like ones included)."),
            _in_state,
            (DIMENSION, STATE),
        ),
        FactDefinition(
            "open_tickets",
            Type.NUMBER,
            _("Tickets still needing work (open, in progress, waiting on the customer)."),
            _count(Ticket, f"record.status IN ({_open_statuses})"),
        ),
        FactDefinition(
            "activities_90d",
            Type.NUMBER,
            _("Follow-ups logged in the last 90 days."),
            _stored("facts.activities_90d"),
            materialized=True,
        ),
        FactDefinition(
            "orders_365d",
            Type.NUMBER,
            _("Orders in the last 365 days."),
            _stored("facts.orders_365d"),
            materialized=True,
        ),
        FactDefinition(
            "revenue_365d",
            Type.NUMBER,
            _("Order amounts in the last 365 days."),
            _stored("facts.revenue_365d"),
            materialized=True,
        ),
        FactDefinition(
            "revenue_90d",
            Type.NUMBER,
            _("Order amounts in the last 90 days (this rolling quarter)."),
            _stored("facts.revenue_q1"),
            materialized=True,
        ),
        FactDefinition(
            "revenue_prev_90d",
            Type.NUMBER,
            _("Order amounts 90 to 180 days ago (the rolling quarter before)."),
            _stored("facts.revenue_q2"),
            materialized=True,
        ),
        FactDefinition(
            "revenue_growth",
            Type.NUMBER,
            _(
                "Quarter-on-quarter order growth: this rolling quarter's amounts against the "
                "one before, as a fraction (0.2 = 20%); unknown when the quarter before had none."
            ),
            _stored(_growth("revenue_q1", "revenue_q2")),
            materialized=True,
        ),
        FactDefinition(
            "revenue_growth_before",
            Type.NUMBER,
            _("The same growth one quarter earlier (days 90–180 against 180–270)."),
            _stored(_growth("revenue_q2", "revenue_q3")),
            materialized=True,
        ),
        FactDefinition(
            "rfm_recency",
            Type.NUMBER,
            _("RFM recency score, 1–5 (5: ordered most recently); unknown without orders."),
            _stored("facts.r_score"),
            materialized=True,
        ),
        FactDefinition(
            "rfm_frequency",
            Type.NUMBER,
            _("RFM frequency score, 1–5 (5: orders most often)."),
            _stored("facts.f_score"),
            materialized=True,
        ),
        FactDefinition(
            "rfm_monetary",
            Type.NUMBER,
            _("RFM monetary score, 1–5 (5: spends the most)."),
            _stored("facts.m_score"),
            materialized=True,
        ),
        FactDefinition(
            "rfm_segment",
            Type.TEXT,
            _("RFM segment: champion, loyal, new, at_risk, hibernating or regular."),
            _stored("NULLIF(facts.rfm_segment, '')"),
            materialized=True,
            values=("champion", "loyal", "new", "at_risk", "hibernating", "regular"),
        ),
        FactDefinition(
            "overdue_amount",
            Type.NUMBER,
            _("Amount of orders past their due date and not yet paid."),
            _stored("facts.overdue_amount"),
            materialized=True,
        ),
        FactDefinition(
            "overdue_days",
            Type.NUMBER,
            _("Days since the oldest unpaid order fell due; unknown when nothing is overdue."),
            _days_overdue,
            materialized=True,
        ),
        FactDefinition(
            "complaints_90d",
            Type.NUMBER,
            _("Complaints received in the last 90 days."),
            _complaints,
        ),
    ]
}


PARAMETER_NAMES = {DIMENSION: "dimension", EXCLUSIVE_DIMENSION: "dimension", STATE: "state"}


def signatures(view: ModelView | None = None) -> dict[str, FactSignature]:
    """What the condition language knows of every fact, naming the dimensions and states of
    `view` (the database's by default)."""
    view = view or ModelView()

    def choices(kind):
        return lambda before: view.choices(kind, before)

    return {
        name: FactSignature(
            name,
            definition.type,
            tuple(
                Parameter(PARAMETER_NAMES[kind], Type.TEXT, choices=choices(kind))
                for kind in definition.parameters
            ),
            values=choices(STATE)
            if definition.states_as_values
            else ((lambda before, fixed=definition.values: fixed) if definition.values else None),
        )
        for name, definition in FACTS.items()
    }


def fact_sql(fact: Fact, vendor: str, now: datetime.datetime) -> tuple[str, list]:
    """The fact's SQL over the row `customer`, with its parameters, as of `now`."""
    return FACTS[fact.name].sql(tuple(a.value for a in fact.arguments), vendor, now)


def fact_values(
    condition: Condition, customer_id: int, now: datetime.datetime, *, refresh: bool = True
) -> dict:
    """{"name(arguments)": value} of every fact the condition reads, for one customer."""
    return facts_for([condition], customer_id, now, refresh=refresh)


def facts_for(
    conditions_: list[Condition],
    customer_id: int,
    now: datetime.datetime,
    *,
    refresh: bool = True,
) -> dict:
    """{"name(arguments)": value} of every fact the conditions read, for one customer: its
    stored facts refreshed once if any is read (unless the caller just refreshed them), then
    one query for all of them."""
    facts = {}
    for condition in conditions_:
        for fact in condition.facts():
            facts.setdefault(fact_label(fact), fact)
    if not facts:
        return {}
    if refresh and any(FACTS[fact.name].materialized for fact in facts.values()):
        from tend.status.materialized import refresh_facts

        refresh_facts(now, customer_ids=[customer_id])
    vendor = connection.vendor
    columns, params = [], []
    for fact in facts.values():
        sql, fact_params = fact_sql(fact, vendor, now)
        columns.append(sql)
        params += fact_params
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(columns)} FROM {_table(Customer)} AS customer "
            "WHERE customer.id = %s",
            [*params, customer_id],
        )
        row = cursor.fetchone()
    return dict(zip(facts, row or [], strict=False))


def fact_label(fact: Fact) -> str:
    """How a fact with its arguments is written: days_in_state("lifecycle")."""
    if not fact.arguments:
        return fact.name
    arguments = ", ".join(
        f'"{argument.value}"' if isinstance(argument.value, str) else str(argument.value)
        for argument in fact.arguments
    )
    return f"{fact.name}({arguments})"
