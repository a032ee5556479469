"""The facts of issue 4's second part: P(alive) and expected orders (BG/NBD), the health
score, ticket satisfaction, days to contract end, profile completeness and custom fields.
Each is compared, for many customers, with what the test computes itself from the records;
live facts both ways the engine reads them (one SQL expression over every customer, and one
customer's values)."""

import datetime
import random
from decimal import Decimal

import numpy as np
import pytest
from django.db import connection
from django.utils import timezone
from stdnum.cn import uscc

from tend.activities.models import Activity
from tend.audit.models import AuditEntry
from tend.contracts.models import Contract
from tend.customers.actions import create_custom_field_definition
from tend.customers.models import Customer, CustomerKind
from tend.orders.models import Order
from tend.orders.selectors import receivables_for
from tend.service.actions import change_ticket_status, rate_ticket
from tend.service.models import OPEN_TICKET_STATUSES, Feedback, Ticket
from tend.status import bgnbd, conditions, health
from tend.status.conditions import Condition, Fact, Literal, Type
from tend.status.facts import FACTS, fact_label, fact_sql, fact_values, signatures
from tend.status.materialized import FIT_MIN_CUSTOMERS, latest_fit, refresh_facts
from tend.status.model_file import ModelFileErrors, apply_model, export_model, parse_model
from tend.status.models import BgNbdFit, CustomerFacts, HealthWeight
from tests.factories import make_contact, make_customer
from tests.factories_contracts import make_contract
from tests.factories_orders import make_order
from tests.factories_service import make_feedback, make_ticket

NOW = timezone.now().replace(microsecond=0)
TODAY = timezone.localdate(NOW)
DAY = datetime.timedelta(days=1)


# --- reading a fact both ways ------------------------------------------------------------------


def fact(name: str, *arguments) -> Fact:
    return Fact(0, name, tuple(Literal(0, argument, Type.TEXT) for argument in arguments))


def for_all(name: str, *arguments) -> dict:
    """{customer id: value} from the fact's SQL over every live customer, as rules read it."""
    sql, params = fact_sql(fact(name, *arguments), connection.vendor, NOW)
    table = connection.ops.quote_name(Customer._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT customer.id, {sql} FROM {table} AS customer WHERE customer.deleted_at IS NULL",
            params,
        )
        return dict(cursor.fetchall())


def for_one(customer, name: str, *arguments, refresh=False):
    """The fact of one customer, as guards and event rules read it."""
    node = fact(name, *arguments)
    return fact_values(Condition(name, node), customer.pk, NOW, refresh=refresh)[fact_label(node)]


def same(found, wanted) -> bool:
    if wanted is None or found is None:
        return found is None and wanted is None
    if isinstance(wanted, bool):
        return bool(found) == wanted
    if isinstance(wanted, str):
        return found == wanted
    # Days between moments come from SQLite's julianday, good to about a millisecond.
    return float(found) == pytest.approx(float(wanted), rel=1e-7, abs=1e-9)


def assert_both_ways(customers, name, wanted: dict, *arguments):
    every = for_all(name, *arguments)
    for customer in customers:
        assert same(every[customer.pk], wanted[customer.pk]), (customer.name, every[customer.pk])
        one = for_one(customer, name, *arguments)
        assert same(one, wanted[customer.pk]), (customer.name, one)


def test_every_new_fact_is_registered_and_described():
    new = {
        "p_alive",
        "expected_orders_90d",
        "health_score",
        "ticket_satisfaction",
        "days_to_contract_end",
        "profile_completeness",
        "field_number",
        "field_text",
        "field_boolean",
        "days_until_field",
    }
    assert new <= set(FACTS)
    for name in new:
        assert str(FACTS[name].description).strip(), name


# --- a customer base with orders drawn from the BG/NBD story -----------------------------------


