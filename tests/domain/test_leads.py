"""Leads (线索): creating, scoring, editing, status changes, claiming and assigning, the
visibility of each role, duplicate candidates, conversion into customer + contact + deal (and
every way it can be refused, leaving nothing written), the recycle bin, the customer timeline,
the web forms that post leads in and their rate limit."""

import datetime
from decimal import Decimal
from unittest.mock import patch

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tend.audit.models import AuditAction, AuditEntry
from tend.core.errors import DuplicateFound, NotFound, PermissionDenied, ValidationFailed
from tend.core.timeline import TimelineCursor, merged_timeline
from tend.customers.actions import (
    create_custom_field_definition,
    create_customer,
    delete_customer,
)
from tend.customers.models import Contact, Customer, CustomerKind
from tend.deals.actions import create_pipeline, create_stage, move_deal
from tend.deals.models import Deal
from tend.leads.actions import (
    LeadAlreadyConverted,
    assign_lead,
    claim_lead,
    convert_lead,
    create_lead,
    create_lead_form,
    delete_lead,
    receive_web_form_lead,
    set_lead_form_active,
    set_lead_status,
    update_lead,
)
from tend.leads.models import Lead, LeadForm, LeadSource, LeadStatus
from tend.leads.scoring import compute_score, scoring_rules
from tend.leads.selectors import (
    LeadFilters,
    access_lead,
    access_lead_form,
    duplicate_candidates,
    filter_leads,
    lead_page,
    lead_timeline_entries,
    open_deals_of,
    recent_customers,
    visible_leads,
)
from tend.leads.throttle import INBOUND_PER_MINUTE, inbound_allowed
from tend.recyclebin.actions import purge_expired, restore
from tend.recyclebin.selectors import access_deleted, recycle_bin
from tests.domain.support import audit_for, row_counts
from tests.factories import make_contact, make_customer
from tests.factories_deals import default_pipeline, make_deal, stage
from tests.factories_leads import make_lead, make_lead_form, make_pool_lead

CREDIT_CODE = "91330106MA2B0XXL43"


@pytest.fixture
def pipeline(db):
    return default_pipeline()


@pytest.fixture
def web_form(admin):
    return make_lead_form(admin, name="官网表单")


def counts() -> dict:
    return {
        **row_counts(),
        "leads": Lead.objects.count(),
        "deals": Deal.objects.count(),
        "converted": Lead.objects.filter(status=LeadStatus.CONVERTED).count(),
    }


def customer_anyway(owner, **data):
    """A customer saved although it shares a key with another (duplicates on purpose)."""
    return create_customer(actor=owner, data=data, allow_duplicate=True)


def ids(queryset) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


# --- scoring ---------------------------------------------------------------------------------


def test_the_score_adds_points_for_what_is_known_and_where_it_came_from():
    assert compute_score({}) == 0
    assert compute_score({"source": "manual"}) == 10
    assert compute_score({"source": "import", "phone": "+8613812345678"}) == 25
    everything = {
        "source": "web_form",
        "company_name": "青木科技",
        "phone": "+8613812345678",
        "email": "a@qingmu.cn",
        "credit_code": CREDIT_CODE,
    }
    assert compute_score(everything) == 90
    assert compute_score({**everything, "source": "unknown"}) == 70
    rules = dict(scoring_rules())
    assert rules["company name"] == 20
    assert rules["source: Web form"] == 20


def test_a_new_lead_is_scored_and_the_score_follows_its_fields(rep):
    lead = make_lead(rep, company_name="青木科技", phone="13812345678")
    assert (lead.score, lead.score_set_by_hand) == (50, False)  # 20 + 20 + manual 10
    lead = update_lead(actor=rep, lead=lead, data={"email": "wang@qingmu.cn"})
    assert lead.score == 65
    lead = update_lead(actor=rep, lead=lead, data={"source": "import"})
    assert lead.score == 60


def test_a_score_set_by_hand_stays_until_it_is_cleared(rep):
    lead = make_lead(rep, phone="13812345678", score=95)
    assert (lead.score, lead.score_set_by_hand) == (95, True)
    lead = update_lead(actor=rep, lead=lead, data={"email": "wang@qingmu.cn"})
    assert lead.score == 95
    lead = update_lead(actor=rep, lead=lead, data={"score": 40})
    assert (lead.score, lead.score_set_by_hand) == (40, True)
    lead = update_lead(actor=rep, lead=lead, data={"score": None})
    assert (lead.score, lead.score_set_by_hand) == (45, False)
    lead.refresh_from_db()
    assert (lead.score, lead.score_set_by_hand) == (45, False)


# --- creating and changing -------------------------------------------------------------------


