"""/leads: CRUD, the filtered list, status changes, claiming and assigning, duplicates,
conversion — and the public web-form endpoint with its key, validation, rate limit and CORS."""

import json

import pytest
from django.core.cache import cache
from django.test import Client

from tend.audit.models import AuditEntry
from tend.customers.models import Contact, Customer
from tend.deals.models import Deal
from tend.leads.actions import set_lead_form_active, set_lead_status
from tend.leads.models import Lead
from tend.leads.throttle import INBOUND_PER_MINUTE
from tests.api.conftest import API, Caller, count_queries, walk_pages
from tests.factories import make_customer
from tests.factories_deals import default_pipeline, make_deal
from tests.factories_leads import make_lead, make_lead_form, make_pool_lead

pytestmark = pytest.mark.django_db

UNKNOWN_FIELD = "This field is unknown or cannot be set here."
INBOUND = API + "/leads/inbound"


@pytest.fixture
def pipeline(db):
    return default_pipeline()


@pytest.fixture
def web_form(admin):
    cache.clear()
    return make_lead_form(admin, name="官网表单")


def lead_rows() -> tuple:
    return (
        Lead.objects.count(),
        Customer.objects.count(),
        Contact.objects.count(),
        Deal.objects.count(),
        AuditEntry.objects.count(),
    )


