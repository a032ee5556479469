"""Reading deals, pipelines and stages. A deal is visible exactly when its customer is;
pipelines and stages are shared configuration every signed-in user reads."""

import datetime
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from tend.accounts.models import User
from tend.core.ids import get_or_not_found, parse_record_id
from tend.core.pagination import Page, keyset_page
from tend.customers.selectors import customer_scope, customer_visibility
from tend.deals.models import (
    Deal,
    DealStageChange,
    DealStageTotal,
    Pipeline,
    Stage,
    StageCategory,
    stalled_since,
)

DEAL_ORDERINGS = ("-updated_at", "expected_close_on", "-amount")
# Cards per board column; the rest are a link away, in the list. A board of 8 columns × 20
# cards renders in a fraction of the time of 8 × 50, and a column is read from the top.
BOARD_COLUMN_SIZE = 20
DEAL_STATUSES = tuple(StageCategory.values)
# What a board card shows (tend_deals.deal_card): a card reads no other column.
CARD_FIELDS = (
    "name",
    "stage_id",
    "amount",
    "currency",
    "probability_override",
    "expected_close_on",
    "paused",
    "stage_entered_at",
    "customer__name",
    "owner__full_name",
    "owner__username",
    "stage__category",
    "stage__probability",
    "stage__stalled_after_days",
)


# --- pipelines and stages ------------------------------------------------------------------


def active_pipelines() -> list[Pipeline]:
    """The pipelines deals can be in, each with its stages in order (two queries)."""
    return list(Pipeline.objects.filter(active=True).prefetch_related("stages"))


def all_pipelines() -> list[Pipeline]:
    """Every pipeline, inactive ones too, with their stages: for the settings page."""
    return list(Pipeline.objects.prefetch_related("stages"))


def default_pipeline() -> Pipeline | None:
    return Pipeline.objects.filter(is_default=True, active=True).first()


def access_pipeline(pipeline_id) -> Pipeline:
    return get_or_not_found(Pipeline.objects.all(), pipeline_id)


def access_stage(stage_id) -> Stage:
    return get_or_not_found(Stage.objects.select_related("pipeline"), stage_id)


def pipeline_stages(pipeline: Pipeline) -> list[Stage]:
    return list(Stage.objects.filter(pipeline=pipeline).order_by("order", "id"))


# --- deals ---------------------------------------------------------------------------------


def visible_deals(user: User) -> QuerySet[Deal]:
    return Deal.objects.filter(customer_visibility(user), deleted_at__isnull=True)


def access_deal(user: User, deal_id) -> Deal:
    return get_or_not_found(
        visible_deals(user).select_related("customer", "contact", "owner", "pipeline", "stage"),
        deal_id,
    )


def is_stalled(deal: Deal, now: datetime.datetime | None = None) -> bool:
    """In an open stage longer than its stalled_after_days, and not paused."""
    return stalled_since(deal, now) is not None


def stalled_condition(stages, now: datetime.datetime | None = None) -> Q:
    """Deals stalled now among those in `stages`: one range per stage with a limit, so each
    is an index range (stages are few; their limits differ)."""
    now = now or timezone.now()
    condition = Q(pk__in=[])
    for stage in stages:
        if stage.category == StageCategory.OPEN and stage.stalled_after_days is not None:
            condition |= Q(
                stage_id=stage.pk,
                stage_entered_at__lt=now - datetime.timedelta(days=stage.stalled_after_days),
            )
    return condition & Q(paused=False)


@dataclass
class DealFilters:
    pipeline: int | None = None
    stage: int | None = None
    owner: str = ""  # a user id or "me"
    customer: int | None = None
    status: str = ""  # open, won or lost
    stalled: bool = False
    paused: bool | None = None
    query: str = ""

    @property
    def any(self) -> bool:
        return any(
            [
                self.pipeline,
                self.stage,
                self.owner,
                self.customer,
                self.status,
                self.stalled,
                self.paused is not None,
                self.query,
            ]
        )


def _by_id(deals: QuerySet, field_name: str, value) -> QuerySet:
    record_id = parse_record_id(value)
    return deals.filter(**{field_name: record_id}) if record_id else deals.none()


