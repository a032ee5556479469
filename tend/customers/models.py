from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tend.core.models import SoftDeletableModel, sort_index
from tend.core.validators import display_phone

LIVE = Q(deleted_at__isnull=True)
# Customer.follow_up_rank of a customer without a grade: after every grade.
UNGRADED_RANK = 32767


class CustomerKind(models.TextChoices):
    COMPANY = "company", _("Company")
    PERSON = "person", _("Person")


class SourceChannel(models.TextChoices):
    WEBSITE = "website", _("Website")
    REFERRAL = "referral", _("Referral")
    EXHIBITION = "exhibition", _("Exhibition")
    COLD_CALL = "cold_call", _("Cold call")
    ADVERTISING = "advertising", _("Advertising")
    SOCIAL_MEDIA = "social_media", _("Social media")
    PARTNER = "partner", _("Partner")
    OTHER = "other", _("Other")


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CustomFieldType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
    BOOLEAN = "boolean", _("Yes / no")


class CustomFieldDefinition(models.Model):
    """An administrator-defined customer field; values live in Customer.custom_fields."""

    key = models.SlugField(_("key"), max_length=50, unique=True)
    label_zh = models.CharField(_("label (Chinese)"), max_length=100)
    label_en = models.CharField(_("label (English)"), max_length=100)
    field_type = models.CharField(_("type"), max_length=16, choices=CustomFieldType.choices)
    required = models.BooleanField(_("required"), default=False)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    max_length = models.PositiveIntegerField(_("maximum length"), default=200)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["order", "key"]

    def __str__(self) -> str:
        return self.key

    def label(self, language: str) -> str:
        return self.label_zh if language.startswith("zh") else self.label_en


class Customer(SoftDeletableModel):
    kind = models.CharField(
        _("kind"), max_length=16, choices=CustomerKind.choices, default=CustomerKind.COMPANY
    )
    name = models.CharField(_("name"), max_length=200)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    province = models.CharField(_("province"), max_length=50, blank=True)
    city = models.CharField(_("city"), max_length=50, blank=True)
    source = models.CharField(
        _("source channel"), max_length=32, choices=SourceChannel.choices, blank=True
    )
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)  # E.164
    email = models.CharField(_("email"), max_length=254, blank=True)
    wechat = models.CharField(_("WeChat"), max_length=64, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    # The customer's id in another system (ERP, an old CRM): imports match rows by it.
    external_id = models.CharField(_("external id"), max_length=64, blank=True)
    owner = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_customers",
        verbose_name=_("owner"),
    )
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
        verbose_name=_("team"),
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="customers", verbose_name=_("tags"))
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Time nodes (C2); later issues add lead qualified, first deal, last order, last survey.
    first_contact_at = models.DateTimeField(_("first contact"), null=True, blank=True)
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True)
    next_follow_up_on = models.DateField(_("next follow-up"), null=True, blank=True)
    converted_at = models.DateTimeField(_("converted"), null=True, blank=True)
    churned_at = models.DateTimeField(_("churned"), null=True, blank=True)
    # The date of the latest live order, kept by the order actions (tend/orders/actions.py).
    last_order_on = models.DateField(_("last order"), null=True, blank=True)
    # When the next follow-up is due (S7) and the grade's place among the grades (A first,
    # ungraded last): the worklist's order, kept by tend.status.cadence.refresh_follow_up_due,
    # which writes both (a customer with a due date always has a rank). Nullable, so that
    # adding them leaves SQLite's customer table (and the triggers reading it) in place.
    follow_up_due_on = models.DateField(_("follow-up due"), null=True, blank=True)
    follow_up_rank = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        # Partial indexes over live rows: every list is "not deleted" first.
        # Partial indexes over live rows: every list is "not deleted" first. One per sort, and
        # one per common filter and sort, so a page is an index range scan, never a sort.
        indexes = [
            models.Index(fields=["name", "id"], condition=LIVE, name="customer_name"),
            sort_index(sort="-created_at", name="customer_created", condition=LIVE),
            sort_index(sort="-updated_at", name="customer_updated", condition=LIVE),
            sort_index(
                sort="-last_contact_at", name="customer_last_contact", nullable=True, condition=LIVE
            ),
            models.Index(fields=["owner", "name", "id"], condition=LIVE, name="customer_owner"),
            sort_index(
                "owner",
                sort="-last_contact_at",
                name="customer_owner_contact",
                nullable=True,
                condition=LIVE,
            ),
            sort_index("owner", sort="-updated_at", name="customer_owner_updated", condition=LIVE),
            models.Index(fields=["team", "name", "id"], condition=LIVE, name="customer_team"),
            # A rep's follow-ups due by a date, most overdue first, then by grade.
            models.Index(
                fields=["owner", "follow_up_due_on", "follow_up_rank", "id"],
                condition=LIVE & Q(follow_up_due_on__isnull=False),
                name="customer_follow_up_due",
            ),
            models.Index(fields=["province", "city"], condition=LIVE, name="customer_region"),
            sort_index(
                "province",
                sort="-last_contact_at",
                name="customer_province_contact",
                nullable=True,
                condition=LIVE,
            ),
            models.Index(fields=["source"], condition=LIVE, name="customer_source"),
            models.Index(fields=["phone"], condition=LIVE, name="customer_phone"),
            models.Index(fields=["email"], condition=LIVE, name="customer_email"),
            models.Index(fields=["credit_code"], condition=LIVE, name="customer_credit_code"),
            models.Index(fields=["external_id"], condition=LIVE, name="customer_external_id"),
            # Only deleted rows (the recycle bin reads them): an index over every row would tempt
            # the planner to read all live rows for "deleted_at IS NULL".
            models.Index(
                fields=["deleted_at"],
                name="customer_deleted",
                condition=Q(deleted_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def phone_display(self) -> str:
        return display_phone(self.phone)

    @property
    def region(self) -> str:
        return " ".join(part for part in (self.province, self.city) if part)


class Contact(SoftDeletableModel):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("customer")
    )
    name = models.CharField(_("full name"), max_length=100)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    phone = models.CharField(_("landline"), max_length=20, blank=True)
    email = models.CharField(_("email"), max_length=254, blank=True)
    wechat = models.CharField(_("WeChat"), max_length=64, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            models.Index(fields=["customer", "name"], condition=LIVE, name="contact_customer")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def mobile_display(self) -> str:
        return display_phone(self.mobile)

    @property
    def phone_display(self) -> str:
        return display_phone(self.phone)


class CustomerNameGram(models.Model):
    """One pair of adjacent characters of a customer's name: the index that name search reads
    (see tend/customers/search.py). Written by the actions that set a name."""

    pk = models.CompositePrimaryKey("gram", "customer")
    gram = models.CharField(max_length=2)
    # No foreign-key constraint in the database: this is a derived index, written only by code
    # that has just written the customer, and removed with it (on_delete runs in Django). The
    # constraint's check per row was half the time of writing a large import's name index.
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )

    class Meta:
        verbose_name = _("name search entry")
        verbose_name_plural = _("name search entries")

    def __str__(self) -> str:
        return f"{self.gram} → {self.customer_id}"
