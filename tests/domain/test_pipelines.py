"""Pipelines and stages: the default pipeline of seed 000 and what administrators may change."""

import pytest

from tend.audit.models import AuditAction
from tend.core.errors import PermissionDenied, ValidationFailed
from tend.deals import defaults
from tend.deals.actions import (
    create_pipeline,
    create_stage,
    delete_deal,
    delete_pipeline,
    delete_stage,
    install_default_pipeline,
    move_deal,
    update_pipeline,
    update_stage,
)
from tend.deals.models import Pipeline, Stage
from tests.domain.support import audit_for
from tests.factories import make_customer
from tests.factories_deals import default_pipeline, make_deal, stage

STAGE = {"label_zh": "试用", "label_en": "Trial", "category": "open", "probability": 30}


def stage_data(**extra):
    return {**STAGE, "color": "#336699", **extra}


def test_the_default_pipeline_holds_the_seven_stages_of_seed_000_and_a_lost_stage(db):
    pipeline = install_default_pipeline()
    stages = list(pipeline.stages.order_by("order"))
    assert pipeline.is_default and pipeline.active
    assert (pipeline.name_zh, pipeline.name_en) == ("销售管道", "Sales pipeline")
    assert [s.label_zh for s in stages] == [
        "潜在客户",
        "初步接触",
        "需求分析",
        "方案制定",
        "谈判阶段",
        "签约客户",
        "售后服务",
        "输单",
    ]
    assert [s.category for s in stages] == ["open"] * 5 + ["won", "won", "lost"]
    assert [s.probability for s in stages] == [10, 20, 40, 60, 80, 100, 100, 0]
    assert [s.stalled_after_days for s in stages] == [14, 14, 21, 21, 30, None, None, None]
    assert len({s.color for s in stages}) == 8
    for each in stages:
        assert each.label_en
        for name in ("definition", "goal", "methods", "tools"):
            assert getattr(each, f"{name}_zh") and getattr(each, f"{name}_en"), (each.key, name)
            assert "简道云" not in getattr(each, f"{name}_zh")


def test_the_default_guidance_is_the_seeds_in_both_languages(db):
    pipeline = install_default_pipeline()
    potential = stage(pipeline, "potential")
    assert potential.guidance("zh-hans") == {
        "definition": "潜在客户是指那些对企业的产品或服务表现出初步兴趣但尚未进行详细接触的客户。",
        "goal": "吸引客户的注意，收集客户的基本信息。",
        "methods": "- 市场推广：通过广告、社交媒体、搜索引擎优化等手段吸引潜在客户。\n"
        "- 数据收集：通过注册表单、问卷调查等方式收集潜在客户的信息。",
        "tools": "Tend 可以帮助企业高效管理潜在客户信息。",
    }
    english = stage(pipeline, "negotiation").guidance("en")
    assert english["goal"] == "Reach a cooperation agreement that satisfies both sides."
    assert english["methods"].startswith("- Negotiation skills:")


def test_installing_the_default_pipeline_twice_keeps_one(db):
    first = install_default_pipeline()
    assert install_default_pipeline() == first
    assert Pipeline.objects.filter(is_default=True).count() == 1
    assert Stage.objects.filter(pipeline=first).count() == len(defaults.DEFAULT_STAGES)


def test_a_label_or_guidance_missing_in_one_language_falls_back_to_the_other(admin):
    pipeline = create_pipeline(actor=admin, data={"name_zh": "只有中文"})
    only_chinese = create_stage(
        actor=admin, pipeline=pipeline, data=stage_data(label_en="", goal_zh="签下合同")
    )
    assert only_chinese.guidance("en")["goal"] == "签下合同"
    assert pipeline.name == "只有中文"


# --- administrators --------------------------------------------------------------------------


