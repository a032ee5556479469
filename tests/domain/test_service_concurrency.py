"""Simultaneous writes to one ticket or piece of feedback. PostgreSQL only (see
test_concurrency.py): the actions lock the row, so the second writer sees the first's change."""

import threading

import pytest
from django.db import connection, connections
from django.utils import translation

from tend.audit.models import AuditAction, AuditEntry
from tend.core.errors import ValidationFailed
from tend.service.actions import add_ticket_comment, change_ticket_status, escalate_feedback
from tend.service.models import Feedback, FeedbackEscalation, Ticket
from tests.factories import make_customer
from tests.factories_service import make_feedback, make_ticket

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: row locks (select_for_update) and a database shared by threads",
    ),
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

ROUNDS = 10


def run_together(*jobs) -> list:
    """Run each job in its own thread (own connection), started at the same moment; return
    the exceptions raised."""
    barrier = threading.Barrier(len(jobs))
    failures = []

    def runner(job):
        try:
            barrier.wait()
            # A thread starts in the default language; messages are asserted in English.
            with translation.override("en"):
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
    return failures


def reply(actor, ticket_id, body):
    return lambda: add_ticket_comment(
        actor=actor, ticket=Ticket.objects.get(pk=ticket_id), data={"body": body}
    )


def resolve(actor, ticket_id):
    return lambda: change_ticket_status(
        actor=actor, ticket=Ticket.objects.get(pk=ticket_id), status="resolved"
    )


def escalate(actor, feedback_id):
    return lambda: escalate_feedback(
        actor=actor,
        feedback=Feedback.objects.get(pk=feedback_id),
        data={"to_level": "manager", "reason": "急"},
    )


def test_two_first_replies_at_once_set_the_first_response_once(org):
    for _round in range(ROUNDS):
        ticket = make_ticket(make_customer(org.rep))
        failures = run_together(
            reply(org.rep, ticket.pk, "一"), reply(org.manager, ticket.pk, "二")
        )
        assert failures == []
        ticket.refresh_from_db()
        first = ticket.comments.order_by("at", "id").first()
        assert ticket.first_response_at == first.at
        responses = AuditEntry.objects.filter(
            object_type="service.ticket",
            object_id=ticket.pk,
            action=AuditAction.UPDATE,
            changes__has_key="first_response_at",
        )
        assert responses.count() == 1


def test_two_people_resolving_one_ticket_at_once_resolve_it_once(org):
    for _round in range(ROUNDS):
        ticket = make_ticket(make_customer(org.rep))
        failures = run_together(resolve(org.rep, ticket.pk), resolve(org.manager, ticket.pk))
        assert len(failures) == 1
        assert isinstance(failures[0], ValidationFailed)
        assert failures[0].field_errors == {"status": ["The ticket is already “Resolved”."]}
        moves = AuditEntry.objects.filter(
            object_type="service.ticket", object_id=ticket.pk, action=AuditAction.UPDATE
        )
        assert moves.count() == 1


def test_two_escalations_to_the_same_level_at_once_escalate_once(org):
    for _round in range(ROUNDS):
        feedback = make_feedback(make_customer(org.rep))
        failures = run_together(escalate(org.rep, feedback.pk), escalate(org.manager, feedback.pk))
        assert len(failures) == 1
        assert isinstance(failures[0], ValidationFailed)
        assert FeedbackEscalation.objects.filter(feedback_id=feedback.pk).count() == 1
