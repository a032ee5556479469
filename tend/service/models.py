"""After-sales service: tickets (工单) with their reply thread, and feedback (反馈) — complaints,
suggestions, praise — with the append-only history of its escalations.

Priority and severity are words to people and numbers to lists: each has a rank column the
database computes from the word, so "most urgent first" is an index range scan."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Case, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from tend.core.models import CustomerScopedTotal, SoftDeletableModel, sort_index

LIVE = Q(deleted_at__isnull=True)


class RankField(models.GeneratedField):
    """A computed number that list cursors carry: a cursor's value is checked as a number
    (a damaged cursor is then an invalid one, not a database error)."""

    def to_python(self, value):
        return self.output_field.to_python(value)


def _rank(field: str, choices) -> RankField:
    """A stored column holding the position of `field`'s value among `choices` (1 = first)."""
    return RankField(
        expression=Case(
            *(When(**{field: value}, then=Value(rank)) for rank, value in enumerate(choices, 1)),
            default=Value(0),
        ),
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
    )


class TicketPriority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class TicketStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_ON_CUSTOMER = "waiting_on_customer", _("Waiting on customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


# Statuses in which a ticket still needs work; resolved and closed tickets are done.
OPEN_TICKET_STATUSES = (
    TicketStatus.OPEN,
    TicketStatus.IN_PROGRESS,
    TicketStatus.WAITING_ON_CUSTOMER,
)
DONE_TICKET_STATUSES = (TicketStatus.RESOLVED, TicketStatus.CLOSED)


class Ticket(SoftDeletableModel):
    """An after-sales service request (工单) of a customer."""

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="tickets",
        verbose_name=_("customer"),
    )
    contact = models.ForeignKey(
        "customers.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        verbose_name=_("contact"),
    )
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), max_length=10000, blank=True)
    priority = models.CharField(
        _("priority"),
        max_length=16,
        choices=TicketPriority.choices,
        default=TicketPriority.NORMAL,
    )
    priority_rank = _rank("priority", TicketPriority.values)
    status = models.CharField(
        _("status"), max_length=24, choices=TicketStatus.choices, default=TicketStatus.OPEN
    )
    assignee = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        verbose_name=_("assignee"),
    )
    opened_by = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("opened by"),
    )
    # When the request came in; set by the action (so that it can be given), unlike created_at.
    opened_at = models.DateTimeField(_("opened at"))
    # The first reply the customer saw, or the first move out of "open", whichever came first.
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    # When the ticket last entered resolved or closed; cleared when it is reopened.
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction"), null=True, blank=True)
    satisfaction_comment = models.CharField(_("satisfaction comment"), max_length=1000, blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            sort_index(sort="-opened_at", name="ticket_recent", condition=LIVE),
            sort_index(sort="-priority_rank", name="ticket_priority", condition=LIVE),
            sort_index("customer", sort="-opened_at", name="ticket_customer", condition=LIVE),
            sort_index("assignee", sort="-opened_at", name="ticket_assignee", condition=LIVE),
            sort_index("status", sort="-opened_at", name="ticket_status", condition=LIVE),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_done(self) -> bool:
        return self.status in DONE_TICKET_STATUSES

    @property
    def first_response_time(self) -> datetime.timedelta | None:
        if self.first_response_at is None:
            return None
        return self.first_response_at - self.opened_at

    @property
    def resolution_time(self) -> datetime.timedelta | None:
        if self.resolved_at is None:
            return None
        return self.resolved_at - self.opened_at


class TicketComment(models.Model):
    """One message in a ticket's thread — append-only. Public replies are what the customer is
    told; internal notes are for colleagues. `from_customer` marks the customer's own words
    written down by a user (a call, an email), which are not a response to the customer."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="comments", verbose_name=_("ticket")
    )
    author = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("author"),
    )
    body = models.TextField(_("message"), max_length=10000)
    public = models.BooleanField(_("public reply"), default=True)
    from_customer = models.BooleanField(_("from the customer"), default=False)
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("ticket comment")
        verbose_name_plural = _("ticket comments")
        indexes = [models.Index(fields=["ticket", "at", "id"], name="ticket_comment_thread")]

    def __str__(self) -> str:
        return self.body[:50]


class FeedbackKind(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint")
    SUGGESTION = "suggestion", _("Suggestion")
    PRAISE = "praise", _("Praise")


class FeedbackSeverity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class FeedbackStatus(models.TextChoices):
    NEW = "new", _("New")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_FEEDBACK_STATUSES = (
    FeedbackStatus.NEW,
    FeedbackStatus.ACKNOWLEDGED,
    FeedbackStatus.IN_PROGRESS,
)
DONE_FEEDBACK_STATUSES = (FeedbackStatus.RESOLVED, FeedbackStatus.CLOSED)


class EscalationLevel(models.TextChoices):
    """Who handles a piece of feedback, lowest first; feedback only ever moves up."""

    AGENT = "agent", _("Agent")
    MANAGER = "manager", _("Manager")
    EXECUTIVE = "executive", _("Executive")


ESCALATION_ORDER = list(EscalationLevel.values)


class Feedback(SoftDeletableModel):
    """What a customer told us (反馈): a complaint, a suggestion or praise."""

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="feedback",
        verbose_name=_("customer"),
    )
    contact = models.ForeignKey(
        "customers.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback",
        verbose_name=_("contact"),
    )
    ticket = models.ForeignKey(
        Ticket,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback",
        verbose_name=_("ticket"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=FeedbackKind.choices)
    severity = models.CharField(
        _("severity"),
        max_length=16,
        choices=FeedbackSeverity.choices,
        default=FeedbackSeverity.LOW,
    )
    severity_rank = _rank("severity", FeedbackSeverity.values)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), max_length=10000, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=FeedbackStatus.choices, default=FeedbackStatus.NEW
    )
    escalation_level = models.CharField(
        _("escalation level"),
        max_length=16,
        choices=EscalationLevel.choices,
        default=EscalationLevel.AGENT,
    )
    resolution = models.TextField(_("resolution"), max_length=5000, blank=True)
    received_at = models.DateTimeField(_("received at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    created_by = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        indexes = [
            sort_index(sort="-received_at", name="feedback_recent", condition=LIVE),
            sort_index(sort="-severity_rank", name="feedback_severity", condition=LIVE),
            sort_index("customer", sort="-received_at", name="feedback_customer", condition=LIVE),
            sort_index("status", sort="-received_at", name="feedback_status", condition=LIVE),
            # Complaints of a customer in a recent window.
            models.Index(
                fields=["customer", "kind", "received_at"],
                condition=LIVE,
                name="feedback_customer_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_done(self) -> bool:
        return self.status in DONE_FEEDBACK_STATUSES

    @property
    def is_complaint(self) -> bool:
        return self.kind == FeedbackKind.COMPLAINT

    @property
    def next_escalation_levels(self) -> list[str]:
        """The levels this feedback may still be escalated to."""
        return ESCALATION_ORDER[ESCALATION_ORDER.index(self.escalation_level) + 1 :]


class FeedbackEscalation(models.Model):
    """One escalation of a piece of feedback — append-only, never edited or deleted by an
    action; it goes only when its feedback is purged from the recycle bin."""

    feedback = models.ForeignKey(
        Feedback,
        on_delete=models.CASCADE,
        related_name="escalations",
        verbose_name=_("feedback"),
    )
    from_level = models.CharField(_("from level"), max_length=16, choices=EscalationLevel.choices)
    to_level = models.CharField(_("to level"), max_length=16, choices=EscalationLevel.choices)
    by = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("escalated by"),
    )
    at = models.DateTimeField(_("at"))
    reason = models.CharField(_("reason"), max_length=1000)

    class Meta:
        verbose_name = _("feedback escalation")
        verbose_name_plural = _("feedback escalations")
        indexes = [models.Index(fields=["feedback", "at", "id"], name="feedback_escalation_log")]

    def __str__(self) -> str:
        return f"{self.feedback_id}: {self.from_level} → {self.to_level}"


class TicketTotal(CustomerScopedTotal):
    """Live tickets per status, priority, assignee and the customer's owner and team, with
    the sums behind the response-time averages: the ticket list's counts and averages,
    kept by database triggers (see tend.service.summaries). Never written by code; rebuilt
    by `migrate`."""

    status = models.CharField(max_length=20)
    priority = models.CharField(max_length=10)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    ticket_count = models.IntegerField(default=0)
    responded = models.IntegerField(default=0)
    response_seconds = models.FloatField(default=0)
    resolved = models.IntegerField(default=0)
    resolution_seconds = models.FloatField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "status",
                "priority",
                Coalesce("assignee", 0),
                Coalesce("owner", 0),
                Coalesce("team", 0),
                name="ticket_total_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.status}/{self.priority}: {self.ticket_count} tickets"
