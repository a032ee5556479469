"""The 跟进中 lock in the selectors every door reads through: while a customer stands in a state
of the LOCKED category, only its owner, the owner's managers and admins see its details;
anyone else who sees it at all sees its name, its owner and that it is locked."""

import pytest

from tend.activities.selectors import (
    access_activity,
    access_task,
    visible_activities,
    visible_tasks,
)
from tend.core.errors import CustomerLocked, DuplicateFound, NotFound
from tend.customers.actions import assign_customer_owner, create_customer
from tend.customers.selectors import (
    CustomerFilters,
    access_contact,
    access_customer,
    customer_page,
    filter_customers,
    locked_for,
    visible_contacts,
    visible_customers,
)
from tend.deals.selectors import access_deal, visible_deals
from tend.service.selectors import access_ticket, visible_tickets
from tend.status.models import State, StateCategory
from tend.status.selectors import stale_states
from tests.factories_lock import DETAILS, NAME, fresh, lock, lock_cast, locked_state, unlock

pytestmark = pytest.mark.django_db

RECORDS = {
    "contact": (visible_contacts, access_contact),
    "activity": (visible_activities, access_activity),
    "task": (visible_tasks, access_task),
    "deal": (visible_deals, access_deal),
    "ticket": (visible_tickets, access_ticket),
}


@pytest.fixture
def cast(org, admin):
    return lock_cast(org, admin)


def listed(user, **filters):
    """{customer id: locked} of what the customer list shows the user."""
    return dict(filter_customers(user, CustomerFilters(**filters)).values_list("id", "locked"))


def test_the_owner_the_owners_managers_and_admins_see_a_locked_customer_in_full(cast):
    for reader in cast.full_readers:
        assert access_customer(reader, cast.customer.pk) == cast.customer
        assert visible_customers(reader).filter(pk=cast.customer.pk).exists()
        assert listed(reader)[cast.customer.pk] is False
        for name, (visible, access) in RECORDS.items():
            record = cast.records[name]
            assert visible(reader).filter(pk=record.pk).exists(), (reader, name)
            assert access(reader, record.pk) == record


def test_a_manager_who_sees_it_through_its_team_sees_its_name_and_owner_only(cast):
    reader = cast.team_manager
    assert listed(reader) == {cast.customer.pk: True}
    with pytest.raises(CustomerLocked) as refused:
        access_customer(reader, cast.customer.pk)
    error = refused.value.as_dict()
    assert error["code"] == "locked" and refused.value.status == 403
    assert NAME in error["message"] and cast.owner.display_name in error["message"]
    assert not visible_customers(reader).filter(pk=cast.customer.pk).exists()
    for name, (visible, access) in RECORDS.items():
        record = cast.records[name]
        assert not visible(reader).filter(pk=record.pk).exists(), name
        with pytest.raises(NotFound):
            access(reader, record.pk)


def test_someone_who_cannot_see_it_at_all_still_cannot(cast):
    assert listed(cast.stranger) == {}
    with pytest.raises(NotFound):
        access_customer(cast.stranger, cast.customer.pk)


def test_moving_it_out_of_follow_up_restores_every_view(cast):
    unlock(cast.customer, cast.owner)
    reader = fresh(cast.team_manager)
    assert listed(reader) == {cast.customer.pk: False}
    assert access_customer(reader, cast.customer.pk) == cast.customer
    for name, (visible, _access) in RECORDS.items():
        assert visible(reader).filter(pk=cast.records[name].pk).exists(), name
    lock(cast.customer, cast.owner)
    with pytest.raises(CustomerLocked):
        access_customer(reader, cast.customer.pk)


def test_the_lock_follows_the_states_category_not_its_key(cast):
    state = locked_state()
    State.objects.filter(pk=state.pk).update(key="renamed", label_zh="改名", label_en="Renamed")
    assert listed(cast.team_manager) == {cast.customer.pk: True}
    State.objects.filter(pk=state.pk).update(category=StateCategory.OPEN)
    assert listed(cast.team_manager) == {cast.customer.pk: False}


