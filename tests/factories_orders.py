"""Orders and payments for tests, made through the real actions."""

import datetime

from tend.orders.actions import create_order, record_payment


def make_order(customer, actor=None, **data):
    data.setdefault("description", "年度软件服务")
    data.setdefault("amount", "1000.00")
    data.setdefault("ordered_on", datetime.date(2026, 1, 10))
    return create_order(actor=actor or customer.owner, customer=customer, data=data)


def make_payment(customer, actor=None, allocations=None, **data):
    """A payment; without `allocations` it settles the oldest orders first, as users' do."""
    data.setdefault("amount", "500.00")
    data.setdefault("received_on", datetime.date(2026, 2, 1))
    return record_payment(
        actor=actor or customer.owner, customer=customer, data=data, allocations=allocations
    )
