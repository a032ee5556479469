"""Small pieces of SQL that differ between SQLite and PostgreSQL, for the places that write
SQL by hand (kept totals' triggers, conditions compiled for all customers at once)."""

import datetime

from django.db import connection


def seconds_between(vendor: str, end: str, start: str) -> str:
    """Seconds from the datetime expression `start` to `end` (NULL if either is)."""
    if vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM ({end} - {start}))::double precision"
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


def days_between(vendor: str, end: str, start: str) -> str:
    """Days (with their fraction) from `start` to `end`."""
    return f"({seconds_between(vendor, end, start)} / 86400.0)"


def moment(value: datetime.datetime):
    """A datetime as a raw-SQL parameter, stored the way the ORM stores datetimes."""
    return connection.ops.adapt_datetimefield_value(value)


def moment_parameter(vendor: str) -> str:
    """The placeholder for a `moment()` parameter, typed where the database needs it."""
    return "CAST(%s AS TIMESTAMP WITH TIME ZONE)" if vendor == "postgresql" else "%s"


def moment_sql(vendor: str, value: datetime.datetime) -> tuple[str, list]:
    """A moment as SQL with its parameter."""
    return moment_parameter(vendor), [moment(value)]


def day_parameter(vendor: str) -> str:
    """The placeholder for a date parameter (connection.ops.adapt_datefield_value), typed."""
    return "CAST(%s AS DATE)" if vendor == "postgresql" else "%s"


def day_sql(vendor: str, value: datetime.date) -> tuple[str, list]:
    """A date as SQL with its parameter."""
    return day_parameter(vendor), [connection.ops.adapt_datefield_value(value)]


def quoted_table(model) -> str:
    """A model's table name, quoted for hand-written SQL."""
    return connection.ops.quote_name(model._meta.db_table)


def execute(sql: str, params=()) -> int:
    """Run a statement; the rows it touched."""
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.rowcount


def fetch(sql: str, params=()) -> list[tuple]:
    """Run a query; its rows."""
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()


def empty_temporary_table(name: str, columns: str) -> None:
    """A temporary table of this connection, created if missing and emptied: PostgreSQL
    drops it when the transaction commits, SQLite keeps it for the connection."""
    on_commit = " ON COMMIT DROP" if connection.vendor == "postgresql" else ""
    execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {name} ({columns}){on_commit}")
    execute(f"DELETE FROM {name}")
