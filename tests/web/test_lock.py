"""The 跟进中 lock in the web pages: the list, search, the customer page and every page under
it, the records reached by id, the export and the duplicate check on create."""

import pytest
from django.urls import reverse

from tend.activities.models import Activity, Task
from tend.audit.models import AuditEntry
from tend.customers.models import Contact, Customer
from tend.status.models import CustomerState
from tend.web.tabs import customer_tabs
from tests.factories_lock import DETAILS, NAME, lock, lock_cast, unlock
from tests.web.helpers import signed_in_client
from tests.web.test_exports import column, csv_rows, xlsx_rows

pytestmark = pytest.mark.django_db

SHOWN_DETAILS = [DETAILS["phone_display"], DETAILS["tag"]]  # what the list shows of a customer
PAGE_DETAILS = [
    DETAILS["phone_display"],
    DETAILS["email"],
    DETAILS["industry"],
    DETAILS["address"],
    DETAILS["tag"],
    DETAILS["contact"],
    DETAILS["activity"],
    DETAILS["task"],
]


@pytest.fixture
def cast(org, admin):
    return lock_cast(org, admin)


def page(client, url, params=None) -> str:
    response = client.get(url, params or {})
    assert response.status_code == 200
    return response.content.decode()


def test_the_list_shows_a_locked_customer_by_name_and_owner_only(cast):
    shown = page(signed_in_client(cast.team_manager), reverse("web:customer_list"))
    assert NAME in shown and cast.owner.display_name in shown
    assert 'class="locked-row"' in shown and "In follow-up by its owner" in shown
    assert [text for text in SHOWN_DETAILS if text in shown] == []
    for reader in cast.full_readers:
        shown = page(signed_in_client(reader), reverse("web:customer_list"))
        assert NAME in shown and 'class="locked-row"' not in shown
        assert all(text in shown for text in SHOWN_DETAILS), reader


def test_a_search_finds_it_by_name_never_by_what_the_lock_hides(cast):
    client = signed_in_client(cast.team_manager)
    url = reverse("web:customer_list")
    assert 'class="locked-row"' in page(client, url, {"q": "锁定科技"})
    for query in (DETAILS["phone"], DETAILS["email"]):
        assert NAME not in page(client, url, {"q": query})
    assert NAME not in page(client, url, {"tag": DETAILS["tag"]})
    owners_manager = signed_in_client(cast.owners_manager)
    assert NAME in page(owners_manager, url, {"q": DETAILS["phone"]})


def test_its_page_says_locked_in_follow_up_by_its_owner(cast):
    response = signed_in_client(cast.team_manager).get(
        reverse("web:customer_detail", args=[cast.customer.pk])
    )
    assert response.status_code == 403
    shown = response.content.decode()
    assert NAME in shown
    assert f"Locked: in follow-up by {cast.owner.display_name}." in shown
    assert [text for text in PAGE_DETAILS if text in shown] == []
    for reader in cast.full_readers:
        shown = page(
            signed_in_client(reader), reverse("web:customer_detail", args=[cast.customer.pk])
        )
        assert all(text in shown for text in PAGE_DETAILS), reader


def test_the_locked_page_speaks_chinese_too(cast):
    response = signed_in_client(cast.team_manager, language="zh-hans").get(
        reverse("web:customer_detail", args=[cast.customer.pk])
    )
    assert response.status_code == 403
    assert '<html lang="zh-hans">' in response.content.decode()


def _customer_requests(pk):
    customer_pages = [
        reverse("web:customer_detail", args=[pk]),
        reverse("web:customer_edit", args=[pk]),
        reverse("web:customer_timeline", args=[pk]),
        reverse("web:customer_history", args=[pk]),
        reverse("web:contact_create", args=[pk]),
        reverse("web:task_create") + f"?customer={pk}",
        *(reverse("web:customer_tab", args=[pk, tab.key]) for tab in customer_tabs()),
    ]
    writes = [
        (reverse("web:customer_edit", args=[pk]), {"name": "改名", "kind": "company"}),
        (reverse("web:customer_delete", args=[pk]), {}),
        (reverse("web:customer_assign", args=[pk]), {"owner": ""}),
        (reverse("web:contact_create", args=[pk]), {"name": "插入"}),
        (
            reverse("web:activity_create", args=[pk]),
            {"kind": "call", "occurred_at": "2024-01-01T10:00", "summary": "插入"},
        ),
        (reverse("web:customer_status_change", args=[pk]), {"dimension": "", "state": ""}),
        (reverse("web:customer_status_tick", args=[pk]), {}),
    ]
    return customer_pages, writes


def _record_requests(records):
    return [
        ("get", reverse("web:contact_edit", args=[records["contact"].pk])),
        ("post", reverse("web:contact_delete", args=[records["contact"].pk])),
        ("post", reverse("web:activity_delete", args=[records["activity"].pk])),
        ("get", reverse("web:task_edit", args=[records["task"].pk])),
        ("post", reverse("web:task_toggle", args=[records["task"].pk])),
        ("get", reverse("web:deal_detail", args=[records["deal"].pk])),
        ("get", reverse("web:ticket_detail", args=[records["ticket"].pk])),
    ]


