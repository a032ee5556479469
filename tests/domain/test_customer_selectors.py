"""Who sees which customers and contacts, and how lists are searched, filtered and paged.
One set of selectors answers for every door."""

import datetime

import pytest
from django.utils import timezone

from tend.accounts.models import User
from tend.core.errors import NotFound, ValidationFailed
from tend.core.pagination import capped_count
from tend.customers.actions import (
    assign_customer_owner,
    delete_contact,
    delete_customer,
)
from tend.customers.models import Customer
from tend.customers.selectors import (
    CUSTOMER_ORDERINGS,
    CustomerFilters,
    access_contact,
    access_customer,
    customer_contacts,
    customer_page,
    filter_customers,
    visible_contacts,
    visible_customers,
)
from tests.factories import make_contact, make_customer


def pooled(owner, **data):
    customer = make_customer(owner, **data)
    return assign_customer_owner(actor=owner, customer=customer, owner=None)


@pytest.fixture
def book(org, admin):
    """One customer per owner, and one in the public pool."""

    class Book:
        pass

    b = Book()
    b.rep = make_customer(org.rep, name="rep 的客户")
    b.branch_rep = make_customer(org.branch_rep, name="branch_rep 的客户")
    b.manager = make_customer(org.manager, name="manager 的客户")
    b.other_rep = make_customer(org.other_rep, name="other_rep 的客户")
    b.other_manager = make_customer(org.other_manager, name="other_manager 的客户")
    b.admin = make_customer(admin, name="admin 的客户")
    b.pool = pooled(org.other_rep, name="公海客户")
    return b


def names(queryset):
    return sorted(queryset.values_list("name", flat=True))


# --- visibility ---------------------------------------------------------------------------


def test_a_rep_sees_their_own_customers_and_the_pool_only(org, book):
    assert names(visible_customers(org.rep)) == ["rep 的客户", "公海客户"]


def test_a_manager_sees_their_team_the_nested_branch_and_the_pool(org, book):
    assert names(visible_customers(org.manager)) == [
        "branch_rep 的客户",
        "manager 的客户",
        "rep 的客户",
        "公海客户",
    ]


def test_another_manager_does_not_see_the_first_managers_team(org, book):
    assert names(visible_customers(org.other_manager)) == [
        "other_manager 的客户",
        "other_rep 的客户",
        "公海客户",
    ]


def test_an_admin_sees_every_customer(org, admin, book):
    assert visible_customers(admin).count() == 7


def test_a_customer_assigned_to_a_team_is_visible_to_its_manager(org, book):
    # Owned by someone outside the team but booked on the branch: the manager still sees it.
    Customer.objects.filter(pk=book.other_rep.pk).update(team=org.branch)
    assert "other_rep 的客户" in names(visible_customers(org.manager))
    assert "other_rep 的客户" not in names(visible_customers(org.rep))


def test_deleted_customers_are_visible_to_no_one(org, admin, book):
    delete_customer(actor=org.rep, customer=book.rep)
    delete_customer(actor=org.rep, customer=book.pool)
    for user in (org.rep, org.manager, admin):
        assert "rep 的客户" not in names(visible_customers(user))
        assert "公海客户" not in names(visible_customers(user))


def test_access_customer_returns_a_visible_customer(org, book):
    assert access_customer(org.rep, book.rep.pk) == book.rep
    assert access_customer(org.rep, str(book.pool.pk)) == book.pool
    assert access_customer(org.manager, book.branch_rep.pk) == book.branch_rep


@pytest.mark.parametrize("owner", ["branch_rep", "other_rep", "manager", "admin"])
def test_access_customer_answers_not_found_for_a_customer_the_user_may_not_see(org, book, owner):
    with pytest.raises(NotFound):
        access_customer(org.rep, getattr(book, owner).pk)


def test_access_customer_answers_not_found_for_a_deleted_customer(org, admin, book):
    delete_customer(actor=org.rep, customer=book.rep)
    for user in (org.rep, org.manager, admin):
        with pytest.raises(NotFound):
            access_customer(user, book.rep.pk)


@pytest.mark.parametrize("bad_id", [999_999, "abc", None, "1; drop table"])
def test_access_customer_answers_not_found_for_nonsense_ids(org, book, bad_id):
    with pytest.raises(NotFound):
        access_customer(org.rep, bad_id)


