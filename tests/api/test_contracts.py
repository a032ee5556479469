"""/contracts: CRUD, status changes, the renewal chain, attachments over multipart, errors,
access, keyset pages and query counts."""

import pytest

from tend.contracts.models import Contract, ContractAttachment
from tests.api.conftest import Caller, count_queries, walk_pages
from tests.factories import make_customer
from tests.factories_contracts import PDF_BYTES, PNG_BYTES, make_attachment, make_contract

pytestmark = pytest.mark.django_db

UNKNOWN_FIELD = "This field is unknown or cannot be set here."


def test_create_read_update_delete(rep_api, rep):
    customer = make_customer(rep)
    created = rep_api.post(
        "/contracts",
        {
            "customer": customer.pk,
            "number": "HT-API-1",
            "title": "年度服务",
            "amount": "12000.5",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
        },
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    contract = Contract.objects.get(pk=body["id"])
    assert body == {
        "id": contract.pk,
        "customer": customer.pk,
        "number": "HT-API-1",
        "title": "年度服务",
        "deal": None,
        "amount": "12000.50",
        "currency": "CNY",
        "status": "draft",
        "status_changed_at": body["status_changed_at"],
        "signed_on": None,
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "renewal_of": None,
        "notes": "",
        "created_by": {"id": rep.pk, "display_name": rep.display_name},
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    assert rep_api.get(f"/contracts/{contract.pk}").json()["number"] == "HT-API-1"
    changed = rep_api.patch(f"/contracts/{contract.pk}", {"title": "改名"})
    assert changed.status_code == 200
    assert (changed.json()["title"], changed.json()["amount"]) == ("改名", "12000.50")
    assert rep_api.delete(f"/contracts/{contract.pk}").status_code == 204
    assert rep_api.get(f"/contracts/{contract.pk}").status_code == 404


def test_errors_have_the_one_shape(rep_api, rep):
    customer = make_customer(rep)
    make_contract(customer, number="HT-DUP")
    duplicate = rep_api.post(
        "/contracts", {"customer": customer.pk, "number": "HT-DUP", "amount": "1"}
    )
    assert duplicate.status_code == 422
    assert duplicate.json()["field_errors"] == {
        "number": ["Another contract already has this number."]
    }
    dates = rep_api.post(
        "/contracts",
        {
            "customer": customer.pk,
            "number": "HT-D",
            "amount": "1",
            "starts_on": "2026-02-01",
            "ends_on": "2026-01-01",
        },
    )
    assert dates.json()["field_errors"] == {"ends_on": ["The end cannot be before the start."]}
    protected = rep_api.post(
        "/contracts", {"customer": customer.pk, "number": "X", "amount": "1", "owner": 1}
    )
    assert protected.json()["field_errors"] == {"owner": [UNKNOWN_FIELD]}
    bad_type = rep_api.post("/contracts", {"customer": customer.pk, "number": "X", "amount": []})
    assert bad_type.status_code == 422
    assert set(bad_type.json()["field_errors"]) == {"amount"}
    assert Contract.objects.count() == 1


def test_a_contract_needs_a_customer_the_caller_may_see(rep_api, other_rep):
    foreign = make_customer(other_rep)
    response = rep_api.post("/contracts", {"customer": foreign.pk, "number": "X", "amount": "1"})
    assert response.status_code == 422
    assert response.json()["field_errors"] == {"customer": ["Unknown customer."]}


def test_status_changes_and_refusals(rep_api, rep):
    contract = make_contract(make_customer(rep))
    url = f"/contracts/{contract.pk}/status"
    refused = rep_api.post(url, {"status": "active"})
    assert refused.status_code == 422
    assert refused.json()["field_errors"] == {
        "status": ["A contract cannot go from Draft to Active."]
    }
    unsigned = rep_api.post(url, {"status": "signed"})
    assert unsigned.json()["field_errors"] == {
        "signed_on": ["Give the signing date to mark the contract signed."]
    }
    signed = rep_api.post(url, {"status": "signed", "signed_on": "2026-03-01", "reason": "盖章"})
    assert signed.status_code == 200
    assert (signed.json()["status"], signed.json()["signed_on"]) == ("signed", "2026-03-01")
    status_by_patch = rep_api.patch(f"/contracts/{contract.pk}", {"status": "active"})
    assert status_by_patch.json()["field_errors"] == {"status": [UNKNOWN_FIELD]}


def test_the_renewal_chain(rep_api, rep):
    customer = make_customer(rep)
    first = make_contract(customer, number="HT-1")
    second = make_contract(customer, number="HT-2", renewal_of=first.pk)
    for contract in (first, second):
        chain = rep_api.get(f"/contracts/{contract.pk}/chain").json()["contracts"]
        assert [c["number"] for c in chain] == ["HT-1", "HT-2"]
    assert rep_api.get(f"/contracts/{second.pk}").json()["renewal_of"] == first.pk


def _upload(caller: Caller, contract_id, name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return caller.client.post(
        f"/api/v1/contracts/{contract_id}/attachments",
        {"file": SimpleUploadedFile(name, content)},
        **caller.headers,
    )


def test_attachments_upload_list_download_delete(rep_api, rep):
    contract = make_contract(make_customer(rep))
    uploaded = _upload(rep_api, contract.pk, "合同.pdf", PDF_BYTES)
    assert uploaded.status_code == 201, uploaded.json()
    body = uploaded.json()
    assert (body["original_name"], body["size"], body["content_type"]) == (
        "合同.pdf",
        len(PDF_BYTES),
        "application/pdf",
    )
    assert body["uploaded_by"]["id"] == rep.pk
    listed = rep_api.get(f"/contracts/{contract.pk}/attachments").json()
    assert [a["id"] for a in listed] == [body["id"]]
    download = rep_api.get(f"/contracts/attachments/{body['id']}/download")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF_BYTES
    assert download["Content-Type"] == "application/pdf"
    assert "attachment" in download["Content-Disposition"]
    assert rep_api.delete(f"/contracts/attachments/{body['id']}").status_code == 204
    assert rep_api.get(f"/contracts/{contract.pk}/attachments").json() == []
    assert rep_api.get(f"/contracts/attachments/{body['id']}/download").status_code == 404


def test_a_renamed_png_or_no_file_is_refused(rep_api, rep):
    contract = make_contract(make_customer(rep))
    refused = _upload(rep_api, contract.pk, "合同.pdf", PNG_BYTES)
    assert refused.status_code == 422
    assert refused.json()["field_errors"] == {
        "file": ["The file's content is not a PDF file, whatever its name says."]
    }
    missing = rep_api.client.post(
        f"/api/v1/contracts/{contract.pk}/attachments", {}, **rep_api.headers
    )
    assert missing.status_code == 422
    assert set(missing.json()["field_errors"]) == {"file"}
    assert not ContractAttachment.objects.exists()


def test_another_rep_gets_404_everywhere(rep, other_rep):
    contract = make_contract(make_customer(rep))
    attachment = make_attachment(contract)
    intruder = Caller(other_rep)
    assert intruder.get(f"/contracts/{contract.pk}").status_code == 404
    assert intruder.patch(f"/contracts/{contract.pk}", {"title": "x"}).status_code == 404
    assert intruder.post(f"/contracts/{contract.pk}/status", {"status": "x"}).status_code == 404
    assert intruder.get(f"/contracts/attachments/{attachment.pk}/download").status_code == 404
    assert intruder.delete(f"/contracts/attachments/{attachment.pk}").status_code == 404
    assert _upload(intruder, contract.pk, "a.pdf", PDF_BYTES).status_code == 404
    assert intruder.get("/contracts").json()["items"] == []


def test_filters_and_keyset_pages(rep_api, rep):
    customer = make_customer(rep)
    other = make_customer(rep)
    for number in range(7):
        make_contract(customer, status="signed", signed_on=f"2026-01-{number + 1:02d}")
    make_contract(other)
    ids = walk_pages(rep_api, "/contracts", {"customer": customer.pk}, limit=3)
    assert ids == list(
        Contract.objects.filter(customer=customer)
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)
    )
    signed = rep_api.get("/contracts", {"status": "signed", "signed_from": "2026-01-05"}).json()
    assert len(signed["items"]) == 3
    bad = rep_api.get("/contracts", {"ordering": "number"})
    assert bad.status_code == 422


def test_the_list_costs_the_same_queries_for_3_and_30_contracts(rep_api, rep):
    customer = make_customer(rep)
    for _ in range(3):
        make_contract(customer)
    rep_api.get("/contracts")  # the first call records the token's or session's use
    small = count_queries(lambda: rep_api.get("/contracts", {"limit": 100}))
    for _ in range(27):
        make_contract(customer)
    assert count_queries(lambda: rep_api.get("/contracts", {"limit": 100})) == small