def _by_owner(records: QuerySet, user: User, owner: str, field_name: str) -> QuerySet:
    """Deals (or their kept totals) of one owner: "me" or a user id."""
    if owner == "me":
        return records.filter(**{field_name: user.pk})
    return _by_id(records, field_name, owner) if owner else records


def filter_deals(user: User, filters: DealFilters, now=None) -> QuerySet[Deal]:
    deals = visible_deals(user)
    if filters.pipeline:
        deals = _by_id(deals, "pipeline_id", filters.pipeline)
    if filters.stage:
        deals = _by_id(deals, "stage_id", filters.stage)
    if filters.customer:
        deals = _by_id(deals, "customer_id", filters.customer)
    deals = _by_owner(deals, user, filters.owner, "owner_id")
    if filters.status in DEAL_STATUSES:
        deals = deals.filter(stage_category=filters.status)
    elif filters.status:
        deals = deals.none()
    if filters.paused is not None:
        deals = deals.filter(paused=filters.paused)
    if filters.stalled:
        stages = Stage.objects.filter(category=StageCategory.OPEN, stalled_after_days__isnull=False)
        if filters.pipeline:
            stages = stages.filter(pipeline_id=parse_record_id(filters.pipeline))
        deals = deals.filter(stalled_condition(list(stages), now))
    query = filters.query.strip()
    if query:
        deals = deals.filter(name__icontains=query)
    return deals


def deal_page(
    user: User, filters: DealFilters, *, ordering: str, cursor: str | None, limit: int = 25
) -> Page:
    if ordering not in DEAL_ORDERINGS:
        ordering = "-updated_at"
    deals = filter_deals(user, filters).select_related("customer", "owner", "stage", "pipeline")
    return keyset_page(deals, ordering, cursor, limit)


def customer_deals(customer, limit: int = 50) -> list[Deal]:
    """A customer's live deals, newest first."""
    return list(
        Deal.objects.filter(customer=customer, deleted_at__isnull=True)
        .select_related("stage", "pipeline", "owner")
        .order_by("-created_at", "-id")[:limit]
    )


# --- the board -----------------------------------------------------------------------------


@dataclass
class BoardColumn:
    stage: Stage
    deals: list = field(default_factory=list)
    count: int = 0
    amount: Decimal = Decimal("0")
    weighted_amount: Decimal = Decimal("0")

    @property
    def more(self) -> int:
        """Deals in the column beyond those shown."""
        return max(0, self.count - len(self.deals))


def _weighted_amount():
    probability = Coalesce("probability_override", "stage__probability")
    return ExpressionWrapper(
        F("amount") * probability / 100, output_field=DecimalField(max_digits=20, decimal_places=4)
    )


def _totals(rows) -> dict[int, dict]:
    cent = Decimal("0.01")
    return {
        row["stage_id"]: {
            "count": row["count"],
            "amount": Decimal(row["total"] or 0).quantize(cent),
            "weighted_amount": Decimal(row["weighted"] or 0).quantize(cent),
        }
        for row in rows
        if row["count"]
    }


def column_totals(deals: QuerySet, stage_ids=None) -> dict[int, dict]:
    """Count, amount and weighted amount per stage of `deals`, in one grouped query over the
    deals themselves."""
    if stage_ids is not None:
        deals = deals.filter(stage_id__in=stage_ids)
    return _totals(
        deals.order_by()
        .values("stage_id")
        .annotate(count=Count("id"), total=Sum("amount"), weighted=Sum(_weighted_amount()))
    )


def _summary_can_answer(filters: DealFilters) -> bool:
    """The kept totals are keyed by stage, deal owner and the customer's owner and team: the
    board's other filters (a name, stalled, paused, one customer) need the deals themselves."""
    return not (
        filters.customer or filters.stalled or filters.paused is not None or filters.query.strip()
    )


def board_totals(
    user: User, pipeline: Pipeline, filters: DealFilters | None = None, stage_ids=None
) -> dict[int, dict]:
    """The board's column totals: from the totals the database keeps per stage
    (DealStageTotal, a few dozen rows whatever the number of deals) when the filters allow,
    else aggregated from the deals."""
    filters = filters or DealFilters()
    if not _summary_can_answer(filters):
        return column_totals(board_deals(user, pipeline, filters), stage_ids)
    totals = DealStageTotal.objects.filter(customer_scope(user), stage__pipeline=pipeline)
    if stage_ids is not None:
        totals = totals.filter(stage_id__in=stage_ids)
    if filters.stage:
        totals = _by_id(totals, "stage_id", filters.stage)
    totals = _by_owner(totals, user, filters.owner, "deal_owner_id")
    if filters.status in DEAL_STATUSES:
        totals = totals.filter(stage__category=filters.status)
    elif filters.status:
        return {}
    return _totals(
        totals.order_by()
        .values("stage_id")
        .annotate(count=Sum("deal_count"), total=Sum("amount"), weighted=Sum("weighted_amount"))
    )


