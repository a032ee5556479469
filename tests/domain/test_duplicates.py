"""Duplicate detection: the same credit code, phone or email refuses a second customer, with a
link to the existing one when the user may see it, unless the user overrides (recorded)."""

import pytest

from tend.audit.models import AuditAction
from tend.core.errors import DuplicateFound
from tend.customers.actions import create_customer, delete_customer, update_customer
from tend.customers.models import Customer
from tend.customers.selectors import find_duplicate
from tests.domain.support import audit_for, row_counts
from tests.factories import make_customer

CREDIT_CODE = "91110000600037341L"


@pytest.mark.parametrize(
    ("field", "stored", "typed"),
    [
        ("credit_code", CREDIT_CODE, "91110000600037341l"),
        ("phone", "13812345678", "+86 138-1234-5678"),
        ("phone", "010-12345678", "(010) 1234 5678"),
        ("email", "sales@huawei.com", "sales@HUAWEI.COM"),
    ],
)
def test_a_second_customer_with_the_same_key_is_refused(org, field, stored, typed):
    existing = make_customer(org.rep, name="华为", **{field: stored})
    before = row_counts()
    with pytest.raises(DuplicateFound) as caught:
        create_customer(actor=org.rep, data={"name": "华为（重复）", field: typed})
    error = caught.value
    assert error.field == field
    assert error.existing == existing
    assert error.existing_visible is True
    assert error.message == "A customer with this value already exists: 华为."
    assert error.as_dict() == {
        "code": "duplicate",
        "message": "A customer with this value already exists: 华为.",
        "field_errors": {field: ["A customer with this value already exists: 华为."]},
        "existing_id": existing.pk,
    }
    assert row_counts() == before


def test_a_duplicate_the_user_may_not_see_is_refused_without_a_link(org):
    make_customer(org.other_rep, name="华南客户", phone="13812345678")
    before = row_counts()
    with pytest.raises(DuplicateFound) as caught:
        create_customer(actor=org.rep, data={"name": "新客户", "phone": "13812345678"})
    error = caught.value
    assert error.existing_visible is False
    message = (
        f"A customer with this value already exists and belongs to {org.other_rep.display_name}."
    )
    assert error.as_dict() == {
        "code": "duplicate",
        "message": message,
        "field_errors": {"phone": [message]},
        "existing_id": None,
    }
    assert row_counts() == before


def test_visibility_of_a_duplicate_follows_the_users_scope(org, admin):
    existing = make_customer(org.branch_rep, phone="13812345678")
    data = {"name": "新客户", "phone": "13812345678"}
    for user, visible in (
        (org.manager, True),
        (admin, True),
        (org.rep, False),
        (org.other_manager, False),
    ):
        with pytest.raises(DuplicateFound) as caught:
            create_customer(actor=user, data=data)
        assert caught.value.existing == existing
        assert caught.value.existing_visible is visible, user.username


def test_a_duplicate_in_the_public_pool_is_visible_to_everyone(org):
    pooled = make_customer(org.other_rep, email="a@b.cn")
    Customer.objects.filter(pk=pooled.pk).update(owner=None)
    with pytest.raises(DuplicateFound) as caught:
        create_customer(actor=org.rep, data={"name": "新", "email": "a@b.cn"})
    assert caught.value.existing_visible is True


def test_the_credit_code_is_checked_before_phone_and_email(org):
    by_email = make_customer(org.rep, email="a@b.cn")
    by_code = make_customer(org.rep, credit_code=CREDIT_CODE)
    with pytest.raises(DuplicateFound) as caught:
        create_customer(
            actor=org.rep, data={"name": "新", "email": "a@b.cn", "credit_code": CREDIT_CODE}
        )
    assert caught.value.field == "credit_code"
    assert caught.value.existing == by_code
    assert by_email.pk != by_code.pk


def test_a_deleted_customer_is_not_a_duplicate(org):
    old = make_customer(org.rep, phone="13812345678")
    delete_customer(actor=org.rep, customer=old)
    customer = create_customer(actor=org.rep, data={"name": "新", "phone": "13812345678"})
    assert customer.phone == "+8613812345678"


