"""Reading orders, payments and receivables. An order or payment is visible exactly when its
customer is. Allocations count only while both their payment and their order are live."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from tend.accounts.models import User
from tend.core.ids import get_or_not_found, parse_record_id
from tend.core.pagination import Page, keyset_page
from tend.core.time import today as local_today
from tend.core.timeline import TimelineCursor, TimelineEntry
from tend.customers.models import Customer
from tend.customers.selectors import customer_visibility
from tend.orders.models import Order, Payment, PaymentAllocation

MONEY = DecimalField(max_digits=18, decimal_places=2)
ZERO = Decimal("0.00")
CENT = Decimal("0.01")
# SQLite sums decimals as floating point; half a cent absorbs its rounding in comparisons.
HALF_CENT = Decimal("0.005")
ORDER_ORDERINGS = ("-ordered_on", "due_on")
PAYMENT_ORDERINGS = ("-received_on",)


def cents(value) -> Decimal:
    """A sum as money: SQLite hands back sums without their two decimal places."""
    return (value if value is not None else ZERO).quantize(CENT)


def _sum_of(queryset: QuerySet, group_by: str) -> Coalesce:
    """SUM(amount) of a correlated subquery, zero when it has no rows."""
    total = queryset.values(group_by).annotate(total=Sum("amount")).values("total")
    return Coalesce(Subquery(total, output_field=MONEY), Value(ZERO), output_field=MONEY)


def allocated_to_order() -> Coalesce:
    """For an Order query: what live payments have paid of the order."""
    return _sum_of(
        PaymentAllocation.objects.filter(order=OuterRef("pk"), payment__deleted_at__isnull=True),
        "order",
    )


def allocated_from_payment() -> Coalesce:
    """For a Payment query: how much of the payment went to live orders."""
    return _sum_of(
        PaymentAllocation.objects.filter(payment=OuterRef("pk"), order__deleted_at__isnull=True),
        "payment",
    )


def with_outstanding(orders: QuerySet[Order]) -> QuerySet[Order]:
    return orders.annotate(allocated=allocated_to_order()).annotate(
        outstanding=ExpressionWrapper(F("amount") - F("allocated"), output_field=MONEY)
    )


def with_unallocated(payments: QuerySet[Payment]) -> QuerySet[Payment]:
    return payments.annotate(allocated=allocated_from_payment()).annotate(
        unallocated=ExpressionWrapper(F("amount") - F("allocated"), output_field=MONEY)
    )


OPEN = Q(outstanding__gt=HALF_CENT)


def visible_orders(user: User) -> QuerySet[Order]:
    return Order.objects.filter(customer_visibility(user), deleted_at__isnull=True)


def access_order(user: User, order_id) -> Order:
    return get_or_not_found(
        with_outstanding(visible_orders(user)).select_related("customer", "contract", "created_by"),
        order_id,
    )


def visible_payments(user: User) -> QuerySet[Payment]:
    return Payment.objects.filter(customer_visibility(user), deleted_at__isnull=True)


def access_payment(user: User, payment_id) -> Payment:
    return get_or_not_found(
        with_unallocated(visible_payments(user)).select_related("customer", "created_by"),
        payment_id,
    )


def access_allocation(user: User, allocation_id) -> PaymentAllocation:
    """An allocation of a visible, live payment to a live order."""
    return get_or_not_found(
        PaymentAllocation.objects.filter(
            payment__in=visible_payments(user), order__deleted_at__isnull=True
        ).select_related("payment", "order"),
        allocation_id,
    )


class OrderState:
    OUTSTANDING = "outstanding"
    PAID = "paid"
    OVERDUE = "overdue"
    CHOICES = (OUTSTANDING, PAID, OVERDUE)


@dataclass
class OrderFilters:
    customer: str = ""
    contract: str = ""
    state: str = ""  # one of OrderState.CHOICES, or empty for all
    ordered_from: datetime.date | None = None
    ordered_to: datetime.date | None = None


def _by_id(queryset: QuerySet, field: str, value: str) -> QuerySet:
    record_id = parse_record_id(value)
    return queryset.filter(**{f"{field}_id": record_id}) if record_id else queryset.none()


def filter_orders(user: User, filters: OrderFilters, today=None) -> QuerySet[Order]:
    orders = with_outstanding(visible_orders(user))
    if filters.customer:
        orders = _by_id(orders, "customer", filters.customer)
    if filters.contract:
        orders = _by_id(orders, "contract", filters.contract)
    if filters.state == OrderState.OUTSTANDING:
        orders = orders.filter(OPEN)
    elif filters.state == OrderState.PAID:
        orders = orders.exclude(OPEN)
    elif filters.state == OrderState.OVERDUE:
        orders = orders.filter(OPEN, due_on__lt=today or local_today())
    if filters.ordered_from:
        orders = orders.filter(ordered_on__gte=filters.ordered_from)
    if filters.ordered_to:
        orders = orders.filter(ordered_on__lte=filters.ordered_to)
    return orders


def order_page(
    user: User,
    filters: OrderFilters,
    *,
    ordering: str = "-ordered_on",
    cursor: str | None = None,
    limit: int = 25,
) -> Page:
    if ordering not in ORDER_ORDERINGS:
        ordering = "-ordered_on"
    orders = filter_orders(user, filters).select_related("customer", "created_by")
    return keyset_page(orders, ordering, cursor, limit)


@dataclass
class PaymentFilters:
    customer: str = ""
    method: str = ""
    unallocated: bool = False
    received_from: datetime.date | None = None
    received_to: datetime.date | None = None


def filter_payments(user: User, filters: PaymentFilters) -> QuerySet[Payment]:
    payments = with_unallocated(visible_payments(user))
    if filters.customer:
        payments = _by_id(payments, "customer", filters.customer)
    if filters.method:
        payments = payments.filter(method=filters.method)
    if filters.unallocated:
        payments = payments.filter(unallocated__gt=HALF_CENT)
    if filters.received_from:
        payments = payments.filter(received_on__gte=filters.received_from)
    if filters.received_to:
        payments = payments.filter(received_on__lte=filters.received_to)
    return payments


def payment_page(
    user: User, filters: PaymentFilters, *, cursor: str | None = None, limit: int = 25
) -> Page:
    payments = filter_payments(user, filters).select_related("customer", "created_by")
    return keyset_page(payments, "-received_on", cursor, limit)


def order_allocations(order: Order) -> list[PaymentAllocation]:
    return list(
        order.allocations.filter(payment__deleted_at__isnull=True)
        .select_related("payment")
        .order_by("payment__received_on", "id")
    )


def payment_allocations(payment: Payment) -> list[PaymentAllocation]:
    return list(
        payment.allocations.filter(order__deleted_at__isnull=True)
        .select_related("order")
        .order_by("order__ordered_on", "id")
    )


def outstanding_orders(customer_id: int) -> QuerySet[Order]:
    """The customer's live orders that still await money, oldest first (the FIFO order)."""
    return (
        with_outstanding(Order.objects.filter(customer_id=customer_id, deleted_at__isnull=True))
        .filter(OPEN)
        .order_by("ordered_on", "id")
    )


