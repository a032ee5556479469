"""Orders (订单), payments (回款) and allocations: the last-order time node, FIFO and explicit
allocation, over-allocation refused, receivables and overdue days on fixed dates, soft delete
and restore, visibility, filters and the timeline."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tend.audit.models import AuditAction, AuditEntry
from tend.contracts.actions import delete_contract
from tend.core.errors import NotFound, ValidationFailed
from tend.core.timeline import merged_timeline
from tend.customers.actions import delete_customer
from tend.customers.models import Customer
from tend.orders.actions import (
    allocate_payment,
    auto_allocate_payment,
    create_order,
    delete_order,
    delete_payment,
    remove_allocation,
    update_order,
    update_payment,
)
from tend.orders.models import Order, Payment, PaymentAllocation
from tend.orders.selectors import (
    OrderFilters,
    PaymentFilters,
    Receivables,
    access_allocation,
    access_order,
    access_payment,
    customer_receivables,
    filter_orders,
    filter_payments,
    order_page,
    outstanding_orders,
    receivables_for,
)
from tend.recyclebin.actions import purge_expired, restore
from tests.domain.support import audit_for
from tests.factories import make_activity, make_customer
from tests.factories_contracts import make_contract
from tests.factories_orders import make_order, make_payment

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2026, 3, 1)


def errors_of(call) -> dict:
    with pytest.raises(ValidationFailed) as caught:
        call()
    return caught.value.field_errors


def last_order_on(customer):
    return Customer.objects.values_list("last_order_on", flat=True).get(pk=customer.pk)


def allocated(payment) -> dict:
    """{order id: amount} of the payment's allocations."""
    return dict(PaymentAllocation.objects.filter(payment=payment).values_list("order", "amount"))


@pytest.fixture
def customer(rep):
    return make_customer(rep, name="杭州青木科技")


@pytest.fixture
def three_orders(customer):
    """Jan 10: 1000 due Jan 31; Jan 15: 300 due Feb 20; Feb 1: 500 due Mar 31."""
    return [
        make_order(customer, ordered_on=D(2026, 1, 10), amount="1000", due_on=D(2026, 1, 31)),
        make_order(customer, ordered_on=D(2026, 1, 15), amount="300", due_on=D(2026, 2, 20)),
        make_order(customer, ordered_on=D(2026, 2, 1), amount="500", due_on=D(2026, 3, 31)),
    ]


# --- orders ----------------------------------------------------------------------------------


def test_create_order_records_its_fields_the_last_order_and_an_audit_entry(customer, rep):
    contract = make_contract(customer)
    order = create_order(
        actor=rep,
        customer=customer,
        data={
            "number": "SO-88",
            "description": "CRM 标准版 20 用户",
            "quantity": "20",
            "amount": "36000.00",
            "ordered_on": "2026-02-03",
            "due_on": "2026-03-05",
            "contract": contract.pk,
        },
    )
    order.refresh_from_db()
    assert (order.number, order.quantity, order.amount, order.contract) == (
        "SO-88",
        Decimal("20.00"),
        Decimal("36000.00"),
        contract,
    )
    assert order.created_by == rep
    assert last_order_on(customer) == D(2026, 2, 3)
    [entry] = audit_for(order)
    assert (entry.action, entry.customer_id) == (AuditAction.CREATE, customer.pk)
    assert entry.changes["amount"] == [None, "36000.00"]


def test_quantity_defaults_to_one(customer):
    assert make_order(customer).quantity == Decimal(1)


def test_bad_order_input_gives_field_errors_and_writes_nothing(customer, rep):
    audit_before = AuditEntry.objects.count()
    errors = errors_of(
        lambda: create_order(
            actor=rep,
            customer=customer,
            data={
                "description": "",
                "amount": "-5",
                "quantity": "0",
                "ordered_on": "2026-02-10",
                "due_on": "2026-02-01",
            },
        )
    )
    assert errors == {
        "description": ["This field is required."],
        "amount": ["Ensure this value is greater than or equal to 0."],
        "quantity": ["Ensure this value is greater than or equal to 0.01."],
        "due_on": ["Payment cannot be due before the order date."],
    }
    assert Order.objects.count() == 0
    assert AuditEntry.objects.count() == audit_before
    assert last_order_on(customer) is None


