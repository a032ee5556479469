"""Computing CustomerFacts: one grouped scan per source table (activities, orders with their
purchase days, tickets, feedback, allocations), joined to the customers in one INSERT …
SELECT that also weighs the health score (tend.status.health); then the BG/NBD model
(tend.status.bgnbd) fitted on the distinct (x, t_x, T) of the customers with orders, counted
in SQL and streamed in chunks, and the RFM scores and each customer's P(alive) and expected
orders written in one UPDATE. Customers are never loaded into Python.

    refresh_facts(now)                      # every customer (the schedule)
    refresh_facts(now, customer_ids=[42])   # one customer, before its rules run

A refresh of some customers leaves the RFM scores as the last full refresh set them (a
quintile is a place among all customers), and predicts their P(alive) with the parameters the
last full refresh fitted (BgNbdFit)."""

import datetime
from typing import TYPE_CHECKING

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from tend.activities.models import Activity
from tend.core.bulk import bulk_insert
from tend.core.sql import day_parameter, days_between, moment_parameter, quoted_table
from tend.customers.models import Customer
from tend.orders.models import Order, Payment, PaymentAllocation
from tend.service.models import OPEN_TICKET_STATUSES, Feedback, FeedbackKind, Ticket
from tend.status import health
from tend.status.models import BgNbdFit, CustomerFacts

if TYPE_CHECKING:
    from tend.status import bgnbd


def _bgnbd():
    # Imported when first used: scipy takes a third of a second to import, which every
    # process reading facts (the web server, each `tend` command) would otherwise pay.
    from tend.status import bgnbd

    return bgnbd


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
    "ticket_satisfaction",
    "repeat_order_days",
    "days_first_to_last_order",
    "days_since_first_order",
)
# Inserted unknown, then predicted by the BG/NBD model once it is fitted.
PREDICTED = ("p_alive", "expected_orders_90d")

# The BG/NBD model is fitted when at least this many customers have orders, this many of them
# more than one day with orders: below that the parameters say nothing, and P(alive) stays
# unknown.
FIT_MIN_CUSTOMERS = 30
FIT_MIN_REPEAT_BUYERS = 5
EXPECTED_DAYS = 90  # the window of expected_orders_90d
CHUNK = 10_000  # rows of the (x, t_x, T) distribution read at a time

# (condition on r, f, m scores, segment), first match wins.
SEGMENTS = (
    ("r >= 4 AND f >= 4 AND m >= 4", "champion"),
    ("r >= 4 AND f <= 2", "new"),
    ("r <= 2 AND f >= 3", "at_risk"),
    ("r <= 2 AND f <= 2", "hibernating"),
    ("f >= 4", "loyal"),
)


def days_from(vendor: str, end: str, start: str) -> str:
    """Whole days from the date expression `start` to the date expression `end`."""
    if vendor == "postgresql":
        return f"(CAST({end} AS DATE) - CAST({start} AS DATE))"
    return f"CAST(ROUND(julianday({end}) - julianday({start})) AS INTEGER)"


