import datetime
import hashlib

import pytest
from django.db import transaction
from django.db.models import Count, Max, Min

from tend.accounts.models import Role, Team, User
from tend.activities.models import Activity, Task
from tend.audit.models import AuditEntry
from tend.core.validators import normalize_credit_code, normalize_email, normalize_phone
from tend.customers.models import Contact, Customer, CustomFieldDefinition
from tend.demo.generator import ORGANISATION, create_demo_data
from tests.factories import make_user

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2025, 6, 18, 9, 30, tzinfo=datetime.UTC)


def _digest() -> str:
    """Names, phones and activity counts of every customer, in creation order."""
    rows = Customer.objects.annotate(activity_count=Count("activities")).order_by("id")
    text = "\n".join(f"{c.name}|{c.phone}|{c.activity_count}" for c in rows)
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def demo():
    """200 demo customers on a fixed day."""
    return create_demo_data(customers=200, seed=1, now=NOW)


def test_demo_command_with_the_same_seed_gives_the_same_data(tend):
    with transaction.atomic():
        code, _out, _err = tend("demo", "--customers", "200", "--seed", "1")
        assert code == 0
        first = _digest()
        transaction.set_rollback(True)
    assert Customer.objects.count() == 0

    code, _out, _err = tend("demo", "--customers", "200", "--seed", "1")

    assert code == 0
    assert Customer.objects.count() == 200
    assert _digest() == first


def _digest_of_demo(seed: int) -> str:
    """The digest of a demo run, rolled back afterwards."""
    with transaction.atomic():
        create_demo_data(customers=200, seed=seed, now=NOW)
        digest = _digest()
        transaction.set_rollback(True)
    return digest


def test_another_seed_gives_other_data():
    assert _digest_of_demo(1) == _digest_of_demo(1)
    assert _digest_of_demo(1) != _digest_of_demo(2)


def test_demo_prints_progress_and_the_credentials_once(tend):
    code, out, _err = tend("demo", "--customers", "50", "--seed", "3")

    assert code == 0
    assert out.splitlines()[0].startswith("organisation: 11 users, 2 teams (")
    assert "customers 50/50: " in out
    table = out.split("Demo accounts (the passwords are shown only this once):\n")[1]
    rows = [line.split() for line in table.splitlines()[2:]]
    assert [(row[0], row[1]) for row in rows] == [(u, str(r)) for u, r, _t in ORGANISATION]
    for username, _role, password in rows:
        assert User.objects.get(username=username).check_password(password)


def test_demo_organisation_has_every_role_and_a_nested_team(demo):
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    head = Team.objects.get(parent=None)
    sub = Team.objects.get(parent=head)
    assert head.manager.role == Role.SALES_MANAGER
    assert User.objects.filter(team=head, role=Role.SALES_REP).count() == 2
    assert User.objects.filter(team=sub, role=Role.SALES_REP).count() == 2
    owner_roles = set(
        Customer.objects.filter(owner__isnull=False).values_list("owner__role", flat=True)
    )
    assert owner_roles == {Role.SALES_REP}
    assert Customer.objects.filter(owner__isnull=True).exists()
    assert set(CustomFieldDefinition.objects.values_list("key", flat=True)) == {
        "employee_count",
        "renewal_date",
    }


def test_demo_writes_one_audit_entry_for_the_run(demo):
    entry = AuditEntry.objects.get(actor_label="demo")

    assert entry.note == "demo data created (seed 1)"
    assert entry.changes["customers"] == [None, 200]
    assert entry.changes["activities"] == [None, Activity.objects.count()]


def test_demo_time_nodes_agree_with_the_activities(demo):
    bounds = {
        row["customer_id"]: row
        for row in Activity.objects.values("customer_id").annotate(
            first=Min("occurred_at"), last=Max("occurred_at")
        )
    }
    latest_follow_up = {}
    for customer_id, follow_up in (
        Activity.objects.filter(next_follow_up_on__isnull=False)
        .order_by("occurred_at", "id")
        .values_list("customer_id", "next_follow_up_on")
    ):
        latest_follow_up[customer_id] = follow_up

    customers = list(Customer.objects.all())
    assert len(customers) == 200
    for customer in customers:
        bound = bounds.get(customer.pk)
        assert customer.first_contact_at == (bound["first"] if bound else None)
        assert customer.last_contact_at == (bound["last"] if bound else None)
        assert customer.next_follow_up_on == latest_follow_up.get(customer.pk)
        if bound:
            assert customer.created_at <= bound["first"]
    assert latest_follow_up  # some follow-ups were planned