def test_contacts_are_visible_with_their_customer(org, book):
    own = make_contact(book.rep, name="张三")
    theirs = make_contact(book.other_rep, name="李四")
    pool = make_contact(book.pool, name="王五", actor=org.other_rep)
    assert set(visible_contacts(org.rep)) == {own, pool}
    assert access_contact(org.rep, own.pk) == own
    with pytest.raises(NotFound):
        access_contact(org.rep, theirs.pk)
    assert access_contact(org.other_manager, theirs.pk) == theirs


def test_deleted_contacts_and_contacts_of_deleted_customers_are_not_found(org, book):
    gone = make_contact(book.rep)
    orphan = make_contact(book.pool, actor=org.other_rep)
    delete_contact(actor=org.rep, contact=gone)
    delete_customer(actor=org.rep, customer=book.pool)
    for contact in (gone, orphan):
        with pytest.raises(NotFound):
            access_contact(org.rep, contact.pk)
    assert list(visible_contacts(org.rep)) == []


def test_customer_contacts_lists_live_contacts_primary_first(org):
    customer = make_customer(org.rep)
    make_contact(customer, name="A 助理")
    make_contact(customer, name="B 总经理", is_primary=True)
    gone = make_contact(customer, name="C 离职")
    delete_contact(actor=org.rep, contact=gone)
    assert [c.name for c in customer_contacts(customer)] == ["B 总经理", "A 助理"]


# --- filters ------------------------------------------------------------------------------


@pytest.fixture
def market(org):
    """Customers of the rep, with the fields the list filters on."""

    class Market:
        pass

    m = Market()
    m.xihu = make_customer(
        org.rep,
        name="杭州西湖科技有限公司",
        phone="13812345678",
        province="浙江",
        city="杭州",
        source="exhibition",
        tags=["VIP"],
    )
    m.huawei = make_customer(
        org.rep,
        name="Huawei Technologies",
        phone="010-12345678",
        email="sales@huawei.com",
        province="广东",
        city="深圳",
        source="referral",
        tags=["VIP", "重点"],
    )
    m.ningbo = make_customer(
        org.rep, name="宁波港务", province="浙江", city="宁波", source="exhibition"
    )
    m.branch = make_customer(org.branch_rep, name="杭州分部客户", city="杭州", phone="13900000001")
    m.pool = pooled(org.rep, name="杭州公海客户", city="杭州")
    return m


def found(user, **filters):
    return names(filter_customers(user, CustomerFilters(**filters)))


def test_no_filter_lists_every_visible_customer(org, market):
    assert found(org.rep) == [
        "Huawei Technologies",
        "宁波港务",
        "杭州公海客户",
        "杭州西湖科技有限公司",
    ]


@pytest.mark.parametrize("query", ["西湖", "杭州西湖", " 西湖 ", "科技有限"])
def test_search_by_part_of_the_name(org, market, query):
    assert found(org.rep, query=query) == ["杭州西湖科技有限公司"]


def test_name_search_ignores_latin_case(org, market):
    assert found(org.rep, query="huawei") == ["Huawei Technologies"]
    assert found(org.rep, query="TECHNO") == ["Huawei Technologies"]


def test_name_search_stays_within_the_users_scope(org, market):
    assert found(org.rep, query="杭州") == ["杭州公海客户", "杭州西湖科技有限公司"]
    assert found(org.manager, query="杭州") == [
        "杭州公海客户",
        "杭州分部客户",
        "杭州西湖科技有限公司",
    ]


@pytest.mark.parametrize(
    "query",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86 138 1234 5678",
        "+8613812345678",
        "1381234",
    ],
)
def test_search_by_mobile_in_several_spellings(org, market, query):
    assert found(org.rep, query=query) == ["杭州西湖科技有限公司"]


@pytest.mark.parametrize("query", ["010-12345678", "010 1234 5678", "01012345678", "010-1234"])
def test_search_by_landline_in_several_spellings(org, market, query):
    assert found(org.rep, query=query) == ["Huawei Technologies"]


def test_a_phone_search_does_not_reach_other_reps_customers(org, market):
    assert found(org.rep, query="13900000001") == []
    assert found(org.manager, query="139 0000 0001") == ["杭州分部客户"]


@pytest.mark.parametrize("query", ["sales@huawei.com", "Sales@Huawei.COM"])
def test_search_by_email(org, market, query):
    assert found(org.rep, query=query) == ["Huawei Technologies"]


def test_an_email_search_matches_the_whole_address_only(org, market):
    assert found(org.rep, query="@huawei.com") == []