def test_the_contract_must_be_a_live_contract_of_the_same_customer(customer, rep, other_rep):
    message = {"contract": ["Choose a contract of this customer."]}
    foreign = make_contract(make_customer(other_rep))
    assert errors_of(lambda: make_order(customer, contract=foreign.pk)) == message
    deleted = make_contract(customer)
    delete_contract(actor=rep, contract=deleted)
    assert errors_of(lambda: make_order(customer, contract=deleted.pk)) == message


def test_last_order_follows_create_update_delete_and_restore(customer, rep):
    early = make_order(customer, ordered_on=D(2026, 1, 5))
    late = make_order(customer, ordered_on=D(2026, 2, 5))
    assert last_order_on(customer) == D(2026, 2, 5)
    update_order(actor=rep, order=late, data={"ordered_on": "2026-01-02"})
    assert last_order_on(customer) == D(2026, 1, 5)
    delete_order(actor=rep, order=early)
    assert last_order_on(customer) == D(2026, 1, 2)
    delete_order(actor=rep, order=late)
    assert last_order_on(customer) is None
    early.refresh_from_db()
    restore(actor=rep, record=early)
    assert last_order_on(customer) == D(2026, 1, 5)


def test_update_order_is_audited_and_cannot_go_below_what_is_paid(customer, rep):
    order = make_order(customer, amount="1000")
    make_payment(customer, amount="600")
    changed = update_order(actor=rep, order=order, data={"description": "新描述"})
    assert audit_for(changed, AuditAction.UPDATE)[-1].changes == {
        "description": ["年度软件服务", "新描述"]
    }
    assert errors_of(lambda: update_order(actor=rep, order=order, data={"amount": "599.99"})) == {
        "amount": ["600.00 of this order is already paid; the amount cannot be less."]
    }
    update_order(actor=rep, order=order, data={"amount": "600"})
    assert access_order(rep, order.pk).outstanding == Decimal(0)


# --- payments and allocation -----------------------------------------------------------------


def test_a_payment_without_allocations_settles_the_oldest_orders_first(customer, three_orders):
    first, second, third = three_orders
    payment = make_payment(customer, amount="1100")
    assert allocated(payment) == {first.pk: Decimal("1000"), second.pk: Decimal("100")}
    later = make_payment(customer, amount="2000")
    assert allocated(later) == {second.pk: Decimal("200"), third.pk: Decimal("500")}
    receivables = customer_receivables(customer.pk, today=TODAY)
    assert receivables.balance == Decimal("0.00")
    assert receivables.credit == Decimal("1300.00")


def test_fifo_is_by_order_date_not_by_creation(customer):
    newer = make_order(customer, ordered_on=D(2026, 2, 1), amount="100")
    older = make_order(customer, ordered_on=D(2026, 1, 1), amount="100")
    payment = make_payment(customer, amount="150")
    assert allocated(payment) == {older.pk: Decimal("100"), newer.pk: Decimal("50")}


def test_a_payment_can_be_split_explicitly_over_several_orders(customer, three_orders):
    first, _second, third = three_orders
    payment = make_payment(
        customer,
        amount="800",
        allocations=[{"order": third.pk, "amount": "500"}, {"order": first.pk, "amount": "250"}],
    )
    assert allocated(payment) == {third.pk: Decimal("500"), first.pk: Decimal("250")}
    assert customer_receivables(customer.pk, today=TODAY).credit == Decimal("50.00")


def test_an_empty_allocation_list_keeps_the_payment_as_credit(customer, three_orders):
    payment = make_payment(customer, amount="800", allocations=[])
    assert allocated(payment) == {}
    receivables = customer_receivables(customer.pk, today=TODAY)
    assert (receivables.balance, receivables.credit) == (Decimal("1800.00"), Decimal("800.00"))