@pytest.fixture
def base(org, admin):
    """60 customers, 52 with orders: each buys at its own Poisson rate until it drops out
    after some purchase (some orders share a day), with follow-ups, tickets (some rated),
    complaints and payments."""
    chance = random.Random(11)
    draws = np.random.default_rng(11)
    made = []
    for index in range(60):
        customer = make_customer(chance.choice([org.rep, org.other_rep]), name=f"客户{index}号")
        made.append(customer)
        for day in chance.sample(range(1, 200), chance.randrange(0, 6)):
            Activity.objects.create(
                customer=customer,
                author=admin,
                kind="call",
                summary="沟通",
                occurred_at=NOW - day * DAY,
            )
        if chance.random() < 0.8:
            Customer.objects.filter(pk=customer.pk).update(
                last_contact_at=NOW - chance.uniform(0.2, 300) * DAY
            )
        for _ in range(chance.randrange(0, 3)):
            ticket = make_ticket(customer, actor=admin, at=NOW - chance.randrange(1, 500) * DAY)
            if chance.random() < 0.6:
                change_ticket_status(
                    actor=admin,
                    ticket=ticket,
                    status="resolved",
                    at=min(NOW, ticket.opened_at + chance.randrange(1, 30) * DAY),
                )
                rate_ticket(
                    actor=admin, ticket=ticket, data={"satisfaction": chance.randrange(1, 6)}
                )
        if chance.random() < 0.3:
            make_feedback(
                customer, actor=admin, at=NOW - chance.randrange(1, 150) * DAY, kind="complaint"
            )
        if index >= 52:
            continue
        rate = draws.gamma(0.8, 1 / 25)  # per day
        drop = draws.beta(1.0, 3.0)
        day = TODAY - chance.randrange(20, 700) * DAY
        number = 0
        while day <= TODAY and number < 8:
            for _ in range(2 if chance.random() < 0.1 else 1):  # two orders on one day
                number += 1
                make_order(
                    customer,
                    actor=admin,
                    number=f"SO-{index}-{number}",
                    amount=str(chance.randrange(100, 9000)),
                    ordered_on=day,
                    due_on=day + chance.choice([10, 30, 400]) * DAY,
                )
            if draws.random() < drop:
                break
            day += max(1, round(draws.exponential(1 / rate))) * DAY
        if chance.random() < 0.4:
            amount = str(chance.randrange(100, 9000))
            make_payment_for(customer, admin, amount)
    return made


def make_payment_for(customer, admin, amount):
    from tests.factories_orders import make_payment

    make_payment(customer, actor=admin, amount=amount, received_on=TODAY - 5 * DAY)


def purchase_summary(customer) -> tuple[int, int, int] | None:
    """(x, t_x, T) in days from the customer's live orders up to today, or None."""
    days = sorted(
        set(
            Order.objects.filter(
                customer=customer, deleted_at__isnull=True, ordered_on__lte=TODAY
            ).values_list("ordered_on", flat=True)
        )
    )
    if not days:
        return None
    return len(days) - 1, (days[-1] - days[0]).days, (TODAY - days[0]).days


def test_the_full_refresh_fits_bgnbd_on_every_customer_with_orders(base):
    refresh_facts(NOW)
    summaries = {customer.pk: purchase_summary(customer) for customer in base}
    population = np.array([s for s in summaries.values() if s is not None], dtype=float)
    assert len(population) == 52 and (population[:, 0] > 0).sum() >= 10
    assert (population[:, 0] + 1 < [Order.objects.filter(customer_id=pk).count()
            for pk, s in summaries.items() if s is not None]).any()  # fmt: skip
    stored = BgNbdFit.objects.get()
    assert stored.customers == 52 and stored.fitted_at == NOW
    # The fit of the grouped counts is the fit of the customers one by one.
    wanted = bgnbd.fit(population[:, 0], population[:, 1], population[:, 2])
    assert stored.log_likelihood == pytest.approx(wanted.log_likelihood, rel=1e-7)
    fit = latest_fit()
    # On so few customers the likelihood can be flat along a ridge (a and b growing
    # together): the parameters then depend on the order of summation, their predictions
    # do not.
    x, t_x, age = population.T
    for predict in (bgnbd.probability_alive, bgnbd.expected_purchases):
        arguments = () if predict is bgnbd.probability_alive else (90,)
        assert predict(fit, *arguments, x, t_x, age) == pytest.approx(
            predict(wanted, *arguments, x, t_x, age), rel=1e-3
        )
    for customer in base:
        row = CustomerFacts.objects.get(customer=customer)
        summary = summaries[customer.pk]
        if summary is None:
            assert row.p_alive is None and row.expected_orders_90d is None
            assert row.repeat_order_days is None
            continue
        assert (
            row.repeat_order_days,
            row.days_first_to_last_order,
            row.days_since_first_order,
        ) == summary
        x, t_x, age = ([value] for value in summary)
        assert row.p_alive == pytest.approx(bgnbd.probability_alive(fit, x, t_x, age)[0])
        assert row.expected_orders_90d == pytest.approx(
            bgnbd.expected_purchases(fit, 90, x, t_x, age)[0]
        )
        assert 0 < row.p_alive <= 1
    # Read as facts, both ways.
    assert_both_ways(
        base,
        "p_alive",
        {c.pk: CustomerFacts.objects.get(customer=c).p_alive for c in base},
    )
    alive = [row.p_alive for row in CustomerFacts.objects.exclude(p_alive=None)]
    assert min(alive) < 0.9 and max(alive) == 1.0  # customers without repeats are alive


