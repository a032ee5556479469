"""Writes to tickets and feedback. A ticket's status moves only through
`change_ticket_status`, which keeps its first-response and resolution times; feedback moves
through `change_feedback_status` and climbs through `escalate_feedback`, whose history is
append-only. Each action runs in one transaction with its audit entries.

The time-keeping actions take `at` (default: now) so that the moment of a change can be
given — by tests, and later by imports of past tickets."""

import datetime
import uuid

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tend.accounts.models import User
from tend.accounts.selectors import assignable_users
from tend.audit.actions import diff, record_change, save_with_audit, snapshot
from tend.audit.models import AuditAction
from tend.core.errors import NotFound, ValidationFailed
from tend.core.inputs import clean_input
from tend.customers.models import Contact, Customer
from tend.customers.selectors import access_customer, customer_scope
from tend.recyclebin.actions import delete_record
from tend.service.inputs import (
    EscalationInput,
    FeedbackChangeInput,
    FeedbackInput,
    FeedbackStatusInput,
    SatisfactionInput,
    TicketChangeInput,
    TicketCommentInput,
    TicketInput,
    TicketStatusInput,
)
from tend.service.models import (
    DONE_FEEDBACK_STATUSES,
    DONE_TICKET_STATUSES,
    ESCALATION_ORDER,
    EscalationLevel,
    Feedback,
    FeedbackEscalation,
    FeedbackKind,
    FeedbackStatus,
    Ticket,
    TicketComment,
    TicketStatus,
)
from tend.status.events import customer_event
from tend.status.models import RuleTrigger

TICKET_FIELDS = [
    "subject",
    "description",
    "priority",
    "status",
    "contact",
    "assignee",
    "opened_at",
    "first_response_at",
    "resolved_at",
    "satisfaction",
    "satisfaction_comment",
]
COMMENT_FIELDS = ["body", "public", "from_customer", "at"]
FEEDBACK_FIELDS = [
    "kind",
    "severity",
    "subject",
    "description",
    "status",
    "escalation_level",
    "resolution",
    "contact",
    "ticket",
    "received_at",
    "resolved_at",
]

# Where a ticket may go from each status. Leaving resolved or closed for open is a reopen.
TICKET_TRANSITIONS = {
    TicketStatus.OPEN: {
        TicketStatus.IN_PROGRESS,
        TicketStatus.WAITING_ON_CUSTOMER,
        TicketStatus.RESOLVED,
        TicketStatus.CLOSED,
    },
    TicketStatus.IN_PROGRESS: {
        TicketStatus.WAITING_ON_CUSTOMER,
        TicketStatus.RESOLVED,
        TicketStatus.CLOSED,
    },
    TicketStatus.WAITING_ON_CUSTOMER: {
        TicketStatus.IN_PROGRESS,
        TicketStatus.RESOLVED,
        TicketStatus.CLOSED,
    },
    TicketStatus.RESOLVED: {TicketStatus.CLOSED, TicketStatus.OPEN},
    TicketStatus.CLOSED: {TicketStatus.OPEN},
}

# Closed feedback is finished: nothing moves it any more (nor escalates it).
FEEDBACK_TRANSITIONS = {
    FeedbackStatus.NEW: {
        FeedbackStatus.ACKNOWLEDGED,
        FeedbackStatus.IN_PROGRESS,
        FeedbackStatus.RESOLVED,
        FeedbackStatus.CLOSED,
    },
    FeedbackStatus.ACKNOWLEDGED: {
        FeedbackStatus.IN_PROGRESS,
        FeedbackStatus.RESOLVED,
        FeedbackStatus.CLOSED,
    },
    FeedbackStatus.IN_PROGRESS: {FeedbackStatus.RESOLVED, FeedbackStatus.CLOSED},
    FeedbackStatus.RESOLVED: {FeedbackStatus.CLOSED, FeedbackStatus.IN_PROGRESS},
    FeedbackStatus.CLOSED: set(),
}


def allowed_ticket_statuses(ticket: Ticket) -> list[str]:
    """The statuses the ticket may move to now, in the order statuses are listed."""
    allowed = TICKET_TRANSITIONS[ticket.status]
    return [status for status in TicketStatus.values if status in allowed]


def allowed_feedback_statuses(feedback: Feedback) -> list[str]:
    allowed = FEEDBACK_TRANSITIONS[feedback.status]
    return [status for status in FeedbackStatus.values if status in allowed]


# --- shared checks ----------------------------------------------------------------------------


def _customer_for(actor: User, customer_id) -> Customer:
    try:
        return access_customer(actor, customer_id)
    except NotFound as exc:
        raise ValidationFailed(field_errors={"customer": [_("Unknown customer.")]}) from exc


