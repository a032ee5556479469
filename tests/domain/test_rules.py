"""Rules: checked on save with positioned messages; one SQL statement finds the customers a
condition holds for, and agrees with the same condition evaluated customer by customer in
Python (the oracle); a run changes states through change_state under the rule's key, a dry
run changes nothing, and rules that flip customers back and forth are reported."""

import datetime

import pytest
from django.utils import timezone

from tend.core.errors import ValidationFailed
from tend.status.actions import change_state
from tend.status.models import CustomerState, Dimension, Door, Rule, State, StateChange
from tend.status.rules import check_rule, evaluate, holds_for, matching_customers, rule_problems
from tests.factories import make_customer
from tests.factories_orders import make_order
from tests.factories_status import random_customers

NOW = timezone.now().replace(microsecond=0)


def rule(condition, *actions, key="r", **extra):
    return Rule(
        key=key,
        label_zh=key,
        condition=condition,
        actions=list(actions) or [{"type": "set_state", "dimension": "grade", "state": "A"}],
        enabled=True,
        **extra,
    )


def lifecycle(customer, key, actor):
    dimension = Dimension.objects.get(key="lifecycle")
    change_state(
        actor=actor,
        customer=customer,
        dimension=dimension,
        state=State.objects.get(dimension=dimension, key=key),
        door=Door.WEB,
        reason="导入的历史状态",
        at=NOW - datetime.timedelta(days=30),
    )


def held(customer, dimension_key):
    return set(
        CustomerState.objects.filter(customer=customer, dimension__key=dimension_key).values_list(
            "state__key", flat=True
        )
    )


def test_a_rule_with_mistakes_is_refused_with_every_problem(db):
    bad = rule(
        "valid_activitys > 3",
        {"type": "set_state", "dimension": "lifecycle", "state": "vip"},
        {"type": "remove_state", "dimension": "grade", "state": "A"},
        {"type": "shout"},
    )
    assert rule_problems(bad) == [
        "Column 1: Unknown fact “valid_activitys”.",
        "Action 1: “vip” is not a state of Lifecycle.",
        "Action 2: a state of Grade is replaced, not removed.",
        "Action 3: the type must be one of: set_state, remove_state, lock, unlock, add_tag, "
        "remove_tag, assign_owner, assign_team, return_to_pool, create_task, notify, webhook.",
    ]
    with pytest.raises(ValidationFailed):
        check_rule(bad)
    assert rule_problems(rule("open_tickets > 0")) == []


@pytest.fixture
def customers(org, admin):
    """Forty customers with random histories (tests.factories_status.random_customers). The
    default model's rules are switched off: each test runs the rules it names."""
    Rule.objects.update(enabled=False)
    return random_customers(org, admin, NOW, count=40, seed=11)


CONDITIONS = [
    "valid_activities >= 2",
    "days_since_last_contact > 90 or days_since_last_contact < 10",
    'state("lifecycle") == "lead" and days_in_state("lifecycle") >= 30',
    'not in_state("lifecycle", "churned") and open_tickets > 0',
    "complaints_90d >= 1 or days_since_last_order > 365",
    "valid_activities / (open_tickets + 1) > 0.5 and not (days_since_last_contact > 200)",
    "orders_365d >= 2 or revenue_90d > 40000",
    "revenue_growth >= 0.2 or overdue_days > 30",
    'rfm_segment in ["champion", "loyal"] or rfm_monetary >= 4',
    "overdue_amount > 0 and activities_90d == 0",
]


@pytest.mark.parametrize("condition", CONDITIONS)
def test_one_statement_for_all_customers_agrees_with_each_customer_evaluated_alone(
    customers, condition
):
    the_rule = rule(condition)
    found = matching_customers(the_rule, NOW)
    oracle = [
        customer.pk
        for customer in customers
        if holds_for(condition, customer.pk, NOW) and "A" not in held(customer, "grade")
    ]
    assert found == oracle
    assert 0 < len(found) < len(customers), "the data should split the customers"


