"""The status model: dimensions and their states (data an administrator edits), the moves
allowed between states, and where every customer stands with the append-only history of how
it got there.

Code branches on a state's *category* (open, won, lost, locked …), never on its key or label,
so a renamed or added state needs no code. Every change of a customer's state goes through
`tend.status.actions.change_state`; nothing else writes `CustomerState` or `StateChange`."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from tend.accounts.models import Role
from tend.core.models import Guided, in_language


class StateCategory(models.TextChoices):
    OPEN = "open", _("In progress")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")
    ACTIVE = "active", _("Active")
    DORMANT = "dormant", _("Dormant")
    RISK = "risk", _("At risk")
    NORMAL = "normal", _("Normal")
    # While a customer is in a locked state, only its owner, the owner's managers and
    # admins see its details (跟进中).
    LOCKED = "locked", _("Locked")
    ARCHIVED = "archived", _("Archived")


class SetBy(models.TextChoices):
    USERS = "users", _("People only")
    RULES = "rules", _("Rules only")
    BOTH = "both", _("People and rules")


class Dimension(models.Model):
    """One axis of a customer's status (lifecycle, value, grade …)."""

    key = models.SlugField(_("key"), max_length=50, unique=True)
    label_zh = models.CharField(_("label (Chinese)"), max_length=100)
    label_en = models.CharField(_("label (English)"), max_length=100, blank=True)
    # Exclusive: one state at a time (lifecycle); otherwise several at once, like tags.
    exclusive = models.BooleanField(_("one state at a time"), default=True)
    maintainer_role = models.CharField(
        _("maintained by"), max_length=20, choices=Role.choices, blank=True
    )
    set_by = models.CharField(_("set by"), max_length=5, choices=SetBy.choices, default=SetBy.BOTH)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("status dimension")
        verbose_name_plural = _("status dimensions")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return in_language(self, "label")


class State(Guided):
    dimension = models.ForeignKey(
        Dimension, on_delete=models.CASCADE, related_name="states", verbose_name=_("dimension")
    )
    key = models.SlugField(_("key"), max_length=50)
    category = models.CharField(
        _("category"), max_length=10, choices=StateCategory.choices, default=StateCategory.OPEN
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    color = models.CharField(
        _("colour"),
        max_length=7,
        default="#1f6feb",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$")],
    )
    # Days between follow-ups for a customer in this state (S7: grade A daily … E yearly);
    # empty: none. The one dimension whose states carry a cadence is the grade dimension
    # (tend.status.cadence), so no code needs to know it by its key.
    follow_up_days = models.PositiveIntegerField(_("follow up every (days)"), null=True, blank=True)

    class Meta:
        verbose_name = _("state")
        verbose_name_plural = _("states")
        ordering = ["dimension", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["dimension", "key"], name="state_key_per_dimension")
        ]


