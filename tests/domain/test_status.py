"""The status engine's entry point (tend.status.actions.change_state): declared moves only,
guards over facts, checklists, reasons, approvals, who may change what — and a history that
explains every change, replays to the current states, and answers "as of" questions."""

import contextlib
import datetime
import random
import re
from pathlib import Path

import pytest
from django.utils import timezone

from tend.accounts.models import Role
from tend.activities.actions import log_activity
from tend.core.errors import PermissionDenied, ValidationFailed
from tend.status import conditions
from tend.status.actions import (
    MoveRefused,
    approve_request,
    change_state,
    reject_request,
    tick_step,
    untick_step,
)
from tend.status.facts import FACTS, fact_values, signatures
from tend.status.models import (
    ChecklistStep,
    CustomerState,
    Dimension,
    Door,
    RequestStatus,
    SetBy,
    State,
    StateChange,
    Transition,
)
from tend.status.selectors import (
    changes_between,
    current_states,
    replayed_states,
    state_as_of,
    states_as_of,
)
from tests.factories import make_customer
from tests.factories_service import make_feedback, make_ticket

T0 = timezone.now().replace(microsecond=0) - datetime.timedelta(days=100)


def at(days=0):
    return T0 + datetime.timedelta(days=days)


class Model:
    pass


@pytest.fixture
def model(db):
    """A small status model of its own (in place of the default one): an exclusive
    lifecycle and a tag-like dimension."""
    Dimension.objects.all().delete()
    m = Model()
    m.lifecycle = Dimension.objects.create(
        key="lifecycle", label_zh="生命周期", label_en="Lifecycle"
    )
    m.tags = Dimension.objects.create(key="tags", label_zh="标签", label_en="Tags", exclusive=False)
    for key, zh, category in [
        ("lead", "潜在", "open"),
        ("prospect", "意向", "open"),
        ("key", "重点", "open"),
        ("signed", "签约", "won"),
        ("churned", "流失", "lost"),
    ]:
        setattr(
            m,
            key,
            State.objects.create(
                dimension=m.lifecycle, key=key, label_zh=zh, label_en=key.title(), category=category
            ),
        )
    m.vip = State.objects.create(dimension=m.tags, key="vip", label_zh="VIP", label_en="VIP")
    m.first_service = State.objects.create(
        dimension=m.tags, key="first_service", label_zh="首保客户", label_en="First service"
    )
    Transition.objects.create(dimension=m.lifecycle, to_state=m.lead)
    Transition.objects.create(
        dimension=m.lifecycle,
        from_state=m.lead,
        to_state=m.prospect,
        guard="valid_activities >= 3",
    )
    m.to_key = Transition.objects.create(
        dimension=m.lifecycle,
        from_state=m.prospect,
        to_state=m.key,
        approval_role=Role.SALES_MANAGER,
    )
    m.to_signed = Transition.objects.create(
        dimension=m.lifecycle, from_state=m.key, to_state=m.signed, reason_required=True
    )
    m.contract_step = ChecklistStep.objects.create(
        transition=m.to_signed, label_zh="合同审批", label_en="Contract approved", order=1
    )
    m.config_step = ChecklistStep.objects.create(
        transition=m.to_signed,
        label_zh="产品配置",
        label_en="Product configured",
        order=2,
        tick_role=Role.SALES_MANAGER,
    )
    Transition.objects.create(dimension=m.lifecycle, to_state=m.churned, reason_required=True)
    Transition.objects.create(dimension=m.lifecycle, from_state=m.churned, to_state=m.prospect)
    Transition.objects.create(dimension=m.tags, to_state=m.vip)
    Transition.objects.create(dimension=m.tags, to_state=m.first_service)
    return m


@pytest.fixture
def customer(org):
    return make_customer(org.rep, name="杭州青木科技有限公司")


def move(actor, customer, state, **extra):
    extra.setdefault("door", Door.WEB)
    return change_state(
        actor=actor, customer=customer, dimension=state.dimension, state=state, **extra
    )


def held(customer) -> dict[str, set[str]]:
    return {
        Dimension.objects.get(pk=dimension).key: {row.state.key for row in rows}
        for dimension, rows in current_states(customer).items()
    }


def log_valid(customer, actor, count, start=0):
    for index in range(count):
        log_activity(
            actor=actor,
            customer=customer,
            data={
                "kind": "call",
                "summary": f"沟通 {index}",
                "valid_communication": True,
                "occurred_at": at(start + index),
            },
        )


# --- moves -------------------------------------------------------------------------------------


