"""The shared part of every kind of import: row errors, chunk results, key claims within a
file, and audit rows written in bulk."""

import datetime
import decimal
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tend.accounts.models import User
from tend.audit.models import AuditAction, AuditEntry
from tend.core.bulk import bulk_insert, datetime_text, next_id
from tend.customers.inputs import CustomerInput
from tend.customers.models import Customer
from tend.customers.selectors import visible_customers
from tend.imports.fields import ImportField

AUDIT_COLUMNS = (
    "at", "actor_id", "actor_label", "action", "object_type", "object_id", "object_label",
    "customer_id", "changes", "note",
)  # fmt: skip
# Values per lookup query: few queries, each well under SQLite's 32,766 parameters.
LOOKUP_BATCH = 5000


@dataclass
class RowError:
    row: int
    column: str
    value: str
    message: str


@dataclass
class ChunkResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)


class ImportKind(ABC):
    key: str = ""
    label = ""
    match_keys: dict[str, object] = {}

    def __init__(self, *, actor: User, match_key: str, options: dict):
        self.actor = actor
        self.match_key = match_key
        self.options = options
        self.now = timezone.now()
        self.vendor = connection.vendor
        self.seen_keys: dict[str, int] = {}

    @abstractmethod
    def fields(self) -> list[ImportField]:
        """The fields a column may be mapped to, with their converters."""

    # The domain's form, whose clean() (rules across fields) each row must also pass.
    form_class = None
    # The model whose rows the import writes.
    model = None

    def written_tables(self) -> list[str]:
        """The tables an import of this kind grows or looks rows up in, whose planner
        statistics must follow it (see PlannerStatistics)."""
        return [self.model._meta.db_table, Customer._meta.db_table]

    def mapping_errors(self, mapped: list[str]) -> list[str]:
        """Mapping rules beyond "required fields have a column"."""
        return []

    def row_errors(self, values: dict) -> dict[str, list[str]]:
        if self.form_class is None:
            return {}
        if getattr(self, "_form_rules", None) is None:
            from tend.imports.fields import FormRules

            self._form_rules = FormRules(self.form_class)
        return self._form_rules.errors(values)

    @abstractmethod
    def process(self, rows: list[tuple[int, dict, dict]], *, write: bool) -> ChunkResult:
        """Match, check and (when `write`) store a chunk of converted rows.
        rows: (row number, values by field, raw cells by field)."""

    def text(self, moment: datetime.datetime) -> str:
        return datetime_text(moment, self.vendor)

    def claim_key(self, number: int, value: str, column: str, result: ChunkResult) -> bool:
        """False (with an error) when an earlier row of the file had the same key."""
        first = self.seen_keys.get(value)
        if first is not None:
            result.errors.append(
                RowError(
                    number,
                    column,
                    value,
                    _("Row %(row)s already has this key; each row must have its own.")
                    % {"row": first},
                )
            )
            return False
        self.seen_keys[value] = number
        return True

    def audit_rows(self, entries):
        """Audit rows for (action, model label, id, label, customer id, changes)."""
        at = self.text(self.now)
        note = self.options.get("note", "")
        for action, object_type, object_id, label, customer_id, changes in entries:
            yield (
                at,
                self.actor.pk,
                "",
                action,
                object_type,
                object_id,
                label[:255],
                customer_id,
                json.dumps(changes, ensure_ascii=False, default=str),
                note,
            )


# A child record's customer is named by one of these columns; the user maps whichever the
# file has.
CUSTOMER_REFERENCES = {
    "customer_external_id": (
        "external_id",
        gettext_lazy("customer's external id"),
        ("客户编号", "客户外部编号", "customer id", "customer external id"),
    ),
    "customer_credit_code": (
        "credit_code",
        gettext_lazy("customer's credit code"),
        ("统一社会信用代码", "信用代码", "customer credit code"),
    ),
    "customer_phone": ("phone", gettext_lazy("customer's phone"), ("客户电话", "customer phone")),
    "customer_name": (
        "name",
        gettext_lazy("customer's name"),
        ("客户名称", "客户", "公司名称", "customer", "customer name", "company"),
    ),
}


