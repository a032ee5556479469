"""The recycle bin: what each user finds there, restoring with children, and purging after the
retention period (records go, their history stays)."""

import datetime

import pytest
from django.utils import timezone

from tend.activities.actions import delete_activity, delete_task
from tend.activities.models import Activity, Task
from tend.audit.models import AuditAction, AuditEntry
from tend.core.errors import NotFound, ValidationFailed
from tend.customers.actions import delete_contact, delete_customer
from tend.customers.models import Contact, Customer, CustomerNameGram
from tend.recyclebin.actions import purge_expired, restore
from tend.recyclebin.selectors import access_deleted, recycle_bin, retention_cutoff
from tend.recyclebin.tasks import purge_recycle_bin
from tests.domain.support import audit_for, row_counts
from tests.factories import make_activity, make_contact, make_customer, make_task

TODAY = timezone.localtime()


def days_ago(days, hour=10):
    moment = TODAY - datetime.timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)


def age(record, days):
    """Pretend the record (and everything deleted with it) was deleted `days` ago."""
    moment = timezone.now() - datetime.timedelta(days=days)
    for model in (Customer, Contact, Activity, Task):
        model.objects.filter(deletion_batch=record.deletion_batch).update(deleted_at=moment)
    record.refresh_from_db()
    return moment


def bin_of(user):
    return [(item.kind.key, item.record.pk) for item in recycle_bin(user)]


def reload(record):
    return type(record).objects.get(pk=record.pk)


# --- listing ------------------------------------------------------------------------------


def test_a_deleted_customer_is_listed_once_with_its_children_folded_in(org):
    customer = make_customer(org.rep)
    make_contact(customer)
    make_activity(customer)
    make_task(org.rep, customer=customer.pk)
    delete_customer(actor=org.rep, customer=customer)
    [item] = recycle_bin(org.rep)
    assert item.kind.key == "customer"
    assert item.record == customer
    customer.refresh_from_db()
    assert item.deleted_at == customer.deleted_at
    assert item.purge_on == customer.deleted_at + datetime.timedelta(days=30)


def test_records_deleted_on_their_own_are_listed_newest_first(org):
    customer = make_customer(org.rep)
    contact = make_contact(customer)
    activity = make_activity(customer)
    task = make_task(org.rep)  # about no customer
    delete_contact(actor=org.rep, contact=contact)
    delete_activity(actor=org.rep, activity=activity)
    delete_task(actor=org.rep, task=task)
    age(reload(contact), 3)
    age(reload(activity), 2)
    age(reload(task), 1)
    assert bin_of(org.rep) == [
        ("task", task.pk),
        ("activity", activity.pk),
        ("contact", contact.pk),
    ]


def test_the_bin_follows_the_users_scope(org, admin):
    mine = make_customer(org.rep)
    branch = make_customer(org.branch_rep)
    theirs = make_customer(org.other_rep)
    for customer in (mine, branch, theirs):
        delete_customer(actor=customer.owner, customer=customer)
    assert {pk for _kind, pk in bin_of(org.rep)} == {mine.pk}
    assert {pk for _kind, pk in bin_of(org.branch_rep)} == {branch.pk}
    assert {pk for _kind, pk in bin_of(org.manager)} == {mine.pk, branch.pk}
    assert {pk for _kind, pk in bin_of(org.other_rep)} == {theirs.pk}
    assert {pk for _kind, pk in bin_of(admin)} == {mine.pk, branch.pk, theirs.pk}


def test_a_task_without_a_customer_is_in_the_bin_of_its_assignee_and_creator(org):
    task = make_task(org.manager, assignee=org.rep.pk)
    delete_task(actor=org.rep, task=task)
    assert bin_of(org.rep) == [("task", task.pk)]
    assert bin_of(org.manager) == [("task", task.pk)]
    assert bin_of(org.branch_rep) == []
    assert bin_of(org.other_rep) == []


def test_records_past_retention_leave_the_bin(org):
    old = make_customer(org.rep)
    recent = make_customer(org.rep)
    delete_customer(actor=org.rep, customer=old)
    delete_customer(actor=org.rep, customer=recent)
    age(reload(old), 31)
    age(reload(recent), 29)
    assert bin_of(org.rep) == [("customer", recent.pk)]
    with pytest.raises(NotFound):
        access_deleted(org.rep, "customer", old.pk)


