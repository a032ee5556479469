"""The facts conditions may read: named, typed, documented in both languages, each with the
SQL that computes it for the customer row aliased `customer`, as of a moment.

One definition serves both ways a condition runs: compiled into one statement over every
customer (rules), or read for one customer (a guard, or a rule after an event) — the same SQL
with `customer.id = %s`. The values read for one customer are kept with the change they
allowed, so the history shows why.

These facts are computed from the records when read. Facts that need a scan of a customer's
whole history (RFM, growth, health, P(alive)) are materialised per customer by the scheduled
evaluation (tend.status.materialized) and read from there.

Custom fields are facts too, by their key: field_number("budget"), field_text("tier"),
field_boolean("vip"), days_until_field("renewal_date") — read from the customer's JSON with
each database's own functions, unknown when the customer has no value (or one of another
type); a condition naming a field that does not exist, or one of another type, is refused."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tend.activities.models import Activity
from tend.contracts.models import SIGNED_STATUSES, Contract, ContractStatus
from tend.core.sql import day_sql, days_between, moment_sql, quoted_table
from tend.customers.models import Contact, Customer, CustomerKind, CustomFieldDefinition
from tend.customers.models import CustomFieldType as FieldType
from tend.service.models import OPEN_TICKET_STATUSES, Feedback, FeedbackKind, Ticket
from tend.status.cadence import days_to_follow_up_sql
from tend.status.conditions import Condition, Fact, FactSignature, Parameter, Type
from tend.status.materialized import days_from
from tend.status.models import CustomerFacts, CustomerState, Dimension, State

COMPLAINT_DAYS = 90


# What a fact's argument names: any dimension, an exclusive one, or a state of the dimension
# named before it.
DIMENSION, EXCLUSIVE_DIMENSION, STATE = "dimension", "exclusive dimension", "state"
# … or the key of a custom field of a type: these kinds are named after what they accept.
NUMBER_FIELD, TEXT_FIELD, BOOLEAN_FIELD, DATE_FIELD = (
    "number field",
    "text or choice field",
    "yes / no field",
    "date field",
)
FIELD_TYPES = {
    NUMBER_FIELD: (FieldType.NUMBER,),
    TEXT_FIELD: (FieldType.TEXT, FieldType.CHOICE),
    BOOLEAN_FIELD: (FieldType.BOOLEAN,),
    DATE_FIELD: (FieldType.DATE,),
}


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
    # The fact's value is a custom field's, so a choice field's choices are its values.
    field_choices_as_values: bool = False


class ModelView:
    """The dimensions and states conditions may name: the database's, or those of a model
    file being checked before anything of it is applied."""

    def __init__(self, dimensions: dict[str, tuple[bool, list[str]]] | None = None):
        # {dimension key: (exclusive, [state keys])}; None: read the database when asked.
        self._dimensions = dimensions
        self._fields = None

    @property
    def fields(self) -> dict[str, tuple[str, list]]:
        """{custom field key: (type, choices)}: always the database's (a model file holds
        none)."""
        if self._fields is None:
            self._fields = {
                key: (kind, list(choices or []))
                for key, kind, choices in CustomFieldDefinition.objects.values_list(
                    "key", "field_type", "choices"
                )
            }
        return self._fields

    def field_choices(self, key: str) -> list[str] | None:
        kind, choices = self.fields.get(key, ("", []))
        if kind != FieldType.CHOICE:
            return None
        return [choice for choice in choices if isinstance(choice, str)]

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
        if kind in FIELD_TYPES:
            return [key for key, (type_, _c) in self.fields.items() if type_ in FIELD_TYPES[kind]]
        if kind == DIMENSION:
            return list(self.dimensions)
        if kind == EXCLUSIVE_DIMENSION:
            return [key for key, (exclusive, _states) in self.dimensions.items() if exclusive]
        found = self.dimensions.get(before[0]) if before else None
        return None if found is None else list(found[1])


def _count(model, condition: str) -> Callable:
    def sql(arguments, vendor, now):
        return (
            f"(SELECT COUNT(*) FROM {quoted_table(model)} AS record "
            "WHERE record.customer_id = customer.id AND record.deleted_at IS NULL "
            f"AND {condition})",
            [],
        )

    return sql


def _days_since(column: str) -> Callable:
    def sql(arguments, vendor, now):
        now_sql, params = moment_sql(vendor, now)
        return days_between(vendor, now_sql, f"customer.{column}"), params

    return sql


def _current_state(column: str) -> str:
    """A subquery over the customer's current states of the dimension named by a parameter."""
    return (
        f"SELECT {column} FROM {quoted_table(CustomerState)} AS current "
        f"JOIN {quoted_table(Dimension)} AS dimension ON dimension.id = current.dimension_id "
        f"JOIN {quoted_table(State)} AS state ON state.id = current.state_id "
        "WHERE current.customer_id = customer.id AND dimension.key = %s"
    )


