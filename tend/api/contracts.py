"""/contracts: contracts (合同), their status changes, renewal chain and attachments."""

import datetime
from decimal import Decimal

from django.http import FileResponse
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from tend.api.access import PATH_RECORDS
from tend.api.common import (
    InputSchema,
    PageParams,
    RecordId,
    Timestamp,
    UserRef,
    body_data,
    page_out,
    responses,
)
from tend.api.contacts import customer_for_body
from tend.contracts.actions import (
    add_contract_attachment,
    change_contract_status,
    create_contract,
    delete_contract,
    delete_contract_attachment,
    update_contract,
)
from tend.contracts.selectors import (
    ContractFilters,
    access_attachment,
    access_contract,
    contract_attachments,
    contract_page,
    renewal_chain,
)

router = Router(tags=["contracts"])

# A record named in a path answers 404 to whoever may not see it, before anything else.
PATH_RECORDS.update({"contract_id": access_contract, "attachment_id": access_attachment})


class ContractChange(InputSchema):
    number: str | None = Field(None, description="Unique among live contracts")
    title: str | None = None
    deal: RecordId | None = Field(None, description="A deal of the same customer")
    amount: Decimal | None = None
    currency: str | None = Field(None, description="ISO 4217 code; CNY when left out")
    signed_on: datetime.date | None = None
    starts_on: datetime.date | None = None
    ends_on: datetime.date | None = Field(None, description="Not before starts_on")
    renewal_of: RecordId | None = Field(
        None, description="The earlier contract of the same customer that this one renews"
    )
    notes: str | None = None


class ContractCreate(ContractChange):
    customer: RecordId = Field(description="The customer's id")
    status: str | None = Field(
        None,
        description="draft (default), in_approval, signed, active, expired or terminated; "
        "signed, active and expired need signed_on",
    )


class ContractOut(Schema):
    id: int
    customer: int
    number: str
    title: str
    deal: int | None
    amount: Decimal
    currency: str
    status: str
    status_changed_at: Timestamp | None
    signed_on: datetime.date | None
    starts_on: datetime.date | None
    ends_on: datetime.date | None
    renewal_of: int | None
    notes: str
    created_by: UserRef | None
    created_at: Timestamp
    updated_at: Timestamp

    @staticmethod
    def resolve_customer(contract) -> int:
        return contract.customer_id

    @staticmethod
    def resolve_deal(contract) -> int | None:
        return contract.deal_id

    @staticmethod
    def resolve_renewal_of(contract) -> int | None:
        return contract.renewal_of_id


class ContractPageOut(Schema):
    items: list[ContractOut]
    next_cursor: str | None


class ContractListParams(PageParams):
    customer: RecordId | None = Field(None, description="Only this customer's contracts")
    status: str | None = Field(None, description="Only contracts in this status")
    signed_from: datetime.date | None = Field(None, description="Signed on or after")
    signed_to: datetime.date | None = Field(None, description="Signed on or before")
    ordering: str = Field(
        "-created_at", pattern=r"^(-created_at|ends_on)$", description="-created_at or ends_on"
    )


class ContractStatusIn(InputSchema):
    status: str = Field(description="The status to move to")
    signed_on: datetime.date | None = Field(None, description="Needed to sign, if not set yet")
    reason: str | None = None


class ContractChainOut(Schema):
    contracts: list[ContractOut] = Field(description="Oldest first, this contract included")


class AttachmentOut(Schema):
    id: int
    contract: int
    original_name: str
    size: int
    content_type: str
    uploaded_by: UserRef | None
    created_at: Timestamp

    @staticmethod
    def resolve_contract(attachment) -> int:
        return attachment.contract_id


@router.get(
    "",
    response=responses(200, ContractPageOut, 422),
    operation_id="listContracts",
    summary="List contracts",
)
def list_contracts(request, params: Query[ContractListParams]):
    """Contracts of the customers the caller may see, newest first (or ending soonest)."""
    filters = ContractFilters(
        customer=str(params.customer or ""),
        status=params.status or "",
        signed_from=params.signed_from,
        signed_to=params.signed_to,
    )
    page = contract_page(
        request.auth,
        filters,
        ordering=params.ordering,
        cursor=params.cursor,
        limit=params.limit,
    )
    return page_out(page)


