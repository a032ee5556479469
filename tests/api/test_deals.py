"""/pipelines and /deals: CRUD, moves, pausing, stage history, filters, errors, access and
query counts."""

import datetime

import pytest
from django.utils import timezone

from tend.audit.models import AuditEntry
from tend.deals.actions import create_pipeline, create_stage, move_deal
from tend.deals.models import Deal, DealStageChange
from tests.api.conftest import Caller, count_queries, walk_pages
from tests.factories import make_contact, make_customer
from tests.factories_deals import default_pipeline, make_deal, stage

pytestmark = pytest.mark.django_db

UNKNOWN_FIELD = "This field is unknown or cannot be set here."


@pytest.fixture
def pipeline(db):
    return default_pipeline()


@pytest.fixture
def customer(rep):
    return make_customer(rep, name="杭州青木科技有限公司")


def deal_rows() -> tuple:
    return (Deal.objects.count(), DealStageChange.objects.count(), AuditEntry.objects.count())


def test_pipelines_come_with_their_stages_and_guidance_in_both_languages(rep_api, pipeline):
    response = rep_api.get("/pipelines")
    assert response.status_code == 200
    [body] = response.json()
    assert body["name"] == "Sales pipeline" and body["name_zh"] == "销售管道"
    assert body["is_default"] is True
    assert [s["key"] for s in body["stages"]][:2] == ["potential", "first_contact"]
    lost = body["stages"][-1]
    assert (lost["category"], lost["probability"], lost["label"]) == ("lost", 0, "Lost")
    first = body["stages"][0]
    assert first["stalled_after_days"] == 14
    assert first["guidance"]["goal"] == (
        "Attract the customer's attention and collect their basic information."
    )
    assert first["guidance_zh"]["goal"] == "吸引客户的注意，收集客户的基本信息。"
    chinese = Caller(rep_api.user, "token", language="zh-hans").get("/pipelines").json()
    assert chinese[0]["stages"][0]["guidance"]["goal"] == "吸引客户的注意，收集客户的基本信息。"


