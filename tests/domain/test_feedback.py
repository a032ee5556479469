"""Feedback (反馈): recording it, its status with a complaint's resolution, and escalation —
upward only, with a reason, in an append-only history."""

import datetime

import pytest
from django.utils import timezone

from tend.audit.models import AuditAction
from tend.core.errors import NotFound, ValidationFailed
from tend.customers.actions import delete_customer
from tend.recyclebin.actions import purge_expired, restore
from tend.service.actions import (
    allowed_feedback_statuses,
    change_feedback_status,
    create_feedback,
    delete_feedback,
    delete_ticket,
    escalate_feedback,
    update_feedback,
)
from tend.service.models import Feedback, FeedbackEscalation
from tend.service.selectors import access_feedback, feedback_escalations
from tests.domain.support import audit_for, row_counts
from tests.factories import make_contact, make_customer
from tests.factories_service import make_feedback, make_ticket

ANCHOR = timezone.now().replace(microsecond=0) - datetime.timedelta(days=10)


def minutes(count):
    return ANCHOR + datetime.timedelta(minutes=count)


def service_rows():
    return {
        **row_counts(),
        "feedback": Feedback.objects.count(),
        "escalations": FeedbackEscalation.objects.count(),
    }


@pytest.fixture
def customer(rep):
    return make_customer(rep, name="杭州青木科技")


@pytest.fixture
def complaint(customer):
    return make_feedback(customer, kind="complaint", subject="送货太慢", at=minutes(0))


# --- recording --------------------------------------------------------------------------------


def test_recording_feedback_links_contact_and_ticket_and_audits_it(rep, customer):
    contact = make_contact(customer, name="王芳")
    ticket = make_ticket(customer, subject="打印机故障")
    feedback = create_feedback(
        actor=rep,
        data={
            "customer": customer.pk,
            "contact": contact.pk,
            "ticket": ticket.pk,
            "kind": "complaint",
            "severity": "critical",
            "subject": "维修太慢",
            "description": "等了三天",
        },
        at=minutes(0),
    )
    feedback.refresh_from_db()
    assert feedback.status == "new"
    assert feedback.escalation_level == "agent"
    assert feedback.severity_rank == 4
    assert feedback.received_at == minutes(0)
    assert feedback.created_by == rep
    [entry] = audit_for(feedback)
    assert entry.action == AuditAction.CREATE
    assert entry.customer_id == customer.pk
    assert entry.changes == {
        "kind": [None, "complaint"],
        "severity": [None, "critical"],
        "subject": [None, "维修太慢"],
        "description": [None, "等了三天"],
        "status": [None, "new"],
        "escalation_level": [None, "agent"],
        "contact": [None, contact.pk],
        "ticket": [None, ticket.pk],
        "received_at": [None, minutes(0).isoformat()],
    }


def test_feedback_is_of_low_severity_unless_told(customer):
    praise = make_feedback(customer, kind="praise", subject="服务很好")
    assert praise.severity == "low"
    assert praise.contact is None and praise.ticket is None


@pytest.mark.parametrize(
    "data, errors",
    [
        ({"kind": ""}, {"kind": ["This field is required."]}),
        ({"kind": "rant"}, {"kind": ["Select a valid choice. rant is not one of the available choices."]}),
        ({"severity": "apocalyptic"}, {"severity": ["Select a valid choice. apocalyptic is not one of the available choices."]}),
        ({"subject": ""}, {"subject": ["This field is required."]}),
        ({"status": "closed"}, {"status": ["This field is unknown or cannot be set here."]}),
        ({"escalation_level": "executive"}, {"escalation_level": ["This field is unknown or cannot be set here."]}),
    ],
)  # fmt: skip
def test_bad_feedback_input_gives_field_errors_and_writes_nothing(rep, customer, data, errors):
    before = service_rows()
    with pytest.raises(ValidationFailed) as refused:
        create_feedback(
            actor=rep,
            data={"customer": customer.pk, "kind": "suggestion", "subject": "建议", **data},
        )
    assert refused.value.field_errors == errors
    assert service_rows() == before


