"""Simultaneous writes to one customer. PostgreSQL only: select_for_update serialises them
there; SQLite takes one database-wide write lock and the in-memory test database is not
shared between threads."""

import threading

import pytest
from django.db import connection, connections

from tend.audit.models import AuditAction, AuditEntry
from tend.customers.actions import update_customer
from tend.customers.models import Customer
from tests.factories import make_customer

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: row locks (select_for_update) and a database shared by threads",
    ),
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

ROUNDS = 15


def run_together(*jobs):
    """Run each job in its own thread (own connection), started at the same moment; re-raise
    the first failure."""
    barrier = threading.Barrier(len(jobs))
    failures = []

    def runner(job):
        try:
            barrier.wait()
            job()
        except Exception as exc:
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


def test_two_users_updating_one_customer_at_once_both_succeed(org):
    customer = make_customer(org.rep, name="原名", city="杭州")

    run_together(
        lambda: update_customer(
            actor=org.rep, customer=Customer.objects.get(pk=customer.pk), data={"name": "新名"}
        ),
        lambda: update_customer(
            actor=org.manager,
            customer=Customer.objects.get(pk=customer.pk),
            data={"city": "宁波"},
        ),
    )

    customer.refresh_from_db()
    assert (customer.name, customer.city) == ("新名", "宁波")
    updates = AuditEntry.objects.filter(object_id=customer.pk, action=AuditAction.UPDATE)
    assert sorted((entry.actor_id, entry.changes) for entry in updates) == sorted(
        [
            (org.rep.pk, {"name": ["原名", "新名"]}),
            (org.manager.pk, {"city": ["杭州", "宁波"]}),
        ]
    )


def test_interleaved_updates_of_one_field_leave_an_unbroken_audit_chain(org):
    customer = make_customer(org.rep, industry="起点")

    def writer(actor, label):
        def job():
            for number in range(ROUNDS):
                update_customer(
                    actor=actor,
                    customer=Customer.objects.get(pk=customer.pk),
                    data={"industry": f"{label}{number}"},
                )

        return job

    run_together(writer(org.rep, "rep-"), writer(org.manager, "manager-"))

    updates = list(
        AuditEntry.objects.filter(object_id=customer.pk, action=AuditAction.UPDATE).order_by("id")
    )
    assert len(updates) == 2 * ROUNDS
    # Each change starts from the value the previous one left: no write saw a stale row.
    previous = "起点"
    for entry in updates:
        old, new = entry.changes["industry"]
        assert old == previous
        previous = new
    customer.refresh_from_db()
    assert customer.industry == previous
    assert {entry.changes["industry"][1] for entry in updates} == {
        *(f"rep-{n}" for n in range(ROUNDS)),
        *(f"manager-{n}" for n in range(ROUNDS)),
    }
