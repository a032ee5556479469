"""The audit trail: every change recorded in the same transaction as the change itself, and a
customer's history that includes its contacts, activities and tasks."""

import pytest

from tend.activities.actions import log_activity
from tend.audit.actions import diff, record_change, record_many, snapshot
from tend.audit.models import AuditAction, AuditEntry
from tend.audit.selectors import customer_history, object_history
from tend.customers.actions import (
    create_customer,
    delete_contact,
    delete_customer,
    update_customer,
)
from tend.customers.models import Contact, Customer
from tests.domain.support import row_counts
from tests.factories import make_activity, make_contact, make_customer, make_task


class Boom(Exception):
    pass


def explode_after(real, midway: dict):
    """A stand-in that does the real work, notes the row counts, then fails: the action fails
    midway, after it has written."""

    def wrapper(*args, **kwargs):
        real(*args, **kwargs)
        midway.update(row_counts())
        raise Boom

    return wrapper


def test_a_create_that_fails_after_writing_leaves_no_customer_tag_or_audit_entry(org, monkeypatch):
    import tend.customers.actions as actions

    before = row_counts()
    # Customer, tags and the audit entry are written; then the last step fails.
    midway = {}
    monkeypatch.setattr(
        actions,
        "_record_duplicate_override",
        explode_after(actions._record_duplicate_override, midway),
    )
    with pytest.raises(Boom):
        create_customer(actor=org.rep, data={"name": "半途而废", "tags": ["新标签"]})
    assert midway == {**before, "customers": 1, "tags": 1, "audit": before["audit"] + 1}
    assert row_counts() == before


def test_an_audit_entry_is_rolled_back_with_the_change_it_records(org, monkeypatch):
    import tend.customers.actions as actions

    customer = make_customer(org.rep, name="原名")
    before = row_counts()
    midway = {}
    monkeypatch.setattr(actions, "record_change", explode_after(actions.record_change, midway))
    with pytest.raises(Boom):
        update_customer(actor=org.rep, customer=customer, data={"name": "新名"})
    assert midway["audit"] == before["audit"] + 1
    customer.refresh_from_db()
    assert customer.name == "原名"
    assert row_counts() == before


def test_a_delete_that_fails_midway_leaves_the_customer_and_children_live(org, monkeypatch):
    import tend.customers.actions as actions

    customer = make_customer(org.rep)
    contact = make_contact(customer)
    activity = make_activity(customer)
    before = row_counts()
    midway = {}
    monkeypatch.setattr(actions, "record_change", explode_after(actions.record_change, midway))
    with pytest.raises(Boom):
        delete_customer(actor=org.rep, customer=customer)
    assert midway["audit"] == before["audit"] + 1
    for record in (customer, contact, activity):
        record.refresh_from_db()
        assert record.deleted_at is None
    assert row_counts() == before


def test_an_activity_that_fails_midway_leaves_the_time_nodes_alone(org, monkeypatch):
    import tend.activities.actions as actions

    customer = make_customer(org.rep)
    before = row_counts()
    midway = {}
    monkeypatch.setattr(actions, "record_change", explode_after(actions.record_change, midway))
    with pytest.raises(Boom):
        make_activity(customer, next_follow_up_on="2099-01-01")
    assert midway["activities"] == before["activities"] + 1
    customer.refresh_from_db()
    assert (customer.first_contact_at, customer.last_contact_at) == (None, None)
    assert customer.next_follow_up_on is None
    assert row_counts() == before