def _contact_of(customer: Customer, contact_id) -> Contact | None:
    if not contact_id:
        return None
    contact = Contact.objects.filter(
        pk=contact_id, customer=customer, deleted_at__isnull=True
    ).first()
    if contact is None:
        raise ValidationFailed(
            field_errors={"contact": [_("This contact does not belong to the customer.")]}
        )
    return contact


def _assignee_for(actor: User, customer: Customer, assignee_id) -> User | None:
    """The user a ticket goes to: one the actor may hand work to, and who may see the ticket's
    customer (or the ticket would show it to someone who may not). None leaves it unassigned."""
    if not assignee_id:
        return None
    assignee = assignable_users(actor).filter(pk=assignee_id).first()
    if assignee is None:
        raise ValidationFailed(
            field_errors={"assignee": [_("You cannot assign tickets to this user.")]}
        )
    if not Customer.objects.filter(customer_scope(assignee), pk=customer.pk).exists():
        raise ValidationFailed(
            field_errors={"assignee": [_("This user cannot see the ticket's customer.")]}
        )
    return assignee


def _ticket_of(customer: Customer, ticket_id) -> Ticket | None:
    if not ticket_id:
        return None
    ticket = Ticket.objects.filter(pk=ticket_id, customer=customer, deleted_at__isnull=True).first()
    if ticket is None:
        raise ValidationFailed(
            field_errors={"ticket": [_("This ticket does not belong to the customer.")]}
        )
    return ticket


def _status_label(choices, value) -> str:
    return str(dict(choices.choices).get(value, value))


# --- tickets ----------------------------------------------------------------------------------


@transaction.atomic
def create_ticket(*, actor: User, data: dict, at: datetime.datetime | None = None) -> Ticket:
    cleaned = clean_input(TicketInput, data)
    customer = _customer_for(actor, cleaned.pop("customer"))
    contact = _contact_of(customer, cleaned.pop("contact"))
    assignee = _assignee_for(actor, customer, cleaned.pop("assignee"))
    ticket = Ticket.objects.create(
        customer=customer,
        contact=contact,
        assignee=assignee,
        opened_by=actor,
        opened_at=at or timezone.now(),
        **cleaned,
    )
    record_change(
        actor=actor,
        action=AuditAction.CREATE,
        instance=ticket,
        customer_id=customer.pk,
        changes=diff({}, snapshot(ticket, TICKET_FIELDS)),
    )
    customer_event(ticket.customer_id, RuleTrigger.TICKET_CHANGED)
    return ticket


@transaction.atomic
def update_ticket(*, actor: User, ticket: Ticket, data: dict) -> Ticket:
    """Change subject, description, priority, contact or assignee. An assignee left as it is
    is not judged again: a ticket may keep one its editor could not choose anew."""
    current = {
        "subject": ticket.subject,
        "description": ticket.description,
        "priority": ticket.priority,
        "contact": ticket.contact_id,
        "assignee": ticket.assignee_id,
    }
    cleaned = clean_input(TicketChangeInput, data, current=current)
    ticket = Ticket.objects.select_for_update().select_related("customer").get(pk=ticket.pk)
    if "contact" in cleaned:
        cleaned["contact"] = _contact_of(ticket.customer, cleaned["contact"])
    if "assignee" in cleaned:
        if cleaned["assignee"] == ticket.assignee_id:
            cleaned["assignee"] = ticket.assignee
        else:
            cleaned["assignee"] = _assignee_for(actor, ticket.customer, cleaned["assignee"])
    save_with_audit(actor, ticket, TICKET_FIELDS, cleaned, customer_id=ticket.customer_id)
    customer_event(ticket.customer_id, RuleTrigger.TICKET_CHANGED)
    return ticket


