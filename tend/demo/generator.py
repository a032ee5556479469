"""Demo data: an organisation, and customers with everything of their journey over two years:
contacts, activities and tasks, deals, contracts, orders and payments, tickets and feedback,
and the leads some of them came from.

Deterministic for a given seed and day: two random streams seeded from the seed draw
everything (one for customers, contacts and activities, one for the rest of the journey),
and Faker (seeded the same way) only fills small pools of names that the generator then draws
from — calling Faker a million times would take longer than writing the rows.

Users, teams and custom-field definitions go through their actions (a handful of records).
Every other record is built as a tuple, a customer at a time, and written a chunk of
customers at a time with `tend.core.bulk.bulk_insert` (executemany on SQLite, COPY on
PostgreSQL) while a forked child generates the next chunk (producer.py), so that a million
customers with ten million activities and two million orders take minutes. They
therefore bypass the per-row actions and their audit entries; one audit entry records the
demo run instead. Each customer's time nodes (first and last contact, next follow-up,
converted, last order, churned) are computed from the records generated for it, exactly as
creating those records one by one would have left them. The records of each kind come from
their own maker module (deals.py, contracts.py, orders.py, service.py, leads.py); common.py
holds what they share.

On SQLite, a run that at least doubles the data drops the tables' secondary indexes first and
builds them once at the end, and the load runs without the write-ahead log when it can
(bulkload.py): both are what a big load would otherwise spend most of its time on."""

import datetime
import json
import random
import secrets
import time
from bisect import bisect_right
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tend.accounts.actions import create_team, create_user
from tend.accounts.models import Role, Team, User
from tend.activities.models import Activity, Task
from tend.audit.models import AuditAction, AuditEntry
from tend.contracts.models import Contract, ContractStatusChange
from tend.core.bulk import bulk_insert, large_write_cache, next_id
from tend.core.summaries import rebuilt_after_load
from tend.customers.actions import create_custom_field_definition
from tend.customers.models import (
    Contact,
    Customer,
    CustomerNameGram,
    CustomFieldDefinition,
    Tag,
)
from tend.customers.search import gram_rows
from tend.deals.models import Deal, DealStageChange
from tend.demo import data
from tend.demo.bulkload import DeferredIndexes, rollback_journal
from tend.demo.common import DAY, HOUR, Clock, CustomerFacts, FastRandom, Weighted
from tend.demo.contracts import CONTRACT_COLUMNS, STATUS_CHANGE_COLUMNS, ContractMaker
from tend.demo.deals import DEAL_COLUMNS, STAGE_CHANGE_COLUMNS, DealMaker
from tend.demo.leads import LEAD_COLUMNS, LeadMaker, leads_ready
from tend.demo.orders import ALLOCATION_COLUMNS, ORDER_COLUMNS, PAYMENT_COLUMNS, OrderMaker
from tend.demo.producer import can_fork, chunks_from_child
from tend.demo.service import (
    COMMENT_COLUMNS,
    ESCALATION_COLUMNS,
    FEEDBACK_COLUMNS,
    TICKET_COLUMNS,
    ServiceMaker,
)
from tend.orders.models import Order, Payment, PaymentAllocation
from tend.service.models import Feedback, FeedbackEscalation, Ticket, TicketComment

CHUNK = 5_000  # customers generated and written per round (bounds memory)
HISTORY_DAYS = 730
ANALYSIS_LIMIT = 2000  # rows SQLite's ANALYZE samples per index after a load
BUSY_EVERY = 200  # one customer with hundreds of activities in every so many

# The demo organisation: (username, role, team key). Reps sit in both the head team and
# the nested sub-team, so that a manager's view of nested teams has something to show.
ORGANISATION = [
    ("admin", Role.ADMIN, None),
    ("manager", Role.SALES_MANAGER, "head"),
    ("rep1", Role.SALES_REP, "head"),
    ("rep2", Role.SALES_REP, "head"),
    ("rep3", Role.SALES_REP, "sub"),
    ("rep4", Role.SALES_REP, "sub"),
    ("telemarketing", Role.TELEMARKETING, "head"),
    ("success", Role.CUSTOMER_SUCCESS, None),
    ("service", Role.SERVICE, None),
    ("finance", Role.FINANCE, None),
    ("marketing", Role.MARKETING, None),
]
HEAD_TEAM = "华东销售部"
SUB_TEAM = "杭州销售组"

