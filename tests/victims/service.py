"""The victim's tickets and feedback, for tests/test_access_matrix.py."""

from tend.service.actions import add_ticket_comment, escalate_feedback
from tend.service.models import Feedback, FeedbackEscalation, Ticket, TicketComment
from tests.factories_service import make_feedback, make_ticket

WEB_RECORDS = {"tickets/": "ticket", "feedback/": "feedback"}
API_RECORDS = {"/api/v1/tickets/": "ticket", "/api/v1/feedback/": "feedback"}
SECRETS = ["秘密工单", "秘密工单回复", "秘密投诉", "秘密升级原因"]


def build(victim, org, admin):
    victim.ticket = make_ticket(
        victim.customer, subject="秘密工单", contact=victim.contact.pk, assignee=victim.owner.pk
    )
    add_ticket_comment(actor=victim.owner, ticket=victim.ticket, data={"body": "秘密工单回复"})
    victim.feedback = make_feedback(
        victim.customer, subject="秘密投诉", ticket=victim.ticket.pk, severity="high"
    )
    escalate_feedback(
        actor=victim.owner,
        feedback=victim.feedback,
        data={"to_level": "manager", "reason": "秘密升级原因"},
    )


def state(victim):
    return (
        list(
            Ticket.objects.filter(pk=victim.ticket.pk).values(
                "subject", "status", "assignee_id", "satisfaction", "deleted_at", "updated_at"
            )
        ),
        TicketComment.objects.filter(ticket_id=victim.ticket.pk).count(),
        list(
            Feedback.objects.filter(pk=victim.feedback.pk).values(
                "subject", "status", "escalation_level", "resolution", "deleted_at", "updated_at"
            )
        ),
        FeedbackEscalation.objects.filter(feedback_id=victim.feedback.pk).count(),
    )
