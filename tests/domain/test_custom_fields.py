"""Administrator-defined custom fields: definitions, and values checked against them."""

import pytest

from tend.audit.models import AuditAction, AuditEntry
from tend.core.errors import PermissionDenied, ValidationFailed
from tend.customers.actions import (
    create_custom_field_definition,
    create_customer,
    delete_custom_field_definition,
    update_customer,
)
from tend.customers.models import Customer, CustomFieldDefinition
from tend.customers.selectors import custom_field_definitions
from tests.domain.support import audit_for, row_counts
from tests.factories import make_customer


def define(admin, key, field_type, **extra):
    data = {"key": key, "label_zh": key, "label_en": key, "field_type": field_type, **extra}
    return create_custom_field_definition(actor=admin, data=data)


@pytest.fixture
def fields(admin):
    """One definition of each type."""
    define(admin, "employees", "number")
    define(admin, "founded", "date")
    define(admin, "grade", "choice", choices=["A", "B", "C"])
    define(admin, "listed", "boolean")
    define(admin, "motto", "text", max_length=10)
    return custom_field_definitions()


# --- definitions --------------------------------------------------------------------------


def test_an_admin_defines_a_custom_field_and_it_is_audited(admin):
    definition = create_custom_field_definition(
        actor=admin,
        data={
            "key": "grade",
            "label_zh": "客户等级",
            "label_en": "Grade",
            "field_type": "choice",
            "choices": "A, B，C",
            "required": True,
            "order": 3,
        },
    )
    definition.refresh_from_db()
    assert definition.choices == ["A", "B", "C"]
    assert definition.required is True
    assert definition.max_length == 200
    assert definition.order == 3
    assert definition.label("zh-hans") == "客户等级"
    assert definition.label("en") == "Grade"
    [entry] = audit_for(definition)
    assert entry.action == AuditAction.CREATE
    assert entry.actor == admin
    assert entry.customer_id is None
    assert entry.changes["key"] == [None, "grade"]


def test_only_an_admin_defines_custom_fields(org):
    before = row_counts()
    with pytest.raises(PermissionDenied) as caught:
        define(org.manager, "grade", "text")
    assert caught.value.message == "Only an administrator can change custom fields."
    assert row_counts() == before


def test_a_custom_field_key_is_used_once(admin):
    define(admin, "grade", "text")
    before = row_counts()
    with pytest.raises(ValidationFailed) as caught:
        define(admin, "grade", "number")
    assert caught.value.field_errors == {"key": ["This key is already used."]}
    assert row_counts() == before


def test_a_choice_field_needs_choices(admin):
    with pytest.raises(ValidationFailed) as caught:
        define(admin, "grade", "choice")
    assert caught.value.field_errors == {"choices": ["A choice field needs at least one choice."]}
    assert CustomFieldDefinition.objects.count() == 0


def test_a_definition_with_an_unknown_type_or_bad_key_is_refused(admin):
    with pytest.raises(ValidationFailed) as caught:
        define(admin, "bad key!", "colour")
    assert sorted(caught.value.field_errors) == ["field_type", "key"]
    assert CustomFieldDefinition.objects.count() == 0


def test_deleting_a_definition_keeps_stored_values_and_is_audited(admin, org, fields):
    customer = make_customer(org.rep, custom_fields={"grade": "A"})
    definition = CustomFieldDefinition.objects.get(key="grade")
    definition_id = definition.pk
    delete_custom_field_definition(actor=admin, definition=definition)
    assert not CustomFieldDefinition.objects.filter(key="grade").exists()
    customer.refresh_from_db()
    assert customer.custom_fields == {"grade": "A"}
    [entry] = AuditEntry.objects.filter(
        action=AuditAction.DELETE, object_type="customers.customfielddefinition"
    )
    assert entry.object_id == definition_id
    assert entry.object_label == "grade"
    assert entry.actor == admin


def test_only_an_admin_deletes_a_definition(admin, org, fields):
    definition = CustomFieldDefinition.objects.get(key="grade")
    with pytest.raises(PermissionDenied):
        delete_custom_field_definition(actor=org.manager, definition=definition)
    assert CustomFieldDefinition.objects.filter(key="grade").exists()


# --- values -------------------------------------------------------------------------------


def test_values_of_every_type_are_stored_typed(org, fields):
    customer = make_customer(
        org.rep,
        custom_fields={
            "employees": "120",
            "founded": "2008-08-08",
            "grade": "B",
            "listed": "是",
            "motto": "  诚信  ",
        },
    )
    customer.refresh_from_db()
    assert customer.custom_fields == {
        "employees": 120,
        "founded": "2008-08-08",
        "grade": "B",
        "listed": True,
        "motto": "诚信",
    }


@pytest.mark.parametrize(
    ("given", "stored"),
    [(12, 12), ("12.50", 12.5), (3.25, 3.25), ("1e3", 1000), ("-7", -7)],
)
def test_numbers_are_stored_as_integers_or_decimals(org, fields, given, stored):
    customer = make_customer(org.rep, custom_fields={"employees": given})
    customer.refresh_from_db()
    assert customer.custom_fields == {"employees": stored}
    assert type(customer.custom_fields["employees"]) is type(stored)


