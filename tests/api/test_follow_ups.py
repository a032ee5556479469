"""/follow-ups (今日待跟进) and the grade given when logging an activity through the API (S7)."""

import datetime

import pytest
from django.utils import timezone

from tend.activities.models import Activity
from tend.customers.models import Customer
from tend.status.actions import change_state
from tend.status.models import Door, State, StateChange, Transition
from tests.api.conftest import Caller, count_queries, row_counts, walk_pages
from tests.factories import make_activity, make_customer

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def grade(key):
    return State.objects.get(dimension__key="grade", key=key)


def graded(owner, key, days_ago):
    customer = make_customer(owner)
    state = grade(key)
    change_state(
        actor=owner, customer=customer, dimension=state.dimension, state=state, door=Door.WEB
    )
    make_activity(customer, occurred_at=timezone.now() - days_ago * DAY)
    return customer


def test_the_worklist_lists_the_callers_due_follow_ups_most_urgent_first(rep_api, org):
    rep = org.rep
    overdue_c = graded(rep, "C", 18)
    overdue_a = graded(rep, "A", 4)
    due_today = graded(rep, "B", 7)
    graded(rep, "B", 1)
    graded(org.other_rep, "A", 9)
    response = rep_api.get("/follow-ups")
    assert response.status_code == 200
    body = response.json()
    assert [item["id"] for item in body["items"]] == [overdue_a.pk, overdue_c.pk, due_today.pk]
    first = body["items"][0]
    assert first == {
        "id": overdue_a.pk,
        "name": overdue_a.name,
        "due_on": (timezone.localdate() - 3 * DAY).isoformat(),
        "days_overdue": 3,
        "grade": {"key": "A", "label": "A", "color": "#cf222e", "follow_up_days": 1},
        "last_contact_at": first["last_contact_at"],
        "next_follow_up_on": None,
    }
    assert first["last_contact_at"].endswith("Z")
    assert [item["days_overdue"] for item in body["items"]] == [3, 3, 0]
    assert body["next_cursor"] is None


def test_another_owners_worklist_is_read_only_as_far_as_the_caller_sees(org, call_as):
    mine = graded(org.rep, "A", 3)
    assert [
        i["id"]
        for i in call_as(org.manager).get("/follow-ups", {"owner": org.rep.pk}).json()["items"]
    ] == [mine.pk]
    assert call_as(org.other_rep).get("/follow-ups", {"owner": org.rep.pk}).json()["items"] == []
    assert call_as(org.other_rep).get("/follow-ups").json()["items"] == []
    refused = call_as(org.rep).get("/follow-ups", {"owner": "everyone"})
    assert refused.status_code == 422


def test_the_worklist_pages_with_cursors_in_a_fixed_number_of_queries(rep, call_as):
    caller = call_as(rep)
    for number in range(3):
        graded(rep, "ABC"[number], 20)
    caller.get("/follow-ups")  # the token's first use is recorded once, not counted
    few = count_queries(lambda: caller.get("/follow-ups", {"limit": 2}))
    for number in range(9):
        graded(rep, "ABCD"[number % 4], 40 + number)
    assert count_queries(lambda: caller.get("/follow-ups", {"limit": 2})) == few <= 4
    walked = walk_pages(caller, "/follow-ups", {}, limit=2)
    assert walked == [
        item["id"] for item in caller.get("/follow-ups", {"limit": 100}).json()["items"]
    ]
    assert len(walked) == len(set(walked)) == 12
    bad = caller.get("/follow-ups", {"cursor": "garbage"})
    assert bad.status_code == 422
    assert bad.json()["field_errors"] == {"cursor": ["Invalid cursor."]}


def _follow_up(customer, **extra):
    return {
        "customer": customer.pk,
        "kind": "call",
        "occurred_at": (timezone.now() - DAY).isoformat(),
        "summary": "电话回访",
        **extra,
    }


def test_logging_an_activity_with_a_grade_re_grades_through_the_status_engine(rep_api, rep):
    customer = graded(rep, "C", 3)
    response = rep_api.post("/activities", _follow_up(customer, grade="A"))
    assert response.status_code == 201, response.json()
    assert response.json()["grade_outcome"] == "changed"
    change = StateChange.objects.filter(customer=customer).latest("id")
    assert (change.from_state.key, change.to_state.key, change.door) == ("C", "A", Door.API)
    assert Customer.objects.get(pk=customer.pk).follow_up_due_on == timezone.localdate()
    again = rep_api.post("/activities", _follow_up(customer, grade="A"))
    assert again.json()["grade_outcome"] == "unchanged"


def test_a_refused_grade_logs_nothing_and_says_why(rep_api, rep):
    customer = graded(rep, "C", 3)
    Transition.objects.filter(to_state=grade("A")).update(reason_required=True)
    before = row_counts()
    changes = StateChange.objects.count()
    response = rep_api.post("/activities", _follow_up(customer, grade="A"))
    assert response.status_code == 422
    assert response.json()["code"] == "move_refused"
    assert response.json()["field_errors"] == {"grade": ["Give a reason for this move."]}
    assert row_counts() == before and StateChange.objects.count() == changes
    unknown = rep_api.post("/activities", _follow_up(customer, grade="Z"))
    assert unknown.json()["field_errors"] == {"grade": ["Unknown grade."]}
    accepted = rep_api.post("/activities", _follow_up(customer, grade="A", grade_reason="预算已批"))
    assert accepted.status_code == 201
    assert StateChange.objects.filter(customer=customer).latest("id").reason == "预算已批"


def test_a_grade_is_given_when_logging_only_not_when_changing_an_activity(rep_api, rep):
    customer = graded(rep, "C", 3)
    activity = Activity.objects.get(customer=customer)
    response = rep_api.patch(f"/activities/{activity.pk}", {"grade": "A"})
    assert response.status_code == 422
    assert "grade" in response.json()["field_errors"]


def test_another_reps_customer_cannot_be_re_graded(org):
    customer = graded(org.rep, "C", 3)
    response = Caller(org.other_rep).post("/activities", _follow_up(customer, grade="A"))
    assert response.status_code in (404, 422)
    assert StateChange.objects.filter(customer=customer).count() == 1
