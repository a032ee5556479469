"""Trying a rule before it is switched on: the dry run reports what evaluate would change now
and changes nothing; the backtest replays the rule step by step from a past day, as of each
step's moment (records dated later left out), each step seeing the earlier steps' changes,
reports when each customer would first have changed, names the facts it can only read as
they stand today, refuses too many steps — and changes nothing either."""

import datetime
import random

import pytest
from django.db import connection
from django.utils import timezone

from tend.activities.actions import refresh_contact_time_nodes
from tend.activities.models import Activity
from tend.core.errors import ValidationFailed
from tend.customers.models import Customer
from tend.status import conditions
from tend.status.backtest import (
    AS_OF,
    MAX_STEPS,
    dry_run,
    facts_read_as_of_today,
    read_as_of,
    read_job,
    run_backtest,
    run_job,
    start_job,
    step_moments,
)
from tend.status.facts import fact_sql, signatures
from tend.status.materialized import refresh_facts
from tend.status.models import CustomerState, Rule, StateChange
from tend.status.rules import evaluate
from tests.factories import make_customer
from tests.factories_orders import make_order
from tests.factories_service import make_feedback

NOW = timezone.now().replace(microsecond=0)
TODAY = timezone.localdate(NOW)
DAY = datetime.timedelta(days=1)


def grade_a_rule(condition: str, key: str = "two_valid_talks") -> Rule:
    return Rule(
        key=key,
        label_zh="两次有效沟通",
        condition=condition,
        actions=[{"type": "set_state", "dimension": "grade", "state": "A"}],
    )


def talks(customer, author, *days_ago: int, valid: bool = True) -> None:
    """Follow-ups logged the given number of days before NOW (written directly: logging
    refuses to backdate freely), with the customer's time nodes recomputed."""
    for days in days_ago:
        Activity.objects.create(
            customer=customer,
            author=author,
            kind="call",
            summary="沟通",
            occurred_at=NOW - days * DAY,
            valid_communication=valid,
        )
    refresh_contact_time_nodes(customer.pk)


def history():
    return StateChange.objects.count(), list(CustomerState.objects.values_list("id", flat=True))


@pytest.fixture
def talked(org, admin):
    """Customers whose second valid follow-up came on a known day."""
    Rule.objects.update(enabled=False)
    made = {
        "early": make_customer(org.rep, name="早已两次有效沟通"),  # both before the start
        "day_6": make_customer(org.rep, name="六天前第二次"),
        "day_3": make_customer(org.rep, name="三天前第二次"),
        "once": make_customer(org.rep, name="只有一次有效沟通"),
        "invalid": make_customer(org.rep, name="两次无效沟通"),
    }
    talks(made["early"], admin, 30, 25)
    talks(made["day_6"], admin, 10, 6)
    talks(made["day_3"], admin, 20, 3)
    talks(made["once"], admin, 5)
    talks(made["invalid"], admin, 8, 4, valid=False)
    return made


def test_the_backtest_reports_the_day_each_customer_would_first_have_changed(talked):
    before = history()
    start = TODAY - 12 * DAY
    result = run_backtest(grade_a_rule("valid_activities >= 2"), start=start, step_days=1, now=NOW)

    first = {change.customer_id: timezone.localdate(change.at) for change in result.first_changes}
    assert first == {
        talked["early"].pk: start,
        talked["day_6"].pk: TODAY - 6 * DAY,
        talked["day_3"].pk: TODAY - 3 * DAY,
    }
    # Nothing of the backtest stays.
    assert history() == before
    assert not CustomerState.objects.filter(dimension__key="grade").exists()
    # Twelve past days and now; each step sees the earlier steps' changes, so a customer
    # changed once is not matched again.
    assert len(result.steps) == 13 and result.steps[-1].at == NOW
    by_day = {timezone.localdate(step.at): (step.matched, step.changed) for step in result.steps}
    assert by_day[start] == (1, 1)
    assert by_day[start + DAY] == (0, 0)
    assert by_day[TODAY - 6 * DAY] == (1, 1)
    assert by_day[TODAY - 3 * DAY] == (1, 1)
    assert result.changes == 3
    # The facts that chose each customer are those of that moment.
    facts = {change.customer_id: change.facts for change in result.first_changes}
    assert facts[talked["day_6"].pk] == {"valid_activities": 2}
    # The moves: no grade yet → A.
    assert all(len(change.moves) == 1 for change in result.first_changes)
    assert result.read_as_of_today == [] and result.guards_read_as_of_today == []


