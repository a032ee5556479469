"""Writes to contracts: create, edit, status changes (one action, each change audited and kept
in the append-only status history), delete, and attachments (checked by size, name and first
bytes, stored with Django's default storage)."""

import os
import uuid
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tend.accounts.models import User
from tend.audit.actions import diff, record_change, save_with_audit, snapshot
from tend.audit.models import AuditAction
from tend.contracts.files import check_attachment
from tend.contracts.inputs import ContractCreateInput, ContractInput, ContractStatusInput
from tend.contracts.models import (
    CONTRACT_TRANSITIONS,
    SIGNED_STATUSES,
    Contract,
    ContractAttachment,
    ContractStatus,
    ContractStatusChange,
)
from tend.core.errors import ValidationFailed
from tend.core.inputs import clean_input
from tend.customers.models import Customer
from tend.deals.models import Deal
from tend.recyclebin.actions import delete_record

CONTRACT_FIELDS = [
    "number",
    "title",
    "deal",
    "amount",
    "currency",
    "signed_on",
    "starts_on",
    "ends_on",
    "status",
    "renewal_of",
    "notes",
]
ATTACHMENT_FIELDS = ["contract", "original_name", "size", "content_type"]
ATTACHMENT_FOLDER = "contracts"


def _number_taken(number: str, exclude_id: int | None = None) -> bool:
    taken = Contract.objects.filter(number=number, deleted_at__isnull=True)
    if exclude_id:
        taken = taken.exclude(pk=exclude_id)
    return taken.exists()


def _number_error() -> ValidationFailed:
    return ValidationFailed(
        field_errors={"number": [_("Another contract already has this number.")]}
    )


def _resolve_deal(customer: Customer, deal_id) -> Deal | None:
    if not deal_id:
        return None
    deal = Deal.objects.filter(pk=deal_id, customer=customer, deleted_at__isnull=True).first()
    if deal is None:
        raise ValidationFailed(field_errors={"deal": [_("Choose a deal of this customer.")]})
    return deal


def _resolve_renewal_of(customer: Customer, renewal_of_id, contract: Contract | None):
    """The live contract of the same customer that this one renews; not itself, not one
    already renewed by another contract, and never a loop back to itself."""
    if not renewal_of_id:
        return None
    previous = Contract.objects.filter(
        pk=renewal_of_id, customer=customer, deleted_at__isnull=True
    ).first()
    if previous is None:
        raise ValidationFailed(
            field_errors={"renewal_of": [_("Choose an earlier contract of this customer.")]}
        )
    renewed = Contract.objects.filter(renewal_of=previous, deleted_at__isnull=True)
    if contract is not None:
        renewed = renewed.exclude(pk=contract.pk)
        # Walk back from the proposed predecessor: meeting this contract would close a loop.
        chain = {
            each["pk"]: each["renewal_of_id"]
            for each in Contract.objects.filter(customer=customer).values("pk", "renewal_of_id")
        }
        step, seen = previous.pk, set()
        while step is not None and step not in seen:
            if step == contract.pk:
                raise ValidationFailed(
                    field_errors={"renewal_of": [_("A contract cannot renew itself.")]}
                )
            seen.add(step)
            step = chain.get(step)
    if renewed.exists():
        raise ValidationFailed(
            field_errors={"renewal_of": [_("That contract has already been renewed.")]}
        )
    return previous


def _resolve_links(customer: Customer, cleaned: dict, contract: Contract | None = None) -> dict:
    if "deal" in cleaned:
        if contract is not None and cleaned["deal"] == contract.deal_id:
            cleaned["deal"] = contract.deal
        else:
            cleaned["deal"] = _resolve_deal(customer, cleaned["deal"])
    if "renewal_of" in cleaned:
        cleaned["renewal_of"] = _resolve_renewal_of(customer, cleaned["renewal_of"], contract)
    return cleaned


def _save_refusing_duplicates(save, contract: Contract) -> None:
    """Run `save`; the unique constraints decide races, answered as field errors."""
    try:
        with transaction.atomic():
            save()
    except IntegrityError as exc:
        if _number_taken(contract.number, exclude_id=contract.pk):
            raise _number_error() from exc
        raise ValidationFailed(
            field_errors={"renewal_of": [_("That contract has already been renewed.")]}
        ) from exc


@transaction.atomic
def create_contract(*, actor: User, customer: Customer, data: dict) -> Contract:
    cleaned = _resolve_links(customer, clean_input(ContractCreateInput, data))
    if _number_taken(cleaned["number"]):
        raise _number_error()
    contract = Contract(
        customer=customer, created_by=actor, status_changed_at=timezone.now(), **cleaned
    )
    _save_refusing_duplicates(contract.save, contract)
    ContractStatusChange.objects.create(
        contract=contract,
        customer_id=customer.pk,
        from_status="",
        to_status=contract.status,
        at=contract.status_changed_at,
        actor=actor,
    )
    record_change(
        actor=actor,
        action=AuditAction.CREATE,
        instance=contract,
        customer_id=customer.pk,
        changes=diff({}, snapshot(contract, CONTRACT_FIELDS)),
    )
    return contract


def _current(contract: Contract) -> dict:
    return {
        name: getattr(contract, f"{name}_id" if name in ("deal", "renewal_of") else name)
        for name in ContractInput.base_fields
    }