CUSTOM_FIELDS = [
    {
        "key": "employee_count",
        "label_zh": "员工人数",
        "label_en": "Employees",
        "field_type": "number",
    },
    {
        "key": "renewal_date",
        "label_zh": "续约日期",
        "label_en": "Renewal date",
        "field_type": "date",
    },
]

CUSTOMER_COLUMNS = (
    "id", "created_at", "updated_at", "kind", "name", "industry", "province", "city", "source",
    "credit_code", "phone", "email", "wechat", "address", "owner_id", "team_id",
    "custom_fields", "created_by_id", "first_contact_at", "last_contact_at",
    "next_follow_up_on", "converted_at", "churned_at", "external_id", "last_order_on",
)  # fmt: skip
NAME_COLUMN = CUSTOMER_COLUMNS.index("name")
CONTACT_COLUMNS = (
    "id", "created_at", "updated_at", "customer_id", "name", "title", "mobile", "phone",
    "email", "wechat", "birthday", "is_primary",
)  # fmt: skip
ACTIVITY_COLUMNS = (
    "id", "created_at", "updated_at", "customer_id", "contact_id", "kind", "occurred_at",
    "summary", "outcome", "valid_communication", "next_follow_up_on", "author_id",
)  # fmt: skip
TASK_COLUMNS = (
    "id", "created_at", "updated_at", "title", "kind", "assignee_id", "due_at", "customer_id",
    "notes", "done_at", "created_by_id",
)  # fmt: skip
TAG_LINK_COLUMNS = ("id", "customer_id", "tag_id")

# Unified social credit codes: organisation code weights (GB 11714), the code's alphabet and
# weights (GB 32100), and the heads drawn (registration authority 9, entity types 1–3).
ORGANISATION_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_VALUES = {character: value for value, character in enumerate(USCC_ALPHABET)}
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
CREDIT_CODE_HEADS = ("91", "91", "91", "92", "93")


@dataclass
class Credential:
    username: str
    role: str
    password: str


@dataclass
class DemoResult:
    skipped: bool = False
    credentials: list[Credential] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def database_is_empty() -> bool:
    """No users yet: the state `tend demo --if-empty` fills."""
    return not User.objects.exists()


def create_demo_data(
    *,
    customers: int = 2000,
    seed: int = 42,
    if_empty: bool = False,
    progress: Callable[[str], None] | None = None,
    now: datetime.datetime | None = None,
) -> DemoResult:
    """Create the demo organisation (when there are no users yet) and `customers` customers
    with their contacts, activities and tasks, in one transaction.

    With `if_empty`, do nothing when users already exist. Without it, customers are added to
    the existing organisation, owned by its sales reps."""
    started = time.monotonic()
    say = progress or (lambda message: None)
    if if_empty and not database_is_empty():
        return DemoResult(skipped=True)
    result = DemoResult()
    with rollback_journal(), transaction.atomic(), large_write_cache():
        builder = _Builder(seed=seed, now=now or timezone.now(), started=started, say=say)
        builder.prepare_organisation(result)
        builder.generate(customers, result)
        AuditEntry.objects.create(
            actor=None,
            actor_label="demo",
            action=AuditAction.CREATE,
            object_type="demo",
            object_id=0,
            object_label="demo data",
            changes={name: [None, count] for name, count in result.counts.items()},
            note=f"demo data created (seed {seed})",
        )
    builder.analyse()
    result.seconds = time.monotonic() - started
    say(
        _("done: %(counts)s in %(seconds).1f s")
        % {"counts": _counts_text(result.counts), "seconds": result.seconds}
    )
    return result


def _counts_text(counts: dict[str, int]) -> str:
    labels = {
        "users": _("users"),
        "teams": _("teams"),
        "customers": _("customers"),
        "contacts": _("contacts"),
        "activities": _("activities"),
        "tasks": _("tasks"),
        "tag links": _("tag links"),
        "deals": _("deals"),
        "deal stage changes": _("deal stage changes"),
        "contracts": _("contracts"),
        "contract status changes": _("contract status changes"),
        "orders": _("orders"),
        "payments": _("payments"),
        "payment allocations": _("payment allocations"),
        "tickets": _("tickets"),
        "ticket comments": _("ticket comments"),
        "feedback": _("feedback"),
        "feedback escalations": _("feedback escalations"),
        "leads": _("leads"),
    }
    return ", ".join(f"{count:,} {labels.get(name, name)}" for name, count in counts.items())


