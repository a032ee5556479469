"""PlannerStatistics: during one long import transaction on PostgreSQL, the planner's idea
of a growing table's size follows it (ANALYZE inside the transaction), a few times per
import rather than per chunk."""

import itertools

import pytest
from django.db import connection

from tend.core.bulk import PlannerStatistics
from tend.customers.models import Customer
from tests.factories import make_customer

NUMBERS = itertools.count(1)

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="planner statistics are PostgreSQL's (SQLite plans from its indexes alone)",
    ),
    pytest.mark.postgres,
]


def estimated_rows() -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'customers_customer'::regclass")
        return cursor.fetchone()[0]


def add_customers(count: int, admin) -> None:
    for _ in range(count):
        make_customer(admin, name=f"客户{next(NUMBERS)}号有限公司")


def test_the_estimate_follows_a_growing_table_in_steps(admin, monkeypatch):
    monkeypatch.setattr(PlannerStatistics, "MINIMUM", 100)
    before = estimated_rows()  # whatever earlier tests left
    statistics = PlannerStatistics([Customer._meta.db_table])
    add_customers(60, admin)
    statistics.wrote(60)
    assert estimated_rows() == before  # below the step: no ANALYZE yet
    step = max(100, int(max(before, 0)) // 4)
    add_customers(step, admin)
    statistics.wrote(step)
    assert estimated_rows() == pytest.approx(Customer.objects.count(), abs=1)
    assert statistics.since_last == 0
