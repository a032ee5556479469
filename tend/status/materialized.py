"""Computing CustomerFacts: one grouped scan per source table (activities, orders, tickets,
feedback, allocations), joined to the customers in one INSERT … SELECT, then the RFM scores
in one UPDATE with window functions. Customers are never loaded into Python.

    refresh_facts(now)                      # every customer (the schedule)
    refresh_facts(now, customer_ids=[42])   # one customer, before its rules run

A refresh of some customers leaves the RFM scores as the last full refresh set them: a
quintile is a place among all customers."""

import datetime

from django.db import connection, transaction
from django.utils import timezone

from tend.activities.models import Activity
from tend.customers.models import Customer
from tend.orders.models import Order, Payment, PaymentAllocation
from tend.service.models import OPEN_TICKET_STATUSES, Feedback, FeedbackKind, Ticket
from tend.status.models import CustomerFacts

COLUMNS = (
    "customer_id",
    "refreshed_at",
    "valid_activities",
    "last_valid_contact_at",
    "activities_90d",
    "orders_total",
    "revenue_total",
    "orders_365d",
    "revenue_365d",
    "revenue_q1",
    "revenue_q2",
    "revenue_q3",
    "open_tickets",
    "complaints_90d",
    "overdue_amount",
    "oldest_overdue_on",
)

# (condition on r, f, m scores, segment), first match wins.
SEGMENTS = (
    ("r >= 4 AND f >= 4 AND m >= 4", "champion"),
    ("r >= 4 AND f <= 2", "new"),
    ("r <= 2 AND f >= 3", "at_risk"),
    ("r <= 2 AND f <= 2", "hibernating"),
    ("f >= 4", "loyal"),
)


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _moments(now: datetime.datetime) -> dict:
    today = timezone.localdate(now)
    day = datetime.timedelta(days=1)
    ops = connection.ops
    return {
        "now": ops.adapt_datetimefield_value(now),
        "since_90d": ops.adapt_datetimefield_value(now - 90 * day),
        "today": ops.adapt_datefield_value(today),
        "day_90": ops.adapt_datefield_value(today - 90 * day),
        "day_180": ops.adapt_datefield_value(today - 180 * day),
        "day_270": ops.adapt_datefield_value(today - 270 * day),
        "day_365": ops.adapt_datefield_value(today - 365 * day),
    }


def _only(column: str, customer_ids) -> tuple[str, list]:
    """A condition keeping the rows of `customer_ids` (none: all rows)."""
    if customer_ids is None:
        return "", []
    ids = list(customer_ids)
    return f" AND {column} IN ({', '.join('%s' for _ in ids) or 'NULL'})", ids


def grouped_scans(now: datetime.datetime, customer_ids=None) -> dict[str, tuple[str, list]]:
    """The grouped queries the facts need, each over one table, with their parameters: what
    a refresh costs at the least (the benchmark times them alone)."""
    at = _moments(now)
    ids, id_params = _only("customer_id", customer_ids)
    open_statuses = ", ".join(f"'{status}'" for status in OPEN_TICKET_STATUSES)
    overdue_ids, overdue_id_params = _only("orders.customer_id", customer_ids)
    return {
        "activities": (
            "SELECT customer_id, "
            "SUM(CASE WHEN valid_communication THEN 1 ELSE 0 END) AS valid, "
            "MAX(CASE WHEN valid_communication THEN occurred_at END) AS last_valid, "
            "SUM(CASE WHEN occurred_at >= %s THEN 1 ELSE 0 END) AS recent "
            f"FROM {_table(Activity)} WHERE deleted_at IS NULL{ids} GROUP BY customer_id",
            [at["since_90d"], *id_params],
        ),
        "orders": (
            "SELECT customer_id, COUNT(*) AS n, SUM(amount) AS total, "
            "SUM(CASE WHEN ordered_on > %s THEN 1 ELSE 0 END) AS n365, "
            "SUM(CASE WHEN ordered_on > %s THEN amount ELSE 0 END) AS r365, "
            "SUM(CASE WHEN ordered_on > %s THEN amount ELSE 0 END) AS q1, "
            "SUM(CASE WHEN ordered_on > %s AND ordered_on <= %s THEN amount ELSE 0 END) AS q2, "
            "SUM(CASE WHEN ordered_on > %s AND ordered_on <= %s THEN amount ELSE 0 END) AS q3 "
            f"FROM {_table(Order)} WHERE deleted_at IS NULL{ids} GROUP BY customer_id",
            [
                at["day_365"],
                at["day_365"],
                at["day_90"],
                at["day_180"],
                at["day_90"],
                at["day_270"],
                at["day_180"],
                *id_params,
            ],
        ),
        "tickets": (
            f"SELECT customer_id, COUNT(*) AS open FROM {_table(Ticket)} "
            f"WHERE deleted_at IS NULL AND status IN ({open_statuses}){ids} GROUP BY customer_id",
            id_params,
        ),
        "complaints": (
            f"SELECT customer_id, COUNT(*) AS complaints FROM {_table(Feedback)} "
            f"WHERE deleted_at IS NULL AND kind = '{FeedbackKind.COMPLAINT}' "
            f"AND received_at >= %s{ids} GROUP BY customer_id",
            [at["since_90d"], *id_params],
        ),
        "overdue": (
            "SELECT orders.customer_id, SUM(orders.amount - COALESCE(paid.allocated, 0)) "
            "AS overdue, MIN(orders.due_on) AS oldest "
            f"FROM {_table(Order)} AS orders LEFT JOIN ("
            "SELECT allocation.order_id, SUM(allocation.amount) AS allocated "
            f"FROM {_table(PaymentAllocation)} AS allocation "
            f"JOIN {_table(Payment)} AS payment ON payment.id = allocation.payment_id "
            "WHERE payment.deleted_at IS NULL GROUP BY allocation.order_id"
            ") AS paid ON paid.order_id = orders.id "
            "WHERE orders.deleted_at IS NULL AND orders.due_on < %s "
            f"AND orders.amount > COALESCE(paid.allocated, 0){overdue_ids} "
            "GROUP BY orders.customer_id",
            [at["today"], *overdue_id_params],
        ),
    }


