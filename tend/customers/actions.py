"""Every write to customers and contacts. Doors parse and authorise (through selectors'
access_* functions), then call exactly one of these."""

import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tend.accounts.models import User
from tend.accounts.selectors import assignable_users
from tend.audit.actions import diff, record_change, save_with_audit, snapshot
from tend.audit.models import AuditAction
from tend.core.errors import DuplicateFound, PermissionDenied, ValidationFailed
from tend.core.inputs import clean_input
from tend.customers.custom_fields import clean_custom_fields
from tend.customers.inputs import ContactInput, CustomerInput, CustomFieldDefinitionInput
from tend.customers.models import Contact, Customer, CustomerKind, CustomFieldDefinition, Tag
from tend.customers.search import index_names
from tend.customers.selectors import find_duplicate
from tend.recyclebin.actions import delete_record, delete_with_customer, soft_delete

CUSTOMER_FIELDS = [
    "kind",
    "name",
    "industry",
    "province",
    "city",
    "source",
    "credit_code",
    "phone",
    "email",
    "wechat",
    "address",
    "external_id",
]
CUSTOMER_AUDITED = [*CUSTOMER_FIELDS, "owner", "team", "custom_fields"]
CONTACT_FIELDS = ["name", "title", "mobile", "phone", "email", "wechat", "birthday", "is_primary"]


def _current_customer_input(customer: Customer) -> dict:
    values = {name: getattr(customer, name) for name in CUSTOMER_FIELDS}
    values["custom_fields"] = customer.custom_fields
    return values


def _check_duplicate(actor: User, cleaned: dict, *, exclude_id=None, allow_duplicate: bool):
    """Refuse a customer that shares a key with another, unless the user overrides; returns
    the duplicate found (so the override can be recorded) or None."""
    found = find_duplicate(
        credit_code=cleaned.get("credit_code", ""),
        phone=cleaned.get("phone", ""),
        email=cleaned.get("email", ""),
        exclude_id=exclude_id,
        reader=actor,
    )
    if found is None:
        return None
    field, existing = found
    if allow_duplicate:
        return found
    raise DuplicateFound(
        field=field,
        existing=existing,
        existing_visible=existing.visible_to_reader,
        existing_locked=existing.locked_for_reader,
    )


