"""Random customer histories for the status engine's tests (facts, rules)."""

import datetime
import random

from django.utils import timezone

from tend.activities.models import Activity
from tend.customers.models import Customer
from tend.status.actions import change_state
from tend.status.materialized import refresh_facts
from tend.status.models import Dimension, Door, State
from tests.factories import make_customer
from tests.factories_orders import make_order
from tests.factories_service import make_feedback, make_ticket


def random_activities(customer, author, chance, now, *, days: int, most: int, valid: float):
    """Up to `most` follow-ups in the last `days` days, each valid with chance `valid`.
    Written directly: the tests need the past, which logging refuses to backdate freely."""
    for day in chance.sample(range(1, days), chance.randrange(0, most + 1)):
        Activity.objects.create(
            customer=customer,
            author=author,
            kind="call",
            summary="沟通",
            occurred_at=now - datetime.timedelta(days=day),
            valid_communication=chance.random() < valid,
        )


def random_customers(org, admin, now, *, count: int, seed: int) -> list:
    """Customers with random histories: valid and other activities, tickets, complaints,
    orders (some overdue), lifecycle states, some never contacted; stored facts refreshed."""
    chance = random.Random(seed)
    lifecycle = Dimension.objects.get(key="lifecycle")
    made = []
    for index in range(count):
        customer = make_customer(
            chance.choice([org.rep, org.branch_rep, org.other_rep]), name=f"客户{index}号有限公司"
        )
        random_activities(customer, admin, chance, now, days=200, most=4, valid=0.6)
        if chance.random() < 0.7:
            Customer.objects.filter(pk=customer.pk).update(
                last_contact_at=now - datetime.timedelta(days=chance.randrange(1, 400)),
                last_order_on=(now - datetime.timedelta(days=chance.randrange(1, 700))).date()
                if chance.random() < 0.5
                else None,
            )
        for _ in range(chance.randrange(0, 3)):
            make_ticket(
                customer, actor=admin, at=now - datetime.timedelta(days=chance.randrange(200))
            )
        if chance.random() < 0.3:
            make_feedback(
                customer,
                actor=admin,
                at=now - datetime.timedelta(days=chance.randrange(1, 150)),
                kind="complaint",
            )
        if chance.random() < 0.6:
            change_state(
                actor=admin,
                customer=customer,
                dimension=lifecycle,
                state=State.objects.get(
                    dimension=lifecycle, key=chance.choice(["lead", "churned"])
                ),
                door=Door.WEB,
                reason="导入的历史状态",
                at=now - datetime.timedelta(days=30),
            )
        for number in range(chance.randrange(0, 5)):
            ordered_on = timezone.localdate(now) - datetime.timedelta(days=chance.randrange(1, 400))
            make_order(
                customer,
                actor=admin,
                number=f"SO-{index}-{number}",
                amount=str(chance.randrange(100, 90000)),
                ordered_on=ordered_on,
                due_on=ordered_on + datetime.timedelta(days=chance.choice([15, 500])),
            )
        made.append(customer)
    refresh_facts(now)
    return made
