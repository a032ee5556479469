"""Activities (跟进记录): matched by customer, time and type, so a history exported from another
system can be imported twice without doubling; the customers' time nodes follow."""

from django.core.exceptions import ValidationError
from django.db.models import Max, Min, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tend.activities.inputs import ActivityInput
from tend.activities.models import Activity
from tend.customers.models import Customer
from tend.imports.fields import ImportField, fields_from_form
from tend.imports.kinds.base import LOOKUP_BATCH, KeyedChildImport
from tend.status.cadence import refresh_follow_up_due

ACTIVITY_ALIASES = {
    "kind": ("类型", "跟进方式", "方式", "type"),
    "occurred_at": ("时间", "跟进时间", "日期", "发生时间", "date", "time", "when"),
    "summary": ("内容", "跟进内容", "摘要", "记录", "notes", "content"),
    "outcome": ("结果", "跟进结果", "result"),
    "valid_communication": ("有效沟通", "是否有效", "valid"),
    "next_follow_up_on": ("下次跟进", "下次跟进日期", "next follow up", "follow up"),
    "author": ("跟进人", "记录人", "负责人", "销售", "author", "by"),
}
ACTIVITY_FIELDS = (
    "kind", "occurred_at", "summary", "outcome", "valid_communication", "next_follow_up_on",
)  # fmt: skip


class ActivityImport(KeyedChildImport):
    key = "activities"
    label = gettext_lazy("Activities")
    match_keys = {"occurred_at": gettext_lazy("customer, time and type")}
    model = Activity
    insert_columns = (*ACTIVITY_FIELDS, "contact_id", "author_id")
    writable = ACTIVITY_FIELDS

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._authors = None

    def fields(self):
        return [
            *self.reference_fields(),
            *fields_from_form(ActivityInput, list(ACTIVITY_FIELDS), ACTIVITY_ALIASES),
            ImportField(
                "author",
                gettext_lazy("author"),
                ACTIVITY_ALIASES["author"],
                convert=self.author_id,
                default=self.actor.pk,
            ),
        ]

    def author_id(self, value) -> int:
        from tend.accounts.models import User

        if self._authors is None:
            self._authors = {}
            for pk, username, full_name in User.objects.values_list("pk", "username", "full_name"):
                self._authors[username.lower()] = pk
                if full_name:
                    self._authors.setdefault(full_name.lower(), pk)
        author = self._authors.get(str(value).strip().lower())
        if author is None:
            raise ValidationError(_("“%(value)s” is not a user of Tend.") % {"value": value})
        return author

    def key_of(self, customer_id, values):
        occurred_at = values.get("occurred_at")
        if occurred_at is None:
            return None
        return (customer_id, occurred_at, values.get("kind"))

    def existing(self, keyed) -> dict:
        found = {}
        for start in range(0, len(keyed), LOOKUP_BATCH):
            batch = keyed[start : start + LOOKUP_BATCH]
            for row in Activity.objects.filter(
                deleted_at__isnull=True,
                customer_id__in_list={customer_id for _n, _v, customer_id, _k in batch},
                occurred_at__in_list={key[1] for _n, _v, _c, key in batch},
            ).values("id", "customer_id", *ACTIVITY_FIELDS):
                found.setdefault((row["customer_id"], row["occurred_at"], row["kind"]), row)
        return found

    def insert_value(self, name, values, customer_id):
        if name == "contact_id":
            return None
        if name == "author_id":
            return values.get("author", self.actor.pk)
        value = self.value(name, values)
        if name == "valid_communication":
            return bool(value)
        if value is None and name in ("outcome", "summary"):
            return ""
        return value

    def label_of(self, values):
        return f"{values.get('kind', '')} {values['occurred_at']:%Y-%m-%d}"

    def after_write(self, customer_ids):
        """First and last contact and the next follow-up, recomputed for these customers in
        one statement, then their follow-up due date in another (as logging each activity
        by hand would have left them)."""
        live = Activity.objects.filter(customer_id=OuterRef("pk"), deleted_at__isnull=True)
        ids = list(customer_ids)
        for start in range(0, len(ids), LOOKUP_BATCH):
            batch = Customer.objects.filter(pk__in_list=ids[start : start + LOOKUP_BATCH])
            batch.update(
                first_contact_at=Subquery(
                    live.values("customer_id").annotate(first=Min("occurred_at")).values("first")
                ),
                last_contact_at=Subquery(
                    live.values("customer_id").annotate(last=Max("occurred_at")).values("last")
                ),
                next_follow_up_on=Subquery(
                    live.filter(next_follow_up_on__isnull=False)
                    .order_by("-occurred_at", "-id")
                    .values("next_follow_up_on")[:1]
                ),
                updated_at=timezone.now(),
            )
            refresh_follow_up_due(batch)
