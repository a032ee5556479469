"""Pipelines, their stages, deals (商机) and every stage move a deal makes.

Stages are data, not code: each carries a semantic category (open / won / lost) that code
branches on, never its name, and guidance for the rep (definition, goal, methods, tools) in
both languages. The default pipeline holds the seven stages of seed 000."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tend.core.models import (
    CustomerScopedTotal,
    Guided,
    SoftDeletableModel,
    TimestampedModel,
    in_language,
    sort_index,
)

LIVE = Q(deleted_at__isnull=True)
CENT = Decimal("0.01")
PERCENT = [MinValueValidator(0), MaxValueValidator(100)]


class Pipeline(TimestampedModel):
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    is_default = models.BooleanField(_("default"), default=False)
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        ordering = ["order", "id"]
        constraints = [
            # At most one default pipeline.
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_pipeline"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return in_language(self, "name")


class StageCategory(models.TextChoices):
    # "Open" alone is also a ticket status (待处理); a deal that is open is in progress.
    OPEN = "open", pgettext_lazy("deal stage category", "Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class Stage(Guided):
    pipeline = models.ForeignKey(
        Pipeline, on_delete=models.CASCADE, related_name="stages", verbose_name=_("pipeline")
    )
    key = models.SlugField(_("key"), max_length=50)
    order = models.PositiveIntegerField(_("order"), default=0)
    category = models.CharField(
        _("category"), max_length=8, choices=StageCategory.choices, default=StageCategory.OPEN
    )
    probability = models.PositiveSmallIntegerField(
        _("default probability (%)"), default=0, validators=PERCENT
    )
    color = models.CharField(
        _("colour"),
        max_length=7,
        default="#1f6feb",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$")],
    )
    # A deal longer than this in the stage counts as stalled (unless paused); empty = never.
    stalled_after_days = models.PositiveIntegerField(
        _("stalled after (days)"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["pipeline", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "key"], name="stage_key_per_pipeline")
        ]

    @property
    def is_closed(self) -> bool:
        return self.category != StageCategory.OPEN


class Deal(SoftDeletableModel):
    """An opportunity to sell to a customer (商机), moving through a pipeline's stages."""

    name = models.CharField(_("name"), max_length=200)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="deals",
        verbose_name=_("customer"),
    )
    contact = models.ForeignKey(
        "customers.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
        verbose_name=_("contact"),
    )
    pipeline = models.ForeignKey(
        Pipeline, on_delete=models.PROTECT, related_name="deals", verbose_name=_("pipeline")
    )
    stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, related_name="deals", verbose_name=_("stage")
    )
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    expected_close_on = models.DateField(_("expected close"), null=True, blank=True)
    # None: the stage's default probability applies; a value is the rep's override, kept
    # across stage moves until cleared.
    probability_override = models.PositiveSmallIntegerField(
        _("probability override (%)"), null=True, blank=True, validators=PERCENT
    )
    owner = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
        verbose_name=_("owner"),
    )
    # Kept for the category of the stage it closed in (won or lost).
    close_reason = models.CharField(_("won / lost reason"), max_length=500, blank=True)
    paused = models.BooleanField(_("paused"), default=False)
    paused_reason = models.CharField(_("pause reason"), max_length=500, blank=True)
    stage_entered_at = models.DateTimeField(_("entered stage at"))
    # The stage's category, kept beside it by move_deal (a stage's category cannot change
    # while deals are in it): the list filters open / won / lost and sorts along one index,
    # where a join to the stage let the database fetch every open deal and sort them.
    stage_category = models.CharField(
        _("stage category"),
        max_length=8,
        choices=StageCategory.choices,
        default=StageCategory.OPEN,
        editable=False,
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    notes = models.TextField(_("notes"), max_length=5000, blank=True)
    created_by = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        indexes = [
            # The kanban: a pipeline's live deals, a column per stage, oldest move first.
            models.Index(
                fields=["pipeline", "stage", "stage_entered_at", "id"],
                condition=LIVE,
                name="deal_board",
            ),
            sort_index("customer", sort="-created_at", name="deal_customer", condition=LIVE),
            sort_index("owner", sort="-updated_at", name="deal_owner", condition=LIVE),
            sort_index(sort="-updated_at", name="deal_recent", condition=LIVE),
            sort_index(
                sort="expected_close_on", nullable=True, name="deal_close_on", condition=LIVE
            ),
            sort_index(sort="-amount", name="deal_amount", condition=LIVE),
            # The list filtered by status (open / won / lost), in each of its orders.
            sort_index(
                "stage_category", sort="-updated_at", name="deal_status_recent", condition=LIVE
            ),
            sort_index(
                "stage_category",
                sort="expected_close_on",
                nullable=True,
                name="deal_status_close_on",
                condition=LIVE,
            ),
            sort_index("stage_category", sort="-amount", name="deal_status_amount", condition=LIVE),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def probability(self) -> int:
        if self.probability_override is not None:
            return self.probability_override
        return self.stage.probability

    @property
    def probability_is_overridden(self) -> bool:
        return self.probability_override is not None

    @property
    def weighted_amount(self) -> Decimal:
        """The amount expected on average: amount × probability."""
        return (self.amount * self.probability / 100).quantize(CENT)

    @property
    def status(self) -> str:
        """open, won or lost: the category of the deal's stage."""
        return self.stage.category

    @property
    def is_open(self) -> bool:
        return self.stage.category == StageCategory.OPEN

    @property
    def is_stalled(self) -> bool:
        """Longer in an open stage than the stage allows, and not paused."""
        return stalled_since(self) is not None


def stalled_since(deal: "Deal", now=None):
    """When the deal became stalled, or None if it is not stalled (closed, paused, or within
    its stage's limit)."""
    stage = deal.stage
    if deal.paused or stage.category != StageCategory.OPEN or stage.stalled_after_days is None:
        return None
    limit = deal.stage_entered_at + timedelta(days=stage.stalled_after_days)
    return limit if limit < (now or timezone.now()) else None


class DealStageChange(models.Model):
    """One move of a deal between stages — append-only, never edited or deleted by an action.
    The first row of a deal (from_stage empty) is its creation."""

    deal = models.ForeignKey(
        Deal, on_delete=models.CASCADE, related_name="stage_changes", verbose_name=_("deal")
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("customer"),
    )
    from_stage = models.ForeignKey(
        Stage,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("from stage"),
    )
    to_stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, related_name="+", verbose_name=_("to stage")
    )
    at = models.DateTimeField(_("at"), db_index=True)
    actor = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )
    # Who moved it when not a user (a rule, an import); empty for users.
    actor_label = models.CharField(_("by (system)"), max_length=100, blank=True)
    # Seconds the deal had spent in from_stage; null on creation.
    seconds_in_previous = models.BigIntegerField(_("time in previous stage"), null=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("deal stage change")
        verbose_name_plural = _("deal stage changes")
        indexes = [
            models.Index(fields=["deal", "at", "id"], name="deal_stage_history"),
            models.Index(fields=["customer", "-at", "-id"], name="deal_stage_timeline"),
        ]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.from_stage_id} → {self.to_stage_id}"


class DealStageTotal(CustomerScopedTotal):
    """Count, amount and weighted amount of the live deals per stage, deal owner and the
    customer's owner and team: the board's column totals, kept by database triggers (see
    tend.deals.summaries) so that a board sums a few dozen of these rows instead of every
    deal of its pipeline. Never written by code; rebuilt by `migrate`."""

    stage = models.ForeignKey(
        Stage, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    deal_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    deal_count = models.IntegerField(default=0)
    amount = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    weighted_amount = models.DecimalField(max_digits=24, decimal_places=6, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "stage",
                Coalesce("deal_owner", 0),
                Coalesce("owner", 0),
                Coalesce("team", 0),
                name="deal_stage_total_key",
            )
        ]

    def __str__(self) -> str:
        return f"stage {self.stage_id}: {self.deal_count} deals"
