"""Leads (线索): raw inbound interest, before it is a qualified customer, and the web forms
that let other sites send leads in.

A lead keeps what came in (`raw_fields`, as received) beside the contact data read from it,
a score, a status, and an owner — none means the unassigned lead pool. Conversion turns it
into a customer + contact (+ deal) and links them here; a converted lead changes no more."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tend.core.models import SoftDeletableModel, TimestampedModel, sort_index
from tend.core.validators import display_phone

LIVE = Q(deleted_at__isnull=True)


class LeadSource(models.TextChoices):
    WEB_FORM = "web_form", _("Web form")
    EMAIL = "email", _("Email")
    IMPORT = "import", _("Import")
    API = "api", _("API")
    MANUAL = "manual", _("Entered by hand")
    CAMPAIGN = "campaign", _("Campaign")


class LeadStatus(models.TextChoices):
    NEW = "new", _("New")
    CONTACTED = "contacted", _("Contacted")
    QUALIFIED = "qualified", _("Qualified")
    DISQUALIFIED = "disqualified", _("Disqualified")
    # Terminal, and set only by conversion (tend.leads.actions.convert_lead).
    CONVERTED = "converted", _("Converted")


# Statuses of a lead still being worked: duplicates are looked for among these.
OPEN_STATUSES = (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED)
OPEN = Q(status__in=OPEN_STATUSES)


class LeadForm(TimestampedModel):
    """A web form on another site that may send leads to POST /api/v1/leads/inbound, which it
    names by its key. An administrator creates and deactivates them."""

    name = models.CharField(_("name"), max_length=100)
    key = models.CharField(_("form key"), max_length=64, unique=True)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("lead web form")
        verbose_name_plural = _("lead web forms")
        ordering = ["-active", "name", "id"]

    def __str__(self) -> str:
        return self.name


class Lead(SoftDeletableModel):
    source = models.CharField(
        _("source"), max_length=16, choices=LeadSource.choices, default=LeadSource.MANUAL
    )
    # What came in, exactly as received (a web form's fields, an API caller's extra data).
    raw_fields = models.JSONField(_("raw fields"), default=dict, blank=True)
    form = models.ForeignKey(
        LeadForm,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
        verbose_name=_("web form"),
    )
    name = models.CharField(_("person's name"), max_length=100, blank=True)
    company_name = models.CharField(_("company name"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)  # E.164
    email = models.CharField(_("email"), max_length=254, blank=True)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    wechat = models.CharField(_("WeChat"), max_length=64, blank=True)
    province = models.CharField(_("province"), max_length=50, blank=True)
    city = models.CharField(_("city"), max_length=50, blank=True)
    notes = models.TextField(_("notes"), max_length=5000, blank=True)
    score = models.PositiveSmallIntegerField(_("score"), default=0)
    # False: the score follows the fields (tend.leads.scoring); True: a user set it.
    score_set_by_hand = models.BooleanField(_("score set by hand"), default=False)
    status = models.CharField(
        _("status"), max_length=16, choices=LeadStatus.choices, default=LeadStatus.NEW
    )
    disqualified_reason = models.CharField(_("disqualified because"), max_length=500, blank=True)
    status_changed_at = models.DateTimeField(_("status since"), null=True, blank=True)
    owner = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
        verbose_name=_("owner"),
    )
    created_by = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    converted_at = models.DateTimeField(_("converted at"), null=True, blank=True)
    converted_by = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("converted by"),
    )
    converted_customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="converted_leads",
        verbose_name=_("customer"),
    )
    converted_contact = models.ForeignKey(
        "customers.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("contact"),
    )
    converted_deal = models.ForeignKey(
        "deals.Deal",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("deal"),
    )

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        indexes = [
            sort_index(sort="-created_at", name="lead_created", condition=LIVE),
            sort_index(sort="-updated_at", name="lead_updated", condition=LIVE),
            sort_index(sort="-score", name="lead_score", condition=LIVE),
            # A rep's list is "mine or the pool": two ranges of this index.
            sort_index("owner", sort="-created_at", name="lead_owner", condition=LIVE),
            sort_index("status", sort="-created_at", name="lead_status", condition=LIVE),
            # Duplicate candidates among open leads.
            models.Index(fields=["phone"], condition=LIVE & OPEN, name="lead_open_phone"),
            models.Index(fields=["email"], condition=LIVE & OPEN, name="lead_open_email"),
            # The customer timeline's "lead converted" events.
            models.Index(
                fields=["converted_customer", "-converted_at", "-id"],
                condition=Q(converted_customer__isnull=False),
                name="lead_converted_timeline",
            ),
            models.Index(fields=["deleted_at"], condition=~LIVE, name="lead_deleted"),
        ]

    def __str__(self) -> str:
        return self.name or self.company_name or f"#{self.pk}"

    @property
    def phone_display(self) -> str:
        return display_phone(self.phone)

    @property
    def region(self) -> str:
        return " ".join(part for part in (self.province, self.city) if part)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_converted(self) -> bool:
        return self.status == LeadStatus.CONVERTED
