"""/contacts: the people at customers."""

import datetime

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from tend.api.common import (
    InputSchema,
    PageParams,
    RecordId,
    Timestamp,
    body_data,
    page_out,
    responses,
)
from tend.core.errors import NotFound, ValidationFailed
from tend.core.pagination import keyset_page
from tend.customers.actions import create_contact, delete_contact, update_contact
from tend.customers.selectors import access_contact, access_customer, visible_contacts

router = Router(tags=["contacts"])


class ContactChange(InputSchema):
    name: str | None = None
    title: str | None = None
    mobile: str | None = Field(None, description="A Chinese mobile number")
    phone: str | None = Field(None, description="A landline with its area code")
    email: str | None = None
    wechat: str | None = None
    birthday: datetime.date | None = None
    is_primary: bool | None = Field(
        None, description="Makes the others at the customer not primary"
    )


class ContactCreate(ContactChange):
    customer: RecordId = Field(description="The customer's id")


class ContactOut(Schema):
    id: int
    customer: int
    name: str
    title: str
    mobile: str
    phone: str
    email: str
    wechat: str
    birthday: datetime.date | None
    is_primary: bool
    created_at: Timestamp
    updated_at: Timestamp

    @staticmethod
    def resolve_customer(contact) -> int:
        return contact.customer_id


class ContactPageOut(Schema):
    items: list[ContactOut]
    next_cursor: str | None


class ContactListParams(PageParams):
    customer: RecordId | None = Field(None, description="Only this customer's contacts")


def customer_for_body(user, customer_id: int):
    """The customer a body refers to; one the caller may not see is reported as unknown."""
    try:
        return access_customer(user, customer_id)
    except NotFound as exc:
        raise ValidationFailed(field_errors={"customer": [_("Unknown customer.")]}) from exc


@router.get(
    "",
    response=responses(200, ContactPageOut, 422),
    operation_id="listContacts",
    summary="List contacts",
)
def list_contacts(request, params: Query[ContactListParams]):
    """Contacts of the customers the caller may see, by name."""
    contacts = visible_contacts(request.auth)
    if params.customer is not None:
        contacts = contacts.filter(customer_id=params.customer)
    return page_out(keyset_page(contacts, "name", params.cursor, params.limit))


@router.post(
    "",
    response=responses(201, ContactOut, 403, 422),
    operation_id="createContact",
    summary="Create a contact",
)
def create_contact_endpoint(request, payload: ContactCreate):
    data = body_data(payload)
    customer = customer_for_body(request.auth, data.pop("customer"))
    contact = create_contact(actor=request.auth, customer=customer, data=data)
    return Status(201, contact)


@router.get(
    "/{int:contact_id}",
    response=responses(200, ContactOut, 404),
    operation_id="getContact",
    summary="Read a contact",
)
def get_contact(request, contact_id: int):
    return access_contact(request.auth, contact_id)


@router.patch(
    "/{int:contact_id}",
    response=responses(200, ContactOut, 403, 404, 422),
    operation_id="updateContact",
    summary="Change a contact",
)
def update_contact_endpoint(request, contact_id: int, payload: ContactChange):
    """Change the fields given; the others stay as they are."""
    contact = access_contact(request.auth, contact_id)
    return update_contact(actor=request.auth, contact=contact, data=body_data(payload))


@router.delete(
    "/{int:contact_id}",
    response=responses(204, None, 403, 404),
    operation_id="deleteContact",
    summary="Delete a contact",
)
def delete_contact_endpoint(request, contact_id: int):
    contact = access_contact(request.auth, contact_id)
    delete_contact(actor=request.auth, contact=contact)
    return Status(204, None)