def test_one_customers_refresh_predicts_with_the_last_fit(base, admin):
    refresh_facts(NOW - DAY)
    fit = latest_fit()
    customer = next(c for c in base if purchase_summary(c) is not None)
    others = dict(CustomerFacts.objects.exclude(customer=customer).values_list("pk", "p_alive"))
    make_order(customer, actor=admin, number="SO-NEW", amount="10.00", ordered_on=TODAY)
    refresh_facts(NOW, customer_ids=[customer.pk])
    assert BgNbdFit.objects.count() == 1  # not fitted again
    x, t_x, age = purchase_summary(customer)
    assert t_x == age  # the last order is today's
    row = CustomerFacts.objects.get(customer=customer)
    assert row.p_alive == pytest.approx(bgnbd.probability_alive(fit, [x], [t_x], [age])[0])
    assert row.expected_orders_90d == pytest.approx(
        bgnbd.expected_purchases(fit, 90, [x], [t_x], [age])[0]
    )
    assert row.p_alive == 1.0 or x == 0 or row.p_alive > 0.5
    found = dict(CustomerFacts.objects.exclude(customer=customer).values_list("pk", "p_alive"))
    assert found == others


def test_too_few_customers_with_orders_leave_p_alive_unknown(org, admin):
    customers = [make_customer(org.rep) for _ in range(3)]
    for index, customer in enumerate(customers):
        for number in range(index + 1):
            make_order(
                customer,
                actor=admin,
                number=f"SO-{index}-{number}",
                ordered_on=TODAY - (10 + 20 * number) * DAY,
            )
    assert FIT_MIN_CUSTOMERS > 3
    refresh_facts(NOW)
    assert not BgNbdFit.objects.exists()
    rows = CustomerFacts.objects.filter(customer__in=customers)
    assert {row.p_alive for row in rows} == {None}
    assert {row.repeat_order_days for row in rows} == {0, 1, 2}
    assert for_one(customers[0], "p_alive") is None


# --- health ------------------------------------------------------------------------------------


def expected_health(customer, weights) -> float | None:
    customer.refresh_from_db()
    subscores = {}
    if customer.last_contact_at is None:
        subscores["contact_recency"] = None
    else:
        days = (NOW - customer.last_contact_at).total_seconds() / 86400
        subscores["contact_recency"] = 1.0 if days <= 0 else max(0.0, 1 - days / 180)
    recent = Activity.objects.filter(
        customer=customer, deleted_at__isnull=True, occurred_at__gte=NOW - 90 * DAY
    ).count()
    subscores["follow_ups_90d"] = min(1.0, recent / 6)
    open_tickets = Ticket.objects.filter(
        customer=customer, deleted_at__isnull=True, status__in=OPEN_TICKET_STATUSES
    ).count()
    subscores["open_tickets"] = 1 / (1 + open_tickets)
    complaints = Feedback.objects.filter(
        customer=customer,
        deleted_at__isnull=True,
        kind="complaint",
        received_at__gte=NOW - 90 * DAY,
    ).count()
    subscores["complaints_90d"] = 1 / (1 + complaints)
    orders = list(Order.objects.filter(customer=customer, deleted_at__isnull=True))
    oldest = receivables_for([customer.pk], today=TODAY)[customer.pk].oldest_overdue_due_on
    if not orders:
        subscores["overdue_payments"] = None
    elif oldest is None:
        subscores["overdue_payments"] = 1.0
    else:
        subscores["overdue_payments"] = max(0.0, 1 - (TODAY - oldest).days / 90)
    q1 = sum((o.amount for o in orders if o.ordered_on > TODAY - 90 * DAY), Decimal(0))
    q2 = sum(
        (o.amount for o in orders if TODAY - 180 * DAY < o.ordered_on <= TODAY - 90 * DAY),
        Decimal(0),
    )
    subscores["order_trend"] = float(q1 / (q1 + q2)) if q1 + q2 else None
    ratings = [
        t.satisfaction
        for t in Ticket.objects.filter(customer=customer, deleted_at__isnull=True)
        if t.satisfaction is not None and t.resolved_at >= NOW - 365 * DAY
    ]
    subscores["ticket_satisfaction"] = (sum(ratings) / len(ratings) - 1) / 4 if ratings else None
    known = {k: v for k, v in subscores.items() if v is not None and weights[k]}
    if not known:
        return None
    return 100 * sum(weights[k] * v for k, v in known.items()) / sum(weights[k] for k in known)


