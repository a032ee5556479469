"""Every write to deals, pipelines and stages.

A deal changes stage only through `move_deal` — the single entry point a later status engine
will route through: it checks the move, writes the append-only DealStageChange row (with the
time spent in the previous stage) and the audit entry in one transaction. Nothing else writes
Deal.stage or Deal.pipeline; creating a deal writes its first DealStageChange row."""

import itertools
import uuid

from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tend.accounts.models import User
from tend.accounts.selectors import assignable_users
from tend.audit.actions import diff, record_change, save_with_audit, snapshot
from tend.audit.models import AuditAction
from tend.core.errors import NotFound, PermissionDenied, ValidationFailed
from tend.core.inputs import clean_input, clean_reason
from tend.customers.models import Contact, Customer
from tend.customers.selectors import access_customer, customer_scope
from tend.deals import defaults
from tend.deals.inputs import (
    REASON_MAX_LENGTH,
    DealChangeInput,
    DealInput,
    PauseInput,
    PipelineInput,
    StageInput,
)
from tend.deals.models import Deal, DealStageChange, Pipeline, Stage, StageCategory
from tend.recyclebin.actions import delete_record

DEAL_FIELDS = [
    "name",
    "customer",
    "contact",
    "pipeline",
    "stage",
    "amount",
    "currency",
    "expected_close_on",
    "probability_override",
    "owner",
    "notes",
]
# What a move changes, besides the stage itself.
MOVE_FIELDS = ["pipeline", "stage", "stage_entered_at", "closed_at", "close_reason", "paused"]
# Saved with a move but not audited apart: it follows the stage.
MOVE_SAVED = [*MOVE_FIELDS, "stage_category"]
PAUSE_FIELDS = ["paused", "paused_reason"]
PIPELINE_FIELDS = list(PipelineInput.base_fields)
STAGE_FIELDS = ["pipeline", *StageInput.base_fields]


# --- deals ---------------------------------------------------------------------------------


def _resolve_customer(actor: User, customer_id) -> Customer:
    try:
        return access_customer(actor, customer_id)
    except NotFound as exc:
        raise ValidationFailed(field_errors={"customer": [_("Unknown customer.")]}) from exc


def _resolve_contact(customer: Customer, contact_id) -> Contact | None:
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


def _resolve_owner(actor: User, owner_id, customer: Customer) -> User:
    """The deal's owner: the actor when none is given, else someone the actor may hand work
    to — and who may see the customer, or the deal would show it to someone who may not."""
    owner = assignable_users(actor).filter(pk=owner_id or actor.pk).first()
    if owner is None:
        raise ValidationFailed(field_errors={"owner": [_("You cannot give deals to this user.")]})
    if not Customer.objects.filter(customer_scope(owner), pk=customer.pk).exists():
        raise ValidationFailed(
            field_errors={"owner": [_("This user cannot see the deal's customer.")]}
        )
    return owner


def _starting_place(pipeline_id, stage_id) -> tuple[Pipeline, Stage]:
    """Where a new deal starts: the pipeline given (else the default one) and the stage given
    (else the pipeline's first open stage). A new deal starts open."""
    if pipeline_id:
        pipeline = Pipeline.objects.filter(pk=pipeline_id, active=True).first()
        if pipeline is None:
            raise ValidationFailed(field_errors={"pipeline": [_("Unknown pipeline.")]})
    else:
        pipeline = Pipeline.objects.filter(is_default=True, active=True).first()
        if pipeline is None:
            raise ValidationFailed(
                field_errors={"pipeline": [_("There is no default pipeline: choose one.")]}
            )
    stages = Stage.objects.filter(pipeline=pipeline)
    if stage_id:
        stage = stages.filter(pk=stage_id).first()
        if stage is None:
            raise ValidationFailed(
                field_errors={"stage": [_("This stage is not in the deal's pipeline.")]}
            )
        if stage.category != StageCategory.OPEN:
            raise ValidationFailed(
                field_errors={
                    "stage": [
                        _("A new deal starts in an open stage; move it to won or lost afterwards.")
                    ]
                }
            )
    else:
        stage = stages.filter(category=StageCategory.OPEN).order_by("order", "id").first()
        if stage is None:
            raise ValidationFailed(field_errors={"stage": [_("This pipeline has no open stage.")]})
    return pipeline, stage


def _record_stage_change(deal, *, from_stage, at, actor, actor_label, seconds, reason=""):
    """The append-only row for a deal entering its current stage."""
    return DealStageChange.objects.create(
        deal=deal,
        customer_id=deal.customer_id,
        from_stage=from_stage,
        to_stage=deal.stage,
        at=at,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=actor_label,
        seconds_in_previous=seconds,
        reason=reason,
    )


