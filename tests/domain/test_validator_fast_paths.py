"""The fast paths of phone and credit-code checking give exactly the answers of the libraries
they shortcut (phonenumbers, python-stdnum), on thousands of generated inputs."""

import random

import phonenumbers
import pytest
from django.core.exceptions import ValidationError
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError

from tend.core.validators import normalize_credit_code, normalize_phone


def library_phone(value: str) -> str | None:
    try:
        number = phonenumbers.parse(value, "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def ours_phone(value: str) -> str | None:
    try:
        return normalize_phone(value)
    except ValidationError:
        return None


def test_mobile_fast_path_agrees_with_phonenumbers():
    rng = random.Random(1)
    samples = []
    for _ in range(5000):
        digits = "1" + "".join(rng.choice("0123456789") for _ in range(10))
        samples += [digits, "+86" + digits, f"{digits[:3]} {digits[3:7]} {digits[7:]}"]
        samples.append(f"+86-{digits[:3]}-{digits[3:]}")
    valid = 0
    for value in samples:
        assert ours_phone(value) == library_phone(value), value
        valid += ours_phone(value) is not None
    # Both kinds of answer were exercised.
    assert 0 < valid < len(samples)


def library_code(value: str) -> str | None:
    try:
        return uscc.validate(value.strip().upper())
    except StdnumError:
        return None


def ours_code(value: str) -> str | None:
    try:
        return normalize_credit_code(value)
    except ValidationError:
        return None


@pytest.mark.parametrize("seed", [1, 2])
def test_credit_code_fast_path_agrees_with_stdnum(seed):
    rng = random.Random(seed)
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    samples = []
    for _ in range(5000):
        body = "".join(rng.choice("0123456789") for _ in range(8)) + "".join(
            rng.choice(alphabet) for _ in range(9)
        )
        right = body + uscc.calc_check_digit(body)
        wrong = body + rng.choice(alphabet.replace(right[-1], ""))
        samples += [right, right.lower(), wrong, f" {right[:6]} {right[6:]}", right[:-1] + "I"]
    outcomes = {True: 0, False: 0}
    for value in samples:
        assert ours_code(value) == library_code(value), value
        outcomes[ours_code(value) is not None] += 1
    assert outcomes[True] and outcomes[False]