@transaction.atomic
def change_ticket_status(
    *,
    actor: User,
    ticket: Ticket,
    status: str,
    note: str = "",
    at: datetime.datetime | None = None,
) -> Ticket:
    """Move a ticket to `status` if its current status allows it. The first move out of open
    is a first response (if no reply came first); entering resolved or closed sets the
    resolution time, and a reopen clears it with the satisfaction given for it."""
    cleaned = clean_input(TicketStatusInput, {"status": status, "note": note})
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    current, target = ticket.status, cleaned["status"]
    if target == current:
        message = _("The ticket is already “%(status)s”.") % {
            "status": _status_label(TicketStatus, current)
        }
        raise ValidationFailed(message, field_errors={"status": [message]})
    if target not in TICKET_TRANSITIONS[current]:
        message = _("A ticket cannot move from “%(from)s” to “%(to)s”.") % {
            "from": _status_label(TicketStatus, current),
            "to": _status_label(TicketStatus, target),
        }
        raise ValidationFailed(message, field_errors={"status": [message]})
    moment = at or timezone.now()
    values = {"status": target}
    if current == TicketStatus.OPEN and ticket.first_response_at is None:
        values["first_response_at"] = moment
    if target in DONE_TICKET_STATUSES:
        # Resolved, then closed: the resolution happened when it was resolved.
        if current not in DONE_TICKET_STATUSES:
            values["resolved_at"] = moment
    elif current in DONE_TICKET_STATUSES:
        values.update(resolved_at=None, satisfaction=None, satisfaction_comment="")
    save_with_audit(
        actor,
        ticket,
        TICKET_FIELDS,
        values,
        also_save=["first_response_at", "resolved_at", "satisfaction", "satisfaction_comment"],
        customer_id=ticket.customer_id,
        note=cleaned["note"],
    )
    customer_event(ticket.customer_id, RuleTrigger.TICKET_CHANGED)
    return ticket


@transaction.atomic
def add_ticket_comment(
    *, actor: User, ticket: Ticket, data: dict, at: datetime.datetime | None = None
) -> TicketComment:
    """Add a reply (public) or a note (internal) to the thread. The first public reply that is
    not the customer's own words is the ticket's first response."""
    cleaned = clean_input(TicketCommentInput, {"public": True, "from_customer": False, **data})
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    moment = at or timezone.now()
    comment = TicketComment.objects.create(ticket=ticket, author=actor, at=moment, **cleaned)
    record_change(
        actor=actor,
        action=AuditAction.CREATE,
        instance=comment,
        customer_id=ticket.customer_id,
        changes=diff({}, snapshot(comment, COMMENT_FIELDS)),
    )
    if ticket.first_response_at is None and comment.public and not comment.from_customer:
        values = {"first_response_at": moment}
        save_with_audit(actor, ticket, TICKET_FIELDS, values, customer_id=ticket.customer_id)
    return comment


@transaction.atomic
def rate_ticket(*, actor: User, ticket: Ticket, data: dict) -> Ticket:
    """Record the customer's satisfaction (1–5) with a resolved or closed ticket."""
    cleaned = clean_input(SatisfactionInput, data)
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.status not in DONE_TICKET_STATUSES:
        raise ValidationFailed(
            field_errors={
                "satisfaction": [
                    _("Satisfaction can be recorded once the ticket is resolved or closed.")
                ]
            }
        )
    values = {name: cleaned[name] for name in ("satisfaction", "satisfaction_comment")}
    save_with_audit(actor, ticket, TICKET_FIELDS, values, customer_id=ticket.customer_id)
    customer_event(ticket.customer_id, RuleTrigger.TICKET_CHANGED)
    return ticket


@transaction.atomic
def delete_ticket(*, actor: User, ticket: Ticket) -> uuid.UUID:
    return delete_record(actor=actor, record=ticket)


# --- feedback ---------------------------------------------------------------------------------


def _require_complaint_resolution(kind: str, status: str, resolution: str, field: str) -> None:
    if kind == FeedbackKind.COMPLAINT and status in DONE_FEEDBACK_STATUSES and not resolution:
        raise ValidationFailed(
            field_errors={
                field: [_("A complaint needs a resolution before it is resolved or closed.")]
            }
        )


@transaction.atomic
def create_feedback(*, actor: User, data: dict, at: datetime.datetime | None = None) -> Feedback:
    cleaned = clean_input(FeedbackInput, data)
    customer = _customer_for(actor, cleaned.pop("customer"))
    contact = _contact_of(customer, cleaned.pop("contact"))
    ticket = _ticket_of(customer, cleaned.pop("ticket"))
    feedback = Feedback.objects.create(
        customer=customer,
        contact=contact,
        ticket=ticket,
        created_by=actor,
        received_at=at or timezone.now(),
        **cleaned,
    )
    record_change(
        actor=actor,
        action=AuditAction.CREATE,
        instance=feedback,
        customer_id=customer.pk,
        changes=diff({}, snapshot(feedback, FEEDBACK_FIELDS)),
    )
    customer_event(feedback.customer_id, RuleTrigger.FEEDBACK_CHANGED)
    return feedback


