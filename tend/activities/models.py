from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tend.core.models import SoftDeletableModel, sort_index

LIVE = Q(deleted_at__isnull=True)


class ActivityKind(models.TextChoices):
    CALL = "call", _("Call")
    VISIT = "visit", _("Visit")
    MEETING = "meeting", _("Meeting")
    EMAIL = "email", _("Email")
    WECHAT = "wechat", _("WeChat")
    SMS = "sms", _("SMS")
    NOTE = "note", _("Note")


class Activity(SoftDeletableModel):
    """A logged communication with a customer (跟进记录)."""

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="activities",
        verbose_name=_("customer"),
    )
    contact = models.ForeignKey(
        "customers.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
        verbose_name=_("contact"),
    )
    kind = models.CharField(_("type"), max_length=16, choices=ActivityKind.choices)
    occurred_at = models.DateTimeField(_("occurred at"))
    summary = models.TextField(_("summary"), max_length=5000)
    outcome = models.CharField(_("outcome"), max_length=500, blank=True)
    # 有效沟通: the rep marks a communication as substantive; rules count these.
    valid_communication = models.BooleanField(_("valid communication"), default=False)
    next_follow_up_on = models.DateField(_("next follow-up"), null=True, blank=True)
    author = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
        verbose_name=_("author"),
    )

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            sort_index("customer", sort="-occurred_at", name="activity_timeline", condition=LIVE),
            sort_index(sort="-occurred_at", name="activity_recent", condition=LIVE),
            models.Index(fields=["author", "-occurred_at"], condition=LIVE, name="activity_author"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d}"


class TaskKind(models.TextChoices):
    FOLLOW_UP = "follow_up", _("Follow-up")
    CALL = "call", _("Call")
    VISIT = "visit", _("Visit")
    EMAIL = "email", _("Email")
    MEETING = "meeting", _("Meeting")
    OTHER = "other", _("Other")


class Task(SoftDeletableModel):
    """Something a person must do by a date (待办). Later issues let rules create tasks."""

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=16, choices=TaskKind.choices, default=TaskKind.FOLLOW_UP
    )
    assignee = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="tasks", verbose_name=_("assignee")
    )
    due_at = models.DateTimeField(_("due"))
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="tasks",
        verbose_name=_("customer"),
    )
    notes = models.TextField(_("notes"), max_length=2000, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    created_by = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [
            models.Index(
                fields=["assignee", "done_at", "due_at"], condition=LIVE, name="task_assignee"
            ),
            models.Index(fields=["customer", "due_at"], condition=LIVE, name="task_customer"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        return self.done_at is not None