def test_creating_a_lead_normalises_its_fields_owns_it_and_audits_it(rep):
    lead = create_lead(
        actor=rep,
        data={
            "name": " 王芳 ",
            "company_name": "杭州青木科技有限公司",
            "phone": "138 1234 5678",
            "email": "Wang@QingMu.cn",
            "credit_code": CREDIT_CODE.lower(),
            "province": "浙江",
            "city": "杭州",
            "source": "campaign",
            "raw_fields": {"utm_source": "baidu", "预算": "10万"},
        },
    )
    lead.refresh_from_db()
    assert (lead.name, lead.phone, lead.email) == ("王芳", "+8613812345678", "wang@qingmu.cn")
    assert lead.credit_code == CREDIT_CODE
    assert (lead.owner, lead.created_by, lead.status) == (rep, rep, LeadStatus.NEW)
    assert lead.source == LeadSource.CAMPAIGN
    assert lead.raw_fields == {"utm_source": "baidu", "预算": "10万"}
    assert lead.status_changed_at is not None
    [entry] = audit_for(lead)
    assert entry.action == AuditAction.CREATE
    assert entry.actor == rep
    assert entry.customer_id is None
    assert entry.changes["name"] == [None, "王芳"]
    assert entry.changes["owner"] == [None, rep.pk]
    assert entry.changes["raw_fields"] == [None, {"utm_source": "baidu", "预算": "10万"}]


def test_a_lead_without_a_source_was_entered_by_hand(rep):
    assert make_lead(rep).source == LeadSource.MANUAL


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "", "company_name": "", "phone": "13812345678"}, "name", "the company name"),
        ({"name": "王芳"}, "phone", "at least one way to reach them"),
        ({"name": "王芳", "phone": "12345"}, "phone", "valid phone number"),
        ({"name": "王芳", "email": "not-an-email"}, "email", "valid email"),
        ({"name": "王芳", "phone": "13812345678", "credit_code": "123"}, "credit_code", "18"),
        ({"name": "王芳", "phone": "13812345678", "score": 101}, "score", "less than or equal"),
        ({"name": "王芳", "phone": "13812345678", "source": "fax"}, "source", "valid choice"),
        ({"name": "王芳", "phone": "13812345678", "raw_fields": [1]}, "raw_fields", "object"),
        ({"name": "王芳", "phone": "13812345678", "owner": 1}, "owner", "unknown"),
        ({"name": "王芳", "phone": "13812345678", "status": "qualified"}, "status", "unknown"),
    ],
)
def test_a_lead_with_bad_input_is_refused_and_nothing_is_written(rep, data, field, message):
    before = counts()
    with pytest.raises(ValidationFailed) as excinfo:
        create_lead(actor=rep, data=data)
    assert message in " ".join(excinfo.value.field_errors[field])
    assert counts() == before


def test_raw_fields_are_bounded(rep):
    with pytest.raises(ValidationFailed) as excinfo:
        make_lead(rep, raw_fields={f"k{number}": "v" for number in range(101)})
    assert "At most 100 fields." in excinfo.value.field_errors["raw_fields"]
    with pytest.raises(ValidationFailed) as excinfo:
        make_lead(rep, raw_fields={"long": "x" * 20_001})
    assert "characters" in excinfo.value.field_errors["raw_fields"][0]


def test_updating_a_lead_changes_only_the_fields_given_and_audits_the_change(rep):
    lead = make_lead(rep, name="王芳", phone="13812345678", notes="旧备注")
    lead = update_lead(actor=rep, lead=lead, data={"notes": "新备注", "city": "杭州"})
    lead.refresh_from_db()
    assert (lead.name, lead.notes, lead.city) == ("王芳", "新备注", "杭州")
    entry = audit_for(lead)[-1]
    assert entry.action == AuditAction.UPDATE
    assert entry.changes == {"notes": ["旧备注", "新备注"], "city": ["", "杭州"]}


def test_an_update_cannot_leave_a_lead_without_a_way_to_reach_it(rep):
    lead = make_lead(rep, name="王芳", phone="13812345678")
    with pytest.raises(ValidationFailed) as excinfo:
        update_lead(actor=rep, lead=lead, data={"phone": ""})
    assert "phone" in excinfo.value.field_errors
    lead.refresh_from_db()
    assert lead.phone == "+8613812345678"


def test_raw_fields_stay_as_received(rep):
    lead = make_lead(rep, raw_fields={"a": "1"})
    with pytest.raises(ValidationFailed) as excinfo:
        update_lead(actor=rep, lead=lead, data={"raw_fields": {"a": "2"}})
    assert "raw_fields" in excinfo.value.field_errors


# --- status ----------------------------------------------------------------------------------


def test_a_lead_moves_between_statuses_with_an_audit_entry_each(rep):
    lead = make_lead(rep)
    lead = set_lead_status(actor=rep, lead=lead, status="contacted")
    assert lead.status == LeadStatus.CONTACTED
    lead = set_lead_status(actor=rep, lead=lead, status="qualified")
    entry = audit_for(lead)[-1]
    assert entry.changes == {"status": ["contacted", "qualified"]}
    lead = set_lead_status(actor=rep, lead=lead, status="new")
    assert lead.status == LeadStatus.NEW


def test_disqualifying_needs_a_reason_which_is_kept_and_cleared_on_reopening(rep):
    lead = make_lead(rep)
    with pytest.raises(ValidationFailed) as excinfo:
        set_lead_status(actor=rep, lead=lead, status="disqualified", reason="  ")
    assert excinfo.value.field_errors["reason"] == ["Say why the lead is disqualified."]
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW
    lead = set_lead_status(actor=rep, lead=lead, status="disqualified", reason="预算不足")
    assert (lead.status, lead.disqualified_reason) == ("disqualified", "预算不足")
    entry = audit_for(lead)[-1]
    assert entry.note == "预算不足"
    assert entry.changes["disqualified_reason"] == ["", "预算不足"]
    lead = set_lead_status(actor=rep, lead=lead, status="contacted")
    assert (lead.status, lead.disqualified_reason) == ("contacted", "")