def board_deals(user: User, pipeline: Pipeline, filters: DealFilters | None = None) -> QuerySet:
    """The deals a board of `pipeline` shows, before they are split into columns."""
    return filter_deals(user, replace(filters or DealFilters(), pipeline=pipeline.pk))


def board(
    user: User,
    pipeline: Pipeline,
    filters: DealFilters | None = None,
    column_size: int = BOARD_COLUMN_SIZE,
) -> list[BoardColumn]:
    """A pipeline's kanban: per stage, the first `column_size` deals — those waiting longest
    first in an open stage, the most recently closed first in a won or lost one — with the
    column's count and sums. One query for the stages, one for the totals, one per column for
    its cards; never one per deal."""
    deals = board_deals(user, pipeline, filters)
    stages = pipeline_stages(pipeline)
    totals = board_totals(user, pipeline, filters)
    columns = []
    for stage in stages:
        column = BoardColumn(stage=stage, **totals.get(stage.pk, {}))
        if column.count:
            order = (
                ("stage_entered_at", "id")
                if stage.category == StageCategory.OPEN
                else (
                    "-stage_entered_at",
                    "-id",
                )
            )
            cards = (
                deals.filter(stage=stage)
                .select_related("customer", "owner", "stage")
                .only(*CARD_FIELDS)
            )
            column.deals = list(cards.order_by(*order)[:column_size])
        columns.append(column)
    return columns


# --- history and timeline ------------------------------------------------------------------


@dataclass
class StageVisit:
    """A stay of a deal in one stage: when it came, from where, who moved it, how long it
    stayed (until now, for the current stage)."""

    change: DealStageChange
    stage: Stage
    entered_at: datetime.datetime
    left_at: datetime.datetime | None
    seconds: int
    current: bool


def deal_stage_history(deal: Deal, now=None) -> list[StageVisit]:
    """Every stage the deal has been in, oldest first, with the time spent in each (one
    query). The time in a stage is the next move's seconds_in_previous; the current one's
    runs until now."""
    now = now or timezone.now()
    changes = list(
        DealStageChange.objects.filter(deal=deal)
        .select_related("from_stage", "to_stage", "actor")
        .order_by("at", "id")
    )
    visits = []
    for index, change in enumerate(changes):
        following = changes[index + 1] if index + 1 < len(changes) else None
        if following is not None:
            seconds = following.seconds_in_previous or 0
            left_at = following.at
        else:
            seconds = max(0, int((now - change.at).total_seconds()))
            left_at = None
        visits.append(
            StageVisit(
                change=change,
                stage=change.to_stage,
                entered_at=change.at,
                left_at=left_at,
                seconds=seconds,
                current=following is None,
            )
        )
    return visits


def deal_stage_changes(user: User, deal_id, cursor=None, limit: int = 50) -> Page:
    """A deal's moves, oldest first, a page at a time (for the API)."""
    deal = access_deal(user, deal_id)
    changes = DealStageChange.objects.filter(deal=deal).select_related(
        "from_stage", "to_stage", "actor"
    )
    return keyset_page(changes, "at", cursor, limit)


def deal_timeline_entries(customer_id: int, cursor, limit: int) -> list:
    """A customer's deals created and moved, as timeline events (see tend.core.timeline):
    one indexed query on (customer, at) over the stage-change history."""
    from tend.core.timeline import TimelineEntry

    changes = (
        DealStageChange.objects.filter(customer_id=customer_id, deal__deleted_at__isnull=True)
        .filter(cursor.before("deal", "at"))
        .select_related("deal", "from_stage", "to_stage", "actor")
        .order_by("-at", "-id")[:limit]
    )
    return [
        TimelineEntry(change.at, "deal", change.pk, change, "web/timeline/deal.html")
        for change in changes
    ]