@transaction.atomic
def update_feedback(*, actor: User, feedback: Feedback, data: dict) -> Feedback:
    current = {
        "kind": feedback.kind,
        "severity": feedback.severity,
        "subject": feedback.subject,
        "description": feedback.description,
        "contact": feedback.contact_id,
        "ticket": feedback.ticket_id,
    }
    cleaned = clean_input(FeedbackChangeInput, data, current=current)
    feedback = Feedback.objects.select_for_update().select_related("customer").get(pk=feedback.pk)
    if "contact" in cleaned:
        cleaned["contact"] = _contact_of(feedback.customer, cleaned["contact"])
    if "ticket" in cleaned:
        cleaned["ticket"] = _ticket_of(feedback.customer, cleaned["ticket"])
    _require_complaint_resolution(
        cleaned.get("kind", feedback.kind), feedback.status, feedback.resolution, "kind"
    )
    save_with_audit(actor, feedback, FEEDBACK_FIELDS, cleaned, customer_id=feedback.customer_id)
    customer_event(feedback.customer_id, RuleTrigger.FEEDBACK_CHANGED)
    return feedback


@transaction.atomic
def change_feedback_status(
    *,
    actor: User,
    feedback: Feedback,
    status: str,
    resolution: str | None = None,
    at: datetime.datetime | None = None,
) -> Feedback:
    """Move feedback to `status`, with a resolution when given. A complaint is resolved or
    closed only with a resolution; closing ends the feedback's life (and its escalation)."""
    data = {"status": status}
    if resolution is not None:
        data["resolution"] = resolution
    cleaned = clean_input(FeedbackStatusInput, data)
    feedback = Feedback.objects.select_for_update().get(pk=feedback.pk)
    current, target = feedback.status, cleaned["status"]
    if current == FeedbackStatus.CLOSED:
        message = _("This feedback is closed and cannot change any more.")
        raise ValidationFailed(message, field_errors={"status": [message]})
    if target == current:
        message = _("The feedback is already “%(status)s”.") % {
            "status": _status_label(FeedbackStatus, current)
        }
        raise ValidationFailed(message, field_errors={"status": [message]})
    if target not in FEEDBACK_TRANSITIONS[current]:
        message = _("Feedback cannot move from “%(from)s” to “%(to)s”.") % {
            "from": _status_label(FeedbackStatus, current),
            "to": _status_label(FeedbackStatus, target),
        }
        raise ValidationFailed(message, field_errors={"status": [message]})
    resolution_text = cleaned["resolution"] if "resolution" in data else feedback.resolution
    _require_complaint_resolution(feedback.kind, target, resolution_text, "resolution")
    values = {"status": target, "resolution": resolution_text}
    if target not in DONE_FEEDBACK_STATUSES:
        values["resolved_at"] = None
    elif current not in DONE_FEEDBACK_STATUSES:
        values["resolved_at"] = at or timezone.now()
    save_with_audit(
        actor,
        feedback,
        FEEDBACK_FIELDS,
        values,
        also_save=["resolved_at"],
        customer_id=feedback.customer_id,
    )
    customer_event(feedback.customer_id, RuleTrigger.FEEDBACK_CHANGED)
    return feedback


@transaction.atomic
def escalate_feedback(
    *, actor: User, feedback: Feedback, data: dict, at: datetime.datetime | None = None
) -> FeedbackEscalation:
    """Raise the feedback to a higher level (agent → manager → executive), with a reason.
    Escalation only goes up; resolved or closed feedback is no longer escalated."""
    cleaned = clean_input(EscalationInput, data)
    feedback = Feedback.objects.select_for_update().get(pk=feedback.pk)
    if feedback.status in DONE_FEEDBACK_STATUSES:
        message = _("Resolved or closed feedback cannot be escalated.")
        raise ValidationFailed(message, field_errors={"to_level": [message]})
    current, target = feedback.escalation_level, cleaned["to_level"]
    if ESCALATION_ORDER.index(target) <= ESCALATION_ORDER.index(current):
        message = _("Feedback only escalates upwards; it is already at “%(level)s”.") % {
            "level": _status_label(EscalationLevel, current)
        }
        raise ValidationFailed(message, field_errors={"to_level": [message]})
    escalation = FeedbackEscalation.objects.create(
        feedback=feedback,
        from_level=current,
        to_level=target,
        by=actor,
        at=at or timezone.now(),
        reason=cleaned["reason"],
    )
    save_with_audit(
        actor,
        feedback,
        FEEDBACK_FIELDS,
        {"escalation_level": target},
        customer_id=feedback.customer_id,
        note=cleaned["reason"][:500],
    )
    return escalation


@transaction.atomic
def delete_feedback(*, actor: User, feedback: Feedback) -> uuid.UUID:
    return delete_record(actor=actor, record=feedback)
