"""Lead pages: the list with its filters and pages, the lead page (what came in, duplicate
candidates, status, claim / assign, the conversion form with its field errors), create / edit
/ delete, the web-form settings, and the customer timeline after a conversion."""

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tend.customers.actions import create_custom_field_definition, create_customer
from tend.customers.models import Customer
from tend.deals.models import Deal
from tend.leads.actions import convert_lead, set_lead_status
from tend.leads.models import Lead, LeadForm
from tests.factories import make_customer
from tests.factories_deals import default_pipeline, make_deal, stage
from tests.factories_leads import make_lead, make_lead_form, make_pool_lead
from tests.web.helpers import field_errors, input_value, signed_in_client

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def pipeline(db):
    return default_pipeline()


@pytest.fixture
def web_form(admin):
    return make_lead_form(admin, name="官网表单")


def _messages(response) -> list[str]:
    return [
        html.unescape(text)
        for text in re.findall(r'<p class="message[^"]*">(.*?)</p>', response.content.decode())
    ]


def _queries(client, url) -> int:
    client.get(url)  # the first request of a session writes its last-seen time
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


def _rows(page: str) -> list[str]:
    return [
        html.unescape(name)
        for name in re.findall(
            r'<td class="cell-title"[^>]*><a href="/leads/\d+/">([^<]+)</a>', page
        )
    ]


# --- the list --------------------------------------------------------------------------------


