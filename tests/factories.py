"""Test data, built through the real actions wherever a record has one, so tests exercise the
same paths as users do."""

import itertools

from django.utils import timezone

from tend.accounts.actions import create_team, create_user
from tend.accounts.models import Role
from tend.activities.actions import create_task, log_activity
from tend.customers.actions import create_contact, create_customer

_sequence = itertools.count(1)
PASSWORD = "correct-horse-battery-staple"


def make_user(role=Role.SALES_REP, team=None, username=None, **extra):
    number = next(_sequence)
    return create_user(
        username=username or f"user{number}",
        password=PASSWORD,
        role=role,
        team=team,
        full_name=extra.pop("full_name", f"User {number}"),
        check_password_strength=False,
        **extra,
    )


def make_team(name=None, manager=None, parent=None):
    return create_team(name=name or f"Team {next(_sequence)}", manager=manager, parent=parent)


def make_customer(owner, **data):
    data.setdefault("name", f"客户 {next(_sequence)}")
    return create_customer(actor=owner, data=data)


def make_contact(customer, actor=None, **data):
    data.setdefault("name", f"联系人 {next(_sequence)}")
    return create_contact(actor=actor or customer.owner, customer=customer, data=data)


def make_activity(customer, actor=None, **data):
    data.setdefault("kind", "call")
    data.setdefault("occurred_at", timezone.now())
    data.setdefault("summary", "电话沟通")
    return log_activity(actor=actor or customer.owner, customer=customer, data=data)


def make_task(actor, **data):
    data.setdefault("title", f"回访 {next(_sequence)}")
    data.setdefault("due_at", timezone.now() + timezone.timedelta(days=1))
    return create_task(actor=actor, data=data)
