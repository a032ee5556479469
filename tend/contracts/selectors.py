"""Reading contracts and their attachments. A contract is visible exactly when its customer is."""

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet

from tend.accounts.models import User
from tend.contracts.models import Contract, ContractAttachment, ContractStatusChange
from tend.core.ids import get_or_not_found, parse_record_id
from tend.core.pagination import Page, keyset_page
from tend.core.timeline import TimelineCursor, TimelineEntry
from tend.customers.models import Customer
from tend.customers.selectors import customer_visibility

CONTRACT_ORDERINGS = ("-created_at", "ends_on")


def visible_contracts(user: User) -> QuerySet[Contract]:
    return Contract.objects.filter(customer_visibility(user), deleted_at__isnull=True)


def access_contract(user: User, contract_id) -> Contract:
    return get_or_not_found(
        visible_contracts(user).select_related("customer", "deal", "renewal_of", "created_by"),
        contract_id,
    )


@dataclass
class ContractFilters:
    customer: str = ""
    status: str = ""
    signed_from: datetime.date | None = None
    signed_to: datetime.date | None = None


def filter_contracts(user: User, filters: ContractFilters) -> QuerySet[Contract]:
    contracts = visible_contracts(user)
    if filters.customer:
        customer_id = parse_record_id(filters.customer)
        contracts = contracts.filter(customer_id=customer_id) if customer_id else contracts.none()
    if filters.status:
        contracts = contracts.filter(status=filters.status)
    if filters.signed_from:
        contracts = contracts.filter(signed_on__gte=filters.signed_from)
    if filters.signed_to:
        contracts = contracts.filter(signed_on__lte=filters.signed_to)
    return contracts


def contract_page(
    user: User,
    filters: ContractFilters,
    *,
    ordering: str = "-created_at",
    cursor: str | None = None,
    limit: int = 25,
) -> Page:
    if ordering not in CONTRACT_ORDERINGS:
        ordering = "-created_at"
    contracts = filter_contracts(user, filters).select_related("customer", "created_by")
    return keyset_page(contracts, ordering, cursor, limit)


def customer_contracts(customer: Customer, limit: int = 50) -> list[Contract]:
    return list(
        Contract.objects.filter(customer=customer, deleted_at__isnull=True)
        .select_related("renewal_of")
        .order_by("-created_at", "-id")[:limit]
    )


def renewal_chain(contract: Contract) -> list[Contract]:
    """The live contracts the contract renews and that renew it, oldest first, the contract
    itself included: one query over the customer's contracts, however long the chain."""
    by_id = {
        each.pk: each
        for each in Contract.objects.filter(
            customer_id=contract.customer_id, deleted_at__isnull=True
        )
    }
    by_id[contract.pk] = contract
    renewed_by = {each.renewal_of_id: each for each in by_id.values() if each.renewal_of_id}
    earlier = []
    current = contract
    while current.renewal_of_id in by_id and len(earlier) < len(by_id):
        current = by_id[current.renewal_of_id]
        earlier.append(current)
    later = []
    current = contract
    while current.pk in renewed_by and len(later) < len(by_id):
        current = renewed_by[current.pk]
        later.append(current)
    return [*reversed(earlier), contract, *later]


def contract_status_history(contract: Contract) -> list[ContractStatusChange]:
    return list(contract.status_changes.select_related("actor").order_by("-at", "-id")[:100])


def contract_attachments(contract: Contract) -> list[ContractAttachment]:
    return list(
        contract.attachments.filter(deleted_at__isnull=True)
        .select_related("uploaded_by")
        .order_by("-created_at", "-id")
    )


def visible_attachments(user: User) -> QuerySet[ContractAttachment]:
    return ContractAttachment.objects.filter(
        customer_visibility(user),
        deleted_at__isnull=True,
        contract__deleted_at__isnull=True,
    )


def access_attachment(user: User, attachment_id) -> ContractAttachment:
    return get_or_not_found(visible_attachments(user).select_related("contract"), attachment_id)


def contract_timeline_entries(customer_id: int, cursor: TimelineCursor, limit: int) -> list:
    """Contracts created, signed, activated, expired or terminated, as timeline events: one
    query over the status history, whose first row is the contract's creation."""
    changes = (
        ContractStatusChange.objects.filter(
            customer_id=customer_id, contract__deleted_at__isnull=True
        )
        .filter(cursor.before("contract", "at"))
        .select_related("contract", "actor")
        .order_by("-at", "-id")[:limit]
    )
    return [TimelineEntry(c.at, "contract", c.pk, c, "web/timeline/contract.html") for c in changes]