def test_access_deleted_finds_only_deleted_records_the_user_may_see(org):
    live = make_customer(org.rep)
    mine = make_customer(org.rep)
    theirs = make_customer(org.other_rep)
    delete_customer(actor=org.rep, customer=mine)
    delete_customer(actor=org.other_rep, customer=theirs)
    assert access_deleted(org.rep, "customer", mine.pk) == mine
    assert access_deleted(org.rep, "customer", str(mine.pk)).deletion_batch is not None
    for kind, record_id in (
        ("customer", live.pk),
        ("customer", theirs.pk),
        ("contact", mine.pk),
        ("user", mine.pk),
        ("customer", "abc"),
    ):
        with pytest.raises(NotFound):
            access_deleted(org.rep, kind, record_id)


# --- restore ------------------------------------------------------------------------------


def test_restoring_a_customer_brings_back_everything_deleted_with_it(org):
    customer = make_customer(org.rep)
    contact = make_contact(customer)
    activity = make_activity(customer, occurred_at=days_ago(2))
    task = make_task(org.rep, customer=customer.pk)
    delete_customer(actor=org.rep, customer=customer)

    restored = restore(
        actor=org.manager, record=access_deleted(org.manager, "customer", customer.pk)
    )

    assert restored == 4
    for record in (customer, contact, activity, task):
        record.refresh_from_db()
        assert record.deleted_at is None
        assert record.deleted_by is None
        assert record.deletion_batch is None
    assert (customer.first_contact_at, customer.last_contact_at) == (days_ago(2), days_ago(2))
    assert bin_of(org.rep) == []
    [entry] = audit_for(customer, AuditAction.RESTORE)
    assert entry.actor == org.manager
    assert entry.customer_id == customer.pk
    assert entry.note == "4 records restored"


def test_a_contact_deleted_earlier_stays_deleted_when_its_customer_is_restored(org):
    customer = make_customer(org.rep)
    early = make_contact(customer, name="早删的")
    kept = make_contact(customer, name="一起删的")
    delete_contact(actor=org.rep, contact=early)
    delete_customer(actor=org.rep, customer=customer)

    assert restore(actor=org.rep, record=reload(customer)) == 2

    early.refresh_from_db()
    kept.refresh_from_db()
    assert early.deleted_at is not None
    assert kept.deleted_at is None
    assert bin_of(org.rep) == [("contact", early.pk)]


def test_restoring_a_customer_recomputes_its_time_nodes_from_live_activities(org):
    customer = make_customer(org.rep)
    make_activity(customer, occurred_at=days_ago(10))
    latest = make_activity(customer, occurred_at=days_ago(1))
    delete_activity(actor=org.rep, activity=latest)
    delete_customer(actor=org.rep, customer=customer)
    # Stale nodes, as a bulk import might leave them: the restore puts them right.
    Customer.objects.filter(pk=customer.pk).update(first_contact_at=None, last_contact_at=None)

    restore(actor=org.rep, record=reload(customer))
    customer.refresh_from_db()
    assert (customer.first_contact_at, customer.last_contact_at) == (days_ago(10), days_ago(10))

    restore(actor=org.rep, record=reload(latest))
    customer.refresh_from_db()
    assert (customer.first_contact_at, customer.last_contact_at) == (days_ago(10), days_ago(1))


def test_restoring_a_contact_whose_customer_is_deleted_is_refused(org):
    customer = make_customer(org.rep)
    contact = make_contact(customer)
    delete_contact(actor=org.rep, contact=contact)
    delete_customer(actor=org.rep, customer=customer)
    before = row_counts()
    with pytest.raises(ValidationFailed) as caught:
        restore(actor=org.rep, record=reload(contact))
    assert caught.value.message == "Restore its customer first."
    assert reload(contact).deleted_at is not None
    assert row_counts() == before


def test_restoring_a_task_without_a_customer(org):
    task = make_task(org.rep)
    delete_task(actor=org.rep, task=task)
    assert restore(actor=org.rep, record=reload(task)) == 1
    assert reload(task).deleted_at is None
    [entry] = audit_for(task, AuditAction.RESTORE)
    assert entry.customer_id is None


