"""Making a large load cheaper for SQLite: indexes built once at the end, and no write-ahead
log for the load. PostgreSQL writes with COPY and keeps both: nothing changes there.

Indexes. Rows inserted into a table with a dozen secondary indexes update each index at a
random place; once the indexes outgrow the page cache (a million customers' ten million
activities do) every row costs several page reads and writes. Dropping the indexes before
the load and creating them again afterwards sorts each index once instead, several times
faster (measured: even indexes whose keys arrive in order cost more kept up row by row than
built afterwards). The indexes are recreated from their own stored SQL, so they come back
exactly as the migrations made them, and it all happens inside the demo's transaction: if
anything fails, the rollback brings the dropped indexes back too. Indexes that belong to a
table's own definition (primary keys, unique columns) cannot be dropped and stay.

Journal. In WAL mode every page of a multi-gigabyte load is written twice — to the log, then
to the database when the log is checkpointed — and the index builds read the table pages
back through the log. For the load the database goes back to a rollback journal, which a
load into new pages barely uses, and returns to WAL afterwards. This needs the database to
itself (no other connection open, e.g. a running server) and no open transaction; otherwise
the load simply runs in WAL mode."""

from contextlib import contextmanager

from django.db import OperationalError, connection

SORT_THREADS = 2  # helper threads SQLite may sort with while building an index


class DeferredIndexes:
    def __init__(self, tables: list[str]):
        self.tables = tables
        self.saved: list[tuple[str, str]] = []

    def drop(self) -> int:
        """Drop the secondary indexes of the tables (SQLite only); returns how many."""
        if connection.vendor != "sqlite":
            return 0
        placeholders = ", ".join("%s" for _ in self.tables)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                f"AND tbl_name IN ({placeholders}) ORDER BY tbl_name, name",
                self.tables,
            )
            self.saved = list(cursor.fetchall())
            for name, _sql in self.saved:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        return len(self.saved)

    def rebuild(self) -> None:
        """Create the dropped indexes again, from the SQL they were created with. SQLite
        may sort with helper threads meanwhile (it uses none by default)."""
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA threads")
            threads = cursor.fetchone()[0]
            cursor.execute(f"PRAGMA threads = {SORT_THREADS}")
            try:
                for _name, sql in self.saved:
                    cursor.execute(sql)
            finally:
                cursor.execute(f"PRAGMA threads = {int(threads)}")
        self.saved = []


def _journal_mode(cursor, mode: str | None = None) -> str:
    cursor.execute("PRAGMA journal_mode" if mode is None else f"PRAGMA journal_mode = {mode}")
    return str(cursor.fetchone()[0]).lower()


@contextmanager
def rollback_journal():
    """Run the block with a rollback journal instead of WAL, when the database allows."""
    switched = False
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            if _journal_mode(cursor) == "wal":
                try:
                    switched = _journal_mode(cursor, "DELETE") == "delete"
                except OperationalError:
                    switched = False  # another connection has it open: keep WAL
    try:
        yield
    finally:
        if switched:
            try:
                with connection.cursor() as cursor:
                    _journal_mode(cursor, "WAL")
            except OperationalError:
                pass  # every new connection sets WAL again (the settings' init_command)