class Transition(models.Model):
    """A move the model allows: from a state (or from any, including none) to a state of the
    same dimension, with what it demands."""

    dimension = models.ForeignKey(Dimension, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.ForeignKey(
        State,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="transitions_out",
        verbose_name=_("from"),
        help_text=_("Empty: from any state, or none."),
    )
    to_state = models.ForeignKey(
        State, on_delete=models.CASCADE, related_name="transitions_in", verbose_name=_("to")
    )
    # A condition in the condition language (tend.status.conditions), checked on save.
    guard = models.TextField(_("condition"), blank=True)
    reason_required = models.BooleanField(_("reason required"), default=False)
    approval_role = models.CharField(
        _("approved by"), max_length=20, choices=Role.choices, blank=True
    )

    class Meta:
        verbose_name = _("transition")
        verbose_name_plural = _("transitions")
        constraints = [
            models.UniqueConstraint(
                "dimension",
                Coalesce("from_state", 0),
                "to_state",
                name="transition_once",
            )
        ]

    def __str__(self) -> str:
        source = self.from_state.label if self.from_state_id else _("any")
        return f"{source} → {self.to_state.label}"


class ChecklistStep(models.Model):
    """A step that must be ticked for a customer before the transition may happen."""

    transition = models.ForeignKey(Transition, on_delete=models.CASCADE, related_name="steps")
    label_zh = models.CharField(_("label (Chinese)"), max_length=200)
    label_en = models.CharField(_("label (English)"), max_length=200, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    # Who may tick it; empty: whoever may make the move.
    tick_role = models.CharField(_("ticked by"), max_length=20, choices=Role.choices, blank=True)

    class Meta:
        ordering = ["transition", "order", "id"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return in_language(self, "label")


class ChecklistTick(models.Model):
    """A step ticked for one customer; used up by the move it allowed."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    step = models.ForeignKey(ChecklistStep, on_delete=models.CASCADE, related_name="ticks")
    ticked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "step"], name="tick_once")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.step_id}"


class Door(models.TextChoices):
    """Where a change came from; every door calls the same entry point."""

    WEB = "web", _("web")
    BOARD = "board", _("board")
    BULK = "bulk", _("bulk edit")
    IMPORT = "import", _("import")
    API = "api", _("API")
    CLI = "cli", _("command line")
    RULE = "rule", _("rule")
    APPROVAL = "approval", _("approval")


class StateChange(models.Model):
    """One change of one customer's state on one dimension. Append-only: never updated,
    never deleted except with its customer."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    dimension = models.ForeignKey(Dimension, on_delete=models.PROTECT, related_name="+")
    # From none: the first state; to none: a state removed (several-at-once dimensions).
    from_state = models.ForeignKey(State, null=True, on_delete=models.PROTECT, related_name="+")
    to_state = models.ForeignKey(State, null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A rule's key, when a rule made the change (rules arrive with the rule engine).
    rule_key = models.CharField(max_length=100, blank=True)
    door = models.CharField(max_length=10, choices=Door.choices)
    reason = models.CharField(max_length=500, blank=True)
    # The fact values that held when the change was made (a rule's condition, a guard).
    facts = models.JSONField(default=dict, blank=True)
    # Seconds in the state left (None when there was none).
    seconds_in_previous = models.BigIntegerField(null=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["customer", "dimension", "at", "id"], name="state_change_customer"
            ),
            models.Index(fields=["dimension", "at", "id"], name="state_change_dimension"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.dimension_id}: {self.from_state_id} → {self.to_state_id}"


class CustomerState(models.Model):
    """Where a customer stands on a dimension now, and since when. Kept by change_state only;
    replaying the StateChange history gives exactly these rows."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="states"
    )
    dimension = models.ForeignKey(Dimension, on_delete=models.PROTECT, related_name="+")
    state = models.ForeignKey(State, on_delete=models.PROTECT, related_name="+")
    since = models.DateTimeField()
    change = models.ForeignKey(StateChange, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "dimension", "state"], name="customer_state_once"
            )
        ]
        indexes = [
            # Lists by state, longest there first ("stale" reviews, days in state).
            models.Index(fields=["state", "since", "id"], name="customer_state_since"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.state_id}"


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class TransitionRequest(models.Model):
    """A move that waits for approval by a role: made when approved, dropped when rejected."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    transition = models.ForeignKey(Transition, on_delete=models.PROTECT, related_name="+")
    dimension = models.ForeignKey(Dimension, on_delete=models.PROTECT, related_name="+")
    to_state = models.ForeignKey(State, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=500, blank=True)
    door = models.CharField(max_length=10, choices=Door.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True)
    comment = models.CharField(max_length=500, blank=True)
    change = models.ForeignKey(StateChange, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            # One pending move per customer and dimension at a time.
            models.UniqueConstraint(
                fields=["customer", "dimension"],
                condition=Q(status="pending"),
                name="one_pending_request",
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} → {self.to_state_id} ({self.status})"


class RuleTrigger(models.TextChoices):
    SCHEDULE = "schedule", _("every night")
    WEEKLY = "weekly", _("every Monday night")
    ACTIVITY_LOGGED = "activity_logged", _("an activity is logged")
    ORDER_RECORDED = "order_recorded", _("an order is recorded")
    PAYMENT_RECORDED = "payment_recorded", _("a payment is recorded")
    PAYMENT_OVERDUE = "payment_overdue", _("a payment falls overdue")
    TICKET_CHANGED = "ticket_changed", _("a ticket changes")
    FEEDBACK_CHANGED = "feedback_changed", _("feedback changes")
    STATE_ENTERED = "state_entered", _("a state is entered")
    INBOUND_EVENT = "inbound_event", _("an inbound event arrives")


class Rule(models.Model):
    """When (a trigger), if (a condition over facts), then (actions). Evaluated for one
    customer after its triggering change, or for all customers at once on a schedule; either
    way each change goes through change_state, under the rule's key."""

    key = models.SlugField(_("key"), max_length=100, unique=True)
    label_zh = models.CharField(_("label (Chinese)"), max_length=200)
    label_en = models.CharField(_("label (English)"), max_length=200, blank=True)
    trigger = models.CharField(
        _("trigger"), max_length=20, choices=RuleTrigger.choices, default=RuleTrigger.SCHEDULE
    )
    # A condition in the condition language, checked on save.
    condition = models.TextField(_("condition"))
    # [{"type": "set_state" | "remove_state", "dimension": key, "state": key}, …]
    actions = models.JSONField(_("actions"), default=list)
    priority = models.PositiveIntegerField(_("priority"), default=100)
    enabled = models.BooleanField(_("enabled"), default=False)

    class Meta:
        verbose_name = _("rule")
        verbose_name_plural = _("rules")
        ordering = ["priority", "id"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return in_language(self, "label")


class CustomerFacts(models.Model):
    """Facts per customer that need a scan of its history, computed for every customer at
    once by a few grouped queries (tend.status.materialized) and read by conditions, lists
    and exports. Refreshed on the schedule, and for one customer before its rules run."""

    customer = models.OneToOneField(
        "customers.Customer", primary_key=True, on_delete=models.CASCADE, related_name="facts"
    )
    refreshed_at = models.DateTimeField()
    valid_activities = models.IntegerField(default=0)
    last_valid_contact_at = models.DateTimeField(null=True)
    activities_90d = models.IntegerField(default=0)
    orders_total = models.IntegerField(default=0)
    revenue_total = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    orders_365d = models.IntegerField(default=0)
    revenue_365d = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    # Revenue in the last three rolling quarters (days 0–90, 90–180, 180–270 before today).
    revenue_q1 = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    revenue_q2 = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    revenue_q3 = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    open_tickets = models.IntegerField(default=0)
    complaints_90d = models.IntegerField(default=0)
    overdue_amount = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    oldest_overdue_on = models.DateField(null=True)
    # RFM quintile scores (1–5) among customers with orders, and the segment they make.
    r_score = models.PositiveSmallIntegerField(null=True)
    f_score = models.PositiveSmallIntegerField(null=True)
    m_score = models.PositiveSmallIntegerField(null=True)
    rfm_segment = models.CharField(max_length=20, blank=True)
    # Average ticket satisfaction (1–5) given in the last 365 days; None without any.
    ticket_satisfaction = models.FloatField(null=True)
    # The BG/NBD summary of the customer's orders up to the refresh (days with orders, not
    # orders: two orders on one day are one purchase), None without orders: x repeat
    # purchase days, t_x days from the first order to the last, T days from the first order
    # to the refresh's day.
    repeat_order_days = models.IntegerField(null=True)
    days_first_to_last_order = models.IntegerField(null=True)
    days_since_first_order = models.IntegerField(null=True)
    # From the model last fitted on every customer (BgNbdFit): the probability the customer
    # is still buying, and the orders (order days) it is expected to place in 90 days.
    p_alive = models.FloatField(null=True)
    expected_orders_90d = models.FloatField(null=True)
    # 0–100, the weighted indicators of tend.status.health; None when none is known.
    health_score = models.FloatField(null=True)

    def __str__(self) -> str:
        return f"facts of {self.customer_id}"


class BgNbdFit(models.Model):
    """The BG/NBD parameters fitted on every customer's orders by a full facts refresh
    (tend.status.bgnbd, time in days), kept so that one customer's refresh predicts with
    them and so that an administrator can see what the P(alive) figures rest on. One row per
    full refresh; the newest counts."""

    fitted_at = models.DateTimeField()
    customers = models.IntegerField()  # customers with orders, the population fitted
    r = models.FloatField()
    alpha = models.FloatField()
    a = models.FloatField()
    b = models.FloatField()
    # Mean log-likelihood per customer at the optimum.
    log_likelihood = models.FloatField()
    converged = models.BooleanField()

    class Meta:
        ordering = ["-fitted_at", "-id"]

    def __str__(self) -> str:
        return f"r={self.r:.3f} α={self.alpha:.3f} a={self.a:.3f} b={self.b:.3f}"


class HealthWeight(models.Model):
    """An administrator's weight for one health indicator (tend.status.health.INDICATORS),
    set through the status model file's `health` section; an indicator without a row has
    its default weight."""

    indicator = models.CharField(max_length=50, unique=True)
    weight = models.PositiveSmallIntegerField()

    def __str__(self) -> str:
        return f"{self.indicator}: {self.weight}"


class RuleFiring(models.Model):
    """A rule whose first action moves no state (a task, a tag, a webhook…) fires once for a
    customer when its condition comes to hold, not on every run while it holds; the row is
    removed when the condition stops holding, so the rule may fire again later."""

    rule_key = models.CharField(max_length=100)
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule_key", "customer"], name="rule_fires_once")
        ]

    def __str__(self) -> str:
        return f"{self.rule_key}: {self.customer_id}"


class Notification(models.Model):
    """A message a rule leaves for a person (the notify action): read on the notifications
    page, marked read there."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    customer = models.ForeignKey(
        "customers.Customer", null=True, on_delete=models.CASCADE, related_name="+"
    )
    rule_key = models.CharField(max_length=100, blank=True)
    message = models.CharField(max_length=500)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox")
        ]

    def __str__(self) -> str:
        return self.message
