"""The victim's contract and its attachment, for tests/test_access_matrix.py."""

from tend.contracts.actions import change_contract_status
from tend.contracts.models import Contract, ContractAttachment, ContractStatusChange
from tests.factories_contracts import make_attachment, make_contract, pdf_upload

# Attachments first: their routes would otherwise not be told from a contract's.
WEB_RECORDS = {"contract-attachments/": "contract_attachment", "contracts/": "contract"}
API_RECORDS = {
    "/api/v1/contracts/attachments/": "contract_attachment",
    "/api/v1/contracts/": "contract",
}
SECRETS = ["秘密合同", "秘密附件"]


def build(victim, org, admin):
    victim.contract = make_contract(victim.customer, number="HT-MIMI-1", title="秘密合同")
    change_contract_status(
        actor=victim.owner,
        contract=victim.contract,
        data={"status": "signed", "signed_on": "2026-01-05", "reason": "秘密合同签署"},
    )
    victim.contract_attachment = make_attachment(
        victim.contract, upload=pdf_upload(name="秘密附件.pdf")
    )


def state(victim):
    return (
        list(
            Contract.objects.filter(pk=victim.contract.pk).values(
                "number", "title", "status", "signed_on", "deleted_at", "updated_at"
            )
        ),
        ContractStatusChange.objects.count(),
        list(ContractAttachment.objects.values("id", "original_name", "deleted_at")),
    )
