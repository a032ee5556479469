"""/leads: leads (线索) — CRUD, a filtered keyset list, status changes, claiming from the pool,
assigning, duplicate candidates, conversion into customer + contact + deal — and the public
endpoint a web form on another site posts leads to."""

import datetime
import json
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema, Status

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
from tend.api.errors import BadRequest, InvalidJson, TooManyRequests
from tend.core.errors import TendError
from tend.leads.actions import (
    assign_lead,
    claim_lead,
    convert_lead,
    create_lead,
    delete_lead,
    receive_web_form_lead,
    set_lead_status,
    update_lead,
)
from tend.leads.selectors import (
    LEAD_ORDERINGS,
    LEAD_SOURCES,
    LEAD_STATUSES,
    OPEN_FILTER,
    LeadFilters,
    access_lead,
    duplicate_candidates,
    lead_page,
)
from tend.leads.throttle import inbound_allowed

# A lead named in a path answers 404 to whoever may not see it, before anything else about
# the request is judged (see tend.api.access).
PATH_RECORDS.setdefault("lead_id", access_lead)

router = Router(tags=["leads"])

SOURCE_DESCRIPTION = "web_form, email, import, api, manual or campaign"


class LeadChange(InputSchema):
    name: str | None = Field(None, description="The person's name")
    company_name: str | None = None
    phone: str | None = Field(None, description="Mobile or landline; stored in E.164")
    email: str | None = None
    wechat: str | None = None
    credit_code: str | None = Field(None, description="Unified social credit code")
    province: str | None = None
    city: str | None = None
    notes: str | None = None
    source: str | None = Field(None, description=f"{SOURCE_DESCRIPTION}; default manual")
    score: int | None = Field(
        None, description="0–100, set by hand; null hands it back to the scoring function"
    )


class LeadCreate(LeadChange):
    raw_fields: dict[str, Any] | None = Field(
        None, description="What came in, kept as received (at most 100 keys)"
    )


class LeadOut(Schema):
    id: int
    source: str
    form: int | None = Field(description="The web form it came through")
    raw_fields: dict[str, Any]
    name: str
    company_name: str
    phone: str
    email: str
    wechat: str
    credit_code: str
    province: str
    city: str
    notes: str
    score: int
    score_set_by_hand: bool
    status: str = Field(description="new, contacted, qualified, disqualified or converted")
    disqualified_reason: str
    status_changed_at: Timestamp | None
    owner: UserRef | None = Field(description="null: in the unassigned pool")
    converted_at: Timestamp | None
    converted_customer: int | None
    converted_contact: int | None
    converted_deal: int | None
    created_at: Timestamp
    updated_at: Timestamp

    @staticmethod
    def resolve_form(lead) -> int | None:
        return lead.form_id

    @staticmethod
    def resolve_converted_customer(lead) -> int | None:
        return lead.converted_customer_id

    @staticmethod
    def resolve_converted_contact(lead) -> int | None:
        return lead.converted_contact_id

    @staticmethod
    def resolve_converted_deal(lead) -> int | None:
        return lead.converted_deal_id


class LeadPageOut(Schema):
    items: list[LeadOut]
    next_cursor: str | None


class LeadListParams(PageParams):
    status: Literal["", OPEN_FILTER, *LEAD_STATUSES] = Field(
        "", description='A status, or "open" (new, contacted or qualified)'
    )
    source: Literal["", *LEAD_SOURCES] = ""
    owner: str = Field(
        "", pattern=r"^(|me|pool|\d+)$", description='"me", "pool" (unassigned) or a user id'
    )
    q: str = Field("", max_length=100, description="Part of the name or company, a phone, an email")
    ordering: Literal[LEAD_ORDERINGS] = "-created_at"


class StatusIn(InputSchema):
    status: str = Field(description="new, contacted, qualified or disqualified")
    reason: str = Field("", description="Required for disqualified")


class AssignIn(InputSchema):
    owner: RecordId | None = Field(description="A user the caller may hand work to; null: the pool")


class ConvertCustomerIn(InputSchema):
    kind: str | None = Field(None, description="company or person; default: company if known")
    name: str | None = Field(None, description="Default: the company name, else the person's")
    industry: str | None = None
    source: str | None = None
    address: str | None = None
    external_id: str | None = None
    tags: list[str] | None = None
    custom_fields: dict[str, Any] | None = None


class ConvertDealIn(InputSchema):
    name: str | None = Field(None, description="Default: the customer's name")
    pipeline: RecordId | None = Field(None, description="Default: the stage's, else the default")
    stage: RecordId | None = Field(None, description="An open stage; default: the first")
    amount: Decimal | None = None
    currency: str | None = None
    expected_close_on: datetime.date | None = None
    probability_override: int | None = None
    notes: str | None = None