def test_a_run_changes_states_under_the_rules_key_with_the_facts(customers, admin):
    to_prospect = rule(
        'state("lifecycle") == "lead" and valid_activities >= 2',
        {"type": "set_state", "dimension": "lifecycle", "state": "prospect"},
        key="leads_with_two_valid_talks",
    )
    to_prospect.save()
    dry = evaluate(dry_run=True, now=NOW)
    expected = dry.results[0].changed
    assert expected > 0 and StateChange.objects.filter(rule_key=to_prospect.key).count() == 0

    done = evaluate(now=NOW)
    assert done.results[0].changed == expected and not done.unstable
    changes = StateChange.objects.filter(rule_key=to_prospect.key)
    assert changes.count() == expected
    change = changes.first()
    assert (change.door, change.actor, change.from_state.key, change.to_state.key) == (
        "rule",
        None,
        "lead",
        "prospect",
    )
    assert change.facts['state("lifecycle")'] == "lead"
    assert change.facts["valid_activities"] >= 2
    # Run again: nobody is left to change.
    assert evaluate(now=NOW).results[0].matched == 0


def test_a_move_the_model_refuses_is_counted_with_its_reason(customers):
    to_signed = rule(
        'state("lifecycle") == "lead"',
        {"type": "set_state", "dimension": "lifecycle", "state": "signed"},
        key="impossible",
    )
    result = evaluate(rules=[to_signed], now=NOW).results[0]
    assert result.matched > 0 and result.refused == result.matched and result.changed == 0
    assert result.first_refusal == "Lifecycle cannot move from “Lead” to “Signed”."


def test_rules_that_flip_customers_back_and_forth_are_reported(customers):
    to_a = rule("true", {"type": "set_state", "dimension": "grade", "state": "A"}, key="to_a")
    to_b = rule(
        'in_state("grade", "A")',
        {"type": "set_state", "dimension": "grade", "state": "B"},
        key="to_b",
    )
    evaluation = evaluate(rules=[to_a, to_b], now=NOW, dry_run=True)
    assert len(evaluation.unstable) == len(customers)
    assert set(evaluation.unstable[customers[0].pk]) == {"to_a", "to_b"}
    assert StateChange.objects.filter(rule_key__in=["to_a", "to_b"]).count() == 0

    # A cascade that settles (lead → prospect, then prospect → key) is not a flip.
    to_prospect = rule(
        'state("lifecycle") == "lead"',
        {"type": "set_state", "dimension": "lifecycle", "state": "prospect"},
        key="up",
    )
    to_key = rule(
        'state("lifecycle") == "prospect"',
        {"type": "set_state", "dimension": "lifecycle", "state": "key"},
        key="upper",
    )
    for candidate in (to_prospect, to_key):
        candidate.condition += " and valid_activities >= 1"
    assert evaluate(rules=[to_key, to_prospect], now=NOW, dry_run=True).unstable == {}


def test_two_quarters_of_growth_the_example_rule_of_the_product(org, admin):
    """普通 → 重要 after two consecutive quarters of ≥ 20% order growth (PRODUCT.md S4)."""
    today = timezone.localdate(NOW)

    def customer_with(name, amounts):
        customer = make_customer(org.rep, name=name)
        for number, (days_ago, amount) in enumerate(amounts):
            make_order(
                customer,
                actor=admin,
                number=f"{name}-{number}",
                amount=amount,
                ordered_on=today - datetime.timedelta(days=days_ago),
            )
        return customer

    growing = customer_with("增长客户", [(200, "100"), (120, "130"), (30, "170")])
    flat = customer_with("平稳客户", [(200, "100"), (120, "100"), (30, "170")])
    new = customer_with("新客户", [(30, "170")])  # nothing before: growth unknown
    upgrade = rule(
        "revenue_growth >= 0.2 and revenue_growth_before >= 0.2",
        {"type": "set_state", "dimension": "value", "state": "important"},
        key="two_growing_quarters",
    )
    result = evaluate(rules=[upgrade], now=NOW).results[0]
    assert result.changed == 1
    assert held(growing, "value") == {"important"}
    assert held(flat, "value") == held(new, "value") == set()
    change = StateChange.objects.get(rule_key="two_growing_quarters")
    assert change.facts["revenue_growth"] == pytest.approx(170 / 130 - 1, abs=1e-4)