def customer_recent_orders(customer: Customer, limit: int = 20) -> list[Order]:
    return list(
        with_outstanding(Order.objects.filter(customer=customer, deleted_at__isnull=True))
        .select_related("contract")
        .order_by("-ordered_on", "-id")[:limit]
    )


def contract_orders(contract, limit: int = 50) -> list[Order]:
    return list(
        with_outstanding(Order.objects.filter(contract=contract, deleted_at__isnull=True)).order_by(
            "-ordered_on", "-id"
        )[:limit]
    )


def customer_recent_payments(customer: Customer, limit: int = 20) -> list[Payment]:
    return list(
        with_unallocated(
            Payment.objects.filter(customer=customer, deleted_at__isnull=True)
        ).order_by("-received_on", "-id")[:limit]
    )


@dataclass(frozen=True)
class Receivables:
    """What a customer owes and has paid, from live orders and payments."""

    ordered: Decimal = ZERO
    paid: Decimal = ZERO
    allocated: Decimal = ZERO
    overdue: Decimal = ZERO
    oldest_overdue_due_on: datetime.date | None = None
    oldest_overdue_days: int | None = None

    @property
    def balance(self) -> Decimal:
        """The receivable balance (应收): ordered less what payments have settled."""
        return self.ordered - self.allocated

    @property
    def credit(self) -> Decimal:
        """Money received and not yet allocated to any order."""
        return self.paid - self.allocated