def _set_tags(customer: Customer, names: list[str]) -> None:
    existing = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
    missing = [Tag(name=name) for name in names if name not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
    customer.tags.set([existing[name] for name in names])


def _tag_names(customer: Customer) -> list[str]:
    return sorted(customer.tags.values_list("name", flat=True))


def _record_duplicate_override(actor, customer, found):
    if found is None:
        return
    field, existing = found
    record_change(
        actor=actor,
        action=AuditAction.DUPLICATE_OVERRIDE,
        instance=customer,
        customer_id=customer.pk,
        changes={field: [existing.pk, customer.pk]},
        note=f"duplicate of customer #{existing.pk} on {field}",
    )


@transaction.atomic
def create_customer(
    *, actor: User, data: dict, allow_duplicate: bool = False, actor_label: str = ""
) -> Customer:
    """A new customer owned by the actor, in the actor's team."""
    data = {"kind": CustomerKind.COMPANY, **data}
    cleaned = clean_input(CustomerInput, data)
    custom_fields = clean_custom_fields(cleaned.pop("custom_fields") or {})
    tags = cleaned.pop("tags")
    found = _check_duplicate(actor, cleaned, allow_duplicate=allow_duplicate)
    customer = Customer.objects.create(
        **cleaned,
        custom_fields=custom_fields,
        owner=actor,
        team_id=actor.team_id,
        created_by=actor,
    )
    if tags:
        _set_tags(customer, tags)
    index_names([(customer.pk, customer.name)], new=True)
    record_change(
        actor=actor,
        action=AuditAction.CREATE,
        instance=customer,
        customer_id=customer.pk,
        changes=diff({}, {**snapshot(customer, CUSTOMER_AUDITED), "tags": tags}),
        actor_label=actor_label,
    )
    _record_duplicate_override(actor, customer, found)
    return customer


@transaction.atomic
def update_customer(
    *, actor: User, customer: Customer, data: dict, allow_duplicate: bool = False
) -> Customer:
    """Change the given fields only; the rest stay as they are."""
    cleaned = clean_input(CustomerInput, data, current=_current_customer_input(customer))
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    before = {**snapshot(customer, CUSTOMER_AUDITED), "tags": _tag_names(customer)}
    found = None
    if {"credit_code", "phone", "email"} & cleaned.keys():
        keys = {
            name: cleaned.get(name, getattr(customer, name))
            for name in ("credit_code", "phone", "email")
        }
        # Only a value that changes can become a new duplicate.
        changed_keys = {k: v for k, v in keys.items() if v != getattr(customer, k)}
        if changed_keys:
            found = _check_duplicate(
                actor, changed_keys, exclude_id=customer.pk, allow_duplicate=allow_duplicate
            )
    if "custom_fields" in cleaned:
        cleaned["custom_fields"] = clean_custom_fields(
            cleaned["custom_fields"] or {}, current=customer.custom_fields
        )
    tags = cleaned.pop("tags", None)
    for name, value in cleaned.items():
        setattr(customer, name, value)
    customer.save(update_fields=[*cleaned, "updated_at"])
    if tags is not None:
        _set_tags(customer, tags)
    if "name" in cleaned and cleaned["name"] != before["name"]:
        index_names([(customer.pk, customer.name)])
    after = {**snapshot(customer, CUSTOMER_AUDITED), "tags": _tag_names(customer)}
    changes = diff(before, after)
    if changes:
        record_change(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=customer,
            customer_id=customer.pk,
            changes=changes,
        )
    _record_duplicate_override(actor, customer, found)
    return customer


@transaction.atomic
def assign_customer_owner(*, actor: User, customer: Customer, owner: User | None) -> Customer:
    """Hand a customer to another user, or release it to the public pool (owner None).

    Admins and managers may assign within their teams; an owner may release their own."""
    releasing_own = owner is None and customer.owner_id == actor.pk
    if not releasing_own:
        if not (actor.is_admin or actor.is_manager):
            raise PermissionDenied(_("Only a manager or an administrator can assign customers."))
        if owner is not None and not assignable_users(actor).filter(pk=owner.pk).exists():
            raise ValidationFailed(
                field_errors={"owner": [_("You cannot assign customers to this user.")]}
            )
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    save_with_audit(
        actor,
        customer,
        ["owner", "team"],
        {"owner": owner, "team_id": owner.team_id if owner else customer.team_id},
        customer_id=customer.pk,
    )
    return customer


@transaction.atomic
def delete_customer(*, actor: User, customer: Customer) -> uuid.UUID:
    """Move a customer with everything of it (contacts, activities, tasks, deals…) to the
    recycle bin, as one batch."""
    batch = uuid.uuid4()
    now = timezone.now()
    soft_delete(Customer.objects.filter(pk=customer.pk), actor=actor, batch=batch, at=now)
    children = delete_with_customer(actor=actor, customer_id=customer.pk, batch=batch, at=now)
    record_change(
        actor=actor,
        action=AuditAction.DELETE,
        instance=customer,
        customer_id=customer.pk,
        note=f"{children} related records moved to the recycle bin with it",
    )
    return batch


def _apply_primary(contact: Contact) -> None:
    if contact.is_primary:
        Contact.objects.filter(customer_id=contact.customer_id, is_primary=True).exclude(
            pk=contact.pk
        ).update(is_primary=False)


@transaction.atomic
def create_contact(*, actor: User, customer: Customer, data: dict) -> Contact:
    cleaned = clean_input(ContactInput, data)
    contact = Contact.objects.create(customer=customer, **cleaned)
    _apply_primary(contact)
    record_change(
        actor=actor,
        action=AuditAction.CREATE,
        instance=contact,
        customer_id=customer.pk,
        changes=diff({}, snapshot(contact, CONTACT_FIELDS)),
    )
    return contact


@transaction.atomic
def update_contact(*, actor: User, contact: Contact, data: dict) -> Contact:
    current = {name: getattr(contact, name) for name in CONTACT_FIELDS}
    cleaned = clean_input(ContactInput, data, current=current)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    save_with_audit(actor, contact, CONTACT_FIELDS, cleaned, customer_id=contact.customer_id)
    _apply_primary(contact)
    return contact


@transaction.atomic
def delete_contact(*, actor: User, contact: Contact) -> uuid.UUID:
    return delete_record(actor=actor, record=contact)


def _require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise PermissionDenied(_("Only an administrator can change custom fields."))


@transaction.atomic
def create_custom_field_definition(*, actor: User, data: dict) -> CustomFieldDefinition:
    _require_admin(actor)
    cleaned = clean_input(CustomFieldDefinitionInput, data)
    cleaned["max_length"] = cleaned.get("max_length") or 200
    cleaned["order"] = cleaned.get("order") or 0
    try:
        # The unique constraint decides, not a check before: two creates at once cannot both win.
        with transaction.atomic():
            definition = CustomFieldDefinition.objects.create(**cleaned)
    except IntegrityError as exc:
        raise ValidationFailed(field_errors={"key": [_("This key is already used.")]}) from exc
    record_change(
        actor=actor,
        action=AuditAction.CREATE,
        instance=definition,
        changes=diff({}, snapshot(definition, list(CustomFieldDefinitionInput.base_fields))),
    )
    return definition


@transaction.atomic
def delete_custom_field_definition(*, actor: User, definition: CustomFieldDefinition) -> None:
    """Remove a definition; values already stored stay in the customers' JSON (and in their
    history) but are no longer shown or accepted."""
    _require_admin(actor)
    record_change(actor=actor, action=AuditAction.DELETE, instance=definition)
    definition.delete()