def _days_in_state(arguments, vendor, now):
    now_sql, params = moment_sql(vendor, now)
    since = f"({_current_state('MIN(current.since)')})"
    return days_between(vendor, now_sql, since), [*params, arguments[0]]


def _state(arguments, vendor, now):
    return f"({_current_state('MIN(state.key)')})", [arguments[0]]


def _in_state(arguments, vendor, now):
    return f"EXISTS ({_current_state('1')} AND state.key = %s)", [arguments[0], arguments[1]]


def _complaints(arguments, vendor, now):
    now_sql, params = moment_sql(vendor, now)
    return (
        f"(SELECT COUNT(*) FROM {quoted_table(Feedback)} AS record "
        "WHERE record.customer_id = customer.id AND record.deleted_at IS NULL "
        f"AND record.kind = '{FeedbackKind.COMPLAINT}' "
        f"AND {days_between(vendor, now_sql, 'record.received_at')} <= {COMPLAINT_DAYS})",
        params,
    )


def _stored(expression: str) -> Callable:
    """A fact read from the customer's CustomerFacts row (`facts`): unknown without one."""

    def sql(arguments, vendor, now):
        return (
            f"(SELECT {expression} FROM {quoted_table(CustomerFacts)} AS facts "
            "WHERE facts.customer_id = customer.id)",
            [],
        )

    # Where the statement joins the customer's facts row as `facts` (a rule over every
    # customer): the column itself, one join instead of a subquery per fact.
    sql.joined = lambda arguments, vendor, now: (expression, [])
    return sql


def _days_overdue(arguments, vendor, now):
    now_sql, params = moment_sql(vendor, now)
    oldest = (
        f"(SELECT facts.oldest_overdue_on FROM {quoted_table(CustomerFacts)} AS facts "
        "WHERE facts.customer_id = customer.id)"
    )
    return days_between(vendor, now_sql, oldest), params


def _days_overdue_joined(arguments, vendor, now):
    now_sql, params = moment_sql(vendor, now)
    return days_between(vendor, now_sql, "facts.oldest_overdue_on"), params


_days_overdue.joined = _days_overdue_joined


def _growth(recent: str, before: str) -> str:
    # Unknown (not infinite) growth from nothing.
    return f"(CAST(facts.{recent} AS DOUBLE PRECISION) / NULLIF(facts.{before}, 0) - 1)"


def _today(vendor: str, now: datetime.datetime) -> tuple[str, list]:
    """The local date of `now` as a parameter, typed where the database needs it."""
    return day_sql(vendor, timezone.localdate(now))


# Contracts counted for days_to_contract_end, and the renewals that make one not count.
_running = ", ".join(f"'{status}'" for status in (ContractStatus.SIGNED, ContractStatus.ACTIVE))
_renewing = ", ".join(f"'{status}'" for status in sorted(SIGNED_STATUSES))


def _days_to_contract_end(arguments, vendor, now):
    today, params = _today(vendor, now)
    table = quoted_table(Contract)
    nearest = (
        f"(SELECT MIN(contract.ends_on) FROM {table} AS contract "
        "WHERE contract.customer_id = customer.id AND contract.deleted_at IS NULL "
        f"AND contract.status IN ({_running}) AND contract.ends_on IS NOT NULL "
        f"AND NOT EXISTS (SELECT 1 FROM {table} AS renewal "
        "WHERE renewal.renewal_of_id = contract.id AND renewal.deleted_at IS NULL "
        f"AND renewal.status IN ({_renewing})))"
    )
    return days_from(vendor, nearest, today), params


# The profile's key fields, each filled or not (SQL over `customer`), and the kind of customer
# it applies to (None: every kind).
PROFILE_FIELDS = (
    ("customer.industry <> ''", None),
    ("customer.province <> ''", None),
    ("customer.city <> ''", None),
    ("customer.source <> ''", None),
    ("(customer.phone <> '' OR customer.email <> '')", None),
    ("customer.address <> ''", None),
    ("customer.credit_code <> ''", CustomerKind.COMPANY),
    (
        f"EXISTS (SELECT 1 FROM {quoted_table(Contact)} AS contact "
        "WHERE contact.customer_id = customer.id AND contact.deleted_at IS NULL "
        "AND (contact.mobile <> '' OR contact.phone <> '' OR contact.email <> ''))",
        None,
    ),
)