class ConvertContactIn(InputSchema):
    name: str | None = None
    title: str | None = None
    mobile: str | None = None
    phone: str | None = None
    email: str | None = None
    wechat: str | None = None
    birthday: datetime.date | None = None
    is_primary: bool | None = None


class ConvertIn(InputSchema):
    customer: RecordId | None = Field(
        None, description="Attach to this customer instead of creating one"
    )
    deal: RecordId | None = Field(
        None, description="Attach to this open deal (of that customer) instead of creating one"
    )
    create_deal: bool = Field(True, description="Create a deal when none is given")
    customer_data: ConvertCustomerIn | None = Field(
        None, description="For a new customer: values over those taken from the lead"
    )
    deal_data: ConvertDealIn | None = Field(None, description="For a new deal")
    contact: ConvertContactIn | None = Field(
        None, description="Values over those taken from the lead for the contact"
    )


class CandidateOut(Schema):
    id: int | None = Field(description="null when the caller may not see the record")
    name: str | None = Field(description="null when the caller may not see the record")
    matched_on: list[str]
    visible: bool
    owner: UserRef | None


class DuplicatesOut(Schema):
    customers: list[CandidateOut]
    leads: list[CandidateOut]


class InboundOut(Schema):
    id: int


def _candidate(candidate) -> dict:
    record = candidate.record
    return {
        "id": record.pk if candidate.visible else None,
        "name": str(record) if candidate.visible else None,
        "matched_on": candidate.matched_on,
        "visible": candidate.visible,
        "owner": record.owner,
    }


@router.get(
    "",
    response=responses(200, LeadPageOut, 422),
    operation_id="listLeads",
    summary="List leads",
)
def list_leads(request, params: Query[LeadListParams]):
    """The caller's leads, the unassigned pool, and (for managers) their teams' leads,
    filtered, one page at a time."""
    filters = LeadFilters(
        status=params.status, source=params.source, owner=params.owner, query=params.q
    )
    page = lead_page(
        request.auth, filters, ordering=params.ordering, cursor=params.cursor, limit=params.limit
    )
    return page_out(page)


@router.post(
    "",
    response=responses(201, LeadOut, 422),
    operation_id="createLead",
    summary="Create a lead",
)
def create_lead_endpoint(request, payload: LeadCreate):
    """A new lead owned by the caller. Give the person's name or the company, and a phone,
    email or WeChat. Without a score, the score is computed from the fields."""
    data = body_data(payload)
    data.setdefault("source", "api")
    lead = create_lead(actor=request.auth, data=data)
    return Status(201, access_lead(request.auth, lead.pk))


@router.get(
    "/{int:lead_id}",
    response=responses(200, LeadOut, 404),
    operation_id="getLead",
    summary="Read a lead",
)
def get_lead(request, lead_id: int):
    return access_lead(request.auth, lead_id)


@router.patch(
    "/{int:lead_id}",
    response=responses(200, LeadOut, 404, 409, 422),
    operation_id="updateLead",
    summary="Change a lead",
)
def update_lead_endpoint(request, lead_id: int, payload: LeadChange):
    """Change the fields given. A converted lead no longer changes (409)."""
    lead = access_lead(request.auth, lead_id)
    update_lead(actor=request.auth, lead=lead, data=body_data(payload))
    return access_lead(request.auth, lead_id)


@router.delete(
    "/{int:lead_id}",
    response=responses(204, None, 404),
    operation_id="deleteLead",
    summary="Delete a lead",
)
def delete_lead_endpoint(request, lead_id: int):
    """Move the lead to the recycle bin."""
    lead = access_lead(request.auth, lead_id)
    delete_lead(actor=request.auth, lead=lead)
    return Status(204, None)


@router.post(
    "/{int:lead_id}/status",
    response=responses(200, LeadOut, 404, 409, 422),
    operation_id="setLeadStatus",
    summary="Change a lead's status",
)
def set_status_endpoint(request, lead_id: int, payload: StatusIn):
    """new, contacted, qualified, or disqualified with a reason. Converted is reached only
    by converting."""
    lead = access_lead(request.auth, lead_id)
    set_lead_status(actor=request.auth, lead=lead, status=payload.status, reason=payload.reason)
    return access_lead(request.auth, lead_id)


@router.post(
    "/{int:lead_id}/claim",
    response=responses(200, LeadOut, 404, 409, 422),
    operation_id="claimLead",
    summary="Claim a lead from the pool",
)
def claim_endpoint(request, lead_id: int):
    """Become the owner of an unassigned lead."""
    lead = access_lead(request.auth, lead_id)
    claim_lead(actor=request.auth, lead=lead)
    return access_lead(request.auth, lead_id)


