"""/activities: CRUD, time nodes, access, bad input, keyset pages, query counts."""

import datetime

import pytest
from django.utils import timezone

from tend.activities.models import Activity
from tend.customers.models import Customer
from tests.api.conftest import Caller, count_queries, expected_order, row_counts, walk_pages
from tests.factories import make_activity, make_contact, make_customer

pytestmark = pytest.mark.django_db

UNKNOWN_FIELD = "This field is unknown or cannot be set here."


def test_create_read_update_delete(rep_api, rep):
    customer = make_customer(rep)
    contact = make_contact(customer)
    created = rep_api.post(
        "/activities",
        {
            "customer": customer.pk,
            "contact": contact.pk,
            "kind": "visit",
            "occurred_at": "2026-03-02T15:30:00+08:00",
            "summary": "上门拜访，演示了产品",
            "outcome": "约定下周报价",
            "valid_communication": True,
            "next_follow_up_on": "2026-03-09",
        },
    )
    assert created.status_code == 201
    body = created.json()
    activity = Activity.objects.get(pk=body["id"])
    assert body == {
        "id": activity.pk,
        "customer": customer.pk,
        "contact": contact.pk,
        "kind": "visit",
        "occurred_at": "2026-03-02T07:30:00Z",
        "summary": "上门拜访，演示了产品",
        "outcome": "约定下周报价",
        "valid_communication": True,
        "next_follow_up_on": "2026-03-09",
        "author": {"id": rep.pk, "display_name": rep.display_name},
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
        "grade_outcome": None,  # no grade given (tests/api/test_follow_ups.py)
    }
    del body["grade_outcome"]
    assert rep_api.get(f"/activities/{activity.pk}").json() == body

    changed = rep_api.patch(f"/activities/{activity.pk}", {"outcome": "已报价", "contact": None})
    assert changed.status_code == 200
    assert (changed.json()["outcome"], changed.json()["contact"]) == ("已报价", None)
    assert changed.json()["summary"] == "上门拜访，演示了产品"

    deleted = rep_api.delete(f"/activities/{activity.pk}")
    assert deleted.status_code == 204
    activity.refresh_from_db()
    assert activity.deleted_at is not None
    assert rep_api.get(f"/activities/{activity.pk}").status_code == 404


def test_logging_an_activity_moves_the_customers_time_nodes(rep_api, rep):
    customer = make_customer(rep)
    assert customer.last_contact_at is None
    response = rep_api.post(
        "/activities",
        {
            "customer": customer.pk,
            "kind": "call",
            "occurred_at": "2026-01-05T09:00:00+08:00",
            "summary": "首次电话",
            "next_follow_up_on": "2026-01-12",
        },
    )
    assert response.status_code == 201
    moment = datetime.datetime(2026, 1, 5, 1, 0, tzinfo=datetime.UTC)
    customer.refresh_from_db()
    assert (customer.first_contact_at, customer.last_contact_at) == (moment, moment)
    assert customer.next_follow_up_on == datetime.date(2026, 1, 12)
    shown = rep_api.get(f"/customers/{customer.pk}").json()
    assert shown["last_contact_at"] == "2026-01-05T01:00:00Z"
    assert shown["first_contact_at"] == "2026-01-05T01:00:00Z"

    later = rep_api.post(
        "/activities",
        {
            "customer": customer.pk,
            "kind": "wechat",
            "occurred_at": "2026-01-08T09:00:00+08:00",
            "summary": "微信跟进",
        },
    )
    customer.refresh_from_db()
    assert customer.first_contact_at == moment
    assert customer.last_contact_at == moment + datetime.timedelta(days=3)

    rep_api.delete(f"/activities/{later.json()['id']}")
    customer.refresh_from_db()
    assert customer.last_contact_at == moment


def test_an_activity_needs_a_customer_the_caller_may_see(rep_api, other_rep):
    theirs = make_customer(other_rep)
    before = row_counts()
    response = rep_api.post(
        "/activities",
        {
            "customer": theirs.pk,
            "kind": "call",
            "occurred_at": "2026-01-05T09:00:00+08:00",
            "summary": "x",
        },
    )
    assert response.status_code == 422
    assert response.json()["field_errors"] == {"customer": ["Unknown customer."]}
    assert row_counts() == before
    assert Customer.objects.get(pk=theirs.pk).last_contact_at is None


def test_the_contact_must_belong_to_the_customer(rep_api, rep):
    customer = make_customer(rep)
    stranger = make_contact(make_customer(rep))
    before = row_counts()
    response = rep_api.post(
        "/activities",
        {
            "customer": customer.pk,
            "contact": stranger.pk,
            "kind": "call",
            "occurred_at": "2026-01-05T09:00:00+08:00",
            "summary": "x",
        },
    )
    assert response.status_code == 422
    assert response.json()["field_errors"] == {
        "contact": ["This contact does not belong to the customer."]
    }
    assert row_counts() == before


