"""Reading customers and contacts. Every door reads through these functions, so one set of
visibility rules holds for the web, the API, the CLI and exports alike."""

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, QuerySet

from tend.accounts.models import User
from tend.accounts.selectors import managed_team_ids, managed_user_ids
from tend.core.ids import get_or_not_found, parse_record_id
from tend.core.pagination import Page, keyset_page
from tend.core.validators import phone_search_prefix
from tend.customers.models import Contact, Customer
from tend.customers.search import name_contains

CUSTOMER_ORDERINGS = ("name", "-name", "-created_at", "-updated_at", "-last_contact_at")


def customer_scope(user: User) -> Q:
    """Which customers a user may see and change, deleted or not.

    Admins: all. Managers: the public pool, their own, and those owned by or assigned to a
    team they manage (nested teams included). Everyone else: the public pool and their own."""
    if user.is_admin:
        return Q()
    scope = Q(owner__isnull=True) | Q(owner_id=user.pk)
    team_ids = managed_team_ids(user)
    if team_ids:
        scope |= Q(owner_id__in=managed_user_ids(user)) | Q(team_id__in=team_ids)
    return scope


def customer_visibility(user: User, through: str = "customer") -> Q:
    """The condition on a customer's record (deal, ticket, order…) that its customer is live
    and the user may see it. A correlated EXISTS: a page of records checks its own few
    customers while it walks the page's index, newest first, and stops when the page is
    full. `customer__in=visible_customers(user)` had the database list every visible
    customer first, and a join let SQLite start from the customers (a rep may see a quarter
    of a million of them) and sort — seconds, at a million customers. Admins see every live
    record: a customer's records are deleted with it (one recycle-bin batch)."""
    if user.is_admin:
        return Q()
    return Q(
        Exists(
            Customer.objects.filter(
                customer_scope(user), pk=OuterRef(f"{through}_id"), deleted_at__isnull=True
            )
        )
    )


def visible_customers(user: User) -> QuerySet[Customer]:
    return Customer.objects.filter(customer_scope(user), deleted_at__isnull=True)


def access_customer(user: User, customer_id) -> Customer:
    """The customer, if the user may see it; NotFound otherwise (never 'forbidden', so that
    existence does not leak)."""
    return get_or_not_found(visible_customers(user).select_related("owner", "team"), customer_id)


@dataclass
class CustomerFilters:
    query: str = ""
    owner: str = ""  # a user id, "me" or "pool"
    team: int | None = None
    tag: str = ""
    province: str = ""
    city: str = ""
    source: str = ""
    extra: dict = field(default_factory=dict)


def filter_customers(user: User, filters: CustomerFilters) -> QuerySet[Customer]:
    customers = visible_customers(user)
    query = filters.query.strip()
    if query:
        phone_prefix = phone_search_prefix(query)
        if phone_prefix:
            # A range, not LIKE 'x%': SQLite's LIKE ignores case and so cannot use the index.
            upper_bound = phone_prefix[:-1] + chr(ord(phone_prefix[-1]) + 1)
            customers = customers.filter(phone__gte=phone_prefix, phone__lt=upper_bound)
        elif "@" in query:
            customers = customers.filter(email__iexact=query)
        else:
            customers = customers.filter(name_contains(query))
    if filters.owner == "me":
        customers = customers.filter(owner_id=user.pk)
    elif filters.owner == "pool":
        customers = customers.filter(owner__isnull=True)
    elif filters.owner:
        owner_id = parse_record_id(filters.owner)
        customers = customers.filter(owner_id=owner_id) if owner_id else customers.none()
    if filters.team:
        team_id = parse_record_id(filters.team)
        customers = customers.filter(team_id=team_id) if team_id else customers.none()
    if filters.tag:
        customers = customers.filter(tags__name=filters.tag)
    if filters.province:
        customers = customers.filter(province=filters.province)
    if filters.city:
        customers = customers.filter(city=filters.city)
    if filters.source:
        customers = customers.filter(source=filters.source)
    return customers


def customer_page(
    user: User, filters: CustomerFilters, *, ordering: str, cursor: str | None, limit: int = 25
) -> Page:
    if ordering not in CUSTOMER_ORDERINGS:
        ordering = "-updated_at"
    customers = filter_customers(user, filters).select_related("owner")
    return keyset_page(customers, ordering, cursor, limit)


def find_duplicate(
    *, credit_code: str, phone: str, email: str, exclude_id: int | None = None
) -> tuple[str, Customer] | None:
    """The first live customer sharing a credit code, phone or email, and which field matched."""
    for field_name, value in (("credit_code", credit_code), ("phone", phone), ("email", email)):
        if not value:
            continue
        match = Customer.objects.filter(deleted_at__isnull=True, **{field_name: value})
        if exclude_id:
            match = match.exclude(pk=exclude_id)
        existing = match.select_related("owner").first()
        if existing is not None:
            return field_name, existing
    return None


def visible_contacts(user: User) -> QuerySet[Contact]:
    return Contact.objects.filter(customer_visibility(user), deleted_at__isnull=True)


def access_contact(user: User, contact_id) -> Contact:
    return get_or_not_found(visible_contacts(user).select_related("customer"), contact_id)


def customer_contacts(customer: Customer) -> QuerySet[Contact]:
    return customer.contacts.filter(deleted_at__isnull=True).order_by("-is_primary", "name")


def custom_field_definitions():
    from tend.customers.models import CustomFieldDefinition

    return CustomFieldDefinition.objects.all()
