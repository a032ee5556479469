"""CustomerFacts computed for every customer by grouped scans must equal what each customer's
own records say (computed here in Python, and by the receivables selector), for a full
refresh and for one customer's; RFM scores are quintiles among customers with orders."""

import datetime
import random
from decimal import Decimal

import pytest
from django.utils import timezone

from tend.activities.models import Activity
from tend.customers.actions import delete_customer
from tend.orders.models import Order
from tend.orders.selectors import receivables_for
from tend.service.models import OPEN_TICKET_STATUSES, Feedback, Ticket
from tend.status.materialized import refresh_facts
from tend.status.models import CustomerFacts
from tests.factories import make_customer
from tests.factories_orders import make_order, make_payment
from tests.factories_service import make_feedback, make_ticket
from tests.factories_status import random_activities

NOW = timezone.now().replace(microsecond=0)
TODAY = timezone.localdate(NOW)
DAY = datetime.timedelta(days=1)


@pytest.fixture
def customers(org, admin):
    chance = random.Random(3)
    made = []
    for index in range(30):
        customer = make_customer(
            chance.choice([org.rep, org.other_rep]), name=f"客户{index}号有限公司"
        )
        random_activities(customer, admin, chance, NOW, days=300, most=5, valid=0.5)
        for number in range(chance.randrange(0, 6)):
            ordered_on = TODAY - chance.randrange(1, 500) * DAY
            make_order(
                customer,
                actor=admin,
                number=f"SO-{index}-{number}",
                amount=str(chance.randrange(100, 90000)),
                ordered_on=ordered_on,
                due_on=ordered_on + chance.choice([10, 30, 400]) * DAY,
            )
        if chance.random() < 0.4 and Order.objects.filter(customer=customer).exists():
            make_payment(customer, actor=admin, amount=str(chance.randrange(100, 50000)))
        for _ in range(chance.randrange(0, 3)):
            make_ticket(customer, actor=admin, at=NOW - chance.randrange(1, 100) * DAY)
        if chance.random() < 0.4:
            make_feedback(
                customer, actor=admin, at=NOW - chance.randrange(1, 200) * DAY, kind="complaint"
            )
        made.append(customer)
    return made


def expected_facts(customer) -> dict:
    activities = Activity.objects.filter(customer=customer, deleted_at__isnull=True)
    valid = [a for a in activities if a.valid_communication]
    orders = list(Order.objects.filter(customer=customer, deleted_at__isnull=True))

    def revenue(newer_than_days, up_to_days=0):
        return sum(
            (
                o.amount
                for o in orders
                if TODAY - newer_than_days * DAY < o.ordered_on <= TODAY - up_to_days * DAY
            ),
            Decimal(0),
        )

    receivables = receivables_for([customer.pk], today=TODAY)[customer.pk]
    return {
        "valid_activities": len(valid),
        "last_valid_contact_at": max((a.occurred_at for a in valid), default=None),
        "activities_90d": sum(1 for a in activities if a.occurred_at >= NOW - 90 * DAY),
        "orders_total": len(orders),
        "revenue_total": sum((o.amount for o in orders), Decimal(0)),
        "orders_365d": sum(1 for o in orders if o.ordered_on > TODAY - 365 * DAY),
        "revenue_365d": revenue(365),
        "revenue_q1": revenue(90),
        "revenue_q2": revenue(180, 90),
        "revenue_q3": revenue(270, 180),
        "open_tickets": Ticket.objects.filter(
            customer=customer, deleted_at__isnull=True, status__in=OPEN_TICKET_STATUSES
        ).count(),
        "complaints_90d": Feedback.objects.filter(
            customer=customer,
            deleted_at__isnull=True,
            kind="complaint",
            received_at__gte=NOW - 90 * DAY,
        ).count(),
        "overdue_amount": receivables.overdue,
        "oldest_overdue_on": receivables.oldest_overdue_due_on,
    }


def stored_facts(customer) -> dict:
    facts = CustomerFacts.objects.get(customer=customer)
    found = {name: getattr(facts, name) for name in expected_facts(customer)}
    for name in ("revenue_total", "revenue_365d", "revenue_q1", "revenue_q2", "revenue_q3",
                 "overdue_amount"):  # fmt: skip
        found[name] = Decimal(found[name]).quantize(Decimal("0.01"))
    return found


def test_a_full_refresh_equals_each_customers_records(customers):
    assert refresh_facts(NOW) == len(customers)
    for customer in customers:
        assert stored_facts(customer) == expected_facts(customer), customer.name
    # The data exercises every fact somewhere.
    facts = CustomerFacts.objects.all()
    for name in ("valid_activities", "orders_total", "open_tickets", "complaints_90d"):
        assert any(getattr(row, name) for row in facts), name
    assert any(row.overdue_amount for row in facts)


def test_one_customers_refresh_touches_only_its_row(customers, admin):
    refresh_facts(NOW - DAY)
    customer = customers[0]
    make_ticket(customer, actor=admin, at=NOW)
    assert refresh_facts(NOW, customer_ids=[customer.pk]) == 1
    assert stored_facts(customer) == expected_facts(customer)
    assert CustomerFacts.objects.get(customer=customer).refreshed_at == NOW
    others = CustomerFacts.objects.exclude(customer=customer)
    assert set(others.values_list("refreshed_at", flat=True)) == {NOW - DAY}


def test_rfm_scores_are_quintiles_among_customers_with_orders(customers):
    refresh_facts(NOW)
    with_orders = list(CustomerFacts.objects.filter(orders_total__gt=0).select_related("customer"))
    without = CustomerFacts.objects.filter(orders_total=0)
    assert with_orders and without.exists()
    assert not without.exclude(r_score__isnull=True).exists()
    for row in with_orders:
        assert {row.r_score, row.f_score, row.m_score} <= {1, 2, 3, 4, 5}
        assert row.rfm_segment in {"champion", "new", "at_risk", "hibernating", "loyal", "regular"}
    # More revenue never scores lower; a more recent last order never scores lower.
    by_revenue = sorted(with_orders, key=lambda row: (row.revenue_total, row.customer_id))
    assert [row.m_score for row in by_revenue] == sorted(row.m_score for row in by_revenue)
    by_recency = sorted(with_orders, key=lambda row: (row.customer.last_order_on, row.customer_id))
    assert [row.r_score for row in by_recency] == sorted(row.r_score for row in by_recency)


def test_deleted_customers_have_no_facts(customers, org):
    gone = [c for c in customers if c.owner == org.rep][:1]
    for customer in gone:
        delete_customer(actor=org.rep, customer=customer)
    refresh_facts(NOW)
    assert CustomerFacts.objects.filter(customer__in=gone).count() == 0