def test_the_backtest_with_weekly_steps_reports_the_step_that_would_have_changed_it(talked):
    start = TODAY - 14 * DAY
    result = run_backtest(grade_a_rule("valid_activities >= 2"), start=start, step_days=7, now=NOW)
    first = {change.customer_id: timezone.localdate(change.at) for change in result.first_changes}
    # Steps at the end of day -14 and day -7, then now: the second talk on day -6 and on
    # day -3 are first seen by the step of now.
    assert [timezone.localdate(step.at) for step in result.steps] == [start, start + 7 * DAY, TODAY]
    assert first == {
        talked["early"].pk: start,
        talked["day_6"].pk: TODAY,
        talked["day_3"].pk: TODAY,
    }


def test_the_backtest_names_the_facts_it_reads_as_they_stand_today(talked):
    rule = Rule(
        key="to_prospect",
        label_zh="转意向",
        condition='state("lifecycle") == "lead" and valid_activities >= 2 and open_tickets == 0',
        actions=[{"type": "set_state", "dimension": "lifecycle", "state": "prospect"}],
    )
    in_condition, in_guards = facts_read_as_of_today(rule)
    assert in_condition == ["open_tickets", 'state("lifecycle")']
    # The default model's lead → prospect move is guarded by valid_activities >= 1, and
    # guards read the live facts.
    assert in_guards == ["valid_activities"]
    result = run_backtest(rule, start=TODAY - 3 * DAY, step_days=1, now=NOW)
    assert result.read_as_of_today == in_condition
    assert result.guards_read_as_of_today == in_guards


def test_too_many_steps_are_refused_with_a_clear_message():
    with pytest.raises(ValidationFailed) as refused:
        step_moments(TODAY - MAX_STEPS * DAY, 1, NOW)
    assert "at most 60 steps; this one would have 61" in refused.value.field_errors["since"][0]
    assert len(step_moments(TODAY - (MAX_STEPS - 1) * DAY, 1, NOW)) == MAX_STEPS
    with pytest.raises(ValidationFailed) as refused:
        step_moments(TODAY, 1, NOW)
    assert refused.value.field_errors == {"since": ["Choose a day before today."]}
    with pytest.raises(ValidationFailed):
        step_moments(TODAY - 5 * DAY, 2, NOW)


def test_the_dry_run_reports_what_evaluate_would_change_and_changes_nothing(talked):
    rule = grade_a_rule("valid_activities >= 2")
    before = history()
    dry = dry_run(rule, now=NOW, listed=2)
    assert history() == before
    assert (dry.matched, dry.changed, dry.waiting, dry.refused) == (3, 3, 0, 0)
    # The first two, by id, with the facts that chose them and their move.
    assert [row.customer_id for row in dry.listed] == sorted(
        [talked["early"].pk, talked["day_6"].pk, talked["day_3"].pk]
    )[:2]
    assert all(
        row.outcome == "changed" and row.facts == {"valid_activities": 2} for row in dry.listed
    )
    assert all(len(row.moves) == 1 for row in dry.listed)

    run = evaluate(rules=[rule], now=NOW).results[0]
    assert run.changed == dry.changed
    assert sorted({change[0] for change in run.changes}) == sorted(
        [talked["early"].pk, talked["day_6"].pk, talked["day_3"].pk]
    )


