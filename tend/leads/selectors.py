"""Reading leads and lead web forms. A lead is visible to its owner, to managers of the teams
its owner belongs to (nested teams included), to everyone while it sits unassigned in the
pool, and to administrators — the rule of `customer_scope`, by owner alone (a lead has no
team of its own)."""

import functools
import operator
from dataclasses import dataclass, field

from django.db.models import BooleanField, Case, Q, QuerySet, Value, When
from django.db.models.functions import Lower, Replace

from tend.accounts.models import User
from tend.accounts.selectors import managed_user_ids
from tend.core.errors import NotFound
from tend.core.ids import get_or_not_found, parse_record_id
from tend.core.pagination import Page, keyset_page
from tend.core.validators import phone_search_prefix
from tend.customers.models import Customer
from tend.customers.search import SPACES, name_contains, normalize
from tend.customers.selectors import detail_scope, visible_customers
from tend.leads.models import OPEN, Lead, LeadForm, LeadSource, LeadStatus

LEAD_ORDERINGS = ("-created_at", "-updated_at", "-score")
LEAD_STATUSES = tuple(LeadStatus.values)
LEAD_SOURCES = tuple(LeadSource.values)
# A filter value meaning "any status but converted and disqualified".
OPEN_FILTER = "open"
DUPLICATES_SHOWN = 10


def lead_scope(user: User) -> Q:
    """Which leads a user may see and change, deleted or not."""
    if user.is_admin:
        return Q()
    scope = Q(owner__isnull=True) | Q(owner_id=user.pk)
    members = managed_user_ids(user)
    if members:
        scope |= Q(owner_id__in=members)
    return scope


def visible_leads(user: User) -> QuerySet[Lead]:
    return Lead.objects.filter(lead_scope(user), deleted_at__isnull=True)


def access_lead(user: User, lead_id) -> Lead:
    """The lead, if the user may see it; NotFound otherwise."""
    return get_or_not_found(
        visible_leads(user).select_related(
            "owner",
            "created_by",
            "form",
            "converted_by",
            "converted_customer",
            "converted_contact",
            "converted_deal",
        ),
        lead_id,
    )


@dataclass
class LeadFilters:
    status: str = ""  # a status, or "open"
    source: str = ""
    owner: str = ""  # a user id, "me" or "pool"
    query: str = ""

    @property
    def any(self) -> bool:
        return any([self.status, self.source, self.owner, self.query])


def filter_leads(user: User, filters: LeadFilters) -> QuerySet[Lead]:
    leads = visible_leads(user)
    if filters.status == OPEN_FILTER:
        leads = leads.filter(OPEN)
    elif filters.status in LEAD_STATUSES:
        leads = leads.filter(status=filters.status)
    elif filters.status:
        leads = leads.none()
    if filters.source in LEAD_SOURCES:
        leads = leads.filter(source=filters.source)
    elif filters.source:
        leads = leads.none()
    if filters.owner == "me":
        leads = leads.filter(owner_id=user.pk)
    elif filters.owner == "pool":
        leads = leads.filter(owner__isnull=True)
    elif filters.owner:
        owner_id = parse_record_id(filters.owner)
        leads = leads.filter(owner_id=owner_id) if owner_id else leads.none()
    query = filters.query.strip()
    if query:
        phone_prefix = phone_search_prefix(query)
        if phone_prefix:
            # A range on the stored E.164 form, as the customer search does.
            upper_bound = phone_prefix[:-1] + chr(ord(phone_prefix[-1]) + 1)
            leads = leads.filter(phone__gte=phone_prefix, phone__lt=upper_bound)
        elif "@" in query:
            leads = leads.filter(email__iexact=query)
        else:
            leads = leads.filter(Q(name__icontains=query) | Q(company_name__icontains=query))
    return leads


def lead_page(
    user: User, filters: LeadFilters, *, ordering: str, cursor: str | None, limit: int = 25
) -> Page:
    if ordering not in LEAD_ORDERINGS:
        ordering = "-created_at"
    leads = filter_leads(user, filters).select_related("owner")
    return keyset_page(leads, ordering, cursor, limit)


# --- duplicate candidates --------------------------------------------------------------------


@dataclass
class Candidate:
    """A customer or an open lead that may be the same as the lead shown. `visible` says
    whether the reader may open it; the page names only those."""

    record: object
    matched_on: list[str] = field(default_factory=list)
    visible: bool = False


@dataclass
class DuplicateCandidates:
    customers: list[Candidate] = field(default_factory=list)
    leads: list[Candidate] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.customers or self.leads)


def _visible_flag(scope: Q) -> Case | Value:
    if scope == Q():
        return Value(True)
    return Case(When(scope, then=Value(True)), default=Value(False), output_field=BooleanField())


def _spaceless_lower(column: str):
    expression = Lower(column)
    for space in SPACES:
        expression = Replace(expression, Value(space), Value(""))
    return expression


