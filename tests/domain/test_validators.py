"""Chinese phone numbers, unified social credit codes and email addresses: accepted in the
spellings people type, stored in one normalised form, refused with a clear message otherwise."""

import pytest
from django.core.exceptions import ValidationError

from tend.core.validators import (
    display_phone,
    normalize_credit_code,
    normalize_email,
    normalize_phone,
    phone_search_prefix,
)

PHONE_MESSAGE = (
    "Enter a valid phone number: a mobile number (e.g. 13812345678) or a landline with its "
    "area code (e.g. 010-12345678)."
)
CHECK_DIGIT_MESSAGE = "The unified social credit code's check digit is wrong."
CREDIT_CODE_MESSAGE = "Enter a valid 18-character unified social credit code."


@pytest.mark.parametrize(
    "typed",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        " 13812345678 ",
        "+86 138 1234 5678",
        "+86-138-1234-5678",
        "+8613812345678",
        "8613812345678",
        "008613812345678",
        "１３８１２３４５６７８",
    ],
)
def test_mobile_numbers_in_usual_spellings_are_stored_in_e164(typed):
    assert normalize_phone(typed) == "+8613812345678"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("010-12345678", "+861012345678"),
        ("(010) 1234 5678", "+861012345678"),
        ("010 1234 5678", "+861012345678"),
        ("+86 10 1234 5678", "+861012345678"),
        ("0755-88888888", "+8675588888888"),
        ("0755 8888 8888", "+8675588888888"),
        ("021 6288 8888", "+862162888888"),
        ("0571-87654321", "+8657187654321"),
    ],
)
def test_landlines_with_area_code_are_stored_in_e164(typed, stored):
    assert normalize_phone(typed) == stored


def test_an_empty_phone_stays_empty():
    assert normalize_phone("") == ""
    assert normalize_phone("   ") == ""
    assert normalize_phone(None) == ""


@pytest.mark.parametrize(
    "typed",
    [
        "12345",  # too short for anything
        "1381234567",  # a mobile number missing a digit
        "138123456789",  # a mobile number with a digit too many
        "010-1234",  # a landline too short
        "10012345678",  # no mobile prefix 100
    ],
)
def test_numbers_that_are_not_chinese_phones_are_refused(typed):
    with pytest.raises(ValidationError) as caught:
        normalize_phone(typed)
    assert caught.value.messages == [PHONE_MESSAGE]
    assert caught.value.code == "invalid_phone"


def test_text_that_is_not_a_number_is_refused():
    with pytest.raises(ValidationError) as caught:
        normalize_phone("abc")
    assert caught.value.messages == ["Enter a valid phone number."]
    assert caught.value.code == "invalid_phone"


def test_stored_phones_are_displayed_in_the_national_format():
    assert display_phone("+8613812345678") == "138 1234 5678"
    assert display_phone("+861012345678") == "010 1234 5678"
    assert display_phone("+16502530000") == "+1 650-253-0000"
    assert display_phone("") == ""


@pytest.mark.parametrize(
    ("query", "prefix"),
    [
        ("138", "+86138"),
        ("13812345678", "+8613812345678"),
        ("138 1234 5678", "+8613812345678"),
        ("138-1234", "+861381234"),
        ("+8613812345678", "+8613812345678"),
        ("8613812345678", "+8613812345678"),
        ("+86 138 1234", "+861381234"),
        ("0086 138 1234", "+861381234"),
        ("008613812345678", "+8613812345678"),
        ("010-1234", "+86101234"),
    ],
)
def test_a_phone_typed_in_a_search_box_becomes_a_stored_form_prefix(query, prefix):
    assert phone_search_prefix(query) == prefix


@pytest.mark.parametrize("query", ["12", "abc123", "华为 138", "a@b.cn"])
def test_a_search_that_is_not_a_phone_has_no_phone_prefix(query):
    assert phone_search_prefix(query) is None


@pytest.mark.parametrize(
    "typed", ["91110000600037341L", "91110000600037341l", " 91110000600037341L "]
)
def test_a_credit_code_with_a_correct_check_digit_is_accepted_in_upper_case(typed):
    assert normalize_credit_code(typed) == "91110000600037341L"


def test_a_credit_code_with_a_wrong_check_digit_is_refused_with_the_check_digit_message():
    with pytest.raises(ValidationError) as caught:
        normalize_credit_code("91110000600037341A")
    assert caught.value.messages == [CHECK_DIGIT_MESSAGE]
    assert caught.value.code == "invalid_checksum"


@pytest.mark.parametrize("typed", ["9111000060003734", "911100006000373411X", "91110000"])
def test_a_credit_code_of_the_wrong_length_is_refused(typed):
    with pytest.raises(ValidationError) as caught:
        normalize_credit_code(typed)
    assert caught.value.messages == [CREDIT_CODE_MESSAGE]
    assert caught.value.code == "invalid_credit_code"


def test_an_empty_credit_code_stays_empty():
    assert normalize_credit_code("") == ""
    assert normalize_credit_code(None) == ""


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Zhang.San@Example.COM", "zhang.san@example.com"),
        ("  li@QQ.com ", "li@qq.com"),
        ("wang@163.com", "wang@163.com"),
    ],
)
def test_emails_are_trimmed_and_lower_cased(typed, stored):
    assert normalize_email(typed) == stored


@pytest.mark.parametrize("typed", ["not-an-email", "a@b", "x@@y.com", "@example.com"])
def test_invalid_emails_are_refused(typed):
    with pytest.raises(ValidationError) as caught:
        normalize_email(typed)
    assert caught.value.messages == ["Enter a valid email address."]


def test_an_empty_email_stays_empty():
    assert normalize_email("") == ""
    assert normalize_email(None) == ""