class CustomerChildImport(ImportKind):
    """Rows that belong to a customer the importer can see, named by a reference column."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.visible = visible_customers(self.actor)  # none locked for the actor (跟进中)

    def reference_fields(self) -> list[ImportField]:
        converters = {
            "customer_credit_code": CustomerInput.base_fields["credit_code"].clean,
            "customer_phone": CustomerInput.base_fields["phone"].clean,
        }
        return [
            ImportField(name, label, aliases, convert=converters.get(name))
            for name, (_column, label, aliases) in CUSTOMER_REFERENCES.items()
        ]

    def mapping_errors(self, mapped: list[str]) -> list[str]:
        if any(name in CUSTOMER_REFERENCES for name in mapped):
            return []
        return [_("Map one column to the customer: its external id, credit code, phone or name.")]

    def resolve_customers(self, rows, result: ChunkResult) -> list[tuple[int, dict, int]]:
        """(row number, values, customer id) for rows whose customer is found, once each."""
        wanted: dict[str, set] = {}
        for _number, values, _raw in rows:
            for name in CUSTOMER_REFERENCES:
                if values.get(name):
                    wanted.setdefault(name, set()).add(values[name])
                    break
        found: dict[tuple[str, str], int | None] = {}
        for name, refs in wanted.items():
            column = CUSTOMER_REFERENCES[name][0]
            refs = list(refs)
            for start in range(0, len(refs), LOOKUP_BATCH):
                batch = refs[start : start + LOOKUP_BATCH]
                for value, pk in self.visible.filter(**{f"{column}__in_list": batch}).values_list(
                    column, "id"
                ):
                    # Two customers behind one reference: ambiguous (None), never a guess.
                    found[(name, value)] = None if (name, value) in found else pk
        resolved = []
        for number, values, _raw in rows:
            name = next((n for n in CUSTOMER_REFERENCES if values.get(n)), None)
            if name is None:
                result.errors.append(
                    RowError(number, "customer", "", _("The row names no customer."))
                )
                continue
            value = values[name]
            if (name, value) not in found:
                message = _("No customer you can see has this %(reference)s.")
            elif found[(name, value)] is None:
                message = _("Several customers have this %(reference)s; use another column.")
            else:
                resolved.append((number, values, found[(name, value)]))
                continue
            result.errors.append(
                RowError(
                    number, name, str(value), message % {"reference": CUSTOMER_REFERENCES[name][1]}
                )
            )
        return resolved


class KeyedChildImport(CustomerChildImport):
    """A customer's records matched by a key within the customer (a contact's mobile, an
    activity's time and type): the shared check-match-write loop."""

    # Columns written on insert besides id, created_at, updated_at and customer_id.
    insert_columns: tuple[str, ...] = ()
    # Fields a matched row may change.
    writable: tuple[str, ...] = ()

    def key_of(self, customer_id: int, values: dict):
        """The row's key, or None when the key column is empty."""
        value = values.get(self.match_key)
        return (customer_id, value) if value not in (None, "") else None

    def existing(self, keyed) -> dict:
        """{key: current values (with "id")} for the keyed rows' records already stored — by
        default the live records of these customers holding the match key's values."""
        column = self.match_key
        found = {}
        for start in range(0, len(keyed), LOOKUP_BATCH):
            batch = keyed[start : start + LOOKUP_BATCH]
            for row in self.model.objects.filter(
                deleted_at__isnull=True,
                customer_id__in_list={customer_id for _n, _v, customer_id, _k in batch},
                **{f"{column}__in_list": {key[1] for _n, _v, _c, key in batch}},
            ).values("id", "customer_id", *self.writable):
                found.setdefault((row["customer_id"], row[column]), row)
        return found

    def value(self, name: str, values: dict):
        """The row's value, or the field's default when the file has no such column."""
        if name in values:
            return values[name]
        if not hasattr(self, "_defaults"):
            self._defaults = {field.name: field.default for field in self.fields()}
        return self._defaults.get(name)

    def insert_value(self, name: str, values: dict, customer_id: int):
        return self.value(name, values)

    def label_of(self, values: dict) -> str:
        return str(values.get(self.writable[0], ""))

    def after_write(self, customer_ids: set[int]) -> None:
        """Recompute what the written records feed (time nodes, balances)."""

    def db_text(self, value):
        if isinstance(value, datetime.datetime):
            return datetime_text(value, self.vendor)
        if isinstance(value, datetime.date):
            return value.isoformat()
        if isinstance(value, decimal.Decimal):
            return str(value)
        return value

    def process(self, rows, *, write: bool) -> ChunkResult:
        result = ChunkResult()
        keyed = []
        for number, values, customer_id in self.resolve_customers(rows, result):
            key = self.key_of(customer_id, values)
            if key is None:
                result.errors.append(
                    RowError(
                        number,
                        self.match_key,
                        "",
                        _("The key column (%(key)s) is empty; rows are matched by it.")
                        % {"key": self.match_keys[self.match_key]},
                    )
                )
            elif self.claim_key(number, repr(key), self.match_key, result):
                keyed.append((number, values, customer_id, key))
        current_by_key = self.existing(keyed)
        creates, updates = [], []
        for _number, values, customer_id, key in keyed:
            current = current_by_key.get(key)
            if current is None:
                creates.append((values, customer_id))
                continue
            changes = {
                name: [current[name], values[name]]
                for name in self.writable
                if name in values and values[name] != current[name]
            }
            if changes:
                updates.append((current["id"], customer_id, values, changes))
            else:
                result.unchanged += 1
        result.created, result.updated = len(creates), len(updates)
        if write and (creates or updates):
            self._insert(creates)
            self._update(updates)
            self.after_write({c for _v, c in creates} | {c for _i, c, _v, _ch in updates})
        return result

    def _insert(self, creates) -> None:
        if not creates:
            return
        first_id = next_id(self.model)
        now = self.text(self.now)
        rows, audits = [], []
        object_type = self.model._meta.label_lower
        for offset, (values, customer_id) in enumerate(creates):
            pk = first_id + offset
            rows.append(
                (
                    pk,
                    now,
                    now,
                    customer_id,
                    *(
                        self.db_text(self.insert_value(name, values, customer_id))
                        for name in self.insert_columns
                    ),
                )
            )
            audits.append(
                (
                    AuditAction.CREATE,
                    object_type,
                    pk,
                    self.label_of(values),
                    customer_id,
                    {
                        name: [None, values[name]]
                        for name in self.writable
                        if values.get(name) not in (None, "", False)
                    },
                )
            )
        bulk_insert(
            self.model,
            ("id", "created_at", "updated_at", "customer_id", *self.insert_columns),
            rows,
        )
        bulk_insert(AuditEntry, AUDIT_COLUMNS, self.audit_rows(audits))

    def _update(self, updates) -> None:
        if not updates:
            return
        now = self.now
        by_columns: dict[tuple, list] = {}
        audits = []
        object_type = self.model._meta.label_lower
        for pk, customer_id, values, changes in updates:
            columns = tuple(sorted(changes))
            by_columns.setdefault(columns, []).append(
                (*(values[name] for name in columns), now, pk)
            )
            audits.append(
                (AuditAction.UPDATE, object_type, pk, self.label_of(values), customer_id, changes)
            )
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for columns, params in by_columns.items():
                assignments = ", ".join(f"{quote(name)} = %s" for name in (*columns, "updated_at"))
                cursor.executemany(
                    f"UPDATE {quote(self.model._meta.db_table)} SET {assignments} WHERE id = %s",
                    params,
                )
        bulk_insert(AuditEntry, AUDIT_COLUMNS, self.audit_rows(audits))