def test_allocating_beyond_the_payment_is_refused_and_nothing_is_written(customer, three_orders):
    first, second, _third = three_orders
    before = (
        Payment.objects.count(),
        PaymentAllocation.objects.count(),
        AuditEntry.objects.count(),
    )
    errors = errors_of(
        lambda: make_payment(
            customer,
            amount="1000",
            allocations=[
                {"order": first.pk, "amount": "900"},
                {"order": second.pk, "amount": "200"},
            ],
        )
    )
    assert errors == {"allocations": ["Only 100.00 of this payment is left to allocate."]}
    after = (Payment.objects.count(), PaymentAllocation.objects.count(), AuditEntry.objects.count())
    assert after == before


def test_allocating_beyond_an_orders_outstanding_amount_is_refused(customer, three_orders):
    _first, second, _third = three_orders
    errors = errors_of(
        lambda: make_payment(
            customer,
            amount="1000",
            allocations=[
                {"order": second.pk, "amount": "200"},
                {"order": second.pk, "amount": "200"},
            ],
        )
    )
    assert errors == {"allocations": [f"Only 100.00 of order {second} is outstanding."]}
    assert PaymentAllocation.objects.count() == 0


def test_allocations_to_another_customers_order_or_with_bad_amounts_are_refused(
    customer, rep, other_rep
):
    foreign = make_order(make_customer(other_rep))
    assert errors_of(
        lambda: make_payment(customer, allocations=[{"order": foreign.pk, "amount": "10"}])
    ) == {"allocations": ["Choose an order of this payment's customer."]}
    own = make_order(customer)
    assert errors_of(
        lambda: make_payment(customer, allocations=[{"order": own.pk, "amount": "0"}])
    ) == {"allocations": ["Ensure this value is greater than or equal to 0.01."]}
    assert errors_of(lambda: make_payment(customer, allocations=[{"order": own.pk}])) == {
        "allocations": ["This field is required."]
    }
    assert errors_of(lambda: make_payment(customer, allocations=["x"])) == {
        "allocations": ["Enter a list of allocations."]
    }
    assert Payment.objects.count() == 0


def test_allocate_payment_adds_to_one_order_and_refuses_too_much(customer, rep):
    order = make_order(customer, amount="1000")
    payment = make_payment(customer, amount="700", allocations=[])
    allocation = allocate_payment(
        actor=rep, payment=payment, data={"order": order.pk, "amount": "300"}
    )
    again = allocate_payment(actor=rep, payment=payment, data={"order": order.pk, "amount": "200"})
    assert again.pk == allocation.pk
    assert allocated(payment) == {order.pk: Decimal("500")}
    entries = audit_for(allocation)
    assert [(e.action, e.changes.get("amount")) for e in entries] == [
        (AuditAction.CREATE, [None, "300.00"]),
        (AuditAction.UPDATE, ["300.00", "500.00"]),
    ]
    assert errors_of(
        lambda: allocate_payment(
            actor=rep, payment=payment, data={"order": order.pk, "amount": "200.01"}
        )
    ) == {"amount": ["Only 200.00 of this payment is left to allocate."]}
    small = make_order(customer, amount="50")
    assert errors_of(
        lambda: allocate_payment(
            actor=rep, payment=payment, data={"order": small.pk, "amount": "60"}
        )
    ) == {"amount": [f"Only 50.00 of order {small} is outstanding."]}
    assert errors_of(
        lambda: allocate_payment(actor=rep, payment=payment, data={"order": 999999, "amount": "1"})
    ) == {"order": ["Choose an order of this payment's customer."]}