def _tables(with_leads: bool) -> list[tuple[str, str, object, tuple]]:
    """What a chunk writes, parents before children: (rows key, count name, model,
    columns). The name index of customers is written beside them and not counted."""
    tables = [
        ("customers", "customers", Customer, CUSTOMER_COLUMNS),
        ("contacts", "contacts", Contact, CONTACT_COLUMNS),
        ("tag_links", "tag links", Customer.tags.through, TAG_LINK_COLUMNS),
        ("activities", "activities", Activity, ACTIVITY_COLUMNS),
        ("tasks", "tasks", Task, TASK_COLUMNS),
        ("deals", "deals", Deal, DEAL_COLUMNS),
        ("deal_stage_changes", "deal stage changes", DealStageChange, STAGE_CHANGE_COLUMNS),
        ("contracts", "contracts", Contract, CONTRACT_COLUMNS),
        (
            "contract_status_changes",
            "contract status changes",
            ContractStatusChange,
            STATUS_CHANGE_COLUMNS,
        ),
        ("orders", "orders", Order, ORDER_COLUMNS),
        ("payments", "payments", Payment, PAYMENT_COLUMNS),
        ("allocations", "payment allocations", PaymentAllocation, ALLOCATION_COLUMNS),
        ("tickets", "tickets", Ticket, TICKET_COLUMNS),
        ("ticket_comments", "ticket comments", TicketComment, COMMENT_COLUMNS),
        ("feedback", "feedback", Feedback, FEEDBACK_COLUMNS),
        ("feedback_escalations", "feedback escalations", FeedbackEscalation, ESCALATION_COLUMNS),
    ]
    if with_leads:
        from tend.leads.models import Lead

        tables.append(("leads", "leads", Lead, LEAD_COLUMNS))
    return tables


class _Pools:
    """Names drawn from Faker once, then reused."""

    def __init__(self, seed: int):
        from faker import Faker

        fake = Faker(["zh_CN", "en_US"])
        fake.seed_instance(seed)
        zh, en = fake["zh_CN"], fake["en_US"]
        self.zh_names = [zh.name() for _ in range(4000)]
        self.en_names = [en.name() for _ in range(800)]
        self.en_companies = [en.company().replace(",", "") for _ in range(600)]
        self.romanized = [
            f"{zh.first_romanized_name()}{zh.last_romanized_name()}".lower() for _ in range(800)
        ]
        # "Mr. Seth Yoder Jr." → "mr.seth.yoder.jr": never two dots in a row or one at the end.
        self.en_logins = [
            ".".join(name.lower().replace(".", " ").replace("'", "").split())
            for name in self.en_names[:400]
        ]


