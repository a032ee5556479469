"""Order and payment pages: lists and filters, forms with field errors, allocating on the
payment form and page, the orders tab with receivables, and query counts."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tend.orders.models import Order, Payment, PaymentAllocation
from tests.factories import make_customer
from tests.factories_contracts import make_contract
from tests.factories_orders import make_order, make_payment
from tests.web.helpers import field_errors, signed_in_client

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def client(rep):
    return signed_in_client(rep)


@pytest.fixture
def customer(rep):
    return make_customer(rep, name="青木科技")


def queries(client, url) -> int:
    client.get(url)  # the session's first request writes its last-seen time; not counted
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


def allocated(payment) -> dict:
    return dict(PaymentAllocation.objects.filter(payment=payment).values_list("order", "amount"))


def test_the_order_list_shows_visible_orders_and_filters_overdue(client, customer, other_rep):
    make_order(customer, description="已付订单", amount="100", due_on=D(2026, 1, 20))
    make_order(customer, description="逾期订单", amount="300", due_on=D(2026, 1, 31))
    make_order(customer, description="未到期订单", amount="50", due_on=D(2099, 1, 1))
    make_order(make_customer(other_rep), description="别人的订单")
    make_payment(customer, amount="100")
    page = client.get(reverse("web:order_list")).content.decode()
    assert "已付订单" in page and "逾期订单" in page and "别人的订单" not in page
    overdue = client.get(reverse("web:order_list"), {"overdue": "1"}).content.decode()
    assert "逾期订单" in overdue
    assert "已付订单" not in overdue and "未到期订单" not in overdue
    paid = client.get(reverse("web:order_list"), {"state": "paid"}).content.decode()
    assert "已付订单" in paid and "逾期订单" not in paid
    partial = client.get(
        reverse("web:order_list"), {"customer": customer.pk}, HTTP_HX_REQUEST="true"
    )
    assert "<html" not in partial.content.decode()
    assert "3 orders" in partial.content.decode()


def test_new_order_from_the_tab_and_its_field_errors(client, customer):
    contract = make_contract(customer, number="HT-O")
    tab = client.get(reverse("web:customer_tab", args=[customer.pk, "orders"])).content.decode()
    assert f"/orders/new/?customer={customer.pk}" in tab
    form = client.get(
        reverse("web:order_create"), {"customer": customer.pk, "contract": contract.pk}
    ).content.decode()
    assert f'<option value="{contract.pk}" selected>' in form
    bad = client.post(
        reverse("web:order_create"),
        {
            "customer": customer.pk,
            "description": "",
            "amount": "1000",
            "ordered_on": "2026-02-10",
            "due_on": "2026-02-01",
        },
    )
    assert bad.status_code == 422
    assert field_errors(bad, "description") == ["This field is required."]
    assert field_errors(bad, "due_on") == ["Payment cannot be due before the order date."]
    assert not Order.objects.exists()
    good = client.post(
        reverse("web:order_create"),
        {
            "customer": customer.pk,
            "description": "CRM 标准版",
            "amount": "1000",
            "quantity": "",
            "ordered_on": "2026-02-10",
            "due_on": "2026-03-10",
            "contract": contract.pk,
        },
    )
    order = Order.objects.get()
    assert good.status_code == 302
    assert good["Location"] == reverse("web:order_detail", args=[order.pk])
    assert (order.contract, order.quantity) == (contract, Decimal(1))


def test_edit_and_delete_an_order(client, customer):
    order = make_order(customer, amount="1000")
    make_payment(customer, amount="400")
    url = reverse("web:order_edit", args=[order.pk])
    response = client.post(url, {"description": "改", "amount": "300", "ordered_on": "2026-01-10"})
    assert response.status_code == 422
    assert field_errors(response, "amount") == [
        "400.00 of this order is already paid; the amount cannot be less."
    ]
    assert (
        client.post(
            url, {"description": "改", "amount": "500", "ordered_on": "2026-01-10"}
        ).status_code
        == 302
    )
    page = client.get(reverse("web:order_detail", args=[order.pk])).content.decode()
    assert "100.00 outstanding" in page
    deleted = client.post(reverse("web:order_delete", args=[order.pk]))
    assert deleted["Location"] == reverse("web:customer_tab", args=[customer.pk, "orders"])
    assert client.get(reverse("web:order_detail", args=[order.pk])).status_code == 404


def test_a_payment_without_typed_amounts_settles_the_oldest_orders(client, customer):
    older = make_order(customer, ordered_on=D(2026, 1, 1), amount="100")
    newer = make_order(customer, ordered_on=D(2026, 1, 5), amount="100")
    form = client.get(reverse("web:payment_create"), {"customer": customer.pk}).content.decode()
    assert f'name="allocate_{older.pk}"' in form
    response = client.post(
        reverse("web:payment_create"),
        {"customer": customer.pk, "amount": "150", "received_on": "2026-02-01", "method": "cash"},
    )
    payment = Payment.objects.get()
    assert response["Location"] == reverse("web:payment_detail", args=[payment.pk])
    assert allocated(payment) == {older.pk: Decimal("100"), newer.pk: Decimal("50")}


def test_typed_amounts_allocate_explicitly_and_too_much_is_refused(client, customer):
    older = make_order(customer, ordered_on=D(2026, 1, 1), amount="100")
    newer = make_order(customer, ordered_on=D(2026, 1, 5), amount="100")
    data = {"customer": customer.pk, "amount": "150", "received_on": "2026-02-01"}
    refused = client.post(
        reverse("web:payment_create"),
        {**data, f"allocate_{older.pk}": "100", f"allocate_{newer.pk}": "80"},
    )
    assert refused.status_code == 422
    assert "Only 50.00 of this payment is left to allocate." in refused.content.decode()
    assert 'value="80"' in refused.content.decode()  # what was typed is kept
    assert not Payment.objects.exists()
    client.post(reverse("web:payment_create"), {**data, f"allocate_{newer.pk}": "90"})
    assert allocated(Payment.objects.get()) == {newer.pk: Decimal("90")}


def test_keep_as_credit_allocates_nothing(client, customer):
    make_order(customer, amount="100")
    client.post(
        reverse("web:payment_create"),
        {
            "customer": customer.pk,
            "amount": "50",
            "received_on": "2026-02-01",
            "keep_as_credit": "on",
        },
    )
    assert allocated(Payment.objects.get()) == {}


def test_payment_field_errors(client, customer):
    response = client.post(
        reverse("web:payment_create"),
        {"customer": customer.pk, "amount": "0", "received_on": "", "method": "barter"},
    )
    assert response.status_code == 422
    assert field_errors(response, "amount") == [
        "Ensure this value is greater than or equal to 0.01."
    ]
    assert field_errors(response, "received_on") == ["This field is required."]
    assert field_errors(response, "method")


def test_the_payment_page_allocates_auto_allocates_and_removes(client, customer):
    first = make_order(customer, ordered_on=D(2026, 1, 1), amount="100")
    second = make_order(customer, ordered_on=D(2026, 1, 2), amount="100")
    payment = make_payment(customer, amount="150", allocations=[])
    page = client.get(reverse("web:payment_detail", args=[payment.pk])).content.decode()
    assert "150.00 is left to allocate" in page
    allocate = reverse("web:payment_allocate", args=[payment.pk])
    too_much = client.post(allocate, {"order": second.pk, "amount": "120"})
    assert too_much.status_code == 422
    assert field_errors(too_much, "amount") == [f"Only 100.00 of order {second} is outstanding."]
    assert client.post(allocate, {"order": second.pk, "amount": "60"}).status_code == 302
    client.post(reverse("web:payment_auto_allocate", args=[payment.pk]))
    assert allocated(payment) == {second.pk: Decimal("60"), first.pk: Decimal("90")}
    allocation = PaymentAllocation.objects.get(order=first)
    client.post(reverse("web:payment_allocation_delete", args=[allocation.pk]))
    assert allocated(payment) == {second.pk: Decimal("60")}
    order_page = client.get(reverse("web:order_detail", args=[second.pk])).content.decode()
    assert "40.00 outstanding" in order_page


def test_the_orders_tab_shows_receivables_and_recent_records(client, customer):
    make_order(customer, description="第一单", amount="1000", due_on=D(2026, 1, 31))
    make_payment(customer, amount="400", reference="工行 0001")
    tab = client.get(
        reverse("web:customer_tab", args=[customer.pk, "orders"]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "<html" not in tab
    receivables = tab[tab.index('id="receivables"') :]
    assert "600.00" in receivables  # balance and overdue
    assert "days overdue" in receivables
    assert "第一单" in tab and "工行 0001" in tab
    page = client.get(reverse("web:customer_detail", args=[customer.pk])).content.decode()
    assert "Order placed: 第一单, 1,000.00" in page
    assert "Payment received: 400.00" in page


def test_the_payment_list_filters(client, customer, other_rep):
    make_order(customer, amount="100")
    make_payment(customer, amount="100", reference="全额")
    make_payment(customer, amount="70", reference="余款", method="alipay")
    make_payment(make_customer(other_rep), amount="5", reference="别人")
    page = client.get(reverse("web:payment_list")).content.decode()
    assert "全额" in page and "余款" in page and "别人" not in page
    unallocated = client.get(reverse("web:payment_list"), {"unallocated": "1"}).content.decode()
    assert "余款" in unallocated and "全额" not in unallocated


def test_other_reps_records_are_not_found(client, other_rep):
    foreign = make_customer(other_rep)
    order = make_order(foreign)
    payment = make_payment(foreign, amount="10")
    allocation = PaymentAllocation.objects.get(payment=payment)
    for url in (
        reverse("web:order_detail", args=[order.pk]),
        reverse("web:payment_detail", args=[payment.pk]),
        reverse("web:order_create") + f"?customer={foreign.pk}",
    ):
        assert client.get(url).status_code == 404
    assert (
        client.post(reverse("web:payment_allocation_delete", args=[allocation.pk])).status_code
        == 404
    )
    assert PaymentAllocation.objects.filter(pk=allocation.pk).exists()


def test_list_and_tab_queries_do_not_grow_with_rows(client, customer, rep):
    make_order(customer, amount="100", due_on=D(2026, 1, 31))
    make_payment(customer, amount="50")
    urls = [
        reverse("web:order_list"),
        reverse("web:order_list") + "?overdue=1",
        reverse("web:payment_list"),
        reverse("web:customer_tab", args=[customer.pk, "orders"]),
        reverse("web:customer_detail", args=[customer.pk]),
    ]
    counts = [queries(client, url) for url in urls]
    for number in range(12):
        other = make_customer(rep, name=f"客户{number}")
        make_order(customer, amount="100", due_on=D(2026, 1, 31))
        make_order(other, amount="100", due_on=D(2026, 1, 31))
        make_payment(customer, amount="30")
        make_payment(other, amount="30")
    later = [queries(client, url) for url in urls]
    assert later[:4] == counts[:4]
    # The customer page's history looks up names by what its newest entries are, never by how
    # many rows the timeline shows.
    assert later[4] <= counts[4]
    assert max(counts[:3]) <= 12
