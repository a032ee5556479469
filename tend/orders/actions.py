"""Writes to orders, payments and allocations. Every allocation is checked against what is
left of the payment and of the order, with both rows locked; an order's changes keep the
customer's "last order" time node current."""

import uuid
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from tend.accounts.models import User
from tend.audit.actions import diff, record_change, save_with_audit, snapshot
from tend.audit.models import AuditAction
from tend.contracts.models import Contract
from tend.core.errors import ValidationFailed
from tend.core.inputs import clean_input
from tend.customers.models import Customer
from tend.orders.inputs import AllocationInput, OrderInput, PaymentInput
from tend.orders.models import Order, Payment, PaymentAllocation
from tend.orders.selectors import ZERO
from tend.recyclebin.actions import delete_record
from tend.status.events import customer_event
from tend.status.models import RuleTrigger

ORDER_FIELDS = [
    "number",
    "description",
    "quantity",
    "amount",
    "ordered_on",
    "due_on",
    "contract",
    "notes",
]
PAYMENT_FIELDS = ["amount", "received_on", "method", "reference", "notes"]
ALLOCATION_FIELDS = ["payment", "order", "amount"]


def refresh_last_order(customer_id: int) -> None:
    """Recompute the customer's "last order" time node from its live orders."""
    last = Order.objects.filter(customer_id=customer_id, deleted_at__isnull=True).aggregate(
        last=Max("ordered_on")
    )["last"]
    Customer.objects.filter(pk=customer_id).exclude(last_order_on=last).update(
        last_order_on=last, updated_at=timezone.now()
    )


def _money(value) -> Decimal:
    return (value or ZERO).quantize(Decimal("0.01"))


def _paid_of_order(order_id: int) -> Decimal:
    return _money(
        PaymentAllocation.objects.filter(
            order_id=order_id, payment__deleted_at__isnull=True
        ).aggregate(total=Sum("amount"))["total"]
    )


def _allocated_of_payment(payment_id: int) -> Decimal:
    return _money(
        PaymentAllocation.objects.filter(
            payment_id=payment_id, order__deleted_at__isnull=True
        ).aggregate(total=Sum("amount"))["total"]
    )


def _resolve_contract(customer_id: int, contract_id, order: Order | None = None):
    if not contract_id:
        return None
    if order is not None and contract_id == order.contract_id:
        return order.contract
    contract = Contract.objects.filter(
        pk=contract_id, customer_id=customer_id, deleted_at__isnull=True
    ).first()
    if contract is None:
        raise ValidationFailed(
            field_errors={"contract": [_("Choose a contract of this customer.")]}
        )
    return contract


@transaction.atomic
def create_order(*, actor: User, customer: Customer, data: dict) -> Order:
    cleaned = clean_input(OrderInput, data)
    cleaned["contract"] = _resolve_contract(customer.pk, cleaned["contract"])
    order = Order.objects.create(customer=customer, created_by=actor, **cleaned)
    refresh_last_order(customer.pk)
    record_change(
        actor=actor,
        action=AuditAction.CREATE,
        instance=order,
        customer_id=customer.pk,
        changes=diff({}, snapshot(order, ORDER_FIELDS)),
    )
    customer_event(order.customer_id, RuleTrigger.ORDER_RECORDED)
    return order


@transaction.atomic
def update_order(*, actor: User, order: Order, data: dict) -> Order:
    current = {name: getattr(order, name) for name in ORDER_FIELDS if name != "contract"}
    current["contract"] = order.contract_id
    cleaned = clean_input(OrderInput, data, current=current)
    order = Order.objects.select_for_update().get(pk=order.pk)
    if "contract" in cleaned:
        cleaned["contract"] = _resolve_contract(order.customer_id, cleaned["contract"], order)
    if "amount" in cleaned:
        paid = _paid_of_order(order.pk)
        if cleaned["amount"] < paid:
            raise ValidationFailed(
                field_errors={
                    "amount": [
                        _("%(paid)s of this order is already paid; the amount cannot be less.")
                        % {"paid": paid}
                    ]
                }
            )
    save_with_audit(actor, order, ORDER_FIELDS, cleaned, customer_id=order.customer_id)
    refresh_last_order(order.customer_id)
    customer_event(order.customer_id, RuleTrigger.ORDER_RECORDED)
    return order


@transaction.atomic
def delete_order(*, actor: User, order: Order) -> uuid.UUID:
    """To the recycle bin. Its allocations stop counting (the money they held is the
    customer's credit again) until the order is restored."""
    return delete_record(
        actor=actor, record=order, then=lambda: refresh_last_order(order.customer_id)
    )


