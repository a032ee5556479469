"""Creating, changing, assigning and deleting customers and contacts."""

import pytest

from tend.accounts.models import Role
from tend.activities.models import Activity, Task
from tend.audit.models import AuditAction, AuditEntry
from tend.core.errors import PermissionDenied, ValidationFailed
from tend.customers.actions import (
    assign_customer_owner,
    create_contact,
    create_customer,
    delete_contact,
    delete_customer,
    update_contact,
    update_customer,
)
from tend.customers.models import Contact, Customer, Tag
from tests.domain.support import audit_for, row_counts
from tests.factories import make_activity, make_contact, make_customer, make_task, make_user

# --- create -------------------------------------------------------------------------------


def test_a_new_customer_belongs_to_its_creator_and_the_creators_team(org):
    customer = create_customer(
        actor=org.rep,
        data={
            "name": "杭州西湖科技有限公司",
            "industry": "软件",
            "province": "浙江",
            "city": "杭州",
            "source": "exhibition",
            "credit_code": "91110000600037341l",
            "phone": "0571-87654321",
            "email": "Info@XiHu.CN",
            "tags": ["VIP", "展会"],
        },
    )
    customer.refresh_from_db()
    assert customer.kind == "company"
    assert customer.owner == org.rep
    assert customer.team == org.team
    assert customer.created_by == org.rep
    assert customer.credit_code == "91110000600037341L"
    assert customer.phone == "+8657187654321"
    assert customer.email == "info@xihu.cn"
    assert sorted(customer.tags.values_list("name", flat=True)) == ["VIP", "展会"]
    assert customer.deleted_at is None


def test_creating_a_customer_records_every_given_field_in_the_audit(org):
    customer = create_customer(
        actor=org.rep, data={"name": "甲公司", "city": "杭州", "tags": "VIP"}
    )
    [entry] = audit_for(customer)
    assert entry.action == AuditAction.CREATE
    assert entry.actor == org.rep
    assert entry.customer_id == customer.pk
    assert entry.object_label == "甲公司"
    assert entry.changes == {
        "kind": [None, "company"],
        "name": [None, "甲公司"],
        "city": [None, "杭州"],
        "owner": [None, org.rep.pk],
        "team": [None, org.team.pk],
        "tags": [None, ["VIP"]],
    }


def test_a_user_without_a_team_creates_customers_without_a_team(db):
    loner = make_user(username="loner")
    customer = create_customer(actor=loner, data={"name": "个体户", "kind": "person"})
    assert customer.team_id is None
    assert customer.kind == "person"


def test_an_invalid_customer_is_refused_and_nothing_is_written(org):
    before = row_counts()
    with pytest.raises(ValidationFailed) as caught:
        create_customer(actor=org.rep, data={"name": "甲", "phone": "12345", "tags": ["新"]})
    assert list(caught.value.field_errors) == ["phone"]
    assert row_counts() == before


def test_protected_fields_on_create_are_refused_and_nothing_is_written(org):
    before = row_counts()
    with pytest.raises(ValidationFailed) as caught:
        create_customer(
            actor=org.rep,
            data={"name": "甲", "owner": org.other_rep.pk, "id": 99, "created_at": "2020-01-01"},
        )
    assert sorted(caught.value.field_errors) == ["created_at", "id", "owner"]
    assert row_counts() == before


def test_tags_are_shared_between_customers_and_created_once(org):
    create_customer(actor=org.rep, data={"name": "甲", "tags": ["VIP", "华东"]})
    create_customer(actor=org.rep, data={"name": "乙", "tags": "VIP, 新客户 ,VIP"})
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["VIP", "华东", "新客户"]
    assert Tag.objects.get(name="VIP").customers.count() == 2


# --- update -------------------------------------------------------------------------------


def test_an_update_changes_only_the_given_fields(org):
    customer = make_customer(org.rep, name="甲公司", city="杭州", phone="13812345678")
    update_customer(actor=org.rep, customer=customer, data={"city": "宁波"})
    customer.refresh_from_db()
    assert customer.city == "宁波"
    assert customer.name == "甲公司"
    assert customer.phone == "+8613812345678"
    assert customer.owner == org.rep