@transaction.atomic
def refresh_facts(now: datetime.datetime | None = None, customer_ids=None) -> int:
    """Recompute the facts of every live customer (or of `customer_ids`) as of `now`;
    returns how many rows were written."""
    now = now or timezone.now()
    scans = grouped_scans(now, customer_ids)
    facts = _table(CustomerFacts)
    joins, params = [], [_moments(now)["now"]]
    for name, (sql, scan_params) in scans.items():
        joins.append(f"LEFT JOIN ({sql}) AS {name} ON {name}.customer_id = customer.id ")
        params += scan_params
    only, only_params = _only("customer.id", customer_ids)
    select = (
        "SELECT customer.id, %s, COALESCE(activities.valid, 0), activities.last_valid, "
        "COALESCE(activities.recent, 0), COALESCE(orders.n, 0), COALESCE(orders.total, 0), "
        "COALESCE(orders.n365, 0), COALESCE(orders.r365, 0), COALESCE(orders.q1, 0), "
        "COALESCE(orders.q2, 0), COALESCE(orders.q3, 0), COALESCE(tickets.open, 0), "
        "COALESCE(complaints.complaints, 0), COALESCE(overdue.overdue, 0), overdue.oldest, '' "
        f"FROM {_table(Customer)} AS customer {''.join(joins)}"
        f"WHERE customer.deleted_at IS NULL{only}"
    )
    insert = f"INSERT INTO {facts} ({', '.join(COLUMNS)}, rfm_segment) {select}"
    with connection.cursor() as cursor:
        if customer_ids is None:
            cursor.execute(f"DELETE FROM {facts}")
            cursor.execute(insert, [*params, *only_params])
            written = cursor.rowcount
            _score_rfm(cursor)
            return written
        # Some customers: their rows are updated in place, keeping their RFM scores (a
        # quintile is a place among all customers); deleted customers lose theirs.
        gone, gone_params = _only("customer_id", customer_ids)
        cursor.execute(
            f"DELETE FROM {facts} WHERE customer_id NOT IN (SELECT id FROM {_table(Customer)} "
            f"WHERE deleted_at IS NULL){gone}",
            gone_params,
        )
        updates = ", ".join(f"{column} = excluded.{column}" for column in COLUMNS[1:])
        cursor.execute(
            f"{insert} ON CONFLICT (customer_id) DO UPDATE SET {updates}",
            [*params, *only_params],
        )
        return cursor.rowcount


def _score_rfm(cursor) -> None:
    """Quintile scores among the customers with orders (ties broken by id, so the same data
    gives the same scores), and the segment the scores make."""
    facts = _table(CustomerFacts)
    segment = "CASE " + " ".join(f"WHEN {condition} THEN '{name}'" for condition, name in SEGMENTS)
    segment += " ELSE 'regular' END"
    cursor.execute(
        f"UPDATE {facts} SET r_score = scores.r, f_score = scores.f, m_score = scores.m, "
        f"rfm_segment = scores.segment FROM ("
        f"SELECT customer_id, r, f, m, {segment} AS segment FROM ("
        "SELECT facts.customer_id, "
        "NTILE(5) OVER (ORDER BY customer.last_order_on, facts.customer_id) AS r, "
        "NTILE(5) OVER (ORDER BY facts.orders_total, facts.customer_id) AS f, "
        "NTILE(5) OVER (ORDER BY facts.revenue_total, facts.customer_id) AS m "
        f"FROM {facts} AS facts JOIN {_table(Customer)} AS customer "
        "ON customer.id = facts.customer_id WHERE facts.orders_total > 0"
        ") AS ranked) AS scores "
        f"WHERE scores.customer_id = {facts}.customer_id"
    )
