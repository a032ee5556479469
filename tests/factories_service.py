"""Tickets and feedback for tests, made through the real actions."""

import itertools

from tend.service.actions import create_feedback, create_ticket

_sequence = itertools.count(1)


def make_ticket(customer, actor=None, at=None, **data):
    data.setdefault("subject", f"工单 {next(_sequence)}")
    data["customer"] = customer.pk
    return create_ticket(actor=actor or customer.owner, data=data, at=at)


def make_feedback(customer, actor=None, at=None, **data):
    data.setdefault("subject", f"反馈 {next(_sequence)}")
    data.setdefault("kind", "complaint")
    data["customer"] = customer.pk
    return create_feedback(actor=actor or customer.owner, data=data, at=at)