def test_a_first_state_is_recorded_from_none(model, org, customer):
    outcome = move(org.rep, customer, model.lead, at=at(1))
    change = outcome.change
    assert (change.from_state, change.to_state, change.actor, change.door) == (
        None,
        model.lead,
        org.rep,
        Door.WEB,
    )
    assert change.seconds_in_previous is None
    assert held(customer) == {"lifecycle": {"lead"}}
    assert CustomerState.objects.get(customer=customer).since == at(1)
    # The same state again changes nothing.
    assert move(org.rep, customer, model.lead).unchanged
    assert StateChange.objects.count() == 1


def test_a_guard_names_the_condition_and_the_facts_that_failed(model, org, customer):
    move(org.rep, customer, model.lead, at=at(0))
    log_valid(customer, org.rep, 1)
    with pytest.raises(MoveRefused) as refused:
        move(org.rep, customer, model.prospect)
    assert refused.value.problems == [
        "The condition “valid_activities >= 3” does not hold (valid_activities = 1)."
    ]
    assert held(customer) == {"lifecycle": {"lead"}}

    log_valid(customer, org.rep, 2, start=1)
    change = move(org.rep, customer, model.prospect, at=at(10)).change
    assert change.facts == {"valid_activities": 3}
    assert change.seconds_in_previous == 10 * 86400


def test_a_move_the_model_does_not_declare_is_refused(model, org, customer):
    move(org.rep, customer, model.lead)
    with pytest.raises(MoveRefused) as refused:
        move(org.rep, customer, model.signed, reason="x")
    assert refused.value.problems == ["Lifecycle cannot move from “Lead” to “Signed”."]


def test_a_refusal_speaks_the_users_language(model, org, customer):
    from django.utils import translation

    move(org.rep, customer, model.lead)
    with translation.override("zh-hans"), pytest.raises(MoveRefused) as refused:
        move(org.rep, customer, model.signed, reason="x")
    assert refused.value.problems == ["生命周期 不能从“潜在”变为“签约”。"]


def test_an_approval_makes_the_move_wait_until_a_manager_decides(model, org, customer):
    move(org.rep, customer, model.lead)
    log_valid(customer, org.rep, 3)
    move(org.rep, customer, model.prospect)

    outcome = move(org.rep, customer, model.key, reason="大客户")
    request = outcome.request
    assert outcome.change is None and request.status == RequestStatus.PENDING
    assert held(customer) == {"lifecycle": {"prospect"}}
    with pytest.raises(MoveRefused):
        move(org.rep, customer, model.key)  # one pending move at a time
    with pytest.raises(PermissionDenied):
        approve_request(actor=org.rep, request=request)
    with pytest.raises(ValidationFailed):
        reject_request(actor=org.manager, request=request, comment=" ")

    approved = approve_request(actor=org.manager, request=request, comment="同意")
    assert held(customer) == {"lifecycle": {"key"}}
    assert approved.change.actor == org.rep
    assert approved.change.reason == "大客户"
    assert approved.change.facts["approved_by"] == org.manager.display_name
    request.refresh_from_db()
    assert (request.status, request.decided_by, request.change) == (
        RequestStatus.APPROVED,
        org.manager,
        approved.change,
    )
    with pytest.raises(ValidationFailed):
        approve_request(actor=org.manager, request=request)


def test_a_manager_moves_at_once_and_a_rejection_changes_nothing(model, org, customer):
    move(org.rep, customer, model.lead)
    log_valid(customer, org.rep, 3)
    move(org.rep, customer, model.prospect)
    request = move(org.rep, customer, model.key).request
    rejected = reject_request(actor=org.manager, request=request, comment="还需验证预算")
    assert rejected.status == RequestStatus.REJECTED
    assert held(customer) == {"lifecycle": {"prospect"}}
    assert move(org.manager, customer, model.key).change is not None


def test_a_checklist_and_a_reason_must_be_complete(model, org, customer):
    move(org.rep, customer, model.lead)
    log_valid(customer, org.rep, 3)
    move(org.rep, customer, model.prospect)
    move(org.manager, customer, model.key)

    with pytest.raises(MoveRefused) as refused:
        move(org.rep, customer, model.signed)
    assert refused.value.problems == [
        "Give a reason for this move.",
        "Tick these steps first: Contract approved; Product configured.",
    ]
    tick_step(actor=org.rep, customer=customer, step=model.contract_step)
    with pytest.raises(PermissionDenied):
        tick_step(actor=org.rep, customer=customer, step=model.config_step)
    tick_step(actor=org.manager, customer=customer, step=model.config_step)
    untick_step(actor=org.rep, customer=customer, step=model.contract_step)
    with pytest.raises(MoveRefused) as refused:
        move(org.rep, customer, model.signed, reason="合同已签")
    assert refused.value.problems == ["Tick these steps first: Contract approved."]
    tick_step(actor=org.rep, customer=customer, step=model.contract_step)

    move(org.rep, customer, model.signed, reason="合同已签")
    assert held(customer) == {"lifecycle": {"signed"}}
    # The ticks were used by the move.
    assert not model.contract_step.ticks.exists()


