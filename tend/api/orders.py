"""/orders, /payments and /receivables: orders (订单), payments (回款), how payments are
allocated to orders, and what each customer owes (应收)."""

import datetime
from decimal import Decimal
from typing import Annotated

from django.db.models import Prefetch, prefetch_related_objects
from ninja import Field, Query, Router, Schema, Status
from pydantic import AfterValidator

from tend.api.access import PATH_RECORDS
from tend.api.common import (
    InputSchema,
    PageParams,
    RecordId,
    Timestamp,
    UserRef,
    body_data,
    page_out,
    responses,
)
from tend.api.contacts import customer_for_body
from tend.customers.selectors import access_customer
from tend.orders.actions import (
    allocate_payment,
    auto_allocate_payment,
    create_order,
    delete_order,
    delete_payment,
    record_payment,
    remove_allocation,
    update_order,
    update_payment,
)
from tend.orders.models import PaymentAllocation
from tend.orders.selectors import (
    OrderFilters,
    PaymentFilters,
    access_allocation,
    access_order,
    access_payment,
    cents,
    customer_receivables,
    order_allocations,
    order_page,
    payment_page,
)

# Sums computed by the database come back without their decimal places on SQLite.
Money = Annotated[Decimal, AfterValidator(cents)]

orders_router = Router(tags=["orders"])
payments_router = Router(tags=["payments"])
receivables_router = Router(tags=["receivables"])

# A record named in a path answers 404 to whoever may not see it, before anything else.
PATH_RECORDS.update(
    {"order_id": access_order, "payment_id": access_payment, "allocation_id": access_allocation}
)


class OrderChange(InputSchema):
    number: str | None = Field(None, description="The order's number in another system")
    description: str | None = Field(None, description="Product or description")
    quantity: Decimal | None = Field(None, description="1 when left out")
    amount: Decimal | None = None
    ordered_on: datetime.date | None = None
    due_on: datetime.date | None = Field(None, description="When payment is due")
    contract: RecordId | None = Field(None, description="A contract of the same customer")
    notes: str | None = None


class OrderCreate(OrderChange):
    customer: RecordId = Field(description="The customer's id")


class OrderOut(Schema):
    id: int
    customer: int
    contract: int | None
    number: str
    description: str
    quantity: Decimal
    amount: Decimal
    allocated: Money = Field(description="Paid by live payments")
    outstanding: Money
    ordered_on: datetime.date
    due_on: datetime.date | None
    notes: str
    created_by: UserRef | None
    created_at: Timestamp
    updated_at: Timestamp

    @staticmethod
    def resolve_customer(order) -> int:
        return order.customer_id

    @staticmethod
    def resolve_contract(order) -> int | None:
        return order.contract_id


class OrderPageOut(Schema):
    items: list[OrderOut]
    next_cursor: str | None


class OrderListParams(PageParams):
    customer: RecordId | None = Field(None, description="Only this customer's orders")
    contract: RecordId | None = Field(None, description="Only the orders under this contract")
    state: str | None = Field(
        None,
        pattern=r"^(outstanding|paid|overdue)$",
        description="outstanding, paid, or overdue (outstanding and past due)",
    )
    ordered_from: datetime.date | None = None
    ordered_to: datetime.date | None = None
    ordering: str = Field(
        "-ordered_on", pattern=r"^(-ordered_on|due_on)$", description="-ordered_on or due_on"
    )


class AllocationIn(InputSchema):
    order: RecordId = Field(description="An order of the payment's customer")
    amount: Decimal


class AllocationOut(Schema):
    id: int
    payment: int
    order: int
    amount: Decimal
    created_at: Timestamp

    @staticmethod
    def resolve_payment(allocation) -> int:
        return allocation.payment_id

    @staticmethod
    def resolve_order(allocation) -> int:
        return allocation.order_id


class PaymentChange(InputSchema):
    amount: Decimal | None = None
    received_on: datetime.date | None = None
    method: str | None = Field(
        None, description="bank_transfer (default), cash, cheque, alipay, wechat_pay, card, other"
    )
    reference: str | None = Field(None, description="The bank's or provider's reference")
    notes: str | None = None


class PaymentCreate(PaymentChange):
    customer: RecordId = Field(description="The customer's id")
    allocations: list[AllocationIn] | None = Field(
        None,
        description="Where the money goes. Left out: to the oldest outstanding orders first "
        "(FIFO); an empty list: kept as the customer's credit.",
    )


