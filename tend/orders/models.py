"""Orders (订单), payments (回款) and how each payment is allocated to orders.

Amounts are in the ledger currency (CNY). An order's outstanding amount is its amount less the
allocations of live payments; a customer's receivable balance is the sum over its live orders.
Soft-deleting an order or a payment leaves its allocations in place but they stop counting, so
restoring it brings the money back where it was."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tend.core.models import SoftDeletableModel, TimestampedModel, sort_index

LIVE = Q(deleted_at__isnull=True)


class Order(SoftDeletableModel):
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="orders",
        verbose_name=_("customer"),
    )
    contract = models.ForeignKey(
        "contracts.Contract",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
        verbose_name=_("contract"),
    )
    # The number in another system (ERP, shop), if any.
    number = models.CharField(_("order number"), max_length=64, blank=True)
    description = models.CharField(_("product / description"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=2, default=1)
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    ordered_on = models.DateField(_("order date"))
    due_on = models.DateField(_("payment due"), null=True, blank=True)
    notes = models.TextField(_("notes"), max_length=2000, blank=True)
    created_by = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [
            sort_index(sort="-ordered_on", name="order_recent", condition=LIVE),
            sort_index("customer", sort="-ordered_on", name="order_customer", condition=LIVE),
            # Overdue and FIFO allocation read a customer's orders by due date.
            models.Index(fields=["customer", "due_on", "id"], condition=LIVE, name="order_due"),
            models.Index(fields=["due_on"], condition=LIVE, name="order_due_any"),
        ]

    def __str__(self) -> str:
        return self.number or self.description[:60]


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    CASH = "cash", _("Cash")
    CHEQUE = "cheque", _("Cheque")
    ALIPAY = "alipay", _("Alipay")
    WECHAT_PAY = "wechat_pay", _("WeChat Pay")
    CARD = "card", _("Card")
    OTHER = "other", _("Other")


class Payment(SoftDeletableModel):
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="payments",
        verbose_name=_("customer"),
    )
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    received_on = models.DateField(_("received on"))
    method = models.CharField(
        _("method"),
        max_length=16,
        choices=PaymentMethod.choices,
        default=PaymentMethod.BANK_TRANSFER,
    )
    # The bank's or provider's reference for the transfer.
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    notes = models.TextField(_("notes"), max_length=2000, blank=True)
    created_by = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        indexes = [
            sort_index(sort="-received_on", name="payment_recent", condition=LIVE),
            sort_index("customer", sort="-received_on", name="payment_customer", condition=LIVE),
        ]

    def __str__(self) -> str:
        return f"{self.received_on:%Y-%m-%d} {self.amount}"


class PaymentAllocation(TimestampedModel):
    """Part of a payment applied to one order of the same customer. Counts only while both the
    payment and the order are live; goes with either when it is purged."""

    payment = models.ForeignKey(
        Payment, on_delete=models.CASCADE, related_name="allocations", verbose_name=_("payment")
    )
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="allocations", verbose_name=_("order")
    )
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    created_by = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("allocated by"),
    )

    class Meta:
        verbose_name = _("payment allocation")
        verbose_name_plural = _("payment allocations")
        constraints = [
            # One row per payment and order: allocating more adds to it.
            models.UniqueConstraint(fields=["payment", "order"], name="allocation_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.payment_id} → {self.order_id}: {self.amount}"