def test_an_update_records_only_the_fields_that_changed(org):
    customer = make_customer(org.rep, name="甲公司", city="杭州", industry="软件")
    update_customer(
        actor=org.manager,
        customer=customer,
        data={"city": "宁波", "industry": "软件", "phone": "138-1234-5678"},
    )
    entry = audit_for(customer)[-1]
    assert entry.action == AuditAction.UPDATE
    assert entry.actor == org.manager
    assert entry.changes == {"city": ["杭州", "宁波"], "phone": ["", "+8613812345678"]}


def test_an_update_that_changes_nothing_writes_no_audit_entry(org):
    customer = make_customer(org.rep, name="甲公司", phone="13812345678")
    update_customer(actor=org.rep, customer=customer, data={"phone": "+86 138 1234 5678"})
    assert [entry.action for entry in audit_for(customer)] == [AuditAction.CREATE]


def test_changed_tags_are_recorded_old_and_new(org):
    customer = make_customer(org.rep, tags=["VIP", "华东"])
    update_customer(actor=org.rep, customer=customer, data={"tags": ["华东", "重点"]})
    assert sorted(customer.tags.values_list("name", flat=True)) == ["华东", "重点"]
    assert audit_for(customer)[-1].changes == {"tags": [["VIP", "华东"], ["华东", "重点"]]}


def test_tags_can_be_cleared(org):
    customer = make_customer(org.rep, tags=["VIP"])
    update_customer(actor=org.rep, customer=customer, data={"tags": []})
    assert customer.tags.count() == 0
    assert audit_for(customer)[-1].changes == {"tags": [["VIP"], []]}


def test_an_update_leaves_tags_alone_when_not_given(org):
    customer = make_customer(org.rep, tags=["VIP"])
    update_customer(actor=org.rep, customer=customer, data={"name": "新名字"})
    assert list(customer.tags.values_list("name", flat=True)) == ["VIP"]
    assert audit_for(customer)[-1].changes == {"name": [customer.name, "新名字"]}


def test_an_invalid_update_writes_nothing(org):
    customer = make_customer(org.rep, name="甲公司", city="杭州")
    before = row_counts()
    with pytest.raises(ValidationFailed) as caught:
        update_customer(actor=org.rep, customer=customer, data={"city": "宁波", "email": "x@"})
    assert list(caught.value.field_errors) == ["email"]
    customer.refresh_from_db()
    assert customer.city == "杭州"
    assert row_counts() == before


@pytest.mark.parametrize("protected", ["owner", "team", "deleted_at", "created_at", "id"])
def test_an_update_refuses_protected_fields(org, protected):
    customer = make_customer(org.rep)
    before = row_counts()
    with pytest.raises(ValidationFailed) as caught:
        update_customer(actor=org.rep, customer=customer, data={protected: None})
    assert caught.value.field_errors == {
        protected: ["This field is unknown or cannot be set here."]
    }
    assert row_counts() == before


# --- assign -------------------------------------------------------------------------------


def test_a_manager_assigns_a_customer_within_the_team(org):
    customer = make_customer(org.rep)
    assign_customer_owner(actor=org.manager, customer=customer, owner=org.branch_rep)
    customer.refresh_from_db()
    assert customer.owner == org.branch_rep
    assert customer.team == org.branch
    assert audit_for(customer)[-1].changes == {
        "owner": [org.rep.pk, org.branch_rep.pk],
        "team": [org.team.pk, org.branch.pk],
    }


def test_a_manager_takes_a_pool_customer_for_a_team_member(org):
    customer = make_customer(org.rep)
    assign_customer_owner(actor=org.rep, customer=customer, owner=None)
    assign_customer_owner(actor=org.manager, customer=customer, owner=org.rep)
    customer.refresh_from_db()
    assert customer.owner == org.rep


def test_a_rep_cannot_assign_a_customer(org):
    customer = make_customer(org.rep)
    before = row_counts()
    with pytest.raises(PermissionDenied) as caught:
        assign_customer_owner(actor=org.rep, customer=customer, owner=org.branch_rep)
    assert caught.value.message == "Only a manager or an administrator can assign customers."
    customer.refresh_from_db()
    assert customer.owner == org.rep
    assert row_counts() == before