def test_auto_allocate_spreads_what_is_left_and_does_nothing_when_nothing_is(customer, rep):
    payment = make_payment(customer, amount="500")  # no orders yet: all credit
    assert allocated(payment) == {}
    first = make_order(customer, ordered_on=D(2026, 1, 1), amount="200")
    second = make_order(customer, ordered_on=D(2026, 1, 2), amount="400")
    made = auto_allocate_payment(actor=rep, payment=payment)
    assert [(a.order_id, a.amount) for a in made] == [
        (first.pk, Decimal("200")),
        (second.pk, Decimal("300")),
    ]
    assert auto_allocate_payment(actor=rep, payment=payment) == []


def test_removing_an_allocation_makes_its_money_credit_again(customer, rep):
    order = make_order(customer, amount="1000")
    payment = make_payment(customer, amount="400")
    allocation = PaymentAllocation.objects.get(payment=payment)
    remove_allocation(actor=rep, allocation=allocation)
    assert not PaymentAllocation.objects.filter(pk=allocation.pk).exists()
    receivables = customer_receivables(customer.pk, today=TODAY)
    assert (receivables.balance, receivables.credit) == (Decimal("1000.00"), Decimal("400.00"))
    [entry] = audit_for(allocation, AuditAction.DELETE)
    assert entry.customer_id == customer.pk
    assert entry.changes["amount"] == ["400.00", None]
    assert entry.changes["order"] == [order.pk, None]


def test_update_payment_is_audited_and_cannot_go_below_what_is_allocated(customer, rep):
    make_order(customer, amount="300")
    payment = make_payment(customer, amount="500")
    update_payment(actor=rep, payment=payment, data={"reference": "工行 8899", "method": "cash"})
    assert audit_for(payment, AuditAction.UPDATE)[-1].changes == {
        "reference": ["", "工行 8899"],
        "method": ["bank_transfer", "cash"],
    }
    assert errors_of(
        lambda: update_payment(actor=rep, payment=payment, data={"amount": "299"})
    ) == {"amount": ["300.00 of this payment is allocated to orders; the amount cannot be less."]}


def test_a_payment_cannot_be_received_in_the_future(customer):
    future = timezone.localdate() + datetime.timedelta(days=3)
    assert errors_of(lambda: make_payment(customer, received_on=future)) == {
        "received_on": ["A payment cannot be received in the future."]
    }


# --- receivables and overdue -----------------------------------------------------------------


def test_balance_and_oldest_overdue_days_on_fixed_dates(customer, three_orders):
    make_payment(customer, amount="1100")  # pays the Jan 10 order and 100 of the Jan 15 one
    receivables = customer_receivables(customer.pk, today=TODAY)
    assert receivables == Receivables(
        ordered=Decimal("1800.00"),
        paid=Decimal("1100.00"),
        allocated=Decimal("1100.00"),
        overdue=Decimal("200.00"),
        oldest_overdue_due_on=D(2026, 2, 20),
        oldest_overdue_days=9,
    )
    assert receivables.balance == Decimal("700.00")
    assert receivables.credit == Decimal("0.00")
    # On the due date itself nothing is overdue yet; the day after, one day.
    assert customer_receivables(customer.pk, today=D(2026, 2, 20)).oldest_overdue_days is None
    assert customer_receivables(customer.pk, today=D(2026, 2, 21)).oldest_overdue_days == 1
    later = customer_receivables(customer.pk, today=D(2026, 4, 10))
    assert (later.overdue, later.oldest_overdue_days) == (Decimal("700.00"), 49)


def test_without_unpaid_past_due_orders_nothing_is_overdue(customer):
    make_order(customer, amount="100", due_on=D(2026, 1, 20))
    make_order(customer, amount="100")  # no due date: never overdue
    make_payment(customer, amount="100")
    receivables = customer_receivables(customer.pk, today=TODAY)
    assert (receivables.overdue, receivables.oldest_overdue_days) == (Decimal("0.00"), None)
    assert receivables.balance == Decimal("100.00")


def test_a_customer_without_orders_owes_nothing(customer):
    assert customer_receivables(customer.pk, today=TODAY) == Receivables()


