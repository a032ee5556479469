"""Customers: matched by external id, credit code, phone or email; new ones indexed for
name search, tagged and owned by the importer or the user the row names."""

from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tend.accounts.models import User
from tend.accounts.selectors import assignable_users
from tend.audit.models import AuditAction, AuditEntry
from tend.core.bulk import bulk_insert, next_id
from tend.core.lookups import in_list_sql
from tend.customers.inputs import CustomerInput
from tend.customers.models import Customer, CustomerNameGram, Tag
from tend.customers.search import gram_rows
from tend.customers.selectors import visible_customers
from tend.imports.fields import ImportField, fields_from_form
from tend.imports.kinds.base import AUDIT_COLUMNS, LOOKUP_BATCH, ChunkResult, ImportKind, RowError

CUSTOMER_ALIASES = {
    "name": ("客户名称", "名称", "公司名称", "客户", "customer", "company", "customer name"),
    "kind": ("类型", "客户类型", "type"),
    "industry": ("行业",),
    "province": ("省份", "省"),
    "city": ("城市", "市"),
    "source": ("来源", "来源渠道", "渠道", "source"),
    "credit_code": ("统一社会信用代码", "信用代码", "社会信用代码", "credit code", "uscc"),
    "phone": ("电话", "手机", "联系电话", "手机号", "phone number", "mobile", "tel"),
    "email": ("邮箱", "电子邮件", "电子邮箱", "e-mail", "mail"),
    "wechat": ("微信", "微信号"),
    "address": ("地址", "详细地址"),
    "external_id": ("外部编号", "外部id", "编号", "客户编号", "external id", "id"),
    "tags": ("标签",),
    "owner": ("负责人", "所有者", "销售", "owner"),
}
CUSTOMER_WRITABLE = [
    "kind", "name", "industry", "province", "city", "source", "credit_code", "phone", "email",
    "wechat", "address", "external_id",
]  # fmt: skip
CUSTOMER_COLUMNS = (
    "id", "created_at", "updated_at", "kind", "name", "industry", "province", "city", "source",
    "credit_code", "phone", "email", "wechat", "address", "external_id", "owner_id", "team_id",
    "custom_fields", "created_by_id",
)  # fmt: skip
POOL_WORDS = {"公海", "pool", "public pool", "无", "none"}


