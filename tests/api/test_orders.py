"""/orders, /payments and /receivables: CRUD, allocation (FIFO, explicit, refused), the
receivables of a customer, access, keyset pages and query counts."""

import datetime

import pytest

from tend.orders.models import Order, Payment, PaymentAllocation
from tests.api.conftest import Caller, count_queries, walk_pages
from tests.factories import make_customer
from tests.factories_orders import make_order, make_payment

pytestmark = pytest.mark.django_db

UNKNOWN_FIELD = "This field is unknown or cannot be set here."


def test_order_create_read_update_delete(rep_api, rep):
    customer = make_customer(rep)
    created = rep_api.post(
        "/orders",
        {
            "customer": customer.pk,
            "description": "CRM 标准版",
            "amount": "3600",
            "quantity": "2",
            "ordered_on": "2026-02-01",
            "due_on": "2026-03-01",
            "number": "SO-1",
        },
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    order = Order.objects.get(pk=body["id"])
    assert body == {
        "id": order.pk,
        "customer": customer.pk,
        "contract": None,
        "number": "SO-1",
        "description": "CRM 标准版",
        "quantity": "2.00",
        "amount": "3600.00",
        "allocated": "0.00",
        "outstanding": "3600.00",
        "ordered_on": "2026-02-01",
        "due_on": "2026-03-01",
        "notes": "",
        "created_by": {"id": rep.pk, "display_name": rep.display_name},
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    customer.refresh_from_db()
    assert customer.last_order_on == datetime.date(2026, 2, 1)
    changed = rep_api.patch(f"/orders/{order.pk}", {"amount": "4000"})
    assert (changed.status_code, changed.json()["outstanding"]) == (200, "4000.00")
    assert rep_api.delete(f"/orders/{order.pk}").status_code == 204
    assert rep_api.get(f"/orders/{order.pk}").status_code == 404


def test_order_errors(rep_api, rep, other_rep):
    customer = make_customer(rep)
    due = rep_api.post(
        "/orders",
        {
            "customer": customer.pk,
            "description": "x",
            "amount": "1",
            "ordered_on": "2026-02-01",
            "due_on": "2026-01-01",
        },
    )
    assert due.json()["field_errors"] == {
        "due_on": ["Payment cannot be due before the order date."]
    }
    foreign = rep_api.post(
        "/orders",
        {
            "customer": make_customer(other_rep).pk,
            "description": "x",
            "amount": "1",
            "ordered_on": "2026-02-01",
        },
    )
    assert foreign.json()["field_errors"] == {"customer": ["Unknown customer."]}
    protected = rep_api.post(
        "/orders",
        {
            "customer": customer.pk,
            "description": "x",
            "amount": "1",
            "ordered_on": "2026-02-01",
            "created_by": rep.pk,
        },
    )
    assert protected.json()["field_errors"] == {"created_by": [UNKNOWN_FIELD]}
    assert not Order.objects.exists()


def test_a_payment_settles_the_oldest_orders_unless_told_otherwise(rep_api, rep):
    customer = make_customer(rep)
    older = make_order(customer, ordered_on=datetime.date(2026, 1, 1), amount="100")
    newer = make_order(customer, ordered_on=datetime.date(2026, 1, 5), amount="100")
    fifo = rep_api.post(
        "/payments",
        {"customer": customer.pk, "amount": "150", "received_on": "2026-02-01"},
    )
    assert fifo.status_code == 201, fifo.json()
    assert [(a["order"], a["amount"]) for a in fifo.json()["allocations"]] == [
        (older.pk, "100.00"),
        (newer.pk, "50.00"),
    ]
    assert (fifo.json()["allocated"], fifo.json()["unallocated"]) == ("150.00", "0.00")
    credit = rep_api.post(
        "/payments",
        {"customer": customer.pk, "amount": "20", "received_on": "2026-02-01", "allocations": []},
    )
    assert credit.json()["allocations"] == []
    explicit = rep_api.post(
        "/payments",
        {
            "customer": customer.pk,
            "amount": "40",
            "received_on": "2026-02-02",
            "method": "alipay",
            "allocations": [{"order": newer.pk, "amount": "30"}],
        },
    )
    assert [(a["order"], a["amount"]) for a in explicit.json()["allocations"]] == [
        (newer.pk, "30.00")
    ]
    assert explicit.json()["unallocated"] == "10.00"


def test_over_allocation_is_refused_and_writes_nothing(rep_api, rep):
    customer = make_customer(rep)
    order = make_order(customer, amount="100")
    response = rep_api.post(
        "/payments",
        {
            "customer": customer.pk,
            "amount": "500",
            "received_on": "2026-02-01",
            "allocations": [{"order": order.pk, "amount": "150"}],
        },
    )
    assert response.status_code == 422
    assert response.json()["field_errors"] == {
        "allocations": [f"Only 100.00 of order {order} is outstanding."]
    }
    assert not Payment.objects.exists()
    extra = rep_api.post(
        "/payments",
        {
            "customer": customer.pk,
            "amount": "5",
            "received_on": "2026-02-01",
            "allocations": [{"order": order.pk, "amount": "1", "note": "x"}],
        },
    )
    assert extra.status_code == 422
    assert extra.json()["field_errors"] == {"allocations": [UNKNOWN_FIELD]}


def test_allocate_auto_allocate_and_remove(rep_api, rep):
    customer = make_customer(rep)
    first = make_order(customer, ordered_on=datetime.date(2026, 1, 1), amount="100")
    second = make_order(customer, ordered_on=datetime.date(2026, 1, 2), amount="100")
    payment = make_payment(customer, amount="150", allocations=[])
    made = rep_api.post(f"/payments/{payment.pk}/allocations", {"order": second.pk, "amount": "60"})
    assert made.status_code == 201
    assert (made.json()["order"], made.json()["amount"]) == (second.pk, "60.00")
    too_much = rep_api.post(
        f"/payments/{payment.pk}/allocations", {"order": first.pk, "amount": "100"}
    )
    assert too_much.json()["field_errors"] == {
        "amount": ["Only 90.00 of this payment is left to allocate."]
    }
    auto = rep_api.post(f"/payments/{payment.pk}/auto-allocate")
    assert [(a["order"], a["amount"]) for a in auto.json()] == [(first.pk, "90.00")]
    allocation_id = made.json()["id"]
    assert rep_api.delete(f"/payments/allocations/{allocation_id}").status_code == 204
    assert not PaymentAllocation.objects.filter(pk=allocation_id).exists()
    allocations = rep_api.get(f"/orders/{first.pk}/allocations").json()
    assert [(a["payment"], a["amount"]) for a in allocations] == [(payment.pk, "90.00")]
    assert rep_api.get(f"/payments/{payment.pk}").json()["unallocated"] == "60.00"


def test_payment_update_and_delete(rep_api, rep):
    customer = make_customer(rep)
    make_order(customer, amount="100")
    payment = make_payment(customer, amount="100")
    refused = rep_api.patch(f"/payments/{payment.pk}", {"amount": "50"})
    assert refused.json()["field_errors"] == {
        "amount": ["100.00 of this payment is allocated to orders; the amount cannot be less."]
    }
    changed = rep_api.patch(f"/payments/{payment.pk}", {"reference": "工行 01"})
    assert changed.json()["reference"] == "工行 01"
    assert rep_api.delete(f"/payments/{payment.pk}").status_code == 204
    receivables = rep_api.get(f"/receivables/{customer.pk}").json()
    assert (receivables["balance"], receivables["paid"]) == ("100.00", "0.00")


def test_receivables_of_a_customer(rep_api, rep):
    customer = make_customer(rep)
    make_order(customer, amount="1000", due_on=datetime.date(2026, 1, 31))
    make_order(customer, amount="500", due_on=datetime.date(2099, 1, 1))
    make_payment(customer, amount="300")
    response = rep_api.get(f"/receivables/{customer.pk}")
    assert response.status_code == 200
    body = response.json()
    overdue_days = (datetime.date.today() - datetime.date(2026, 1, 31)).days
    assert body["customer"] == customer.pk
    assert body["balance"] == "1200.00"
    assert body["overdue"] == "700.00"
    assert body["oldest_overdue_due_on"] == "2026-01-31"
    assert abs(body["oldest_overdue_days"] - overdue_days) <= 1  # the server's date, not ours
    assert (body["credit"], body["ordered"], body["paid"]) == ("0.00", "1500.00", "300.00")
    assert body["last_order_on"] == "2026-01-10"


def test_another_rep_gets_404_everywhere(rep, other_rep):
    customer = make_customer(rep)
    order = make_order(customer)
    payment = make_payment(customer, amount="10")
    allocation = PaymentAllocation.objects.get(payment=payment)
    intruder = Caller(other_rep)
    for path in (
        f"/orders/{order.pk}",
        f"/orders/{order.pk}/allocations",
        f"/payments/{payment.pk}",
        f"/receivables/{customer.pk}",
    ):
        assert intruder.get(path).status_code == 404, path
    assert intruder.patch(f"/orders/{order.pk}", {"amount": "1"}).status_code == 404
    assert intruder.post(f"/payments/{payment.pk}/auto-allocate").status_code == 404
    assert (
        intruder.post(
            f"/payments/{payment.pk}/allocations", {"order": order.pk, "amount": "1"}
        ).status_code
        == 404
    )
    assert intruder.delete(f"/payments/allocations/{allocation.pk}").status_code == 404
    assert intruder.get("/orders", {"customer": customer.pk}).json()["items"] == []
    assert intruder.get("/payments").json()["items"] == []
    assert PaymentAllocation.objects.filter(pk=allocation.pk).exists()


def test_order_filters_and_keyset_pages(rep_api, rep):
    customer = make_customer(rep)
    for day in range(1, 8):
        make_order(
            customer,
            ordered_on=datetime.date(2026, 1, day),
            amount="100",
            due_on=datetime.date(2026, 1, 20),
        )
    make_payment(customer, amount="250")
    ids = walk_pages(rep_api, "/orders", {"customer": customer.pk}, limit=3)
    assert ids == list(Order.objects.order_by("-ordered_on", "-id").values_list("pk", flat=True))
    paid = rep_api.get("/orders", {"state": "paid"}).json()["items"]
    assert len(paid) == 2
    overdue = rep_api.get("/orders", {"state": "overdue"}).json()["items"]
    assert len(overdue) == 5
    assert rep_api.get("/orders", {"state": "late"}).status_code == 422
    ranged = rep_api.get("/orders", {"ordered_from": "2026-01-06"}).json()["items"]
    assert len(ranged) == 2
    payments = walk_pages(rep_api, "/payments", {"customer": customer.pk}, limit=1)
    assert len(payments) == 1


def test_lists_cost_the_same_queries_for_3_and_30_rows(rep_api, rep):
    customer = make_customer(rep)

    def add(count):
        for _ in range(count):
            make_order(customer, amount="100")
            make_payment(customer, amount="60")

    add(3)
    rep_api.get("/orders")  # the first call records the token's or session's use
    orders = count_queries(lambda: rep_api.get("/orders", {"limit": 100}))
    payments = count_queries(lambda: rep_api.get("/payments", {"limit": 100}))
    add(27)
    assert len(rep_api.get("/payments", {"limit": 100}).json()["items"]) == 30
    assert count_queries(lambda: rep_api.get("/orders", {"limit": 100})) == orders
    assert count_queries(lambda: rep_api.get("/payments", {"limit": 100})) == payments
