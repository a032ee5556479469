"""Grading and cadence (PRODUCT.md S7): each grade's follow-up cadence comes from the model,
logging a follow-up sets the customer's next follow-up due date (and re-grades it through the
status engine), and each rep's worklist (今日待跟进) lists what is due or overdue, most urgent
first, only for the rep's own customers, a page at a time in a fixed number of queries."""

import datetime

import pytest
import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tend.activities.actions import delete_activity, log_activity, log_follow_up
from tend.activities.models import Activity
from tend.audit.models import AuditEntry
from tend.core.errors import ValidationFailed
from tend.customers.models import UNGRADED_RANK, Customer
from tend.status import conditions
from tend.status.actions import MoveRefused, change_state
from tend.status.cadence import (
    after_state_change,
    follow_up_worklist,
    grade_states,
    refresh_follow_up_due,
)
from tend.status.facts import fact_values, signatures
from tend.status.model_file import ModelFileErrors, apply_model, export_model, parse_model
from tend.status.models import (
    CustomerState,
    Dimension,
    Door,
    RequestStatus,
    State,
    StateChange,
    Transition,
    TransitionRequest,
)
from tend.status.rules import condition_sql, holds_for
from tests.factories import make_customer

DAY = datetime.timedelta(days=1)


def today() -> datetime.date:
    return timezone.localdate()


def noon(days_ago: int) -> datetime.datetime:
    """Noon, local time, `days_ago` days before today (always in the past for days_ago ≥ 1)."""
    day = today() - days_ago * DAY
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def grade(key: str) -> State:
    return State.objects.get(dimension__key="grade", key=key)


def set_grade(customer, key: str, actor=None):
    state = grade(key)
    return change_state(
        actor=actor or customer.owner,
        customer=customer,
        dimension=state.dimension,
        state=state,
        door=Door.WEB,
    )


def contact(customer, days_ago: int, **data):
    return log_activity(
        actor=customer.owner,
        customer=customer,
        data={"kind": "call", "summary": "跟进", "occurred_at": noon(days_ago), **data},
    )


def due_on(customer) -> datetime.date | None:
    return Customer.objects.values_list("follow_up_due_on", flat=True).get(pk=customer.pk)


def graded(owner, key: str | None, *, contacted_days_ago: int | None = None, **plan):
    customer = make_customer(owner)
    if key:
        set_grade(customer, key)
    if contacted_days_ago is not None:
        contact(customer, contacted_days_ago, **plan)
    return customer


# --- the cadence, from the model ----------------------------------------------------------------


def test_each_grade_of_the_default_model_has_its_cadence(db):
    cadence = {state.key: state.follow_up_days for state in grade_states()}
    assert cadence == {"A": 1, "B": 7, "C": 15, "D": 30, "E": 365}
    assert {state.dimension.key for state in grade_states()} == {"grade"}


def test_the_grade_dimension_is_found_by_its_cadence_not_its_key(db, admin, rep):
    model = yaml.safe_load(export_model())
    for dimension in model["dimensions"]:
        if dimension["key"] == "grade":
            dimension["key"] = "level"
    apply_model(actor=admin, specs=parse_model(yaml.safe_dump(model, allow_unicode=True)))
    assert not Dimension.objects.filter(key="grade").exists()
    assert [state.key for state in grade_states()] == ["A", "B", "C", "D", "E"]
    assert {state.dimension.key for state in grade_states()} == {"level"}
    customer = make_customer(rep)
    log_follow_up(
        actor=rep,
        customer=customer,
        data={"kind": "call", "summary": "跟进", "occurred_at": noon(3), "grade": "B"},
        door=Door.WEB,
    )
    assert due_on(customer) == today() - 3 * DAY + 7 * DAY


# --- the due date -------------------------------------------------------------------------------


def test_logging_a_follow_up_sets_the_due_date_by_the_grades_cadence(db, rep):
    customer = graded(rep, "B")
    contact(customer, 3)
    assert due_on(customer) == today() + 4 * DAY
    condition = conditions.parse("next_follow_up_in_days == 4", signatures())
    assert fact_values(condition, customer.pk, timezone.now()) == {"next_follow_up_in_days": 4}
    contact(customer, 10)  # an older contact changes nothing: the last one counts
    assert due_on(customer) == today() + 4 * DAY