def test_create_read_update_delete(rep_api, rep, pipeline, customer):
    contact = make_contact(customer)
    response = rep_api.post(
        "/deals",
        {
            "name": "年度采购",
            "customer": customer.pk,
            "contact": contact.pk,
            "amount": "120000.5",
            "expected_close_on": "2031-06-30",
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    deal_id = body["id"]
    assert body["stage"]["key"] == "potential"
    assert body["status"] == "open"
    assert body["pipeline"] == pipeline.pk
    assert body["currency"] == "CNY"
    assert body["amount"] == "120000.50"
    assert body["probability"] == 10 and body["probability_override"] is None
    assert body["weighted_amount"] == "12000.05"
    assert body["owner"] == {"id": rep.pk, "display_name": rep.display_name}
    assert body["stalled"] is False and body["paused"] is False

    assert rep_api.get(f"/deals/{deal_id}").json()["name"] == "年度采购"

    response = rep_api.patch(
        f"/deals/{deal_id}", {"probability_override": 45, "currency": "USD", "notes": "重要"}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["probability"] == 45
    assert response.json()["currency"] == "USD"
    assert response.json()["name"] == "年度采购"

    response = rep_api.delete(f"/deals/{deal_id}")
    assert response.status_code == 204
    assert rep_api.get(f"/deals/{deal_id}").status_code == 404
    assert Deal.objects.get(pk=deal_id).deleted_at is not None


@pytest.mark.parametrize("field", ["stage", "pipeline", "customer", "id", "closed_at", "paused"])
def test_stage_pipeline_and_protected_fields_cannot_be_patched(rep_api, pipeline, customer, field):
    deal = make_deal(customer)
    before = deal_rows()
    response = rep_api.patch(f"/deals/{deal.pk}", {field: 1})
    assert response.status_code == 422
    assert response.json()["field_errors"] == {field: [UNKNOWN_FIELD]}
    assert deal_rows() == before


def test_invalid_values_are_refused_in_the_one_error_shape(rep_api, pipeline, customer):
    before = deal_rows()
    response = rep_api.post(
        "/deals",
        {"name": "商机", "customer": customer.pk, "currency": "rmb", "probability_override": 200},
    )
    assert response.status_code == 422
    assert response.json() == {
        "code": "invalid",
        "message": "Some fields are not valid.",
        "field_errors": {
            "currency": ["Enter a currency code of three capital letters, such as CNY or USD."],
            "probability_override": ["Ensure this value is less than or equal to 100."],
        },
    }
    response = rep_api.post("/deals", {"name": "商机", "customer": customer.pk, "amount": "x"})
    assert response.status_code == 422
    assert list(response.json()["field_errors"]) == ["amount"]
    assert deal_rows() == before


def test_a_deal_needs_a_customer_the_caller_may_see(rep_api, other_rep, pipeline):
    foreign = make_customer(other_rep)
    response = rep_api.post("/deals", {"name": "商机", "customer": foreign.pk})
    assert response.status_code == 422
    assert response.json()["field_errors"] == {"customer": ["Unknown customer."]}
    assert not Deal.objects.exists()


def test_moving_a_deal(rep_api, pipeline, customer):
    deal = make_deal(customer, at=timezone.now() - datetime.timedelta(hours=5))
    response = rep_api.post(f"/deals/{deal.pk}/move", {"stage": stage(pipeline, "proposal").pk})
    assert response.status_code == 200, response.json()
    assert response.json()["stage"]["key"] == "proposal"
    assert response.json()["probability"] == 60

    refused = rep_api.post(f"/deals/{deal.pk}/move", {"stage": stage(pipeline, "lost").pk})
    assert refused.status_code == 422
    assert refused.json() == {
        "code": "invalid",
        "message": "Say why the deal was lost.",
        "field_errors": {"reason": ["Say why the deal was lost."]},
    }
    lost = rep_api.post(
        f"/deals/{deal.pk}/move", {"stage": stage(pipeline, "lost").pk, "reason": "价格"}
    )
    assert lost.json()["status"] == "lost"
    assert lost.json()["close_reason"] == "价格"
    assert lost.json()["closed_at"] is not None

    history = rep_api.get(f"/deals/{deal.pk}/stage-changes").json()
    assert [
        (item["from_stage"] and item["from_stage"]["key"], item["to_stage"]["key"])
        for item in history["items"]
    ] == [(None, "potential"), ("potential", "proposal"), ("proposal", "lost")]
    assert history["items"][0]["seconds_in_previous"] is None
    assert 5 * 3600 <= history["items"][1]["seconds_in_previous"] < 5 * 3600 + 60
    assert history["items"][2]["reason"] == "价格"


def test_unknown_stages_and_other_pipelines_are_refused(rep_api, admin, pipeline, customer):
    other = create_pipeline(actor=admin, data={"name_zh": "续约"})
    foreign = create_stage(
        actor=admin,
        pipeline=other,
        data={"label_zh": "甲", "category": "open", "probability": 5, "color": "#000000"},
    )
    deal = make_deal(customer)
    before = deal_rows()
    cases = [
        ({"stage": 999_999}, {"stage": ["Unknown stage."]}),
        ({"stage": foreign.pk}, {"stage": ["This stage is not in the deal's pipeline."]}),
        ({"stage": foreign.pk, "pipeline": 999_999}, {"pipeline": ["Unknown pipeline."]}),
        ({"stage": "x"}, {"stage": ["Enter a whole number."]}),
        ({"reason": "x"}, {"stage": ["This field is required."]}),
    ]
    for body, errors in cases:
        response = rep_api.post(f"/deals/{deal.pk}/move", body)
        assert response.status_code == 422, body
        assert response.json()["field_errors"] == errors, body
    assert deal_rows() == before
    moved = rep_api.post(f"/deals/{deal.pk}/move", {"stage": foreign.pk, "pipeline": other.pk})
    assert moved.status_code == 200
    assert (moved.json()["pipeline"], moved.json()["stage"]["id"]) == (other.pk, foreign.pk)


def test_pausing_and_resuming(rep_api, pipeline, customer):
    deal = make_deal(customer)
    refused = rep_api.post(f"/deals/{deal.pk}/pause", {})
    assert refused.status_code == 422
    assert list(refused.json()["field_errors"]) == ["reason"]
    paused = rep_api.post(f"/deals/{deal.pk}/pause", {"reason": "客户出差"})
    assert (paused.json()["paused"], paused.json()["paused_reason"]) == (True, "客户出差")
    resumed = rep_api.delete(f"/deals/{deal.pk}/pause")
    assert resumed.status_code == 200
    assert resumed.json()["paused"] is False


def test_a_rep_cannot_reach_another_reps_deal(rep_api, other_rep, pipeline):
    deal = make_deal(make_customer(other_rep), name="秘密商机")
    before = deal_rows()
    for method, path, body in [
        ("get", f"/deals/{deal.pk}", None),
        ("patch", f"/deals/{deal.pk}", {"name": "改"}),
        ("patch", f"/deals/{deal.pk}", {"nonsense": 1}),
        ("delete", f"/deals/{deal.pk}", None),
        ("post", f"/deals/{deal.pk}/move", {"stage": stage(pipeline, "lost").pk}),
        ("post", f"/deals/{deal.pk}/move", {"stage": "x"}),
        ("post", f"/deals/{deal.pk}/pause", {"reason": "x"}),
        ("delete", f"/deals/{deal.pk}/pause", None),
        ("get", f"/deals/{deal.pk}/stage-changes", None),
    ]:
        if method in ("get", "delete"):
            response = getattr(rep_api, method)(path)
        else:
            response = getattr(rep_api, method)(path, body)
        assert response.status_code == 404, (method, path)
        assert response.json()["code"] == "not_found"
    assert deal_rows() == before
    listing = rep_api.get("/deals").json()
    assert listing["items"] == []


def test_the_list_filters_and_walks_every_deal_once(rep_api, rep, pipeline, customer):
    for number in range(9):
        make_deal(customer, name=f"商机{number}", amount=str(number))
    won = make_deal(customer, name="赢单")
    move_deal(actor=rep, deal=won, stage=stage(pipeline, "signed"))
    for ordering in ("-updated_at", "expected_close_on", "-amount"):
        served = walk_pages(rep_api, "/deals", {"ordering": ordering}, 4)
        assert sorted(served) == sorted(Deal.objects.values_list("id", flat=True))
    assert [i["name"] for i in rep_api.get("/deals", {"status": "won"}).json()["items"]] == ["赢单"]
    amounts = rep_api.get("/deals", {"ordering": "-amount", "limit": 3}).json()["items"]
    assert [item["amount"] for item in amounts] == ["8.00", "7.00", "6.00"]
    assert len(rep_api.get("/deals", {"owner": "me", "status": "open"}).json()["items"]) == 9
    assert rep_api.get("/deals", {"q": "赢"}).json()["items"][0]["id"] == won.pk
    bad = rep_api.get("/deals", {"status": "maybe", "owner": "pool"})
    assert bad.status_code == 422
    assert set(bad.json()["field_errors"]) == {"status", "owner"}


def test_the_list_costs_the_same_queries_for_3_and_30_deals(auth_mode, org, pipeline):
    caller = Caller(org.manager, auth_mode)
    customer = make_customer(org.rep)

    def add(count):
        for _number in range(count):
            make_deal(customer)

    def listing():
        return caller.get("/deals", {"limit": 50})

    add(3)
    listing()  # the first call of a session or token writes its last use
    small = count_queries(listing)
    add(27)
    assert len(listing().json()["items"]) == 30
    assert count_queries(listing) == small
    history = make_deal(customer)

    def changes():
        return caller.get(f"/deals/{history.pk}/stage-changes")

    changes()
    one = count_queries(changes)
    for key in ("first_contact", "proposal", "negotiation"):
        move_deal(actor=org.rep, deal=history, stage=stage(pipeline, key))
    assert len(changes().json()["items"]) == 4
    assert count_queries(changes) == one
