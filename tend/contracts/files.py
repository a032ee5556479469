"""Which files may be attached to a contract: a known extension whose first bytes agree with
it, below the size limit. The name alone proves nothing (a PNG renamed .pdf is refused), and
the content type stored and served is the one the bytes proved, never the browser's."""

import codecs
import os
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
# Enough to recognise every kind below, and to judge whether text is text.
SNIFF_BYTES = 8192

PDF = b"%PDF-"
PNG = b"\x89PNG\r\n\x1a\n"
JPEG = b"\xff\xd8\xff"
ZIP = b"PK\x03\x04"
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class FileKind:
    content_type: str
    signature: bytes | None
    # For Office Open XML: the folder every such zip holds (word/ or xl/).
    zip_folder: str = ""


KINDS = {
    ".pdf": FileKind("application/pdf", PDF),
    ".png": FileKind("image/png", PNG),
    ".jpg": FileKind("image/jpeg", JPEG),
    ".jpeg": FileKind("image/jpeg", JPEG),
    ".docx": FileKind(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ZIP, "word/"
    ),
    ".xlsx": FileKind(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP, "xl/"
    ),
    ".doc": FileKind("application/msword", OLE),
    ".xls": FileKind("application/vnd.ms-excel", OLE),
    ".txt": FileKind("text/plain", None),
}
BINARY_SIGNATURES = (PDF, PNG, JPEG, ZIP, OLE)
# Control characters that text files do carry: tab, line feed, form feed, carriage return.
TEXT_CONTROLS = {"\t", "\n", "\f", "\r"}


def max_attachment_bytes() -> int:
    return getattr(settings, "TEND_ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES)


def allowed_extensions() -> str:
    return ", ".join(sorted(extension.lstrip(".") for extension in KINDS))


def _looks_like_text(head: bytes) -> bool:
    if any(head.startswith(signature) for signature in BINARY_SIGNATURES):
        return False
    for encoding in ("utf-8-sig", "gb18030"):
        # An incremental decoder tolerates a character cut at the end of the sample.
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            text = decoder.decode(head, final=False)
        except UnicodeDecodeError:
            continue
        if not any((char < " " and char not in TEXT_CONTROLS) or char == "\x7f" for char in text):
            return True
    return False


def _is_office_zip(upload, folder: str) -> bool:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        upload.seek(0)
    return "[Content_Types].xml" in names and any(name.startswith(folder) for name in names)


def check_attachment(upload) -> str:
    """The content type of an acceptable upload; ValidationError (one message) otherwise."""
    limit = max_attachment_bytes()
    if upload.size is None or upload.size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    if upload.size > limit:
        raise ValidationError(
            _("The file is too large: at most %(limit)s.") % {"limit": filesizeformat(limit)},
            code="too_large",
        )
    extension = os.path.splitext(upload.name or "")[1].lower()
    kind = KINDS.get(extension)
    if kind is None:
        raise ValidationError(
            _("This type of file cannot be attached. Allowed: %(types)s.")
            % {"types": allowed_extensions()},
            code="file_type",
        )
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    if kind.signature is None:
        matches = _looks_like_text(head)
    else:
        matches = head.startswith(kind.signature)
        if matches and kind.zip_folder:
            matches = _is_office_zip(upload, kind.zip_folder)
    if not matches:
        raise ValidationError(
            _("The file's content is not a %(type)s file, whatever its name says.")
            % {"type": extension.lstrip(".").upper()},
            code="file_content",
        )
    return kind.content_type