@transaction.atomic
def create_deal(*, actor: User, data: dict, at=None, actor_label: str = "") -> Deal:
    """A new deal on a customer the actor may see, owned by the actor unless another owner
    is given; it enters its first stage now (or `at`)."""
    cleaned = clean_input(DealInput, data)
    customer = _resolve_customer(actor, cleaned.pop("customer"))
    pipeline, stage = _starting_place(cleaned.pop("pipeline"), cleaned.pop("stage"))
    cleaned["contact"] = _resolve_contact(customer, cleaned["contact"])
    cleaned["owner"] = _resolve_owner(actor, cleaned["owner"], customer)
    now = at or timezone.now()
    deal = Deal.objects.create(
        customer=customer,
        pipeline=pipeline,
        stage=stage,
        stage_category=stage.category,
        stage_entered_at=now,
        created_by=actor,
        **cleaned,
    )
    _record_stage_change(
        deal, from_stage=None, at=now, actor=actor, actor_label=actor_label, seconds=None
    )
    record_change(
        actor=actor,
        action=AuditAction.CREATE,
        instance=deal,
        customer_id=customer.pk,
        changes=diff({}, snapshot(deal, DEAL_FIELDS)),
        actor_label=actor_label,
    )
    return deal


def _current_input(deal: Deal) -> dict:
    values = {name: getattr(deal, name) for name in DealChangeInput.base_fields}
    values["contact"] = deal.contact_id
    values["owner"] = deal.owner_id
    return values


@transaction.atomic
def update_deal(*, actor: User, deal: Deal, data: dict) -> Deal:
    """Change the fields given. An owner or contact left as it is is not checked again: a
    deal may keep an owner its editor could not choose."""
    cleaned = clean_input(DealChangeInput, data, current=_current_input(deal))
    deal = Deal.objects.select_for_update().select_related("customer").get(pk=deal.pk)
    if "contact" in cleaned:
        if cleaned["contact"] == deal.contact_id and cleaned["contact"] is not None:
            cleaned["contact"] = deal.contact
        else:
            cleaned["contact"] = _resolve_contact(deal.customer, cleaned["contact"])
    if "owner" in cleaned:
        if cleaned["owner"] is not None and cleaned["owner"] == deal.owner_id:
            cleaned["owner"] = deal.owner
        else:
            cleaned["owner"] = _resolve_owner(actor, cleaned["owner"], deal.customer)
    save_with_audit(actor, deal, DEAL_FIELDS, cleaned, customer_id=deal.customer_id)
    return deal


@transaction.atomic
def move_deal(
    *,
    actor: User,
    deal: Deal,
    stage: Stage,
    reason: str = "",
    pipeline: Pipeline | None = None,
    at=None,
    actor_label: str = "",
) -> Deal:
    """Move a deal to `stage` — the one way a deal changes stage or pipeline.

    The stage must be in the deal's pipeline, or in `pipeline` when the deal moves to another
    pipeline. Moving to the stage it is in changes nothing. A lost stage needs a reason; a won
    one may have one. Entering a won or lost stage closes the deal (closed_at, and it is no
    longer paused); entering an open stage reopens it. A probability set by hand is kept."""
    reason = clean_reason(reason, REASON_MAX_LENGTH)
    deal = Deal.objects.select_for_update().get(pk=deal.pk)
    target_pipeline = pipeline if pipeline is not None else deal.pipeline
    if stage.pipeline_id != target_pipeline.pk:
        raise ValidationFailed(
            _("This stage is not in the deal's pipeline."),
            field_errors={"stage": [_("This stage is not in the deal's pipeline.")]},
        )
    if target_pipeline.pk != deal.pipeline_id and not target_pipeline.active:
        raise ValidationFailed(field_errors={"pipeline": [_("This pipeline is not active.")]})
    if stage.pk == deal.stage_id:
        return deal
    if stage.category == StageCategory.LOST and not reason:
        message = _("Say why the deal was lost.")
        raise ValidationFailed(message, field_errors={"reason": [message]})
    now = at or timezone.now()
    previous = deal.stage
    entered_previous_at = deal.stage_entered_at
    before = snapshot(deal, MOVE_FIELDS)
    deal.pipeline = target_pipeline
    deal.stage = stage
    deal.stage_category = stage.category
    deal.stage_entered_at = now
    if stage.category == StageCategory.OPEN:
        deal.closed_at = None
        deal.close_reason = ""
    elif stage.category != previous.category:
        # Newly closed, or turned from won to lost (or back): closed now, for this reason.
        deal.closed_at = now
        deal.close_reason = reason
        deal.paused = False
        deal.paused_reason = ""
    elif reason:
        # Between two stages of one outcome (签约客户 → 售后服务): still closed since then.
        deal.close_reason = reason
    deal.save(update_fields=[*MOVE_SAVED, "paused_reason", "updated_at"])
    # Never negative, even for a move dated (`at`) before the deal entered its stage.
    seconds = max(0, int((now - entered_previous_at).total_seconds()))
    _record_stage_change(
        deal,
        from_stage=previous,
        at=now,
        actor=actor,
        actor_label=actor_label,
        seconds=seconds,
        reason=reason,
    )
    record_change(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=deal,
        customer_id=deal.customer_id,
        changes=diff(before, snapshot(deal, MOVE_FIELDS)),
        note=reason,
        actor_label=actor_label,
    )
    return deal