def test_the_health_score_is_the_weighted_average_of_the_known_indicators(base):
    refresh_facts(NOW)
    weights = health.weights()
    assert weights == health.DEFAULT_WEIGHTS
    wanted = {customer.pk: expected_health(customer, weights) for customer in base}
    assert_both_ways(base, "health_score", wanted)
    scores = [score for score in wanted.values() if score is not None]
    assert len(scores) == len(base) and 0 <= min(scores) < max(scores) <= 100
    # Ticket satisfaction is a fact of its own.
    satisfaction = {row.customer_id: row.ticket_satisfaction for row in CustomerFacts.objects.all()}
    assert any(value is not None for value in satisfaction.values())
    assert any(value is None for value in satisfaction.values())
    for customer in base:
        ratings = [
            t.satisfaction
            for t in Ticket.objects.filter(customer=customer, satisfaction__isnull=False)
            if t.resolved_at >= NOW - 365 * DAY
        ]
        wanted_rating = sum(ratings) / len(ratings) if ratings else None
        assert same(satisfaction[customer.pk], wanted_rating), customer.name


def test_administrators_weigh_the_indicators_in_the_model_file(base, admin):
    text = export_model()
    assert "health:" in text and "contact_recency: 20" in text
    weights = {key: 0 for key in health.INDICATORS}
    weights.update(contact_recency=3, order_trend=1)
    lines = "\n".join(f"    {key}: {value}" for key, value in weights.items())
    edited = text.split("health:")[0] + f"health:\n  weights:\n{lines}\n"
    apply_model(actor=admin, specs=parse_model(edited))
    assert health.weights() == weights
    changed = AuditEntry.objects.filter(object_type="status.healthweight", actor=admin)
    assert changed.count() == len(health.INDICATORS)  # every default weight changed
    assert {
        (entry.object_label, entry.action, tuple(entry.changes["weight"])) for entry in changed
    } == {
        (f"{key}: {weights[key]}", "update", (default, weights[key]))
        for key, default in health.DEFAULT_WEIGHTS.items()
    }
    refresh_facts(NOW)
    wanted = {customer.pk: expected_health(customer, weights) for customer in base}
    assert_both_ways(base, "health_score", wanted)
    never_contacted_no_orders = [
        c for c in base if c.last_contact_at is None and wanted[c.pk] is None
    ]
    for customer in never_contacted_no_orders:
        assert CustomerFacts.objects.get(customer=customer).health_score is None
    # Exported as applied, and a file without the section leaves the weights alone.
    assert "contact_recency: 3" in export_model()
    apply_model(actor=admin, specs=parse_model(edited.split("health:")[0]))
    assert health.weights() == weights


def test_the_default_models_weights_are_the_codes_defaults(db):
    assert health.weights() == health.DEFAULT_WEIGHTS
    stored = dict(HealthWeight.objects.values_list("indicator", "weight"))
    assert stored == health.DEFAULT_WEIGHTS


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("  weights: {contact_recency: 101}", "A health weight is a whole number from 0 to 100."),
        ("  weights: {contact_recency: -1}", "A health weight is a whole number from 0 to 100."),
        ("  weights: {logins: 5}", "Unknown entry “logins” in the health weights"),
        ("  weight: {contact_recency: 5}", "Unknown entry “weight” in the health section"),
        (
            "  weights: {contact_recency: 0, follow_ups_90d: 0, open_tickets: 0, "
            "complaints_90d: 0, overdue_payments: 0, order_trend: 0, ticket_satisfaction: 0}",
            "At least one health weight must be above 0.",
        ),
    ],
)
def test_bad_health_weights_are_refused_with_their_line(db, section, message):
    text = "dimensions:\n  - key: d\n    label: D\n    states: [{key: s, label: S}]\nhealth:\n"
    with pytest.raises(ModelFileErrors) as refused:
        parse_model(text + section + "\n")
    problem = refused.value.problems[0]
    assert problem.startswith("Line 6: ") and message in problem, problem


