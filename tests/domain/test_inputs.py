"""clean_input: the one gate every door's data passes before an action writes anything."""

import pytest

from tend.core.errors import DuplicateFound, NotFound, PermissionDenied, ValidationFailed
from tend.core.inputs import clean_input
from tend.customers.inputs import ContactInput, CustomerInput

UNKNOWN = ["This field is unknown or cannot be set here."]


def test_complete_input_returns_every_field_cleaned():
    cleaned = clean_input(
        CustomerInput,
        {"kind": "company", "name": "  华为技术  ", "phone": "138 1234 5678", "tags": "VIP，华南"},
    )
    assert cleaned == {
        "kind": "company",
        "name": "华为技术",
        "industry": "",
        "province": "",
        "city": "",
        "source": "",
        "credit_code": "",
        "phone": "+8613812345678",
        "email": "",
        "wechat": "",
        "address": "",
        "external_id": "",
        "tags": ["VIP", "华南"],
        "custom_fields": {},
    }


def test_unknown_keys_are_refused_each_by_name():
    with pytest.raises(ValidationFailed) as caught:
        clean_input(CustomerInput, {"kind": "company", "name": "甲", "colour": "red", "vip": 1})
    assert caught.value.field_errors == {"colour": UNKNOWN, "vip": UNKNOWN}
    assert caught.value.code == "invalid"
    assert caught.value.status == 422


@pytest.mark.parametrize(
    "protected",
    [
        "owner",
        "owner_id",
        "id",
        "pk",
        "created_at",
        "updated_at",
        "deleted_at",
        "team",
        "created_by",
    ],
)
def test_protected_fields_are_refused_never_silently_applied(protected):
    with pytest.raises(ValidationFailed) as caught:
        clean_input(CustomerInput, {"kind": "company", "name": "甲", protected: 1})
    assert caught.value.field_errors == {protected: UNKNOWN}


def test_unknown_keys_are_refused_before_the_values_are_checked():
    with pytest.raises(ValidationFailed) as caught:
        clean_input(CustomerInput, {"name": "", "deleted_at": "2024-01-01"})
    assert caught.value.field_errors == {"deleted_at": UNKNOWN}


def test_invalid_values_are_refused_with_one_message_per_field():
    with pytest.raises(ValidationFailed) as caught:
        clean_input(
            CustomerInput,
            {
                "kind": "alien",
                "name": "   ",
                "phone": "12345",
                "email": "nope",
                "credit_code": "91110000600037341A",
            },
        )
    errors = caught.value.field_errors
    assert errors == {
        "kind": ["Select a valid choice. alien is not one of the available choices."],
        "name": ["This field is required."],
        "phone": [
            "Enter a valid phone number: a mobile number (e.g. 13812345678) or a landline with "
            "its area code (e.g. 010-12345678)."
        ],
        "email": ["Enter a valid email address."],
        "credit_code": ["The unified social credit code's check digit is wrong."],
    }


def test_partial_update_returns_only_the_given_keys():
    current = {"kind": "company", "name": "甲公司", "phone": "+8613812345678", "city": "杭州"}
    cleaned = clean_input(CustomerInput, {"city": " 宁波 "}, current=current)
    assert cleaned == {"city": "宁波"}


def test_partial_update_validates_the_merged_data():
    # The given key is fine on its own; the stored data it merges with is checked too.
    current = {"kind": "company", "name": ""}
    with pytest.raises(ValidationFailed) as caught:
        clean_input(CustomerInput, {"city": "宁波"}, current=current)
    assert caught.value.field_errors == {"name": ["This field is required."]}


def test_partial_update_refuses_an_invalid_given_value():
    current = {"kind": "company", "name": "甲公司"}
    with pytest.raises(ValidationFailed) as caught:
        clean_input(CustomerInput, {"phone": "010-1234"}, current=current)
    assert list(caught.value.field_errors) == ["phone"]


def test_partial_update_refuses_unknown_keys_too():
    with pytest.raises(ValidationFailed) as caught:
        clean_input(CustomerInput, {"owner": 3}, current={"kind": "company", "name": "甲"})
    assert caught.value.field_errors == {"owner": UNKNOWN}


def test_a_contact_birthday_in_the_future_is_refused():
    with pytest.raises(ValidationFailed) as caught:
        clean_input(ContactInput, {"name": "张三", "birthday": "2999-01-01"})
    assert caught.value.field_errors == {"birthday": ["The birthday cannot be in the future."]}


def test_errors_share_one_shape():
    error = ValidationFailed(field_errors={"name": ["This field is required."]})
    assert error.as_dict() == {
        "code": "invalid",
        "message": "Some fields are not valid.",
        "field_errors": {"name": ["This field is required."]},
    }
    assert NotFound().as_dict() == {
        "code": "not_found",
        "message": "Not found.",
        "field_errors": {},
    }
    assert NotFound.status == 404
    assert PermissionDenied().as_dict() == {
        "code": "permission_denied",
        "message": "You are not allowed to do this.",
        "field_errors": {},
    }
    assert PermissionDenied.status == 403
    assert DuplicateFound.status == 409
