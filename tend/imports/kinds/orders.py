"""Orders and payments (订单 / 回款), matched within their customer by the order number or the
payment's reference. Imported payments settle the customer's oldest outstanding orders first,
as payments entered by hand do; the customers' last-order time node follows the orders."""

from django.db import connection
from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy

from tend.customers.models import Customer
from tend.imports.fields import fields_from_form
from tend.imports.kinds.base import LOOKUP_BATCH, KeyedChildImport
from tend.orders.inputs import OrderInput, PaymentInput
from tend.orders.models import Order, Payment

ORDER_ALIASES = {
    "number": ("订单号", "订单编号", "单号", "order no", "order number"),
    "description": ("产品", "商品", "摘要", "描述", "product", "item"),
    "quantity": ("数量", "qty"),
    "amount": ("金额", "订单金额", "总额", "total"),
    "ordered_on": ("下单日期", "订单日期", "日期", "date", "order date"),
    "due_on": ("付款期限", "到期日", "应收日期", "due", "due date"),
    "notes": ("备注", "note"),
}
ORDER_FIELDS = ("number", "description", "quantity", "amount", "ordered_on", "due_on", "notes")
PAYMENT_ALIASES = {
    "amount": ("金额", "回款金额", "收款金额", "total"),
    "received_on": ("回款日期", "收款日期", "到账日期", "日期", "date"),
    "method": ("方式", "付款方式", "收款方式", "payment method"),
    "reference": ("流水号", "交易号", "凭证号", "参考号", "ref"),
    "notes": ("备注", "note"),
}
PAYMENT_FIELDS = ("amount", "received_on", "method", "reference", "notes")


class _LedgerImport(KeyedChildImport):
    fields_order: tuple[str, ...] = ()
    aliases: dict = {}

    def fields(self):
        return [
            *self.reference_fields(),
            *fields_from_form(self.form_class, list(self.fields_order), self.aliases),
        ]

    def insert_value(self, name, values, customer_id):
        if name == "created_by_id":
            return self.actor.pk
        value = self.value(name, values)
        if value is None and name in ("number", "notes", "reference", "description"):
            return ""
        return value


class OrderImport(_LedgerImport):
    key = "orders"
    label = gettext_lazy("Orders")
    match_keys = {"number": gettext_lazy("order number")}
    model = Order
    form_class = OrderInput
    fields_order = ORDER_FIELDS
    aliases = ORDER_ALIASES
    insert_columns = (*ORDER_FIELDS, "contract_id", "created_by_id")
    writable = ORDER_FIELDS

    def insert_value(self, name, values, customer_id):
        if name == "contract_id":
            return None
        if name == "quantity" and values.get("quantity") is None:
            return 1
        return super().insert_value(name, values, customer_id)

    def label_of(self, values):
        return values.get("number") or values.get("description", "")

    def _insert(self, creates) -> None:
        # The newest order date per customer among the new orders: their time node moves
        # forward to it without re-reading every order of theirs.
        newest: dict[int, object] = {}
        for values, customer_id in creates:
            ordered_on = values.get("ordered_on")
            if ordered_on and (customer_id not in newest or ordered_on > newest[customer_id]):
                newest[customer_id] = ordered_on
        self._newest_orders = newest
        super()._insert(creates)

    def _update(self, updates) -> None:
        # An order whose date changed may have been the newest: those customers are
        # recomputed from their orders.
        self._redated = {
            customer_id for _pk, customer_id, _values, changes in updates if "ordered_on" in changes
        }
        super()._update(updates)

    def after_write(self, customer_ids):
        now = timezone.now()
        newest = getattr(self, "_newest_orders", {})
        redated = getattr(self, "_redated", set())
        self._newest_orders, self._redated = {}, set()
        quote = connection.ops.quote_name
        table = quote(Customer._meta.db_table)
        moved = [
            (
                connection.ops.adapt_datefield_value(day),
                connection.ops.adapt_datetimefield_value(now),
                customer_id,
                connection.ops.adapt_datefield_value(day),
            )
            for customer_id, day in newest.items()
            if customer_id not in redated
        ]
        if moved:
            # Only customers whose date moves are written: on PostgreSQL every UPDATE writes a
            # new row version into each of the customer table's indexes, changed or not.
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {table} SET last_order_on = %s, updated_at = %s "
                    "WHERE id = %s AND (last_order_on IS NULL OR last_order_on < %s)",
                    moved,
                )
        recomputed = list(redated | (set(customer_ids) - set(newest)))
        last = (
            Order.objects.filter(customer_id=OuterRef("pk"), deleted_at__isnull=True)
            .values("customer_id")
            .annotate(last=Max("ordered_on"))
            .values("last")
        )
        for start in range(0, len(recomputed), LOOKUP_BATCH):
            Customer.objects.filter(pk__in_list=recomputed[start : start + LOOKUP_BATCH]).update(
                last_order_on=Subquery(last), updated_at=now
            )


class PaymentImport(_LedgerImport):
    key = "payments"
    label = gettext_lazy("Payments")
    match_keys = {"reference": gettext_lazy("reference")}
    model = Payment
    form_class = PaymentInput
    fields_order = PAYMENT_FIELDS
    aliases = PAYMENT_ALIASES
    insert_columns = (*PAYMENT_FIELDS, "created_by_id")
    writable = PAYMENT_FIELDS

    def fields(self):
        fields = super().fields()
        for import_field in fields:
            if import_field.name == "method":
                import_field.default = "bank_transfer"
        return fields

    def label_of(self, values):
        return f"{values.get('amount')} {values.get('received_on')}"

    def _insert(self, creates):
        first = Payment.objects.order_by("-id").values_list("id", flat=True).first() or 0
        super()._insert(creates)
        self.new_payment_floor = first

    def after_write(self, customer_ids):
        """New payments settle the oldest outstanding orders first (as entered by hand)."""
        from tend.orders.actions import auto_allocate_payment

        floor = getattr(self, "new_payment_floor", None)
        if floor is None:
            return
        for payment in Payment.objects.filter(
            pk__gt=floor, customer_id__in=customer_ids, deleted_at__isnull=True
        ).order_by("received_on", "id"):
            auto_allocate_payment(actor=self.actor, payment=payment)
        self.new_payment_floor = None