@pytest.mark.parametrize(
    "filters",
    [
        {"query": DETAILS["phone"]},
        {"query": DETAILS["phone"][:5]},
        {"query": DETAILS["email"]},
        {"tag": DETAILS["tag"]},
        {"province": "浙江"},
        {"source": "exhibition"},
    ],
    ids=["phone", "phone-prefix", "email", "tag", "province", "source"],
)
def test_a_search_by_what_the_lock_hides_does_not_find_it(cast, filters):
    """Otherwise a search would tell its phone, tags or region, a prefix at a time."""
    assert listed(cast.team_manager, **filters) == {}
    assert listed(cast.owners_manager, **filters) == {cast.customer.pk: False}


def test_a_search_by_name_owner_or_team_finds_it_locked(cast, org):
    for filters in ({"query": "锁定科技"}, {"owner": str(cast.owner.pk)}, {"team": org.team.pk}):
        assert listed(cast.team_manager, **filters) == {cast.customer.pk: True}, filters


def test_a_duplicate_says_the_customer_is_taken_and_by_whom_nothing_more(cast):
    """撞单: whoever enters the same phone learns that it is taken, by whom, and locked."""
    for actor in (cast.stranger, cast.team_manager):
        with pytest.raises(DuplicateFound) as found:
            create_customer(actor=actor, data={"name": "另一家", "phone": DETAILS["phone"]})
        error = found.value.as_dict()
        assert error["existing_id"] is None
        assert cast.owner.display_name in error["message"] and "locked" in error["message"]
        assert NAME not in str(error)
    with pytest.raises(DuplicateFound) as found:
        create_customer(
            actor=cast.owners_manager, data={"name": "另一家", "phone": DETAILS["phone"]}
        )
    assert found.value.as_dict()["existing_id"] == cast.customer.pk
    assert NAME in found.value.as_dict()["message"]


def test_a_locked_customer_released_to_the_pool_is_locked_to_no_one(cast):
    assign_customer_owner(actor=cast.owner, customer=cast.customer, owner=None)
    for reader in (cast.team_manager, cast.stranger):
        reader = fresh(reader)
        assert access_customer(reader, cast.customer.pk).pk == cast.customer.pk
        assert listed(reader)[cast.customer.pk] is False


def test_locked_for_names_the_same_customers_whatever_the_scope(cast, org):
    """The rule itself, outside any scope: the stranger is not the owner nor manages them."""
    from tend.customers.models import Customer

    def locked(user):
        return set(Customer.objects.filter(locked_for(user)).values_list("id", flat=True))

    assert locked(cast.stranger) == {cast.customer.pk}
    assert locked(cast.team_manager) == {cast.customer.pk}
    for reader in cast.full_readers:
        assert locked(reader) == set()


def test_the_status_review_hides_a_locked_customer_from_the_locked_reader(cast):
    def reviewed(user):
        return {
            row.customer_id
            for _dimension, _count, rows in stale_states(user, days=0)
            for row in rows
        }

    assert cast.customer.pk in reviewed(cast.owners_manager)
    assert cast.customer.pk not in reviewed(cast.team_manager)


def test_the_list_marks_locked_customers_in_a_fixed_number_of_queries(
    org, admin, django_assert_num_queries
):
    cast = lock_cast(org, admin, others=6)
    others = cast.others
    reader = fresh(cast.team_manager)

    def page():
        return customer_page(
            reader, CustomerFilters(), ordering="name", cursor=None, limit=25
        ).items

    # the managed teams and their subtree, their members, the page (each row's lock an
    # EXISTS inside it)
    with django_assert_num_queries(4):
        assert {c.pk: c.locked for c in page()} == {
            cast.customer.pk: True,
            **{c.pk: False for c in others},
        }
    for customer in others:
        lock(customer, cast.owner)
    reader = fresh(reader)
    with django_assert_num_queries(4):
        assert all(c.locked for c in page())


def test_a_leads_duplicate_candidate_is_named_by_its_owner_only_when_locked(cast):
    from tend.leads.selectors import duplicate_candidates
    from tests.factories_leads import make_lead

    lead = make_lead(cast.team_manager, name="新线索", phone=DETAILS["phone"])

    def candidates(reader):
        return [
            (c.record.pk, c.matched_on, c.visible)
            for c in duplicate_candidates(reader, lead).customers
        ]

    assert candidates(cast.team_manager) == [(cast.customer.pk, ["phone"], False)]
    assert candidates(cast.owners_manager) == [(cast.customer.pk, ["phone"], True)]