def test_a_rep_cannot_release_another_reps_customer(org):
    customer = make_customer(org.branch_rep)
    with pytest.raises(PermissionDenied):
        assign_customer_owner(actor=org.rep, customer=customer, owner=None)
    customer.refresh_from_db()
    assert customer.owner == org.branch_rep


def test_an_owner_releases_their_customer_to_the_pool(org):
    customer = make_customer(org.rep)
    assign_customer_owner(actor=org.rep, customer=customer, owner=None)
    customer.refresh_from_db()
    assert customer.owner is None
    assert customer.team == org.team
    entry = audit_for(customer)[-1]
    assert entry.actor == org.rep
    assert entry.changes == {"owner": [org.rep.pk, None]}


def test_a_manager_cannot_assign_to_a_user_outside_their_teams(org):
    customer = make_customer(org.rep)
    before = row_counts()
    with pytest.raises(ValidationFailed) as caught:
        assign_customer_owner(actor=org.manager, customer=customer, owner=org.other_rep)
    assert caught.value.field_errors == {"owner": ["You cannot assign customers to this user."]}
    customer.refresh_from_db()
    assert customer.owner == org.rep
    assert row_counts() == before


def test_an_admin_assigns_to_anyone(org, admin):
    customer = make_customer(org.rep)
    assign_customer_owner(actor=admin, customer=customer, owner=org.other_rep)
    customer.refresh_from_db()
    assert customer.owner == org.other_rep
    assert customer.team == org.other_team


def test_assigning_to_the_current_owner_writes_no_audit_entry(org):
    customer = make_customer(org.rep)
    assign_customer_owner(actor=org.manager, customer=customer, owner=org.rep)
    assert [entry.action for entry in audit_for(customer)] == [AuditAction.CREATE]


def test_other_roles_cannot_assign_customers(org):
    service = make_user(role=Role.SERVICE, team=org.team)
    customer = make_customer(org.rep)
    with pytest.raises(PermissionDenied):
        assign_customer_owner(actor=service, customer=customer, owner=service)


# --- delete -------------------------------------------------------------------------------


def test_deleting_a_customer_moves_it_and_its_children_to_the_bin_in_one_batch(org):
    customer = make_customer(org.rep)
    contact = make_contact(customer)
    activity = make_activity(customer, contact=contact.pk)
    task = make_task(org.rep, customer=customer.pk)
    other = make_customer(org.rep)
    other_contact = make_contact(other)

    batch = delete_customer(actor=org.rep, customer=customer)

    for record in (customer, contact, activity, task):
        record.refresh_from_db()
        assert record.deleted_at is not None
        assert record.deleted_by == org.rep
        assert record.deletion_batch == batch
    assert len({customer.deleted_at, contact.deleted_at, activity.deleted_at, task.deleted_at}) == 1
    other.refresh_from_db()
    other_contact.refresh_from_db()
    assert other.deleted_at is None
    assert other_contact.deleted_at is None
    # Soft delete: every row is still there.
    assert Customer.objects.count() == 2
    assert Contact.objects.count() == 2
    assert Activity.objects.count() == 1
    assert Task.objects.count() == 1


def test_deleting_a_customer_is_audited_once_with_the_number_of_children(org):
    customer = make_customer(org.rep)
    make_contact(customer)
    make_contact(customer)
    make_activity(customer)
    delete_customer(actor=org.rep, customer=customer)
    [entry] = audit_for(customer, AuditAction.DELETE)
    assert entry.actor == org.rep
    assert entry.note == "3 related records moved to the recycle bin with it"
    assert entry.customer_id == customer.pk


def test_a_contact_deleted_earlier_keeps_its_own_batch_when_the_customer_is_deleted(org):
    customer = make_customer(org.rep)
    early = make_contact(customer)
    first_batch = delete_contact(actor=org.rep, contact=early)
    second_batch = delete_customer(actor=org.manager, customer=customer)
    early.refresh_from_db()
    assert early.deletion_batch == first_batch
    assert early.deleted_by == org.rep
    assert first_batch != second_batch


# --- contacts -----------------------------------------------------------------------------


