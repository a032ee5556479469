"""Reading customers and contacts. Every door reads through these functions, so one set of
visibility rules holds for the web, the API, the CLI and exports alike."""

from dataclasses import dataclass, field

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet, Value

from tend.accounts.models import User
from tend.accounts.selectors import managed_team_ids, managed_user_ids
from tend.core.errors import CustomerLocked
from tend.core.ids import get_or_not_found, parse_record_id
from tend.core.pagination import Page, keyset_page
from tend.core.validators import phone_search_prefix
from tend.customers.models import Contact, Customer
from tend.customers.search import name_contains
from tend.status.models import CustomerState, StateCategory

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


# --- the 跟进中 lock ----------------------------------------------------------------------------
#
# While a customer stands in a state of the LOCKED category (跟进中, "in follow-up", on the
# collaboration dimension of the default model), only its owner, the owner's managers and
# admins see its details. Anyone else who can see it at all — within customer_scope that is a
# manager who sees it through a team it is assigned to without managing its owner — sees its
# name, its owner and that it is locked: a marked row in lists, search and exports, a "locked"
# refusal (403) for its page and everything under it, nothing of its records. A customer in the
# public pool is locked to no one (nobody follows it up; anyone may claim it).
#
# The lock narrows what customer_scope shows; it never shows a customer to someone outside
# it (except that a duplicate check says who holds a taken customer, as it always did).


def lock_holds() -> Exists:
    """The customer stands in a state of the LOCKED category now (one indexed lookup on
    CustomerState's (customer, dimension, state) key per customer checked)."""
    return Exists(
        CustomerState.objects.filter(
            customer_id=OuterRef("pk"), state__category=StateCategory.LOCKED
        )
    )


def _sees_in_full(user: User) -> Q:
    """Customers whose details the user sees whatever state they are in (not admins)."""
    full = Q(owner__isnull=True) | Q(owner_id=user.pk)
    members = managed_user_ids(user)
    if members:
        full |= Q(owner_id__in=members)
    return full


def locked_for(user: User) -> Q:
    """THE lock rule: the customers locked for this user — in a locked state, with an owner
    who is neither the user nor one of the users they manage. Never any, for an admin."""
    if user.is_admin:
        return Q(pk__in=[])
    return ~_sees_in_full(user) & Q(lock_holds())


def _lock_can_narrow(user: User) -> bool:
    """Whether the lock can hide anything within customer_scope(user): only for a manager,
    whose teams may hold customers of owners they do not manage. A rep sees the pool and
    their own; an admin everything, locked for no one."""
    return not user.is_admin and bool(managed_team_ids(user))


def detail_scope(user: User) -> Q:
    """Which customers a user may see in full and act on: customer_scope without those
    locked_for the user (written as its complement, `sees in full or not locked`)."""
    scope = customer_scope(user)
    if not _lock_can_narrow(user):
        return scope
    return scope & (_sees_in_full(user) | ~Q(lock_holds()))


def _flag(condition: Q) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


def marked_locked(customers: QuerySet[Customer], user: User) -> QuerySet[Customer]:
    """`customers` (within customer_scope(user)) with `locked` on each: whether it is locked
    for the user. Computed in the same query (an EXISTS per row returned), never per row."""
    if not _lock_can_narrow(user):
        return customers.annotate(locked=Value(False, output_field=BooleanField()))
    return customers.annotate(locked=_flag(locked_for(user)))


def customer_visibility(user: User, through: str = "customer") -> Q:
    """The condition on a customer's record (deal, ticket, order…) that its customer is live
    and the user may see it in full (the records of a customer locked for the user are
    hidden with its details). A correlated EXISTS: a page of records checks its own few
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
                detail_scope(user), pk=OuterRef(f"{through}_id"), deleted_at__isnull=True
            )
        )
    )


def visible_customers(user: User) -> QuerySet[Customer]:
    """Live customers the user may see in full (and so choose, attach records to, act on)."""
    return Customer.objects.filter(detail_scope(user), deleted_at__isnull=True)


def listed_customers(user: User) -> QuerySet[Customer]:
    """Live customers the user may see in a list — those locked for the user included,
    marked `locked` (the lists show their name and owner only)."""
    return marked_locked(
        Customer.objects.filter(customer_scope(user), deleted_at__isnull=True), user
    )


def access_customer(user: User, customer_id) -> Customer:
    """The customer, if the user may see it; NotFound otherwise (never 'forbidden', so that
    existence does not leak). CustomerLocked (403, code "locked") for one the user sees in
    lists but which is locked for them: every page and API path of a customer, and every
    action reached through them, goes through here (one query either way)."""
    customer = get_or_not_found(listed_customers(user).select_related("owner", "team"), customer_id)
    if customer.locked:
        raise CustomerLocked(customer)
    return customer


@dataclass
class CustomerFilters:
    query: str = ""
    owner: str = ""  # a user id, "me" or "pool"
    team: int | None = None
    tag: str = ""
    province: str = ""
    city: str = ""
    source: str = ""
    # A condition over the customers' facts, in the status engine's language:
    # "health_score < 40 and days_to_contract_end <= 90".
    condition: str = ""
    extra: dict = field(default_factory=dict)


def _filters_on_details(filters: CustomerFilters, query: str) -> bool:
    """Whether the filters read more of a customer than its name, owner and team: a locked
    customer must not answer them, or they would tell its phone, tags, region …"""
    reads_details = (
        filters.tag or filters.province or filters.city or filters.source or filters.condition
    )
    return bool(reads_details or filters.extra or phone_search_prefix(query) or "@" in query)


def filter_customers(user: User, filters: CustomerFilters) -> QuerySet[Customer]:
    """The customers a list shows for these filters, each marked `locked` or not."""
    customers = listed_customers(user)
    query = filters.query.strip()
    if _lock_can_narrow(user) and _filters_on_details(filters, query):
        customers = customers.filter(detail_scope(user))
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
    if filters.condition.strip():
        from tend.status.selectors import customers_where

        customers = customers.filter(id__in=customers_where(filters.condition))
    return customers


def customer_page(
    user: User, filters: CustomerFilters, *, ordering: str, cursor: str | None, limit: int = 25
) -> Page:
    if ordering not in CUSTOMER_ORDERINGS:
        ordering = "-updated_at"
    customers = filter_customers(user, filters).select_related("owner")
    return keyset_page(customers, ordering, cursor, limit)


def find_duplicate(
    *,
    credit_code: str,
    phone: str,
    email: str,
    exclude_id: int | None = None,
    reader: User | None = None,
) -> tuple[str, Customer] | None:
    """The first live customer sharing a credit code, phone or email, and which field matched.
    With a `reader`, the customer found says in the same query whether the reader may open
    it (`visible_to_reader`) and whether it is locked for them (`locked_for_reader`): a
    duplicate check on create (撞单) tells anyone that the customer is taken and by whom, and
    of a locked one nothing more."""
    for field_name, value in (("credit_code", credit_code), ("phone", phone), ("email", email)):
        if not value:
            continue
        match = Customer.objects.filter(deleted_at__isnull=True, **{field_name: value})
        if exclude_id:
            match = match.exclude(pk=exclude_id)
        if reader is not None:
            everything = reader.is_admin
            match = match.annotate(
                visible_to_reader=Value(True) if everything else _flag(detail_scope(reader)),
                locked_for_reader=Value(False) if everything else _flag(locked_for(reader)),
            )
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