@router.post(
    "",
    response=responses(201, ContractOut, 403, 422),
    operation_id="createContract",
    summary="Create a contract",
)
def create_contract_endpoint(request, payload: ContractCreate):
    data = body_data(payload)
    customer = customer_for_body(request.auth, data.pop("customer"))
    contract = create_contract(actor=request.auth, customer=customer, data=data)
    return Status(201, contract)


@router.get(
    "/{int:contract_id}",
    response=responses(200, ContractOut, 404),
    operation_id="getContract",
    summary="Read a contract",
)
def get_contract(request, contract_id: int):
    return access_contract(request.auth, contract_id)


@router.patch(
    "/{int:contract_id}",
    response=responses(200, ContractOut, 403, 404, 422),
    operation_id="updateContract",
    summary="Change a contract",
)
def update_contract_endpoint(request, contract_id: int, payload: ContractChange):
    """Change the fields given; the status changes only through POST …/status."""
    contract = access_contract(request.auth, contract_id)
    return update_contract(actor=request.auth, contract=contract, data=body_data(payload))


@router.delete(
    "/{int:contract_id}",
    response=responses(204, None, 403, 404),
    operation_id="deleteContract",
    summary="Delete a contract",
)
def delete_contract_endpoint(request, contract_id: int):
    contract = access_contract(request.auth, contract_id)
    delete_contract(actor=request.auth, contract=contract)
    return Status(204, None)


@router.post(
    "/{int:contract_id}/status",
    response=responses(200, ContractOut, 403, 404, 422),
    operation_id="changeContractStatus",
    summary="Change a contract's status",
)
def change_contract_status_endpoint(request, contract_id: int, payload: ContractStatusIn):
    """draft → in_approval / signed / terminated; in_approval → draft / signed / terminated;
    signed → active / expired / terminated; active → expired / terminated. A refused move
    answers 422 with the reason on the field."""
    contract = access_contract(request.auth, contract_id)
    return change_contract_status(actor=request.auth, contract=contract, data=body_data(payload))


@router.get(
    "/{int:contract_id}/chain",
    response=responses(200, ContractChainOut, 404),
    operation_id="getContractRenewalChain",
    summary="Read a contract's renewal chain",
)
def get_contract_chain(request, contract_id: int):
    """The contracts this one renews and those that renew it, oldest first."""
    contract = access_contract(request.auth, contract_id)
    return {"contracts": renewal_chain(contract)}


@router.get(
    "/{int:contract_id}/attachments",
    response=responses(200, list[AttachmentOut], 404),
    operation_id="listContractAttachments",
    summary="List a contract's attachments",
)
def list_attachments(request, contract_id: int):
    return contract_attachments(access_contract(request.auth, contract_id))


@router.post(
    "/{int:contract_id}/attachments",
    response=responses(201, AttachmentOut, 403, 404, 413, 422),
    operation_id="uploadContractAttachment",
    summary="Attach a file to a contract",
)
def upload_attachment(request, contract_id: int, file: File[UploadedFile]):
    """multipart/form-data with one `file`: pdf, png, jpeg, docx, xlsx, doc, xls or txt,
    checked by its first bytes as well as its name, within the size limit."""
    contract = access_contract(request.auth, contract_id)
    attachment = add_contract_attachment(actor=request.auth, contract=contract, upload=file)
    return Status(201, attachment)


@router.get(
    "/attachments/{int:attachment_id}/download",
    response=responses(200, None, 404),
    operation_id="downloadContractAttachment",
    summary="Download an attachment",
)
def download_attachment(request, attachment_id: int):
    """The file itself, as a download, with the content type its bytes proved."""
    attachment = access_attachment(request.auth, attachment_id)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@router.delete(
    "/attachments/{int:attachment_id}",
    response=responses(204, None, 403, 404),
    operation_id="deleteContractAttachment",
    summary="Delete an attachment",
)
def delete_attachment_endpoint(request, attachment_id: int):
    attachment = access_attachment(request.auth, attachment_id)
    delete_contract_attachment(actor=request.auth, attachment=attachment)
    return Status(204, None)
