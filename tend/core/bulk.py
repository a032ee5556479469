"""Writing many rows fast, for demo data and (later) imports.

The ORM's `bulk_create` builds a model instance per row and a multi-row INSERT per batch; at a
million rows that costs minutes. Here rows are plain tuples in column order, written with
`executemany` on SQLite and `COPY … FROM STDIN` on PostgreSQL, inside one transaction.

Values must already be in a form both databases accept: str, int, float, bool, None, or a
string for dates and datetimes (see `datetime_text`) and JSON (serialised by the caller).
Nothing here validates: callers are trusted writers that build valid rows themselves."""

import datetime
from collections.abc import Iterable, Sequence

from django.db import connections, models, transaction

DEFAULT_BATCH = 10_000


def table_name(model_or_table: type[models.Model] | str) -> str:
    if isinstance(model_or_table, str):
        return model_or_table
    return model_or_table._meta.db_table


def datetime_text(value: datetime.datetime, vendor: str) -> str:
    """An aware datetime as text the database stores without conversion.

    Django keeps datetimes in SQLite as naive UTC text ("2024-05-01 08:30:00"), and compares
    them as strings; PostgreSQL needs the offset to read them as UTC whatever the session zone."""
    utc = value.astimezone(datetime.UTC).replace(tzinfo=None)
    text = utc.isoformat(" ")
    return text + "+00" if vendor == "postgresql" else text


def _batches(rows: Iterable[Sequence], size: int):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def bulk_insert(
    model_or_table: type[models.Model] | str,
    columns: Sequence[str],
    rows: Iterable[Sequence],
    *,
    batch: int = DEFAULT_BATCH,
    using: str = "default",
) -> int:
    """Insert `rows` (tuples in the order of `columns`) into a table; returns the row count.

    Runs in one transaction (a savepoint when the caller already holds one). When `columns`
    include "id", PostgreSQL's id sequence is moved past the largest id afterwards, so that
    later inserts through the ORM do not collide with the explicit ids."""
    table = table_name(model_or_table)
    connection = connections[using]
    quote = connection.ops.quote_name
    column_list = ", ".join(quote(column) for column in columns)
    count = 0
    # wrap_database_errors: the driver's errors surface as Django's (IntegrityError…), as
    # they would through the ORM.
    with transaction.atomic(using=using), connection.wrap_database_errors:
        connection.ensure_connection()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                sql = f"COPY {quote(table)} ({column_list}) FROM STDIN"
                with cursor.cursor.copy(sql) as copy:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
            if "id" in columns:
                reset_id_sequence(table, using=using)
        elif connection.vendor == "sqlite":
            # The driver's own cursor, not Django's wrapper: the wrapper rewrites every
            # row's parameters, which at a million rows is most of the time spent.
            placeholders = ", ".join("?" for _ in columns)
            sql = f"INSERT INTO {quote(table)} ({column_list}) VALUES ({placeholders})"
            raw_cursor = connection.connection.cursor()
            try:
                for chunk in _batches(rows, batch):
                    raw_cursor.executemany(sql, chunk)
                    count += len(chunk)
            finally:
                raw_cursor.close()
        else:
            placeholders = ", ".join("%s" for _ in columns)
            sql = f"INSERT INTO {quote(table)} ({column_list}) VALUES ({placeholders})"
            with connection.cursor() as cursor:
                for chunk in _batches(rows, batch):
                    cursor.executemany(sql, chunk)
                    count += len(chunk)
    return count


def reset_id_sequence(model_or_table: type[models.Model] | str, *, using: str = "default"):
    """Move a PostgreSQL table's id sequence past its largest id (no-op elsewhere: SQLite's
    AUTOINCREMENT follows explicit ids by itself)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    table = table_name(model_or_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE(MAX(id), 1), "
            f"MAX(id) IS NOT NULL) FROM {connection.ops.quote_name(table)}",
            [table],
        )


def next_id(model_or_table: type[models.Model] | str, *, using: str = "default") -> int:
    """The first id above every id the table ever gave out, for writers that assign ids
    themselves. Above the sequence too, not only the rows: an id of a purged record is never
    given again (its audit history still names it)."""
    connection = connections[using]
    table = table_name(model_or_table)
    quoted = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {quoted}")
        highest = int(cursor.fetchone()[0])
        if connection.vendor == "sqlite":
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT pg_sequence_last_value(pg_get_serial_sequence(%s, 'id'))", [table]
            )
        else:
            return highest + 1
        row = cursor.fetchone()
    issued = int(row[0]) if row and row[0] is not None else 0
    return max(highest, issued) + 1


class large_write_cache:
    """A larger SQLite page cache (200 MB) while a bulk writer runs, so that the pages of the
    table's many indexes stay in memory instead of being read and written again per row."""

    def __init__(self, using: str = "default"):
        self.connection = connections[using]

    def __enter__(self):
        if self.connection.vendor == "sqlite":
            with self.connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size")
                self.previous = cursor.fetchone()[0]
                cursor.execute("PRAGMA cache_size=-200000")
        return self

    def __exit__(self, *exc):
        if self.connection.vendor == "sqlite":
            with self.connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size={int(self.previous)}")
        return False


class PlannerStatistics:
    """Keeps PostgreSQL's planner statistics current while one long transaction grows tables
    (an import of a million rows). Autovacuum cannot see uncommitted rows, so without this
    the planner keeps the sizes the tables had at the start — empty, in the worst case — and
    picks plans for them: a lookup of 5,000 keys read a million rows through the wrong
    index. ANALYZE runs inside the transaction (it sees the transaction's own rows) each
    time the rows written since the last one reach a quarter of the tables' size, so it
    costs a few ANALYZEs per import, not one per chunk. Nothing to do on SQLite, whose
    planner relies on its indexes without row counts."""

    MINIMUM = 20_000

    def __init__(self, tables: Sequence[str], using: str = "default"):
        self.tables = list(dict.fromkeys(tables))
        self.connection = connections[using]
        self.since_last = 0
        self.size: int | None = None

    def wrote(self, rows: int) -> None:
        if self.connection.vendor != "postgresql" or not self.tables or rows <= 0:
            return
        if self.size is None:
            with self.connection.cursor() as cursor:
                cursor.execute(
                    "SELECT COALESCE(SUM(GREATEST(reltuples, 0)), 0) FROM pg_class "
                    "WHERE oid = ANY(%s::regclass[])",
                    [self.tables],
                )
                self.size = int(cursor.fetchone()[0])
        self.since_last += rows
        if self.since_last < max(self.MINIMUM, self.size // 4):
            return
        quote = self.connection.ops.quote_name
        with self.connection.cursor() as cursor:
            for table in self.tables:
                cursor.execute(f"ANALYZE {quote(table)}")
        self.size += self.since_last
        self.since_last = 0