def test_backward_moves_are_ordinary_transitions(model, org, customer):
    move(org.rep, customer, model.lead, at=at(0))
    churned = move(org.rep, customer, model.churned, reason="一年未下单", at=at(30)).change
    back = move(org.rep, customer, model.prospect, at=at(45)).change
    assert (churned.from_state, back.from_state, back.to_state) == (
        model.lead,
        model.churned,
        model.prospect,
    )
    assert back.seconds_in_previous == 15 * 86400


def test_tag_like_dimensions_hold_several_states_and_lose_them_one_by_one(model, org, customer):
    move(org.rep, customer, model.vip)
    move(org.rep, customer, model.first_service)
    assert held(customer) == {"tags": {"vip", "first_service"}}
    removed = move(org.rep, customer, model.vip, remove=True).change
    assert (removed.from_state, removed.to_state) == (model.vip, None)
    assert held(customer) == {"tags": {"first_service"}}
    assert move(org.rep, customer, model.vip, remove=True).unchanged
    with pytest.raises(MoveRefused):
        move(org.rep, customer, model.lead, remove=True)


def test_who_may_change_what(model, org, customer):
    with pytest.raises(PermissionDenied):
        move(org.other_rep, customer, model.lead)
    model.lifecycle.set_by = SetBy.RULES
    model.lifecycle.save()
    with pytest.raises(MoveRefused) as refused:
        move(org.rep, customer, model.lead)
    assert refused.value.problems == ["Lifecycle is set by rules only."]
    change = change_state(
        actor=None,
        customer=customer,
        dimension=model.lifecycle,
        state=model.lead,
        door=Door.RULE,
        rule_key="new_customers_are_leads",
    ).change
    assert (change.actor, change.rule_key, change.door) == (None, "new_customers_are_leads", "rule")
    with pytest.raises(MoveRefused) as refused:
        change_state(
            actor=org.rep,
            customer=customer,
            dimension=model.lifecycle,
            state=model.vip,
            door=Door.API,
        )
    assert refused.value.problems == ["“VIP” is not a state of Lifecycle."]


# --- history -------------------------------------------------------------------------------------


def test_the_history_answers_as_of_and_between_questions(model, org, customer):
    other = make_customer(org.rep, name="宁波海曙贸易有限公司")
    move(org.rep, customer, model.lead, at=at(0))
    move(org.rep, customer, model.churned, reason="停止合作", at=at(10))
    move(org.rep, other, model.lead, at=at(5))

    assert state_as_of(customer, model.lifecycle, at(-1)) is None
    assert state_as_of(customer, model.lifecycle, at(9)) == model.lead
    assert state_as_of(customer, model.lifecycle, at(10)) == model.churned
    standing = {
        change.customer_id: change.to_state for change in states_as_of(model.lifecycle, at(7))
    }
    assert standing == {customer.pk: model.lead, other.pk: model.lead}
    between = list(changes_between(model.lifecycle, at(4), at(11)))
    assert [(c.customer_id, c.to_state.key) for c in between] == [
        (other.pk, "lead"),
        (customer.pk, "churned"),
    ]


def test_replaying_the_history_gives_the_current_states(model, org, customer, admin):
    chance = random.Random(5)
    states = [model.lead, model.prospect, model.key, model.signed, model.churned]
    log_valid(customer, org.rep, 3)
    tick_step(actor=admin, customer=customer, step=model.contract_step)
    for step in range(80):
        target = chance.choice([*states, model.vip, model.first_service])
        remove = target.dimension_id == model.tags.pk and chance.random() < 0.4
        with contextlib.suppress(MoveRefused):
            move(admin, customer, target, reason="理由", remove=remove, at=at(step))
        if step % 7 == 0:
            tick_step(actor=admin, customer=customer, step=model.contract_step)
            tick_step(actor=admin, customer=customer, step=model.config_step)
    current = {
        dimension: {row.state_id for row in rows}
        for dimension, rows in current_states(customer).items()
    }
    assert StateChange.objects.filter(customer=customer).count() > 10
    assert replayed_states(customer) == current