def test_the_fact_answers_alike_for_every_customer_at_once_and_for_one(db, rep):
    overdue = graded(rep, "A", contacted_days_ago=3)
    later = graded(rep, "E", contacted_days_ago=3)
    never_due = make_customer(rep)
    now = timezone.now()
    text = "next_follow_up_in_days < 0"
    where, params = condition_sql(conditions.parse(text, signatures()), now)
    table = connection.ops.quote_name(Customer._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT customer.id FROM {table} AS customer WHERE {where}", params)
        assert [row[0] for row in cursor.fetchall()] == [overdue.pk]
    assert [holds_for(text, c.pk, now) for c in (overdue, later, never_due)] == [
        True,
        False,
        False,
    ]


def test_a_planned_follow_up_brings_the_due_date_forward_but_never_back(db, rep):
    customer = graded(rep, "D")
    contact(customer, 2, next_follow_up_on=today() + 3 * DAY)
    assert due_on(customer) == today() + 3 * DAY
    contact(customer, 1, next_follow_up_on=today() + 60 * DAY)
    assert due_on(customer) == today() - DAY + 30 * DAY


def test_a_contact_on_or_after_the_planned_day_fulfils_the_plan(db, rep):
    customer = graded(rep, "D")
    contact(customer, 10, next_follow_up_on=today() - 8 * DAY)
    assert due_on(customer) == today() - 8 * DAY
    contact(customer, 8)  # on the planned day, no new plan
    assert due_on(customer) == today() - 8 * DAY + 30 * DAY


def test_without_a_grade_only_a_planned_follow_up_is_due(db, rep):
    customer = make_customer(rep)
    contact(customer, 2)
    assert due_on(customer) is None
    contact(customer, 1, next_follow_up_on=today() + 5 * DAY)
    assert due_on(customer) == today() + 5 * DAY
    assert Customer.objects.get(pk=customer.pk).follow_up_rank == UNGRADED_RANK


def test_a_customer_never_contacted_is_due_a_cadence_after_it_was_created(db, rep):
    customer = make_customer(rep)
    set_grade(customer, "A")
    refresh_follow_up_due(Customer.objects.filter(pk=customer.pk))
    created_day = timezone.localdate(customer.created_at)
    assert due_on(customer) == created_day + DAY


def test_deleting_the_last_activity_moves_the_due_date_back(db, rep):
    customer = graded(rep, "B")
    contact(customer, 6)
    latest = contact(customer, 1)
    assert due_on(customer) == today() + 6 * DAY
    delete_activity(actor=rep, activity=latest)
    assert due_on(customer) == today() + DAY


def test_imported_activities_move_the_due_date(db, admin, settings, tmp_path):
    from tests.domain.test_imports import run_kind, write_csv

    settings.DATA_DIR = tmp_path
    customer = make_customer(admin, phone="13812345678")
    set_grade(customer, "C")
    contacted = today() - 4 * DAY
    path = write_csv(
        tmp_path / "activities.csv",
        [["13812345678", "电话", f"{contacted.isoformat()} 10:00", "电话回访"]],
        headers=["客户电话", "类型", "时间", "内容"],
    )
    assert run_kind(admin, "activities", path).created_count == 1
    assert due_on(customer) == contacted + 15 * DAY


def test_a_full_refresh_agrees_with_the_upkeep_of_each_write(db, rep, other_rep):
    graded(rep, "A", contacted_days_ago=3)
    graded(rep, "C", contacted_days_ago=20, next_follow_up_on=today() - 10 * DAY)
    graded(rep, None, contacted_days_ago=4, next_follow_up_on=today() + DAY)
    graded(other_rep, "E", contacted_days_ago=400)
    graded(other_rep, None)
    columns = ("pk", "follow_up_due_on", "follow_up_rank")
    kept = list(Customer.objects.order_by("pk").values_list(*columns))
    Customer.objects.update(follow_up_due_on=None, follow_up_rank=None)
    # Every customer but the one with neither a grade nor a plan is written.
    assert refresh_follow_up_due() == len(kept) - 1
    assert list(Customer.objects.order_by("pk").values_list(*columns)) == kept


def test_the_hook_for_change_state_follows_the_grade_and_ignores_other_dimensions(db, rep):
    customer = graded(rep, "D", contacted_days_ago=2)
    assert due_on(customer) == today() + 28 * DAY
    moved = set_grade(customer, "A").change
    after_state_change(customer.pk, moved.from_state, moved.to_state)
    assert due_on(customer) == today() - DAY
    lead = State.objects.get(dimension__key="lifecycle", key="lead")
    with CaptureQueriesContext(connection) as captured:
        after_state_change(customer.pk, None, lead)
    assert [query["sql"].split()[0] for query in captured] == ["SELECT"]


def test_a_grade_changed_through_the_status_engine_moves_the_due_date(db, rep):
    customer = graded(rep, "D", contacted_days_ago=2)
    assert due_on(customer) == today() + 28 * DAY
    set_grade(customer, "A")
    assert due_on(customer) == today() - DAY


def test_a_bulk_regrade_moves_every_due_date_at_once(db, rep):
    from tend.customers.models import Customer
    from tend.status.bulk_moves import change_states_of
    from tend.status.models import Door

    customers = [graded(rep, "D", contacted_days_ago=2) for _ in range(3)]
    grade_a = State.objects.get(dimension__key="grade", key="A")
    outcome = change_states_of(
        Customer.objects.filter(pk__in=[c.pk for c in customers]),
        actor=rep,
        dimension=grade_a.dimension,
        state=grade_a,
        door=Door.BULK,
    )
    assert outcome.changed == 3
    assert {due_on(customer) for customer in customers} == {today() - DAY}


# --- re-grading when logging a follow-up --------------------------------------------------------


def follow_up(customer, actor=None, days_ago=1, **data):
    return log_follow_up(
        actor=actor or customer.owner,
        customer=customer,
        data={"kind": "visit", "summary": "拜访", "occurred_at": noon(days_ago), **data},
        door=Door.API,
    )


def test_logging_a_follow_up_with_a_grade_moves_it_through_change_state(db, rep):
    customer = graded(rep, "C")
    logged = follow_up(customer, grade="A", days_ago=2)
    assert logged.grade.kind == "changed"
    change = StateChange.objects.filter(customer=customer).latest("id")
    assert (change.from_state.key, change.to_state.key) == ("C", "A")
    assert (change.door, change.actor) == (Door.API, rep)
    assert (
        CustomerState.objects.get(customer=customer, dimension=grade("A").dimension).state.key
        == "A"
    )
    assert Activity.objects.filter(customer=customer).count() == 1
    assert due_on(customer) == today() - DAY  # two days ago + A's one day: overdue
    assert Customer.objects.get(pk=customer.pk).follow_up_rank == grade("A").order


def test_a_first_grade_is_given_when_logging_a_follow_up(db, rep):
    customer = make_customer(rep)
    logged = follow_up(customer, grade="E")
    assert logged.grade.kind == "changed"
    assert logged.grade.change.from_state is None
    assert due_on(customer) == today() - DAY + 365 * DAY


def test_the_grade_it_already_has_changes_nothing(db, rep):
    customer = graded(rep, "B")
    changes = StateChange.objects.count()
    logged = follow_up(customer, grade="B")
    assert logged.grade.kind == "unchanged"
    assert StateChange.objects.count() == changes
    assert follow_up(customer).grade is None


def test_a_refused_re_grade_writes_nothing(db, rep):
    customer = graded(rep, "B", contacted_days_ago=5)
    Transition.objects.filter(to_state=grade("A")).update(reason_required=True)
    before = (
        Activity.objects.count(),
        StateChange.objects.count(),
        AuditEntry.objects.count(),
        Customer.objects.values_list("last_contact_at", "follow_up_due_on").get(pk=customer.pk),
    )
    with pytest.raises(MoveRefused) as refused:
        follow_up(customer, grade="A")
    assert refused.value.field_errors == {"grade": ["Give a reason for this move."]}
    after = (
        Activity.objects.count(),
        StateChange.objects.count(),
        AuditEntry.objects.count(),
        Customer.objects.values_list("last_contact_at", "follow_up_due_on").get(pk=customer.pk),
    )
    assert after == before
    logged = follow_up(customer, grade="A", grade_reason="客户预算已批")
    assert logged.grade.change.reason == "客户预算已批"


def test_a_re_grade_that_needs_approval_waits_and_the_follow_up_is_logged(db, rep):
    customer = graded(rep, "B")
    Transition.objects.filter(to_state=grade("A")).update(approval_role="sales_manager")
    logged = follow_up(customer, grade="A")
    assert logged.grade.kind == "waiting"
    request = TransitionRequest.objects.get(customer=customer)
    assert (request.status, request.to_state.key, request.door) == (
        RequestStatus.PENDING,
        "A",
        Door.API,
    )
    assert (
        CustomerState.objects.get(customer=customer, state__dimension__key="grade").state.key == "B"
    )
    assert Activity.objects.filter(customer=customer).count() == 1
    assert due_on(customer) == today() - DAY + 7 * DAY


def test_an_unknown_grade_is_refused_and_nothing_is_logged(db, rep):
    customer = graded(rep, "B")
    with pytest.raises(ValidationFailed) as refused:
        follow_up(customer, grade="Z")
    assert refused.value.field_errors == {"grade": ["Unknown grade."]}
    assert not Activity.objects.filter(customer=customer).exists()


# --- the worklist (今日待跟进) -----------------------------------------------------------------


def worklist_ids(user, **options) -> list[int]:
    return [entry.customer.pk for entry in follow_up_worklist(user, **options).items]


def test_the_worklist_lists_what_is_due_most_overdue_first_then_by_grade(db, rep):
    overdue_c = graded(rep, "C", contacted_days_ago=20)  # due 5 days ago
    overdue_a = graded(rep, "A", contacted_days_ago=6)  # due 5 days ago, a better grade
    planned = graded(rep, None, contacted_days_ago=3, next_follow_up_on=today() - DAY)
    due_today = graded(rep, "B", contacted_days_ago=7)
    graded(rep, "B", contacted_days_ago=2)  # due in 5 days
    graded(rep, "E")  # never contacted: due in a year
    graded(rep, None, contacted_days_ago=1)  # no grade, no plan: never due
    page = follow_up_worklist(rep)
    assert [entry.customer.pk for entry in page.items] == [
        overdue_a.pk,
        overdue_c.pk,
        planned.pk,
        due_today.pk,
    ]
    assert [entry.days_overdue for entry in page.items] == [5, 5, 1, 0]
    assert [entry.grade.key if entry.grade else None for entry in page.items] == [
        "A",
        "C",
        None,
        "B",
    ]
    assert [entry.cadence_days for entry in page.items] == [1, 15, None, 7]
    assert page.next_cursor is None
    # Tomorrow the follow-up due in five days is not yet there, the others still are.
    assert len(worklist_ids(rep, today=today() + DAY)) == 4
    assert len(worklist_ids(rep, today=today() + 5 * DAY)) == 5


def test_the_worklist_holds_only_the_readers_own_customers(db, org, admin):
    mine = graded(org.rep, "A", contacted_days_ago=3)
    theirs = graded(org.other_rep, "A", contacted_days_ago=3)
    pool = graded(org.rep, "A", contacted_days_ago=3)
    Customer.objects.filter(pk=pool.pk).update(owner=None)
    deleted = graded(org.rep, "A", contacted_days_ago=3)
    Customer.objects.filter(pk=deleted.pk).update(deleted_at=timezone.now())
    assert worklist_ids(org.rep) == [mine.pk]
    assert worklist_ids(org.other_rep) == [theirs.pk]
    # Another owner's list: only as far as the reader may see that owner's customers.
    assert worklist_ids(org.rep, owner=org.other_rep.pk) == []
    assert worklist_ids(org.other_manager, owner=org.rep.pk) == []
    assert worklist_ids(org.manager, owner=org.rep.pk) == [mine.pk]
    assert worklist_ids(admin, owner=str(org.other_rep.pk)) == [theirs.pk]
    assert worklist_ids(org.manager) == []  # the manager's own customers: none
    assert worklist_ids(org.rep, owner="not-an-id") == []


def test_the_worklist_pages_by_cursor_without_gaps_or_repeats(db, rep):
    for key, days_ago in [("C", 20), ("A", 6), ("A", 6), ("B", 12), ("C", 20), ("A", 1)]:
        graded(rep, key, contacted_days_ago=days_ago)
    graded(rep, None, contacted_days_ago=8, next_follow_up_on=today() - 5 * DAY)
    everything = worklist_ids(rep, limit=100)
    assert len(everything) == 7
    walked, cursor = [], None
    for _page in range(10):
        page = follow_up_worklist(rep, cursor=cursor, limit=2)
        assert len(page.items) <= 2
        walked += [entry.customer.pk for entry in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert walked == everything
    customers = Customer.objects.in_bulk(everything)
    keys = [(customers[pk].follow_up_due_on, customers[pk].follow_up_rank, pk) for pk in walked]
    assert keys == sorted(keys)
    with pytest.raises(ValidationFailed):
        follow_up_worklist(rep, cursor="not a cursor")


def test_the_worklist_reads_a_page_in_two_queries_however_many_are_due(db, rep):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            page = follow_up_worklist(rep, limit=25)
            assert all(entry.grade is not None for entry in page.items)
        return len(captured)

    for _number in range(3):
        graded(rep, "A", contacted_days_ago=2)
    assert queries() == 2
    for _number in range(30):
        graded(rep, "B", contacted_days_ago=9)
    assert queries() == 2


# --- the model file ---------------------------------------------------------------------------


def test_the_cadence_round_trips_through_the_model_file(db, admin):
    exported = export_model()
    grade_entry = next(d for d in yaml.safe_load(exported)["dimensions"] if d["key"] == "grade")
    assert {s["key"]: s["follow_up_days"] for s in grade_entry["states"]} == {
        "A": 1,
        "B": 7,
        "C": 15,
        "D": 30,
        "E": 365,
    }
    assert apply_model(actor=admin, specs=parse_model(exported)) == {
        "created": 0,
        "updated": 0,
        "removed": 0,
    }
    assert export_model() == exported


def _with_cadence(text: str, dimension_key: str, days: dict) -> str:
    model = yaml.safe_load(text)
    for dimension in model["dimensions"]:
        if dimension["key"] == dimension_key:
            for state in dimension["states"]:
                if state["key"] in days:
                    state["follow_up_days"] = days[state["key"]]
    return yaml.safe_dump(model, allow_unicode=True, sort_keys=False)


def test_a_cadence_changed_in_the_model_file_moves_the_due_dates_and_is_audited(db, admin, rep):
    in_b = graded(rep, "B", contacted_days_ago=3)
    in_c = graded(rep, "C", contacted_days_ago=3)
    assert due_on(in_b) == today() + 4 * DAY
    counts = apply_model(
        actor=admin, specs=parse_model(_with_cadence(export_model(), "grade", {"B": 10}))
    )
    assert counts == {"created": 0, "updated": 1, "removed": 0}
    assert due_on(in_b) == today() + 7 * DAY
    assert due_on(in_c) == today() + 12 * DAY
    entry = AuditEntry.objects.filter(object_id=grade("B").pk).latest("id")
    assert entry.changes == {"follow_up_days": [7, 10]}
    assert "follow_up_days: 10" in export_model()


def test_a_bad_cadence_is_refused_with_its_line_and_nothing_is_applied(db, admin):
    exported = export_model()
    text = _with_cadence(exported, "grade", {"A": 0, "B": "weekly"})
    text = _with_cadence(text, "time_window", {"peak_season": 7})
    text = _with_cadence(text, "value", {"strategic": 30})
    with pytest.raises(ModelFileErrors) as refused:
        apply_model(actor=admin, specs=parse_model(text))
    problems = "\n".join(refused.value.problems)
    assert problems.count("follow_up_days must be a whole number of days from 1 to 3660.") == 2
    assert "time_window has follow-up cadences, so it must be one state at a time." in problems
    assert "Only one dimension may have follow-up cadences: value has them" in problems
    assert all(problem.startswith("Line ") for problem in refused.value.problems)
    assert export_model() == exported