def _moments(now: datetime.datetime) -> dict:
    today = timezone.localdate(now)
    day = datetime.timedelta(days=1)
    ops = connection.ops
    return {
        "now": ops.adapt_datetimefield_value(now),
        "since_90d": ops.adapt_datetimefield_value(now - 90 * day),
        "since_365d": ops.adapt_datetimefield_value(now - 365 * day),
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
    # For some customers, only their payments' allocations are summed (a payment is
    # allocated to orders of its own customer).
    paid_ids, paid_id_params = _only("payment.customer_id", customer_ids)
    return {
        "activities": (
            "SELECT customer_id, "
            "SUM(CASE WHEN valid_communication THEN 1 ELSE 0 END) AS valid, "
            "MAX(CASE WHEN valid_communication THEN occurred_at END) AS last_valid, "
            "SUM(CASE WHEN occurred_at >= %s THEN 1 ELSE 0 END) AS recent "
            f"FROM {quoted_table(Activity)} WHERE deleted_at IS NULL{ids} GROUP BY customer_id",
            [at["since_90d"], *id_params],
        ),
        # With the days with orders up to today, the first and the last: purchases in the
        # BG/NBD sense (counted here rather than by a scan of their own: cheaper on both).
        "orders": (
            "SELECT customer_id, COUNT(*) AS n, SUM(amount) AS total, "
            "COUNT(DISTINCT CASE WHEN ordered_on <= %s THEN ordered_on END) AS days, "
            "MIN(CASE WHEN ordered_on <= %s THEN ordered_on END) AS first_on, "
            "MAX(CASE WHEN ordered_on <= %s THEN ordered_on END) AS last_on, "
            "SUM(CASE WHEN ordered_on > %s THEN 1 ELSE 0 END) AS n365, "
            "SUM(CASE WHEN ordered_on > %s THEN amount ELSE 0 END) AS r365, "
            "SUM(CASE WHEN ordered_on > %s THEN amount ELSE 0 END) AS q1, "
            "SUM(CASE WHEN ordered_on > %s AND ordered_on <= %s THEN amount ELSE 0 END) AS q2, "
            "SUM(CASE WHEN ordered_on > %s AND ordered_on <= %s THEN amount ELSE 0 END) AS q3 "
            f"FROM {quoted_table(Order)} WHERE deleted_at IS NULL{ids} GROUP BY customer_id",
            [
                at["today"],
                at["today"],
                at["today"],
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
            f"SELECT customer_id, SUM(CASE WHEN status IN ({open_statuses}) THEN 1 ELSE 0 END) "
            "AS open, AVG(CASE WHEN satisfaction IS NOT NULL AND resolved_at >= %s "
            "THEN CAST(satisfaction AS DOUBLE PRECISION) END) AS satisfaction "
            f"FROM {quoted_table(Ticket)} WHERE deleted_at IS NULL AND (status IN ({open_statuses}) "
            f"OR (satisfaction IS NOT NULL AND resolved_at >= %s)){ids} GROUP BY customer_id",
            [at["since_365d"], at["since_365d"], *id_params],
        ),
        "complaints": (
            f"SELECT customer_id, COUNT(*) AS complaints FROM {quoted_table(Feedback)} "
            f"WHERE deleted_at IS NULL AND kind = '{FeedbackKind.COMPLAINT}' "
            f"AND received_at >= %s{ids} GROUP BY customer_id",
            [at["since_90d"], *id_params],
        ),
        "overdue": (
            "SELECT orders.customer_id, SUM(orders.amount - COALESCE(paid.allocated, 0)) "
            "AS overdue, MIN(orders.due_on) AS oldest "
            f"FROM {quoted_table(Order)} AS orders LEFT JOIN ("
            "SELECT allocation.order_id, SUM(allocation.amount) AS allocated "
            f"FROM {quoted_table(PaymentAllocation)} AS allocation "
            f"JOIN {quoted_table(Payment)} AS payment ON payment.id = allocation.payment_id "
            f"WHERE payment.deleted_at IS NULL{paid_ids} GROUP BY allocation.order_id"
            ") AS paid ON paid.order_id = orders.id "
            "WHERE orders.deleted_at IS NULL AND orders.due_on < %s "
            f"AND orders.amount > COALESCE(paid.allocated, 0){overdue_ids} "
            "GROUP BY orders.customer_id",
            [*paid_id_params, at["today"], *overdue_id_params],
        ),
    }


@transaction.atomic
def refresh_facts(now: datetime.datetime | None = None, customer_ids=None) -> int:
    """Recompute the facts of every live customer (or of `customer_ids`) as of `now`;
    returns how many rows were written. A full refresh also fits the BG/NBD model and keeps
    its parameters in BgNbdFit (see `latest_fit`)."""
    now = now or timezone.now()
    vendor = connection.vendor
    at = _moments(now)
    today = day_parameter(vendor)
    contact_days = days_between(vendor, moment_parameter(vendor), "customer.last_contact_at")
    # Parameters in the order of their placeholders: the SELECT list's, then the scans'.
    params = [at["now"], at["now"], at["today"], at["today"]]
    joins = []
    for name, (sql, scan_params) in grouped_scans(now, customer_ids).items():
        joins.append(f"LEFT JOIN ({sql}) AS {name} ON {name}.customer_id = customer.id ")
        params += scan_params
    only, only_params = _only("customer.id", customer_ids)
    params += only_params
    computed = (
        "SELECT customer.id AS customer_id, %s AS refreshed_at, "
        f"{contact_days} AS contact_days, "
        f"{days_from(vendor, today, 'overdue.oldest')} AS overdue_days, "
        f"{days_from(vendor, today, 'orders.first_on')} AS days_since_first_order, "
        "COALESCE(activities.valid, 0) AS valid_activities, "
        "activities.last_valid AS last_valid_contact_at, "
        "COALESCE(activities.recent, 0) AS activities_90d, "
        "COALESCE(orders.n, 0) AS orders_total, COALESCE(orders.total, 0) AS revenue_total, "
        "COALESCE(orders.n365, 0) AS orders_365d, COALESCE(orders.r365, 0) AS revenue_365d, "
        "COALESCE(orders.q1, 0) AS revenue_q1, COALESCE(orders.q2, 0) AS revenue_q2, "
        "COALESCE(orders.q3, 0) AS revenue_q3, COALESCE(tickets.open, 0) AS open_tickets, "
        "COALESCE(complaints.complaints, 0) AS complaints_90d, "
        "COALESCE(overdue.overdue, 0) AS overdue_amount, overdue.oldest AS oldest_overdue_on, "
        "tickets.satisfaction AS ticket_satisfaction, "
        "CASE WHEN orders.days > 0 THEN orders.days - 1 END AS repeat_order_days, "
        f"{days_from(vendor, 'orders.last_on', 'orders.first_on')} "
        "AS days_first_to_last_order "
        f"FROM {quoted_table(Customer)} AS customer {''.join(joins)}"
        f"WHERE customer.deleted_at IS NULL{only}"
    )
    # The health score weighs the columns just computed; P(alive) comes after the INSERT.
    # (WHERE 1 = 1: SQLite reads an upsert's SELECT only with a WHERE.)
    select = (
        f"SELECT {', '.join(f'computed.{column}' for column in COLUMNS)}, '', "
        f"{', '.join('NULL' for _ in PREDICTED)}, {health.score_sql(health.weights())} "
        f"FROM ({computed}) AS computed WHERE 1 = 1"
    )
    written = ("health_score", *PREDICTED, *COLUMNS[1:])
    insert = (
        f"INSERT INTO {quoted_table(CustomerFacts)} ({', '.join(COLUMNS)}, rfm_segment, "
        f"{', '.join(PREDICTED)}, health_score) {select}"
    )
    with connection.cursor() as cursor:
        if customer_ids is None:
            cursor.execute(f"DELETE FROM {quoted_table(CustomerFacts)}")
            cursor.execute(insert, params)
            count = cursor.rowcount
            _score(cursor, _fit(cursor, now))
            return count
        # Some customers: their rows are updated in place, keeping their RFM scores (a
        # quintile is a place among all customers); deleted customers lose theirs.
        gone, gone_params = _only("customer_id", customer_ids)
        cursor.execute(
            f"DELETE FROM {quoted_table(CustomerFacts)} WHERE NOT EXISTS (SELECT 1 FROM "
            f"{quoted_table(Customer)} AS customer WHERE customer.id = customer_id "
            f"AND customer.deleted_at IS NULL){gone}",
            gone_params,
        )
        updates = ", ".join(f"{column} = excluded.{column}" for column in written)
        cursor.execute(f"{insert} ON CONFLICT (customer_id) DO UPDATE SET {updates}", params)
        count = cursor.rowcount
        fit = latest_fit()
        if fit is not None:
            _predict_some(cursor, fit, customer_ids)
        return count


def latest_fit() -> "bgnbd.Parameters | None":
    """The BG/NBD parameters of the last full refresh that could fit them (time in days)."""
    row = BgNbdFit.objects.first()
    if row is None:
        return None
    return _bgnbd().Parameters(
        r=row.r,
        alpha=row.alpha,
        a=row.a,
        b=row.b,
        log_likelihood=row.log_likelihood,
        converged=row.converged,
    )


def _distribution() -> tuple[np.ndarray, ...]:
    """The distinct (x, t_x, T) of the customers with orders and how many share each, read
    in chunks: at a million customers, a few hundred thousand rows of four numbers."""
    facts = quoted_table(CustomerFacts)
    chunks = []
    with connection.chunked_cursor() as cursor:
        cursor.execute(
            "SELECT repeat_order_days, days_first_to_last_order, days_since_first_order, "
            f"COUNT(*) FROM {facts} WHERE repeat_order_days IS NOT NULL "
            "GROUP BY repeat_order_days, days_first_to_last_order, days_since_first_order"
        )
        while rows := cursor.fetchmany(CHUNK):
            chunks.append(np.array(rows, dtype=float))
    table = np.concatenate(chunks) if chunks else np.zeros((0, 4))
    return table[:, 0], table[:, 1], table[:, 2], table[:, 3]


def _fit(cursor, now: datetime.datetime) -> str | None:
    """Fit BG/NBD on every customer with orders, keep the parameters, and write the
    predictions of each distinct (x, t_x, T) to a temporary table, whose name it returns;
    None when the population is too small to fit."""
    x, t_x, age, count = _distribution()
    if count.sum() < FIT_MIN_CUSTOMERS or count[x > 0].sum() < FIT_MIN_REPEAT_BUYERS:
        return None
    fit = _bgnbd().fit(x, t_x, age, weights=count)
    if not np.isfinite([fit.r, fit.alpha, fit.a, fit.b, fit.log_likelihood]).all():
        return None
    BgNbdFit.objects.create(
        fitted_at=now,
        customers=int(count.sum()),
        r=fit.r,
        alpha=fit.alpha,
        a=fit.a,
        b=fit.b,
        log_likelihood=fit.log_likelihood,
        converged=fit.converged,
    )
    return _predictions(cursor, fit, x, t_x, age)


PREDICTIONS = "status_bgnbd_prediction"


def _predictions(cursor, fit: "bgnbd.Parameters", x, t_x, age) -> str:
    """A temporary table of P(alive) and expected orders for each (x, t_x, T) given."""
    alive = _bgnbd().probability_alive(fit, x, t_x, age)
    expected = _bgnbd().expected_purchases(fit, EXPECTED_DAYS, x, t_x, age)
    cursor.execute(f"DROP TABLE IF EXISTS {PREDICTIONS}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {PREDICTIONS} (x INTEGER, t_x INTEGER, age INTEGER, "
        "p_alive DOUBLE PRECISION, expected DOUBLE PRECISION, PRIMARY KEY (x, t_x, age))"
    )
    rows = zip(
        x.astype(int).tolist(),
        t_x.astype(int).tolist(),
        age.astype(int).tolist(),
        alive.tolist(),
        expected.tolist(),
        strict=True,
    )
    bulk_insert(PREDICTIONS, ("x", "t_x", "age", "p_alive", "expected"), rows)
    return PREDICTIONS


def _matches(table: str, prediction: str) -> str:
    return (
        f"{prediction}.x = {table}.repeat_order_days "
        f"AND {prediction}.t_x = {table}.days_first_to_last_order "
        f"AND {prediction}.age = {table}.days_since_first_order"
    )


def _predict_some(cursor, fit: "bgnbd.Parameters", customer_ids) -> None:
    """P(alive) and expected orders of some customers (one, before its rules run), with the
    last full refresh's fit: their few rows read, predicted and written back."""
    facts = quoted_table(CustomerFacts)
    only, only_params = _only("customer_id", customer_ids)
    cursor.execute(
        "SELECT customer_id, repeat_order_days, days_first_to_last_order, "
        f"days_since_first_order FROM {facts} WHERE repeat_order_days IS NOT NULL{only}",
        only_params,
    )
    rows = np.array(cursor.fetchall(), dtype=float).reshape(-1, 4)
    if not len(rows):
        return
    x, t_x, age = rows[:, 1], rows[:, 2], rows[:, 3]
    alive = _bgnbd().probability_alive(fit, x, t_x, age)
    expected = _bgnbd().expected_purchases(fit, EXPECTED_DAYS, x, t_x, age)
    cursor.executemany(
        f"UPDATE {facts} SET p_alive = %s, expected_orders_90d = %s WHERE customer_id = %s",
        list(zip(alive.tolist(), expected.tolist(), rows[:, 0].astype(int).tolist(), strict=True)),
    )


def _score(cursor, predictions: str | None) -> None:
    """Quintile scores among the customers with orders (ties broken by id, so the same data
    gives the same scores), the segment the scores make, and P(alive) and expected orders
    from the table of predictions (when the model could be fitted): one UPDATE of the rows
    of the customers with orders."""
    facts = quoted_table(CustomerFacts)
    segment = "CASE " + " ".join(f"WHEN {condition} THEN '{name}'" for condition, name in SEGMENTS)
    segment += " ELSE 'regular' END"
    predicted, join, sets = "", "", ""
    if predictions is not None:
        predicted = ", prediction.p_alive, prediction.expected"
        join = f"LEFT JOIN {predictions} AS prediction ON {_matches('facts', 'prediction')} "
        sets = ", p_alive = scores.p_alive, expected_orders_90d = scores.expected"
    cursor.execute(
        f"UPDATE {facts} SET r_score = scores.r, f_score = scores.f, m_score = scores.m, "
        f"rfm_segment = scores.segment{sets} FROM ("
        f"SELECT ranked.*, {segment} AS segment FROM ("
        "SELECT facts.customer_id, "
        "NTILE(5) OVER (ORDER BY customer.last_order_on, facts.customer_id) AS r, "
        "NTILE(5) OVER (ORDER BY facts.orders_total, facts.customer_id) AS f, "
        f"NTILE(5) OVER (ORDER BY facts.revenue_total, facts.customer_id) AS m{predicted} "
        f"FROM {facts} AS facts JOIN {quoted_table(Customer)} AS customer "
        f"ON customer.id = facts.customer_id {join}WHERE facts.orders_total > 0"
        ") AS ranked) AS scores "
        f"WHERE scores.customer_id = {facts}.customer_id"
    )
    if predictions is not None:
        cursor.execute(f"DROP TABLE {predictions}")
