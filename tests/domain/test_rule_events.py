"""Event rules: after the change that wakes them commits, the worker (immediate in tests)
evaluates the enabled rules of that trigger for that one customer, through the same
set-based path and history as every other change. Rules' own changes raise no events."""

import pytest

from tend.status.actions import change_state
from tend.status.models import CustomerState, Dimension, Door, Rule, State, StateChange
from tests.factories import make_activity, make_customer


def held(customer, dimension_key):
    return set(
        CustomerState.objects.filter(customer=customer, dimension__key=dimension_key).values_list(
            "state__key", flat=True
        )
    )


@pytest.fixture
def lead(org, admin):
    Rule.objects.update(enabled=False)
    customer = make_customer(org.rep, name="事件客户有限公司")
    lifecycle = Dimension.objects.get(key="lifecycle")
    change_state(
        actor=admin,
        customer=customer,
        dimension=lifecycle,
        state=State.objects.get(dimension=lifecycle, key="lead"),
        door=Door.WEB,
    )
    return customer


def test_logging_an_activity_runs_the_activity_rules_after_commit(
    lead, admin, django_capture_on_commit_callbacks
):
    Rule.objects.filter(key="leads_after_three_valid_talks").update(enabled=True)
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            make_activity(lead, admin, valid_communication=True)
    assert held(lead, "lifecycle") == {"lead"}  # three talks: not yet more than three
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        make_activity(lead, admin, valid_communication=True)
        assert held(lead, "lifecycle") == {"lead"}, "nothing runs before the commit"
    assert len(callbacks) == 1
    assert held(lead, "lifecycle") == {"prospect"}
    change = StateChange.objects.get(customer=lead, rule_key="leads_after_three_valid_talks")
    assert (change.door, change.facts["valid_activities"]) == ("rule", 4)


def test_an_event_runs_only_its_own_triggers_rules(lead, admin, django_capture_on_commit_callbacks):
    Rule.objects.create(
        key="on_schedule_only",
        label_zh="仅定时",
        condition="valid_activities >= 1",
        actions=[{"type": "set_state", "dimension": "grade", "state": "A"}],
        enabled=True,
    )
    with django_capture_on_commit_callbacks(execute=True):
        make_activity(lead, admin, valid_communication=True)
    assert held(lead, "grade") == set()


def test_a_state_entered_by_a_person_wakes_state_rules_but_a_rules_change_does_not(
    lead, admin, org, django_capture_on_commit_callbacks
):
    Rule.objects.create(
        key="key_customers_are_grade_a",
        label_zh="重点客户为 A 级",
        trigger="state_entered",
        condition='state("lifecycle") == "prospect"',
        actions=[{"type": "set_state", "dimension": "grade", "state": "A"}],
        enabled=True,
    )
    Rule.objects.create(
        key="grade_a_gets_a_window",
        label_zh="A 级进入升级窗口",
        trigger="state_entered",
        condition='in_state("grade", "A")',
        actions=[{"type": "set_state", "dimension": "time_window", "state": "upgrade_window"}],
        enabled=True,
        priority=200,
    )
    make_activity(lead, admin, valid_communication=True)
    lifecycle = Dimension.objects.get(key="lifecycle")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        change_state(
            actor=org.rep,
            customer=lead,
            dimension=lifecycle,
            state=State.objects.get(dimension=lifecycle, key="prospect"),
            door=Door.WEB,
        )
    # The person's move wakes both rules once, in priority order; the rule's own change to
    # grade A raised no further job.
    assert len(callbacks) == 1
    assert held(lead, "grade") == {"A"}
    assert held(lead, "time_window") == {"upgrade_window"}


def test_the_nightly_job_runs_scheduled_and_payment_overdue_rules_not_event_ones(lead, admin):
    from tend.status.tasks import evaluate_nightly_rules

    for key, trigger, state in [
        ("nightly", "schedule", "A"),
        ("overdue", "payment_overdue", "B"),
        ("on_activity", "activity_logged", "C"),
    ]:
        Rule.objects.create(
            key=key,
            label_zh=key,
            trigger=trigger,
            condition="true",
            actions=[
                {
                    "type": "set_state",
                    "dimension": "time_window",
                    "state": {"A": "peak_season", "B": "renewal_window", "C": "upgrade_window"}[
                        state
                    ],
                }
            ],
            enabled=True,
        )
    evaluate_nightly_rules.call_local()
    assert held(lead, "time_window") == {"peak_season", "renewal_window"}


def test_no_job_is_queued_when_no_enabled_rule_listens(
    lead, admin, django_capture_on_commit_callbacks
):
    from unittest import mock

    with (
        mock.patch("tend.status.tasks.evaluate_customers") as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        make_activity(lead, admin, valid_communication=True)
    assert queued.call_count == 0
    Rule.objects.filter(key="leads_after_three_valid_talks").update(enabled=True)
    with (
        mock.patch("tend.status.tasks.evaluate_customers") as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        make_activity(lead, admin, valid_communication=True)
    queued.assert_called_once_with([lead.pk], "activity_logged")