def test_create_read_update_delete(rep_api, rep):
    response = rep_api.post(
        "/leads",
        {
            "name": "王芳",
            "company_name": "杭州青木科技有限公司",
            "phone": "138 1234 5678",
            "email": "Wang@qingmu.cn",
            "raw_fields": {"utm_source": "baidu"},
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    lead_id = body["id"]
    assert body["source"] == "api"
    assert body["phone"] == "+8613812345678"
    assert body["email"] == "wang@qingmu.cn"
    assert body["raw_fields"] == {"utm_source": "baidu"}
    assert body["score"] == 65 and body["score_set_by_hand"] is False
    assert body["status"] == "new"
    assert body["owner"] == {"id": rep.pk, "display_name": rep.display_name}
    assert body["converted_customer"] is None

    assert rep_api.get(f"/leads/{lead_id}").json()["name"] == "王芳"
    changed = rep_api.patch(f"/leads/{lead_id}", {"notes": "想要报价", "score": 90})
    assert changed.status_code == 200
    assert (changed.json()["notes"], changed.json()["score"]) == ("想要报价", 90)
    assert changed.json()["score_set_by_hand"] is True
    back = rep_api.patch(f"/leads/{lead_id}", {"score": None})
    assert (back.json()["score"], back.json()["score_set_by_hand"]) == (65, False)

    assert rep_api.delete(f"/leads/{lead_id}").status_code == 204
    assert rep_api.get(f"/leads/{lead_id}").status_code == 404


@pytest.mark.parametrize("field", ["owner", "status", "id", "converted_customer", "created_by"])
def test_protected_fields_cannot_be_set(rep_api, rep, field):
    lead = make_lead(rep)
    before = lead_rows()
    created = rep_api.post("/leads", {"name": "王芳", "wechat": "wx", field: 1})
    assert created.status_code == 422
    assert created.json()["field_errors"] == {field: [UNKNOWN_FIELD]}
    patched = rep_api.patch(f"/leads/{lead.pk}", {field: 1})
    assert patched.status_code == 422
    assert lead_rows() == before


def test_invalid_values_are_refused_in_the_one_error_shape(rep_api):
    before = lead_rows()
    response = rep_api.post("/leads", {"phone": "123", "score": 150, "source": "fax"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["field_errors"]) == {"phone", "score", "source"}
    missing = rep_api.post("/leads", {"company_name": "青木"})
    assert missing.json()["field_errors"] == {
        "phone": ["Give at least one way to reach them: phone, email or WeChat."]
    }
    typed = rep_api.post("/leads", {"name": "王芳", "wechat": "wx", "raw_fields": "x"})
    assert typed.status_code == 422
    assert "raw_fields" in typed.json()["field_errors"]
    assert lead_rows() == before


def test_the_list_filters_and_walks_every_lead_once(rep_api, rep, web_form):
    leads = [make_lead(rep, score=number * 13 % 100) for number in range(9)]
    pool = make_pool_lead(web_form, company_name="远山贸易")
    for ordering in ("-created_at", "-updated_at", "-score"):
        served = walk_pages(rep_api, "/leads", {"ordering": ordering}, 4)
        assert sorted(served) == sorted([lead.pk for lead in leads] + [pool.pk])
        assert len(served) == len(set(served))
    set_lead_status(actor=rep, lead=leads[0], status="disqualified", reason="重复")
    assert [item["id"] for item in rep_api.get("/leads", {"owner": "pool"}).json()["items"]] == [
        pool.pk
    ]
    assert len(rep_api.get("/leads", {"status": "open"}).json()["items"]) == 9
    assert rep_api.get("/leads", {"status": "disqualified"}).json()["items"][0]["id"] == (
        leads[0].pk
    )
    assert rep_api.get("/leads", {"source": "web_form"}).json()["items"][0]["id"] == pool.pk
    assert rep_api.get("/leads", {"q": "远山"}).json()["items"][0]["id"] == pool.pk
    bad = rep_api.get("/leads", {"status": "maybe", "owner": "everyone", "ordering": "name"})
    assert bad.status_code == 422
    assert set(bad.json()["field_errors"]) == {"status", "owner", "ordering"}


def test_the_list_costs_the_same_queries_for_3_and_30_leads(auth_mode, org):
    caller = Caller(org.manager, auth_mode)

    def add(count):
        for _number in range(count):
            make_lead(org.rep)
            make_lead(org.branch_rep)

    def listing():
        return caller.get("/leads", {"limit": 100})

    add(2)
    listing()  # the first call of a session or token writes its last use
    small = count_queries(listing)
    add(15)
    assert len(listing().json()["items"]) == 34
    assert count_queries(listing) == small


def test_status_changes_and_their_errors(rep_api, rep):
    lead = make_lead(rep)
    response = rep_api.post(f"/leads/{lead.pk}/status", {"status": "contacted"})
    assert response.status_code == 200 and response.json()["status"] == "contacted"
    refused = rep_api.post(f"/leads/{lead.pk}/status", {"status": "disqualified"})
    assert refused.status_code == 422
    assert refused.json()["field_errors"] == {"reason": ["Say why the lead is disqualified."]}
    done = rep_api.post(f"/leads/{lead.pk}/status", {"status": "disqualified", "reason": "无预算"})
    assert done.json()["disqualified_reason"] == "无预算"
    converted = rep_api.post(f"/leads/{lead.pk}/status", {"status": "converted"})
    assert converted.status_code == 422


def test_claiming_and_assigning(org, web_form):
    lead = make_pool_lead(web_form)
    rep = Caller(org.rep)
    claimed = rep.post(f"/leads/{lead.pk}/claim")
    assert claimed.status_code == 200
    assert claimed.json()["owner"]["id"] == org.rep.pk
    second = Caller(org.branch_rep).post(f"/leads/{lead.pk}/claim")
    # Now the rep's, and the branch rep may not see it any more.
    assert second.status_code == 404
    refused = rep.post(f"/leads/{lead.pk}/assign", {"owner": org.branch_rep.pk})
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    manager = Caller(org.manager)
    given = manager.post(f"/leads/{lead.pk}/assign", {"owner": org.branch_rep.pk})
    assert given.json()["owner"]["id"] == org.branch_rep.pk
    foreign = manager.post(f"/leads/{lead.pk}/assign", {"owner": org.other_rep.pk})
    assert foreign.status_code == 422
    assert foreign.json()["field_errors"] == {"owner": ["You cannot give leads to this user."]}
    pooled = manager.post(f"/leads/{lead.pk}/assign", {"owner": None})
    assert pooled.json()["owner"] is None
    assert Caller(org.other_rep).post(f"/leads/{lead.pk}/claim").status_code == 200


def test_duplicates_name_only_what_the_caller_may_see(org):
    mine = make_customer(org.rep, name="青木科技", phone="13812345678")
    make_customer(org.other_rep, name="别人的秘密客户", email="wang@qingmu.cn")
    lead = make_lead(org.rep, name="王芳", phone="13812345678", email="wang@qingmu.cn")
    response = Caller(org.rep).get(f"/leads/{lead.pk}/duplicates")
    assert response.status_code == 200
    body = response.json()
    assert body["leads"] == []
    visible = {"id": mine.pk, "name": "青木科技", "matched_on": ["phone"], "visible": True}
    hidden = {"id": None, "name": None, "matched_on": ["email"], "visible": False}
    customers = [
        {key: item[key] for key in ("id", "name", "matched_on", "visible")}
        for item in body["customers"]
    ]
    assert sorted(customers, key=lambda item: item["visible"]) == [hidden, visible]
    assert "别人的秘密客户" not in response.content.decode()


def test_converting_into_a_new_customer_contact_and_deal(rep_api, rep, pipeline):
    lead = make_lead(rep, name="王芳", company_name="青木科技", phone="13812345678")
    response = rep_api.post(
        f"/leads/{lead.pk}/convert",
        {"deal_data": {"name": "年度采购", "amount": "5000"}, "contact": {"title": "经理"}},
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "converted"
    customer = Customer.objects.get(pk=body["converted_customer"])
    contact = Contact.objects.get(pk=body["converted_contact"])
    deal = Deal.objects.get(pk=body["converted_deal"])
    assert (customer.name, contact.title, deal.name, str(deal.amount)) == (
        "青木科技",
        "经理",
        "年度采购",
        "5000.00",
    )
    again = rep_api.post(f"/leads/{lead.pk}/convert", {})
    assert again.status_code == 409
    assert again.json()["code"] == "already_converted"
    assert rep_api.patch(f"/leads/{lead.pk}", {"notes": "x"}).status_code == 409


def test_a_duplicate_customer_is_refused_with_its_id_then_attached_to(rep_api, rep, pipeline):
    existing = make_customer(rep, name="青木科技", phone="13812345678")
    deal = make_deal(existing, name="已有商机")
    lead = make_lead(rep, name="王芳", phone="13812345678")
    before = lead_rows()
    refused = rep_api.post(f"/leads/{lead.pk}/convert", {})
    assert refused.status_code == 409
    assert refused.json()["code"] == "duplicate"
    assert refused.json()["existing_id"] == existing.pk
    assert lead_rows() == before
    attached = rep_api.post(f"/leads/{lead.pk}/convert", {"customer": existing.pk, "deal": deal.pk})
    assert attached.status_code == 200
    assert (attached.json()["converted_customer"], attached.json()["converted_deal"]) == (
        existing.pk,
        deal.pk,
    )


def test_conversion_errors_name_their_nested_fields_and_write_nothing(rep_api, rep, pipeline):
    lead = make_lead(rep, name="王芳", company_name="青木科技", phone="13812345678")
    before = lead_rows()
    response = rep_api.post(
        f"/leads/{lead.pk}/convert", {"deal_data": {"amount": "-5", "currency": "rmb"}}
    )
    assert response.status_code == 422
    assert set(response.json()["field_errors"]) == {"deal_data.amount", "deal_data.currency"}
    typed = rep_api.post(f"/leads/{lead.pk}/convert", {"deal_data": {"owner": 1}})
    assert typed.json()["field_errors"] == {"deal_data.owner": [UNKNOWN_FIELD]}
    foreign = rep_api.post(f"/leads/{lead.pk}/convert", {"customer": 999_999})
    assert foreign.json()["field_errors"] == {"customer": ["Unknown customer."]}
    assert lead_rows()[1:4] == before[1:4]


def test_a_rep_cannot_reach_another_reps_lead(rep_api, other_rep):
    lead = make_lead(other_rep, name="别人的线索")
    before = lead_rows()
    for method, path, body in [
        ("get", f"/leads/{lead.pk}", None),
        ("patch", f"/leads/{lead.pk}", {"name": "改"}),
        ("delete", f"/leads/{lead.pk}", None),
        ("post", f"/leads/{lead.pk}/status", {"status": "contacted"}),
        ("post", f"/leads/{lead.pk}/claim", None),
        ("post", f"/leads/{lead.pk}/assign", {"owner": None}),
        ("post", f"/leads/{lead.pk}/convert", {}),
        ("get", f"/leads/{lead.pk}/duplicates", None),
        # Invalid bodies too: the record's invisibility is judged first.
        ("post", f"/leads/{lead.pk}/status", {"nonsense": 1}),
    ]:
        call = getattr(rep_api, method)
        response = call(path) if body is None and method != "patch" else call(path, body)
        assert response.status_code == 404, (method, path)
    assert "别人的线索" not in json.dumps(rep_api.get("/leads").json(), ensure_ascii=False)
    assert lead_rows() == before


# --- the public web-form endpoint ------------------------------------------------------------


def test_a_web_form_posts_a_lead_without_signing_in(web_form):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        INBOUND,
        {
            "form_key": web_form.key,
            "name": "访客",
            "phone": "13812345678",
            "message": "想了解报价",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert list(body) == ["id"]
    assert response["Access-Control-Allow-Origin"] == "*"
    lead = Lead.objects.get(pk=body["id"])
    assert (lead.owner, lead.source, lead.form) == (None, "web_form", web_form)
    assert lead.raw_fields == {"name": "访客", "phone": "13812345678", "message": "想了解报价"}


def test_a_web_form_may_post_json_too(web_form):
    response = Client().post(
        INBOUND,
        {"form_key": web_form.key, "company_name": "青木科技", "email": "a@b.cn", "n": 1},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert Lead.objects.get(pk=response.json()["id"]).raw_fields == {
        "company_name": "青木科技",
        "email": "a@b.cn",
        "n": 1,
    }


@pytest.mark.parametrize("key", ["wrong-key", "x" * 200])
def test_an_unknown_key_is_refused_with_403(web_form, key):
    before = lead_rows()
    response = Client().post(
        INBOUND, {"form_key": key, "name": "访客", "wechat": "wx"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 403
    assert response.json() == {
        "code": "permission_denied",
        "message": "This form key is unknown or the form is no longer active.",
        "field_errors": {},
        "existing_id": None,
    }
    assert response["Access-Control-Allow-Origin"] == "*"
    assert lead_rows() == before


def test_a_deactivated_forms_key_is_refused_with_403(admin, web_form):
    set_lead_form_active(actor=admin, form=web_form, active=False)
    response = Client().post(INBOUND, {"form_key": web_form.key, "name": "访客", "wechat": "wx"})
    assert response.status_code == 403


def test_invalid_fields_are_refused_with_422(web_form):
    before = lead_rows()
    client = Client()
    response = client.post(
        INBOUND, {"form_key": web_form.key, "phone": "123"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert set(response.json()["field_errors"]) == {"phone"}
    missing = client.post(INBOUND, {"name": "访客"}, HTTP_ACCEPT_LANGUAGE="en")
    assert missing.status_code == 422
    assert missing.json()["field_errors"] == {"form_key": ["This field is required."]}
    broken = client.post(INBOUND, "{not json", content_type="application/json")
    assert broken.status_code == 400
    assert broken.json()["code"] == "invalid_json"
    listed = client.post(INBOUND, "[1, 2]", content_type="application/json")
    assert listed.status_code == 400
    assert lead_rows() == before


def test_more_than_30_a_minute_from_one_address_are_refused_with_429(web_form):
    client = Client()
    payload = {"form_key": web_form.key, "name": "访客", "wechat": "wx"}
    for _number in range(INBOUND_PER_MINUTE):
        assert client.post(INBOUND, payload).status_code == 201
    refused = client.post(INBOUND, payload, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert Lead.objects.count() == INBOUND_PER_MINUTE
    # Another address is counted apart.
    assert client.post(INBOUND, payload, REMOTE_ADDR="10.9.8.7").status_code == 201


def test_the_inbound_endpoint_only_takes_posts(web_form):
    response = Client().get(INBOUND)
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert response["Allow"] == "POST"
