"""Contract pages: list and filters, create from a customer's tab, field errors, the status
form, the renewal chain, attachments (upload, refusal, download, delete) and query counts."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tend.contracts.actions import change_contract_status
from tend.contracts.models import Contract, ContractAttachment
from tests.factories import make_customer
from tests.factories_contracts import PDF_BYTES, PNG_BYTES, make_attachment, make_contract
from tests.web.helpers import field_errors, signed_in_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(rep):
    return signed_in_client(rep)


def queries(client, url) -> int:
    client.get(url)  # the session's first request writes its last-seen time; not counted
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


def test_the_list_shows_visible_contracts_and_filters_them(client, rep, other_rep):
    customer = make_customer(rep, name="青木科技")
    draft = make_contract(customer, number="HT-DRAFT")
    signed = make_contract(customer, number="HT-SIGNED", status="signed", signed_on="2026-02-01")
    make_contract(make_customer(other_rep), number="HT-FOREIGN")
    page = client.get(reverse("web:contract_list")).content.decode()
    assert "HT-DRAFT" in page and "HT-SIGNED" in page and "青木科技" in page
    assert "HT-FOREIGN" not in page
    filtered = client.get(reverse("web:contract_list"), {"status": "signed"}).content.decode()
    assert "HT-SIGNED" in filtered and "HT-DRAFT" not in filtered
    ranged = client.get(
        reverse("web:contract_list"), {"signed_from": "2026-03-01", "signed_to": "bad"}
    ).content.decode()
    assert "No contracts match these filters." in ranged
    partial = client.get(reverse("web:contract_list"), HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode()
    assert f'href="/contracts/{draft.pk}/"' in partial.content.decode()
    assert signed.pk


def test_a_damaged_cursor_shows_the_first_page(client, rep):
    make_contract(make_customer(rep), number="HT-1")
    page = client.get(reverse("web:contract_list"), {"cursor": "garbage"}).content.decode()
    assert "That page link is no longer valid" in page
    assert "HT-1" in page


def test_the_list_pages_by_keyset(client, rep):
    customer = make_customer(rep)
    for number in range(30):
        make_contract(customer, number=f"HT-{number:03d}")
    first = client.get(reverse("web:contract_list"))
    assert first.content.decode().count('class="cell-title"') == 25
    cursor = first.context["page"].next_cursor
    second = client.get(reverse("web:contract_list"), {"cursor": cursor}).content.decode()
    assert second.count('class="cell-title"') == 5
    assert "HT-000" in second and "HT-029" not in second


def test_new_contract_from_the_customer_tab_has_the_customer_chosen(client, rep):
    customer = make_customer(rep, name="青木科技")
    tab = client.get(reverse("web:customer_tab", args=[customer.pk, "contracts"]))
    assert f"/contracts/new/?customer={customer.pk}" in tab.content.decode()
    form = client.get(reverse("web:contract_create"), {"customer": customer.pk})
    assert f'name="customer" value="{customer.pk}"' in form.content.decode()
    response = client.post(
        reverse("web:contract_create"),
        {
            "customer": customer.pk,
            "number": "HT-NEW",
            "amount": "5000",
            "currency": "",
            "status": "draft",
        },
    )
    contract = Contract.objects.get(number="HT-NEW")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:contract_detail", args=[contract.pk])
    assert (contract.customer, contract.currency) == (customer, "CNY")


def test_without_a_customer_the_page_asks_for_one(client, rep, other_rep):
    make_customer(rep, name="青木科技")
    make_customer(other_rep, name="青木别家")
    page = client.get(reverse("web:contract_create"), {"q": "青木"}).content.decode()
    assert "青木科技" in page and "青木别家" not in page


def test_creating_for_a_customer_one_may_not_see_is_not_found(client, other_rep):
    foreign = make_customer(other_rep)
    assert client.get(reverse("web:contract_create"), {"customer": foreign.pk}).status_code == 404
    response = client.post(
        reverse("web:contract_create"), {"customer": foreign.pk, "number": "X", "amount": "1"}
    )
    assert response.status_code == 404
    assert not Contract.objects.exists()


def test_field_errors_are_shown_next_to_their_fields(client, rep):
    customer = make_customer(rep)
    make_contract(customer, number="HT-TAKEN")
    response = client.post(
        reverse("web:contract_create"),
        {
            "customer": customer.pk,
            "number": "HT-TAKEN",
            "amount": "abc",
            "starts_on": "2026-05-01",
            "ends_on": "2026-04-01",
        },
    )
    assert response.status_code == 422
    assert field_errors(response, "amount") == ["Enter a number."]
    assert field_errors(response, "ends_on") == ["The end cannot be before the start."]
    response = client.post(
        reverse("web:contract_create"),
        {"customer": customer.pk, "number": "HT-TAKEN", "amount": "1"},
    )
    assert field_errors(response, "number") == ["Another contract already has this number."]
    assert Contract.objects.count() == 1


def test_edit_saves_and_shows_errors(client, rep):
    contract = make_contract(make_customer(rep), number="HT-E")
    url = reverse("web:contract_edit", args=[contract.pk])
    assert 'value="HT-E"' in client.get(url).content.decode()
    response = client.post(url, {"number": "HT-E", "amount": "10", "ends_on": "1800-01-01"})
    assert response.status_code == 422
    assert field_errors(response, "ends_on") == ["Enter a date between the years 1900 and 2100."]
    response = client.post(url, {"number": "HT-E2", "amount": "10", "title": "改名"})
    assert response.status_code == 302
    contract.refresh_from_db()
    assert (contract.number, contract.title) == ("HT-E2", "改名")


def test_the_status_form_moves_the_contract_or_says_why_not(client, rep):
    contract = make_contract(make_customer(rep))
    url = reverse("web:contract_status", args=[contract.pk])
    refused = client.post(url, {"status": "signed", "signed_on": ""})
    assert refused.status_code == 422
    assert field_errors(refused, "signed_on") == [
        "Give the signing date to mark the contract signed."
    ]
    not_allowed = client.post(url, {"status": "active"})
    assert not_allowed.status_code == 422
    assert field_errors(not_allowed, "status")  # not offered, and refused by the action
    moved = client.post(url, {"status": "signed", "signed_on": "2026-03-03", "reason": "盖章"})
    assert moved.status_code == 302
    contract.refresh_from_db()
    assert contract.status == "signed"
    page = client.get(reverse("web:contract_detail", args=[contract.pk])).content.decode()
    assert "盖章" in page
    assert client.get(url).status_code == 405


def test_the_contract_page_shows_the_renewal_chain_both_ways(client, rep):
    customer = make_customer(rep)
    first = make_contract(customer, number="HT-2024")
    second = make_contract(customer, number="HT-2025", renewal_of=first.pk)
    for contract in (first, second):
        page = client.get(reverse("web:contract_detail", args=[contract.pk])).content.decode()
        page = page[page.index('id="renewals"') :]
        assert page.index("HT-2024") < page.index("HT-2025")
        other = second if contract == first else first
        assert reverse("web:contract_detail", args=[other.pk]) in page


def test_upload_download_and_delete_an_attachment(client, rep):
    contract = make_contract(make_customer(rep))
    upload_url = reverse("web:contract_attachment_upload", args=[contract.pk])
    response = client.post(
        upload_url, {"file": SimpleUploadedFile("合同 扫描.pdf", PDF_BYTES, "image/png")}
    )
    assert response.status_code == 302
    attachment = ContractAttachment.objects.get(contract=contract)
    assert attachment.content_type == "application/pdf"  # the bytes', not the browser's
    page = client.get(reverse("web:contract_detail", args=[contract.pk])).content.decode()
    assert "合同 扫描.pdf" in page
    download = client.get(reverse("web:contract_attachment_download", args=[attachment.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF_BYTES
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    delete = client.post(reverse("web:contract_attachment_delete", args=[attachment.pk]))
    assert delete.status_code == 302
    attachment.refresh_from_db()
    assert attachment.deleted_at is not None
    gone = client.get(reverse("web:contract_attachment_download", args=[attachment.pk]))
    assert gone.status_code == 404


def test_a_renamed_png_is_refused_with_a_field_error(client, rep):
    contract = make_contract(make_customer(rep))
    response = client.post(
        reverse("web:contract_attachment_upload", args=[contract.pk]),
        {"file": SimpleUploadedFile("合同.pdf", PNG_BYTES, "application/pdf")},
    )
    assert response.status_code == 422
    assert field_errors(response, "file") == [
        "The file's content is not a PDF file, whatever its name says."
    ]
    assert not ContractAttachment.objects.exists()
    no_file = client.post(reverse("web:contract_attachment_upload", args=[contract.pk]))
    assert field_errors(no_file, "file") == ["Choose a file to attach."]


@override_settings(TEND_ATTACHMENT_MAX_BYTES=64)
def test_an_oversized_upload_is_refused(client, rep):
    contract = make_contract(make_customer(rep))
    response = client.post(
        reverse("web:contract_attachment_upload", args=[contract.pk]),
        {"file": SimpleUploadedFile("big.pdf", PDF_BYTES + b"0" * 64)},
    )
    assert response.status_code == 422
    assert field_errors(response, "file") == ["The file is too large: at most 64\xa0bytes."]


def test_another_rep_cannot_download_or_delete_an_attachment(rep, other_rep):
    attachment = make_attachment(make_contract(make_customer(rep)))
    intruder = signed_in_client(other_rep)
    download = reverse("web:contract_attachment_download", args=[attachment.pk])
    assert intruder.get(download).status_code == 404
    assert (
        intruder.post(reverse("web:contract_attachment_delete", args=[attachment.pk])).status_code
        == 404
    )
    attachment.refresh_from_db()
    assert attachment.deleted_at is None


def test_deleting_a_contract_moves_it_to_the_bin(client, rep):
    contract = make_contract(make_customer(rep), number="HT-BIN")
    response = client.post(reverse("web:contract_delete", args=[contract.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "web:customer_tab", args=[contract.customer_id, "contracts"]
    )
    assert "HT-BIN" in client.get(reverse("web:recycle_bin")).content.decode()
    assert client.get(reverse("web:contract_detail", args=[contract.pk])).status_code == 404


def test_the_contracts_tab_and_the_timeline(client, rep):
    customer = make_customer(rep)
    contract = make_contract(customer, number="HT-TAB", title="服务合同")
    change_contract_status(
        actor=rep, contract=contract, data={"status": "signed", "signed_on": "2026-02-02"}
    )
    tab = client.get(
        reverse("web:customer_tab", args=[customer.pk, "contracts"]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "HT-TAB" in tab and "<html" not in tab
    page = client.get(reverse("web:customer_detail", args=[customer.pk])).content.decode()
    assert "Contract HT-TAB signed on 2026-02-02" in page
    assert "Contract HT-TAB created: 100,000.00 CNY" in page


def test_list_tab_and_detail_queries_do_not_grow_with_rows(client, rep):
    customer = make_customer(rep)
    previous = make_contract(customer)
    contract = make_contract(customer, renewal_of=previous.pk)
    make_attachment(contract)
    list_url = reverse("web:contract_list")
    tab_url = reverse("web:customer_tab", args=[customer.pk, "contracts"])
    detail_url = reverse("web:contract_detail", args=[contract.pk])
    counts = [queries(client, url) for url in (list_url, tab_url, detail_url)]
    for _ in range(10):
        make_contract(customer)
        make_attachment(contract)
    change_contract_status(actor=rep, contract=contract, data={"status": "terminated"})
    assert [queries(client, url) for url in (list_url, tab_url, detail_url)] == counts
    assert counts[0] <= 12