def test_no_code_but_the_entry_point_writes_states_or_history():
    """Every door goes through change_state: nothing else in tend/ creates, updates or
    deletes current states or history rows."""
    root = Path(__file__).resolve().parents[2] / "tend"
    writes = re.compile(
        r"(CustomerState|StateChange)\.objects\.(create|bulk_create|update|update_or_create|get_or_create)"
        r"|\.objects\.filter\([^)]*\)\.(update|delete)\(.*(CustomerState|StateChange)"
    )
    found = [
        f"{path.relative_to(root)}:{number}"
        for path in root.rglob("*.py")
        if "migrations" not in path.parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if writes.search(line) or re.search(r"\b(leaving|previous)\.delete\(\)", line)
    ]
    assert found and all(place.startswith("status/actions.py:") for place in found), found
    # Hand-written SQL naming their tables in a module that writes SQL: only the set-based
    # half of the entry point.
    names_tables = re.compile(
        r"(CustomerState|StateChange)\)|(CustomerState|StateChange)\._meta\.db_table"
        r"|status_customerstate|status_statechange"
    )
    writes_sql = re.compile(r"INSERT INTO|DELETE FROM|UPDATE \{")
    raw = {
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "migrations" not in path.parts
        and names_tables.search(text := path.read_text(encoding="utf-8"))
        and writes_sql.search(text)
    }
    # rules.py keeps RuleFiring, not states: it names CustomerState only to read it.
    assert raw <= {"status/bulk_moves.py", "status/rules.py"}, raw
    assert not re.search(
        r"(INSERT INTO|DELETE FROM|UPDATE) [^\n]*(CustomerState|StateChange)",
        (root / "status" / "rules.py").read_text(encoding="utf-8"),
    )


# --- facts ---------------------------------------------------------------------------------------


def test_each_fact_reads_the_customers_records(model, org, customer):
    now = at(60)
    move(org.rep, customer, model.lead, at=at(20))
    move(org.rep, customer, model.vip, at=at(21))
    log_valid(customer, org.rep, 2, start=40)
    make_ticket(customer, at=at(50))
    make_feedback(customer, at=at(55), kind="complaint", severity="high")
    make_feedback(customer, at=at(-40), kind="complaint", severity="high")  # too old
    make_feedback(customer, at=at(56), kind="praise")
    customer.refresh_from_db()
    text = (
        "valid_activities == 2 and days_since_last_contact >= 0 and "
        'days_in_state("lifecycle") == 40 and state("lifecycle") == "lead" and '
        'in_state("tags", "vip") and not in_state("tags", "first_service") and '
        "open_tickets == 1 and complaints_90d == 1 and days_since_last_order > 0"
    )
    condition = conditions.parse(text, signatures())
    values = fact_values(condition, customer.pk, now)
    assert {name: values[name] for name in values if name != "days_since_last_contact"} == {
        "valid_activities": 2,
        'days_in_state("lifecycle")': pytest.approx(40),
        'state("lifecycle")': "lead",
        'in_state("tags", "vip")': True,
        'in_state("tags", "first_service")': False,
        "open_tickets": 1,
        "complaints_90d": 1,
        "days_since_last_order": None,  # no order yet: unknown
    }
    assert values["days_since_last_contact"] == pytest.approx(
        (now - customer.last_contact_at).total_seconds() / 86400
    )
    # Unknown makes the whole "and" unknown: it does not hold.
    assert not conditions.evaluate(condition, lambda fact: values[_label(fact)])
    assert set(FACTS) >= {fact.name for fact in condition.facts()}


def _label(fact):
    from tend.status.facts import fact_label

    return fact_label(fact)


def test_a_guard_naming_a_state_of_another_dimension_is_refused(model):
    with pytest.raises(conditions.ConditionErrors) as refused:
        conditions.parse('state("lifecycle") == "vip"', signatures())
    assert str(refused.value.errors[0].message) == (
        "“vip” is not a value of state; it can be: churned, key, lead, prospect, signed."
    )
    with pytest.raises(conditions.ConditionErrors) as refused:
        conditions.parse('in_state("lifecycle", "vip")', signatures())
    assert refused.value.errors[0].column == 23
    with pytest.raises(conditions.ConditionErrors):
        conditions.parse('state("tags") == "vip"', signatures())  # tag-like: use in_state


def test_an_approval_checks_the_move_again_and_a_refusal_leaves_it_waiting(model, org, customer):
    move(org.rep, customer, model.lead)
    log_valid(customer, org.rep, 3)
    move(org.rep, customer, model.prospect)
    request = move(org.rep, customer, model.key).request
    # Meanwhile the customer churned: prospect → key no longer applies.
    move(org.manager, customer, model.churned, reason="客户倒闭")
    with pytest.raises(MoveRefused) as refused:
        approve_request(actor=org.manager, request=request)
    assert refused.value.problems == ["Lifecycle cannot move from “Churned” to “Key”."]
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING
    assert held(customer) == {"lifecycle": {"churned"}}