def test_demo_activities_are_in_the_past_and_heavy_tailed(demo):
    counts = sorted(Customer.objects.annotate(n=Count("activities")).values_list("n", flat=True))
    total = sum(counts)

    assert Activity.objects.filter(occurred_at__gte=NOW).count() == 0
    assert Activity.objects.filter(occurred_at__lt=NOW - datetime.timedelta(days=731)).count() == 0
    assert 5 <= total / len(counts) <= 15
    assert counts.count(0) >= 20  # silent customers
    assert counts[-1] >= 10 * (total / len(counts))  # and a very busy one
    assert Activity.objects.filter(valid_communication=True).exists()
    assert Activity.objects.filter(valid_communication=False).exists()
    assert Task.objects.filter(done_at__isnull=True).exists()
    assert Task.objects.filter(done_at__isnull=False).exists()


def test_demo_phones_credit_codes_and_emails_pass_the_validators(demo):
    customers = list(Customer.objects.all())
    codes = [c.credit_code for c in customers if c.credit_code]
    assert len(codes) > 50
    for code in codes:
        assert normalize_credit_code(code) == code
    for customer in customers:
        assert normalize_phone(customer.phone) == customer.phone
        assert normalize_email(customer.email) == customer.email
    for mobile, email in Contact.objects.values_list("mobile", "email"):
        assert normalize_phone(mobile) == mobile
        assert normalize_email(email) == email
    assert len({c.phone for c in customers}) == len(customers)
    assert len(set(codes)) == len(codes)


def test_demo_credit_codes_carry_the_city_division_code(demo):
    customer = Customer.objects.filter(city="深圳市").exclude(credit_code="").first()

    assert customer.credit_code[2:8] == "440300"


def test_demo_if_empty_does_nothing_the_second_time(tend):
    code, _out, _err = tend("demo", "--customers", "30", "--seed", "5", "--if-empty")
    assert code == 0
    counts = (User.objects.count(), Customer.objects.count(), Activity.objects.count())

    code, out, _err = tend("demo", "--customers", "30", "--seed", "5", "--if-empty")

    assert code == 0
    assert out == "The database already has users: no demo data created.\n"
    assert (User.objects.count(), Customer.objects.count(), Activity.objects.count()) == counts
    assert AuditEntry.objects.filter(actor_label="demo").count() == 1


def test_demo_on_a_database_with_users_asks_for_intent_and_writes_nothing(tend):
    make_user(username="only_rep")

    code, _out, err = tend("demo", "--customers", "40", "--seed", "5")

    assert code == 2
    assert "--add-to-existing" in err
    assert Customer.objects.count() == 0


def test_demo_with_add_to_existing_adds_customers_to_the_existing_organisation(tend):
    rep = make_user(username="only_rep")

    code, out, _err = tend("demo", "--customers", "40", "--seed", "5", "--add-to-existing")

    assert code == 0
    assert "Demo accounts" not in out
    assert User.objects.count() == 1
    assert Customer.objects.count() == 40
    assert set(Customer.objects.exclude(owner=None).values_list("owner", flat=True)) == {rep.pk}


def test_demo_twice_keeps_ids_unique_and_adds_up(demo):
    create_demo_data(customers=100, seed=9, now=NOW)

    assert Customer.objects.count() == 300
    assert User.objects.count() == len(ORGANISATION)
    created = Customer.objects.create(name="一个新客户")  # the ORM's ids continue past the demo's
    assert created.pk > Customer.objects.exclude(pk=created.pk).aggregate(m=Max("id"))["m"]


def test_demo_refuses_a_negative_count(tend):
    code, _out, err = tend("demo", "--customers", "-1")

    assert code == 2
    assert err == "Some fields are not valid.\n  customers: Enter zero or more.\n"
    assert User.objects.count() == 0


def test_demo_never_reuses_the_id_of_a_purged_customer(demo):
    newest = Customer.objects.order_by("-id").first()
    purged_id = newest.pk
    Customer.objects.filter(pk=purged_id).delete()

    create_demo_data(customers=5, seed=3, now=NOW)

    assert not Customer.objects.filter(pk=purged_id).exists()
    assert Customer.objects.order_by("id").last().pk > purged_id