@transaction.atomic
def pause_deal(*, actor: User, deal: Deal, reason: str) -> Deal:
    """Pause an open deal (it waits for the customer, say): a paused deal is never stalled."""
    cleaned = clean_input(PauseInput, {"reason": reason})
    deal = Deal.objects.select_for_update().select_related("stage").get(pk=deal.pk)
    if deal.stage.category != StageCategory.OPEN:
        raise ValidationFailed(_("Only an open deal can be paused."))
    values = {"paused": True, "paused_reason": cleaned["reason"].strip()}
    save_with_audit(actor, deal, PAUSE_FIELDS, values, customer_id=deal.customer_id)
    return deal


@transaction.atomic
def resume_deal(*, actor: User, deal: Deal) -> Deal:
    deal = Deal.objects.select_for_update().get(pk=deal.pk)
    if not deal.paused:
        return deal
    values = {"paused": False, "paused_reason": ""}
    save_with_audit(actor, deal, PAUSE_FIELDS, values, customer_id=deal.customer_id)
    return deal


@transaction.atomic
def delete_deal(*, actor: User, deal: Deal) -> uuid.UUID:
    return delete_record(actor=actor, record=deal)


# --- pipelines and stages (administrators) ---------------------------------------------------


def _require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise PermissionDenied(_("Only an administrator can change pipelines and stages."))


@transaction.atomic
def install_default_pipeline() -> Pipeline:
    """The default pipeline of seed 000, created if there is none (the data migration does
    this for a new database)."""
    return defaults.install(Pipeline, Stage)


def _make_default(pipeline: Pipeline) -> None:
    # The old default steps down first: the unique constraint allows one at a time.
    Pipeline.objects.filter(is_default=True).exclude(pk=pipeline.pk).update(is_default=False)


@transaction.atomic
def create_pipeline(*, actor: User, data: dict) -> Pipeline:
    _require_admin(actor)
    cleaned = clean_input(PipelineInput, {"active": True, **data})
    if cleaned["is_default"] and not cleaned["active"]:
        raise ValidationFailed(field_errors={"active": [_("The default pipeline must be active.")]})
    if cleaned["is_default"]:
        Pipeline.objects.filter(is_default=True).update(is_default=False)
    pipeline = Pipeline.objects.create(**cleaned)
    record_change(
        actor=actor,
        action=AuditAction.CREATE,
        instance=pipeline,
        changes=diff({}, snapshot(pipeline, PIPELINE_FIELDS)),
    )
    return pipeline


@transaction.atomic
def update_pipeline(*, actor: User, pipeline: Pipeline, data: dict) -> Pipeline:
    _require_admin(actor)
    current = {name: getattr(pipeline, name) for name in PIPELINE_FIELDS}
    cleaned = clean_input(PipelineInput, data, current=current)
    pipeline = Pipeline.objects.select_for_update().get(pk=pipeline.pk)
    is_default = cleaned.get("is_default", pipeline.is_default)
    if pipeline.is_default and not is_default:
        raise ValidationFailed(
            field_errors={
                "is_default": [
                    _("There must be a default pipeline: make another one the default instead.")
                ]
            }
        )
    if is_default and not cleaned.get("active", pipeline.active):
        raise ValidationFailed(field_errors={"active": [_("The default pipeline must be active.")]})
    if is_default and not pipeline.is_default:
        _make_default(pipeline)
    save_with_audit(actor, pipeline, PIPELINE_FIELDS, cleaned)
    return pipeline


def _in_history(stages) -> bool:
    return DealStageChange.objects.filter(
        Q(from_stage__in=stages) | Q(to_stage__in=stages)
    ).exists()