def test_a_customers_history_includes_its_children_newest_first(org):
    customer = make_customer(org.rep, name="甲")
    contact = make_contact(customer)
    activity = log_activity(
        actor=org.rep,
        customer=customer,
        data={"kind": "call", "occurred_at": "2024-03-01T10:00:00+08:00", "summary": "电话"},
    )
    task = make_task(org.rep, customer=customer.pk)
    update_customer(actor=org.manager, customer=customer, data={"name": "甲二"})
    delete_contact(actor=org.rep, contact=contact)
    other = make_customer(org.rep)
    make_contact(other)

    history = customer_history(customer.pk).items

    assert [(entry.object_type, entry.object_id, entry.action) for entry in history] == [
        ("customers.contact", contact.pk, AuditAction.DELETE),
        ("customers.customer", customer.pk, AuditAction.UPDATE),
        ("activities.task", task.pk, AuditAction.CREATE),
        ("activities.activity", activity.pk, AuditAction.CREATE),
        ("customers.contact", contact.pk, AuditAction.CREATE),
        ("customers.customer", customer.pk, AuditAction.CREATE),
    ]
    assert history[1].actor == org.manager
    assert history[1].changes == {"name": ["甲", "甲二"]}
    assert [entry.action for entry in customer_history(customer.pk, limit=2).items] == [
        AuditAction.DELETE,
        AuditAction.UPDATE,
    ]


def test_object_history_is_one_records_changes_oldest_first(org):
    customer = make_customer(org.rep, city="杭州")
    update_customer(actor=org.rep, customer=customer, data={"city": "宁波"})
    make_contact(customer)
    history = list(object_history("customers.customer", customer.pk))
    assert [entry.action for entry in history] == [AuditAction.CREATE, AuditAction.UPDATE]


def test_an_action_without_a_user_is_recorded_with_a_label(org):
    customer = make_customer(org.rep)
    entry = record_change(actor=None, action=AuditAction.UPDATE, instance=customer)
    assert entry.actor is None
    assert entry.actor_label == "system"
    labelled = create_customer(actor=org.rep, data={"name": "导入的"}, actor_label="import")
    created = AuditEntry.objects.get(
        object_type="customers.customer", object_id=labelled.pk, action=AuditAction.CREATE
    )
    assert created.actor == org.rep
    assert created.actor_label == "import"


def test_diff_lists_changed_fields_and_on_create_the_given_ones():
    assert diff({"a": 1, "b": "x"}, {"a": 2, "b": "x"}) == {"a": [1, 2]}
    assert diff({"a": "x"}, {"a": ""}) == {"a": ["x", ""]}
    assert diff({}, {"a": "", "b": None, "c": [], "d": {}, "e": 0, "f": "y"}) == {
        "e": [None, 0],
        "f": [None, "y"],
    }


def test_snapshot_is_json_ready(org):
    customer = make_customer(org.rep, name="甲")
    values = snapshot(Customer.objects.get(pk=customer.pk), ["name", "owner", "created_at"])
    assert values["name"] == "甲"
    assert values["owner"] == org.rep.pk
    assert values["created_at"] == customer.created_at.isoformat()


def test_every_write_in_a_customers_life_leaves_an_entry(org):
    customer = make_customer(org.rep)
    make_contact(customer)
    make_activity(customer)
    make_task(org.rep, customer=customer.pk)
    delete_customer(actor=org.rep, customer=customer)
    # One entry per action: the cascade of the delete is one entry, not four.
    assert AuditEntry.objects.filter(customer_id=customer.pk).count() == 5
    assert Contact.objects.filter(customer=customer, deleted_at__isnull=False).count() == 1


def test_record_many_writes_entries_in_bulk(org):
    customers = [make_customer(org.rep) for _ in range(3)]
    before = AuditEntry.objects.count()
    record_many(
        [
            AuditEntry(
                actor_label="import",
                action=AuditAction.UPDATE,
                object_type="customers.customer",
                object_id=customer.pk,
                customer_id=customer.pk,
                changes={"city": ["", "杭州"]},
            )
            for customer in customers
        ]
    )
    assert AuditEntry.objects.count() == before + 3
    assert list(
        AuditEntry.objects.filter(actor_label="import").values_list("object_id", flat=True)
    ) == [customer.pk for customer in customers]
