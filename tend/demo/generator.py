"""Demo data: an organisation, customers with contacts, two years of activities and tasks.

Deterministic for a given seed and day: one `random.Random(seed)` draws everything, and Faker
(seeded the same way) only fills small pools of names that the generator then draws from —
calling Faker a million times would take longer than writing the rows.

Users, teams and custom-field definitions go through their actions (a handful of records).
Customers, contacts, activities, tasks and tag links are built as tuples and written with
`tend.core.bulk.bulk_insert`, so that 100,000 customers with about a million activities take
well under two minutes. They therefore bypass the per-row actions and their audit entries;
one audit entry records the demo run instead. Each customer's time nodes (first and last
contact, next follow-up) are computed from the activities generated for it, exactly as
logging those activities one by one would have left them."""

import bisect
import datetime
import json
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tend.accounts.actions import create_team, create_user
from tend.accounts.models import Role, Team, User
from tend.activities.models import Activity, Task
from tend.audit.models import AuditAction, AuditEntry
from tend.core.bulk import bulk_insert, large_write_cache, next_id
from tend.customers.actions import create_custom_field_definition
from tend.customers.models import (
    Contact,
    Customer,
    CustomerNameGram,
    CustomFieldDefinition,
    Tag,
)
from tend.customers.search import gram_rows
from tend.demo import data

CHUNK = 5_000  # customers generated and written per round (bounds memory)
HISTORY_DAYS = 730

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
    "next_follow_up_on", "converted_at", "churned_at", "external_id",
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

_EPOCH = datetime.datetime(1970, 1, 1)


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
    with transaction.atomic(), large_write_cache():
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
    }
    return ", ".join(f"{count:,} {labels.get(name, name)}" for name, count in counts.items())


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
        self.en_logins = [
            name.lower().replace(" ", ".").replace("'", "") for name in self.en_names[:400]
        ]


