"""The victim's order, payment and allocation, for tests/test_access_matrix.py."""

from tend.orders.models import Order, Payment, PaymentAllocation
from tests.factories_orders import make_order, make_payment

WEB_RECORDS = {
    "orders/": "order",
    "payments/": "payment",
    "payment-allocations/": "allocation",
}
# The allocation's routes sit under /payments/: listed first so they are told apart.
API_RECORDS = {
    "/api/v1/payments/allocations/": "allocation",
    "/api/v1/payments/": "payment",
    "/api/v1/orders/": "order",
    "/api/v1/receivables/": "customer",
}
SECRETS = ["秘密订单", "秘密回款"]


def build(victim, org, admin):
    victim.order = make_order(victim.customer, description="秘密订单", amount="9000")
    victim.payment = make_payment(victim.customer, amount="4000", reference="秘密回款")
    victim.allocation = PaymentAllocation.objects.get(payment=victim.payment)


def state(victim):
    return (
        list(
            Order.objects.filter(pk=victim.order.pk).values(
                "description", "amount", "due_on", "deleted_at", "updated_at"
            )
        ),
        list(
            Payment.objects.filter(pk=victim.payment.pk).values(
                "amount", "reference", "deleted_at", "updated_at"
            )
        ),
        list(PaymentAllocation.objects.values("id", "payment_id", "order_id", "amount")),
    )