def test_feedback_links_only_to_the_customers_own_live_ticket(org, customer):
    other_ticket = make_ticket(make_customer(org.rep, name="另一家"))
    with pytest.raises(ValidationFailed) as foreign:
        make_feedback(customer, ticket=other_ticket.pk)
    assert foreign.value.field_errors == {
        "ticket": ["This ticket does not belong to the customer."]
    }
    gone = make_ticket(customer)
    delete_ticket(actor=org.rep, ticket=gone)
    with pytest.raises(ValidationFailed) as deleted:
        make_feedback(customer, ticket=gone.pk)
    assert deleted.value.field_errors == {
        "ticket": ["This ticket does not belong to the customer."]
    }


def test_feedback_needs_a_visible_customer_and_its_own_contact(org, customer):
    hidden = make_customer(org.other_rep, name="别人的客户")
    with pytest.raises(ValidationFailed) as unknown:
        create_feedback(
            actor=org.rep, data={"customer": hidden.pk, "kind": "praise", "subject": "x"}
        )
    assert unknown.value.field_errors == {"customer": ["Unknown customer."]}
    elsewhere = make_contact(make_customer(org.rep, name="另一家"))
    with pytest.raises(ValidationFailed) as contact:
        make_feedback(customer, contact=elsewhere.pk)
    assert contact.value.field_errors == {
        "contact": ["This contact does not belong to the customer."]
    }


def test_updating_feedback_audits_the_difference(rep, customer, complaint):
    ticket = make_ticket(customer)
    update_feedback(actor=rep, feedback=complaint, data={"severity": "high", "ticket": ticket.pk})
    complaint.refresh_from_db()
    assert complaint.severity == "high"
    assert complaint.ticket == ticket
    assert audit_for(complaint)[-1].changes == {
        "severity": ["low", "high"],
        "ticket": [None, ticket.pk],
    }


def test_a_resolved_suggestion_without_resolution_cannot_become_a_complaint(rep, customer):
    suggestion = make_feedback(customer, kind="suggestion")
    change_feedback_status(actor=rep, feedback=suggestion, status="resolved")
    with pytest.raises(ValidationFailed) as refused:
        update_feedback(actor=rep, feedback=suggestion, data={"kind": "complaint"})
    assert refused.value.field_errors == {
        "kind": ["A complaint needs a resolution before it is resolved or closed."]
    }
    suggestion.refresh_from_db()
    assert suggestion.kind == "suggestion"


# --- status and resolution --------------------------------------------------------------------


def test_a_complaint_is_resolved_only_with_a_resolution(rep, complaint):
    entries = len(audit_for(complaint))
    for status in ("resolved", "closed"):
        with pytest.raises(ValidationFailed) as refused:
            change_feedback_status(actor=rep, feedback=complaint, status=status, resolution="  ")
        assert refused.value.field_errors == {
            "resolution": ["A complaint needs a resolution before it is resolved or closed."]
        }
    complaint.refresh_from_db()
    assert complaint.status == "new"
    assert len(audit_for(complaint)) == entries

    change_feedback_status(
        actor=rep,
        feedback=complaint,
        status="resolved",
        resolution="已补发货物并致歉",
        at=minutes(60),
    )
    complaint.refresh_from_db()
    assert complaint.status == "resolved"
    assert complaint.resolution == "已补发货物并致歉"
    assert complaint.resolved_at == minutes(60)
    assert audit_for(complaint)[-1].changes == {
        "status": ["new", "resolved"],
        "resolution": ["", "已补发货物并致歉"],
        "resolved_at": [None, minutes(60).isoformat()],
    }