def test_a_contact_is_created_with_normalised_phones_and_audited(org):
    customer = make_customer(org.rep)
    contact = create_contact(
        actor=org.rep,
        customer=customer,
        data={
            "name": "王经理",
            "title": "采购经理",
            "mobile": "139 0000 0001",
            "phone": "010-12345678",
            "email": "Wang@Example.com",
            "birthday": "1985-06-01",
        },
    )
    contact.refresh_from_db()
    assert contact.mobile == "+8613900000001"
    assert contact.phone == "+861012345678"
    assert contact.email == "wang@example.com"
    assert contact.birthday.isoformat() == "1985-06-01"
    [entry] = audit_for(contact)
    assert entry.action == AuditAction.CREATE
    assert entry.customer_id == customer.pk
    assert entry.changes == {
        "name": [None, "王经理"],
        "title": [None, "采购经理"],
        "mobile": [None, "+8613900000001"],
        "phone": [None, "+861012345678"],
        "email": [None, "wang@example.com"],
        "birthday": [None, "1985-06-01"],
        "is_primary": [None, False],
    }


def test_an_invalid_contact_is_refused_and_nothing_is_written(org):
    customer = make_customer(org.rep)
    before = row_counts()
    with pytest.raises(ValidationFailed) as caught:
        create_contact(
            actor=org.rep, customer=customer, data={"name": "", "mobile": "1381234", "x": 1}
        )
    assert caught.value.field_errors == {"x": ["This field is unknown or cannot be set here."]}
    with pytest.raises(ValidationFailed) as caught:
        create_contact(actor=org.rep, customer=customer, data={"name": "", "mobile": "1381234"})
    assert sorted(caught.value.field_errors) == ["mobile", "name"]
    assert row_counts() == before


def test_only_one_contact_is_primary(org):
    customer = make_customer(org.rep)
    first = make_contact(customer, is_primary=True)
    second = make_contact(customer, is_primary=True)
    elsewhere = make_contact(make_customer(org.rep), is_primary=True)
    first.refresh_from_db()
    elsewhere.refresh_from_db()
    assert first.is_primary is False
    assert second.is_primary is True
    assert elsewhere.is_primary is True

    update_contact(actor=org.rep, contact=first, data={"is_primary": True})
    second.refresh_from_db()
    assert second.is_primary is False


def test_a_contact_update_is_partial_and_records_the_diff(org):
    customer = make_customer(org.rep)
    contact = make_contact(customer, name="李四", title="工程师", mobile="13900000001")
    update_contact(actor=org.manager, contact=contact, data={"title": "总监"})
    contact.refresh_from_db()
    assert contact.title == "总监"
    assert contact.mobile == "+8613900000001"
    entry = audit_for(contact)[-1]
    assert entry.actor == org.manager
    assert entry.customer_id == customer.pk
    assert entry.changes == {"title": ["工程师", "总监"]}


def test_an_invalid_contact_update_writes_nothing(org):
    contact = make_contact(make_customer(org.rep), title="工程师")
    before = row_counts()
    with pytest.raises(ValidationFailed):
        update_contact(actor=org.rep, contact=contact, data={"title": "总监", "email": "bad"})
    contact.refresh_from_db()
    assert contact.title == "工程师"
    assert row_counts() == before


def test_deleting_a_contact_is_soft_and_audited(org):
    customer = make_customer(org.rep)
    contact = make_contact(customer)
    batch = delete_contact(actor=org.rep, contact=contact)
    contact.refresh_from_db()
    assert contact.deleted_at is not None
    assert contact.deletion_batch == batch
    [entry] = audit_for(contact, AuditAction.DELETE)
    assert entry.customer_id == customer.pk
    assert AuditEntry.objects.filter(action=AuditAction.DELETE).count() == 1


# --- model helpers ------------------------------------------------------------------------


def test_a_customer_shows_its_phone_and_region_for_people(org):
    customer = make_customer(org.rep, phone="0571-87654321", province="浙江", city="杭州")
    assert customer.phone_display == "0571 8765 4321"
    assert customer.region == "浙江 杭州"
    assert make_customer(org.rep, city="杭州").region == "杭州"
    assert customer.is_deleted is False
    delete_customer(actor=org.rep, customer=customer)
    customer.refresh_from_db()
    assert customer.is_deleted is True


def test_a_contact_shows_its_phones_for_people(org):
    contact = make_contact(make_customer(org.rep), mobile="13900000001", phone="010-12345678")
    assert contact.mobile_display == "139 0000 0001"
    assert contact.phone_display == "010 1234 5678"