def test_deleted_orders_and_payments_stop_counting_and_come_back(customer, rep, three_orders):
    first, second, _third = three_orders
    payment = make_payment(customer, amount="1100")
    delete_payment(actor=rep, payment=payment)
    receivables = customer_receivables(customer.pk, today=TODAY)
    assert (receivables.balance, receivables.paid, receivables.oldest_overdue_days) == (
        Decimal("1800.00"),
        Decimal("0.00"),
        29,
    )
    payment.refresh_from_db()
    restore(actor=rep, record=payment)
    assert customer_receivables(customer.pk, today=TODAY).balance == Decimal("700.00")
    delete_order(actor=rep, order=first)
    receivables = customer_receivables(customer.pk, today=TODAY)
    # The 1000 that paid the deleted order is credit again.
    assert (receivables.balance, receivables.credit) == (Decimal("700.00"), Decimal("1000.00"))
    assert [o.pk for o in outstanding_orders(customer.pk)] == [second.pk, three_orders[2].pk]


def test_a_restore_trims_allocations_that_no_longer_fit(customer, rep):
    order = make_order(customer, amount="1000")
    first = make_payment(customer, amount="1000")
    delete_payment(actor=rep, payment=first)
    # Meanwhile another payment settles the order.
    second = make_payment(customer, amount="1000")
    assert allocated(second) == {order.pk: Decimal("1000")}
    first.refresh_from_db()
    restore(actor=rep, record=first)
    # Both allocations are live again; the newest is trimmed so the order is paid once, and
    # the money trimmed is credit.
    receivables = customer_receivables(customer.pk, today=TODAY)
    assert receivables.balance == Decimal("0.00")
    assert receivables.credit == Decimal("1000.00")
    assert sum(PaymentAllocation.objects.values_list("amount", flat=True)) == Decimal("1000")
    released = AuditEntry.objects.filter(note="released after a restore")
    assert released.count() == 1


def test_receivables_for_many_customers_take_one_query(rep):
    customers = [make_customer(rep, name=f"客户{n}") for n in range(5)]
    for number, customer in enumerate(customers):
        make_order(customer, amount=f"{100 * (number + 1)}", due_on=D(2026, 1, 31))
        make_payment(customer, amount="50")
    with CaptureQueriesContext(connection) as queries:
        result = receivables_for([c.pk for c in customers], today=TODAY)
    assert len(queries) == 1
    assert [result[c.pk].balance for c in customers] == [
        Decimal(f"{100 * (n + 1) - 50}.00") for n in range(5)
    ]
    assert {result[c.pk].oldest_overdue_days for c in customers} == {29}
    assert receivables_for([]) == {}


def test_sums_of_cents_are_exact(customer):
    for _ in range(3):
        make_order(customer, amount="0.10", due_on=D(2026, 1, 31))
    make_payment(customer, amount="0.30")
    receivables = customer_receivables(customer.pk, today=TODAY)
    assert (receivables.balance, receivables.overdue, receivables.oldest_overdue_days) == (
        Decimal("0.00"),
        Decimal("0.00"),
        None,
    )


# --- delete, purge, visibility, lists, timeline ----------------------------------------------


def test_purging_a_payment_takes_its_allocations_with_it(customer, rep):
    make_order(customer, amount="100")
    payment = make_payment(customer, amount="100")
    delete_payment(actor=rep, payment=payment)
    Payment.objects.filter(pk=payment.pk).update(
        deleted_at=datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    )
    purge_expired()
    assert not Payment.objects.filter(pk=payment.pk).exists()
    assert not PaymentAllocation.objects.exists()


def test_orders_and_payments_go_and_come_back_with_their_customer(customer, rep):
    order = make_order(customer, ordered_on=D(2026, 1, 3))
    payment = make_payment(customer, amount="100")
    delete_customer(actor=rep, customer=customer)
    customer.refresh_from_db()
    restore(actor=rep, record=customer)
    assert access_order(rep, order.pk).outstanding == Decimal("900")
    assert access_payment(rep, payment.pk).unallocated == Decimal("0")
    assert last_order_on(customer) == D(2026, 1, 3)