# --- days to contract end ----------------------------------------------------------------------


def test_days_to_contract_end_reads_the_nearest_running_contract(org, admin):
    def contract(customer, status, ends_in, **data):
        signed = {"signed_on": TODAY - 400 * DAY} if status != "draft" else {}
        return make_contract(
            customer,
            actor=admin,
            status=status,
            starts_on=TODAY - 400 * DAY,
            ends_on=TODAY + ends_in * DAY if ends_in is not None else None,
            **signed,
            **data,
        )

    none, two, past, expired, draft, renewed, deleted, open_end = (
        make_customer(org.rep) for _ in range(8)
    )
    contract(two, "active", 30)
    contract(two, "signed", 200)
    contract(past, "active", -5)
    contract(past, "active", 40)
    contract(expired, "expired", -20)
    contract(draft, "draft", 10)
    old = contract(renewed, "active", 10)
    contract(renewed, "signed", 375, renewal_of=old.pk)
    gone = contract(deleted, "active", 3)
    Contract.objects.filter(pk=gone.pk).update(deleted_at=NOW)
    contract(open_end, "active", None)
    customers = [none, two, past, expired, draft, renewed, deleted, open_end]
    wanted = {}
    for customer in customers:
        renewed_ids = set(
            Contract.objects.filter(
                deleted_at__isnull=True, status__in=["signed", "active", "expired"]
            ).values_list("renewal_of_id", flat=True)
        )
        ends = [
            c.ends_on
            for c in Contract.objects.filter(customer=customer, deleted_at__isnull=True)
            if c.status in ("signed", "active") and c.ends_on and c.pk not in renewed_ids
        ]
        wanted[customer.pk] = (min(ends) - TODAY).days if ends else None
    assert [wanted[c.pk] for c in customers] == [None, 30, -5, None, None, 375, None, None]
    assert_both_ways(customers, "days_to_contract_end", wanted)


# --- profile completeness ----------------------------------------------------------------------


def test_profile_completeness_is_the_share_of_key_fields_filled(org):
    chance = random.Random(5)
    customers = []
    for index in range(24):
        person = chance.random() < 0.3
        data = {"kind": CustomerKind.PERSON if person else CustomerKind.COMPANY}
        for name, value in (
            ("industry", "制造业"),
            ("province", "浙江"),
            ("city", "杭州"),
            ("source", "referral"),
            ("address", "文三路 1 号"),
            ("phone", f"138{index:08d}"),
            ("email", f"buyer{index}@example.com"),
        ):
            if chance.random() < 0.5:
                data[name] = value
        if not person and chance.random() < 0.5:
            base_code = f"9133010600{index:06d}X"
            data["credit_code"] = base_code + uscc.calc_check_digit(base_code)
        customer = make_customer(org.rep, name=f"档案{index}", **data)
        if chance.random() < 0.4:
            make_contact(customer, mobile="13912345678" if chance.random() < 0.5 else "")
        customers.append(customer)
    wanted = {}
    for customer in customers:
        contacts = customer.contacts.filter(deleted_at__isnull=True)
        checks = [
            bool(customer.industry),
            bool(customer.province),
            bool(customer.city),
            bool(customer.source),
            bool(customer.phone or customer.email),
            bool(customer.address),
            any(c.mobile or c.phone or c.email for c in contacts),
        ]
        if customer.kind == CustomerKind.COMPANY:
            checks.append(bool(customer.credit_code))
        wanted[customer.pk] = 100 * sum(checks) / len(checks)
    assert len(set(wanted.values())) > 4
    assert_both_ways(customers, "profile_completeness", wanted)


# --- custom fields -----------------------------------------------------------------------------