# --- purge --------------------------------------------------------------------------------


def test_purge_deletes_only_what_is_past_retention(org):
    expired = make_customer(org.rep, name="过期")
    expired_contact = make_contact(expired)
    make_activity(expired)
    fresh = make_customer(org.rep, name="新删")
    live = make_customer(org.rep, name="在用")
    live_contact = make_contact(live)
    lonely = make_contact(live, name="单独删的")
    delete_customer(actor=org.rep, customer=expired)
    delete_customer(actor=org.rep, customer=fresh)
    delete_contact(actor=org.rep, contact=lonely)
    age(reload(expired), 31)
    age(reload(lonely), 30.5)
    age(reload(fresh), 29)

    purged = purge_expired()

    assert purged == 4
    assert not Customer.objects.filter(pk=expired.pk).exists()
    assert not Contact.objects.filter(pk__in=[expired_contact.pk, lonely.pk]).exists()
    assert Activity.objects.count() == 0
    assert set(Customer.objects.values_list("name", flat=True)) == {"新删", "在用"}
    assert reload(live_contact).deleted_at is None
    # The name index has no database constraint; the purge removes its rows all the same.
    assert not CustomerNameGram.objects.filter(customer_id=expired.pk).exists()
    assert CustomerNameGram.objects.filter(customer_id=live.pk).exists()


def test_purge_with_an_explicit_cutoff(org):
    customer = make_customer(org.rep)
    delete_customer(actor=org.rep, customer=customer)
    deleted_at = age(reload(customer), 5)
    assert purge_expired(cutoff=deleted_at) == 0
    assert purge_expired(cutoff=deleted_at + datetime.timedelta(seconds=1)) == 1
    assert Customer.objects.count() == 0


def test_purge_writes_an_entry_per_record_and_keeps_the_history(org):
    customer = make_customer(org.rep, name="过期客户")
    contact = make_contact(customer)
    task = make_task(org.rep, customer=customer.pk)
    delete_customer(actor=org.rep, customer=customer)
    age(reload(customer), 40)

    assert purge_expired() == 3

    purges = AuditEntry.objects.filter(action=AuditAction.PURGE)
    assert sorted(purges.values_list("object_type", "object_id", "customer_id")) == sorted(
        [
            ("customers.customer", customer.pk, customer.pk),
            ("customers.contact", contact.pk, customer.pk),
            ("activities.task", task.pk, customer.pk),
        ]
    )
    assert set(purges.values_list("actor_label", flat=True)) == {"system"}
    assert set(purges.values_list("actor", flat=True)) == {None}
    assert purges.get(object_type="customers.customer").object_label == "过期客户"
    assert [entry.action for entry in audit_for(customer)] == [
        AuditAction.CREATE,
        AuditAction.DELETE,
        AuditAction.PURGE,
    ]


def test_purge_with_nothing_expired_writes_nothing(org):
    customer = make_customer(org.rep)
    delete_customer(actor=org.rep, customer=customer)
    before = row_counts()
    assert purge_expired() == 0
    assert row_counts() == before


def test_the_scheduled_job_purges(org):
    customer = make_customer(org.rep)
    delete_customer(actor=org.rep, customer=customer)
    age(reload(customer), 31)
    assert purge_recycle_bin.call_local() == 1
    assert Customer.objects.count() == 0


def test_retention_is_thirty_days_by_default(settings):
    assert settings.RECYCLE_BIN_RETENTION_DAYS == 30
    retention = datetime.timedelta(days=30)
    before = timezone.now()
    cutoff = retention_cutoff()
    after = timezone.now()
    assert before - retention <= cutoff <= after - retention


def test_restoring_a_record_that_is_not_deleted_is_refused_and_touches_nothing(org):
    live = make_customer(org.rep)
    make_contact(live)
    before = row_counts()
    with pytest.raises(ValidationFailed) as caught:
        restore(actor=org.rep, record=live)
    assert caught.value.message == "This record is not in the recycle bin."
    assert row_counts() == before
    assert audit_for(live, AuditAction.RESTORE) == []