def test_only_administrators_change_pipelines_and_stages(org):
    pipeline = default_pipeline()
    potential = stage(pipeline, "potential")
    for call in (
        lambda: create_pipeline(actor=org.manager, data={"name_zh": "新"}),
        lambda: update_pipeline(actor=org.manager, pipeline=pipeline, data={"name_zh": "改"}),
        lambda: delete_pipeline(actor=org.rep, pipeline=pipeline),
        lambda: create_stage(actor=org.rep, pipeline=pipeline, data=stage_data()),
        lambda: update_stage(actor=org.rep, stage=potential, data={"probability": 1}),
        lambda: delete_stage(actor=org.rep, stage=potential),
    ):
        with pytest.raises(PermissionDenied):
            call()
    potential.refresh_from_db()
    assert potential.probability == 10


def test_a_new_default_pipeline_takes_over_from_the_old_one(admin):
    old = default_pipeline()
    new = create_pipeline(actor=admin, data={"name_zh": "大客户", "is_default": True})
    old.refresh_from_db()
    assert new.is_default and not old.is_default
    update_pipeline(actor=admin, pipeline=old, data={"is_default": True})
    new.refresh_from_db()
    old.refresh_from_db()
    assert old.is_default and not new.is_default
    [entry] = audit_for(new, AuditAction.CREATE)
    assert entry.changes["name_zh"] == [None, "大客户"]


def test_the_default_pipeline_stays_default_and_active(admin):
    pipeline = default_pipeline()
    with pytest.raises(ValidationFailed) as excinfo:
        update_pipeline(actor=admin, pipeline=pipeline, data={"is_default": False})
    assert list(excinfo.value.field_errors) == ["is_default"]
    with pytest.raises(ValidationFailed) as excinfo:
        update_pipeline(actor=admin, pipeline=pipeline, data={"active": False})
    assert list(excinfo.value.field_errors) == ["active"]
    with pytest.raises(ValidationFailed):
        delete_pipeline(actor=admin, pipeline=pipeline)
    assert Pipeline.objects.filter(pk=pipeline.pk, is_default=True, active=True).exists()


def test_a_pipeline_that_held_deals_is_kept(admin, org):
    default_pipeline()
    other = create_pipeline(actor=admin, data={"name_zh": "续约"})
    first = create_stage(actor=admin, pipeline=other, data=stage_data())
    deal = make_deal(make_customer(org.rep), pipeline=other.pk, stage=first.pk)
    delete_deal(actor=org.rep, deal=deal)
    with pytest.raises(ValidationFailed) as excinfo:
        delete_pipeline(actor=admin, pipeline=other)
    assert "make it inactive" in str(excinfo.value.message)
    unused = create_pipeline(actor=admin, data={"name_zh": "空"})
    create_stage(actor=admin, pipeline=unused, data=stage_data())
    unused_id = unused.pk
    delete_pipeline(actor=admin, pipeline=unused)
    assert not Pipeline.objects.filter(pk=unused_id).exists()
    assert not Stage.objects.filter(pipeline_id=unused_id).exists()
    unused.pk = unused_id
    assert audit_for(unused, AuditAction.DELETE)