def test_the_list_shows_my_leads_and_the_pool_but_not_others(rep, rep_client, other_rep, web_form):
    make_lead(rep, name="我的线索", company_name="青木科技", phone="13812345678")
    make_pool_lead(web_form, name="公海线索")
    make_lead(other_rep, name="别人的线索")
    response = rep_client.get(reverse("web:lead_list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert sorted(_rows(page)) == ["公海线索", "我的线索"]
    assert "别人的线索" not in page
    assert "2 leads" in page
    assert "138 1234 5678" in page
    # The pool is marked in the owner column.
    assert '<span class="badge">Pool</span>' in page


def test_the_list_filters_and_pages(rep, rep_client, web_form):
    for number in range(30):
        make_lead(rep, name=f"线索{number:02d}")
    make_pool_lead(web_form, name="表单来的", company_name="远山贸易")
    contacted = make_lead(rep, name="联系过的")
    set_lead_status(actor=rep, lead=contacted, status="contacted")
    url = reverse("web:lead_list")
    first = rep_client.get(url).content.decode()
    assert len(_rows(first)) == 25
    cursor = html.unescape(re.search(r'rel="next" href="\?cursor=([^"]+)"', first).group(1))
    second = rep_client.get(url, {"cursor": cursor}).content.decode()
    assert len(_rows(second)) == 7
    assert not set(_rows(first)) & set(_rows(second))
    assert _rows(rep_client.get(url, {"owner": "pool"}).content.decode()) == ["表单来的"]
    assert _rows(rep_client.get(url, {"source": "web_form"}).content.decode()) == ["表单来的"]
    assert _rows(rep_client.get(url, {"status": "contacted"}).content.decode()) == ["联系过的"]
    assert _rows(rep_client.get(url, {"q": "远山"}).content.decode()) == ["表单来的"]
    partial = rep_client.get(url, {"q": "远山"}, **HTMX)
    assert "<html" not in partial.content.decode()
    assert _rows(partial.content.decode()) == ["表单来的"]
    broken = rep_client.get(url, {"cursor": "garbage"})
    assert "That page link is no longer valid" in broken.content.decode()
    assert "No leads match these filters." in rep_client.get(url, {"q": "没有"}).content.decode()


def test_the_list_queries_do_not_grow_with_leads(org):
    client = signed_in_client(org.manager)
    url = reverse("web:lead_list")
    make_lead(org.rep)
    small = _queries(client, url)
    for _number in range(20):
        make_lead(org.rep)
        make_lead(org.branch_rep)
    assert _queries(client, url) == small


# --- creating and editing --------------------------------------------------------------------


def test_the_create_form_shows_field_errors_and_keeps_the_input(rep_client):
    response = rep_client.post(
        reverse("web:lead_create"), {"company_name": "青木科技", "email": "bad", "score": "200"}
    )
    assert response.status_code == 422
    assert field_errors(response, "email") == ["Enter a valid email address."]
    assert field_errors(response, "score") == ["Ensure this value is less than or equal to 100."]
    assert input_value(response, "company_name") == "青木科技"
    assert Lead.objects.count() == 0
    missing = rep_client.post(reverse("web:lead_create"), {"company_name": "青木科技"})
    assert field_errors(missing, "phone") == [
        "Give at least one way to reach them: phone, email or WeChat."
    ]


def test_creating_a_lead_leads_to_its_page(rep, rep_client):
    response = rep_client.post(
        reverse("web:lead_create"),
        {"name": "王芳", "phone": "13812345678", "source": "campaign", "score": ""},
        follow=True,
    )
    lead = Lead.objects.get()
    assert response.redirect_chain == [(reverse("web:lead_detail", args=[lead.pk]), 302)]
    assert _messages(response) == ["The lead was created."]
    assert (lead.owner, lead.source, lead.score, lead.score_set_by_hand) == (
        rep,
        "campaign",
        35,
        False,
    )


def test_editing_a_lead_shows_errors_then_saves(rep, rep_client):
    lead = make_lead(rep, name="王芳", phone="13812345678", score=80)
    url = reverse("web:lead_edit", args=[lead.pk])
    form = rep_client.get(url)
    assert input_value(form, "phone") == "138 1234 5678"
    assert input_value(form, "score") == "80"
    refused = rep_client.post(url, {"name": "王芳", "phone": "12"})
    assert refused.status_code == 422
    assert field_errors(refused, "phone")
    # The browser sends the score field empty: the score goes back to being computed.
    saved = rep_client.post(
        url, {"name": "王芳", "phone": "13812345678", "city": "杭州", "score": ""}
    )
    assert saved.status_code == 302
    lead.refresh_from_db()
    assert (lead.city, lead.score, lead.score_set_by_hand) == ("杭州", 30, False)


# --- the lead page ---------------------------------------------------------------------------


def test_the_lead_page_shows_fields_what_came_in_and_the_score_rule(web_form, rep_client):
    lead = make_pool_lead(
        web_form, name="访客", phone="13812345678", message="想了解<报价>", budget="10万"
    )
    page = rep_client.get(reverse("web:lead_detail", args=[lead.pk])).content.decode()
    assert "访客" in page and "138 1234 5678" in page
    raw = re.search(r'<table class="table raw-fields">(.*?)</table>', page, re.S).group(1)
    assert "<code>message</code>" in raw and "想了解&lt;报价&gt;" in raw
    assert "<code>budget</code>" in raw
    assert "How the score is computed" in page
    assert "Web form · 官网表单" in page
    assert "Claim (assign to me)" in page


def test_duplicate_candidates_link_only_to_what_the_reader_may_see(org, rep_client, web_form):
    mine = make_customer(org.rep, name="青木科技", phone="13812345678")
    create_customer(
        actor=org.other_rep,
        data={"name": "别人的秘密客户", "email": "wang@qingmu.cn"},
        allow_duplicate=True,
    )
    same_lead = make_pool_lead(web_form, name="另一条", phone="13812345678")
    lead = make_lead(org.rep, name="王芳", phone="13812345678", email="wang@qingmu.cn")
    page = rep_client.get(reverse("web:lead_detail", args=[lead.pk])).content.decode()
    section = re.search(r'id="duplicates".*?</section>', page, re.S).group(0)
    assert f'href="/customers/{mine.pk}/"' in section
    assert f'href="/leads/{same_lead.pk}/"' in section
    assert "same phone" in section and "same email" in section
    assert "别人的秘密客户" not in page
    assert f"A customer you cannot open (belongs to {org.other_rep.display_name})" in section
    # The visible look-alike is offered first, and chosen, in the conversion form.
    assert re.search(rf'<option value="{mine.pk}" selected>', page)


def test_the_lead_page_queries_do_not_grow_with_candidates_or_what_came_in(org, pipeline):
    rep = org.rep
    client = signed_in_client(org.manager)
    lead = make_lead(
        rep, name="王芳", company_name="青木科技", phone="13812345678", raw_fields={"a": "1"}
    )
    url = reverse("web:lead_detail", args=[lead.pk])

    def add_candidates(count):
        for number in range(count):
            customer = create_customer(
                actor=rep,
                data={"name": f"客户{count}-{number}", "phone": "13812345678"},
                allow_duplicate=True,
            )
            make_deal(customer)
            make_lead(org.branch_rep, phone="13812345678")

    add_candidates(1)
    small = _queries(client, url)
    add_candidates(8)
    Lead.objects.filter(pk=lead.pk).update(raw_fields={f"k{n}": "v" for n in range(50)})
    assert _queries(client, url) == small


def test_status_buttons_and_disqualifying_with_a_reason(rep, rep_client):
    lead = make_lead(rep)
    url = reverse("web:lead_status", args=[lead.pk])
    page = rep_client.get(reverse("web:lead_detail", args=[lead.pk])).content.decode()
    assert 'name="status" value="contacted"' in page
    response = rep_client.post(url, {"status": "contacted"}, follow=True)
    assert _messages(response) == ["The lead is now Contacted."]
    refused = rep_client.post(url, {"status": "disqualified", "reason": ""}, follow=True)
    assert _messages(refused) == ["Some fields are not valid. Say why the lead is disqualified."]
    rep_client.post(url, {"status": "disqualified", "reason": "没有预算"})
    lead.refresh_from_db()
    assert (lead.status, lead.disqualified_reason) == ("disqualified", "没有预算")
    page = rep_client.get(reverse("web:lead_detail", args=[lead.pk])).content.decode()
    assert "Reopen as New" in page
    assert 'id="convert"' not in page


def test_claiming_from_the_pool_and_assigning(org, web_form):
    lead = make_pool_lead(web_form)
    rep_client = signed_in_client(org.rep)
    response = rep_client.post(reverse("web:lead_claim", args=[lead.pk]), follow=True)
    assert _messages(response) == ["The lead is yours now."]
    refused = rep_client.post(
        reverse("web:lead_assign", args=[lead.pk]), {"owner": org.branch_rep.pk}, follow=True
    )
    assert _messages(refused) == ["Only a manager or an administrator can assign leads."]
    manager = signed_in_client(org.manager)
    page = manager.get(reverse("web:lead_detail", args=[lead.pk])).content.decode()
    assert 'id="assign-owner"' in page
    given = manager.post(
        reverse("web:lead_assign", args=[lead.pk]), {"owner": org.branch_rep.pk}, follow=True
    )
    assert _messages(given) == [f"The lead now belongs to {org.branch_rep.display_name}."]
    manager.post(reverse("web:lead_assign", args=[lead.pk]), {"owner": "pool"})
    lead.refresh_from_db()
    assert lead.owner is None


def test_converting_from_the_lead_page_creates_customer_contact_and_deal(rep_client, rep, pipeline):
    lead = make_lead(rep, name="王芳", company_name="青木科技", phone="13812345678")
    response = rep_client.post(
        reverse("web:lead_convert", args=[lead.pk]),
        {
            "customer_mode": "new",
            "deal_mode": "new",
            "deal_name": "年度采购",
            "deal_stage": stage(pipeline, "proposal").pk,
            "deal_amount": "8800",
            "contact_title": "采购经理",
        },
        follow=True,
    )
    assert _messages(response) == ["The lead was converted: customer “青木科技”."]
    lead.refresh_from_db()
    assert lead.status == "converted"
    assert lead.converted_deal.stage.key == "proposal"
    assert lead.converted_contact.title == "采购经理"
    page = response.content.decode()
    assert f'href="/customers/{lead.converted_customer_id}/"' in page
    assert f'href="/deals/{lead.converted_deal_id}/"' in page
    assert 'id="convert"' not in page
    assert reverse("web:lead_edit", args=[lead.pk]) not in page
    # Editing a converted lead is refused, and so is converting it again.
    edit = rep_client.get(reverse("web:lead_edit", args=[lead.pk]), follow=True)
    assert _messages(edit) == ["A converted lead cannot be changed."]
    again = rep_client.post(
        reverse("web:lead_convert", args=[lead.pk]),
        {"customer_mode": "new", "deal_mode": "none"},
        follow=True,
    )
    assert _messages(again) == ["This lead has already been converted."]
    assert Customer.objects.count() == 1


def test_a_disqualified_lead_says_why_it_cannot_be_converted(rep_client, rep, pipeline):
    lead = make_lead(rep, name="王芳", phone="13812345678")
    set_lead_status(actor=rep, lead=lead, status="disqualified", reason="无预算")
    response = rep_client.post(
        reverse("web:lead_convert", args=[lead.pk]),
        {"customer_mode": "new", "deal_mode": "none"},
        follow=True,
    )
    assert _messages(response) == ["A disqualified lead cannot be converted: reopen it first."]
    assert Customer.objects.count() == 0


def test_conversion_errors_show_beside_their_fields_and_write_nothing(rep_client, rep, pipeline):
    lead = make_lead(rep, name="王芳", company_name="青木科技", phone="13812345678")
    url = reverse("web:lead_convert", args=[lead.pk])
    response = rep_client.post(
        url, {"customer_mode": "new", "deal_mode": "new", "deal_amount": "-3"}
    )
    assert response.status_code == 422
    assert field_errors(response, "deal_amount") == [
        "Ensure this value is greater than or equal to 0."
    ]
    assert (Customer.objects.count(), Deal.objects.count()) == (0, 0)
    unchosen = rep_client.post(url, {"customer_mode": "existing", "deal_mode": "none"})
    assert field_errors(unchosen, "customer") == ["Choose the customer to attach the lead to."]
    unknown = rep_client.post(
        url, {"customer_mode": "existing", "customer_id": "999999", "deal_mode": "none"}
    )
    assert field_errors(unknown, "customer") == ["Unknown customer."]
    no_deal = rep_client.post(url, {"customer_mode": "new", "deal_mode": "existing"})
    assert field_errors(no_deal, "deal") == ["Choose the deal to attach the lead to."]
    lead.refresh_from_db()
    assert lead.status == "new"


def test_a_duplicate_customer_is_pointed_at_and_chosen_for_the_next_try(rep_client, rep, pipeline):
    existing = make_customer(rep, name="青木科技", phone="13812345678")
    lead = make_lead(rep, name="王芳", phone="13812345678")
    url = reverse("web:lead_convert", args=[lead.pk])
    response = rep_client.post(url, {"customer_mode": "new", "deal_mode": "none"})
    assert response.status_code == 409
    page = response.content.decode()
    assert "A customer with this value already exists: 青木科技." in html.unescape(page)
    assert "convert again to attach the lead to it" in page
    assert re.search(r'<input type="radio" name="customer_mode" value="existing"[^>]*checked', page)
    assert re.search(rf'<option value="{existing.pk}" selected>', page)
    assert Customer.objects.count() == 1
    attached = rep_client.post(
        url, {"customer_mode": "existing", "customer": existing.pk, "deal_mode": "none"}
    )
    assert attached.status_code == 302
    lead.refresh_from_db()
    assert lead.converted_customer == existing


def test_attaching_to_an_open_deal_from_the_form(rep_client, rep, pipeline):
    customer = make_customer(rep, name="青木科技", phone="13812345678")
    deal = make_deal(customer, name="已有商机")
    lead = make_lead(rep, name="王芳", phone="13812345678")
    page = rep_client.get(reverse("web:lead_detail", args=[lead.pk])).content.decode()
    assert f'<option value="{deal.pk}">已有商机 · 青木科技 (#{deal.pk})</option>' in page
    response = rep_client.post(
        reverse("web:lead_convert", args=[lead.pk]),
        {
            "customer_mode": "existing",
            "customer": customer.pk,
            "deal_mode": "existing",
            "deal": deal.pk,
        },
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.converted_customer, lead.converted_deal) == (customer, deal)


def test_a_required_custom_field_is_asked_for_a_new_customer(rep_client, rep, admin, pipeline):
    create_custom_field_definition(
        actor=admin,
        data={
            "key": "level",
            "label_zh": "级别",
            "label_en": "Level",
            "field_type": "text",
            "required": True,
        },
    )
    lead = make_lead(rep, name="王芳", phone="13812345678")
    url = reverse("web:lead_convert", args=[lead.pk])
    refused = rep_client.post(url, {"customer_mode": "new", "deal_mode": "none"})
    assert refused.status_code == 422
    assert field_errors(refused, "cf_level") == ["This field is required."]
    done = rep_client.post(url, {"customer_mode": "new", "deal_mode": "none", "cf_level": "A"})
    assert done.status_code == 302
    lead.refresh_from_db()
    assert lead.converted_customer.custom_fields == {"level": "A"}


def test_another_reps_lead_is_not_found_anywhere(rep_client, other_rep):
    lead = make_lead(other_rep, name="别人的线索")
    for name in ("lead_detail", "lead_edit"):
        assert rep_client.get(reverse(f"web:{name}", args=[lead.pk])).status_code == 404
    for name in ("lead_status", "lead_claim", "lead_assign", "lead_convert", "lead_delete"):
        assert rep_client.post(reverse(f"web:{name}", args=[lead.pk])).status_code == 404
    lead.refresh_from_db()
    assert (lead.deleted_at, lead.status) == (None, "new")


def test_deleting_a_lead_moves_it_to_the_recycle_bin(rep_client, rep):
    lead = make_lead(rep, name="要删除的线索")
    response = rep_client.post(reverse("web:lead_delete", args=[lead.pk]), follow=True)
    assert _messages(response) == ["“要删除的线索” was moved to the recycle bin."]
    assert "要删除的线索" in rep_client.get(reverse("web:recycle_bin")).content.decode()
    restored = rep_client.post(reverse("web:recycle_restore", args=["lead", lead.pk]))
    assert restored.status_code == 302
    lead.refresh_from_db()
    assert lead.deleted_at is None


def test_the_customer_timeline_shows_the_conversion(rep_client, rep, pipeline):
    lead = make_lead(rep, name="王芳", company_name="青木科技", phone="13812345678")
    lead = convert_lead(actor=rep, lead=lead, deal_data={"name": "首单"})
    page = rep_client.get(
        reverse("web:customer_detail", args=[lead.converted_customer_id])
    ).content.decode()
    item = re.search(
        rf'<li class="timeline-item kind-lead" id="lead-{lead.pk}">.*?</li>', page, re.S
    )
    assert item, "no lead entry on the timeline"
    assert "Lead converted" in item.group(0)
    assert f'href="/leads/{lead.pk}/"' in item.group(0)
    assert "deal 首单" in item.group(0)


# --- web forms (administrators) --------------------------------------------------------------


def test_administrators_manage_web_forms_and_see_their_keys(admin):
    client = signed_in_client(admin)
    url = reverse("web:lead_form_settings")
    empty = client.post(url, {"name": ""})
    assert empty.status_code == 422
    assert field_errors(empty, "name") == ["This field is required."]
    created = client.post(url, {"name": "官网表单"}, follow=True)
    assert _messages(created) == ["The web form “官网表单” was created."]
    lead_form = LeadForm.objects.get()
    page = created.content.decode()
    assert lead_form.key in page
    assert "http://testserver/api/v1/leads/inbound" in page
    assert "new FormData" in page
    off = client.post(
        reverse("web:lead_form_active", args=[lead_form.pk]), {"active": "0"}, follow=True
    )
    assert _messages(off) == ["The web form “官网表单” is deactivated: its key is refused."]
    lead_form.refresh_from_db()
    assert lead_form.active is False
    client.post(reverse("web:lead_form_active", args=[lead_form.pk]), {"active": "1"})
    lead_form.refresh_from_db()
    assert lead_form.active is True


def test_web_form_settings_do_not_exist_for_anyone_else(org, web_form):
    client = signed_in_client(org.manager)
    assert client.get(reverse("web:lead_form_settings")).status_code == 404
    response = client.post(reverse("web:lead_form_active", args=[web_form.pk]), {"active": "0"})
    assert response.status_code == 404
    web_form.refresh_from_db()
    assert web_form.active is True
    assert "Web forms" not in client.get(reverse("web:lead_list")).content.decode()
