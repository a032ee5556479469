"""Ticket pages: the list with filters, counts and keyset pages; opening a ticket from a
customer or after choosing one; the ticket page with its thread, status buttons and
satisfaction; editing, deleting; the customer's tab and timeline; query counts."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tend.service.actions import add_ticket_comment, change_ticket_status
from tend.service.models import Ticket, TicketComment
from tests.factories import make_contact, make_customer
from tests.factories_service import make_feedback, make_ticket
from tests.web.helpers import field_errors, input_value

HTMX = {"HTTP_HX_REQUEST": "true"}
ANCHOR = timezone.now().replace(microsecond=0) - datetime.timedelta(days=5)


def _subjects(response) -> list[str]:
    return re.findall(
        r'<td class="cell-title"[^>]*><a href="/tickets/\d+/">([^<]+)</a>',
        response.content.decode(),
    )


def _queries(client, url) -> int:
    client.get(url)  # the first request of a session writes its last-seen time; not counted
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.fixture
def customer(rep):
    return make_customer(rep, name="杭州青木科技")


@pytest.fixture
def ticket(customer):
    return make_ticket(customer, subject="打印机故障", description="无法开机", at=ANCHOR)


# --- the list ---------------------------------------------------------------------------------


def test_the_list_shows_visible_tickets_newest_first_with_counts(
    rep, rep_client, customer, foreign
):
    make_ticket(customer, subject="旧工单", at=ANCHOR)
    make_ticket(customer, subject="新工单", at=ANCHOR + datetime.timedelta(hours=1))
    make_ticket(foreign.customer, subject="别人的工单")
    response = rep_client.get(reverse("web:ticket_list"))
    assert response.status_code == 200
    assert _subjects(response) == ["新工单", "旧工单"]
    page = response.content.decode()
    assert "别人的工单" not in page
    assert re.search(r"Open <span class=\"count\">2</span>", page)
    assert "Average first response" in page


def test_the_list_filters_and_sorts(rep, rep_client, customer):
    make_ticket(customer, subject="普通", at=ANCHOR)
    make_ticket(
        customer, subject="紧急", priority="urgent", at=ANCHOR - datetime.timedelta(hours=1)
    )
    closed = make_ticket(customer, subject="已关闭", assignee=rep.pk, at=ANCHOR)
    change_ticket_status(actor=rep, ticket=closed, status="closed")
    url = reverse("web:ticket_list")
    assert _subjects(rep_client.get(url + "?ordering=priority"))[0] == "紧急"
    assert _subjects(rep_client.get(url + "?status=closed")) == ["已关闭"]
    assert _subjects(rep_client.get(url + "?assignee=me")) == ["已关闭"]
    assert set(_subjects(rep_client.get(url + "?open=1"))) == {"普通", "紧急"}
    assert _subjects(rep_client.get(url + "?priority=urgent")) == ["紧急"]
    empty = rep_client.get(url + "?status=nonsense")
    assert "No tickets match these filters." in empty.content.decode()


def test_the_list_narrowed_to_a_customer_names_it(rep_client, customer, foreign):
    make_ticket(customer, subject="本客户工单")
    response = rep_client.get(reverse("web:ticket_list") + f"?customer={customer.pk}")
    page = response.content.decode()
    assert "Tickets of 杭州青木科技" in page
    assert _subjects(response) == ["本客户工单"]
    hidden = rep_client.get(reverse("web:ticket_list") + f"?customer={foreign.customer.pk}")
    assert "深圳别家公司" not in hidden.content.decode()
    assert _subjects(hidden) == []


def test_the_list_pages_with_a_cursor_and_survives_a_damaged_one(rep_client, customer):
    for number in range(30):
        make_ticket(
            customer, subject=f"工单{number:02d}", at=ANCHOR + datetime.timedelta(minutes=number)
        )
    first = rep_client.get(reverse("web:ticket_list"))
    assert len(_subjects(first)) == 25
    next_link = re.search(r'rel="next" href="([^"]+)"', first.content.decode()).group(1)
    second = rep_client.get(reverse("web:ticket_list") + next_link.replace("&amp;", "&"))
    assert _subjects(second) == [f"工单{number:02d}" for number in range(4, -1, -1)]
    damaged = rep_client.get(reverse("web:ticket_list") + "?cursor=WyJhYmMiLDFd&ordering=priority")
    assert damaged.status_code == 200
    assert "That page link is no longer valid" in damaged.content.decode()


def test_htmx_gets_only_the_results(rep_client, customer):
    make_ticket(customer, subject="工单")
    response = rep_client.get(reverse("web:ticket_list") + "?status=open", **HTMX)
    page = response.content.decode()
    assert "<html" not in page
    assert _subjects(response) == ["工单"]
    assert "HX-Request" in response["Vary"]


# --- opening and editing ----------------------------------------------------------------------


def test_opening_a_ticket_starts_by_choosing_a_visible_customer(rep_client, customer, foreign):
    page = rep_client.get(reverse("web:ticket_create")).content.decode()
    assert "Which customer is the ticket for?" in page
    found = rep_client.get(reverse("web:ticket_create") + "?q=青木").content.decode()
    assert f'href="?customer={customer.pk}"' in found
    assert (
        "深圳别家公司"
        not in rep_client.get(reverse("web:ticket_create") + "?q=深圳").content.decode()
    )


def test_a_ticket_opened_from_the_customer_has_it_preselected(rep, rep_client, customer):
    contact = make_contact(customer, name="王芳")
    url = reverse("web:ticket_create") + f"?customer={customer.pk}"
    form = rep_client.get(url)
    assert input_value(form, "customer") == str(customer.pk)
    assert "王芳" in form.content.decode()
    response = rep_client.post(
        reverse("web:ticket_create"),
        {
            "customer": customer.pk,
            "subject": "打印机故障",
            "description": "无法开机",
            "priority": "high",
            "contact": contact.pk,
            "assignee": rep.pk,
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:ticket_detail", args=[ticket.pk])
    assert (ticket.customer, ticket.contact, ticket.priority, ticket.assignee) == (
        customer,
        contact,
        "high",
        rep,
    )


def test_the_form_shows_field_errors_and_keeps_the_input(rep_client, customer):
    response = rep_client.post(
        reverse("web:ticket_create"),
        {"customer": customer.pk, "subject": "", "description": "保留的描述", "priority": "x"},
    )
    assert response.status_code == 422
    assert field_errors(response, "subject") == ["This field is required."]
    assert field_errors(response, "priority") == [
        "Select a valid choice. x is not one of the available choices."
    ]
    assert "保留的描述" in response.content.decode()
    assert not Ticket.objects.exists()


def test_a_ticket_cannot_be_opened_on_someone_elses_customer(rep_client, foreign):
    response = rep_client.post(
        reverse("web:ticket_create"), {"customer": foreign.customer.pk, "subject": "x"}
    )
    assert response.status_code == 404
    assert rep_client.post(reverse("web:ticket_create"), {"subject": "x"}).status_code == 404
    assert not Ticket.objects.exists()


def test_editing_a_ticket(rep_client, ticket):
    url = reverse("web:ticket_edit", args=[ticket.pk])
    assert input_value(rep_client.get(url), "subject") == "打印机故障"
    response = rep_client.post(
        url, {"subject": "打印机无法开机", "priority": "urgent", "description": "", "contact": ""}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.subject, ticket.priority, ticket.description) == ("打印机无法开机", "urgent", "")
    bad = rep_client.post(url, {"subject": "", "priority": "urgent"})
    assert bad.status_code == 422
    assert field_errors(bad, "subject") == ["This field is required."]


def test_deleting_a_ticket_moves_it_to_the_bin(rep_client, ticket):
    response = rep_client.post(reverse("web:ticket_delete", args=[ticket.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("web:ticket_list")
    ticket.refresh_from_db()
    assert ticket.is_deleted
    assert rep_client.get(reverse("web:ticket_detail", args=[ticket.pk])).status_code == 404
    assert "打印机故障" in rep_client.get(reverse("web:recycle_bin")).content.decode()
    restored = rep_client.post(reverse("web:recycle_restore", args=["ticket", ticket.pk]))
    assert restored.status_code == 302
    ticket.refresh_from_db()
    assert not ticket.is_deleted


# --- the ticket page --------------------------------------------------------------------------


def test_the_ticket_page_shows_the_thread_status_buttons_and_history(rep, rep_client, ticket):
    add_ticket_comment(actor=rep, ticket=ticket, data={"body": "已安排工程师"})
    add_ticket_comment(actor=rep, ticket=ticket, data={"body": "备件待到", "public": False})
    page = rep_client.get(reverse("web:ticket_detail", args=[ticket.pk])).content.decode()
    assert "已安排工程师" in page and "备件待到" in page
    assert page.count('class="thread-message') == 2
    assert "Internal note" in page
    buttons = re.findall(r'name="status" value="([a-z_]+)"', page)
    assert buttons == ["in_progress", "waiting_on_customer", "resolved", "closed"]
    assert f'action="/tickets/{ticket.pk}/satisfaction/"' not in page
    assert 'class="history-entry"' in page


def test_adding_a_reply_with_htmx_swaps_the_thread_and_the_facts(rep_client, ticket):
    response = rep_client.post(
        reverse("web:ticket_comment", args=[ticket.pk]),
        {"body": "您好，已收到", "public": "on"},
        **HTMX,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert page.strip().startswith('<div id="ticket-thread"')
    assert "您好，已收到" in page
    assert 'id="ticket-facts" hx-swap-oob="true"' in page
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None


def test_an_unticked_public_box_adds_an_internal_note(rep_client, ticket):
    rep_client.post(reverse("web:ticket_comment", args=[ticket.pk]), {"body": "内部"})
    comment = TicketComment.objects.get()
    assert comment.public is False
    ticket.refresh_from_db()
    assert ticket.first_response_at is None


def test_an_empty_reply_shows_its_field_error(rep_client, ticket):
    htmx = rep_client.post(reverse("web:ticket_comment", args=[ticket.pk]), {"body": ""}, **HTMX)
    assert htmx.status_code == 422
    assert field_errors(htmx, "body") == ["This field is required."]
    plain = rep_client.post(reverse("web:ticket_comment", args=[ticket.pk]), {"body": " "})
    assert plain.status_code == 422
    assert field_errors(plain, "body") == ["This field is required."]
    assert "<html" in plain.content.decode()
    assert not TicketComment.objects.exists()


def test_a_status_button_moves_the_ticket_and_a_refused_move_says_why(rep_client, ticket):
    url = reverse("web:ticket_status", args=[ticket.pk])
    moved = rep_client.post(url, {"status": "resolved", "note": "已修复"}, follow=True)
    assert "The ticket is now “Resolved”." in moved.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "resolved"
    refused = rep_client.post(url, {"status": "in_progress"}, follow=True)
    assert "A ticket cannot move from “Resolved” to “In progress”." in refused.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "resolved"
    assert rep_client.get(url).status_code == 405


def test_satisfaction_is_asked_once_resolved_and_checked(rep, rep_client, ticket):
    change_ticket_status(actor=rep, ticket=ticket, status="resolved")
    page = rep_client.get(reverse("web:ticket_detail", args=[ticket.pk])).content.decode()
    assert f'action="/tickets/{ticket.pk}/satisfaction/"' in page
    url = reverse("web:ticket_rate", args=[ticket.pk])
    bad = rep_client.post(url, {"satisfaction": "", "satisfaction_comment": "好"})
    assert bad.status_code == 422
    assert field_errors(bad, "satisfaction") == ["This field is required."]
    good = rep_client.post(url, {"satisfaction": "5", "satisfaction_comment": "很及时"})
    assert good.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.satisfaction, ticket.satisfaction_comment) == (5, "很及时")


def test_satisfaction_on_an_open_ticket_is_a_field_error(rep_client, ticket):
    response = rep_client.post(reverse("web:ticket_rate", args=[ticket.pk]), {"satisfaction": "4"})
    assert response.status_code == 422
    assert field_errors(response, "satisfaction") == [
        "Satisfaction can be recorded once the ticket is resolved or closed."
    ]


def test_another_reps_ticket_pages_are_not_found(rep_client, foreign):
    ticket = make_ticket(foreign.customer, subject="别人的工单")
    for name in ("ticket_detail", "ticket_edit"):
        assert rep_client.get(reverse(f"web:{name}", args=[ticket.pk])).status_code == 404
    for name in ("ticket_status", "ticket_comment", "ticket_rate", "ticket_delete"):
        response = rep_client.post(reverse(f"web:{name}", args=[ticket.pk]), {"status": "closed"})
        assert response.status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == "open" and not ticket.is_deleted


# --- the customer page ------------------------------------------------------------------------


def test_the_customer_tab_lists_its_tickets_and_the_timeline_shows_them(rep_client, customer):
    make_ticket(customer, subject="工单甲")
    make_feedback(customer, subject="投诉乙")
    tab = rep_client.get(reverse("web:customer_tab", args=[customer.pk, "tickets"]), **HTMX)
    page = tab.content.decode()
    assert "工单甲" in page and "<html" not in page
    assert "1 open ticket" in page
    assert f"/tickets/new/?customer={customer.pk}" in page
    full = rep_client.get(reverse("web:customer_tab", args=[customer.pk, "tickets"]))
    assert "<html" in full.content.decode()
    detail = rep_client.get(reverse("web:customer_detail", args=[customer.pk])).content.decode()
    assert "Ticket opened" in detail and "工单甲" in detail
    assert "Complaint received" in detail and "投诉乙" in detail
    assert f'href="/customers/{customer.pk}/tabs/tickets/"' in detail


# --- query counts -----------------------------------------------------------------------------


def test_list_tab_and_page_queries_do_not_grow_with_rows(rep, rep_client, customer):
    urls = [
        reverse("web:ticket_list"),
        reverse("web:ticket_list") + "?ordering=priority&open=1&assignee=me",
        reverse("web:customer_tab", args=[customer.pk, "tickets"]),
    ]
    first = make_ticket(customer, subject="工单0", assignee=rep.pk)
    add_ticket_comment(actor=rep, ticket=first, data={"body": "回复0"})
    detail = reverse("web:ticket_detail", args=[first.pk])
    small = [_queries(rep_client, url) for url in [*urls, detail]]
    for number in range(1, 30):
        other = make_customer(rep, name=f"客户{number}")
        make_ticket(other if number % 2 else customer, subject=f"工单{number}", assignee=rep.pk)
        add_ticket_comment(actor=rep, ticket=first, data={"body": f"回复{number}"})
    big = [_queries(rep_client, url) for url in [*urls, detail]]
    assert big == small
    assert max(big) <= 14


@pytest.mark.parametrize(
    "path, status",
    [
        (f"/tickets/?customer={2**64}", 200),
        (f"/tickets/?assignee={2**64}", 200),
        ("/tickets/?assignee=nobody&status=<b>&priority=%00", 200),
        ("/tickets/?cursor=not-a-cursor", 200),
        (f"/tickets/new/?customer={2**64}", 404),
        (f"/tickets/{2**64}/", 404),
        (f"/feedback/?customer={2**64}&kind=x&severity=y", 200),
        ("/feedback/?cursor=WzEsImEiXQ&ordering=severity", 200),
    ],
)
def test_odd_ids_and_cursors_get_a_clear_answer(rep_client, customer, path, status):
    make_ticket(customer)
    assert rep_client.get(path).status_code == status
