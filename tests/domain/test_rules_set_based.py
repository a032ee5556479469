"""The set-based engine against the oracle (tests/status_oracle.py: every customer in turn,
Python evaluation, change_state one by one): on random data and random rules — and random
bulk moves by people — both make exactly the same writes: history rows with their facts and
times, current states, approval requests, used-up checklist ticks."""

import datetime
import random

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tend.core.errors import TendError
from tend.customers.models import Customer
from tend.status.actions import change_state, tick_step
from tend.status.bulk_moves import candidates, move_candidates
from tend.status.models import (
    ChecklistStep,
    Dimension,
    Door,
    Rule,
    State,
    StateChange,
    Transition,
)
from tend.status.rules import evaluate
from tests.factories_status import random_customers
from tests.status_oracle import evaluate_one_by_one, snapshot

NOW = timezone.now().replace(microsecond=0)

CONDITIONS = [
    "true",
    "valid_activities >= 2",
    "days_since_last_contact > 90 or days_since_last_contact < 10",
    'state("lifecycle") == "lead" and days_in_state("lifecycle") >= 30',
    'state("lifecycle") == "prospect"',
    'not in_state("lifecycle", "churned") and open_tickets > 0',
    "complaints_90d >= 1 or days_since_last_order > 365",
    "orders_365d >= 2 or revenue_90d > 40000",
    "revenue_growth >= 0.2 or overdue_days > 30",
    'rfm_segment in ["champion", "loyal"] or rfm_monetary >= 4',
    "overdue_amount > 0 and activities_90d == 0",
    'in_state("time_window", "peak_season")',
]

# (type, dimension, state): exclusive and tag-like dimensions, moves with a guard, with a
# checklist, with an approval, undeclared moves, removals that are refused.
ACTIONS = [
    ("set_state", "lifecycle", "prospect"),
    ("set_state", "lifecycle", "key"),
    ("set_state", "lifecycle", "signed"),
    ("set_state", "lifecycle", "churned"),
    ("set_state", "lifecycle", "lead"),
    ("set_state", "grade", "A"),
    ("set_state", "grade", "E"),
    ("set_state", "time_window", "peak_season"),
    ("set_state", "time_window", "renewal_window"),
    ("remove_state", "time_window", "peak_season"),
    ("set_state", "risk", "payment_overdue"),
]


@pytest.fixture
def world(org, admin):
    """Thirty random customers; prospect → key needs a sales manager's approval; some
    customers stand in prospect or key, some have ticked the signing checklist (wholly or
    in part), some have a move already waiting, some hold a time-window tag."""
    Rule.objects.update(enabled=False)
    made = random_customers(org, admin, NOW, count=30, seed=5)
    chance = random.Random(3)
    lifecycle = Dimension.objects.get(key="lifecycle")
    Transition.objects.filter(
        dimension=lifecycle, from_state__key="prospect", to_state__key="key"
    ).update(approval_role="sales_manager")
    steps = list(ChecklistStep.objects.filter(transition__to_state__key="signed"))
    earlier = NOW - datetime.timedelta(days=10)

    def move(customer, dimension_key, state_key, actor=admin):
        dimension = Dimension.objects.get(key=dimension_key)
        change_state(
            actor=actor,
            customer=customer,
            dimension=dimension,
            state=State.objects.get(dimension=dimension, key=state_key),
            door=Door.WEB,
            reason="准备",
            at=earlier,
        )

    for customer in made:
        if chance.random() < 0.7:
            move(customer, "lifecycle", "lead")
            if customer.activities.filter(valid_communication=True).exists():
                move(customer, "lifecycle", "prospect")
                if chance.random() < 0.6:
                    move(customer, "lifecycle", "key")
                    for step in chance.sample(steps, chance.choice([0, 3, 5, 5])):
                        tick_step(actor=admin, customer=customer, step=step, at=earlier)
                elif chance.random() < 0.4:
                    move(customer, "lifecycle", "key", actor=org.rep)  # waits for approval
        if chance.random() < 0.3:
            move(customer, "time_window", "peak_season")
    return made


def both_ways(run_engine, run_oracle):
    """The writes each way makes from the same starting point (both rolled back)."""
    results = []
    for run in (run_oracle, run_engine):
        with transaction.atomic():
            before = StateChange.objects.order_by("-id").values_list("id", flat=True).first()
            run()
            results.append(snapshot(before or 0))
            transaction.set_rollback(True)
    return results


# Actions that move no state: a rule starting with one fires once while its condition holds.
OTHER_ACTIONS = [
    {"type": "add_tag", "tag": "规则标签"},
    {"type": "create_task", "title": "回访", "assignee": "owner", "due_in_days": 2},
    {"type": "create_task", "title": "经理关注", "assignee": "owner_manager"},
    {"type": "create_task", "title": "财务核对", "assignee": "role:sales_manager"},
    {"type": "notify", "message": "请关注", "to": "owner"},
    {"type": "lock"},
    {"type": "unlock"},
]