def _state(customer):
    return (
        list(Customer.objects.filter(pk=customer.pk).values()),
        list(Contact.objects.filter(customer=customer).values()),
        list(Activity.objects.filter(customer=customer).values()),
        list(Task.objects.filter(customer=customer).values()),
        list(CustomerState.objects.filter(customer=customer).values("state_id")),
        AuditEntry.objects.count(),
    )


def test_every_page_of_a_locked_customer_answers_locked_and_changes_nothing(cast):
    client = signed_in_client(cast.team_manager)
    before = _state(cast.customer)
    reads, writes = _customer_requests(cast.customer.pk)
    for url in reads:
        response = client.get(url)
        assert response.status_code == 403, url
        shown = response.content.decode()
        assert "Locked: in follow-up by" in shown, url
        assert [text for text in PAGE_DETAILS if text in shown] == [], url
    for url, data in writes:
        assert client.post(url, data).status_code == 403, url
    assert _state(cast.customer) == before


def test_its_records_reached_by_id_are_not_found(cast):
    client = signed_in_client(cast.team_manager)
    before = _state(cast.customer)
    for method, url in _record_requests(cast.records):
        assert getattr(client, method)(url).status_code == 404, url
    assert _state(cast.customer) == before
    owner = signed_in_client(cast.owner)
    for method, url in _record_requests(cast.records):
        if method == "get":
            assert owner.get(url).status_code == 200, url


def test_record_lists_leave_its_records_out(cast):
    lists = {
        # My tasks: the owner's task shows in the owner's list only.
        reverse("web:task_list"): (DETAILS["task"], cast.owner),
        reverse("web:deal_list"): (DETAILS["deal"], cast.owners_manager),
        reverse("web:ticket_list"): (DETAILS["ticket"], cast.owners_manager),
    }
    for url, (text, full_reader) in lists.items():
        assert text not in page(signed_in_client(cast.team_manager), url), url
        assert text in page(signed_in_client(full_reader), url), url


def test_unlocking_restores_its_page(cast):
    client = signed_in_client(cast.team_manager)
    url = reverse("web:customer_detail", args=[cast.customer.pk])
    unlock(cast.customer, cast.owner)
    assert all(text in page(client, url) for text in PAGE_DETAILS)
    assert 'class="locked-row"' not in page(client, reverse("web:customer_list"))
    lock(cast.customer, cast.owner)
    assert client.get(url).status_code == 403


def test_the_export_holds_its_id_name_and_owner_and_says_it_is_locked(cast):
    url = reverse("web:customer_export")
    for export_format, read in (("csv", csv_rows), ("xlsx", xlsx_rows)):
        rows = read(signed_in_client(cast.team_manager).get(url, {"format": export_format}))
        assert len(rows) == 2
        row = dict(zip(rows[0], rows[1], strict=True))
        kept = {"Id": row["Id"], "Name": row["Name"], "Owner": row["Owner"], "Locked": "Yes"}
        assert kept == {
            "Id": cast.customer.pk if export_format == "xlsx" else str(cast.customer.pk),
            "Name": NAME,
            "Owner": cast.owner.display_name,
            "Locked": row["Locked"],
        }
        assert row["Locked"] == "Yes"
        assert [name for name, value in row.items() if name not in kept and value] == []
        full = read(signed_in_client(cast.owners_manager).get(url, {"format": export_format}))
        assert column(full, "Locked") == ["No"]
        assert column(full, "Email address") == [DETAILS["email"]]


def test_creating_a_duplicate_says_it_is_taken_and_by_whom(cast):
    for reader in (cast.stranger, cast.team_manager):
        response = signed_in_client(reader).post(
            reverse("web:customer_create"),
            {"kind": "company", "name": "另一家公司", "phone": DETAILS["phone"]},
        )
        assert response.status_code == 409
        shown = response.content.decode()
        message = (
            "A customer with this value already exists and is locked: it is in follow-up by "
            f"{cast.owner.display_name}."
        )
        assert message in shown
        assert NAME not in shown
        assert reverse("web:customer_detail", args=[cast.customer.pk]) not in shown


def test_the_list_with_locked_rows_reads_a_fixed_number_of_queries(
    org, admin, django_assert_max_num_queries
):
    from tests.web.test_query_counts import LIST_QUERIES, _queries

    cast = lock_cast(org, admin, others=8)
    client = signed_in_client(cast.team_manager)
    url = reverse("web:customer_list")
    one_locked = _queries(client, url)
    for customer in cast.others:
        lock(customer, cast.owner)
    assert page(client, url).count('class="locked-row"') == 9
    # Fewer, if anything: no tags are read for a locked row.
    assert _queries(client, url) <= one_locked
    with django_assert_max_num_queries(LIST_QUERIES):
        client.get(url)


def test_choosing_the_customer_of_a_new_order_leaves_a_locked_one_out(cast):
    url = reverse("web:order_create")
    assert NAME not in page(signed_in_client(cast.team_manager), url, {"q": "锁定"})
    assert NAME in page(signed_in_client(cast.owners_manager), url, {"q": "锁定"})
    unlock(cast.customer, cast.owner)
    assert NAME in page(signed_in_client(cast.team_manager), url, {"q": "锁定"})