class _Weighted:
    """Draw from weighted items with one random number (faster than random.choices)."""

    def __init__(self, items, weights):
        self.items = list(items)
        self.cumulative = []
        total = 0
        for weight in weights:
            total += weight
            self.cumulative.append(total)
        self.total = total

    def draw(self, rng: random.Random):
        return self.items[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


class _Builder:
    def __init__(self, *, seed: int, now: datetime.datetime, started: float, say):
        self.rng = random.Random(seed)
        self.pools = _Pools(seed)
        self.started = started
        self.say = say
        self.vendor = connection.vendor
        self.utc_suffix = "+00" if self.vendor == "postgresql" else ""
        # Everything is placed relative to the start of today, so a seed gives the same data
        # all day long.
        midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
        self.anchor = int(midnight.timestamp())
        self.anchor_ordinal = midnight.date().toordinal()
        self.date_texts: dict[int, str] = {}
        self.regions = _Weighted(
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
        self.industries = _Weighted(data.INDUSTRIES, data.INDUSTRY_WEIGHTS)
        self.sources = _Weighted([s for s, _w in data.SOURCES], [w for _s, w in data.SOURCES])
        self.kinds = _Weighted(
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
        self.phones: set[str] = set()
        self.emails: set[str] = set()
        self.credit_codes: set[str] = set()

    # -- helpers -------------------------------------------------------------------------

    def elapsed(self) -> str:
        return f"{time.monotonic() - self.started:.1f} s"

    def utc(self, timestamp: int) -> str:
        return (_EPOCH + datetime.timedelta(seconds=timestamp)).isoformat(" ") + self.utc_suffix

    def date(self, ordinal: int) -> str:
        text = self.date_texts.get(ordinal)
        if text is None:
            text = self.date_texts[ordinal] = datetime.date.fromordinal(ordinal).isoformat()
        return text

    def pick(self, items):
        return items[int(self.rng.random() * len(items))]

    def mobile(self) -> str:
        while True:
            number = f"+86{self.pick(data.MOBILE_PREFIXES)}{self.rng.randrange(10**8):08d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def landline(self, area: str) -> str:
        while True:
            subscriber = f"{self.rng.randint(2, 8)}{self.rng.randrange(10**7):07d}"
            number = f"+86{area[1:]}{subscriber}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def unique_email(self, local: str, domain: str) -> str:
        email = f"{local}@{domain}"
        while email in self.emails:
            email = f"{local}{self.rng.randint(1, 9999)}@{domain}"
        self.emails.add(email)
        return email

    def credit_code(self, division: str) -> str:
        """A unified social credit code: registration authority and entity type, the
        division code of the customer's city, an organisation code with its own check digit
        (GB 11714), and the code's check digit (GB 32100, via python-stdnum)."""
        from stdnum.cn import uscc

        while True:
            body = f"{self.rng.randrange(10**8):08d}"
            total = sum(int(d) * w for d, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
            check = 11 - total % 11
            organisation = body + {10: "X", 11: "0"}.get(check, str(check))
            head = self.pick(("91", "91", "91", "92", "93"))
            partial = f"{head}{division}{organisation}"
            code = partial + uscc.calc_check_digit(partial)
            if code not in self.credit_codes:
                self.credit_codes.add(code)
                return code

    def activity_count(self) -> int:
        """Heavy-tailed: many silent customers, most with a handful, a few with hundreds;
        about ten per customer on average."""
        draw = self.rng.random()
        if draw < 0.004:
            return self.rng.randint(200, 700)
        if draw < 0.38:
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
        self.owner_weights = _Weighted(
            self.owners, [1.0 + 0.5 * (i % 3) for i in range(len(self.owners))]
        )
        helpers = [user for user in users if user.role == Role.TELEMARKETING]
        self.pool_workers = helpers or self.owners
        self.others = [
            user for user in users if user.role in (Role.TELEMARKETING, Role.CUSTOMER_SUCCESS)
        ] or self.owners
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
        counts = dict.fromkeys(("customers", "contacts", "activities", "tasks", "tag links"), 0)
        done = 0
        reported = 0
        while done < total:
            size = min(CHUNK, total - done)
            rows = self._chunk(size)
            counts["customers"] += bulk_insert(Customer, CUSTOMER_COLUMNS, rows["customers"])
            bulk_insert(
                CustomerNameGram,
                ("gram", "customer_id"),
                gram_rows((row[0], row[NAME_COLUMN]) for row in rows["customers"]),
            )
            counts["contacts"] += bulk_insert(Contact, CONTACT_COLUMNS, rows["contacts"])
            counts["tag links"] += bulk_insert(
                Customer.tags.through, TAG_LINK_COLUMNS, rows["tag_links"]
            )
            counts["activities"] += bulk_insert(Activity, ACTIVITY_COLUMNS, rows["activities"])
            counts["tasks"] += bulk_insert(Task, TASK_COLUMNS, rows["tasks"])
            done += size
            if done - reported >= max(total // 10, CHUNK) or done == total:
                reported = done
                self.say(
                    _(
                        "customers %(done)s/%(total)s: %(activities)s activities, "
                        "%(contacts)s contacts, %(tasks)s tasks (%(elapsed)s)"
                    )
                    % {
                        "done": f"{done:,}",
                        "total": f"{total:,}",
                        "activities": f"{counts['activities']:,}",
                        "contacts": f"{counts['contacts']:,}",
                        "tasks": f"{counts['tasks']:,}",
                        "elapsed": self.elapsed(),
                    }
                )
        result.counts.update(counts)

    def _take_id(self, name: str) -> int:
        value = self.next_ids[name]
        self.next_ids[name] = value + 1
        return value

    def _chunk(self, size: int) -> dict[str, list[tuple]]:
        rows = {"customers": [], "contacts": [], "activities": [], "tasks": [], "tag_links": []}
        for _number in range(size):
            self._customer(rows)
        return rows

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
        created = self.anchor - age_days * 86400 + rng.randrange(8 * 3600, 8 * 3600 + 1800)
        created_text = self.utc(created)
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

        # Activities, oldest first, so that ids grow with time within the customer.
        anchor = self.anchor
        times = sorted(
            anchor - rng.randint(1, age_days) * 86400 + rng.randrange(8 * 3600 + 1800, 20 * 3600)
            for _ in range(activity_total)
        )
        summaries = self.summaries_en if english else self.summaries_zh
        outcomes = data.OUTCOMES_EN if english else data.OUTCOMES_ZH
        task_titles = data.TASK_TITLES_EN if english else data.TASK_TITLES_ZH
        next_follow_up = None
        activities = rows["activities"]
        last_index = activity_total - 1
        for index, occurred in enumerate(times):
            days_back = -((occurred - anchor) // 86400)
            kind_name, valid_chance = self.kinds.draw(rng)
            follow_up = None
            if index == last_index and days_back <= 30 and rng.random() < 0.6:
                follow_up = self.date(self.anchor_ordinal + rng.randint(0, 21))
            elif rng.random() < 0.22:
                follow_up = self.date(self.anchor_ordinal - days_back + rng.randint(1, 14))
            if follow_up is not None:
                next_follow_up = follow_up
            author = worker if rng.random() < 0.9 else self.pick(self.others)
            occurred_text = self.utc(occurred)
            activity_id = self._take_id("activity")
            activities.append(
                (
                    activity_id,
                    occurred_text,
                    occurred_text,
                    customer_id,
                    self.pick(contact_ids) if rng.random() < 0.75 else None,
                    kind_name,
                    occurred_text,
                    self.pick(summaries),
                    self.pick(outcomes),
                    rng.random() < valid_chance,
                    follow_up,
                    author.pk,
                )
            )
            if rng.random() < 0.05:
                rows["tasks"].append(
                    (
                        self._take_id("task"),
                        occurred_text,
                        occurred_text,
                        self.pick(task_titles),
                        "call" if kind_name == "call" else "follow_up",
                        author.pk,
                        occurred_text,
                        customer_id,
                        "",
                        occurred_text,
                        author.pk,
                    )
                )

        first_contact = self.utc(times[0]) if times else None
        last_contact = self.utc(times[-1]) if times else None
        converted = churned = None
        if activity_total >= 3 and rng.random() < 0.3:
            converted = self.utc(times[activity_total // 2])
            if times[-1] < anchor - 180 * 86400 and rng.random() < 0.4:
                churned = self.utc(times[-1] + rng.randint(60, 150) * 86400)

        if next_follow_up is not None:
            due_ordinal = datetime.date.fromisoformat(next_follow_up).toordinal()
            if due_ordinal >= self.anchor_ordinal - 3:
                due = self.utc(anchor + (due_ordinal - self.anchor_ordinal) * 86400 + 10 * 3600)
                rows["tasks"].append(
                    (
                        self._take_id("task"),
                        last_contact,
                        last_contact,
                        self.pick(task_titles),
                        "follow_up",
                        worker.pk,
                        due,
                        customer_id,
                        "",
                        None,
                        worker.pk,
                    )
                )

        if self.tag_ids and rng.random() < 0.25:
            for tag_id in rng.sample(self.tag_ids, self.pick((1, 1, 2))):
                rows["tag_links"].append((self._take_id("tag_link"), customer_id, tag_id))

        rows["customers"].append(
            (
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
                converted,
                churned,
                "",
            )
        )

    def analyse(self) -> None:
        """Refresh the planner's statistics after a large load. On PostgreSQL also VACUUM
        (when not inside a transaction, where it cannot run): it marks the new pages
        all-visible, so that counts and lists can use index-only scans straight away instead
        of waiting for autovacuum."""
        tables = [
            connection.ops.quote_name(model._meta.db_table)
            for model in (Customer, Contact, Activity, Task, Customer.tags.through)
        ]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
                for table in tables:
                    cursor.execute(f"{command} {table}")
            elif connection.vendor == "sqlite":
                cursor.execute("PRAGMA optimize")
        self.say(_("planner statistics refreshed (%(elapsed)s)") % {"elapsed": self.elapsed()})