def test_closing_a_resolved_complaint_keeps_its_resolution_and_time(rep, complaint):
    change_feedback_status(
        actor=rep, feedback=complaint, status="resolved", resolution="已退款", at=minutes(5)
    )
    change_feedback_status(actor=rep, feedback=complaint, status="closed", at=minutes(50))
    complaint.refresh_from_db()
    assert complaint.status == "closed"
    assert complaint.resolution == "已退款"
    assert complaint.resolved_at == minutes(5)


def test_suggestions_and_praise_close_without_a_resolution(rep, customer):
    for kind in ("suggestion", "praise"):
        feedback = make_feedback(customer, kind=kind)
        change_feedback_status(actor=rep, feedback=feedback, status="closed", at=minutes(1))
        feedback.refresh_from_db()
        assert feedback.status == "closed"
        assert feedback.resolved_at == minutes(1)


def test_reopening_resolved_feedback_clears_the_resolution_time(rep, complaint):
    change_feedback_status(actor=rep, feedback=complaint, status="acknowledged")
    change_feedback_status(actor=rep, feedback=complaint, status="resolved", resolution="已处理")
    change_feedback_status(actor=rep, feedback=complaint, status="in_progress")
    complaint.refresh_from_db()
    assert complaint.status == "in_progress"
    assert complaint.resolved_at is None
    assert complaint.resolution == "已处理"


@pytest.mark.parametrize(
    "path, refused, message",
    [
        ([], "new", "The feedback is already “New”."),
        (["acknowledged"], "new", "Feedback cannot move from “Acknowledged” to “New”."),
        (["in_progress"], "acknowledged", "Feedback cannot move from “In progress” to “Acknowledged”."),
        (["closed"], "in_progress", "This feedback is closed and cannot change any more."),
    ],
)  # fmt: skip
def test_feedback_moves_outside_the_transitions_are_refused(rep, customer, path, refused, message):
    feedback = make_feedback(customer, kind="suggestion")
    for status in path:
        change_feedback_status(actor=rep, feedback=feedback, status=status)
    feedback.refresh_from_db()
    before = feedback.status
    with pytest.raises(ValidationFailed) as caught:
        change_feedback_status(actor=rep, feedback=feedback, status=refused)
    assert str(caught.value.message) == message
    assert caught.value.field_errors == {"status": [message]}
    feedback.refresh_from_db()
    assert feedback.status == before


def test_the_allowed_feedback_statuses_follow_the_current_one(rep, complaint):
    assert allowed_feedback_statuses(complaint) == [
        "acknowledged",
        "in_progress",
        "resolved",
        "closed",
    ]
    change_feedback_status(actor=rep, feedback=complaint, status="closed", resolution="已处理")
    complaint.refresh_from_db()
    assert allowed_feedback_statuses(complaint) == []


# --- escalation -------------------------------------------------------------------------------


def test_escalation_climbs_one_or_more_levels_and_keeps_its_history(org, complaint):
    first = escalate_feedback(
        actor=org.rep,
        feedback=complaint,
        data={"to_level": "manager", "reason": "客户要求主管处理"},
        at=minutes(10),
    )
    second = escalate_feedback(
        actor=org.manager,
        feedback=complaint,
        data={"to_level": "executive", "reason": "涉及赔偿"},
        at=minutes(20),
    )
    complaint.refresh_from_db()
    assert complaint.escalation_level == "executive"
    history = list(feedback_escalations(complaint))
    assert history == [first, second]
    assert [(e.from_level, e.to_level, e.by, e.at, e.reason) for e in history] == [
        ("agent", "manager", org.rep, minutes(10), "客户要求主管处理"),
        ("manager", "executive", org.manager, minutes(20), "涉及赔偿"),
    ]
    entry = audit_for(complaint)[-1]
    assert entry.changes == {"escalation_level": ["manager", "executive"]}
    assert entry.note == "涉及赔偿"
    assert complaint.next_escalation_levels == []


def test_escalation_may_skip_a_level(rep, complaint):
    escalate_feedback(
        actor=rep, feedback=complaint, data={"to_level": "executive", "reason": "重大投诉"}
    )
    complaint.refresh_from_db()
    assert complaint.escalation_level == "executive"