def test_a_backtest_job_keeps_its_progress_and_result(talked, admin):
    token = start_job(
        actor=admin, rule=grade_a_rule("valid_activities >= 2"), start=TODAY - 4 * DAY, step_days=1
    )
    assert read_job(token)["status"] == "queued" and read_job(token)["total"] == 5
    assert run_job(token) == "done"
    job = read_job(token)
    assert (job["status"], job["done"], job["total"]) == ("done", 5, 5)
    assert {change.customer_id for change in job["result"].first_changes} == {
        talked["early"].pk,
        talked["day_6"].pk,
        talked["day_3"].pk,
    }
    assert run_job(token) == "missing"  # a job runs once
    assert read_job("unknown") is None


# --- the facts read as of a moment equal the live ones now ------------------------------------


@pytest.fixture
def histories(org, admin):
    chance = random.Random(7)
    made = []
    for index in range(25):
        customer = make_customer(org.rep, name=f"历史客户{index}")
        days = chance.sample(range(1, 300), chance.randrange(0, 6))
        talks(customer, admin, *days[: len(days) // 2])
        talks(customer, admin, *days[len(days) // 2 :], valid=False)
        for number in range(chance.randrange(0, 6)):
            make_order(
                customer,
                actor=admin,
                number=f"SO-{index}-{number}",
                amount=str(chance.randrange(100, 90000)),
                ordered_on=TODAY - chance.randrange(1, 400) * DAY,
            )
        for _ in range(chance.randrange(0, 3)):
            make_feedback(
                customer, actor=admin, at=NOW - chance.randrange(1, 150) * DAY, kind="complaint"
            )
        made.append(customer)
    refresh_facts(NOW)
    return made


def _values(read, fact_name: str, at) -> list:
    fact = conditions.parse(f"{fact_name} == 0", signatures()).facts()[0]
    sql, params = read(fact, connection.vendor, at)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT customer.id, {sql} FROM {connection.ops.quote_name(Customer._meta.db_table)} "
            "AS customer ORDER BY customer.id",
            params,
        )
        return [
            (row[0], None if row[1] is None else round(float(row[1]), 4))
            for row in cursor.fetchall()
        ]


@pytest.mark.parametrize("fact_name", sorted(AS_OF))
def test_facts_read_as_of_now_equal_the_live_facts(histories, fact_name):
    live = _values(fact_sql, fact_name, NOW)
    assert _values(read_as_of, fact_name, NOW) == live
    assert any(value not in (None, 0) for _id, value in live), "the data should vary"


def test_facts_read_as_of_a_past_moment_leave_out_later_records(org, admin):
    customer = make_customer(org.rep, name="按时点读取")
    talks(customer, admin, 40, 20, 5)
    make_order(customer, actor=admin, number="SO-1", amount="300", ordered_on=TODAY - 30 * DAY)
    make_order(customer, actor=admin, number="SO-2", amount="700", ordered_on=TODAY - 2 * DAY)
    make_feedback(customer, actor=admin, at=NOW - 3 * DAY, kind="complaint")
    then = NOW - 10 * DAY

    def value(name):
        return dict(_values(read_as_of, name, then))[customer.pk]

    assert value("valid_activities") == 2
    assert value("activities_90d") == 2
    assert value("days_since_last_contact") == 10
    assert value("orders_365d") == 1
    assert value("revenue_365d") == 300
    assert value("complaints_90d") == 0
    assert 19 < value("days_since_last_order") < 21  # from the order day's midnight (UTC)


def test_a_rule_that_moves_no_state_is_backtested_too(talked):
    rule = Rule(
        key="tag_two_talks",
        label_zh="两次沟通加标签",
        condition="valid_activities >= 2",
        actions=[{"type": "add_tag", "tag": "两次沟通"}],
    )
    result = run_backtest(rule, start=TODAY - 8 * DAY, step_days=1, now=NOW)
    first = {change.customer_id: timezone.localdate(change.at) for change in result.first_changes}
    assert first == {
        talked["early"].pk: TODAY - 8 * DAY,
        talked["day_6"].pk: TODAY - 6 * DAY,
        talked["day_3"].pk: TODAY - 3 * DAY,
    }
    assert all(change.moves == [] for change in result.first_changes)
    assert not talked["early"].tags.exists()  # nothing of it stays