def _profile_completeness(arguments, vendor, now):
    filled, applicable = [], []
    for condition, kind in PROFILE_FIELDS:
        if kind is None:
            filled.append(f"CASE WHEN {condition} THEN 1 ELSE 0 END")
            applicable.append("1")
        else:
            filled.append(f"CASE WHEN customer.kind = '{kind}' AND {condition} THEN 1 ELSE 0 END")
            applicable.append(f"CASE WHEN customer.kind = '{kind}' THEN 1 ELSE 0 END")
    return f"(100.0 * ({' + '.join(filled)}) / ({' + '.join(applicable)}))", []


# A custom field's value by its key (a slug: letters, digits, - and _), NULL when absent or of
# another JSON type. {vendor: {kind: (JSON type test, value)}}, `{test}` and `{value}` holding
# one key parameter each.
_FIELD_SQL = {
    "postgresql": {
        "number": ("'number'", "CAST({value} AS DOUBLE PRECISION)"),
        "text": ("'string'", "{value}"),
        "boolean": ("'boolean'", "CAST({value} AS BOOLEAN)"),
    },
    "sqlite": {
        "number": ("'integer', 'real'", "{value}"),
        "text": ("'text'", "{value}"),
        "boolean": ("'true', 'false'", "({value} = 1)"),
    },
}
DATE_SHAPE = r"^\d{4}-\d{2}-\d{2}$"


def _field(kind: str) -> Callable:
    def sql(arguments, vendor, now):
        if vendor == "postgresql":
            key = arguments[0]
            test = "jsonb_typeof(customer.custom_fields -> CAST(%s AS TEXT))"
            value = "(customer.custom_fields ->> CAST(%s AS TEXT))"
        else:
            key = f'$."{arguments[0]}"'
            test = "json_type(customer.custom_fields, %s)"
            value = "json_extract(customer.custom_fields, %s)"
        if kind == "date":
            # Days to a date held as text; on PostgreSQL only text shaped like a date is cast
            # (a bad one would stop the statement), SQLite's julianday gives NULL for it.
            today, today_params = _today(vendor, now)
            days = days_from(vendor, value, today)
            if vendor == "postgresql":
                return (
                    f"(CASE WHEN {test} = 'string' AND {value} ~ %s THEN {days} END)",
                    [key, key, DATE_SHAPE, key, *today_params],
                )
            return f"(CASE WHEN {test} = 'text' THEN {days} END)", [key, key, *today_params]
        types, typed = _FIELD_SQL[vendor][kind]
        return (
            f"(CASE WHEN {test} IN ({types}) THEN {typed.format(value=value)} END)",
            [key, key],
        )

    return sql


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
        FactDefinition(
            "next_follow_up_in_days",
            Type.NUMBER,
            _(
                "Days until the next follow-up is due, by the grade's cadence or a planned "
                "follow-up (negative when overdue); unknown when none is due."
            ),
            days_to_follow_up_sql,
        ),
        FactDefinition(
            "ticket_satisfaction",
            Type.NUMBER,
            _(
                "Average satisfaction (1–5) the customer gave tickets resolved in the last "
                "365 days; unknown without a rating."
            ),
            _stored("facts.ticket_satisfaction"),
            materialized=True,
        ),
        FactDefinition(
            "p_alive",
            Type.NUMBER,
            _(
                "Probability (0–1) that the customer is still buying, from the BG/NBD model "
                "(Fader, Hardie & Lee 2005) fitted on every customer's days with orders; "
                "unknown without orders, or while too few customers have orders to fit it."
            ),
            _stored("facts.p_alive"),
            materialized=True,
        ),
        FactDefinition(
            "expected_orders_90d",
            Type.NUMBER,
            _(
                "Days with orders the BG/NBD model expects from the customer in the next 90 "
                "days (a fraction); unknown when p_alive is."
            ),
            _stored("facts.expected_orders_90d"),
            materialized=True,
        ),
        FactDefinition(
            "health_score",
            Type.NUMBER,
            _(
                "Health, 0–100: the weighted average of contact recency, follow-ups in 90 "
                "days, open tickets, complaints in 90 days, overdue payments, order trend and "
                "ticket satisfaction, over those known for the customer (weights in the "
                "status model's health section)."
            ),
            _stored("facts.health_score"),
            materialized=True,
        ),
        FactDefinition(
            "days_to_contract_end",
            Type.NUMBER,
            _(
                "Days from today to the end of the customer's signed or active contract that "
                "ends first (one already renewed by a signed contract left out); negative when "
                "that end has passed without the contract being closed; unknown without one."
            ),
            _days_to_contract_end,
        ),
        FactDefinition(
            "profile_completeness",
            Type.NUMBER,
            _(
                "Share (0–100) of the profile's key fields filled: industry, province, city, "
                "source, the customer's phone or email, address, a contact with a mobile, "
                "landline or email, and for companies the unified social credit code."
            ),
            _profile_completeness,
        ),
        FactDefinition(
            "field_number",
            Type.NUMBER,
            _("The value of a number custom field; unknown when the customer has none."),
            _field("number"),
            (NUMBER_FIELD,),
        ),
        FactDefinition(
            "field_text",
            Type.TEXT,
            _("The value of a text or choice custom field; unknown when the customer has none."),
            _field("text"),
            (TEXT_FIELD,),
            field_choices_as_values=True,
        ),
        FactDefinition(
            "field_boolean",
            Type.BOOLEAN,
            _("The value of a yes / no custom field; unknown when the customer has none."),
            _field("boolean"),
            (BOOLEAN_FIELD,),
        ),
        FactDefinition(
            "days_until_field",
            Type.NUMBER,
            _(
                "Days from today to the date in a date custom field (negative once it has "
                "passed); unknown when the customer has none."
            ),
            _field("date"),
            (DATE_FIELD,),
        ),
    ]
}


