"""Logging activities (跟进记录) and what they do to the customer's time nodes."""

import datetime

import pytest
from django.utils import timezone

from tend.activities.actions import delete_activity, log_activity, update_activity
from tend.activities.selectors import access_activity, customer_timeline, visible_activities
from tend.audit.models import AuditAction
from tend.core.errors import NotFound, ValidationFailed
from tend.customers.actions import delete_contact, delete_customer
from tend.customers.models import Customer
from tests.domain.support import audit_for, row_counts
from tests.factories import make_activity, make_contact, make_customer

# One day for the whole module, so that at(2) means the same time every time it is used.
TODAY = timezone.localtime()


def at(days_ago, hour=10):
    """A whole hour `days_ago` days back (at least one, so always in the past)."""
    assert days_ago >= 1
    moment = TODAY - datetime.timedelta(days=days_ago)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)


def time_nodes(customer):
    customer = Customer.objects.get(pk=customer.pk)
    return customer.first_contact_at, customer.last_contact_at, customer.next_follow_up_on


def test_the_first_activity_sets_first_and_last_contact_and_the_next_follow_up(org):
    customer = make_customer(org.rep)
    assert time_nodes(customer) == (None, None, None)
    activity = log_activity(
        actor=org.rep,
        customer=customer,
        data={
            "kind": "visit",
            "occurred_at": at(2).isoformat(),
            "summary": "上门拜访，介绍新产品",
            "outcome": "有意向",
            "valid_communication": True,
            "next_follow_up_on": "2099-05-01",
        },
    )
    assert time_nodes(customer) == (at(2), at(2), datetime.date(2099, 5, 1))
    activity.refresh_from_db()
    assert activity.author == org.rep
    assert activity.valid_communication is True
    assert activity.contact is None


def test_a_later_activity_moves_last_contact_forward_only(org):
    customer = make_customer(org.rep)
    make_activity(customer, occurred_at=at(5))
    make_activity(customer, occurred_at=at(1))
    assert time_nodes(customer)[:2] == (at(5), at(1))


def test_a_back_dated_activity_does_not_move_last_contact_backwards(org):
    customer = make_customer(org.rep)
    make_activity(customer, occurred_at=at(1))
    make_activity(customer, occurred_at=at(30))
    assert time_nodes(customer)[:2] == (at(30), at(1))


def test_an_activity_without_a_follow_up_date_keeps_the_planned_one(org):
    customer = make_customer(org.rep)
    make_activity(customer, occurred_at=at(3), next_follow_up_on="2099-01-10")
    make_activity(customer, occurred_at=at(2))
    assert time_nodes(customer)[2] == datetime.date(2099, 1, 10)
    make_activity(customer, occurred_at=at(1), next_follow_up_on="2099-02-20")
    assert time_nodes(customer)[2] == datetime.date(2099, 2, 20)


def test_deleting_the_latest_activity_recomputes_last_contact(org):
    customer = make_customer(org.rep)
    make_activity(customer, occurred_at=at(10))
    make_activity(customer, occurred_at=at(4))
    latest = make_activity(customer, occurred_at=at(1))
    delete_activity(actor=org.rep, activity=latest)
    assert time_nodes(customer)[:2] == (at(10), at(4))


def test_deleting_the_only_activity_clears_first_and_last_contact(org):
    customer = make_customer(org.rep)
    only = make_activity(customer, occurred_at=at(1))
    delete_activity(actor=org.rep, activity=only)
    assert time_nodes(customer)[:2] == (None, None)


def test_moving_an_activity_in_time_recomputes_the_time_nodes(org):
    customer = make_customer(org.rep)
    make_activity(customer, occurred_at=at(5))
    moved = make_activity(customer, occurred_at=at(1))
    update_activity(actor=org.rep, activity=moved, data={"occurred_at": at(9).isoformat()})
    assert time_nodes(customer)[:2] == (at(9), at(5))


def test_logging_an_activity_is_audited_on_the_customers_history(org):
    customer = make_customer(org.rep)
    contact = make_contact(customer)
    activity = make_activity(
        customer, occurred_at=at(1), contact=contact.pk, summary="电话沟通报价"
    )
    [entry] = audit_for(activity)
    assert entry.action == AuditAction.CREATE
    assert entry.actor == org.rep
    assert entry.customer_id == customer.pk
    assert entry.changes == {
        "kind": [None, "call"],
        "occurred_at": [None, at(1).isoformat()],
        "summary": [None, "电话沟通报价"],
        "valid_communication": [None, False],
        "contact": [None, contact.pk],
    }


def test_an_activity_update_is_partial_and_records_the_diff(org):
    customer = make_customer(org.rep)
    activity = make_activity(customer, occurred_at=at(1), summary="初次电话")
    update_activity(
        actor=org.rep, activity=activity, data={"outcome": "约了下周拜访", "summary": "初次电话"}
    )
    activity.refresh_from_db()
    assert activity.outcome == "约了下周拜访"
    assert activity.summary == "初次电话"
    assert audit_for(activity)[-1].changes == {"outcome": ["", "约了下周拜访"]}


