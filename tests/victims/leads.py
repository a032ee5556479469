"""The victim's leads and a lead web form, for tests/test_access_matrix.py. A rep may create a
lead of their own through the API (it belongs to no customer), never touch another rep's."""

from tend.leads.actions import convert_lead
from tend.leads.models import Lead, LeadForm
from tests.factories_leads import make_lead, make_lead_form

FORM_KEY = "secret-lead-form-key-0123456789abcdef"

WEB_RECORDS = {"leads/": "lead", "settings/lead-forms/": "lead_form"}
API_RECORDS = {"/api/v1/leads/": "lead"}
API_CREATE_ALLOWED = {"/api/v1/leads"}
SECRETS = ["秘密线索人", "秘密线索公司", "秘密线索备注", "秘密转化线索", "秘密表单", FORM_KEY]


def build(victim, org, admin):
    victim.lead = make_lead(
        victim.owner,
        name="秘密线索人",
        company_name="秘密线索公司",
        phone="13900000002",
        notes="秘密线索备注",
        raw_fields={"秘密字段": "秘密线索备注"},
    )
    converted = make_lead(victim.owner, name="秘密转化线索", phone="13900000003")
    victim.converted_lead = convert_lead(
        actor=victim.owner, lead=converted, customer=victim.customer.pk, create_deal=False
    )
    victim.lead_form = make_lead_form(admin, name="秘密表单")
    LeadForm.objects.filter(pk=victim.lead_form.pk).update(key=FORM_KEY)


def state(victim):
    return (
        list(
            Lead.objects.filter(pk__in=[victim.lead.pk, victim.converted_lead.pk])
            .order_by("pk")
            .values("name", "status", "owner_id", "score", "notes", "deleted_at", "updated_at")
        ),
        list(LeadForm.objects.values("id", "name", "key", "active").order_by("id")),
    )