def test_setting_the_same_status_writes_nothing(rep):
    lead = make_lead(rep)
    entries = AuditEntry.objects.count()
    set_lead_status(actor=rep, lead=lead, status="new")
    assert AuditEntry.objects.count() == entries


def test_converted_cannot_be_set_by_hand(rep):
    lead = make_lead(rep)
    with pytest.raises(ValidationFailed) as excinfo:
        set_lead_status(actor=rep, lead=lead, status="converted")
    assert "valid choice" in excinfo.value.field_errors["status"][0]


# --- claiming and assigning ------------------------------------------------------------------


def test_a_rep_claims_a_lead_from_the_pool(rep, web_form):
    lead = make_pool_lead(web_form)
    assert lead.owner is None
    lead = claim_lead(actor=rep, lead=lead)
    assert lead.owner == rep
    assert audit_for(lead)[-1].changes == {"owner": [None, rep.pk]}
    # Claiming one's own lead again changes nothing.
    assert claim_lead(actor=rep, lead=lead).owner == rep


def test_a_lead_someone_owns_cannot_be_claimed(org, web_form):
    lead = make_pool_lead(web_form)
    claim_lead(actor=org.rep, lead=lead)
    with pytest.raises(ValidationFailed, match="already has an owner"):
        claim_lead(actor=org.branch_rep, lead=lead)
    lead.refresh_from_db()
    assert lead.owner == org.rep


def test_a_manager_assigns_within_the_teams_they_manage(org, web_form):
    lead = make_pool_lead(web_form)
    lead = assign_lead(actor=org.manager, lead=lead, owner_id=org.branch_rep.pk)
    assert lead.owner == org.branch_rep
    with pytest.raises(ValidationFailed) as excinfo:
        assign_lead(actor=org.manager, lead=lead, owner_id=org.other_rep.pk)
    assert excinfo.value.field_errors["owner"] == ["You cannot give leads to this user."]
    lead = assign_lead(actor=org.manager, lead=lead, owner_id=None)
    assert lead.owner is None


def test_an_administrator_assigns_to_anyone(org, admin):
    lead = make_lead(org.rep)
    assert assign_lead(actor=admin, lead=lead, owner_id=org.other_rep.pk).owner == org.other_rep


def test_a_rep_may_return_their_own_lead_to_the_pool_but_not_assign(org):
    lead = make_lead(org.rep)
    with pytest.raises(PermissionDenied):
        assign_lead(actor=org.rep, lead=lead, owner_id=org.branch_rep.pk)
    assert assign_lead(actor=org.rep, lead=lead, owner_id=None).owner is None


# --- visibility ------------------------------------------------------------------------------


@pytest.fixture
def leads_of_everyone(org, admin, web_form):
    return {
        "rep": make_lead(org.rep),
        "branch_rep": make_lead(org.branch_rep),
        "manager": make_lead(org.manager),
        "other_rep": make_lead(org.other_rep),
        "other_manager": make_lead(org.other_manager),
        "admin": make_lead(admin),
        "pool": make_pool_lead(web_form),
    }


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("rep", {"rep", "pool"}),
        ("branch_rep", {"branch_rep", "pool"}),
        # A manager sees the members of the teams they manage, nested teams included.
        ("manager", {"manager", "rep", "branch_rep", "pool"}),
        ("other_rep", {"other_rep", "pool"}),
        ("other_manager", {"other_manager", "other_rep", "pool"}),
        ("admin", {"rep", "branch_rep", "manager", "other_rep", "other_manager", "admin", "pool"}),
    ],
)
def test_who_sees_which_leads(org, admin, leads_of_everyone, who, sees):
    user = admin if who == "admin" else getattr(org, who)
    expected = {leads_of_everyone[name].pk for name in sees}
    assert ids(visible_leads(user)) == expected
    for name, lead in leads_of_everyone.items():
        if name in sees:
            assert access_lead(user, lead.pk) == lead
        else:
            with pytest.raises(NotFound):
                access_lead(user, lead.pk)


def test_a_malformed_or_deleted_lead_is_not_found(rep):
    for value in ("x", 0, -1, 2**64):
        with pytest.raises(NotFound):
            access_lead(rep, value)
    lead = make_lead(rep)
    delete_lead(actor=rep, lead=lead)
    with pytest.raises(NotFound):
        access_lead(rep, lead.pk)


# --- lists and filters -----------------------------------------------------------------------