def test_an_explicit_override_creates_the_duplicate_and_records_it(org):
    existing = make_customer(org.other_rep, phone="13812345678")
    customer = create_customer(
        actor=org.rep, data={"name": "新客户", "phone": "13812345678"}, allow_duplicate=True
    )
    assert customer.phone == "+8613812345678"
    [created, override] = audit_for(customer)
    assert created.action == AuditAction.CREATE
    assert override.action == AuditAction.DUPLICATE_OVERRIDE
    assert override.actor == org.rep
    assert override.customer_id == customer.pk
    assert override.changes == {"phone": [existing.pk, customer.pk]}
    assert override.note == f"duplicate of customer #{existing.pk} on phone"


def test_a_customer_without_duplicates_records_no_override(org):
    customer = create_customer(
        actor=org.rep, data={"name": "新客户", "phone": "13812345678"}, allow_duplicate=True
    )
    assert [entry.action for entry in audit_for(customer)] == [AuditAction.CREATE]


def test_changing_a_key_to_another_customers_value_is_refused(org):
    make_customer(org.rep, name="甲", email="a@b.cn")
    second = make_customer(org.rep, name="乙", email="c@d.cn")
    before = row_counts()
    with pytest.raises(DuplicateFound) as caught:
        update_customer(actor=org.rep, customer=second, data={"name": "乙2", "email": "A@B.CN"})
    assert caught.value.field == "email"
    second.refresh_from_db()
    assert second.email == "c@d.cn"
    assert second.name == "乙"
    assert row_counts() == before


def test_changing_a_key_with_an_override_is_recorded(org):
    first = make_customer(org.rep, email="a@b.cn")
    second = make_customer(org.rep, email="c@d.cn")
    update_customer(
        actor=org.manager, customer=second, data={"email": "a@b.cn"}, allow_duplicate=True
    )
    second.refresh_from_db()
    assert second.email == "a@b.cn"
    [update, override] = audit_for(second)[-2:]
    assert update.changes == {"email": ["c@d.cn", "a@b.cn"]}
    assert override.action == AuditAction.DUPLICATE_OVERRIDE
    assert override.actor == org.manager
    assert override.changes == {"email": [first.pk, second.pk]}


def test_updating_a_customer_without_changing_its_keys_never_trips_on_itself(org):
    customer = make_customer(org.rep, credit_code=CREDIT_CODE, phone="13812345678", email="a@b.cn")
    update_customer(
        actor=org.rep,
        customer=customer,
        data={
            "name": "新名字",
            "credit_code": CREDIT_CODE.lower(),
            "phone": "138 1234 5678",
            "email": "a@B.cn",
        },
    )
    customer.refresh_from_db()
    assert customer.name == "新名字"


def test_a_known_duplicate_can_still_be_edited_without_touching_its_keys(org):
    make_customer(org.rep, phone="13812345678", email="a@b.cn")
    twin = create_customer(
        actor=org.rep,
        data={"name": "双胞胎", "phone": "13812345678", "email": "a@b.cn"},
        allow_duplicate=True,
    )
    # Its phone and email still match the first customer; changing the name alone is fine,
    # and so is changing one key while the unchanged one still matches.
    update_customer(actor=org.rep, customer=twin, data={"name": "双胞胎二号"})
    update_customer(actor=org.rep, customer=twin, data={"email": "twin@b.cn"})
    twin.refresh_from_db()
    assert twin.name == "双胞胎二号"
    assert twin.email == "twin@b.cn"
    assert twin.phone == "+8613812345678"


def test_find_duplicate_ignores_empty_keys_and_the_excluded_record(org):
    customer = make_customer(org.rep, phone="13812345678")
    make_customer(org.rep)  # no keys at all
    assert find_duplicate(credit_code="", phone="", email="") is None
    assert find_duplicate(credit_code="", phone="+8613812345678", email="") == (
        "phone",
        customer,
    )
    assert (
        find_duplicate(credit_code="", phone="+8613812345678", email="", exclude_id=customer.pk)
        is None
    )