def test_a_stage_is_created_with_a_key_order_and_audit(admin):
    pipeline = create_pipeline(actor=admin, data={"name_zh": "续约"})
    first = create_stage(actor=admin, pipeline=pipeline, data=stage_data())
    second = create_stage(actor=admin, pipeline=pipeline, data=stage_data(label_en=""))
    third = create_stage(actor=admin, pipeline=pipeline, data=stage_data(key="custom", order=5))
    assert (first.key, first.order) == ("trial", 10)
    assert (second.key, second.order) == ("stage-1", 20)
    assert (third.key, third.order) == ("custom", 5)
    assert first.color == "#336699"
    [entry] = audit_for(first, AuditAction.CREATE)
    assert entry.changes["label_zh"] == [None, "试用"]
    # The same English label again gets a key of its own.
    assert create_stage(actor=admin, pipeline=pipeline, data=stage_data()).key == "trial-2"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"category": "maybe"}, "category"),
        ({"probability": 101}, "probability"),
        ({"color": "blue"}, "color"),
        ({"stalled_after_days": 0}, "stalled_after_days"),
        ({"key": "有 空格"}, "key"),
        ({"label_zh": ""}, "label_zh"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_a_stage_with_bad_input_is_refused(admin, data, field):
    pipeline = create_pipeline(actor=admin, data={"name_zh": "续约"})
    with pytest.raises(ValidationFailed) as excinfo:
        create_stage(actor=admin, pipeline=pipeline, data=stage_data(**data))
    assert list(excinfo.value.field_errors) == [field]
    assert not Stage.objects.filter(pipeline=pipeline).exists()


def test_a_stage_key_is_unique_in_its_pipeline(admin):
    pipeline = create_pipeline(actor=admin, data={"name_zh": "续约"})
    create_stage(actor=admin, pipeline=pipeline, data=stage_data(key="trial"))
    second = create_stage(actor=admin, pipeline=pipeline, data=stage_data(key="other"))
    with pytest.raises(ValidationFailed) as excinfo:
        create_stage(actor=admin, pipeline=pipeline, data=stage_data(key="trial"))
    assert excinfo.value.field_errors == {"key": ["This key is already used in the pipeline."]}
    with pytest.raises(ValidationFailed):
        update_stage(actor=admin, stage=second, data={"key": "trial"})


def test_editing_a_stage_changes_what_deals_in_it_read(admin, org):
    pipeline = default_pipeline()
    deal = make_deal(make_customer(org.rep))
    potential = stage(pipeline, "potential")
    update_stage(
        actor=admin,
        stage=potential,
        data={"probability": 15, "stalled_after_days": None, "goal_en": "Be noticed."},
    )
    deal.refresh_from_db()
    assert deal.probability == 15
    assert deal.stage.stalled_after_days is None
    assert deal.stage.guidance("en")["goal"] == "Be noticed."
    entry = audit_for(potential, AuditAction.UPDATE)[-1]
    assert entry.changes["probability"] == [10, 15]


def test_a_stages_category_cannot_change_while_deals_are_in_it(admin, org):
    pipeline = default_pipeline()
    make_deal(make_customer(org.rep))
    potential = stage(pipeline, "potential")
    with pytest.raises(ValidationFailed) as excinfo:
        update_stage(actor=admin, stage=potential, data={"category": "won"})
    assert list(excinfo.value.field_errors) == ["category"]
    potential.refresh_from_db()
    assert potential.category == "open"
    update_stage(actor=admin, stage=stage(pipeline, "proposal"), data={"category": "won"})


def test_a_stage_with_deals_cannot_be_deleted(admin, org):
    pipeline = default_pipeline()
    deal = make_deal(make_customer(org.rep))
    potential = stage(pipeline, "potential")
    with pytest.raises(ValidationFailed) as excinfo:
        delete_stage(actor=admin, stage=potential)
    assert str(excinfo.value.message) == (
        "1 deal is in this stage: move it to another stage before deleting the stage."
    )
    delete_deal(actor=org.rep, deal=deal)
    with pytest.raises(ValidationFailed) as excinfo:
        delete_stage(actor=admin, stage=potential)
    assert "recycle bin" in str(excinfo.value.message)
    assert Stage.objects.filter(pk=potential.pk).exists()


def test_a_stage_a_deal_passed_through_is_kept_for_its_history(admin, org):
    pipeline = default_pipeline()
    deal = make_deal(make_customer(org.rep))
    move_deal(actor=org.rep, deal=deal, stage=stage(pipeline, "proposal"))
    with pytest.raises(ValidationFailed) as excinfo:
        delete_stage(actor=admin, stage=stage(pipeline, "potential"))
    assert "history" in str(excinfo.value.message)


def test_an_unused_stage_is_deleted_and_audited(admin):
    pipeline = default_pipeline()
    lost = stage(pipeline, "lost")
    lost_id = lost.pk
    delete_stage(actor=admin, stage=lost)
    assert not Stage.objects.filter(pk=lost_id).exists()
    lost.pk = lost_id
    assert [entry.action for entry in audit_for(lost)] == [AuditAction.DELETE]
