"""Contracts for tests, made through the real actions."""

import itertools

from django.core.files.uploadedfile import SimpleUploadedFile

from tend.contracts.actions import add_contract_attachment, create_contract

_sequence = itertools.count(1)

PDF_BYTES = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


def make_contract(customer, actor=None, **data):
    data.setdefault("number", f"HT-{next(_sequence):05d}")
    data.setdefault("amount", "100000.00")
    return create_contract(actor=actor or customer.owner, customer=customer, data=data)


def pdf_upload(name="合同扫描件.pdf", content=PDF_BYTES):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def make_attachment(contract, actor=None, upload=None):
    return add_contract_attachment(
        actor=actor or contract.customer.owner, contract=contract, upload=upload or pdf_upload()
    )