@pytest.fixture
def fields(admin):
    for key, kind, extra in (
        ("budget", "number", {}),
        ("motto", "text", {}),
        ("tier", "choice", {"choices": ["gold", "silver"]}),
        ("vip", "boolean", {}),
        ("renewal-date", "date", {}),
    ):
        create_custom_field_definition(
            actor=admin,
            data={"key": key, "label_zh": key, "label_en": key, "field_type": kind, **extra},
        )


def test_custom_fields_are_facts_unknown_when_absent(org, fields):
    chance = random.Random(8)
    customers = []
    for index in range(20):
        values = {}
        if chance.random() < 0.7:
            values["budget"] = chance.choice([0, 12, 1500.5, -3])
        if chance.random() < 0.6:
            values["motto"] = chance.choice(["诚信", "fast"])
        if chance.random() < 0.6:
            values["tier"] = chance.choice(["gold", "silver"])
        if chance.random() < 0.6:
            values["vip"] = chance.random() < 0.5
        if chance.random() < 0.7:
            values["renewal-date"] = (TODAY + chance.randrange(-40, 400) * DAY).isoformat()
        customers.append(make_customer(org.rep, name=f"字段{index}", custom_fields=values))
    # Values of another type (a field whose type changed since) read as unknown, not as an
    # error that would stop a rule over every customer.
    odd = customers[0]
    Customer.objects.filter(pk=odd.pk).update(
        custom_fields={"budget": "lots", "vip": "yes", "motto": 7, "renewal-date": "soon"}
    )
    for customer in customers:
        customer.refresh_from_db()
    stored = {c.pk: c.custom_fields for c in customers}

    def typed(key, kind):
        def value(fields_):
            found = fields_.get(key)
            return found if isinstance(found, kind) and not isinstance(found, bool) else None

        return value

    def days_until(fields_):
        found = fields_.get("renewal-date")
        try:
            return (datetime.date.fromisoformat(found) - TODAY).days
        except (TypeError, ValueError):
            return None

    def flag(fields_):
        found = fields_.get("vip")
        return found if isinstance(found, bool) else None

    for name, key, read in (
        ("field_number", "budget", typed("budget", int | float)),
        ("field_text", "motto", typed("motto", str)),
        ("field_text", "tier", typed("tier", str)),
        ("field_boolean", "vip", flag),
        ("days_until_field", "renewal-date", days_until),
    ):
        wanted = {pk: read(fields_) for pk, fields_ in stored.items()}
        assert any(v is None for v in wanted.values()), key
        assert len({v for v in wanted.values() if v is not None}) >= 2, key
        assert_both_ways(customers, name, wanted, key)

    # In conditions: the rule's set-based SQL and the per-customer answer agree.
    from tend.status.models import Rule
    from tend.status.rules import matching_customers

    text = 'field_text("tier") == "gold" and field_number("budget") > 10 or field_boolean("vip")'
    rule = Rule(
        key="fields",
        label_zh="字段",
        condition=text,
        actions=[{"type": "set_state", "dimension": "grade", "state": "A"}],
    )
    condition = conditions.parse(text, signatures())
    one_by_one = set()
    for customer in customers:
        values = fact_values(condition, customer.pk, NOW, refresh=False)
        if conditions.evaluate(condition, lambda f, values=values: values[fact_label(f)]):
            one_by_one.add(customer.pk)
    assert one_by_one
    assert set(matching_customers(rule, NOW)) & set(stored) == one_by_one


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ('field_number("motto") > 1', 14, "“motto” is not a number field; it can be: budget."),
        ('field_text("nope") == "x"', 12, "“nope” is not a text or choice field"),
        ('field_text("tier") == "bronze"', 23, "“bronze” is not a value of field_text"),
        ('days_until_field("budget") < 30', 18, "“budget” is not a date field"),
        ('field_boolean("vip") > 1', 24, "Expected true or false here, found a number."),
        ("field_number(3) > 1", 14, "Expected a text here, found a number."),
    ],
)
def test_custom_field_facts_refuse_unknown_keys_and_wrong_types(fields, text, column, message):
    with pytest.raises(conditions.ConditionErrors) as refused:
        conditions.parse(text, signatures())
    found = [(error.column, str(error.message)) for error in refused.value.errors]
    assert found[0][0] == column and message in found[0][1], found
    # A text field compared with the values of a choice field is allowed.
    conditions.parse('field_text("tier") == "gold" and field_text("motto") == "x"', signatures())
