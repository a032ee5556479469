"""Every write to leads and lead web forms.

A lead's status changes through `set_lead_status`, except converted, which only
`convert_lead` sets: one transaction that creates (or finds) the customer, the contact and
the deal through their own actions — so their rules, duplicate detection and audit apply —
and links the lead to them. Any failure leaves nothing written."""

import secrets

import phonenumbers
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tend.accounts.models import User
from tend.accounts.selectors import assignable_users
from tend.audit.actions import diff, record_change, save_with_audit, snapshot
from tend.audit.models import AuditAction
from tend.core.errors import NotFound, PermissionDenied, TendError, ValidationFailed
from tend.core.ids import parse_record_id
from tend.core.inputs import check_known_fields, clean_input
from tend.customers.actions import create_contact, create_customer
from tend.customers.inputs import ContactInput, CustomerInput
from tend.customers.models import Contact, Customer, CustomerKind, SourceChannel
from tend.customers.selectors import access_customer
from tend.deals import actions as deal_actions
from tend.deals.models import Deal, Stage
from tend.deals.selectors import access_deal
from tend.leads.inputs import (
    ConvertDealInput,
    LeadChangeInput,
    LeadContactInput,
    LeadFormInput,
    LeadInput,
    LeadStatusInput,
    RawFieldsField,
)
from tend.leads.models import Lead, LeadForm, LeadSource, LeadStatus
from tend.leads.scoring import compute_score
from tend.leads.selectors import active_form_for_key, any_of
from tend.recyclebin.actions import delete_record

LEAD_FIELDS = [
    "source",
    "name",
    "company_name",
    "phone",
    "email",
    "credit_code",
    "wechat",
    "province",
    "city",
    "notes",
    "score",
    "score_set_by_hand",
]
LEAD_AUDITED = [*LEAD_FIELDS, "status", "disqualified_reason", "owner"]
STATUS_FIELDS = ["status", "disqualified_reason", "status_changed_at"]
CONVERSION_FIELDS = [
    "status",
    "status_changed_at",
    "owner",
    "converted_at",
    "converted_by",
    "converted_customer",
    "converted_contact",
    "converted_deal",
]
FORM_FIELDS = ["name", "active"]
FORM_KEY_BYTES = 24
# Who acted when a public web form sent the lead (no user did).
WEB_FORM_ACTOR = "web form"


class LeadAlreadyConverted(TendError):
    code = "already_converted"
    status = 409
    default_message = gettext_lazy("This lead has already been converted.")


def _audit_creation(actor, instance, fields, *, label="") -> None:
    record_change(
        actor=actor,
        action=AuditAction.CREATE,
        instance=instance,
        changes=diff({}, snapshot(instance, fields)),
        actor_label=label,
    )


def _lead_values(lead: Lead, cleaned: dict) -> dict:
    """What cleaned input makes of the lead's fields, always with its score and
    score_set_by_hand. A score given sets it by hand; an empty one hands it back to the
    scoring function, which otherwise recomputes it from the fields (see
    tend.leads.scoring) whenever they change."""
    values = {name: value for name, value in cleaned.items() if name != "score"}
    score = cleaned.get("score")
    by_hand = score is not None if "score" in cleaned else lead.score_set_by_hand
    if by_hand:
        score = lead.score if score is None else score
    else:
        scored = ("source", *LeadContactInput.base_fields)
        score = compute_score({name: values.get(name, getattr(lead, name)) for name in scored})
    return {**values, "score": score, "score_set_by_hand": by_hand}


def _set_fields(lead: Lead, cleaned: dict) -> None:
    for name, value in _lead_values(lead, cleaned).items():
        setattr(lead, name, value)


def _refuse_if_converted(lead: Lead) -> None:
    if lead.status == LeadStatus.CONVERTED:
        raise LeadAlreadyConverted(_("A converted lead cannot be changed."))


def _locked(lead: Lead) -> Lead:
    locked = Lead.objects.select_for_update().filter(pk=lead.pk, deleted_at__isnull=True).first()
    if locked is None:
        raise NotFound()
    return locked


# --- creating and changing -------------------------------------------------------------------


@transaction.atomic
def create_lead(*, actor: User, data: dict) -> Lead:
    """A new lead owned by the actor (assign it to hand it on or release it to the pool)."""
    cleaned = clean_input(LeadInput, data)
    lead = Lead(owner=actor, created_by=actor, status_changed_at=timezone.now())
    _set_fields(lead, cleaned)
    lead.save()
    _audit_creation(actor, lead, [*LEAD_AUDITED, "raw_fields"])
    return lead


