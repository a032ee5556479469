"""Pages run a fixed number of queries however many rows they show."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tend.core.timeline import timeline_kinds
from tests.factories import make_activity, make_contact, make_customer, make_task

# Generous ceilings: what matters is that the count does not grow with the rows.
LIST_QUERIES = 12
# The customer page's own queries, plus one per kind of timeline event (each app's provider
# reads its events with one indexed query, however many it shows).
DETAIL_QUERIES = 16 + len(timeline_kinds())
TASK_QUERIES = 6


def _queries(client, url) -> int:
    client.get(url)  # the first request of a session writes its last-seen time; not counted
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


def _add_customers(owner, count, start=0):
    for number in range(start, start + count):
        make_customer(owner, name=f"客户{number:03d}", tags=f"标签{number % 4}, 重点")


def test_customer_list_queries_do_not_grow_with_customers(
    rep, rep_client, django_assert_max_num_queries
):
    url = reverse("web:customer_list")
    _add_customers(rep, 3)
    with_three = _queries(rep_client, url)
    _add_customers(rep, 27, start=3)
    with_thirty = _queries(rep_client, url)
    page = rep_client.get(url).content.decode()
    assert page.count('<td class="cell-title"') == 25
    assert with_thirty == with_three
    with django_assert_max_num_queries(LIST_QUERIES):
        rep_client.get(url)


def test_filtered_list_queries_do_not_grow(org, django_assert_max_num_queries):
    from tests.web.helpers import signed_in_client

    client = signed_in_client(org.manager)
    url = reverse("web:customer_list") + "?tag=重点&ordering=name&q=客户"
    _add_customers(org.rep, 3)
    with_three = _queries(client, url)
    _add_customers(org.branch_rep, 27, start=3)
    assert _queries(client, url) == with_three
    with django_assert_max_num_queries(LIST_QUERIES):
        client.get(url)


def _fill(customer, owner, count):
    for number in range(count):
        contact = make_contact(customer, name=f"联系人{number}")
        make_activity(customer, summary=f"跟进{number}", contact=contact.pk)
        make_task(owner, customer=customer.pk, title=f"任务{number}")


def test_customer_page_queries_do_not_grow_with_its_records(
    rep, rep_client, django_assert_max_num_queries
):
    small = make_customer(rep, name="小客户", tags="重点")
    big = make_customer(rep, name="大客户", tags="重点")
    _fill(small, rep, 1)
    _fill(big, rep, 20)
    small_queries = _queries(rep_client, reverse("web:customer_detail", args=[small.pk]))
    big_queries = _queries(rep_client, reverse("web:customer_detail", args=[big.pk]))
    page = rep_client.get(reverse("web:customer_detail", args=[big.pk])).content.decode()
    assert page.count('class="timeline-item') == 20
    assert page.count('class="task-row') == 20
    assert page.count('<li class="contact">') == 20
    # The history shows its newest entries; which names it looks up depends on what they are
    # (a creation names the owner), never on how many rows the page shows.
    assert big_queries <= small_queries
    with django_assert_max_num_queries(DETAIL_QUERIES):
        rep_client.get(reverse("web:customer_detail", args=[big.pk]))


def test_manager_customer_page_queries_do_not_grow(org, django_assert_max_num_queries):
    from tests.web.helpers import signed_in_client

    client = signed_in_client(org.manager)
    small = make_customer(org.rep, name="小客户")
    big = make_customer(org.rep, name="大客户")
    _fill(small, org.rep, 1)
    _fill(big, org.rep, 20)
    small_queries = _queries(client, reverse("web:customer_detail", args=[small.pk]))
    assert _queries(client, reverse("web:customer_detail", args=[big.pk])) <= small_queries
    with django_assert_max_num_queries(DETAIL_QUERIES):
        client.get(reverse("web:customer_detail", args=[big.pk]))


def test_task_list_queries_do_not_grow_with_tasks(rep, rep_client, django_assert_max_num_queries):
    customer = make_customer(rep, name="客户")
    make_task(rep, customer=customer.pk, title="任务0")
    url = reverse("web:task_list") + "?done=1"
    with_one = _queries(rep_client, url)
    for number in range(1, 20):
        make_task(rep, customer=customer.pk if number % 2 else None, title=f"任务{number}")
    assert _queries(rep_client, url) == with_one
    with django_assert_max_num_queries(TASK_QUERIES):
        rep_client.get(url)


def test_recycle_bin_queries_do_not_grow(rep, rep_client):
    from tend.customers.actions import delete_contact, delete_customer

    def delete_some(count, start):
        for number in range(start, start + count):
            customer = make_customer(rep, name=f"删除{number}")
            contact = make_contact(customer, name=f"联系人{number}")
            delete_contact(actor=rep, contact=contact)
            delete_customer(actor=rep, customer=customer)

    delete_some(1, 0)
    with_one = _queries(rep_client, reverse("web:recycle_bin"))
    delete_some(10, 1)
    assert _queries(rep_client, reverse("web:recycle_bin")) == with_one


def test_the_timeline_and_history_continue_on_later_pages(rep, rep_client):
    customer = make_customer(rep, name="老客户")
    for number in range(25):
        make_activity(customer, summary=f"第{number}次沟通")
    page = rep_client.get(reverse("web:customer_detail", args=[customer.pk])).content.decode()
    assert page.count('class="timeline-item') == 20
    assert "第24次沟通" in page
    assert "第4次沟通" not in page
    more = re.search(r'hx-get="(/customers/\d+/timeline/\?cursor=[^"]+)"', page).group(1)
    rest = rep_client.get(more.replace("&amp;", "&")).content.decode()
    assert rest.count('class="timeline-item') == 5
    assert "第0次沟通" in rest and "第24次沟通" not in rest

    history = rep_client.get(reverse("web:customer_history", args=[customer.pk]))
    assert history.status_code == 200
    assert history.content.decode().count('class="history-entry"') == 26
