"""The victim's deal, and the pipeline settings an intruder (a rep) must not reach."""

from tend.deals.actions import create_pipeline, create_stage, move_deal, update_deal
from tend.deals.models import Deal, DealStageChange, Pipeline, Stage
from tests.factories_deals import default_pipeline, make_deal, stage


def build(victim, org, admin):
    pipeline = default_pipeline()
    victim.deal = make_deal(victim.customer, name="秘密商机", amount="8888")
    update_deal(actor=victim.owner, deal=victim.deal, data={"notes": "秘密备注"})
    move_deal(actor=victim.owner, deal=victim.deal, stage=stage(pipeline, "proposal"))
    victim.pipeline = create_pipeline(actor=admin, data={"name_zh": "受害者管道"})
    victim.stage = create_stage(
        actor=admin,
        pipeline=victim.pipeline,
        data={"label_zh": "受害者阶段", "category": "open", "probability": 5, "color": "#000000"},
    )


WEB_RECORDS = {
    "deals/": "deal",
    "settings/pipelines/": "pipeline",
    "settings/stages/": "stage",
}
API_RECORDS = {"/api/v1/deals/": "deal"}
SECRETS = ["秘密商机", "秘密备注"]


def state(victim):
    return (
        list(
            Deal.objects.filter(pk=victim.deal.pk).values(
                "name", "stage_id", "pipeline_id", "paused", "deleted_at", "updated_at", "notes"
            )
        ),
        DealStageChange.objects.count(),
        list(Pipeline.objects.values("id", "name_zh", "is_default", "active").order_by("id")),
        list(Stage.objects.values("id", "label_zh", "category", "probability").order_by("id")),
    )