def _current_input(lead: Lead) -> dict:
    values = {name: getattr(lead, name) for name in LeadChangeInput.base_fields}
    # A computed score is not the user's: validating a partial change must not pin it.
    values["score"] = lead.score if lead.score_set_by_hand else None
    return values


@transaction.atomic
def update_lead(*, actor: User, lead: Lead, data: dict) -> Lead:
    """Change the fields given; the score follows them unless it was set by hand."""
    _refuse_if_converted(lead)
    cleaned = clean_input(LeadChangeInput, data, current=_current_input(lead))
    lead = _locked(lead)
    _refuse_if_converted(lead)
    save_with_audit(actor, lead, LEAD_AUDITED, _lead_values(lead, cleaned))
    return lead


@transaction.atomic
def set_lead_status(*, actor: User, lead: Lead, status: str, reason: str = "") -> Lead:
    """Move a lead between new, contacted, qualified and disqualified (which needs a
    reason). Converted is terminal and reached only by conversion."""
    cleaned = clean_input(LeadStatusInput, {"status": status, "reason": reason or ""})
    lead = _locked(lead)
    _refuse_if_converted(lead)
    status, reason = cleaned["status"], cleaned["reason"]
    reason = reason if status == LeadStatus.DISQUALIFIED else ""
    if lead.status == status and lead.disqualified_reason == reason:
        return lead
    values = {"status": status, "disqualified_reason": reason, "status_changed_at": timezone.now()}
    save_with_audit(actor, lead, STATUS_FIELDS[:2], values, note=reason)
    return lead


@transaction.atomic
def claim_lead(*, actor: User, lead: Lead) -> Lead:
    """Take a lead from the unassigned pool. The row lock decides between two reps claiming
    at once: the second is told someone was first."""
    lead = _locked(lead)
    if lead.owner_id == actor.pk:
        return lead
    if lead.owner_id is not None:
        raise ValidationFailed(_("This lead already has an owner."))
    _refuse_if_converted(lead)
    save_with_audit(actor, lead, ["owner"], {"owner": actor})
    return lead


@transaction.atomic
def assign_lead(*, actor: User, lead: Lead, owner_id: int | None) -> Lead:
    """Give a lead to someone (managers within their teams, administrators to anyone), or
    return it to the pool (owner_id None) — which its owner may also do."""
    releasing_own = owner_id is None and lead.owner_id == actor.pk
    owner = None
    if not releasing_own:
        if not (actor.is_admin or actor.is_manager):
            raise PermissionDenied(_("Only a manager or an administrator can assign leads."))
        if owner_id is not None:
            owner = assignable_users(actor).filter(pk=owner_id).first()
            if owner is None:
                raise ValidationFailed(
                    field_errors={"owner": [_("You cannot give leads to this user.")]}
                )
    lead = _locked(lead)
    _refuse_if_converted(lead)
    save_with_audit(actor, lead, ["owner"], {"owner": owner})
    return lead


@transaction.atomic
def delete_lead(*, actor: User, lead: Lead):
    """Move the lead to the recycle bin (a converted one too: its customer stays)."""
    return delete_record(actor=actor, record=lead)


# --- conversion ------------------------------------------------------------------------------


def _prefixed(error: ValidationFailed, prefix: str) -> ValidationFailed:
    """A nested action's field errors, named as the conversion's input names them
    ("deal_data.amount"), so a door can show each beside its field."""
    return ValidationFailed(
        error.message,
        field_errors={f"{prefix}.{key}": messages for key, messages in error.field_errors.items()},
    )


def _is_mobile(phone: str) -> bool:
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(number) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


def _conversion_customer(actor: User, customer_id) -> Customer:
    try:
        return access_customer(actor, customer_id)
    except NotFound as exc:
        raise ValidationFailed(field_errors={"customer": [_("Unknown customer.")]}) from exc


def _conversion_deal(actor: User, deal_id) -> Deal:
    try:
        deal = access_deal(actor, deal_id)
    except NotFound as exc:
        raise ValidationFailed(field_errors={"deal": [_("Unknown deal.")]}) from exc
    if not deal.is_open:
        raise ValidationFailed(
            field_errors={"deal": [_("This deal is closed: choose an open one.")]}
        )
    return deal