def any_of(keys: dict) -> Q | None:
    """Records equal to one of the non-empty `keys` (field → value); None if all are empty."""
    conditions = [Q(**{name: value}) for name, value in keys.items() if value]
    return functools.reduce(operator.or_, conditions) if conditions else None


def _customers_matching(keys: dict, company_name: str) -> QuerySet | None:
    """Ids of live customers sharing one of `keys` (field → value) or, ignoring case and
    spaces, the company name — as a union of index lookups (the key indexes, and the name
    index of character pairs with the whole name compared after), never a scan."""
    condition = any_of(keys)
    parts = []
    if condition is not None:
        parts.append(Customer.objects.filter(condition, deleted_at__isnull=True).values("id"))
    text = normalize(company_name)
    if len(text) >= 2:
        parts.append(
            Customer.objects.alias(name_normalized=_spaceless_lower("name"))
            .filter(name_contains(company_name), name_normalized=text, deleted_at__isnull=True)
            .values("id")
        )
    if not parts:
        return None
    return parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]


def _leads_matching(lead: Lead, keys: dict) -> QuerySet | None:
    condition = any_of(keys)
    if condition is None:
        return None
    return Lead.objects.filter(condition, OPEN, deleted_at__isnull=True).exclude(pk=lead.pk)


def _matched_fields(record, keys: dict) -> list[str]:
    return [name for name, value in keys.items() if value and getattr(record, name) == value]


def duplicate_candidates(user: User, lead: Lead) -> DuplicateCandidates:
    """Customers sharing the lead's credit code, phone, email or (normalised) company name,
    and other open leads sharing its phone or email — computed when shown, never stored, in
    at most two indexed queries. A converted lead has none: it is linked to its customer."""
    found = DuplicateCandidates()
    if lead.is_converted:
        return found
    keys = {"credit_code": lead.credit_code, "phone": lead.phone, "email": lead.email}
    customer_ids = _customers_matching(keys, lead.company_name)
    if customer_ids is not None:
        company = normalize(lead.company_name)
        customers = (
            Customer.objects.filter(pk__in=customer_ids)
            # One locked for the reader (跟进中) is named by its owner only, like a hidden one.
            .annotate(visible_to_reader=_visible_flag(detail_scope(user)))
            .select_related("owner")
            .order_by("-updated_at", "-id")[:DUPLICATES_SHOWN]
        )
        for customer in customers:
            matched = _matched_fields(customer, keys)
            if len(company) >= 2 and normalize(customer.name) == company:
                matched.append("company_name")
            found.customers.append(Candidate(customer, matched, customer.visible_to_reader))
    lead_keys = {"phone": lead.phone, "email": lead.email}
    others = _leads_matching(lead, lead_keys)
    if others is not None:
        others = (
            others.annotate(visible_to_reader=_visible_flag(lead_scope(user)))
            .select_related("owner")
            .order_by("-created_at", "-id")[:DUPLICATES_SHOWN]
        )
        for other in others:
            found.leads.append(
                Candidate(other, _matched_fields(other, lead_keys), other.visible_to_reader)
            )
    return found


# --- conversion choices ----------------------------------------------------------------------


def recent_customers(user: User, limit: int = 50) -> list[Customer]:
    """The user's most recently updated visible customers: choices to attach a lead to."""
    return list(visible_customers(user).order_by("-updated_at", "-id")[:limit])


def open_deals_of(user: User, customer_ids, limit: int = 100) -> list:
    """Open deals of these customers that the user may see (one query)."""
    from tend.deals.models import StageCategory
    from tend.deals.selectors import visible_deals

    if not customer_ids:
        return []
    return list(
        visible_deals(user)
        .filter(customer_id__in=customer_ids, stage__category=StageCategory.OPEN)
        .select_related("customer", "stage")
        .order_by("customer_id", "-updated_at", "-id")[:limit]
    )


# --- timeline, recycle bin, web forms --------------------------------------------------------


def lead_timeline_entries(customer_id: int, cursor, limit: int) -> list:
    """ "Lead converted" events of a customer (see tend.core.timeline): one indexed query on
    (converted_customer, converted_at)."""
    from tend.core.timeline import TimelineEntry

    leads = (
        Lead.objects.filter(converted_customer_id=customer_id, deleted_at__isnull=True)
        .filter(cursor.before("lead", "converted_at"))
        .select_related("converted_by", "converted_deal")
        .order_by("-converted_at", "-id")[:limit]
    )
    return [
        TimelineEntry(lead.converted_at, "lead", lead.pk, lead, "web/timeline/lead.html")
        for lead in leads
    ]


def lead_forms() -> QuerySet[LeadForm]:
    return LeadForm.objects.select_related("created_by")


def access_lead_form(user: User, form_id) -> LeadForm:
    """A web form, for an administrator; NotFound for everyone else."""
    if not user.is_admin:
        raise NotFound()
    return get_or_not_found(LeadForm.objects.all(), form_id)


def active_form_for_key(key) -> LeadForm | None:
    if not isinstance(key, str) or not key or len(key) > 64:
        return None
    return LeadForm.objects.filter(key=key, active=True).first()
