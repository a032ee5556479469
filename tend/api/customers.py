"""/customers: list (filtered, sorted, keyset-paginated), create, read, change, delete."""

import datetime
from typing import Any, Literal

from django.db.models import prefetch_related_objects
from ninja import Field, Query, Router, Schema, Status

from tend.api.common import (
    InputSchema,
    PageParams,
    RecordId,
    Timestamp,
    UserRef,
    body_data,
    responses,
)
from tend.customers.actions import create_customer, delete_customer, update_customer
from tend.customers.selectors import (
    CUSTOMER_ORDERINGS,
    CustomerFilters,
    access_customer,
    customer_page,
)

router = Router(tags=["customers"])


class CustomerIn(InputSchema):
    kind: str | None = Field(None, description="company or person (default company)")
    name: str | None = None
    industry: str | None = None
    province: str | None = None
    city: str | None = None
    source: str | None = Field(None, description="Source channel, e.g. website, referral")
    credit_code: str | None = Field(None, description="Unified social credit code")
    phone: str | None = Field(None, description="A Chinese mobile or landline number")
    email: str | None = None
    wechat: str | None = None
    address: str | None = None
    external_id: str | None = Field(None, description="The customer's id in another system")
    tags: list[str] | None = Field(None, description="Tag names; replaces the current tags")
    custom_fields: dict[str, Any] | None = Field(
        None, description="Values of the administrator-defined fields, by key"
    )


class CustomerOut(Schema):
    id: int
    locked: Literal[False] = Field(
        False,
        description="Always false here: a customer locked for the caller is a LockedCustomerOut",
    )
    kind: str
    name: str
    industry: str
    province: str
    city: str
    source: str
    credit_code: str
    phone: str = Field(description="E.164, e.g. +8613812345678")
    email: str
    wechat: str
    address: str
    external_id: str
    tags: list[str]
    custom_fields: dict[str, Any]
    owner: UserRef | None = Field(description="None: the customer is in the public pool")
    team: int | None
    first_contact_at: Timestamp | None
    last_contact_at: Timestamp | None
    next_follow_up_on: datetime.date | None
    converted_at: Timestamp | None
    churned_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp

    @staticmethod
    def resolve_tags(customer) -> list[str]:
        # Tag orders by name; the list endpoint prefetches them for the whole page.
        return [tag.name for tag in customer.tags.all()]

    @staticmethod
    def resolve_team(customer) -> int | None:
        return customer.team_id


class LockedCustomerOut(Schema):
    """A customer in follow-up (跟进中) by an owner the caller neither is nor manages: the
    caller sees that it is taken and by whom, nothing more; reading it answers 403 `locked`."""

    id: int
    name: str
    owner: UserRef
    locked: Literal[True]


class CustomerPageOut(Schema):
    items: list[CustomerOut | LockedCustomerOut]
    next_cursor: str | None


class CustomerListParams(PageParams):
    q: str = Field("", description="Search by name, phone (prefix) or email")
    owner: str = Field("", pattern=r"^(|me|pool|\d+)$", description='"me", "pool" or a user id')
    team: RecordId | None = None
    tag: str = Field("", description="A tag name")
    province: str = ""
    city: str = ""
    source: str = ""
    condition: str = Field(
        "",
        max_length=2000,
        description='A condition over facts, as in status rules: "health_score < 40"',
    )
    ordering: Literal[CUSTOMER_ORDERINGS] = "-updated_at"


@router.get(
    "",
    response=responses(200, CustomerPageOut, 422),
    operation_id="listCustomers",
    summary="List customers",
)
def list_customers(request, params: Query[CustomerListParams]):
    """Customers the caller may see, one page at a time; follow next_cursor for the next."""
    filters = CustomerFilters(
        query=params.q,
        owner=params.owner,
        team=params.team,
        tag=params.tag,
        province=params.province,
        city=params.city,
        source=params.source,
        condition=params.condition,
    )
    page = customer_page(
        request.auth, filters, ordering=params.ordering, cursor=params.cursor, limit=params.limit
    )
    prefetch_related_objects([c for c in page.items if not c.locked], "tags")
    return {
        "items": [_locked_out(c) if c.locked else c for c in page.items],
        "next_cursor": page.next_cursor,
    }


def _locked_out(customer) -> dict:
    owner = customer.owner
    return {
        "id": customer.pk,
        "name": customer.name,
        "owner": {"id": owner.pk, "display_name": owner.display_name},
        "locked": True,
    }


@router.post(
    "",
    response=responses(201, CustomerOut, 403, 409, 422),
    operation_id="createCustomer",
    summary="Create a customer",
)
def create_customer_endpoint(request, payload: CustomerIn, allow_duplicate: bool = False):
    """A new customer, owned by the caller. A customer sharing a credit code, phone or email
    with another is refused (409, with existing_id when the caller may see it) unless
    allow_duplicate=true, which is recorded."""
    customer = create_customer(
        actor=request.auth, data=body_data(payload), allow_duplicate=allow_duplicate
    )
    return Status(201, customer)


@router.get(
    "/{int:customer_id}",
    response=responses(200, CustomerOut, 403, 404),
    operation_id="getCustomer",
    summary="Read a customer",
)
def get_customer(request, customer_id: int):
    """403 with code `locked` for a customer in follow-up by an owner the caller neither is
    nor manages (it is listed with its name and owner only)."""
    return access_customer(request.auth, customer_id)


@router.patch(
    "/{int:customer_id}",
    response=responses(200, CustomerOut, 403, 404, 409, 422),
    operation_id="updateCustomer",
    summary="Change a customer",
)
def update_customer_endpoint(
    request, customer_id: int, payload: CustomerIn, allow_duplicate: bool = False
):
    """Change the fields given; the others stay as they are."""
    customer = access_customer(request.auth, customer_id)
    return update_customer(
        actor=request.auth,
        customer=customer,
        data=body_data(payload),
        allow_duplicate=allow_duplicate,
    )


@router.delete(
    "/{int:customer_id}",
    response=responses(204, None, 403, 404),
    operation_id="deleteCustomer",
    summary="Delete a customer",
)
def delete_customer_endpoint(request, customer_id: int):
    """Move the customer, with its contacts, activities and tasks, to the recycle bin."""
    customer = access_customer(request.auth, customer_id)
    delete_customer(actor=request.auth, customer=customer)
    return Status(204, None)