def random_rule(chance: random.Random, index: int) -> Rule:
    condition = chance.choice(CONDITIONS)
    if chance.random() < 0.4:
        condition = f"({condition}) {chance.choice(['and', 'or'])} ({chance.choice(CONDITIONS)})"
    actions = [
        {"type": kind, "dimension": dimension, "state": state}
        for kind, dimension, state in chance.sample(ACTIONS, chance.choice([1, 1, 2]))
    ]
    if chance.random() < 0.4:
        other = dict(chance.choice(OTHER_ACTIONS))
        actions.insert(chance.randrange(len(actions) + 1), other)
    return Rule(key=f"rule-{index}", label_zh=f"规则{index}", condition=condition, actions=actions)


@pytest.mark.django_db
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(0, 10**6), count=st.integers(1, 4))
# A guard's facts belong to its own move, not to the rule's next action; a false fact read
# by a rule and by a guard stays false (SQLite's JSON merge).
@example(seed=741, count=1)
@example(seed=741, count=3)
def test_the_engine_writes_what_the_oracle_writes_on_random_rules(world, seed, count):
    chance = random.Random(seed)
    rules = [random_rule(chance, index) for index in range(count)]
    oracle, engine = both_ways(
        lambda: evaluate(rules=rules, now=NOW),
        lambda: evaluate_one_by_one(rules, NOW),
    )
    assert engine["changes"] == oracle["changes"], [rule.condition for rule in rules]
    assert engine["facts"] == pytest.approx(oracle["facts"])
    assert engine["states"] == oracle["states"]
    assert engine["requests"] == oracle["requests"]
    assert engine["ticks"] == oracle["ticks"]
    for kind in ("tasks", "notifications", "tags", "firings"):
        assert engine[kind] == oracle[kind], kind


def test_the_random_world_exercises_every_kind_of_outcome(world):
    """Guards, checklists, approvals, undeclared moves, tags: the comparison above is only
    worth something if the data makes each of them happen."""
    kinds = set()
    for kind, dimension, state in ACTIONS:
        rule = Rule(
            key="probe",
            label_zh="探测",
            condition="true",
            actions=[{"type": kind, "dimension": dimension, "state": state}],
        )
        result = evaluate(rules=[rule], now=NOW, dry_run=True).results[0]
        kinds |= {"changed"} if result.changed else set()
        kinds |= {"waiting"} if result.waiting else set()
        kinds |= {message.split(" ")[0] for message in result.refusals}
    assert {"changed", "waiting"} <= kinds
    # A missing tick, an undeclared move, a move that waits already, a guard that fails.
    assert {"Tick", "Lifecycle", "A", "The"} <= kinds, kinds


@pytest.mark.django_db
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 10**6),
    action=st.sampled_from(ACTIONS),
    actor_name=st.sampled_from(["admin", "rep", "manager", "other_rep"]),
    reason=st.sampled_from(["", "客户要求"]),
)
def test_a_bulk_move_by_a_person_writes_what_moves_one_by_one_write(
    world, org, admin, seed, action, actor_name, reason
):
    """Bulk edit: the same refusals (reach, reasons, guards, checklists), approvals and
    history as change_state customer by customer, counted per outcome."""
    actor = admin if actor_name == "admin" else getattr(org, actor_name)
    kind, dimension_key, state_key = action
    dimension = Dimension.objects.get(key=dimension_key)
    state = State.objects.get(dimension=dimension, key=state_key)
    chosen_ids = sorted(
        random.Random(seed).sample(
            list(Customer.objects.values_list("id", flat=True)), k=min(12, len(world))
        )
    )
    counted = {}

    def one_by_one():
        tally = {"changed": 0, "waiting": 0, "unchanged": 0, "refused": 0}
        for customer in Customer.objects.filter(id__in=chosen_ids).order_by("id"):
            try:
                outcome = change_state(
                    actor=actor,
                    customer=customer,
                    dimension=dimension,
                    state=state,
                    door=Door.BULK,
                    reason=reason,
                    remove=kind == "remove_state",
                    at=NOW,
                )
            except TendError:
                tally["refused"] += 1
                continue
            tally[outcome.kind] += 1
        counted["oracle"] = tally

    def at_once():
        with candidates() as chosen:
            chosen.fill_ids(chosen_ids)
            outcome = move_candidates(
                chosen,
                actor=actor,
                dimension=dimension,
                state=state,
                door=Door.BULK,
                reason=reason,
                remove=kind == "remove_state",
                now=NOW,
            )
        counted["engine"] = {
            "changed": outcome.changed,
            "waiting": outcome.waiting,
            "unchanged": outcome.unchanged,
            "refused": outcome.refused_count,
        }

    oracle, engine = both_ways(at_once, one_by_one)
    assert counted["engine"] == counted["oracle"]
    assert engine == oracle
