"""A lead's score (0–100): how promising it looks from what we know, by a rule simple enough
to explain on the lead page.

Points for each thing known about the lead — a company name, a phone number, an email, a
unified social credit code (a registered company) — plus a weight for where it came from (a
web form someone filled in themselves weighs more than a bought list). The score follows the
fields whenever they change, unless a user set it by hand."""

from django.utils.translation import gettext_lazy as _

from tend.leads.models import LeadSource

FIELD_POINTS = {
    "company_name": 20,
    "phone": 20,
    "email": 15,
    "credit_code": 15,
}
SOURCE_POINTS = {
    LeadSource.WEB_FORM: 20,
    LeadSource.CAMPAIGN: 15,
    LeadSource.EMAIL: 15,
    LeadSource.API: 10,
    LeadSource.MANUAL: 10,
    LeadSource.IMPORT: 5,
}
FIELD_LABELS = {
    "company_name": _("company name"),
    "phone": _("phone"),
    "email": _("email"),
    "credit_code": _("unified social credit code"),
}
MAX_SCORE = 100


def compute_score(values: dict) -> int:
    """The score of a lead whose fields hold `values` (field name → value; source included)."""
    points = sum(weight for name, weight in FIELD_POINTS.items() if values.get(name))
    points += SOURCE_POINTS.get(values.get("source"), 0)
    return max(0, min(MAX_SCORE, points))


def scoring_rules() -> list[tuple[str, int]]:
    """The rule as (what, points) rows, for the page that explains a score."""
    rows = [(str(FIELD_LABELS[name]), points) for name, points in FIELD_POINTS.items()]
    rows += [
        (str(_("source: %(source)s") % {"source": LeadSource(source).label}), points)
        for source, points in SOURCE_POINTS.items()
    ]
    return rows
