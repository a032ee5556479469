"""Totals kept by the database itself.

A page that shows counts and sums over every visible record (the deal board's column totals,
the ticket list's status counts and response times) cannot aggregate a quarter of a million
rows per request and answer in 50 ms. A *summary* table holds those totals per key (a stage,
the customer's owner and team, …) and row-level triggers keep it exact on every write — the
actions, imports' raw inserts, cascades, the recycle bin and hand-written SQL alike — so no
door can forget it. A page then sums a few dozen summary rows, filtered by the same
visibility rule as the records themselves (keys carry the customer's owner and team).

Every trigger applies a *delta*: the contribution of the rows it touched, computed by the
summary's one grouped query with the triggering table replaced by the old row (subtracted)
and the new one (added). Each trigger sees the other tables as they are, unchanged by this
write, so the old contribution it subtracts is exactly what was added before. Records cannot
exist before their customer, so only the first source (the records) watches inserts.

The triggers are (re)installed and the summaries rebuilt from their records after every
`migrate` (see `install_summaries`): the installed SQL always matches this code, and a
summary that drifted for any reason (a restore from backup, a trigger dropped by hand) is
made right by the next migrate.
"""

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection, transaction

_REGISTRY: list["Summary"] = []


@dataclass(frozen=True)
class Source:
    """A table the summary reads: `alias` names it in the expressions, `columns` are those
    read (a trigger fires when one of them changes), `join` ties it to the first source."""

    alias: str
    table: str
    columns: tuple[str, ...]
    join: str = ""


# An expression is SQL text, or a function of the database vendor giving it.
Expression = str | Callable[[str], str]


@dataclass(frozen=True)
class Summary:
    name: str
    table: str
    sources: tuple[Source, ...]
    keys: dict[str, str]  # summary column → expression over the sources
    measures: dict[str, Expression]  # summary column → per-row expression, summed
    live: str  # which rows count
    # The summary's unique index, as the upsert's conflict target (keys may be NULL, so the
    # index is over COALESCE(key, 0)).
    conflict: tuple[str, ...] = field(default=())

    # --- SQL -------------------------------------------------------------------------------

    def _expression(self, expression: Expression, vendor: str) -> str:
        return expression(vendor) if callable(expression) else expression

    def _from_where(self, replaced: Source | None = None, row: str = "") -> tuple[str, str]:
        tables, conditions = [], []
        for source in self.sources:
            if source is replaced:
                columns = ", ".join(f"{row}.{column} AS {column}" for column in source.columns)
                tables.append(f"(SELECT {columns}) AS {source.alias}")
            else:
                tables.append(f"{source.table} AS {source.alias}")
            if source.join:
                conditions.append(source.join)
        conditions.append(self.live)
        return ", ".join(tables), " AND ".join(f"({condition})" for condition in conditions)

    def _grouped(self, vendor: str, sign: str = "", replaced=None, row="") -> str:
        tables, condition = self._from_where(replaced, row)
        keys = ", ".join(self.keys.values())
        measures = ", ".join(
            f"{sign}COALESCE(SUM({self._expression(expression, vendor)}), 0)"
            for expression in self.measures.values()
        )
        columns = ", ".join([*self.keys, *self.measures])
        return (
            f"INSERT INTO {self.table} ({columns}) SELECT {keys}, {measures} "
            f"FROM {tables} WHERE {condition} GROUP BY {keys}"
        )

    def delta(self, vendor: str, source: Source, row: str, sign: str) -> str:
        """Add (sign "") or subtract (sign "-") the contribution of one row of `source`."""
        additions = ", ".join(
            f"{column} = {self.table}.{column} + excluded.{column}" for column in self.measures
        )
        return (
            f"{self._grouped(vendor, sign, source, row)} "
            f"ON CONFLICT ({', '.join(self.conflict)}) DO UPDATE SET {additions}"
        )

    def rebuild_sql(self, vendor: str) -> list[str]:
        return [f"DELETE FROM {self.table}", self._grouped(vendor)]

    def _trigger_name(self, source: Source, event: str) -> str:
        return f"{self.name}_{source.alias}_{event}"

    def _events(self, vendor: str):
        """(source, event, statements, condition) for every trigger of the summary."""
        distinct = "IS NOT" if vendor == "sqlite" else "IS DISTINCT FROM"
        for index, source in enumerate(self.sources):
            changed = " OR ".join(
                f"OLD.{column} {distinct} NEW.{column}" for column in source.columns
            )
            old = self.delta(vendor, source, "OLD", "-")
            new = self.delta(vendor, source, "NEW", "")
            if index == 0:
                yield source, "insert", [new], ""
            yield source, "update", [old, new], changed
            yield source, "delete", [old], ""

    def drop_sql(self, vendor: str) -> list[str]:
        statements = []
        for source, event, _, _ in self._events(vendor):
            name = self._trigger_name(source, event)
            if vendor == "postgresql":
                statements.append(f"DROP TRIGGER IF EXISTS {name} ON {source.table}")
                statements.append(f"DROP FUNCTION IF EXISTS {name}()")
            else:
                statements.append(f"DROP TRIGGER IF EXISTS {name}")
        return statements

    def create_sql(self, vendor: str) -> list[str]:
        statements = []
        for source, event, body, changed in self._events(vendor):
            name = self._trigger_name(source, event)
            when = f" WHEN ({changed})" if changed else ""
            if vendor == "postgresql":
                statements.append(
                    f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    + "".join(f"{statement}; " for statement in body)
                    + "RETURN NULL; END $$"
                )
                statements.append(
                    f"CREATE TRIGGER {name} AFTER {event.upper()} ON {source.table} "
                    f"FOR EACH ROW{when} EXECUTE FUNCTION {name}()"
                )
            else:
                statements.append(
                    f"CREATE TRIGGER {name} AFTER {event.upper()} ON {source.table}{when} "
                    "BEGIN " + "".join(f"{statement}; " for statement in body) + "END"
                )
        return statements