def test_filters_by_status_source_owner_and_query(org, web_form):
    rep = org.rep
    mine = make_lead(rep, name="王芳", company_name="青木科技", phone="13812345678")
    contacted = make_lead(rep, name="李雷", email="lilei@example.cn", source="import")
    set_lead_status(actor=rep, lead=contacted, status="contacted")
    dropped = make_lead(rep, name="韩梅梅")
    set_lead_status(actor=rep, lead=dropped, status="disqualified", reason="无需求")
    pool = make_pool_lead(web_form, company_name="远山贸易")

    def found(**filters):
        return ids(filter_leads(rep, LeadFilters(**filters)))

    assert found() == {mine.pk, contacted.pk, dropped.pk, pool.pk}
    assert found(status="open") == {mine.pk, contacted.pk, pool.pk}
    assert found(status="contacted") == {contacted.pk}
    assert found(status="bogus") == set()
    assert found(source="web_form") == {pool.pk}
    assert found(source="import") == {contacted.pk}
    assert found(source="fax") == set()
    assert found(owner="me") == {mine.pk, contacted.pk, dropped.pk}
    assert found(owner="pool") == {pool.pk}
    assert found(owner=str(rep.pk)) == {mine.pk, contacted.pk, dropped.pk}
    assert found(owner="x") == set()
    assert found(query="青木") == {mine.pk}
    assert found(query="远山") == {pool.pk}
    assert found(query="芳") == {mine.pk}
    assert found(query="138 1234") == {mine.pk}
    assert found(query="LiLei@example.cn") == {contacted.pk}


