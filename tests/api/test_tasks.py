"""/tasks: CRUD, done and reopened, filters, access, bad input, keyset pages, query counts."""

import datetime

import pytest
from django.utils import timezone

from tend.activities.models import Task
from tests.api.conftest import Caller, count_queries, expected_order, row_counts, walk_pages
from tests.factories import make_customer, make_task

pytestmark = pytest.mark.django_db

UNKNOWN_FIELD = "This field is unknown or cannot be set here."


def test_create_read_update_delete(rep_api, rep):
    customer = make_customer(rep)
    created = rep_api.post(
        "/tasks",
        {
            "title": "回访报价",
            "kind": "call",
            "due_at": "2026-05-01T10:00:00+08:00",
            "notes": "问问预算",
            "customer": customer.pk,
        },
    )
    assert created.status_code == 201
    body = created.json()
    task = Task.objects.get(pk=body["id"])
    me = {"id": rep.pk, "display_name": rep.display_name}
    assert body == {
        "id": task.pk,
        "title": "回访报价",
        "kind": "call",
        "assignee": me,
        "due_at": "2026-05-01T02:00:00Z",
        "customer": customer.pk,
        "notes": "问问预算",
        "done_at": None,
        "created_by": me,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    assert rep_api.get(f"/tasks/{task.pk}").json() == body

    changed = rep_api.patch(f"/tasks/{task.pk}", {"title": "回访", "customer": None})
    assert changed.status_code == 200
    assert (changed.json()["title"], changed.json()["customer"]) == ("回访", None)
    assert changed.json()["notes"] == "问问预算"

    deleted = rep_api.delete(f"/tasks/{task.pk}")
    assert deleted.status_code == 204
    task.refresh_from_db()
    assert task.deleted_at is not None
    assert rep_api.get(f"/tasks/{task.pk}").status_code == 404


def test_a_task_is_done_and_reopened(rep_api, rep):
    task = make_task(rep)
    done = rep_api.post(f"/tasks/{task.pk}/done")
    assert done.status_code == 200
    task.refresh_from_db()
    assert task.done_at is not None
    assert done.json()["done_at"] is not None
    first_done_at = task.done_at
    again = rep_api.post(f"/tasks/{task.pk}/done")
    assert again.status_code == 200
    task.refresh_from_db()
    assert task.done_at == first_done_at

    reopened = rep_api.delete(f"/tasks/{task.pk}/done")
    assert reopened.status_code == 200
    assert reopened.json()["done_at"] is None
    task.refresh_from_db()
    assert task.done_at is None


def test_a_manager_assigns_a_task_to_a_team_member(org, call_as):
    response = call_as(org.manager).post(
        "/tasks", {"title": "拜访", "due_at": "2026-05-01T10:00:00Z", "assignee": org.branch_rep.pk}
    )
    assert response.status_code == 201
    assert response.json()["assignee"]["id"] == org.branch_rep.pk


def test_a_rep_cannot_assign_a_task_to_someone_else(rep_api, org):
    before = row_counts()
    response = rep_api.post(
        "/tasks", {"title": "x", "due_at": "2026-05-01T10:00:00Z", "assignee": org.other_rep.pk}
    )
    assert response.status_code == 422
    assert response.json()["field_errors"] == {
        "assignee": ["You cannot assign tasks to this user."]
    }
    assert row_counts() == before


def test_a_task_needs_a_customer_the_caller_may_see(rep_api, other_rep):
    theirs = make_customer(other_rep)
    before = row_counts()
    response = rep_api.post(
        "/tasks", {"title": "x", "due_at": "2026-05-01T10:00:00Z", "customer": theirs.pk}
    )
    assert response.status_code == 422
    assert response.json()["field_errors"] == {"customer": ["Unknown customer."]}
    assert row_counts() == before


def test_filters(rep_api, org):
    rep = org.rep
    customer = make_customer(rep)
    mine_open = make_task(rep, customer=customer.pk)
    mine_done = make_task(rep)
    rep_api.post(f"/tasks/{mine_done.pk}/done")
    # A task about the rep's customer, which the manager gives to himself.
    theirs_on_my_customer = make_task(org.manager, assignee=org.manager.pk, customer=customer.pk)
    make_task(org.other_rep)

    def ids(**params):
        response = rep_api.get("/tasks", params)
        assert response.status_code == 200
        return {item["id"] for item in response.json()["items"]}

    assert ids() == {mine_open.pk, mine_done.pk, theirs_on_my_customer.pk}
    assert ids(assignee="me") == {mine_open.pk, mine_done.pk}
    assert ids(assignee="me", open="true") == {mine_open.pk}
    assert ids(open="false") == {mine_done.pk}
    assert ids(customer=customer.pk) == {mine_open.pk, theirs_on_my_customer.pk}
    assert ids(assignee=org.manager.pk) == {theirs_on_my_customer.pk}
    bad = rep_api.get("/tasks", {"assignee": "everyone"})
    assert bad.status_code == 422
    assert bad.json()["field_errors"] == {"assignee": ["Enter a valid value."]}


@pytest.mark.parametrize(
    "field", ["id", "done_at", "created_by", "created_at", "deleted_at", "deleted_by", "x"]
)
def test_unknown_and_protected_fields_are_refused(rep_api, rep, field):
    task = make_task(rep, title="原名")
    before = row_counts()
    for response in [
        rep_api.post("/tasks", {"title": "新", "due_at": "2026-05-01T10:00:00Z", field: 1}),
        rep_api.patch(f"/tasks/{task.pk}", {"title": "改", field: 1}),
    ]:
        assert response.status_code == 422
        assert response.json()["field_errors"] == {field: [UNKNOWN_FIELD]}
    assert row_counts() == before
    task.refresh_from_db()
    assert (task.title, task.done_at) == ("原名", None)


def test_invalid_values_are_refused(rep_api, rep):
    task = make_task(rep, title="原名")
    valid = {"title": "新", "due_at": "2026-05-01T10:00:00Z"}
    cases = [
        ({"due_at": "tomorrow"}, {"due_at": ["Enter a valid date/time."]}),
        ({"due_at": None}, {"due_at": ["This field is required."]}),
        ({"title": ""}, {"title": ["This field is required."]}),
        ({"assignee": "me"}, {"assignee": ["Enter a whole number."]}),
        (
            {"kind": "nap"},
            {"kind": ["Select a valid choice. nap is not one of the available choices."]},
        ),
    ]
    before = row_counts()
    for body, field_errors in cases:
        created = rep_api.post("/tasks", {**valid, **body})
        assert created.status_code == 422, body
        assert created.json()["field_errors"] == field_errors
        changed = rep_api.patch(f"/tasks/{task.pk}", body)
        assert changed.status_code == 422, body
        assert changed.json()["field_errors"] == field_errors
    assert row_counts() == before


def test_a_rep_cannot_reach_another_reps_task(rep_api, other_rep):
    theirs = make_task(other_rep, title="他人待办", customer=make_customer(other_rep).pk)
    before = row_counts()
    for response in [
        rep_api.get(f"/tasks/{theirs.pk}"),
        rep_api.patch(f"/tasks/{theirs.pk}", {"title": "改"}),
        rep_api.patch(f"/tasks/{theirs.pk}", {"due_at": "bad"}),
        rep_api.delete(f"/tasks/{theirs.pk}"),
        rep_api.post(f"/tasks/{theirs.pk}/done"),
        rep_api.delete(f"/tasks/{theirs.pk}/done"),
    ]:
        assert response.status_code == 404
    assert row_counts() == before
    theirs.refresh_from_db()
    assert (theirs.title, theirs.done_at, theirs.deleted_at) == ("他人待办", None, None)
    assert rep_api.get("/tasks").json()["items"] == []
    assert rep_api.get("/tasks", {"customer": theirs.customer_id}).json()["items"] == []
    assert rep_api.get("/tasks", {"assignee": other_rep.pk}).json()["items"] == []


@pytest.mark.parametrize("limit", [1, 2, 4])
def test_keyset_pages_walk_every_task_once_most_urgent_first(rep_api, rep, other_rep, limit):
    base = timezone.now().replace(microsecond=0) + datetime.timedelta(days=1)
    for offset in [5, 0, 0, 999, 1000, 1000, 3, 250]:
        make_task(rep, due_at=base + datetime.timedelta(microseconds=offset))
    make_task(other_rep, due_at=base)
    rows = list(Task.objects.filter(assignee=rep).values_list("id", "due_at"))
    assert walk_pages(rep_api, "/tasks", {}, limit) == expected_order(rows, "due_at")


def test_the_list_costs_the_same_queries_for_3_and_30_tasks(auth_mode, org):
    caller = Caller(org.manager, auth_mode)
    assignees = [org.rep, org.branch_rep, org.manager]

    def add(count):
        for number in range(count):
            assignee = assignees[number % 3]
            make_task(org.manager, assignee=assignee.pk, customer=make_customer(assignee).pk)

    def listing():
        return caller.get("/tasks", {"limit": 100})

    add(3)
    listing()
    small = count_queries(listing)
    add(27)
    assert len(listing().json()["items"]) == 30
    assert count_queries(listing) == small
