"""Contracts (合同): what a customer signed, for how much and for how long, the renewal chain
from one contract to the next, every status change, and the files attached to it."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tend.core.models import SoftDeletableModel, sort_index

LIVE = Q(deleted_at__isnull=True)


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_APPROVAL = "in_approval", _("In approval")
    SIGNED = "signed", _("Signed")
    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Expired")
    TERMINATED = "terminated", _("Terminated")


# Where a contract may go from each status. Expired and terminated are final: a contract that
# goes on is renewed by a new contract (renewal_of).
CONTRACT_TRANSITIONS = {
    ContractStatus.DRAFT: (
        ContractStatus.IN_APPROVAL,
        ContractStatus.SIGNED,
        ContractStatus.TERMINATED,
    ),
    ContractStatus.IN_APPROVAL: (
        ContractStatus.DRAFT,
        ContractStatus.SIGNED,
        ContractStatus.TERMINATED,
    ),
    ContractStatus.SIGNED: (
        ContractStatus.ACTIVE,
        ContractStatus.EXPIRED,
        ContractStatus.TERMINATED,
    ),
    ContractStatus.ACTIVE: (ContractStatus.EXPIRED, ContractStatus.TERMINATED),
    ContractStatus.EXPIRED: (),
    ContractStatus.TERMINATED: (),
}

# Statuses a contract reaches only once signed: each needs its signing date.
SIGNED_STATUSES = frozenset({ContractStatus.SIGNED, ContractStatus.ACTIVE, ContractStatus.EXPIRED})


class Contract(SoftDeletableModel):
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="contracts",
        verbose_name=_("customer"),
    )
    number = models.CharField(_("contract number"), max_length=64)
    title = models.CharField(_("title"), max_length=200, blank=True)
    deal = models.ForeignKey(
        "deals.Deal",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contracts",
        verbose_name=_("deal"),
    )
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    starts_on = models.DateField(_("start"), null=True, blank=True)
    ends_on = models.DateField(_("end"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ContractStatus.choices, default=ContractStatus.DRAFT
    )
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    # The contract this one continues; a contract is renewed at most once, so the chain is a line.
    renewal_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="renewals",
        verbose_name=_("renewal of"),
    )
    notes = models.TextField(_("notes"), max_length=5000, blank=True)
    created_by = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        constraints = [
            # Numbers are unique among live contracts; a deleted one's number may be reused.
            models.UniqueConstraint(fields=["number"], condition=LIVE, name="contract_number_live"),
            models.UniqueConstraint(
                fields=["renewal_of"],
                condition=LIVE & Q(renewal_of__isnull=False),
                name="contract_renewed_once",
            ),
        ]
        indexes = [
            sort_index(sort="-created_at", name="contract_recent", condition=LIVE),
            sort_index("customer", sort="-created_at", name="contract_customer", condition=LIVE),
            sort_index("status", sort="-created_at", name="contract_status", condition=LIVE),
            sort_index(sort="ends_on", name="contract_ends", nullable=True, condition=LIVE),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}".strip()

    @property
    def allowed_statuses(self) -> tuple:
        return CONTRACT_TRANSITIONS.get(self.status, ())


class ContractStatusChange(models.Model):
    """One move of a contract between statuses — append-only, never edited or deleted by an
    action. The first row of a contract (from_status empty) is its creation. The rows are
    the customer's timeline of the contract: created, signed, activated, ended."""

    contract = models.ForeignKey(
        Contract,
        on_delete=models.CASCADE,
        related_name="status_changes",
        verbose_name=_("contract"),
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="+", verbose_name=_("customer")
    )
    from_status = models.CharField(
        _("from"), max_length=16, choices=ContractStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=16, choices=ContractStatus.choices)
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("contract status change")
        verbose_name_plural = _("contract status changes")
        indexes = [
            models.Index(fields=["contract", "at", "id"], name="contract_status_history"),
            models.Index(fields=["customer", "-at", "-id"], name="contract_status_timeline"),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id}: {self.from_status} → {self.to_status}"


def attachment_path(instance, filename: str) -> str:
    # The stored name is random: the original name is kept in the row, never trusted as a path.
    return f"contracts/{instance.contract_id}/{filename}"


class ContractAttachment(SoftDeletableModel):
    """A file attached to a contract (the signed scan, an annex). Its type was checked by its
    first bytes, not only by its name."""

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("contract")
    )
    # The contract's customer, so the attachment is deleted and restored with it.
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="+", verbose_name=_("customer")
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(_("content type"), max_length=100)
    uploaded_by = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("uploaded by"),
    )

    class Meta:
        verbose_name = _("contract attachment")
        verbose_name_plural = _("contract attachments")
        indexes = [
            models.Index(fields=["contract", "-created_at"], condition=LIVE, name="attachment_list")
        ]

    def __str__(self) -> str:
        return self.original_name