class PaymentOut(Schema):
    id: int
    customer: int
    amount: Decimal
    allocated: Money = Field(description="Allocated to live orders")
    unallocated: Money = Field(description="The customer's credit from this payment")
    received_on: datetime.date
    method: str
    reference: str
    notes: str
    allocations: list[AllocationOut]
    created_by: UserRef | None
    created_at: Timestamp
    updated_at: Timestamp

    @staticmethod
    def resolve_customer(payment) -> int:
        return payment.customer_id

    @staticmethod
    def resolve_allocations(payment) -> list:
        return payment.live_allocations


class PaymentPageOut(Schema):
    items: list[PaymentOut]
    next_cursor: str | None


class PaymentListParams(PageParams):
    customer: RecordId | None = Field(None, description="Only this customer's payments")
    method: str | None = None
    unallocated: bool = Field(False, description="Only payments with money left to allocate")
    received_from: datetime.date | None = None
    received_to: datetime.date | None = None


class ReceivablesOut(Schema):
    customer: int
    balance: Money = Field(description="Live orders less what live payments settled (应收)")
    overdue: Money = Field(description="Outstanding on orders past their due date")
    oldest_overdue_due_on: datetime.date | None
    oldest_overdue_days: int | None = Field(
        description="Days since the oldest overdue order was due; null when none is"
    )
    credit: Money = Field(description="Payments not allocated to any order")
    ordered: Money
    paid: Money
    last_order_on: datetime.date | None


LIVE_ALLOCATIONS = Prefetch(
    "allocations",
    queryset=PaymentAllocation.objects.filter(order__deleted_at__isnull=True).order_by("id"),
    to_attr="live_allocations",
)


def _payment_out(user, payment_id):
    """A payment as answered: its totals and live allocations read afresh."""
    payment = access_payment(user, payment_id)
    payment.live_allocations = list(
        PaymentAllocation.objects.filter(payment=payment, order__deleted_at__isnull=True).order_by(
            "id"
        )
    )
    return payment


# --- orders ----------------------------------------------------------------------------------


@orders_router.get(
    "", response=responses(200, OrderPageOut, 422), operation_id="listOrders", summary="List orders"
)
def list_orders(request, params: Query[OrderListParams]):
    """Orders of the customers the caller may see, newest first (or soonest due)."""
    filters = OrderFilters(
        customer=str(params.customer or ""),
        contract=str(params.contract or ""),
        state=params.state or "",
        ordered_from=params.ordered_from,
        ordered_to=params.ordered_to,
    )
    page = order_page(
        request.auth, filters, ordering=params.ordering, cursor=params.cursor, limit=params.limit
    )
    return page_out(page)


@orders_router.post(
    "",
    response=responses(201, OrderOut, 403, 422),
    operation_id="createOrder",
    summary="Create an order",
)
def create_order_endpoint(request, payload: OrderCreate):
    data = body_data(payload)
    customer = customer_for_body(request.auth, data.pop("customer"))
    order = create_order(actor=request.auth, customer=customer, data=data)
    return Status(201, access_order(request.auth, order.pk))


@orders_router.get(
    "/{int:order_id}",
    response=responses(200, OrderOut, 404),
    operation_id="getOrder",
    summary="Read an order",
)
def get_order(request, order_id: int):
    return access_order(request.auth, order_id)


@orders_router.patch(
    "/{int:order_id}",
    response=responses(200, OrderOut, 403, 404, 422),
    operation_id="updateOrder",
    summary="Change an order",
)
def update_order_endpoint(request, order_id: int, payload: OrderChange):
    """Change the fields given; the amount cannot go below what is already paid."""
    order = access_order(request.auth, order_id)
    update_order(actor=request.auth, order=order, data=body_data(payload))
    return access_order(request.auth, order_id)


@orders_router.delete(
    "/{int:order_id}",
    response=responses(204, None, 403, 404),
    operation_id="deleteOrder",
    summary="Delete an order",
)
def delete_order_endpoint(request, order_id: int):
    """To the recycle bin; payments allocated to it count as credit until it is restored."""
    order = access_order(request.auth, order_id)
    delete_order(actor=request.auth, order=order)
    return Status(204, None)


@orders_router.get(
    "/{int:order_id}/allocations",
    response=responses(200, list[AllocationOut], 404),
    operation_id="listOrderAllocations",
    summary="List the payments allocated to an order",
)
def list_order_allocations(request, order_id: int):
    return order_allocations(access_order(request.auth, order_id))


# --- payments --------------------------------------------------------------------------------