@pytest.mark.parametrize(
    "field", ["id", "author", "customer_id", "created_at", "deleted_at", "deleted_by", "x"]
)
def test_unknown_and_protected_fields_are_refused(rep_api, rep, field):
    customer = make_customer(rep)
    activity = make_activity(customer, summary="原文")
    before = row_counts()
    for response in [
        rep_api.post(
            "/activities",
            {
                "customer": customer.pk,
                "kind": "call",
                "occurred_at": "2026-01-05T09:00:00Z",
                "summary": "新",
                field: 1,
            },
        ),
        rep_api.patch(f"/activities/{activity.pk}", {"summary": "改", field: 1}),
    ]:
        assert response.status_code == 422
        assert response.json()["field_errors"] == {field: [UNKNOWN_FIELD]}
    assert row_counts() == before
    activity.refresh_from_db()
    assert activity.summary == "原文"


def test_an_activity_cannot_be_moved_to_another_customer(rep_api, rep):
    activity = make_activity(make_customer(rep))
    response = rep_api.patch(f"/activities/{activity.pk}", {"customer": make_customer(rep).pk})
    assert response.status_code == 422
    assert response.json()["field_errors"] == {"customer": [UNKNOWN_FIELD]}


def test_invalid_values_are_refused(rep_api, rep):
    customer = make_customer(rep)
    activity = make_activity(customer, summary="原文")
    future = (timezone.now() + datetime.timedelta(days=1)).isoformat()
    valid = {
        "customer": customer.pk,
        "kind": "call",
        "occurred_at": "2026-01-05T09:00:00Z",
        "summary": "新",
    }
    cases = [
        ({"occurred_at": "yesterday"}, {"occurred_at": ["Enter a valid date/time."]}),
        ({"occurred_at": "2026-02-30T10:00:00"}, {"occurred_at": ["Enter a valid date/time."]}),
        ({"occurred_at": future}, {"occurred_at": ["An activity cannot be logged in the future."]}),
        ({"next_follow_up_on": "2026-13-01"}, {"next_follow_up_on": ["Enter a valid date."]}),
        (
            {"kind": "telepathy"},
            {"kind": ["Select a valid choice. telepathy is not one of the available choices."]},
        ),
        ({"summary": ""}, {"summary": ["This field is required."]}),
        ({"valid_communication": "sure"}, {"valid_communication": ["Enter true or false."]}),
        ({"contact": "first"}, {"contact": ["Enter a whole number."]}),
    ]
    before = row_counts()
    for body, field_errors in cases:
        created = rep_api.post("/activities", {**valid, **body})
        assert created.status_code == 422, body
        assert created.json()["field_errors"] == field_errors
        changed = rep_api.patch(f"/activities/{activity.pk}", body)
        assert changed.status_code == 422, body
        assert changed.json()["field_errors"] == field_errors
    assert row_counts() == before
    activity.refresh_from_db()
    assert activity.summary == "原文"


def test_a_rep_cannot_reach_another_reps_activity(rep_api, other_rep):
    theirs = make_activity(make_customer(other_rep), summary="他人沟通")
    before = row_counts()
    for response in [
        rep_api.get(f"/activities/{theirs.pk}"),
        rep_api.patch(f"/activities/{theirs.pk}", {"summary": "改"}),
        rep_api.patch(f"/activities/{theirs.pk}", {"occurred_at": "bad"}),
        rep_api.delete(f"/activities/{theirs.pk}"),
    ]:
        assert response.status_code == 404
    assert row_counts() == before
    theirs.refresh_from_db()
    assert (theirs.summary, theirs.deleted_at) == ("他人沟通", None)
    assert rep_api.get("/activities").json()["items"] == []
    assert rep_api.get("/activities", {"customer": theirs.customer_id}).json()["items"] == []


@pytest.mark.parametrize("limit", [1, 2, 4])
def test_keyset_pages_walk_every_activity_once_newest_first(rep_api, rep, other_rep, limit):
    customer, second = make_customer(rep), make_customer(rep)
    base = timezone.now().replace(microsecond=0) - datetime.timedelta(days=1)
    for index, offset in enumerate([0, 5, 5, 999, 1000, 1000, 3, 0, 250]):
        make_activity(
            customer if index % 3 else second,
            occurred_at=base + datetime.timedelta(microseconds=offset),
        )
    make_activity(make_customer(other_rep), occurred_at=base)
    rows = list(
        Activity.objects.filter(customer__in=[customer, second]).values_list("id", "occurred_at")
    )
    served = walk_pages(rep_api, "/activities", {}, limit)
    assert served == expected_order(rows, "-occurred_at")
    one = [row for row in rows if Activity.objects.get(pk=row[0]).customer_id == customer.pk]
    served_one = walk_pages(rep_api, "/activities", {"customer": customer.pk}, limit)
    assert served_one == expected_order(one, "-occurred_at")


def test_the_list_costs_the_same_queries_for_3_and_30_activities(auth_mode, org):
    caller = Caller(org.manager, auth_mode)
    authors = [org.rep, org.branch_rep, org.manager]

    def add(count):
        for number in range(count):
            author = authors[number % 3]
            customer = make_customer(author)
            make_activity(customer, actor=author, contact=make_contact(customer, actor=author).pk)

    def listing():
        return caller.get("/activities", {"limit": 100})

    add(3)
    listing()
    small = count_queries(listing)
    add(27)
    assert len(listing().json()["items"]) == 30
    assert count_queries(listing) == small
