"""/pipelines and /deals: the sales pipelines with their stages and guidance; deals (商机),
their moves between stages, pausing, and each deal's stage history."""

import datetime
from decimal import Decimal
from typing import Literal

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from tend.api.access import PATH_RECORDS
from tend.api.common import (
    InputSchema,
    PageParams,
    RecordId,
    Timestamp,
    UserRef,
    body_data,
    page_out,
    responses,
)
from tend.core.errors import ValidationFailed
from tend.deals.actions import (
    create_deal,
    delete_deal,
    move_deal,
    pause_deal,
    resume_deal,
    update_deal,
)
from tend.deals.models import Pipeline, Stage
from tend.deals.selectors import (
    DEAL_ORDERINGS,
    DEAL_STATUSES,
    DealFilters,
    access_deal,
    active_pipelines,
    deal_page,
    deal_stage_changes,
)

# A deal named in a path answers 404 to whoever may not see it, before anything else about
# the request is judged (see tend.api.access).
PATH_RECORDS.setdefault("deal_id", access_deal)

pipelines_router = Router(tags=["pipelines"])
deals_router = Router(tags=["deals"])


# --- pipelines -------------------------------------------------------------------------------


class GuidanceOut(Schema):
    definition: str
    goal: str
    methods: str
    tools: str


class StageOut(Schema):
    id: int
    key: str
    label: str = Field(description="In the caller's language")
    label_zh: str
    label_en: str
    order: int
    category: str = Field(description="open, won or lost")
    probability: int = Field(description="Default probability of a deal in this stage (%)")
    color: str
    stalled_after_days: int | None = Field(
        description="An open deal longer than this in the stage is stalled; null = never"
    )
    guidance: GuidanceOut = Field(description="In the caller's language")
    guidance_zh: GuidanceOut
    guidance_en: GuidanceOut

    @staticmethod
    def resolve_guidance(stage) -> dict:
        return stage.guidance()

    @staticmethod
    def resolve_guidance_zh(stage) -> dict:
        return _guidance(stage, "zh")

    @staticmethod
    def resolve_guidance_en(stage) -> dict:
        return _guidance(stage, "en")


def _guidance(stage: Stage, suffix: str) -> dict:
    return {
        name: getattr(stage, f"{name}_{suffix}")
        for name in ("definition", "goal", "methods", "tools")
    }


class PipelineOut(Schema):
    id: int
    name: str = Field(description="In the caller's language")
    name_zh: str
    name_en: str
    is_default: bool
    order: int
    stages: list[StageOut]

    @staticmethod
    def resolve_stages(pipeline: Pipeline) -> list:
        return list(pipeline.stages.all())


@pipelines_router.get(
    "",
    response=responses(200, list[PipelineOut]),
    operation_id="listPipelines",
    summary="List pipelines",
)
def list_pipelines(request):
    """The active pipelines, each with its stages in order and their guidance."""
    return active_pipelines()


# --- deals -----------------------------------------------------------------------------------


class DealChange(InputSchema):
    name: str | None = None
    contact: RecordId | None = Field(None, description="A contact of the deal's customer")
    amount: Decimal | None = Field(None, description="Up to 14 digits and 2 decimals, ≥ 0")
    currency: str | None = Field(None, description="ISO 4217 code, e.g. CNY (the default)")
    expected_close_on: datetime.date | None = None
    probability_override: int | None = Field(
        None, description="0–100, set by hand and kept across moves; null = the stage's"
    )
    owner: RecordId | None = Field(
        None,
        description="A user the caller may hand work to who may see the customer; "
        "default: the caller",
    )
    notes: str | None = None


class DealCreate(DealChange):
    customer: RecordId = Field(description="The customer's id")
    pipeline: RecordId | None = Field(None, description="Default: the default pipeline")
    stage: RecordId | None = Field(
        None, description="An open stage of the pipeline; default: its first open stage"
    )


class StageRef(Schema):
    id: int
    key: str
    label: str
    category: str


class DealOut(Schema):
    id: int
    name: str
    customer: int
    contact: int | None
    pipeline: int
    stage: StageRef
    status: str = Field(description="open, won or lost: the category of the stage")
    amount: Decimal
    currency: str
    expected_close_on: datetime.date | None
    probability: int = Field(description="The override if set, else the stage's (%)")
    probability_override: int | None
    weighted_amount: Decimal = Field(description="amount × probability")
    owner: UserRef | None
    close_reason: str
    paused: bool
    paused_reason: str
    stalled: bool
    stage_entered_at: Timestamp
    closed_at: Timestamp | None
    notes: str
    created_at: Timestamp
    updated_at: Timestamp

    @staticmethod
    def resolve_customer(deal) -> int:
        return deal.customer_id

    @staticmethod
    def resolve_contact(deal) -> int | None:
        return deal.contact_id

    @staticmethod
    def resolve_pipeline(deal) -> int:
        return deal.pipeline_id

    @staticmethod
    def resolve_stalled(deal) -> bool:
        return deal.is_stalled


class DealPageOut(Schema):
    items: list[DealOut]
    next_cursor: str | None


class DealListParams(PageParams):
    pipeline: RecordId | None = None
    stage: RecordId | None = None
    owner: str = Field("", pattern=r"^(|me|\d+)$", description='"me" or a user id')
    customer: RecordId | None = None
    status: Literal["", *DEAL_STATUSES] = ""
    stalled: bool = Field(False, description="Only deals stalled now")
    paused: bool | None = None
    q: str = Field("", max_length=100, description="Part of the deal's name")
    ordering: Literal[DEAL_ORDERINGS] = "-updated_at"