class _Builder:
    def __init__(self, *, seed: int, now: datetime.datetime, started: float, say):
        self.rng = FastRandom(seed)
        # The rest of the journey (deals, orders, service, leads) draws from a stream of its
        # own, so that changing how it is generated changes little of the customers and
        # activities a seed gives.
        self.journey = FastRandom(f"{seed}:journey")
        self.pools = _Pools(seed)
        self.started = started
        self.say = say
        self.vendor = connection.vendor
        # Everything is placed relative to the start of today, so a seed gives the same data
        # all day long.
        midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
        self.anchor = int(midnight.timestamp())
        self.anchor_ordinal = midnight.date().toordinal()
        self.clock = Clock(
            anchor=self.anchor, anchor_ordinal=self.anchor_ordinal, vendor=self.vendor
        )
        self.utc = self.clock.at
        self.date = self.clock.date
        self.regions = Weighted(
            [
                (province, city, division, area)
                for province, weight, cities in data.REGIONS
                for city, division, area in cities
            ],
            [
                weight / len(cities)
                for _province, weight, cities in data.REGIONS
                for _city in cities
            ],
        )
        self.industries = Weighted(data.INDUSTRIES, data.INDUSTRY_WEIGHTS)
        self.sources = Weighted([s for s, _w in data.SOURCES], [w for _s, w in data.SOURCES])
        self.kinds = Weighted(
            [(kind, chance) for kind, _w, chance in data.ACTIVITY_KINDS],
            [weight for _k, weight, _c in data.ACTIVITY_KINDS],
        )
        self.summaries_zh = [
            template.format(product=product)
            for template in data.SUMMARY_TEMPLATES_ZH
            for product in data.PRODUCTS_ZH
        ]
        self.summaries_en = [
            template.format(product=product)
            for template in data.SUMMARY_TEMPLATES_EN
            for product in data.PRODUCTS_EN
        ]
        self.customer_number = 0
        self.busy_number = -1
        self.phones: set[str] = set()
        self.emails: set[str] = set()
        self.credit_codes: set[str] = set()

    # -- helpers -------------------------------------------------------------------------

    def elapsed(self) -> str:
        return f"{time.monotonic() - self.started:.1f} s"

    def pick(self, items):
        return items[int(self.rng.random() * len(items))]

    def pick_journey(self, items):
        return items[int(self.journey.random() * len(items))]

    def mobile(self, rng: random.Random | None = None) -> str:
        rng = rng or self.rng
        prefixes = data.MOBILE_PREFIXES
        while True:
            prefix = prefixes[int(rng.random() * len(prefixes))]
            number = f"+86{prefix}{int(rng.random() * 100_000_000):08d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def landline(self, area: str) -> str:
        while True:
            random = self.rng.random
            subscriber = f"{2 + int(random() * 7)}{int(random() * 10_000_000):07d}"
            number = f"+86{area[1:]}{subscriber}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def unique_email(self, local: str, domain: str, rng: random.Random | None = None) -> str:
        rng = rng or self.rng
        email = f"{local}@{domain}"
        while email in self.emails:
            email = f"{local}{rng.randint(1, 9999)}@{domain}"
        self.emails.add(email)
        return email

    def credit_code(self, division: str) -> str:
        """A unified social credit code: registration authority and entity type, the
        division code of the customer's city, an organisation code with its own check digit
        (GB 11714), and the code's check digit (GB 32100, the rule python-stdnum checks;
        computed here because the library's parse per code is slow at a million)."""
        random = self.rng.random
        while True:
            body = f"{int(random() * 100_000_000):08d}"
            digits = [ord(character) - 48 for character in body]
            total = sum(
                digit * weight for digit, weight in zip(digits, ORGANISATION_WEIGHTS, strict=True)
            )
            check = 11 - total % 11
            organisation_check = "X" if check == 10 else "0" if check == 11 else str(check)
            head = CREDIT_CODE_HEADS[int(random() * len(CREDIT_CODE_HEADS))]
            partial = f"{head}{division}{body}{organisation_check}"
            total = sum(
                USCC_VALUES[character] * weight
                for character, weight in zip(partial, USCC_WEIGHTS, strict=True)
            )
            code = partial + USCC_ALPHABET[(31 - total) % 31]
            if code not in self.credit_codes:
                self.credit_codes.add(code)
                return code

    def activity_count(self) -> int:
        """Heavy-tailed: many silent customers, most with a handful, a few with hundreds;
        about ten per customer on average. The very busy ones are one in every
        BUSY_EVERY customers, at a random place in each such block, so that even a small
        demo has one."""
        number = self.customer_number
        self.customer_number = number + 1
        if number % BUSY_EVERY == 0:
            self.busy_number = number + int(self.rng.random() * BUSY_EVERY)
        if number == self.busy_number:
            return self.rng.randint(200, 700)
        if self.rng.random() < 0.38:
            return self.rng.randint(0, 2)
        return min(int(self.rng.lognormvariate(2.15, 0.85)), 150)

    # -- organisation ------------------------------------------------------------------------

    def prepare_organisation(self, result: DemoResult) -> None:
        if database_is_empty():
            self._create_organisation(result)
        else:
            self.say(
                _("adding customers to the existing organisation (%(elapsed)s)")
                % {"elapsed": self.elapsed()}
            )
        users = list(User.objects.filter(is_active=True).order_by("id"))
        self.admin = next((user for user in users if user.is_admin), None)
        reps = [user for user in users if user.role == Role.SALES_REP]
        self.owners = reps or [u for u in users if u.role == Role.SALES_MANAGER] or users
        self.owner_weights = Weighted(
            self.owners, [1.0 + 0.5 * (i % 3) for i in range(len(self.owners))]
        )
        helpers = [user for user in users if user.role == Role.TELEMARKETING]
        self.pool_workers = helpers or self.owners
        self.others = [
            user for user in users if user.role in (Role.TELEMARKETING, Role.CUSTOMER_SUCCESS)
        ] or self.owners
        self.other_ids = [user.pk for user in self.others]
        # Who records payments, answers tickets and takes escalations, when there are such
        # users; otherwise whoever works the customer does.
        self.finance_ids = [user.pk for user in users if user.role == Role.FINANCE]
        self.service_ids = [user.pk for user in users if user.role == Role.SERVICE]
        self.manager_ids = [user.pk for user in users if user.role == Role.SALES_MANAGER]
        self.definitions = self._custom_field_definitions()
        Tag.objects.bulk_create([Tag(name=name) for name in data.TAGS], ignore_conflicts=True)
        self.tag_ids = list(
            Tag.objects.filter(name__in=data.TAGS).order_by("name").values_list("id", flat=True)
        )

    def _create_organisation(self, result: DemoResult) -> None:
        users: dict[str, User] = {}
        names = iter(self.rng.sample(self.pools.zh_names, len(ORGANISATION)))
        passwords = {username: secrets.token_urlsafe(9) for username, _r, _t in ORGANISATION}
        teams: dict[str, Team] = {}
        for username, role, team_key in ORGANISATION:
            team = teams.get(team_key) if team_key else None
            users[username] = create_user(
                username=username,
                password=passwords[username],
                role=role,
                team=team,
                full_name=next(names),
                email=f"{username}@example.com",
            )
            if role == Role.SALES_MANAGER and not teams:
                teams["head"] = create_team(name=HEAD_TEAM, manager=users[username])
                teams["sub"] = create_team(name=SUB_TEAM, parent=teams["head"])
            result.credentials.append(Credential(username, str(role), passwords[username]))
        result.counts["users"] = len(users)
        result.counts["teams"] = len(teams)
        self.say(
            _("organisation: %(users)d users, %(teams)d teams (%(elapsed)s)")
            % {"users": len(users), "teams": len(teams), "elapsed": self.elapsed()}
        )

    def _custom_field_definitions(self) -> list[str]:
        existing = set(CustomFieldDefinition.objects.values_list("key", flat=True))
        for definition in CUSTOM_FIELDS:
            if definition["key"] not in existing and self.admin is not None:
                create_custom_field_definition(actor=self.admin, data=definition)
                existing.add(definition["key"])
        return [d["key"] for d in CUSTOM_FIELDS if d["key"] in existing]

    # -- customers and everything below them --------------------------------------------

    def generate(self, total: int, result: DemoResult) -> None:
        self.next_ids = {
            "customer": next_id(Customer),
            "contact": next_id(Contact),
            "activity": next_id(Activity),
            "task": next_id(Task),
            "tag_link": next_id(Customer.tags.through),
        }
        self.deals = DealMaker(self)
        self.contracts = ContractMaker(self)
        self.orders = OrderMaker(self, HISTORY_DAYS)
        self.service = ServiceMaker(self)
        self.leads = LeadMaker(self) if leads_ready() else None
        tables = _tables(with_leads=self.leads is not None)
        self.tables = tables
        counts = {name: 0 for _key, name, _model, _columns in tables}
        # Building the indexes afterwards pays when the run at least doubles the data.
        deferred = None
        if total and total >= Customer.objects.count():
            deferred = DeferredIndexes(
                [model._meta.db_table for _key, _name, model, _columns in tables]
                + [CustomerNameGram._meta.db_table]
            )
            deferred.drop()
        if can_fork() and total > CHUNK:
            chunks = chunks_from_child(lambda: self._chunks(total, tables))
        else:
            chunks = self._chunks(total, tables)
        # A large load also rebuilds the kept totals once at the end instead of firing their
        # triggers per row.
        with rebuilt_after_load() if deferred is not None else nullcontext():
            done = 0
            reported = 0
            for size, rows in chunks:
                for key, name, model, columns in tables:
                    counts[name] += bulk_insert(model, columns, rows[key])
                bulk_insert(CustomerNameGram, ("gram", "customer_id"), rows["name_grams"])
                done += size
                if done - reported >= max(total // 10, CHUNK) or done == total:
                    reported = done
                    self._report(done, total, counts)
            if deferred is not None and deferred.saved:
                deferred.rebuild()
                self.say(_("indexes built (%(elapsed)s)") % {"elapsed": self.elapsed()})
        result.counts.update(counts)

    def _report(self, done: int, total: int, counts: dict[str, int]) -> None:
        self.say(
            _(
                "customers %(done)s/%(total)s: %(activities)s activities, %(deals)s "
                "deals, %(orders)s orders, %(payments)s payments, %(tickets)s tickets "
                "(%(elapsed)s)"
            )
            % {
                "done": f"{done:,}",
                "total": f"{total:,}",
                "activities": f"{counts['activities']:,}",
                "deals": f"{counts['deals']:,}",
                "orders": f"{counts['orders']:,}",
                "payments": f"{counts['payments']:,}",
                "tickets": f"{counts['tickets']:,}",
                "elapsed": self.elapsed(),
            }
        )

    def _take_id(self, name: str) -> int:
        value = self.next_ids[name]
        self.next_ids[name] = value + 1
        return value

    def _chunks(self, total: int, tables) -> Iterator[tuple[int, dict[str, list[tuple]]]]:
        """(customers, rows by table) for each chunk of customers, in order."""
        done = 0
        while done < total:
            size = min(CHUNK, total - done)
            rows = {key: [] for key, _name, _model, _columns in tables}
            rows.setdefault("leads", [])
            for _number in range(size):
                self._customer(rows)
            # In key order: the table's primary key is (gram, customer).
            rows["name_grams"] = sorted(
                gram_rows((row[0], row[NAME_COLUMN]) for row in rows["customers"])
            )
            done += size
            yield size, rows

    def _customer(self, rows) -> None:
        rng = self.rng
        pools = self.pools
        customer_id = self._take_id("customer")
        english = rng.random() < 0.12
        person = rng.random() < 0.18
        province, city, division, area = self.regions.draw(rng)
        industry_zh, industry_en, words = self.industries.draw(rng)
        industry = industry_en if english else industry_zh

        if person:
            name = self.pick(pools.en_names if english else pools.zh_names)
            kind = "person"
            credit_code = ""
            phone = self.mobile()
            email = (
                self.unique_email(
                    self.pick(pools.en_logins if english else pools.romanized),
                    self.pick(data.EMAIL_DOMAINS),
                )
                if rng.random() < 0.5
                else ""
            )
        else:
            kind = "company"
            if english:
                name = self.pick(pools.en_companies) + self.pick(data.ENGLISH_COMPANY_SUFFIXES)
            else:
                brand = self.pick(data.BRAND_CHARACTERS) + self.pick(data.BRAND_CHARACTERS)
                name = f"{city[:-1]}{brand}{self.pick(words)}{self.pick(data.COMPANY_SUFFIXES)}"
            credit_code = self.credit_code(division) if rng.random() < 0.85 else ""
            phone = self.landline(area) if area and rng.random() < 0.35 else self.mobile()
            if rng.random() < 0.6:
                domain = (
                    self.pick(data.PINYIN_SYLLABLES)
                    + self.pick(data.PINYIN_SYLLABLES)
                    + self.pick(data.COMPANY_TLDS)
                )
                email = self.unique_email(self.pick(("info", "sales", "contact", "hr")), domain)
            else:
                email = ""
        wechat = (
            f"wx_{self.pick(pools.romanized)}{rng.randint(10, 9999)}" if rng.random() < 0.4 else ""
        )
        address = (
            f"{city}{self.pick(data.DISTRICTS)}{self.pick(data.ROADS)}{rng.randint(1, 999)}号"
            if rng.random() < 0.8
            else ""
        )
        source = self.sources.draw(rng)

        in_pool = rng.random() < 0.12
        owner = None if in_pool else self.owner_weights.draw(rng)
        owner_id = owner.pk if owner else None
        team_id = owner.team_id if owner else None
        worker = owner or self.pick(self.pool_workers)
        facts = CustomerFacts(customer_id, company=not person, english=english)
        facts.owner_id = owner_id
        facts.worker_id = worker.pk
        facts.seller_id = owner_id if owner else self.pick_journey(self.owners).pk

        custom = {}
        if not person and "employee_count" in self.definitions and rng.random() < 0.3:
            custom["employee_count"] = self.pick((8, 15, 30, 60, 120, 300, 800, 2500))
        if "renewal_date" in self.definitions and rng.random() < 0.12:
            custom["renewal_date"] = self.date(self.anchor_ordinal + rng.randint(-60, 365))
        custom_fields = json.dumps(custom, ensure_ascii=False) if custom else "{}"

        # Contacts: a person is their own contact; companies have one to three.
        contact_ids = []
        contact_count = 1 if person else self.pick((1, 1, 1, 2, 2, 3))
        activity_total = self.activity_count()
        if activity_total > 150:
            age_days = rng.randint(600, HISTORY_DAYS)
        else:
            age_days = rng.randint(1, HISTORY_DAYS)
        created = self.anchor - age_days * DAY + rng.randrange(8 * HOUR, 8 * HOUR + 1800)
        created_text = self.utc(created)
        facts.created = created
        facts.created_day = self.anchor_ordinal - age_days
        facts.contact_ids = contact_ids
        self.orders.plan(facts)
        for index in range(contact_count):
            contact_id = self._take_id("contact")
            contact_ids.append(contact_id)
            if person and index == 0:
                contact_name = name
                title = ""
                mobile = phone
            else:
                contact_name = self.pick(pools.en_names if english else pools.zh_names)
                title = self.pick(data.CONTACT_TITLES_EN if english else data.CONTACT_TITLES_ZH)
                mobile = self.mobile()
            contact_email = (
                self.unique_email(
                    self.pick(pools.en_logins if english else pools.romanized),
                    self.pick(data.EMAIL_DOMAINS),
                )
                if rng.random() < 0.3
                else ""
            )
            birthday = (
                self.date(self.anchor_ordinal - rng.randint(22 * 365, 60 * 365))
                if rng.random() < 0.15
                else None
            )
            rows["contacts"].append(
                (
                    contact_id,
                    created_text,
                    created_text,
                    customer_id,
                    contact_name,
                    title,
                    mobile,
                    "",
                    contact_email,
                    "",
                    birthday,
                    index == 0,
                )
            )

        # Activities, oldest first, so that ids grow with time within the customer. A
        # customer that stopped buying is contacted for a few months more, then no longer.
        # The loop is the generator's hottest: random numbers are drawn as floats and
        # scaled, lookups are local.
        random = rng.random
        anchor = self.anchor
        today = self.anchor_ordinal
        clock = self.clock
        draws = [
            (1 + int(random() * age_days), 8 * HOUR + 1800 + int(random() * (11 * HOUR + 1800)))
            for _ in range(activity_total)
        ]
        if facts.stop_day is not None:
            # Moved into the time before it went quiet, a few months after its last order.
            newest = today - facts.stop_day - self.journey.randint(30, 120)
            newest = min(age_days, max(1, newest))
            span = max(1, age_days - 1)
            draws = [
                (newest + (days - 1) * (age_days - newest) // span, seconds)
                for days, seconds in draws
            ]
        times = sorted(anchor - days * DAY + seconds for days, seconds in draws)
        summaries = self.summaries_en if english else self.summaries_zh
        summary_count = len(summaries)
        outcomes = data.OUTCOMES_EN if english else data.OUTCOMES_ZH
        outcome_count = len(outcomes)
        task_titles = data.TASK_TITLES_EN if english else data.TASK_TITLES_ZH
        contact_count = len(contact_ids)
        kinds = self.kinds
        kind_items, kind_cumulative, kind_total = kinds.items, kinds.cumulative, kinds.total
        worker_id = worker.pk
        other_ids = self.other_ids
        at = self.utc
        date = self.date
        day_texts, time_texts, first_day = clock.day_texts, clock.time_texts, clock.first_day
        next_follow_up = None
        activities = rows["activities"]
        tasks = rows["tasks"]
        activity_id = self.next_ids["activity"]
        last_index = activity_total - 1
        for index, occurred in enumerate(times):
            days_back = (anchor - occurred) // DAY + 1
            kind_name, valid_chance = kind_items[
                bisect_right(kind_cumulative, random() * kind_total)
            ]
            follow_up = None
            if index == last_index and days_back <= 30 and random() < 0.6:
                follow_up = date(today + int(random() * 22))
            elif random() < 0.22:
                follow_up = date(today - days_back + 1 + int(random() * 14))
            if follow_up is not None:
                next_follow_up = follow_up
            author_id = worker_id if random() < 0.9 else other_ids[int(random() * len(other_ids))]
            utc_day = occurred // DAY
            occurred_text = day_texts[utc_day - first_day] + time_texts[occurred - utc_day * DAY]
            activities.append(
                (
                    activity_id,
                    occurred_text,
                    occurred_text,
                    customer_id,
                    contact_ids[int(random() * contact_count)] if random() < 0.75 else None,
                    kind_name,
                    occurred_text,
                    summaries[int(random() * summary_count)],
                    outcomes[int(random() * outcome_count)],
                    random() < valid_chance,
                    follow_up,
                    author_id,
                )
            )
            activity_id += 1
            if random() < 0.05:
                tasks.append(
                    (
                        self._take_id("task"),
                        occurred_text,
                        occurred_text,
                        task_titles[int(random() * len(task_titles))],
                        "call" if kind_name == "call" else "follow_up",
                        author_id,
                        occurred_text,
                        customer_id,
                        "",
                        occurred_text,
                        author_id,
                    )
                )
        self.next_ids["activity"] = activity_id

        first_contact = at(times[0]) if times else None
        last_contact = at(times[-1]) if times else None

        if next_follow_up is not None:
            due_ordinal = datetime.date.fromisoformat(next_follow_up).toordinal()
            if due_ordinal >= today - 3:
                due = at(anchor + (due_ordinal - today) * DAY + 10 * HOUR)
                tasks.append(
                    (
                        self._take_id("task"),
                        last_contact,
                        last_contact,
                        self.pick(task_titles),
                        "follow_up",
                        worker_id,
                        due,
                        customer_id,
                        "",
                        None,
                        worker_id,
                    )
                )

        if self.tag_ids and rng.random() < 0.25:
            for tag_id in rng.sample(self.tag_ids, self.pick((1, 1, 2))):
                rows["tag_links"].append((self._take_id("tag_link"), customer_id, tag_id))

        # The rest of the journey: deals, the contracts they led to, orders and payments
        # under those contracts, service. Converted: when it first signed or ordered.
        won, negotiating = self.deals.make(facts, rows)
        spans = self.contracts.make(facts, won, negotiating, rows)
        self.orders.make(facts, spans, rows)
        self.service.make(facts, rows)
        row = (
            customer_id,
            created_text,
            last_contact or created_text,
            kind,
            name,
            industry,
            province,
            city,
            source,
            credit_code,
            phone,
            email,
            wechat,
            address,
            owner_id,
            team_id,
            custom_fields,
            owner_id if owner else worker.pk,
            first_contact,
            last_contact,
            next_follow_up,
            self.utc(facts.converted) if facts.converted is not None else None,
            self.utc(facts.churned_at) if facts.churned_at is not None else None,
            "",
            self.date(facts.order_days[-1]) if facts.order_days else None,
        )
        rows["customers"].append(row)
        if self.leads is not None:
            self.leads.converted(facts, row, source, rows)
            if self.journey.random() < 0.035:
                self.leads.open_lead(rows)

    def analyse(self) -> None:
        """Refresh the planner's statistics after a large load. On PostgreSQL also VACUUM
        (when not inside a transaction, where it cannot run): it marks the new pages
        all-visible, so that counts and lists can use index-only scans straight away instead
        of waiting for autovacuum. SQLite samples a bounded number of rows per index, which
        is plenty for its planner and keeps a million-customer run from reading every table
        once more."""
        models = [model for _key, _name, model, _columns in getattr(self, "tables", [])]
        tables = [
            connection.ops.quote_name(model._meta.db_table) for model in [*models, CustomerNameGram]
        ]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
                for table in tables:
                    cursor.execute(f"{command} {table}")
            elif connection.vendor == "sqlite":
                cursor.execute("PRAGMA analysis_limit")
                limit = cursor.fetchone()[0]
                cursor.execute(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
                try:
                    cursor.execute("PRAGMA optimize")
                finally:
                    cursor.execute(f"PRAGMA analysis_limit = {int(limit)}")
        self.say(_("planner statistics refreshed (%(elapsed)s)") % {"elapsed": self.elapsed()})