def register(summary: Summary) -> Summary:
    if all(existing.name != summary.name for existing in _REGISTRY):
        _REGISTRY.append(summary)
    return summary


def registered() -> list[Summary]:
    return list(_REGISTRY)


def install_summaries(using: str = "default", verbosity: int = 0) -> list[str]:
    """Drop and create every registered summary's triggers and rebuild its totals from the
    records, each summary in one transaction. Summaries whose tables are not all there yet
    (a migration on its way back or forth) are skipped. Returns the names installed."""
    from django.db import connections

    database = connections[using]
    vendor = database.vendor
    existing = set(database.introspection.table_names())
    installed = []
    for summary in _REGISTRY:
        sources = {source.table for source in summary.sources}
        if summary.table not in existing and sources <= existing:
            # The summary's table is gone (a migration undone): so must its triggers be, or
            # every write to its sources would fail.
            with transaction.atomic(using=using), database.cursor() as cursor:
                for statement in summary.drop_sql(vendor):
                    cursor.execute(statement)
            continue
        if not {summary.table, *sources} <= existing:
            continue
        with transaction.atomic(using=using), database.cursor() as cursor:
            for statement in [
                *summary.drop_sql(vendor),
                *summary.create_sql(vendor),
                *summary.rebuild_sql(vendor),
            ]:
                cursor.execute(statement)
        installed.append(summary.name)
        if verbosity >= 2:
            print(f"  summary {summary.name}: triggers installed, totals rebuilt")
    return installed


@contextmanager
def rebuilt_after_load():
    """For a bulk load (the demo's): the summaries' triggers are dropped for the block and
    installed again after it, the totals rebuilt by one grouped query each instead of a
    trigger per inserted row. Run inside the load's transaction, a failure brings the
    triggers back with the rollback."""
    with connection.cursor() as cursor:
        for summary in _REGISTRY:
            for statement in summary.drop_sql(connection.vendor):
                cursor.execute(statement)
    yield
    install_summaries(using=connection.alias)


def install_after_migrate(sender, using="default", verbosity=0, **kwargs):
    install_summaries(using=using, verbosity=verbosity)
