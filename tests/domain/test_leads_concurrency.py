"""Two users acting on one lead at the same moment. PostgreSQL only: select_for_update
serialises them there; the in-memory SQLite test database is not shared between threads."""

import pytest
from django.db import connection

from tend.core.errors import ValidationFailed
from tend.customers.models import Customer
from tend.deals.models import Deal
from tend.leads.actions import LeadAlreadyConverted, claim_lead, convert_lead
from tend.leads.models import Lead
from tests.domain.test_concurrency import run_together
from tests.factories_deals import default_pipeline
from tests.factories_leads import make_lead, make_lead_form, make_pool_lead

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: row locks (select_for_update) and a database shared by threads",
    ),
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


def attempt(job, outcomes: list):
    def run():
        try:
            job()
            outcomes.append("done")
        except (ValidationFailed, LeadAlreadyConverted) as exc:
            outcomes.append(type(exc).__name__)

    return run


def test_two_reps_claiming_one_pool_lead_at_once_one_wins(org, admin):
    lead = make_pool_lead(make_lead_form(admin))
    outcomes = []
    run_together(
        attempt(lambda: claim_lead(actor=org.rep, lead=Lead.objects.get(pk=lead.pk)), outcomes),
        attempt(
            lambda: claim_lead(actor=org.other_rep, lead=Lead.objects.get(pk=lead.pk)), outcomes
        ),
    )
    assert sorted(outcomes) == ["ValidationFailed", "done"]
    lead.refresh_from_db()
    assert lead.owner in (org.rep, org.other_rep)


def test_converting_one_lead_twice_at_once_makes_one_customer(org):
    default_pipeline()
    lead = make_lead(org.rep, name="王芳", company_name="青木科技", phone="13812345678")
    outcomes = []
    run_together(
        attempt(lambda: convert_lead(actor=org.rep, lead=Lead.objects.get(pk=lead.pk)), outcomes),
        attempt(
            lambda: convert_lead(actor=org.manager, lead=Lead.objects.get(pk=lead.pk)), outcomes
        ),
    )
    assert sorted(outcomes) == ["LeadAlreadyConverted", "done"]
    assert Customer.objects.filter(name="青木科技").count() == 1
    assert Deal.objects.count() == 1
    lead.refresh_from_db()
    assert lead.status == "converted"