@pytest.mark.parametrize(
    "level, to_level",
    [("agent", "agent"), ("manager", "manager"), ("manager", "agent"), ("executive", "manager")],
)
def test_escalation_only_goes_upwards(rep, complaint, level, to_level):
    if level != "agent":
        escalate_feedback(actor=rep, feedback=complaint, data={"to_level": level, "reason": "升级"})
    before = service_rows()
    labels = {"agent": "Agent", "manager": "Manager", "executive": "Executive"}
    with pytest.raises(ValidationFailed) as refused:
        escalate_feedback(
            actor=rep, feedback=complaint, data={"to_level": to_level, "reason": "再升级"}
        )
    message = f"Feedback only escalates upwards; it is already at “{labels[level]}”."
    assert refused.value.field_errors == {"to_level": [message]}
    assert service_rows() == before
    complaint.refresh_from_db()
    assert complaint.escalation_level == level


@pytest.mark.parametrize(
    "data, errors",
    [
        ({"to_level": "manager"}, {"reason": ["This field is required."]}),
        ({"to_level": "manager", "reason": "   "}, {"reason": ["This field is required."]}),
        ({"to_level": "ceo", "reason": "x"}, {"to_level": ["Select a valid choice. ceo is not one of the available choices."]}),
        ({"to_level": "manager", "reason": "x", "by": 1}, {"by": ["This field is unknown or cannot be set here."]}),
    ],
)  # fmt: skip
def test_escalation_needs_a_reason_and_a_known_level(rep, complaint, data, errors):
    before = service_rows()
    with pytest.raises(ValidationFailed) as refused:
        escalate_feedback(actor=rep, feedback=complaint, data=data)
    assert refused.value.field_errors == errors
    assert service_rows() == before


@pytest.mark.parametrize("status", ["resolved", "closed"])
def test_resolved_or_closed_feedback_is_not_escalated(rep, complaint, status):
    change_feedback_status(actor=rep, feedback=complaint, status=status, resolution="已处理")
    with pytest.raises(ValidationFailed) as refused:
        escalate_feedback(
            actor=rep, feedback=complaint, data={"to_level": "manager", "reason": "不满意"}
        )
    assert refused.value.field_errors == {
        "to_level": ["Resolved or closed feedback cannot be escalated."]
    }
    assert not FeedbackEscalation.objects.exists()


# --- deletion ---------------------------------------------------------------------------------


def test_deleted_feedback_is_hidden_and_restored_with_its_escalations(rep, complaint):
    escalate_feedback(actor=rep, feedback=complaint, data={"to_level": "manager", "reason": "急"})
    delete_feedback(actor=rep, feedback=complaint)
    with pytest.raises(NotFound):
        access_feedback(rep, complaint.pk)
    complaint.refresh_from_db()
    restore(actor=rep, record=complaint)
    assert access_feedback(rep, complaint.pk).escalations.count() == 1


def test_feedback_goes_with_its_customer_and_purges_with_its_escalations(rep, customer, complaint):
    escalate_feedback(actor=rep, feedback=complaint, data={"to_level": "manager", "reason": "急"})
    delete_customer(actor=rep, customer=customer)
    complaint.refresh_from_db()
    assert complaint.is_deleted
    purge_expired(cutoff=timezone.now() + datetime.timedelta(seconds=1))
    assert not Feedback.objects.exists()
    assert not FeedbackEscalation.objects.exists()


def test_deleting_a_linked_ticket_leaves_the_feedback(rep, customer):
    ticket = make_ticket(customer)
    feedback = make_feedback(customer, ticket=ticket.pk)
    delete_ticket(actor=rep, ticket=ticket)
    purge_expired(cutoff=timezone.now() + datetime.timedelta(seconds=1))
    feedback.refresh_from_db()
    assert feedback.ticket is None
    assert not feedback.is_deleted
