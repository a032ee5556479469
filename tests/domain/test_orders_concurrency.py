"""Simultaneous allocations. PostgreSQL only: the payment and order rows are locked there, so
two allocations at once can never together exceed a payment or an order."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum

from tend.core.errors import ValidationFailed
from tend.orders.actions import allocate_payment, auto_allocate_payment
from tend.orders.models import Payment, PaymentAllocation
from tests.domain.test_concurrency import run_together
from tests.factories import make_customer
from tests.factories_orders import make_order, make_payment

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: row locks (select_for_update) and a database shared by threads",
    ),
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

ROUNDS = 10


def allocated_to(order) -> Decimal:
    return PaymentAllocation.objects.filter(order=order).aggregate(total=Sum("amount"))["total"]


def settle(actor, payment_id):
    return lambda: auto_allocate_payment(actor=actor, payment=Payment.objects.get(pk=payment_id))


def split(actor, payment_id, order_id, refused):
    def job():
        try:
            allocate_payment(
                actor=actor,
                payment=Payment.objects.get(pk=payment_id),
                data={"order": order_id, "amount": "70"},
            )
        except ValidationFailed:
            refused.append(order_id)

    return job


def test_two_payments_settling_one_order_at_once_never_overpay_it(org):
    for _round in range(ROUNDS):
        customer = make_customer(org.rep)
        order = make_order(customer, amount="100")
        first = make_payment(customer, amount="80", allocations=[])
        second = make_payment(customer, amount="80", allocations=[])
        run_together(settle(org.rep, first.pk), settle(org.rep, second.pk))
        assert allocated_to(order) == Decimal("100.00")


def test_one_payment_split_twice_at_once_never_exceeds_it(org):
    for _round in range(ROUNDS):
        customer = make_customer(org.rep)
        orders = [make_order(customer, amount="100") for _ in range(2)]
        payment = make_payment(customer, amount="100", allocations=[])
        refused = []
        run_together(
            split(org.rep, payment.pk, orders[0].pk, refused),
            split(org.rep, payment.pk, orders[1].pk, refused),
        )
        total = PaymentAllocation.objects.filter(payment=payment).aggregate(total=Sum("amount"))
        assert total["total"] == Decimal("70.00")
        assert len(refused) == 1