@transaction.atomic
def update_contract(*, actor: User, contract: Contract, data: dict) -> Contract:
    """Change the contract's fields; its status moves only through change_contract_status."""
    cleaned = clean_input(ContractInput, data, current=_current(contract))
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    cleaned = _resolve_links(contract.customer, cleaned, contract)
    if (
        "signed_on" in cleaned
        and cleaned["signed_on"] is None
        and contract.status in SIGNED_STATUSES
    ):
        raise ValidationFailed(
            field_errors={"signed_on": [_("A signed contract needs its signing date.")]}
        )
    if "number" in cleaned and _number_taken(cleaned["number"], exclude_id=contract.pk):
        raise _number_error()
    _save_refusing_duplicates(
        lambda: save_with_audit(
            actor, contract, CONTRACT_FIELDS, cleaned, customer_id=contract.customer_id
        ),
        contract,
    )
    return contract


@transaction.atomic
def change_contract_status(*, actor: User, contract: Contract, data: dict) -> Contract:
    """Move the contract to another status, if the move is allowed from where it stands.
    Signing needs the signing date (given here or already on the contract)."""
    cleaned = clean_input(ContractStatusInput, data)
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    target = ContractStatus(cleaned["status"])
    current = ContractStatus(contract.status)
    if target == current:
        raise ValidationFailed(
            field_errors={
                "status": [_("The contract is already %(status)s.") % {"status": current.label}]
            }
        )
    if target not in CONTRACT_TRANSITIONS[current]:
        raise ValidationFailed(
            field_errors={
                "status": [
                    _("A contract cannot go from %(from)s to %(to)s.")
                    % {"from": current.label, "to": target.label}
                ]
            }
        )
    signed_on = cleaned.get("signed_on") or contract.signed_on
    if target in SIGNED_STATUSES and signed_on is None:
        raise ValidationFailed(
            field_errors={"signed_on": [_("Give the signing date to mark the contract signed.")]}
        )
    now = timezone.now()
    save_with_audit(
        actor,
        contract,
        CONTRACT_FIELDS,
        {"status": target, "signed_on": signed_on, "status_changed_at": now},
        customer_id=contract.customer_id,
        note=cleaned.get("reason", ""),
    )
    ContractStatusChange.objects.create(
        contract=contract,
        customer_id=contract.customer_id,
        from_status=current,
        to_status=target,
        at=now,
        actor=actor,
        reason=cleaned.get("reason", ""),
    )
    return contract


@transaction.atomic
def delete_contract(*, actor: User, contract: Contract) -> uuid.UUID:
    """To the recycle bin. Its attachments stay with it (unreachable until it is restored);
    orders that name it keep their own life."""
    return delete_record(actor=actor, record=contract)


def _display_name(name: str) -> str:
    """The file's own name, without any folders a browser or client sent along."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = "".join(char for char in name if char >= " " and char != "\x7f").strip()
    if len(name) > 255:
        stem, extension = os.path.splitext(name)
        name = stem[: 255 - len(extension)] + extension
    return name or "file"


@transaction.atomic
def add_contract_attachment(*, actor: User, contract: Contract, upload) -> ContractAttachment:
    if upload is None:
        raise ValidationFailed(field_errors={"file": [_("Choose a file to attach.")]})
    try:
        content_type = check_attachment(upload)
    except ValidationError as exc:
        raise ValidationFailed(field_errors={"file": exc.messages}) from exc
    original_name = _display_name(upload.name)
    extension = os.path.splitext(original_name)[1].lower()
    attachment = ContractAttachment(
        contract=contract,
        customer_id=contract.customer_id,
        original_name=original_name,
        size=upload.size,
        content_type=content_type,
        uploaded_by=actor,
    )
    # A random stored name: the original is only ever shown, never used as a path.
    attachment.file.save(f"{uuid.uuid4().hex}{extension}", upload, save=False)
    attachment.save()
    record_change(
        actor=actor,
        action=AuditAction.CREATE,
        instance=attachment,
        customer_id=contract.customer_id,
        changes=diff({}, snapshot(attachment, ATTACHMENT_FIELDS)),
    )
    return attachment


@transaction.atomic
def delete_contract_attachment(*, actor: User, attachment: ContractAttachment) -> uuid.UUID:
    """To the recycle bin; the stored file goes when the bin purges the row."""
    return delete_record(actor=actor, record=attachment)


def remove_orphan_files(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete stored attachment files that no row names any more (purged with their contract
    or customer, or left by an upload whose transaction rolled back). Files younger than
    `older_than` are kept: their upload may still be committing."""
    cutoff = timezone.now() - older_than
    removed = 0
    if not default_storage.exists(ATTACHMENT_FOLDER):
        return 0
    folders, _files = default_storage.listdir(ATTACHMENT_FOLDER)
    for folder in folders:
        _subfolders, files = default_storage.listdir(f"{ATTACHMENT_FOLDER}/{folder}")
        names = [f"{ATTACHMENT_FOLDER}/{folder}/{name}" for name in files]
        known = set(
            ContractAttachment.objects.filter(file__in=names).values_list("file", flat=True)
        )
        for name in names:
            if name not in known and default_storage.get_modified_time(name) < cutoff:
                default_storage.delete(name)
                removed += 1
    return removed