@pytest.mark.parametrize(
    ("given", "stored"),
    [(True, True), (False, False), ("yes", True), ("否", False), ("0", False), ("on", True)],
)
def test_booleans_accept_the_usual_spellings(org, fields, given, stored):
    customer = make_customer(org.rep, custom_fields={"listed": given})
    customer.refresh_from_db()
    assert customer.custom_fields == {"listed": stored}


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("employees", "many", "Enter a number."),
        ("employees", True, "Enter a number."),
        ("employees", "NaN", "Enter a number."),
        ("employees", "Infinity", "Enter a number."),
        ("founded", "2008-13-01", "Enter a date as YYYY-MM-DD."),
        ("founded", "08/08/2008", "Enter a date as YYYY-MM-DD."),
        ("grade", "D", "Choose one of: A, B, C."),
        ("listed", "maybe", "Enter yes or no."),
        ("motto", "一二三四五六七八九十一", "At most 10 characters."),
    ],
)
def test_invalid_values_are_refused_and_nothing_is_written(org, fields, key, value, message):
    before = row_counts()
    with pytest.raises(ValidationFailed) as caught:
        create_customer(actor=org.rep, data={"name": "甲", "custom_fields": {key: value}})
    assert caught.value.field_errors == {f"custom_fields.{key}": [message]}
    assert row_counts() == before


def test_an_undefined_custom_field_is_refused(org, fields):
    with pytest.raises(ValidationFailed) as caught:
        create_customer(
            actor=org.rep, data={"name": "甲", "custom_fields": {"grade": "A", "secret": 1}}
        )
    assert caught.value.field_errors == {"custom_fields.secret": ["Unknown custom field."]}
    assert Customer.objects.count() == 0


def test_custom_fields_must_be_an_object(org, fields):
    with pytest.raises(ValidationFailed) as caught:
        create_customer(actor=org.rep, data={"name": "甲", "custom_fields": ["A"]})
    assert caught.value.field_errors == {
        "custom_fields": ["Custom fields must be an object of key and value."]
    }
    assert Customer.objects.count() == 0


def test_a_required_custom_field_must_be_given(admin, org):
    define(admin, "grade", "choice", choices=["A", "B"], required=True)
    for custom_fields in ({}, {"grade": ""}, {"grade": None}):
        with pytest.raises(ValidationFailed) as caught:
            create_customer(actor=org.rep, data={"name": "甲", "custom_fields": custom_fields})
        assert caught.value.field_errors == {"custom_fields.grade": ["This field is required."]}
    with pytest.raises(ValidationFailed):
        create_customer(actor=org.rep, data={"name": "甲"})
    assert Customer.objects.count() == 0
    customer = make_customer(org.rep, custom_fields={"grade": "A"})
    assert customer.custom_fields == {"grade": "A"}


def test_a_required_custom_field_cannot_be_cleared_by_an_update(admin, org):
    define(admin, "grade", "choice", choices=["A", "B"], required=True)
    customer = make_customer(org.rep, custom_fields={"grade": "A"})
    with pytest.raises(ValidationFailed) as caught:
        update_customer(actor=org.rep, customer=customer, data={"custom_fields": {"grade": ""}})
    assert caught.value.field_errors == {"custom_fields.grade": ["This field is required."]}
    customer.refresh_from_db()
    assert customer.custom_fields == {"grade": "A"}


def test_updating_custom_fields_merges_over_the_stored_values(org, fields):
    customer = make_customer(org.rep, custom_fields={"grade": "A", "employees": 10})
    update_customer(actor=org.rep, customer=customer, data={"custom_fields": {"employees": "25"}})
    customer.refresh_from_db()
    assert customer.custom_fields == {"grade": "A", "employees": 25}
    assert audit_for(customer)[-1].changes == {
        "custom_fields": [{"grade": "A", "employees": 10}, {"grade": "A", "employees": 25}]
    }


def test_an_empty_value_removes_a_stored_custom_field(org, fields):
    customer = make_customer(org.rep, custom_fields={"grade": "A", "employees": 10})
    update_customer(actor=org.rep, customer=customer, data={"custom_fields": {"grade": None}})
    customer.refresh_from_db()
    assert customer.custom_fields == {"employees": 10}


def test_an_invalid_custom_field_in_an_update_writes_nothing(org, fields):
    customer = make_customer(org.rep, name="甲", custom_fields={"grade": "A"})
    before = row_counts()
    with pytest.raises(ValidationFailed) as caught:
        update_customer(
            actor=org.rep,
            customer=customer,
            data={"name": "乙", "custom_fields": {"grade": "Z"}},
        )
    assert caught.value.field_errors == {"custom_fields.grade": ["Choose one of: A, B, C."]}
    customer.refresh_from_db()
    assert customer.name == "甲"
    assert customer.custom_fields == {"grade": "A"}
    assert row_counts() == before


def test_definitions_are_listed_in_their_order_then_by_key(admin):
    define(admin, "zeta", "text", order=1)
    define(admin, "alpha", "text", order=2)
    define(admin, "beta", "text", order=1)
    assert [d.key for d in custom_field_definitions()] == ["beta", "zeta", "alpha"]