def _new_customer(actor: User, lead: Lead, overrides: dict) -> Customer:
    """The customer a lead becomes: its company, or the person when no company is known,
    with `overrides` (industry, custom fields …) over what the lead says. Duplicate detection
    applies: a DuplicateFound goes back to the caller, who attaches the lead to that customer
    instead."""
    data = {
        "kind": CustomerKind.COMPANY if lead.company_name else CustomerKind.PERSON,
        "name": lead.company_name or lead.name,
        "phone": lead.phone,
        "email": lead.email,
        "credit_code": lead.credit_code,
        "wechat": lead.wechat,
        "province": lead.province,
        "city": lead.city,
        "source": SourceChannel.WEBSITE if lead.source == LeadSource.WEB_FORM else "",
        **overrides,
    }
    try:
        return create_customer(actor=actor, data=data)
    except ValidationFailed as exc:
        raise _prefixed(exc, "customer_data") from exc


def _same_person(customer: Customer, values: dict) -> Contact | None:
    """A live contact of the customer with the same mobile (or phone) or email."""
    numbers = [number for number in (values.get("mobile"), values.get("phone")) if number]
    condition = any_of({"mobile__in": numbers, "phone__in": numbers, "email": values.get("email")})
    if condition is None:
        return None
    return (
        Contact.objects.filter(condition, customer=customer, deleted_at__isnull=True)
        .order_by("id")
        .first()
    )


def _cleaned_reach(values: dict) -> dict:
    """The mobile, phone and email in their stored form, to compare with contacts'."""
    cleaned, errors = {}, {}
    for name in ("mobile", "phone", "email"):
        if values.get(name):
            try:
                cleaned[name] = ContactInput.base_fields[name].clean(values[name])
            except DjangoValidationError as exc:
                errors[f"contact.{name}"] = exc.messages
    if errors:
        raise ValidationFailed(field_errors=errors)
    return cleaned


def _conversion_contact(
    actor: User, lead: Lead, customer: Customer, overrides: dict, *, new_customer: bool
) -> Contact | None:
    """The lead's person on the customer: found by mobile or email when already there, else
    created (the primary contact of a new customer). A lead without a person's name has no
    contact to create."""
    values = {"name": lead.name, "email": lead.email, "wechat": lead.wechat}
    if lead.phone:
        values["mobile" if _is_mobile(lead.phone) else "phone"] = lead.phone
    values.update(overrides)
    values = {name: value for name, value in values.items() if value not in (None, "")}
    if not new_customer:
        existing = _same_person(customer, _cleaned_reach(values))
        if existing is not None:
            return existing
    if not values.get("name"):
        return None
    if new_customer:
        values.setdefault("is_primary", True)
    try:
        return create_contact(actor=actor, customer=customer, data=values)
    except ValidationFailed as exc:
        raise _prefixed(exc, "contact") from exc


def _conversion_new_deal(
    actor: User, customer: Customer, contact: Contact | None, deal_data: dict
) -> Deal:
    data = {name: value for name, value in deal_data.items() if value not in (None, "")}
    data.setdefault("name", customer.name)
    stage_id = parse_record_id(data.get("stage"))
    if stage_id and not data.get("pipeline"):
        # The stage says which pipeline (a form offers stages grouped by pipeline).
        pipeline_id = (
            Stage.objects.filter(pk=stage_id).values_list("pipeline_id", flat=True).first()
        )
        if pipeline_id:
            data["pipeline"] = pipeline_id
    data["customer"] = customer.pk
    if contact is not None:
        data["contact"] = contact.pk
    try:
        return deal_actions.create_deal(actor=actor, data=data)
    except ValidationFailed as exc:
        raise _prefixed(exc, "deal_data") from exc


def _check_conversion_input(customer_data: dict, deal_data: dict, contact: dict) -> None:
    errors = {}
    for prefix, data, allowed in (
        ("customer_data", customer_data, CustomerInput.base_fields),
        ("deal_data", deal_data, ConvertDealInput.base_fields),
        ("contact", contact, ContactInput.base_fields),
    ):
        try:
            check_known_fields(data, allowed)
        except ValidationFailed as exc:
            errors.update(_prefixed(exc, prefix).field_errors)
    if errors:
        raise ValidationFailed(field_errors=errors)