def test_orders_payments_and_allocations_follow_their_customers_visibility(org):
    customer = make_customer(org.rep)
    order = make_order(customer)
    payment = make_payment(customer, amount="10")
    allocation = PaymentAllocation.objects.get(payment=payment)
    for user in (org.rep, org.manager):
        assert access_order(user, order.pk) == order
        assert access_payment(user, payment.pk) == payment
        assert access_allocation(user, allocation.pk) == allocation
    for access, pk in ((access_order, order.pk), (access_payment, payment.pk)):
        with pytest.raises(NotFound):
            access(org.other_rep, pk)
    with pytest.raises(NotFound):
        access_allocation(org.other_rep, allocation.pk)
    delete_order(actor=org.rep, order=order)
    with pytest.raises(NotFound):
        access_allocation(org.rep, allocation.pk)


def test_order_filters_and_keyset_pages(customer, rep, three_orders):
    first, second, third = three_orders
    make_payment(customer, amount="1100")
    other = make_customer(rep)
    make_order(other, ordered_on=D(2026, 1, 20))

    def pks(**filters):
        return {o.pk for o in filter_orders(rep, OrderFilters(**filters), today=TODAY)}

    assert pks(customer=str(customer.pk)) == {first.pk, second.pk, third.pk}
    assert pks(customer=str(customer.pk), state="paid") == {first.pk}
    assert pks(customer=str(customer.pk), state="outstanding") == {second.pk, third.pk}
    assert pks(customer=str(customer.pk), state="overdue") == {second.pk}
    assert pks(ordered_from=D(2026, 1, 12), ordered_to=D(2026, 1, 31)) == {second.pk} | {
        o.pk for o in Order.objects.filter(customer=other)
    }
    seen, cursor = [], None
    while True:
        page = order_page(rep, OrderFilters(), cursor=cursor, limit=2)
        seen += [o.pk for o in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    expected = list(Order.objects.order_by("-ordered_on", "-id").values_list("pk", flat=True))
    assert seen == expected


def test_payment_filters(customer, rep):
    make_order(customer, amount="100")
    paid = make_payment(customer, amount="100", received_on=D(2026, 1, 5))
    credit = make_payment(customer, amount="70", received_on=D(2026, 2, 5), method="alipay")

    def pks(**filters):
        return {p.pk for p in filter_payments(rep, PaymentFilters(**filters))}

    assert pks() == {paid.pk, credit.pk}
    assert pks(unallocated=True) == {credit.pk}
    assert pks(method="alipay") == {credit.pk}
    assert pks(received_from=D(2026, 2, 1)) == {credit.pk}
    assert pks(received_to=D(2026, 1, 31)) == {paid.pk}


def test_orders_and_payments_on_the_timeline_in_day_order(customer, rep):
    order = make_order(customer, ordered_on=D(2026, 2, 2))
    payment = make_payment(customer, amount="10", received_on=D(2026, 2, 3))
    noon = timezone.make_aware(datetime.datetime(2026, 2, 2, 12, 0))
    activity = make_activity(customer, occurred_at=noon)
    entries = [(e.kind, e.record_id) for e in merged_timeline(customer.pk).items]
    assert entries == [("payment", payment.pk), ("activity", activity.pk), ("order", order.pk)]
    # Paging one event at a time gives the same order: the order of Feb 2 (at 00:00) comes
    # after the activity of Feb 2 noon, not lost to the date's truncation.
    walked, cursor = [], None
    while True:
        page = merged_timeline(customer.pk, cursor=cursor, limit=1)
        walked += [(e.kind, e.record_id) for e in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert walked == entries
    delete_order(actor=rep, order=order)
    assert ("order", order.pk) not in [
        (e.kind, e.record_id) for e in merged_timeline(customer.pk).items
    ]