def test_the_list_pages_by_keyset_in_each_ordering(rep):
    leads = [make_lead(rep, score=number * 7 % 100) for number in range(7)]
    for ordering in ("-created_at", "-updated_at", "-score"):
        seen, cursor = [], None
        while True:
            page = lead_page(rep, LeadFilters(), ordering=ordering, cursor=cursor, limit=3)
            seen += [lead.pk for lead in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert sorted(seen) == sorted(lead.pk for lead in leads), ordering
        assert len(seen) == len(set(seen))
    by_score = lead_page(rep, LeadFilters(), ordering="-score", cursor=None, limit=10).items
    assert [lead.score for lead in by_score] == sorted((lead.score for lead in leads), reverse=True)
    with pytest.raises(ValidationFailed):
        lead_page(rep, LeadFilters(), ordering="-created_at", cursor="garbage", limit=3)


# --- duplicate candidates --------------------------------------------------------------------


def test_duplicate_candidates_are_customers_sharing_a_key_or_the_company_name(org):
    rep = org.rep
    by_phone = make_customer(rep, name="甲", phone="13812345678")
    by_email = make_customer(rep, name="乙", email="wang@qingmu.cn")
    by_code = make_customer(rep, name="丙", credit_code=CREDIT_CODE)
    by_name = make_customer(rep, name="杭州 青木科技")
    make_customer(rep, name="杭州青木科技分公司")  # contains the name, is not it
    make_customer(rep, name="无关", phone="13900000000")
    foreign = customer_anyway(org.other_rep, name="别人的客户", email="wang@qingmu.cn")
    gone = customer_anyway(rep, name="已删", phone="13812345678")
    delete_customer(actor=rep, customer=gone)
    lead = make_lead(
        rep,
        company_name="杭州青木科技",
        phone="13812345678",
        email="wang@qingmu.cn",
        credit_code=CREDIT_CODE,
    )
    found = duplicate_candidates(rep, lead)
    by_customer = {candidate.record.pk: candidate for candidate in found.customers}
    assert set(by_customer) == {by_phone.pk, by_email.pk, by_code.pk, by_name.pk, foreign.pk}
    assert by_customer[by_phone.pk].matched_on == ["phone"]
    assert by_customer[by_email.pk].matched_on == ["email"]
    assert by_customer[by_code.pk].matched_on == ["credit_code"]
    assert by_customer[by_name.pk].matched_on == ["company_name"]
    assert by_customer[foreign.pk].visible is False
    assert all(by_customer[pk].visible for pk in (by_phone.pk, by_email.pk, by_name.pk))


def test_duplicate_candidates_include_other_open_leads_by_phone_or_email(org, web_form):
    rep = org.rep
    lead = make_lead(rep, name="王芳", phone="13812345678", email="wang@qingmu.cn")
    same_phone = make_lead(rep, name="王芳2", phone="13812345678")
    same_email = make_pool_lead(web_form, email="wang@qingmu.cn")
    foreign = make_lead(org.other_rep, phone="13812345678")
    dropped = make_lead(rep, phone="13812345678")
    set_lead_status(actor=rep, lead=dropped, status="disqualified", reason="重复")
    gone = make_lead(rep, phone="13812345678")
    delete_lead(actor=rep, lead=gone)
    found = duplicate_candidates(rep, lead)
    by_lead = {candidate.record.pk: candidate for candidate in found.leads}
    assert set(by_lead) == {same_phone.pk, same_email.pk, foreign.pk}
    assert by_lead[same_phone.pk].matched_on == ["phone"]
    assert by_lead[same_email.pk].matched_on == ["email"]
    assert by_lead[same_email.pk].visible is True
    assert by_lead[foreign.pk].visible is False


def test_duplicate_candidates_take_at_most_two_queries(org):
    rep = org.rep
    for number in range(5):
        customer_anyway(rep, name=f"客户{number}", phone="13812345678")
        make_lead(rep, phone="13812345678")
    lead = make_lead(rep, company_name="青木科技", phone="13812345678", email="a@b.cn")
    duplicate_candidates(rep, lead)  # the user's managed teams are read once per request
    with CaptureQueriesContext(connection) as queries:
        found = duplicate_candidates(rep, lead)
    assert len(found.customers) == 5 and len(found.leads) == 5
    assert len(queries) <= 2
    nothing_to_match = make_lead(rep, name="只有微信", wechat="wx1")
    with CaptureQueriesContext(connection) as queries:
        assert not duplicate_candidates(rep, nothing_to_match)
    assert len(queries) == 0


def test_a_converted_lead_has_no_duplicate_candidates(rep, pipeline):
    make_customer(rep, name="甲", phone="13900000001")
    lead = make_lead(rep, name="王芳", phone="13812345678")
    convert_lead(actor=rep, lead=lead)
    make_customer(rep, name="乙", email="x@y.cn")
    lead.refresh_from_db()
    assert not duplicate_candidates(rep, lead)


# --- conversion ------------------------------------------------------------------------------


def test_converting_creates_customer_contact_and_deal_and_links_them(rep, pipeline, web_form):
    lead = make_pool_lead(
        web_form,
        name="王芳",
        company_name="杭州青木科技有限公司",
        phone="13812345678",
        email="wang@qingmu.cn",
        credit_code=CREDIT_CODE,
        province="浙江",
        city="杭州",
    )
    lead = convert_lead(
        actor=rep,
        lead=lead,
        deal_data={
            "name": "年度采购",
            "amount": "120000",
            "stage": stage(pipeline, "needs_analysis").pk,
        },
        contact={"title": "采购经理"},
    )
    lead.refresh_from_db()
    customer = lead.converted_customer
    assert (customer.name, customer.kind) == ("杭州青木科技有限公司", CustomerKind.COMPANY)
    assert (customer.phone, customer.email, customer.credit_code) == (
        "+8613812345678",
        "wang@qingmu.cn",
        CREDIT_CODE,
    )
    assert (customer.province, customer.city, customer.source) == ("浙江", "杭州", "website")
    assert customer.owner == rep
    contact = lead.converted_contact
    assert (contact.name, contact.mobile, contact.email, contact.title) == (
        "王芳",
        "+8613812345678",
        "wang@qingmu.cn",
        "采购经理",
    )
    assert contact.customer == customer and contact.is_primary
    deal = lead.converted_deal
    assert (deal.name, deal.amount, deal.customer, deal.contact) == (
        "年度采购",
        Decimal("120000.00"),
        customer,
        contact,
    )
    assert (deal.pipeline, deal.stage.key, deal.owner) == (pipeline, "needs_analysis", rep)
    assert lead.status == LeadStatus.CONVERTED
    assert lead.converted_by == rep
    assert lead.converted_at is not None
    # A pool lead is the converter's from now on.
    assert lead.owner == rep
    # Everything is audited, the lead's conversion on the customer's history.
    assert [entry.action for entry in audit_for(customer)] == [AuditAction.CREATE]
    assert [entry.action for entry in audit_for(contact)] == [AuditAction.CREATE]
    assert [entry.action for entry in audit_for(deal)] == [AuditAction.CREATE]
    conversion = audit_for(lead)[-1]
    assert conversion.customer_id == customer.pk
    assert conversion.changes["status"] == ["new", "converted"]
    assert conversion.changes["converted_customer"] == [None, customer.pk]
    assert conversion.changes["converted_deal"] == [None, deal.pk]


def test_a_lead_without_a_company_becomes_a_person_and_a_landline_a_phone(rep, pipeline):
    lead = make_lead(rep, name="张三", phone="010-12345678")
    lead = convert_lead(actor=rep, lead=lead, create_deal=False)
    assert (lead.converted_customer.kind, lead.converted_customer.name) == ("person", "张三")
    assert (lead.converted_contact.mobile, lead.converted_contact.phone) == ("", "+861012345678")
    assert lead.converted_deal is None
    assert Deal.objects.count() == 0


def test_a_deal_needs_no_data_its_name_is_the_customers(rep, pipeline):
    lead = make_lead(rep, name="", company_name="远山贸易", phone="13812345678")
    lead = convert_lead(actor=rep, lead=lead)
    assert lead.converted_deal.name == "远山贸易"
    assert lead.converted_deal.stage.key == "potential"
    # No person's name: no contact to create.
    assert lead.converted_contact is None
    assert Contact.objects.count() == 0


def test_attaching_to_an_existing_customer_adds_the_person_as_a_contact(rep, pipeline):
    customer = make_customer(rep, name="杭州青木科技有限公司")
    make_contact(customer, name="李雷", mobile="13900000000")
    lead = make_lead(rep, name="王芳", company_name="青木科技", phone="13812345678")
    before = Customer.objects.count()
    lead = convert_lead(actor=rep, lead=lead, customer=customer.pk, create_deal=False)
    assert Customer.objects.count() == before
    assert lead.converted_customer == customer
    assert lead.converted_contact.name == "王芳"
    assert lead.converted_contact.customer == customer
    assert lead.converted_contact.is_primary is False
    assert customer.contacts.count() == 2


@pytest.mark.parametrize("field", ["mobile", "email"])
def test_attaching_skips_the_contact_when_the_person_is_already_there(rep, pipeline, field):
    customer = make_customer(rep, name="青木科技")
    values = {"mobile": "13812345678"} if field == "mobile" else {"email": "wang@qingmu.cn"}
    existing = make_contact(customer, name="王芳（已有）", **values)
    lead = make_lead(rep, name="王芳", phone="13812345678", email="wang@qingmu.cn")
    lead = convert_lead(actor=rep, lead=lead, customer=customer.pk, create_deal=False)
    assert lead.converted_contact == existing
    assert customer.contacts.count() == 1


def test_attaching_to_an_existing_open_deal_creates_none(rep, pipeline):
    customer = make_customer(rep, name="青木科技")
    deal = make_deal(customer, name="已有商机")
    lead = make_lead(rep, name="王芳", phone="13812345678")
    lead = convert_lead(actor=rep, lead=lead, deal=deal.pk)
    # The deal says which customer.
    assert (lead.converted_customer, lead.converted_deal) == (customer, deal)
    assert Deal.objects.count() == 1
    assert Customer.objects.count() == 1


@pytest.mark.parametrize("case", ["closed", "other_customer", "invisible"])
def test_a_deal_to_attach_to_must_be_open_visible_and_the_customers(org, pipeline, case):
    rep = org.rep
    customer = make_customer(rep, name="青木科技")
    if case == "closed":
        deal = make_deal(customer)
        move_deal(actor=rep, deal=deal, stage=stage(pipeline, "signed"))
        message = "This deal is closed: choose an open one."
    elif case == "other_customer":
        deal = make_deal(make_customer(rep, name="别家"))
        message = "This deal is not one of the customer's."
    else:
        deal = make_deal(make_customer(org.other_rep, name="别人的"))
        message = "Unknown deal."
    lead = make_lead(rep, name="王芳", phone="13812345678")
    before = counts()
    with pytest.raises(ValidationFailed) as excinfo:
        convert_lead(actor=rep, lead=lead, customer=customer.pk, deal=deal.pk)
    assert excinfo.value.field_errors == {"deal": [message]}
    assert counts() == before


def test_a_customer_the_user_cannot_see_cannot_be_attached_to(org, pipeline):
    foreign = make_customer(org.other_rep, name="别人的客户")
    lead = make_lead(org.rep, name="王芳", phone="13812345678")
    before = counts()
    with pytest.raises(ValidationFailed) as excinfo:
        convert_lead(actor=org.rep, lead=lead, customer=foreign.pk)
    assert excinfo.value.field_errors == {"customer": ["Unknown customer."]}
    assert counts() == before


def test_a_new_customer_that_duplicates_one_is_refused_with_a_pointer(org, pipeline):
    existing = make_customer(org.rep, name="青木科技", phone="13812345678")
    lead = make_lead(org.rep, name="王芳", company_name="青木科技有限公司", phone="13812345678")
    before = counts()
    with pytest.raises(DuplicateFound) as excinfo:
        convert_lead(actor=org.rep, lead=lead, deal_data={"amount": "10"})
    assert excinfo.value.existing == existing
    assert excinfo.value.existing_visible is True
    assert excinfo.value.as_dict()["existing_id"] == existing.pk
    assert counts() == before
    # The way out: attach to the existing customer.
    lead = convert_lead(actor=org.rep, lead=lead, customer=existing.pk)
    assert lead.converted_customer == existing


def test_a_duplicate_the_user_cannot_see_is_named_by_its_owner_only(org, pipeline):
    make_customer(org.other_rep, name="别人的客户", email="wang@qingmu.cn")
    lead = make_lead(org.rep, name="王芳", email="wang@qingmu.cn")
    with pytest.raises(DuplicateFound) as excinfo:
        convert_lead(actor=org.rep, lead=lead)
    assert excinfo.value.existing_visible is False
    assert excinfo.value.as_dict()["existing_id"] is None
    assert "别人的客户" not in excinfo.value.as_dict()["message"]


def test_converting_twice_is_refused(rep, pipeline):
    lead = make_lead(rep, name="王芳", phone="13812345678")
    convert_lead(actor=rep, lead=lead)
    before = counts()
    with pytest.raises(LeadAlreadyConverted) as excinfo:
        convert_lead(actor=rep, lead=lead)
    assert excinfo.value.as_dict()["code"] == "already_converted"
    assert str(excinfo.value.message) == "This lead has already been converted."
    assert counts() == before


def test_a_converted_lead_changes_no_more(rep, pipeline):
    lead = make_lead(rep, name="王芳", phone="13812345678")
    convert_lead(actor=rep, lead=lead)
    lead.refresh_from_db()
    for change in (
        lambda: update_lead(actor=rep, lead=lead, data={"notes": "x"}),
        lambda: set_lead_status(actor=rep, lead=lead, status="new"),
        lambda: assign_lead(actor=rep, lead=lead, owner_id=None),
    ):
        with pytest.raises(LeadAlreadyConverted):
            change()
    lead.refresh_from_db()
    assert (lead.status, lead.notes, lead.owner) == ("converted", "", rep)


def test_a_disqualified_lead_must_be_reopened_before_converting(rep, pipeline):
    lead = make_lead(rep, name="王芳", phone="13812345678")
    set_lead_status(actor=rep, lead=lead, status="disqualified", reason="无预算")
    with pytest.raises(ValidationFailed, match="reopen it first"):
        convert_lead(actor=rep, lead=lead)
    assert Customer.objects.count() == 0


def test_a_refused_deal_rolls_the_whole_conversion_back(rep, pipeline):
    lead = make_lead(rep, name="王芳", company_name="青木科技", phone="13812345678")
    before = counts()
    with pytest.raises(ValidationFailed) as excinfo:
        convert_lead(actor=rep, lead=lead, deal_data={"amount": "-1", "currency": "usd"})
    errors = excinfo.value.field_errors
    assert "greater than or equal to 0" in errors["deal_data.amount"][0]
    assert "three capital letters" in errors["deal_data.currency"][0]
    # The customer and contact made before the deal was refused are gone with it.
    assert counts() == before
    lead.refresh_from_db()
    assert (lead.status, lead.converted_customer_id) == ("new", None)


def test_a_failure_anywhere_leaves_no_customer(rep, pipeline):
    lead = make_lead(rep, name="王芳", company_name="青木科技", phone="13812345678")
    before = counts()
    with (
        patch("tend.deals.actions.create_deal", side_effect=RuntimeError("disk full")),
        pytest.raises(RuntimeError),
    ):
        convert_lead(actor=rep, lead=lead)
    assert counts() == before
    assert not Customer.objects.filter(name="青木科技").exists()


def test_unknown_conversion_keys_are_refused_by_name(rep, pipeline):
    lead = make_lead(rep, name="王芳", phone="13812345678")
    with pytest.raises(ValidationFailed) as excinfo:
        convert_lead(
            actor=rep,
            lead=lead,
            deal_data={"customer": 1, "owner": 2},
            contact={"customer": 1},
            customer_data={"owner": 3},
        )
    assert set(excinfo.value.field_errors) == {
        "deal_data.customer",
        "deal_data.owner",
        "contact.customer",
        "customer_data.owner",
    }
    with pytest.raises(ValidationFailed) as excinfo:
        convert_lead(actor=rep, lead=lead, customer=make_customer(rep).pk, contact={"mobile": "1"})
    assert "contact.mobile" in excinfo.value.field_errors
    assert Lead.objects.get(pk=lead.pk).status == "new"


def test_a_required_custom_field_of_a_new_customer_comes_with_the_conversion(rep, admin, pipeline):
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
    with pytest.raises(ValidationFailed) as excinfo:
        convert_lead(actor=rep, lead=lead)
    assert "customer_data.custom_fields.level" in excinfo.value.field_errors
    lead = convert_lead(actor=rep, lead=lead, customer_data={"custom_fields": {"level": "A"}})
    assert lead.converted_customer.custom_fields == {"level": "A"}


def test_a_deal_in_another_pipeline_takes_the_stages_pipeline(rep, admin, pipeline):
    renewals = create_pipeline(actor=admin, data={"name_zh": "续约"})
    due = create_stage(
        actor=admin,
        pipeline=renewals,
        data={"label_zh": "待续约", "category": "open", "probability": 50, "color": "#123456"},
    )
    lead = make_lead(rep, name="王芳", phone="13812345678")
    lead = convert_lead(actor=rep, lead=lead, deal_data={"stage": str(due.pk)})
    assert (lead.converted_deal.pipeline, lead.converted_deal.stage) == (renewals, due)


# --- conversion choices ----------------------------------------------------------------------


def test_conversion_choices_are_visible_customers_and_their_open_deals(org, pipeline):
    rep = org.rep
    older = make_customer(rep, name="旧客户")
    newer = make_customer(rep, name="新客户")
    make_customer(org.other_rep, name="别人的客户")
    assert [customer.pk for customer in recent_customers(rep)] == [newer.pk, older.pk]
    open_deal = make_deal(newer, name="开放")
    won = make_deal(newer, name="赢单")
    move_deal(actor=rep, deal=won, stage=stage(pipeline, "signed"))
    foreign = make_deal(make_customer(org.other_rep), name="别人的")
    deals = open_deals_of(rep, {newer.pk, older.pk, foreign.customer_id})
    assert [deal.pk for deal in deals] == [open_deal.pk]
    assert open_deals_of(rep, set()) == []


# --- recycle bin and timeline ----------------------------------------------------------------


def test_a_deleted_lead_waits_in_its_owners_recycle_bin_and_comes_back(org):
    lead = make_lead(org.rep, name="王芳")
    delete_lead(actor=org.rep, lead=lead)
    assert lead.pk not in ids(visible_leads(org.rep))
    [item] = [item for item in recycle_bin(org.rep) if item.kind.key == "lead"]
    assert item.record.pk == lead.pk
    assert [item for item in recycle_bin(org.other_rep) if item.kind.key == "lead"] == []
    with pytest.raises(NotFound):
        access_deleted(org.other_rep, "lead", lead.pk)
    # The manager of the owner's team sees it too.
    assert access_deleted(org.manager, "lead", lead.pk) == lead
    restore(actor=org.rep, record=access_deleted(org.rep, "lead", lead.pk))
    assert lead.pk in ids(visible_leads(org.rep))


def test_deleted_leads_are_purged_after_the_retention_period(rep):
    lead = make_lead(rep)
    delete_lead(actor=rep, lead=lead)
    assert purge_expired(cutoff=timezone.now() + datetime.timedelta(seconds=1)) >= 1
    assert not Lead.objects.filter(pk=lead.pk).exists()
    assert audit_for(lead)[-1].action == AuditAction.PURGE


def test_a_purged_customer_leaves_its_converted_lead_unlinked(rep, pipeline):
    lead = make_lead(rep, name="王芳", phone="13812345678")
    lead = convert_lead(actor=rep, lead=lead, create_deal=False)
    delete_customer(actor=rep, customer=lead.converted_customer)
    purge_expired(cutoff=timezone.now() + datetime.timedelta(seconds=1))
    lead.refresh_from_db()
    assert (lead.status, lead.converted_customer_id, lead.converted_contact_id) == (
        "converted",
        None,
        None,
    )


def test_the_customer_timeline_shows_the_conversion(rep, pipeline):
    lead = make_lead(rep, name="王芳", phone="13812345678")
    lead = convert_lead(actor=rep, lead=lead)
    customer = lead.converted_customer
    entries = merged_timeline(customer.pk).items
    [converted] = [entry for entry in entries if entry.kind == "lead"]
    assert (converted.record_id, converted.at) == (lead.pk, lead.converted_at)
    assert converted.template == "web/timeline/lead.html"
    with CaptureQueriesContext(connection) as queries:
        assert len(lead_timeline_entries(customer.pk, TimelineCursor(), 10)) == 1
    assert len(queries) == 1
    past = TimelineCursor(at=lead.converted_at, kind="lead", record_id=lead.pk)
    assert lead_timeline_entries(customer.pk, past, 10) == []


# --- web forms -------------------------------------------------------------------------------


def test_a_web_form_sends_a_lead_into_the_pool_with_what_came_in(web_form):
    payload = {
        "form_key": web_form.key,
        "name": "访客",
        "phone": "13812345678",
        "message": "想了解报价",
        "utm_source": "baidu",
    }
    lead = receive_web_form_lead(form_key=web_form.key, payload=payload)
    lead.refresh_from_db()
    assert (lead.owner, lead.source, lead.form) == (None, LeadSource.WEB_FORM, web_form)
    assert lead.phone == "+8613812345678"
    assert lead.raw_fields == {
        "name": "访客",
        "phone": "13812345678",
        "message": "想了解报价",
        "utm_source": "baidu",
    }
    assert lead.score == 40  # phone 20 + web form 20
    [entry] = audit_for(lead)
    assert entry.actor is None
    assert entry.actor_label == "web form: 官网表单"


@pytest.mark.parametrize("key", ["", None, "nope", "x" * 500, 12])
def test_an_unknown_or_missing_form_key_is_refused(web_form, key):
    before = counts()
    with pytest.raises((PermissionDenied, ValidationFailed)):
        receive_web_form_lead(form_key=key, payload={"form_key": key, "name": "x", "wechat": "y"})
    assert counts() == before


def test_a_deactivated_form_is_refused_and_can_come_back(admin, web_form):
    set_lead_form_active(actor=admin, form=web_form, active=False)
    payload = {"form_key": web_form.key, "name": "访客", "wechat": "wx"}
    with pytest.raises(PermissionDenied):
        receive_web_form_lead(form_key=web_form.key, payload=payload)
    set_lead_form_active(actor=admin, form=web_form, active=True)
    assert receive_web_form_lead(form_key=web_form.key, payload=payload).pk


def test_a_web_form_lead_is_checked_like_any_lead(web_form):
    before = counts()
    with pytest.raises(ValidationFailed) as excinfo:
        receive_web_form_lead(
            form_key=web_form.key, payload={"form_key": web_form.key, "phone": "123"}
        )
    assert set(excinfo.value.field_errors) == {"phone"}
    with pytest.raises(ValidationFailed) as excinfo:
        receive_web_form_lead(
            form_key=web_form.key,
            payload={"form_key": web_form.key, **{f"k{n}": "v" for n in range(101)}},
        )
    assert "__all__" in excinfo.value.field_errors
    assert counts() == before


def test_only_administrators_manage_web_forms(org, admin):
    with pytest.raises(PermissionDenied):
        create_lead_form(actor=org.manager, data={"name": "表单"})
    first = create_lead_form(actor=admin, data={"name": " 官网 "})
    second = create_lead_form(actor=admin, data={"name": "活动页"})
    assert first.name == "官网"
    assert len(first.key) >= 32 and first.key != second.key
    with pytest.raises(ValidationFailed):
        create_lead_form(actor=admin, data={"name": "  "})
    with pytest.raises(PermissionDenied):
        set_lead_form_active(actor=org.rep, form=first, active=False)
    with pytest.raises(NotFound):
        access_lead_form(org.manager, first.pk)
    assert access_lead_form(admin, first.pk) == first
    [entry] = audit_for(first)
    assert first.key not in str(entry.changes)
    assert LeadForm.objects.count() == 2


def test_the_inbound_limit_counts_per_key_address_and_minute(db):
    cache.clear()
    now = 1_000_000 * 60.0
    assert all(inbound_allowed("key", "10.0.0.1", now=now) for _ in range(INBOUND_PER_MINUTE))
    assert inbound_allowed("key", "10.0.0.1", now=now) is False
    assert inbound_allowed("key", "10.0.0.2", now=now) is True
    assert inbound_allowed("other", "10.0.0.1", now=now) is True
    assert inbound_allowed("key", "10.0.0.1", now=now + 60) is True