@transaction.atomic
def convert_lead(
    *,
    actor: User,
    lead: Lead,
    customer=None,
    deal=None,
    create_deal: bool = True,
    deal_data: dict | None = None,
    contact: dict | None = None,
    customer_data: dict | None = None,
) -> Lead:
    """Turn a lead into a customer + contact (+ deal), or attach it to what exists.

    `customer` (an id the actor may see) attaches the lead to that customer instead of
    creating one; `deal` (an id of an open deal, of that customer when one is given)
    attaches it to that deal instead of creating one. Otherwise a new customer is created
    from the lead (`customer_data` overriding its values: industry, required custom fields …)
    — refused with DuplicateFound (pointing at the existing customer) when one shares its
    credit code, phone or email — and, with `create_deal`, a deal from `deal_data` (name,
    pipeline, stage, amount …). The person becomes a contact unless the customer already has
    one with the same mobile or email; `contact` overrides the values taken from the lead
    (title …). The lead becomes converted, linked to all three. One transaction: any refusal
    or failure leaves nothing written. Field errors of the nested records are named
    "customer_data.<field>", "deal_data.<field>" and "contact.<field>"."""
    customer_data = dict(customer_data or {})
    deal_data = dict(deal_data or {})
    contact = dict(contact or {})
    _check_conversion_input(customer_data, deal_data, contact)
    lead = _locked(lead)
    if lead.status == LeadStatus.CONVERTED:
        raise LeadAlreadyConverted()
    if lead.status == LeadStatus.DISQUALIFIED:
        raise ValidationFailed(_("A disqualified lead cannot be converted: reopen it first."))
    existing_deal = _conversion_deal(actor, deal) if deal else None
    target = _conversion_customer(actor, customer) if customer else None
    if existing_deal is not None:
        if target is None:
            target = existing_deal.customer
        elif existing_deal.customer_id != target.pk:
            raise ValidationFailed(
                field_errors={"deal": [_("This deal is not one of the customer's.")]}
            )
    new_customer = target is None
    if new_customer:
        target = _new_customer(actor, lead, customer_data)
    person = _conversion_contact(actor, lead, target, contact, new_customer=new_customer)
    if existing_deal is not None:
        the_deal = existing_deal
    elif create_deal:
        the_deal = _conversion_new_deal(actor, target, person, deal_data)
    else:
        the_deal = None
    now = timezone.now()
    values = {
        "status": LeadStatus.CONVERTED,
        "status_changed_at": now,
        "owner": lead.owner or actor,
        "converted_at": now,
        "converted_by": actor,
        "converted_customer": target,
        "converted_contact": person,
        "converted_deal": the_deal,
    }
    save_with_audit(
        actor,
        lead,
        CONVERSION_FIELDS,
        values,
        customer_id=target.pk,
        note="converted" if new_customer else "converted onto an existing customer",
    )
    return lead


# --- public web forms ------------------------------------------------------------------------


@transaction.atomic
def receive_web_form_lead(*, form_key, payload: dict) -> Lead:
    """A lead sent by a public web form: the form is named by its key (unknown or inactive
    keys are refused alike), the contact fields are checked as a lead's are, and everything
    sent is kept as received in raw_fields. It lands in the unassigned pool."""
    if form_key in (None, ""):
        raise ValidationFailed(field_errors={"form_key": [_("This field is required.")]})
    form = active_form_for_key(form_key)
    if form is None:
        raise PermissionDenied(_("This form key is unknown or the form is no longer active."))
    raw = {name: value for name, value in payload.items() if name != "form_key"}
    try:
        raw = RawFieldsField().clean(raw)
    except DjangoValidationError as exc:
        raise ValidationFailed(field_errors={"__all__": exc.messages}) from exc
    known = {name: value for name, value in raw.items() if name in LeadContactInput.base_fields}
    cleaned = clean_input(LeadContactInput, known)
    lead = Lead(
        source=LeadSource.WEB_FORM, form=form, raw_fields=raw, status_changed_at=timezone.now()
    )
    _set_fields(lead, cleaned)
    lead.save()
    _audit_creation(
        None,
        lead,
        [*LEAD_AUDITED, "raw_fields", "form"],
        label=f"{WEB_FORM_ACTOR}: {form.name}"[:100],
    )
    return lead


def _require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise PermissionDenied(_("Only an administrator can change lead web forms."))


@transaction.atomic
def create_lead_form(*, actor: User, data: dict) -> LeadForm:
    """A new web form with a fresh random key (shown on the settings page, never audited)."""
    _require_admin(actor)
    cleaned = clean_input(LeadFormInput, data)
    form = LeadForm.objects.create(
        **cleaned, key=secrets.token_urlsafe(FORM_KEY_BYTES), created_by=actor
    )
    _audit_creation(actor, form, FORM_FIELDS)
    return form


@transaction.atomic
def set_lead_form_active(*, actor: User, form: LeadForm, active: bool) -> LeadForm:
    """Deactivate a form (its key is then refused) or bring it back."""
    _require_admin(actor)
    form = LeadForm.objects.select_for_update().get(pk=form.pk)
    save_with_audit(actor, form, FORM_FIELDS, {"active": bool(active)})
    return form