def test_a_contact_of_another_customer_is_refused_and_nothing_is_written(org):
    customer = make_customer(org.rep)
    elsewhere = make_contact(make_customer(org.rep))
    before = row_counts()
    nodes = time_nodes(customer)
    with pytest.raises(ValidationFailed) as caught:
        make_activity(customer, contact=elsewhere.pk)
    assert caught.value.field_errors == {
        "contact": ["This contact does not belong to the customer."]
    }
    assert row_counts() == before
    assert time_nodes(customer) == nodes


def test_a_deleted_contact_is_refused(org):
    customer = make_customer(org.rep)
    gone = make_contact(customer)
    delete_contact(actor=org.rep, contact=gone)
    with pytest.raises(ValidationFailed) as caught:
        make_activity(customer, contact=gone.pk)
    assert list(caught.value.field_errors) == ["contact"]


def test_changing_an_activitys_contact_to_another_customers_is_refused(org):
    customer = make_customer(org.rep)
    activity = make_activity(customer)
    elsewhere = make_contact(make_customer(org.rep))
    with pytest.raises(ValidationFailed):
        update_activity(actor=org.rep, activity=activity, data={"contact": elsewhere.pk})
    activity.refresh_from_db()
    assert activity.contact_id is None


@pytest.mark.parametrize(
    "when",
    [
        lambda: (timezone.now() + datetime.timedelta(hours=1)).isoformat(),
        lambda: "2999-01-01T09:00:00+08:00",
    ],
)
def test_an_activity_in_the_future_is_refused_and_nothing_is_written(org, when):
    customer = make_customer(org.rep)
    before = row_counts()
    with pytest.raises(ValidationFailed) as caught:
        make_activity(customer, occurred_at=when())
    assert caught.value.field_errors == {
        "occurred_at": ["An activity cannot be logged in the future."]
    }
    assert row_counts() == before
    assert time_nodes(customer) == (None, None, None)


def test_an_activity_needs_a_known_kind_a_time_and_a_summary(org):
    customer = make_customer(org.rep)
    with pytest.raises(ValidationFailed) as caught:
        log_activity(actor=org.rep, customer=customer, data={"kind": "telepathy"})
    assert sorted(caught.value.field_errors) == ["kind", "occurred_at", "summary"]
    with pytest.raises(ValidationFailed) as caught:
        log_activity(
            actor=org.rep,
            customer=customer,
            data={"kind": "call", "occurred_at": at(1), "summary": "x", "author": org.other_rep.pk},
        )
    assert caught.value.field_errors == {"author": ["This field is unknown or cannot be set here."]}


def test_deleting_an_activity_is_soft_and_audited(org):
    customer = make_customer(org.rep)
    activity = make_activity(customer)
    batch = delete_activity(actor=org.manager, activity=activity)
    activity.refresh_from_db()
    assert activity.deleted_at is not None
    assert activity.deletion_batch == batch
    assert activity.deleted_by == org.manager
    [entry] = audit_for(activity, AuditAction.DELETE)
    assert entry.actor == org.manager
    assert entry.customer_id == customer.pk


def test_the_timeline_lists_live_activities_newest_first(org):
    customer = make_customer(org.rep)
    old = make_activity(customer, occurred_at=at(9))
    new = make_activity(customer, occurred_at=at(1))
    middle = make_activity(customer, occurred_at=at(5))
    gone = make_activity(customer, occurred_at=at(3))
    delete_activity(actor=org.rep, activity=gone)
    make_activity(make_customer(org.rep), occurred_at=at(2))
    assert customer_timeline(customer).items == [new, middle, old]
    first = customer_timeline(customer, limit=2)
    assert first.items == [new, middle]
    assert customer_timeline(customer, cursor=first.next_cursor, limit=2).items == [old]


def test_activities_are_visible_with_their_customer(org, admin):
    own = make_activity(make_customer(org.rep))
    branch = make_activity(make_customer(org.branch_rep))
    theirs = make_activity(make_customer(org.other_rep))
    assert set(visible_activities(org.rep)) == {own}
    assert set(visible_activities(org.manager)) == {own, branch}
    assert set(visible_activities(admin)) == {own, branch, theirs}
    assert access_activity(org.manager, branch.pk) == branch
    with pytest.raises(NotFound):
        access_activity(org.rep, theirs.pk)
    with pytest.raises(NotFound):
        access_activity(org.rep, "x")


def test_activities_of_a_deleted_customer_or_deleted_on_their_own_are_not_found(org):
    customer = make_customer(org.rep)
    alone = make_activity(customer)
    with_customer = make_activity(customer)
    delete_activity(actor=org.rep, activity=alone)
    delete_customer(actor=org.rep, customer=customer)
    for activity in (alone, with_customer):
        with pytest.raises(NotFound):
            access_activity(org.rep, activity.pk)
