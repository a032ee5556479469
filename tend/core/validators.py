"""Chinese phone numbers and unified social credit codes, normalised to one stored form so
that duplicate detection compares like with like."""

import functools
import re
from operator import mul

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum
from stdnum.exceptions import ValidationError as StdnumError

PHONE_REGION = "CN"
# The common case — a mainland mobile number, bare or after +86 — is checked against
# phonenumbers' own pattern for Chinese mobiles, without a full parse (about 60 times faster,
# which an import of a million rows needs). Everything else takes the full parse.
_BARE_MOBILE = re.compile(r"(?:\+86)?(1\d{10})")
_CHINESE_MOBILE = re.compile(
    phonenumbers.PhoneMetadata.metadata_for_region(PHONE_REGION).mobile.national_number_pattern
)


def normalize_phone(value: str) -> str:
    """Return a valid phone number in E.164 form (+8613812345678), or raise ValidationError.

    Accepts mobile numbers (13812345678, +86 138 1234 5678) and landlines with area code
    (010-12345678, 0755 8888 8888)."""
    value = (value or "").strip()
    if not value:
        return ""
    mobile = _BARE_MOBILE.fullmatch(value.replace(" ", "").replace("-", ""))
    if mobile and _CHINESE_MOBILE.fullmatch(mobile.group(1)):
        return "+86" + mobile.group(1)
    try:
        number = phonenumbers.parse(value, PHONE_REGION)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_("Enter a valid phone number."), code="invalid_phone") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _(
                "Enter a valid phone number: a mobile number (e.g. 13812345678) or a landline with "
                "its area code (e.g. 010-12345678)."
            ),
            code="invalid_phone",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@functools.lru_cache(maxsize=4096)
def display_phone(stored: str) -> str:
    """A stored E.164 number as people write it: 138 1234 5678, 010 1234 5678."""
    if not stored:
        return ""
    if len(stored) == 14 and stored.startswith("+861"):
        # Mobile numbers, most of what lists show: formatted without a full parse.
        return f"{stored[3:6]} {stored[6:10]} {stored[10:]}"
    try:
        number = phonenumbers.parse(stored, PHONE_REGION)
    except phonenumbers.NumberParseException:
        return stored
    if number.country_code == 86:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phone_search_prefix(query: str) -> str | None:
    """The stored-form prefix for a phone typed in a search box, or None if it is not one."""
    digits = "".join(ch for ch in query if ch.isdigit())
    if len(digits) < 3 or len(digits) != len(query.replace(" ", "").replace("-", "").lstrip("+")):
        return None
    international = query.strip().startswith(("+86", "0086"))
    if digits.startswith("0086"):
        digits = digits[2:]
    if digits.startswith("86") and (international or len(digits) > 11):
        digits = digits[2:]
    return "+86" + digits.lstrip("0")


# GB 32100-2015, as python-stdnum checks it; a code already written compactly is checked here
# directly (an import checks a million), anything else goes through stdnum's cleaning.
_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_VALUES = {character: index for index, character in enumerate(_CREDIT_ALPHABET)}
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_COMPACT_CREDIT_CODE = re.compile(r"\d{8}[0-9ABCDEFGHJKLMNPQRTUWXY]{10}")


def _credit_checksum_error() -> ValidationError:
    return ValidationError(
        _("The unified social credit code's check digit is wrong."), code="invalid_checksum"
    )


def normalize_credit_code(value: str) -> str:
    """Return a valid unified social credit code (统一社会信用代码) with its check digit."""
    value = (value or "").strip().upper()
    if not value:
        return ""
    if _COMPACT_CREDIT_CODE.fullmatch(value):
        total = sum(map(mul, map(_CREDIT_VALUES.__getitem__, value[:17]), _CREDIT_WEIGHTS))
        if value[-1] != _CREDIT_ALPHABET[(31 - total) % 31]:
            raise _credit_checksum_error()
        return value
    try:
        return uscc.validate(value)
    except InvalidChecksum as exc:
        raise _credit_checksum_error() from exc
    except StdnumError as exc:
        raise ValidationError(
            _("Enter a valid 18-character unified social credit code."),
            code="invalid_credit_code",
        ) from exc


def normalize_email(value: str) -> str:
    """Lower-cased as a whole: mail systems treat the local part case-insensitively, and
    duplicate detection must find Sales@x.cn when sales@x.cn exists."""
    value = (value or "").strip()
    if not value:
        return ""
    validate_email(value)
    return value.lower()


EARLIEST_YEAR = 1900
LATEST_YEAR = 2100


def check_plausible_year(value):
    """Dates and times a CRM can hold: years 1900–2100. Beyond them a time zone conversion
    can overflow, and no customer record needs them."""
    if value is not None and not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValidationError(
            _("Enter a date between the years %(earliest)s and %(latest)s.")
            % {"earliest": EARLIEST_YEAR, "latest": LATEST_YEAR},
            code="implausible_year",
        )
    return value
