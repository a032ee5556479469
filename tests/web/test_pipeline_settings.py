"""The pipeline settings pages: administrators only; pipelines and stages with field errors;
a stage with deals is kept with a clear message."""

import html
import re

import pytest
from django.urls import reverse

from tend.deals.models import Pipeline, Stage
from tests.factories import make_customer
from tests.factories_deals import default_pipeline, make_deal, stage
from tests.web.helpers import field_errors, signed_in_client


@pytest.fixture
def pipeline(db):
    return default_pipeline()


@pytest.fixture
def admin_client(admin):
    return signed_in_client(admin)


def _messages(response) -> list[str]:
    return [
        html.unescape(text)
        for text in re.findall(r'<p class="message[^"]*">(.*?)</p>', response.content.decode())
    ]


def test_settings_pages_exist_only_for_administrators(org, pipeline):
    potential = stage(pipeline, "potential")
    urls = [
        ("get", reverse("web:pipeline_settings")),
        ("post", reverse("web:pipeline_settings")),
        ("get", reverse("web:pipeline_edit", args=[pipeline.pk])),
        ("post", reverse("web:pipeline_edit", args=[pipeline.pk])),
        ("post", reverse("web:pipeline_delete", args=[pipeline.pk])),
        ("post", reverse("web:stage_create", args=[pipeline.pk])),
        ("get", reverse("web:stage_edit", args=[potential.pk])),
        ("post", reverse("web:stage_edit", args=[potential.pk])),
        ("post", reverse("web:stage_delete", args=[potential.pk])),
    ]
    for user in (org.rep, org.manager):
        client = signed_in_client(user)
        for method, url in urls:
            assert getattr(client, method)(url, {"name_zh": "x"}).status_code == 404, url
    assert Pipeline.objects.count() == 1
    assert Stage.objects.filter(pk=potential.pk).exists()
    board = signed_in_client(org.rep).get(reverse("web:deal_board")).content.decode()
    assert reverse("web:pipeline_settings") not in board


def test_the_settings_page_lists_pipelines_and_stages(admin_client, pipeline):
    page = admin_client.get(reverse("web:pipeline_settings")).content.decode()
    assert "Sales pipeline" in page
    assert "Potential customer" in page and "Lost" in page
    edit = admin_client.get(reverse("web:pipeline_edit", args=[pipeline.pk])).content.decode()
    assert edit.count('href="/settings/stages/') == 8
    assert "潜在客户 / Potential customer" in edit


def test_an_administrator_adds_a_pipeline_and_its_stages(admin_client):
    response = admin_client.post(
        reverse("web:pipeline_settings"),
        {"name_zh": "续约管道", "name_en": "Renewals", "active": "on"},
    )
    pipeline = Pipeline.objects.get(name_zh="续约管道")
    assert response["Location"] == reverse("web:pipeline_edit", args=[pipeline.pk])
    assert pipeline.active and not pipeline.is_default
    response = admin_client.post(
        reverse("web:stage_create", args=[pipeline.pk]),
        {
            "label_zh": "待续约",
            "label_en": "Renewal due",
            "category": "open",
            "probability": "40",
            "color": "#aa3300",
            "stalled_after_days": "10",
            "definition_zh": "合同将在90天内到期。",
            "definition_en": "The contract ends within 90 days.",
        },
    )
    assert response.status_code == 302
    created = Stage.objects.get(pipeline=pipeline)
    assert (created.key, created.probability, created.stalled_after_days) == ("renewal-due", 40, 10)
    assert created.guidance("en")["definition"] == "The contract ends within 90 days."


def test_the_pipeline_and_stage_forms_show_field_errors(admin_client, pipeline):
    response = admin_client.post(reverse("web:pipeline_settings"), {"name_zh": ""})
    assert response.status_code == 422
    assert field_errors(response, "name_zh") == ["This field is required."]
    response = admin_client.post(
        reverse("web:stage_create", args=[pipeline.pk]),
        {"label_zh": "新阶段", "category": "open", "probability": "120", "color": "red"},
    )
    assert response.status_code == 422
    assert field_errors(response, "probability") == [
        "Ensure this value is less than or equal to 100."
    ]
    assert field_errors(response, "color") == ["Enter a colour such as #1f6feb."]
    assert Stage.objects.filter(pipeline=pipeline).count() == 8
    response = admin_client.post(
        reverse("web:pipeline_edit", args=[pipeline.pk]),
        {"name_zh": "销售管道", "active": "on"},
    )
    assert response.status_code == 422
    assert field_errors(response, "is_default") == [
        "There must be a default pipeline: make another one the default instead."
    ]


def test_an_administrator_edits_a_stage(admin_client, pipeline):
    proposal = stage(pipeline, "proposal")
    form = admin_client.get(reverse("web:stage_edit", args=[proposal.pk])).content.decode()
    assert "根据客户需求制定具体的解决方案。" in form
    data = {
        "label_zh": "方案制定",
        "label_en": "Proposal",
        "key": "proposal",
        "order": "40",
        "category": "open",
        "probability": "65",
        "color": "#bf3989",
        "stalled_after_days": "",
        "goal_en": "Win the customer over with a proposal.",
    }
    response = admin_client.post(reverse("web:stage_edit", args=[proposal.pk]), data)
    assert response["Location"] == reverse("web:pipeline_edit", args=[pipeline.pk])
    proposal.refresh_from_db()
    assert (proposal.probability, proposal.stalled_after_days) == (65, None)
    assert proposal.goal_en == "Win the customer over with a proposal."
    # Fields the page did not send are left as they were.
    assert proposal.goal_zh == "提供符合客户需求的解决方案，促成客户购买。"


def test_a_stage_with_deals_is_not_deleted_and_says_why(admin_client, rep, pipeline):
    make_deal(make_customer(rep))
    potential = stage(pipeline, "potential")
    response = admin_client.post(reverse("web:stage_delete", args=[potential.pk]), follow=True)
    assert _messages(response) == [
        "1 deal is in this stage: move it to another stage before deleting the stage."
    ]
    assert Stage.objects.filter(pk=potential.pk).exists()
    lost = stage(pipeline, "lost")
    response = admin_client.post(reverse("web:stage_delete", args=[lost.pk]), follow=True)
    assert _messages(response) == ["The stage “Lost” was deleted."]
    assert not Stage.objects.filter(pk=lost.pk).exists()


def test_the_default_pipeline_cannot_be_deleted_but_an_unused_one_can(
    admin_client, admin, pipeline
):
    response = admin_client.post(reverse("web:pipeline_delete", args=[pipeline.pk]), follow=True)
    assert _messages(response) == ["The default pipeline cannot be deleted."]
    admin_client.post(
        reverse("web:pipeline_settings"), {"name_zh": "空管道", "active": "on"}, follow=True
    )
    unused = Pipeline.objects.get(name_zh="空管道")
    response = admin_client.post(reverse("web:pipeline_delete", args=[unused.pk]), follow=True)
    assert _messages(response) == ["The pipeline “空管道” was deleted."]
    assert not Pipeline.objects.filter(pk=unused.pk).exists()
