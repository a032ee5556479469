"""Deals for tests, made through the real actions."""

import itertools

from tend.deals.actions import create_deal, install_default_pipeline
from tend.deals.models import Stage

_sequence = itertools.count(1)


def default_pipeline():
    """The default pipeline of seed 000 (a flushed test database may have lost the one the
    data migration made)."""
    return install_default_pipeline()


def stage(pipeline, key: str) -> Stage:
    return Stage.objects.get(pipeline=pipeline, key=key)


def make_deal(customer, actor=None, **data):
    data.setdefault("name", f"商机 {next(_sequence)}")
    data.setdefault("customer", customer.pk)
    at = data.pop("at", None)
    if "pipeline" not in data:
        default_pipeline()
    return create_deal(actor=actor or customer.owner, data=data, at=at)