def receivables_for(
    customer_ids: Iterable[int], today: datetime.date | None = None
) -> dict[int, Receivables]:
    """Receivables of many customers (a page of a list) in one query. Overdue counts the
    orders past their due date that still have an amount outstanding."""
    today = today or local_today()
    ids = list(customer_ids)
    if not ids:
        return {}
    live_orders = Order.objects.filter(customer=OuterRef("pk"), deleted_at__isnull=True)
    overdue_orders = with_outstanding(live_orders).filter(OPEN, due_on__lt=today)
    overdue_total = overdue_orders.values("customer").annotate(total=Sum("outstanding"))
    rows = (
        Customer.objects.filter(pk__in=ids)
        .annotate(
            ordered=_sum_of(live_orders, "customer"),
            paid=_sum_of(
                Payment.objects.filter(customer=OuterRef("pk"), deleted_at__isnull=True),
                "customer",
            ),
            allocated=_sum_of(
                PaymentAllocation.objects.filter(
                    order__customer=OuterRef("pk"),
                    order__deleted_at__isnull=True,
                    payment__deleted_at__isnull=True,
                ),
                "order__customer",
            ),
            overdue=Coalesce(
                Subquery(overdue_total.values("total"), output_field=MONEY),
                Value(ZERO),
                output_field=MONEY,
            ),
            oldest_due_on=Subquery(overdue_orders.order_by("due_on", "id").values("due_on")[:1]),
        )
        .values_list("pk", "ordered", "paid", "allocated", "overdue", "oldest_due_on")
    )
    result = {}
    for pk, ordered, paid, allocated, overdue, oldest_due_on in rows:
        if isinstance(oldest_due_on, str):  # SQLite hands back a subquery's date as text
            oldest_due_on = datetime.date.fromisoformat(oldest_due_on)
        result[pk] = Receivables(
            ordered=cents(ordered),
            paid=cents(paid),
            allocated=cents(allocated),
            overdue=cents(overdue),
            oldest_overdue_due_on=oldest_due_on,
            oldest_overdue_days=(today - oldest_due_on).days if oldest_due_on else None,
        )
    return result


def customer_receivables(customer_id: int, today: datetime.date | None = None) -> Receivables:
    return receivables_for([customer_id], today).get(customer_id, Receivables())


def _at_start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _before_day(cursor: TimelineCursor, kind: str, field: str) -> Q:
    """TimelineCursor.before for a kind whose events sit at the start of a date: a date
    compared with the cursor's moment, not truncated to it (an order of day D, at D 00:00, is
    older than an activity at D 15:00)."""
    if cursor.at is None:
        return Q()
    moment = timezone.localtime(cursor.at)
    day = moment.date()
    if moment.time() != datetime.time.min:
        return Q(**{f"{field}__lte": day})
    older = Q(**{f"{field}__lt": day})
    if kind < cursor.kind:
        older |= Q(**{field: day})
    elif kind == cursor.kind:
        older |= Q(**{field: day, "id__lt": cursor.record_id})
    return older


def order_timeline_entries(customer_id: int, cursor: TimelineCursor, limit: int) -> list:
    """Orders placed, as timeline events at the start of their order date."""
    orders = (
        Order.objects.filter(customer_id=customer_id, deleted_at__isnull=True)
        .filter(_before_day(cursor, "order", "ordered_on"))
        .order_by("-ordered_on", "-id")[:limit]
    )
    return [
        TimelineEntry(_at_start_of(o.ordered_on), "order", o.pk, o, "web/timeline/order.html")
        for o in orders
    ]


def payment_timeline_entries(customer_id: int, cursor: TimelineCursor, limit: int) -> list:
    """Payments received, as timeline events at the start of their day."""
    payments = (
        Payment.objects.filter(customer_id=customer_id, deleted_at__isnull=True)
        .filter(_before_day(cursor, "payment", "received_on"))
        .order_by("-received_on", "-id")[:limit]
    )
    return [
        TimelineEntry(_at_start_of(p.received_on), "payment", p.pk, p, "web/timeline/payment.html")
        for p in payments
    ]