def test_filter_by_owner(org, market):
    assert found(org.rep, owner="me") == ["Huawei Technologies", "宁波港务", "杭州西湖科技有限公司"]
    assert found(org.rep, owner="pool") == ["杭州公海客户"]
    assert found(org.manager, owner=str(org.branch_rep.pk)) == ["杭州分部客户"]
    assert found(org.manager, owner="me") == []
    # Another owner's id never widens the scope.
    assert found(org.rep, owner=str(org.branch_rep.pk)) == []
    assert found(org.rep, owner="nobody") == []


def test_filter_by_team(org, market):
    assert found(org.manager, team=org.branch.pk) == ["杭州分部客户"]
    assert found(org.manager, team=org.team.pk) == [
        "Huawei Technologies",
        "宁波港务",
        "杭州公海客户",
        "杭州西湖科技有限公司",
    ]
    assert found(org.rep, team=org.branch.pk) == []


def test_filter_by_tag(org, market):
    assert found(org.rep, tag="VIP") == ["Huawei Technologies", "杭州西湖科技有限公司"]
    assert found(org.rep, tag="重点") == ["Huawei Technologies"]
    assert found(org.rep, tag="没有") == []


def test_filter_by_region_and_source(org, market):
    assert found(org.rep, province="浙江") == ["宁波港务", "杭州西湖科技有限公司"]
    assert found(org.rep, city="杭州") == ["杭州公海客户", "杭州西湖科技有限公司"]
    assert found(org.rep, province="浙江", city="宁波") == ["宁波港务"]
    assert found(org.rep, source="exhibition") == ["宁波港务", "杭州西湖科技有限公司"]
    assert found(org.rep, source="referral", tag="VIP") == ["Huawei Technologies"]


def test_filters_combine(org, market):
    assert found(org.rep, query="杭州", owner="me", city="杭州", tag="VIP") == [
        "杭州西湖科技有限公司"
    ]


# --- pagination ---------------------------------------------------------------------------


@pytest.fixture
def shelf(org):
    """Fourteen of the rep's customers with ties in every sort key, missing last contacts, and
    timestamps that differ by microseconds inside one millisecond."""
    base = timezone.now().replace(microsecond=0) - datetime.timedelta(days=3)
    micro = datetime.timedelta(microseconds=1)
    plan = [
        # name, created_at offset, updated_at offset, last_contact_at offset (None = never)
        ("甲", 0, 0, None),
        ("乙", 0, 0, 10),
        ("丙", 100, 5, 10),
        ("Alpha", 200, 5, None),
        ("alpha", 300, 5, 20),
        ("Beta", 300, 300, 21),
        ("甲", 301, 301, 22),
        ("丁", 1000, 1000, None),
        ("丁", 1000, 1000, None),
        ("戊", 1001, 1001, 1001),
        ("己", 5000, 5000, 1001),
        ("庚", 5000, 2, 1002),
        ("辛", 99999, 3, None),
        ("Zeta", 100000, 4, 3),
    ]
    ids = []
    for name, created, updated, contacted in plan:
        customer = make_customer(org.rep, name=name)
        Customer.objects.filter(pk=customer.pk).update(
            created_at=base + created * micro,
            updated_at=base + updated * micro,
            last_contact_at=None if contacted is None else base + contacted * micro,
        )
        ids.append(customer.pk)
    # Someone else's customers are never on the rep's pages.
    make_customer(org.other_rep, name="甲")
    return ids


def walk(user, ordering, limit, filters=None):
    seen, cursor, pages = [], None, 0
    while True:
        page = customer_page(
            user, filters or CustomerFilters(), ordering=ordering, cursor=cursor, limit=limit
        )
        pages += 1
        assert len(page.items) <= limit
        assert page.ordering == ordering
        seen.extend(customer.pk for customer in page.items)
        cursor = page.next_cursor
        if cursor is None:
            return seen, pages
        assert pages < 100, "pagination does not end"


def python_order(ordering):
    field = ordering.lstrip("-")
    customers = list(Customer.objects.filter(owner__username="rep"))
    live = [c for c in customers if getattr(c, field) is not None]
    missing = [c for c in customers if getattr(c, field) is None]
    descending = ordering.startswith("-")
    # Ties are broken by id in the same direction as the value; missing values come last.
    live.sort(key=lambda c: (getattr(c, field), c.pk), reverse=descending)
    return [c.pk for c in live + sorted(missing, key=lambda c: c.pk, reverse=descending)]