class MoveIn(InputSchema):
    stage: RecordId = Field(description="The stage to move to")
    pipeline: RecordId | None = Field(
        None, description="To move to another pipeline: that pipeline (the stage is in it)"
    )
    reason: str = Field("", description="Required for a lost stage; optional otherwise")


class PauseIn(InputSchema):
    reason: str = Field(description="Why the deal waits; required")


class StageChangeOut(Schema):
    id: int
    at: Timestamp
    from_stage: StageRef | None = Field(description="null: the deal was created")
    to_stage: StageRef
    seconds_in_previous: int | None = Field(description="Time spent in from_stage")
    reason: str
    actor: UserRef | None
    actor_label: str


class StageChangePageOut(Schema):
    items: list[StageChangeOut]
    next_cursor: str | None


@deals_router.get(
    "",
    response=responses(200, DealPageOut, 422),
    operation_id="listDeals",
    summary="List deals",
)
def list_deals(request, params: Query[DealListParams]):
    """Deals on the customers the caller may see, filtered, one page at a time."""
    filters = DealFilters(
        pipeline=params.pipeline,
        stage=params.stage,
        owner=params.owner,
        customer=params.customer,
        status=params.status,
        stalled=params.stalled,
        paused=params.paused,
        query=params.q,
    )
    page = deal_page(
        request.auth, filters, ordering=params.ordering, cursor=params.cursor, limit=params.limit
    )
    return page_out(page)


@deals_router.post(
    "",
    response=responses(201, DealOut, 403, 422),
    operation_id="createDeal",
    summary="Create a deal",
)
def create_deal_endpoint(request, payload: DealCreate):
    """A new deal on a customer the caller may see, in an open stage."""
    deal = create_deal(actor=request.auth, data=body_data(payload))
    return Status(201, access_deal(request.auth, deal.pk))


@deals_router.get(
    "/{int:deal_id}",
    response=responses(200, DealOut, 404),
    operation_id="getDeal",
    summary="Read a deal",
)
def get_deal(request, deal_id: int):
    return access_deal(request.auth, deal_id)


@deals_router.patch(
    "/{int:deal_id}",
    response=responses(200, DealOut, 403, 404, 422),
    operation_id="updateDeal",
    summary="Change a deal",
)
def update_deal_endpoint(request, deal_id: int, payload: DealChange):
    """Change the fields given. The stage and pipeline change only through /move."""
    deal = access_deal(request.auth, deal_id)
    update_deal(actor=request.auth, deal=deal, data=body_data(payload))
    return access_deal(request.auth, deal_id)


@deals_router.delete(
    "/{int:deal_id}",
    response=responses(204, None, 403, 404),
    operation_id="deleteDeal",
    summary="Delete a deal",
)
def delete_deal_endpoint(request, deal_id: int):
    """Move the deal to the recycle bin."""
    deal = access_deal(request.auth, deal_id)
    delete_deal(actor=request.auth, deal=deal)
    return Status(204, None)


def _stage_for(stage_id: int) -> Stage:
    stage = Stage.objects.filter(pk=stage_id).first()
    if stage is None:
        raise ValidationFailed(field_errors={"stage": [_("Unknown stage.")]})
    return stage


def _pipeline_for(pipeline_id: int | None) -> Pipeline | None:
    if pipeline_id is None:
        return None
    pipeline = Pipeline.objects.filter(pk=pipeline_id).first()
    if pipeline is None:
        raise ValidationFailed(field_errors={"pipeline": [_("Unknown pipeline.")]})
    return pipeline


@deals_router.post(
    "/{int:deal_id}/move",
    response=responses(200, DealOut, 404, 422),
    operation_id="moveDeal",
    summary="Move a deal to a stage",
)
def move_deal_endpoint(request, deal_id: int, payload: MoveIn):
    """Move the deal to a stage of its pipeline — or, with `pipeline`, of another pipeline.
    A lost stage needs a reason. Moving to the current stage changes nothing."""
    deal = access_deal(request.auth, deal_id)
    move_deal(
        actor=request.auth,
        deal=deal,
        stage=_stage_for(payload.stage),
        reason=payload.reason,
        pipeline=_pipeline_for(payload.pipeline),
    )
    return access_deal(request.auth, deal_id)


@deals_router.post(
    "/{int:deal_id}/pause",
    response=responses(200, DealOut, 404, 422),
    operation_id="pauseDeal",
    summary="Pause a deal",
)
def pause_deal_endpoint(request, deal_id: int, payload: PauseIn):
    """Pause an open deal; a paused deal is never stalled."""
    deal = access_deal(request.auth, deal_id)
    pause_deal(actor=request.auth, deal=deal, reason=payload.reason)
    return access_deal(request.auth, deal_id)


@deals_router.delete(
    "/{int:deal_id}/pause",
    response=responses(200, DealOut, 404),
    operation_id="resumeDeal",
    summary="Resume a paused deal",
)
def resume_deal_endpoint(request, deal_id: int):
    deal = access_deal(request.auth, deal_id)
    resume_deal(actor=request.auth, deal=deal)
    return access_deal(request.auth, deal_id)


@deals_router.get(
    "/{int:deal_id}/stage-changes",
    response=responses(200, StageChangePageOut, 404, 422),
    operation_id="listDealStageChanges",
    summary="A deal's stage history",
)
def list_stage_changes(request, deal_id: int, params: Query[PageParams]):
    """Every move of the deal, oldest first, with the time spent in the stage it left."""
    return page_out(deal_stage_changes(request.auth, deal_id, params.cursor, params.limit))