@payments_router.get(
    "",
    response=responses(200, PaymentPageOut, 422),
    operation_id="listPayments",
    summary="List payments",
)
def list_payments(request, params: Query[PaymentListParams]):
    """Payments of the customers the caller may see, the latest received first."""
    filters = PaymentFilters(
        customer=str(params.customer or ""),
        method=params.method or "",
        unallocated=params.unallocated,
        received_from=params.received_from,
        received_to=params.received_to,
    )
    page = payment_page(request.auth, filters, cursor=params.cursor, limit=params.limit)
    prefetch_related_objects(page.items, LIVE_ALLOCATIONS)
    return page_out(page)


@payments_router.post(
    "",
    response=responses(201, PaymentOut, 403, 422),
    operation_id="recordPayment",
    summary="Record a payment",
)
def record_payment_endpoint(request, payload: PaymentCreate):
    """Record money received and allocate it: as `allocations` say, or (left out) to the
    oldest outstanding orders first. Allocations cannot exceed the payment or an order's
    outstanding amount."""
    data = body_data(payload)
    customer = customer_for_body(request.auth, data.pop("customer"))
    allocations = data.pop("allocations", None)
    payment = record_payment(
        actor=request.auth, customer=customer, data=data, allocations=allocations
    )
    return Status(201, _payment_out(request.auth, payment.pk))


@payments_router.get(
    "/{int:payment_id}",
    response=responses(200, PaymentOut, 404),
    operation_id="getPayment",
    summary="Read a payment",
)
def get_payment(request, payment_id: int):
    return _payment_out(request.auth, payment_id)


@payments_router.patch(
    "/{int:payment_id}",
    response=responses(200, PaymentOut, 403, 404, 422),
    operation_id="updatePayment",
    summary="Change a payment",
)
def update_payment_endpoint(request, payment_id: int, payload: PaymentChange):
    """Change the fields given; the amount cannot go below what is already allocated."""
    payment = access_payment(request.auth, payment_id)
    update_payment(actor=request.auth, payment=payment, data=body_data(payload))
    return _payment_out(request.auth, payment_id)


@payments_router.delete(
    "/{int:payment_id}",
    response=responses(204, None, 403, 404),
    operation_id="deletePayment",
    summary="Delete a payment",
)
def delete_payment_endpoint(request, payment_id: int):
    """To the recycle bin; the orders it paid are outstanding again until it is restored."""
    payment = access_payment(request.auth, payment_id)
    delete_payment(actor=request.auth, payment=payment)
    return Status(204, None)


@payments_router.post(
    "/{int:payment_id}/allocations",
    response=responses(201, AllocationOut, 403, 404, 422),
    operation_id="allocatePayment",
    summary="Allocate part of a payment to an order",
)
def allocate_payment_endpoint(request, payment_id: int, payload: AllocationIn):
    payment = access_payment(request.auth, payment_id)
    allocation = allocate_payment(actor=request.auth, payment=payment, data=body_data(payload))
    return Status(201, allocation)


@payments_router.post(
    "/{int:payment_id}/auto-allocate",
    response=responses(200, list[AllocationOut], 403, 404),
    operation_id="autoAllocatePayment",
    summary="Allocate a payment to the oldest outstanding orders",
)
def auto_allocate_payment_endpoint(request, payment_id: int):
    """What is left of the payment settles the customer's oldest outstanding orders first
    (FIFO); answers the allocations made or increased."""
    payment = access_payment(request.auth, payment_id)
    return auto_allocate_payment(actor=request.auth, payment=payment)


@payments_router.delete(
    "/allocations/{int:allocation_id}",
    response=responses(204, None, 403, 404),
    operation_id="removePaymentAllocation",
    summary="Take back an allocation",
)
def remove_allocation_endpoint(request, allocation_id: int):
    """Its money is the customer's credit again."""
    allocation = access_allocation(request.auth, allocation_id)
    remove_allocation(actor=request.auth, allocation=allocation)
    return Status(204, None)


# --- receivables -----------------------------------------------------------------------------


@receivables_router.get(
    "/{int:customer_id}",
    response=responses(200, ReceivablesOut, 404),
    operation_id="getCustomerReceivables",
    summary="Read what a customer owes",
)
def get_receivables(request, customer_id: int):
    """The receivable balance, what of it is overdue and since how many days, and the credit
    from unallocated payments — over live orders and payments."""
    customer = access_customer(request.auth, customer_id)
    receivables = customer_receivables(customer.pk)
    return {
        "customer": customer.pk,
        "balance": receivables.balance,
        "overdue": receivables.overdue,
        "oldest_overdue_due_on": receivables.oldest_overdue_due_on,
        "oldest_overdue_days": receivables.oldest_overdue_days,
        "credit": receivables.credit,
        "ordered": receivables.ordered,
        "paid": receivables.paid,
        "last_order_on": customer.last_order_on,
    }
