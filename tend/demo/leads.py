"""Demo leads (线索): a few thousand per 100,000 customers. Some customers came in as a lead
that was converted (the lead names the customer and its first contact); the others are
still being worked, in the pool or with a rep, or were disqualified with a reason. Scores
follow the leads app's own rule."""

import json

from tend.core.bulk import next_id
from tend.demo import data
from tend.demo.common import DAY, HOUR, CustomerFacts, Weighted

LEAD_COLUMNS = (
    "id", "created_at", "updated_at", "source", "raw_fields", "form_id", "name", "company_name",
    "phone", "email", "credit_code", "wechat", "province", "city", "notes", "score",
    "score_set_by_hand", "status", "disqualified_reason", "status_changed_at", "owner_id",
    "created_by_id", "converted_at", "converted_by_id", "converted_customer_id",
    "converted_contact_id", "converted_deal_id",
)  # fmt: skip

# Where a customer came from → where its lead came from.
LEAD_SOURCES = {
    "website": "web_form",
    "advertising": "campaign",
    "social_media": "campaign",
    "partner": "import",
}


def leads_ready() -> bool:
    """The leads app is installed and migrated (it may be missing in an older database)."""
    from django.apps import apps
    from django.db import connection

    if not apps.is_installed("tend.leads"):
        return False
    from tend.leads.models import Lead

    return Lead._meta.db_table in connection.introspection.table_names()


class LeadMaker:
    def __init__(self, builder):
        from tend.leads.models import Lead
        from tend.leads.scoring import compute_score

        self.builder = builder
        self.rng = builder.journey
        self.clock = builder.clock
        self.pick = builder.pick_journey
        self.compute_score = compute_score
        self.next_lead = next_id(Lead)
        self.open_statuses = Weighted(
            ["new", "contacted", "qualified", "disqualified"], [30, 30, 20, 20]
        )

    def _score(self, source, company_name, phone, email, credit_code) -> int:
        return self.compute_score(
            {
                "source": source,
                "company_name": company_name,
                "phone": phone,
                "email": email,
                "credit_code": credit_code,
            }
        )

    def converted(self, customer: CustomerFacts, row: tuple, source_channel: str, rows) -> None:
        """Most customers from the website, campaigns and partners, and a few others, came
        in as a lead that was converted into them when they were created."""
        rng = self.rng
        chance = 0.08 if source_channel in LEAD_SOURCES else 0.01
        if rng.random() >= chance or not customer.contact_ids:
            return
        clock = self.clock
        source = LEAD_SOURCES.get(source_channel, "manual")
        (_id, _created, _updated, kind, name, _industry, province, city, _source, credit_code,
         phone, email, *_rest) = row  # fmt: skip
        company_name = name if kind == "company" else ""
        person = self.pick(self.builder.pools.zh_names) if kind == "company" else name
        arrived = customer.created - rng.randint(1, 30) * DAY - rng.randrange(8 * HOUR)
        lead_id = self.next_lead
        self.next_lead = lead_id + 1
        converted_text = clock.at(customer.created)
        raw = {"name": person, "phone": phone} if source == "web_form" else {}
        rows["leads"].append(
            (
                lead_id,
                clock.at(arrived),
                converted_text,
                source,
                json.dumps(raw, ensure_ascii=False),
                None,
                person,
                company_name,
                phone,
                email,
                credit_code,
                "",
                province,
                city,
                "",
                self._score(source, company_name, phone, email, credit_code),
                False,
                "converted",
                "",
                converted_text,
                customer.worker_id,
                None,
                converted_text,
                customer.worker_id,
                customer.id,
                customer.contact_ids[0],
                None,
            )
        )

    def open_lead(self, rows) -> None:
        """A lead that is not a customer (yet): new, being contacted, qualified, or
        disqualified; a share waits in the pool without an owner."""
        builder = self.builder
        rng = self.rng
        clock = self.clock
        pick = self.pick
        province, city, _division, _area = builder.regions.draw(rng)
        source = pick(["web_form", "web_form", "campaign", "email", "manual", "import", "api"])
        person = pick(builder.pools.zh_names)
        company_name = ""
        if rng.random() < 0.7:
            brand = pick(data.BRAND_CHARACTERS) + pick(data.BRAND_CHARACTERS)
            company_name = f"{city[:-1]}{brand}{pick(data.INDUSTRIES[0][2])}有限公司"
        phone = builder.mobile(rng) if rng.random() < 0.85 else ""
        email = ""
        if rng.random() < 0.4:
            email = builder.unique_email(
                pick(builder.pools.romanized), pick(data.EMAIL_DOMAINS), rng
            )
        days_back = int(rng.expovariate(1 / 45)) + 1
        arrived = clock.start_of(clock.today - min(days_back, 700)) + rng.randrange(
            8 * HOUR, 22 * HOUR
        )
        status = self.open_statuses.draw(rng)
        if status == "new" and days_back > 30 and rng.random() < 0.7:
            status = "disqualified"  # nobody leaves a lead new for a month
        owner = None if status == "new" and rng.random() < 0.6 else pick(builder.owners).pk
        changed = arrived
        if status != "new":
            changed = min(arrived + rng.randint(HOUR, 10 * DAY), clock.anchor - 60)
        raw = {"name": person, "phone": phone, "company": company_name}
        lead_id = self.next_lead
        self.next_lead = lead_id + 1
        rows["leads"].append(
            (
                lead_id,
                clock.at(arrived),
                clock.at(changed),
                source,
                json.dumps(raw, ensure_ascii=False) if source == "web_form" else "{}",
                None,
                person,
                company_name,
                phone,
                email,
                "",
                "",
                province,
                city,
                "",
                self._score(source, company_name, phone, email, ""),
                False,
                status,
                pick(data.DISQUALIFIED_REASONS_ZH) if status == "disqualified" else "",
                clock.at(changed) if status != "new" else None,
                owner,
                None,
                None,
                None,
                None,
                None,
                None,
            )
        )