@router.post(
    "/{int:lead_id}/assign",
    response=responses(200, LeadOut, 403, 404, 409, 422),
    operation_id="assignLead",
    summary="Assign a lead",
)
def assign_endpoint(request, lead_id: int, payload: AssignIn):
    """Give the lead to someone (managers and administrators), or return it to the pool
    (also its owner)."""
    lead = access_lead(request.auth, lead_id)
    assign_lead(actor=request.auth, lead=lead, owner_id=payload.owner)
    return access_lead(request.auth, lead_id)


@router.get(
    "/{int:lead_id}/duplicates",
    response=responses(200, DuplicatesOut, 404),
    operation_id="listLeadDuplicates",
    summary="A lead's duplicate candidates",
)
def duplicates_endpoint(request, lead_id: int):
    """Customers sharing the lead's credit code, phone, email or company name, and open
    leads sharing its phone or email. Records the caller may not see are counted, with their
    owner, but not named."""
    lead = access_lead(request.auth, lead_id)
    found = duplicate_candidates(request.auth, lead)
    return {
        "customers": [_candidate(candidate) for candidate in found.customers],
        "leads": [_candidate(candidate) for candidate in found.leads],
    }


@router.post(
    "/{int:lead_id}/convert",
    response=responses(200, LeadOut, 404, 409, 422),
    operation_id="convertLead",
    summary="Convert a lead",
)
def convert_endpoint(request, lead_id: int, payload: ConvertIn):
    """Into a new customer + contact (+ deal), or onto an existing customer and/or open deal.
    A new customer that would duplicate another is refused with 409 and `existing_id` (when
    the caller may see it): convert again with `customer` set to it. Converting twice is
    refused with 409. Nothing is written unless everything succeeds."""
    lead = access_lead(request.auth, lead_id)
    data = body_data(payload)
    convert_lead(
        actor=request.auth,
        lead=lead,
        customer=data.get("customer"),
        deal=data.get("deal"),
        create_deal=payload.create_deal,
        customer_data=data.get("customer_data"),
        deal_data=data.get("deal_data"),
        contact=data.get("contact"),
    )
    return access_lead(request.auth, lead_id)


# --- the public web-form endpoint ------------------------------------------------------------

INBOUND_FIELDS = {
    "form_key": {"type": "string", "description": "The form's key (Settings → Lead web forms)"},
    **{
        name: {"type": "string"}
        for name in (
            "name",
            "company_name",
            "phone",
            "email",
            "wechat",
            "credit_code",
            "province",
            "city",
            "notes",
        )
    },
}
INBOUND_SCHEMA = {
    "type": "object",
    "required": ["form_key"],
    "properties": INBOUND_FIELDS,
    "additionalProperties": True,
}


def _inbound_payload(request) -> dict:
    """The submitted fields: a JSON object, or an HTML form's fields (urlencoded or
    multipart), so a plain <form> on any site can post here."""
    if request.content_type == "application/json":
        try:
            payload = json.loads(request.body or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InvalidJson() from exc
        if not isinstance(payload, dict):
            raise BadRequest()
        return payload
    return {name: request.POST.get(name) for name in request.POST}


def _address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


@router.post(
    "/inbound",
    auth=None,
    response=responses(201, InboundOut, 400, 403, 422, 429),
    operation_id="submitLeadForm",
    summary="Send a lead from a web form (public)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": INBOUND_SCHEMA},
                "application/x-www-form-urlencoded": {"schema": INBOUND_SCHEMA},
                "multipart/form-data": {"schema": INBOUND_SCHEMA},
            },
        }
    },
)
def inbound_endpoint(request, response: HttpResponse):
    """Public: no token or session. The body names an active web form by `form_key` (403
    otherwise), gives the person's name or company and a phone, email or WeChat (422
    otherwise), and may carry any other fields, kept as received. At most 30 submissions a
    minute per form key and address (429). Answers 201 with the new lead's id; any site may
    read the answer (CORS), since it holds nothing else."""
    response["Access-Control-Allow-Origin"] = "*"
    try:
        payload = _inbound_payload(request)
        form_key = payload.get("form_key")
        if not inbound_allowed(str(form_key or "")[:64], _address(request)):
            raise TooManyRequests()
        lead = receive_web_form_lead(form_key=form_key, payload=payload)
    except TendError as exc:
        return Status(exc.status, exc.as_dict())
    return Status(201, {"id": lead.pk})