PARAMETER_NAMES = {
    DIMENSION: "dimension",
    EXCLUSIVE_DIMENSION: "dimension",
    STATE: "state",
    **{kind: kind for kind in FIELD_TYPES},
}


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
            values=_values(definition, view),
        )
        for name, definition in FACTS.items()
    }


def _values(definition: FactDefinition, view: ModelView):
    """What gives the texts a fact can take, for its arguments (None: any text)."""
    if definition.states_as_values:
        return lambda before: view.choices(STATE, before)
    if definition.field_choices_as_values:
        return lambda before: view.field_choices(before[0])
    if definition.values:
        return lambda before, fixed=definition.values: fixed
    return None


def fact_sql(fact: Fact, vendor: str, now: datetime.datetime) -> tuple[str, list]:
    """The fact's SQL over the row `customer`, with its parameters, as of `now`."""
    return FACTS[fact.name].sql(tuple(a.value for a in fact.arguments), vendor, now)


def reads_joined_facts(condition: Condition) -> bool:
    """Whether the condition reads a fact kept in CustomerFacts (see joined_fact_sql)."""
    return any(hasattr(FACTS[fact.name].sql, "joined") for fact in condition.facts())


def joined_fact_sql(fact: Fact, vendor: str, now: datetime.datetime) -> tuple[str, list]:
    """fact_sql for a statement that joins the customer's CustomerFacts row as `facts`:
    `LEFT JOIN status_customerfacts AS facts ON facts.customer_id = customer.id`."""
    definition = FACTS[fact.name]
    joined = getattr(definition.sql, "joined", None)
    if joined is None:
        return fact_sql(fact, vendor, now)
    return joined(tuple(a.value for a in fact.arguments), vendor, now)


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
    extra: tuple[Fact, ...] = (),
) -> dict:
    """{"name(arguments)": value} of every fact the conditions read (and of the `extra`
    facts), for one customer: its stored facts refreshed once if any is read (unless the
    caller just refreshed them), then one query for all of them."""
    facts = {}
    for condition in conditions_:
        for fact in condition.facts():
            facts.setdefault(fact_label(fact), fact)
    for fact in extra:
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
            f"SELECT {', '.join(columns)} FROM {quoted_table(Customer)} AS customer "
            "WHERE customer.id = %s",
            [*params, customer_id],
        )
        row = cursor.fetchone()
    values = dict(zip(facts, row or [], strict=False))
    for label, fact in facts.items():
        # SQLite answers a truth value as 0 or 1; conditions compare it with true and false.
        if FACTS[fact.name].type == Type.BOOLEAN and values.get(label) is not None:
            values[label] = bool(values[label])
    return values


def fact_label(fact: Fact) -> str:
    """How a fact with its arguments is written: days_in_state("lifecycle")."""
    if not fact.arguments:
        return fact.name
    arguments = ", ".join(
        f'"{argument.value}"' if isinstance(argument.value, str) else str(argument.value)
        for argument in fact.arguments
    )
    return f"{fact.name}({arguments})"


def plain_facts() -> tuple[Fact, ...]:
    """Every fact that takes no argument: what the customer page lists."""
    return tuple(
        Fact(position=0, name=name)
        for name, definition in FACTS.items()
        if not definition.parameters
    )