@pytest.mark.parametrize("ordering", CUSTOMER_ORDERINGS)
@pytest.mark.parametrize("limit", [1, 2, 3, 5, 14, 50])
def test_keyset_pages_walk_every_row_exactly_once_in_order(org, shelf, ordering, limit):
    reference = customer_page(
        org.rep, CustomerFilters(), ordering=ordering, cursor=None, limit=1000
    )
    reference_ids = [customer.pk for customer in reference.items]
    assert reference.next_cursor is None
    assert sorted(reference_ids) == sorted(shelf)

    seen, pages = walk(org.rep, ordering, limit)

    assert seen == reference_ids
    assert len(seen) == len(set(seen)) == 14
    assert pages == -(-14 // limit)  # a last page that is exactly full has no next cursor


@pytest.mark.parametrize("ordering", ["-created_at", "-updated_at", "-last_contact_at"])
def test_time_orderings_are_newest_first_with_missing_values_last(org, shelf, ordering):
    page = customer_page(org.rep, CustomerFilters(), ordering=ordering, cursor=None, limit=1000)
    assert [customer.pk for customer in page.items] == python_order(ordering)


def test_a_page_that_is_exactly_full_says_whether_more_follow(org, shelf):
    first = customer_page(org.rep, CustomerFilters(), ordering="name", cursor=None, limit=7)
    second = customer_page(
        org.rep, CustomerFilters(), ordering="name", cursor=first.next_cursor, limit=7
    )
    assert len(first.items) == 7
    assert first.next_cursor is not None
    assert len(second.items) == 7
    assert second.next_cursor is None


def test_pages_follow_the_filters(org, shelf):
    seen, _pages = walk(org.rep, "name", 2, CustomerFilters(query="丁"))
    assert len(seen) == 2
    assert {Customer.objects.get(pk=pk).name for pk in seen} == {"丁"}


def test_an_unknown_ordering_falls_back_to_recently_updated(org, shelf):
    page = customer_page(
        org.rep, CustomerFilters(), ordering="owner__password", cursor=None, limit=3
    )
    assert page.ordering == "-updated_at"
    assert [c.pk for c in page.items] == python_order("-updated_at")[:3]


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "!!!",
        "eyJhIjoxfQ",  # {"a":1}
        "WzFd",  # [1]
        "WyJhYmMiLDFd",  # ["abc",1]: not a date
        "WyIyMDI0LTAxLTAxIiwieCJd",  # ["2024-01-01","x"]: not an id
        "W1sxXSwxXQ",  # [[1],1]
    ],
)
def test_a_forged_cursor_is_refused(org, shelf, cursor):
    with pytest.raises(ValidationFailed) as caught:
        customer_page(org.rep, CustomerFilters(), ordering="-created_at", cursor=cursor, limit=3)
    assert caught.value.field_errors == {"cursor": ["Invalid cursor."]}


def test_capped_count_counts_up_to_the_cap(org, shelf):
    rows = visible_customers(org.rep)
    assert capped_count(rows) == (14, False)
    assert capped_count(rows, cap=14) == (14, False)
    assert capped_count(rows, cap=13) == (13, True)
    assert capped_count(rows, cap=3) == (3, True)
    assert capped_count(rows.filter(name="丁"), cap=3) == (2, False)
    assert capped_count(rows.none()) == (0, False)


@pytest.mark.parametrize("limit", [3, 14])
def test_a_page_costs_the_same_queries_however_many_rows_it_shows(
    org, shelf, limit, django_assert_num_queries
):
    rep = User.objects.get(pk=org.rep.pk)
    manager = User.objects.get(pk=org.manager.pk)
    # The rep: which teams they manage (none), then the page with its owners.
    with django_assert_num_queries(2):
        page = customer_page(rep, CustomerFilters(), ordering="name", cursor=None, limit=limit)
        owners = {customer.owner.display_name for customer in page.items}
    assert owners == {org.rep.display_name}
    # A manager: managed teams, the teams below them, their members, then the page.
    with django_assert_num_queries(4):
        page = customer_page(manager, CustomerFilters(), ordering="name", cursor=None, limit=limit)
        owners = {customer.owner.display_name for customer in page.items}
    assert owners == {org.rep.display_name}
    assert len(page.items) == limit


def test_name_search_ignores_full_width_and_ascii_spaces_alike(org):
    spaced = make_customer(org.rep, name="华为\u3000技术 有限公司")

    def found(query):
        return list(filter_customers(org.rep, CustomerFilters(query=query)))

    assert found("华为技术") == [spaced]
    assert found("技术有限") == [spaced]
    assert found("为 技") == [spaced]