class CustomerImport(ImportKind):
    key = "customers"
    label = gettext_lazy("Customers")
    model = Customer
    match_keys = {
        "external_id": gettext_lazy("external id"),
        "credit_code": gettext_lazy("unified social credit code"),
        "phone": gettext_lazy("phone"),
        "email": gettext_lazy("email"),
    }

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.scope = visible_customers(self.actor)  # none locked for the actor (跟进中)
        self._owners = None
        self._tags: dict[str, int] = {}

    def written_tables(self) -> list[str]:
        return [Customer._meta.db_table, CustomerNameGram._meta.db_table]

    def fields(self) -> list[ImportField]:
        fields = fields_from_form(CustomerInput, [*CUSTOMER_WRITABLE, "tags"], CUSTOMER_ALIASES)
        # As when created by hand: a company unless the row says otherwise.
        fields[0].required, fields[0].default = False, "company"
        fields.append(
            ImportField(
                "owner",
                gettext_lazy("owner"),
                CUSTOMER_ALIASES["owner"],
                convert=self.owner_id,
                default=self.actor.pk,
            )
        )
        return fields

    def owner_id(self, value) -> int | None:
        """A username or full name of someone the importer may assign to; 公海 = the pool."""
        from django.core.exceptions import ValidationError

        text = str(value).strip()
        if text.lower() in POOL_WORDS:
            return None
        if self._owners is None:
            self._owners = {}
            for pk, username, full_name in assignable_users(self.actor).values_list(
                "pk", "username", "full_name"
            ):
                self._owners[username.lower()] = pk
                if full_name:
                    self._owners.setdefault(full_name.lower(), pk)
        owner = self._owners.get(text.lower())
        if owner is None:
            raise ValidationError(
                _("“%(value)s” is not a user you can assign customers to.") % {"value": text}
            )
        return owner

    def _existing(self, field_name: str, values: list[str]) -> dict[str, dict]:
        found = {}
        for start in range(0, len(values), LOOKUP_BATCH):
            batch = values[start : start + LOOKUP_BATCH]
            for row in self.scope.filter(**{f"{field_name}__in_list": batch}).values(
                "id", "owner_id", *CUSTOMER_WRITABLE
            ):
                found.setdefault(row[field_name], row)
        return found

    def _taken(self, field_name: str, values: list[str]) -> dict[str, int]:
        """Values of a duplicate-checked field already held by any live customer."""
        # Plain SQL: building the ORM's IN lookup costs more than running it, at this volume.
        taken = {}
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for start in range(0, len(values), LOOKUP_BATCH):
                condition, params = in_list_sql(
                    quote(field_name), values[start : start + LOOKUP_BATCH], connection.vendor
                )
                cursor.execute(
                    f"SELECT {quote(field_name)}, id FROM {quote(Customer._meta.db_table)} "
                    f"WHERE deleted_at IS NULL AND {condition}",
                    params,
                )
                for value, pk in cursor.fetchall():
                    taken.setdefault(value, pk)
        return taken

    def process(self, rows, *, write: bool) -> ChunkResult:
        result = ChunkResult()
        key = self.match_key
        keyed = []
        for number, values, raw in rows:
            value = values.get(key) or ""
            if not value:
                result.errors.append(
                    RowError(
                        number,
                        key,
                        "",
                        _("The key column (%(key)s) is empty; rows are matched by it.")
                        % {"key": self.match_keys[key]},
                    )
                )
                continue
            if self.claim_key(number, value, key, result):
                keyed.append((number, values, raw))
        existing = self._existing(key, [values[key] for _n, values, _r in keyed])
        creates, updates = [], []
        for number, values, _raw in keyed:
            current = existing.get(values[key])
            if current is None:
                creates.append((number, values))
                continue
            changes = {
                name: [current[name], values[name]]
                for name in CUSTOMER_WRITABLE
                if name in values and values[name] != current[name]
            }
            if changes:
                updates.append((current["id"], values, changes))
            else:
                result.unchanged += 1
        creates = self._without_duplicates(creates, result)
        result.created = len(creates)
        result.updated = len(updates)
        if write:
            self._write_creates(creates)
            self._write_updates(updates)
        return result

    def _without_duplicates(self, creates, result: ChunkResult):
        """New customers may not repeat another live customer's credit code, phone or email
        (the forms' duplicate rule); the user matches by that key instead."""
        kept = creates
        # The match key too: a visible holder was matched above, so one found here is a
        # customer the importer may not see, and a second record would duplicate it.
        for name in ("credit_code", "phone", "email", "external_id"):
            taken = self._taken(name, [values[name] for _n, values in kept if values.get(name)])
            if not taken:
                continue
            remaining = []
            for number, values in kept:
                if taken.get(values.get(name) or None) is None:
                    remaining.append((number, values))
                else:
                    result.errors.append(
                        RowError(
                            number,
                            name,
                            values[name],
                            _("Another customer already has this %(field)s.")
                            % {"field": CustomerInput.base_fields[name].label},
                        )
                    )
            kept = remaining
        return kept

    def _tag_ids(self, names: set[str]) -> dict[str, int]:
        missing = [name for name in names if name not in self._tags]
        if missing:
            existing = dict(Tag.objects.filter(name__in=missing).values_list("name", "id"))
            new = [name for name in missing if name not in existing]
            if new:
                Tag.objects.bulk_create([Tag(name=name) for name in new], ignore_conflicts=True)
                existing.update(Tag.objects.filter(name__in=new).values_list("name", "id"))
            self._tags.update(existing)
        return self._tags

    def _write_creates(self, creates) -> None:
        if not creates:
            return
        first_id = next_id(Customer)
        now = self.text(self.now)
        team_ids = {}
        rows, names, links, audits = [], [], [], []
        for offset, (_number, values) in enumerate(creates):
            pk = first_id + offset
            owner = values.get("owner", self.actor.pk)
            if owner not in team_ids:
                team_ids[owner] = (
                    User.objects.filter(pk=owner).values_list("team_id", flat=True).first()
                    if owner
                    else None
                )
            rows.append(
                (
                    pk, now, now, values.get("kind") or "company", values["name"],
                    *(values.get(name, "") or "" for name in CUSTOMER_WRITABLE[2:]),
                    owner, team_ids[owner], "{}", self.actor.pk,
                )
            )  # fmt: skip
            names.append((pk, values["name"]))
            for tag in values.get("tags") or ():
                links.append((pk, tag))
            audits.append(
                (
                    AuditAction.CREATE,
                    "customers.customer",
                    pk,
                    values["name"],
                    pk,
                    {name: [None, values[name]] for name in CUSTOMER_WRITABLE if values.get(name)},
                )
            )
        bulk_insert(Customer, CUSTOMER_COLUMNS, rows)
        # Sorted as the index is: inserting in key order touches each index page once.
        bulk_insert(CustomerNameGram, ("gram", "customer_id"), sorted(gram_rows(names)))
        if links:
            tag_ids = self._tag_ids({tag for _pk, tag in links})
            bulk_insert(
                Customer.tags.through,
                ("customer_id", "tag_id"),
                [(pk, tag_ids[tag]) for pk, tag in links],
            )
        bulk_insert(AuditEntry, AUDIT_COLUMNS, self.audit_rows(audits))

    def _write_updates(self, updates) -> None:
        if not updates:
            return
        now = self.text(self.now)
        renamed = []
        audits = []
        by_columns: dict[tuple, list] = {}
        for pk, values, changes in updates:
            columns = tuple(sorted(changes))
            by_columns.setdefault(columns, []).append(
                (*(values[name] for name in columns), now, pk)
            )
            if "name" in changes:
                renamed.append((pk, values["name"]))
            audits.append(
                (AuditAction.UPDATE, "customers.customer", pk, values["name"], pk, changes)
            )
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for columns, params in by_columns.items():
                assignments = ", ".join(f"{quote(name)} = %s" for name in (*columns, "updated_at"))
                cursor.executemany(
                    f"UPDATE {quote(Customer._meta.db_table)} SET {assignments} WHERE id = %s",
                    params,
                )
        if renamed:
            CustomerNameGram.objects.filter(customer_id__in=[pk for pk, _n in renamed]).delete()
            bulk_insert(CustomerNameGram, ("gram", "customer_id"), gram_rows(renamed))
        bulk_insert(AuditEntry, AUDIT_COLUMNS, self.audit_rows(audits))