@transaction.atomic
def record_payment(
    *, actor: User, customer: Customer, data: dict, allocations: list[dict] | None = None
) -> Payment:
    """Record money received. `allocations` ([{"order": id, "amount": x}, …]) say where it
    goes; without them it settles the oldest outstanding orders first (FIFO); an empty list
    keeps it all as the customer's credit."""
    cleaned = clean_input(PaymentInput, data)
    payment = Payment.objects.create(customer=customer, created_by=actor, **cleaned)
    record_change(
        actor=actor,
        action=AuditAction.CREATE,
        instance=payment,
        customer_id=customer.pk,
        changes=diff({}, snapshot(payment, PAYMENT_FIELDS)),
    )
    if allocations is None:
        auto_allocate_payment(actor=actor, payment=payment)
    else:
        _allocate_many(actor, payment, allocations)
    customer_event(payment.customer_id, RuleTrigger.PAYMENT_RECORDED)
    return payment


@transaction.atomic
def update_payment(*, actor: User, payment: Payment, data: dict) -> Payment:
    current = {name: getattr(payment, name) for name in PAYMENT_FIELDS}
    cleaned = clean_input(PaymentInput, data, current=current)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if "amount" in cleaned:
        allocated = _allocated_of_payment(payment.pk)
        if cleaned["amount"] < allocated:
            raise ValidationFailed(
                field_errors={
                    "amount": [
                        _(
                            "%(allocated)s of this payment is allocated to orders; "
                            "the amount cannot be less."
                        )
                        % {"allocated": allocated}
                    ]
                }
            )
    save_with_audit(actor, payment, PAYMENT_FIELDS, cleaned, customer_id=payment.customer_id)
    customer_event(payment.customer_id, RuleTrigger.PAYMENT_RECORDED)
    return payment


@transaction.atomic
def delete_payment(*, actor: User, payment: Payment) -> uuid.UUID:
    """To the recycle bin. Its allocations stop counting, so the orders it paid are
    outstanding again until it is restored."""
    return delete_record(actor=actor, record=payment)


def _removed(allocation: PaymentAllocation) -> dict:
    return {name: [value, None] for name, value in snapshot(allocation, ALLOCATION_FIELDS).items()}


def _lock_orders(payment: Payment, order_ids) -> dict[int, Order]:
    """The payment's customer's live orders among `order_ids`, locked in id order (one
    order for every transaction, so two allocations cannot deadlock)."""
    orders = Order.objects.select_for_update().filter(
        pk__in=list(order_ids), customer_id=payment.customer_id, deleted_at__isnull=True
    )
    return {order.pk: order for order in orders.order_by("pk")}


def _put(actor: User, payment: Payment, order: Order, amount: Decimal) -> PaymentAllocation:
    """Add `amount` of the payment to the order (checked by the caller), with its audit."""
    allocation = PaymentAllocation.objects.filter(payment=payment, order=order).first()
    if allocation is not None:
        save_with_audit(
            actor,
            allocation,
            ALLOCATION_FIELDS,
            {"amount": allocation.amount + amount},
            customer_id=payment.customer_id,
        )
        return allocation
    allocation = PaymentAllocation.objects.create(
        payment=payment, order=order, amount=amount, created_by=actor
    )
    record_change(
        actor=actor,
        action=AuditAction.CREATE,
        instance=allocation,
        customer_id=payment.customer_id,
        changes=diff({}, snapshot(allocation, ALLOCATION_FIELDS)),
    )
    return allocation


def _allocate_many(actor: User, payment: Payment, items: list[dict]) -> list[PaymentAllocation]:
    """Check every requested allocation against what is left, then write them all."""
    if not isinstance(items, list):
        raise ValidationFailed(field_errors={"allocations": [_("Enter a list of allocations.")]})
    wanted: list[tuple[int, Decimal]] = []
    for item in items:
        if not isinstance(item, dict):
            raise ValidationFailed(
                field_errors={"allocations": [_("Enter a list of allocations.")]}
            )
        try:
            cleaned = clean_input(AllocationInput, item)
        except ValidationFailed as exc:
            messages = [message for values in exc.field_errors.values() for message in values]
            raise ValidationFailed(field_errors={"allocations": messages}) from exc
        wanted.append((cleaned["order"], cleaned["amount"]))
    if not wanted:
        return []
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    orders = _lock_orders(payment, {order_id for order_id, _amount in wanted})
    left_of_payment = payment.amount - _allocated_of_payment(payment.pk)
    left_of_order: dict[int, Decimal] = {}
    errors = []
    for order_id, amount in wanted:
        order = orders.get(order_id)
        if order is None:
            errors.append(_("Choose an order of this payment's customer."))
            continue
        if order_id not in left_of_order:
            left_of_order[order_id] = order.amount - _paid_of_order(order_id)
        label = str(order)
        if amount > left_of_order[order_id]:
            errors.append(
                _("Only %(left)s of order %(order)s is outstanding.")
                % {"left": max(left_of_order[order_id], ZERO), "order": label}
            )
        elif amount > left_of_payment:
            errors.append(
                _("Only %(left)s of this payment is left to allocate.")
                % {"left": max(left_of_payment, ZERO)}
            )
        else:
            left_of_order[order_id] -= amount
            left_of_payment -= amount
    if errors:
        raise ValidationFailed(field_errors={"allocations": errors})
    return [_put(actor, payment, orders[order_id], amount) for order_id, amount in wanted]


