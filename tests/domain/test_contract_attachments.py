"""Contract attachments: a file is accepted only when its extension is allowed, its first bytes
agree with it and it is within the size limit; deleting one is audited; files nobody names
any more are swept from storage."""

import datetime
import io
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from tend.audit.models import AuditAction, AuditEntry
from tend.contracts.actions import (
    add_contract_attachment,
    delete_contract_attachment,
    remove_orphan_files,
)
from tend.contracts.models import ContractAttachment
from tend.contracts.selectors import access_attachment, contract_attachments
from tend.core.errors import NotFound, ValidationFailed
from tend.recyclebin.actions import purge_expired, restore
from tests.domain.support import audit_for
from tests.factories import make_customer
from tests.factories_contracts import PDF_BYTES, PNG_BYTES, make_contract, pdf_upload

pytestmark = pytest.mark.django_db

JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32
OLE_BYTES = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


def office_zip(folder: str) -> bytes:
    """The smallest zip that is shaped like a .docx (word/) or .xlsx (xl/)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{folder}document.xml", "<document/>")
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return buffer.getvalue()


def upload(name, content):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


@pytest.fixture
def contract(rep):
    return make_contract(make_customer(rep))


def attach(contract, name, content):
    return add_contract_attachment(
        actor=contract.customer.owner, contract=contract, upload=upload(name, content)
    )


def refused(contract, name, content) -> list[str]:
    before = (ContractAttachment.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ValidationFailed) as caught:
        attach(contract, name, content)
    assert (ContractAttachment.objects.count(), AuditEntry.objects.count()) == before
    assert set(caught.value.field_errors) == {"file"}
    return caught.value.field_errors["file"]


def test_a_pdf_is_stored_with_its_name_size_type_and_uploader(contract, rep):
    attachment = add_contract_attachment(actor=rep, contract=contract, upload=pdf_upload())
    attachment.refresh_from_db()
    assert attachment.original_name == "合同扫描件.pdf"
    assert attachment.size == len(PDF_BYTES)
    assert attachment.content_type == "application/pdf"
    assert attachment.uploaded_by == rep
    assert attachment.customer_id == contract.customer_id
    assert attachment.created_at is not None
    # Stored under a random name in the contract's folder, never under the uploaded name.
    assert attachment.file.name.startswith(f"contracts/{contract.pk}/")
    assert attachment.file.name.endswith(".pdf")
    assert "合同" not in attachment.file.name
    with attachment.file.open("rb") as stored:
        assert stored.read() == PDF_BYTES
    [entry] = audit_for(attachment)
    assert entry.action == AuditAction.CREATE
    assert entry.customer_id == contract.customer_id
    assert entry.changes["original_name"] == [None, "合同扫描件.pdf"]


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("scan.PNG", PNG_BYTES, "image/png"),
        ("photo.jpg", JPEG_BYTES, "image/jpeg"),
        ("photo.jpeg", JPEG_BYTES, "image/jpeg"),
        (
            "合同.docx",
            office_zip("word/"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            "报价.xlsx",
            office_zip("xl/"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("old.doc", OLE_BYTES, "application/msword"),
        ("old.xls", OLE_BYTES, "application/vnd.ms-excel"),
        ("说明.txt", "付款条件：验收后30天内。\r\n".encode(), "text/plain"),
        ("gbk.txt", "付款条件".encode("gb18030"), "text/plain"),
    ],
)
def test_every_allowed_type_is_accepted_when_its_bytes_agree(contract, name, content, content_type):
    assert attach(contract, name, content).content_type == content_type


def test_a_png_renamed_pdf_is_refused(contract):
    assert refused(contract, "合同.pdf", PNG_BYTES) == [
        "The file's content is not a PDF file, whatever its name says."
    ]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("合同.docx", plain_zip()),  # a zip, but not a Word document
        ("合同.xlsx", office_zip("word/")),  # a Word document named as a spreadsheet
        ("合同.docx", b"PK\x03\x04 not really a zip"),
        ("old.doc", PDF_BYTES),
        ("photo.jpg", PNG_BYTES),
        ("readme.txt", PDF_BYTES),
        ("readme.txt", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00"),
    ],
)
def test_content_that_disagrees_with_the_name_is_refused(contract, name, content):
    [message] = refused(contract, name, content)
    assert "whatever its name says" in message


@pytest.mark.parametrize("name", ["setup.exe", "page.html", "archive.zip", "no-extension"])
def test_other_types_are_refused(contract, name):
    assert refused(contract, name, PDF_BYTES) == [
        "This type of file cannot be attached. Allowed: doc, docx, jpeg, jpg, pdf, png, txt, "
        "xls, xlsx."
    ]


@override_settings(TEND_ATTACHMENT_MAX_BYTES=100)
def test_an_oversized_file_is_refused(contract):
    assert refused(contract, "big.pdf", PDF_BYTES + b"0" * 100) == [
        "The file is too large: at most 100\xa0bytes."
    ]
    assert attach(contract, "small.pdf", PDF_BYTES).size == len(PDF_BYTES)


def test_an_empty_file_or_none_is_refused(contract, rep):
    assert refused(contract, "empty.pdf", b"") == ["The file is empty."]
    with pytest.raises(ValidationFailed) as caught:
        add_contract_attachment(actor=rep, contract=contract, upload=None)
    assert caught.value.field_errors == {"file": ["Choose a file to attach."]}


def test_folders_in_the_uploaded_name_are_dropped(contract):
    attachment = attach(contract, "../../etc/passwd.pdf", PDF_BYTES)
    assert attachment.original_name == "passwd.pdf"
    windows = attach(contract, "C:\\Users\\王芳\\合同.pdf", PDF_BYTES)
    assert windows.original_name == "合同.pdf"


def test_attachments_are_visible_exactly_where_their_contract_is(org):
    contract = make_contract(make_customer(org.rep))
    attachment = attach(contract, "a.pdf", PDF_BYTES)
    assert access_attachment(org.rep, attachment.pk) == attachment
    assert access_attachment(org.manager, attachment.pk) == attachment
    with pytest.raises(NotFound):
        access_attachment(org.other_rep, attachment.pk)


def test_deleting_an_attachment_is_audited_and_restorable(contract, rep):
    attachment = attach(contract, "a.pdf", PDF_BYTES)
    delete_contract_attachment(actor=rep, attachment=attachment)
    assert contract_attachments(contract) == []
    with pytest.raises(NotFound):
        access_attachment(rep, attachment.pk)
    [entry] = audit_for(attachment, AuditAction.DELETE)
    assert (entry.actor, entry.customer_id) == (rep, contract.customer_id)
    attachment.refresh_from_db()
    restore(actor=rep, record=attachment)
    assert contract_attachments(contract) == [attachment]


def test_an_attachment_of_a_deleted_contract_cannot_be_reached(contract, rep):
    from tend.contracts.actions import delete_contract

    attachment = attach(contract, "a.pdf", PDF_BYTES)
    delete_contract(actor=rep, contract=contract)
    with pytest.raises(NotFound):
        access_attachment(rep, attachment.pk)


@pytest.fixture
def fresh_storage(settings):
    """An empty in-memory storage, so that files other tests left behind do not count."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }


def test_files_no_row_names_are_swept_after_the_purge(fresh_storage, contract, rep):
    kept = attach(contract, "kept.pdf", PDF_BYTES)
    purged = attach(contract, "purged.pdf", PDF_BYTES)
    purged_name = purged.file.name
    delete_contract_attachment(actor=rep, attachment=purged)
    ContractAttachment.objects.filter(pk=purged.pk).update(
        deleted_at=datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    )
    purge_expired()
    assert not ContractAttachment.objects.filter(pk=purged.pk).exists()
    assert default_storage.exists(purged_name)
    # A young file may belong to an upload still committing: kept until it is old enough.
    assert remove_orphan_files() == 0
    assert remove_orphan_files(older_than=datetime.timedelta(0)) == 1
    assert not default_storage.exists(purged_name)
    assert default_storage.exists(kept.file.name)