@transaction.atomic
def delete_pipeline(*, actor: User, pipeline: Pipeline) -> None:
    """Remove a pipeline that never held a deal; one that did can be made inactive."""
    _require_admin(actor)
    if pipeline.is_default:
        raise ValidationFailed(_("The default pipeline cannot be deleted."))
    stages = Stage.objects.filter(pipeline=pipeline)
    if Deal.objects.filter(pipeline=pipeline).exists() or _in_history(stages):
        raise ValidationFailed(
            _("This pipeline holds deals, or did: make it inactive instead of deleting it.")
        )
    record_change(actor=actor, action=AuditAction.DELETE, instance=pipeline)
    pipeline.delete()


def _free_key(pipeline: Pipeline, wanted: str, exclude_id=None) -> str:
    taken = set(
        Stage.objects.filter(pipeline=pipeline).exclude(pk=exclude_id).values_list("key", flat=True)
    )
    base = wanted or "stage"
    for number in itertools.count(1):
        key = base if number == 1 and wanted else f"{base}-{number}"
        if key not in taken:
            return key
    raise AssertionError("unreachable")


def _save_stage(create, key_given: bool):
    try:
        with transaction.atomic():
            return create()
    except IntegrityError as exc:
        # The unique constraint decides: two admins adding the same key at once.
        message = (
            _("This key is already used in the pipeline.")
            if key_given
            else _("Another stage was added at the same moment; save again.")
        )
        raise ValidationFailed(field_errors={"key": [message]}) from exc


@transaction.atomic
def create_stage(*, actor: User, pipeline: Pipeline, data: dict) -> Stage:
    _require_admin(actor)
    cleaned = clean_input(StageInput, data)
    key_given = bool(cleaned["key"])
    if key_given:
        if Stage.objects.filter(pipeline=pipeline, key=cleaned["key"]).exists():
            raise ValidationFailed(
                field_errors={"key": [_("This key is already used in the pipeline.")]}
            )
    else:
        cleaned["key"] = _free_key(pipeline, slugify(cleaned["label_en"])[:40])
    if cleaned["order"] is None:
        highest = Stage.objects.filter(pipeline=pipeline).aggregate(highest=Max("order"))
        cleaned["order"] = (highest["highest"] or 0) + 10
    stage = _save_stage(lambda: Stage.objects.create(pipeline=pipeline, **cleaned), key_given)
    record_change(
        actor=actor,
        action=AuditAction.CREATE,
        instance=stage,
        changes=diff({}, snapshot(stage, STAGE_FIELDS)),
    )
    return stage


@transaction.atomic
def update_stage(*, actor: User, stage: Stage, data: dict) -> Stage:
    """Change a stage. Its category cannot change while deals are in it: they would be won
    or lost without having been moved there."""
    _require_admin(actor)
    current = {name: getattr(stage, name) for name in StageInput.base_fields}
    cleaned = clean_input(StageInput, data, current=current)
    stage = Stage.objects.select_for_update().get(pk=stage.pk)
    if cleaned.get("order", stage.order) is None:
        cleaned.pop("order")
    if "key" in cleaned:
        if not cleaned["key"]:
            cleaned.pop("key")
        elif (
            Stage.objects.filter(pipeline_id=stage.pipeline_id, key=cleaned["key"])
            .exclude(pk=stage.pk)
            .exists()
        ):
            raise ValidationFailed(
                field_errors={"key": [_("This key is already used in the pipeline.")]}
            )
    category = cleaned.get("category", stage.category)
    if category != stage.category and Deal.objects.filter(stage=stage).exists():
        raise ValidationFailed(
            field_errors={
                "category": [
                    _("Deals are in this stage: move them elsewhere before changing its category.")
                ]
            }
        )
    _save_stage(lambda: save_with_audit(actor, stage, STAGE_FIELDS, cleaned), key_given=True)
    return stage


@transaction.atomic
def delete_stage(*, actor: User, stage: Stage) -> None:
    """Remove a stage no deal is in (the recycle bin's included) and none has passed."""
    _require_admin(actor)
    live = Deal.objects.filter(stage=stage, deleted_at__isnull=True).count()
    if live:
        raise ValidationFailed(
            ngettext(
                "%(count)s deal is in this stage: move it to another stage before deleting "
                "the stage.",
                "%(count)s deals are in this stage: move them to another stage before deleting "
                "the stage.",
                live,
            )
            % {"count": live}
        )
    if Deal.objects.filter(stage=stage).exists():
        raise ValidationFailed(
            _("Deals in the recycle bin are in this stage: it is kept until they are purged.")
        )
    if _in_history(Stage.objects.filter(pk=stage.pk)):
        raise ValidationFailed(
            _("Deals have passed through this stage and their history names it: it is kept.")
        )
    record_change(actor=actor, action=AuditAction.DELETE, instance=stage)
    stage.delete()