@transaction.atomic
def allocate_payment(*, actor: User, payment: Payment, data: dict) -> PaymentAllocation:
    """Allocate part of a payment to one order of the same customer."""
    cleaned = clean_input(AllocationInput, data)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    order = _lock_orders(payment, [cleaned["order"]]).get(cleaned["order"])
    if order is None:
        raise ValidationFailed(
            field_errors={"order": [_("Choose an order of this payment's customer.")]}
        )
    amount = cleaned["amount"]
    left_of_payment = payment.amount - _allocated_of_payment(payment.pk)
    left_of_order = order.amount - _paid_of_order(order.pk)
    if amount > left_of_payment:
        raise ValidationFailed(
            field_errors={
                "amount": [
                    _("Only %(left)s of this payment is left to allocate.")
                    % {"left": max(left_of_payment, ZERO)}
                ]
            }
        )
    if amount > left_of_order:
        raise ValidationFailed(
            field_errors={
                "amount": [
                    _("Only %(left)s of order %(order)s is outstanding.")
                    % {"left": max(left_of_order, ZERO), "order": str(order)}
                ]
            }
        )
    return _put(actor, payment, order, amount)


@transaction.atomic
def auto_allocate_payment(*, actor: User, payment: Payment) -> list[PaymentAllocation]:
    """Spread what is left of the payment over the customer's outstanding orders, oldest
    first (FIFO). What no order needs stays as the customer's credit."""
    from tend.orders.selectors import outstanding_orders

    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    left = payment.amount - _allocated_of_payment(payment.pk)
    if left <= ZERO:
        return []
    candidates = list(outstanding_orders(payment.customer_id).values_list("pk", flat=True))
    orders = _lock_orders(payment, candidates)
    fifo = sorted(orders.values(), key=lambda order: (order.ordered_on, order.pk))
    allocations = []
    for order in fifo:
        if left <= ZERO:
            break
        # Read again under the lock: the list above was read before it.
        due = order.amount - _paid_of_order(order.pk)
        amount = min(due, left)
        if amount > ZERO:
            allocations.append(_put(actor, payment, order, amount))
            left -= amount
    return allocations


@transaction.atomic
def remove_allocation(*, actor: User, allocation: PaymentAllocation) -> None:
    """Take an allocation back: its money is the customer's credit again."""
    allocation = PaymentAllocation.objects.select_for_update().get(pk=allocation.pk)
    customer_id = Payment.objects.values_list("customer_id", flat=True).get(
        pk=allocation.payment_id
    )
    record_change(
        actor=actor,
        action=AuditAction.DELETE,
        instance=allocation,
        customer_id=customer_id,
        changes=_removed(allocation),
    )
    allocation.delete()


def _release_excess(customer_id: int) -> None:
    """After a restore, allocations that came back may exceed what their payment or order
    holds (the credit was spent meanwhile): trim the newest ones until both fit."""
    allocations = list(
        PaymentAllocation.objects.select_for_update()
        .filter(
            payment__customer_id=customer_id,
            payment__deleted_at__isnull=True,
            order__deleted_at__isnull=True,
        )
        .select_related("payment", "order")
        .order_by("-created_at", "-id")
    )
    payment_total: dict[int, Decimal] = {}
    order_total: dict[int, Decimal] = {}
    for allocation in allocations:
        payment_total[allocation.payment_id] = (
            payment_total.get(allocation.payment_id, ZERO) + allocation.amount
        )
        order_total[allocation.order_id] = (
            order_total.get(allocation.order_id, ZERO) + allocation.amount
        )
    for allocation in allocations:
        excess = max(
            payment_total[allocation.payment_id] - allocation.payment.amount,
            order_total[allocation.order_id] - allocation.order.amount,
            ZERO,
        )
        if excess <= ZERO:
            continue
        cut = min(excess, allocation.amount)
        payment_total[allocation.payment_id] -= cut
        order_total[allocation.order_id] -= cut
        if cut == allocation.amount:
            record_change(
                actor=None,
                action=AuditAction.DELETE,
                instance=allocation,
                customer_id=customer_id,
                changes=_removed(allocation),
                note="released after a restore",
            )
            allocation.delete()
        else:
            save_with_audit(
                None,
                allocation,
                ALLOCATION_FIELDS,
                {"amount": allocation.amount - cut},
                customer_id=customer_id,
                note="released after a restore",
            )


def refresh_order_ledger(customer_id: int) -> None:
    """After anything of the customer came back from the recycle bin: the last order time
    node, and allocations that no longer fit."""
    refresh_last_order(customer_id)
    _release_excess(customer_id)
