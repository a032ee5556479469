"""Feedback pages: the list with filters and counts, recording feedback, the feedback page
with its escalation history, escalating and resolving with field errors, editing, deleting,
the customer's tab, and query counts."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tend.service.actions import change_feedback_status, escalate_feedback
from tend.service.models import Feedback, FeedbackEscalation
from tests.factories import make_customer
from tests.factories_service import make_feedback, make_ticket
from tests.web.helpers import field_errors, input_value

HTMX = {"HTTP_HX_REQUEST": "true"}
ANCHOR = timezone.now().replace(microsecond=0) - datetime.timedelta(days=5)


def _subjects(response) -> list[str]:
    return re.findall(
        r'<td class="cell-title"[^>]*><a href="/feedback/\d+/">([^<]+)</a>',
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
def complaint(customer):
    return make_feedback(customer, kind="complaint", subject="送货太慢", at=ANCHOR)


def test_the_list_shows_visible_feedback_with_filters_and_counts(rep_client, customer, foreign):
    make_feedback(customer, kind="complaint", subject="投诉", severity="critical", at=ANCHOR)
    make_feedback(customer, kind="praise", subject="表扬", at=ANCHOR + datetime.timedelta(hours=1))
    make_feedback(foreign.customer, subject="别人的投诉")
    url = reverse("web:feedback_list")
    response = rep_client.get(url)
    assert _subjects(response) == ["表扬", "投诉"]
    page = response.content.decode()
    assert "别人的投诉" not in page
    assert re.search(r"New <span class=\"count\">2</span>", page)
    assert _subjects(rep_client.get(url + "?kind=complaint")) == ["投诉"]
    assert _subjects(rep_client.get(url + "?ordering=severity")) == ["投诉", "表扬"]
    assert _subjects(rep_client.get(url + "?severity=low")) == ["表扬"]
    assert _subjects(rep_client.get(url + f"?customer={customer.pk}&open=1")) == ["表扬", "投诉"]
    assert (
        "No feedback matches these filters."
        in rep_client.get(url + "?status=closed").content.decode()
    )
    assert "<html" not in rep_client.get(url, **HTMX).content.decode()


def test_recording_feedback_from_the_customer_and_from_its_ticket(rep, rep_client, customer):
    ticket = make_ticket(customer, subject="打印机故障")
    form = rep_client.get(
        reverse("web:feedback_create") + f"?customer={customer.pk}&ticket={ticket.pk}"
    )
    assert input_value(form, "customer") == str(customer.pk)
    assert re.search(
        rf'<option value="{ticket.pk}" selected>打印机故障</option>', form.content.decode()
    )
    response = rep_client.post(
        reverse("web:feedback_create"),
        {
            "customer": customer.pk,
            "kind": "complaint",
            "severity": "high",
            "subject": "维修太慢",
            "ticket": ticket.pk,
            "contact": "",
            "description": "",
        },
    )
    feedback = Feedback.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:feedback_detail", args=[feedback.pk])
    assert (feedback.kind, feedback.severity, feedback.ticket, feedback.created_by) == (
        "complaint",
        "high",
        ticket,
        rep,
    )


def test_the_feedback_form_shows_field_errors(rep_client, customer):
    response = rep_client.post(
        reverse("web:feedback_create"),
        {"customer": customer.pk, "kind": "", "subject": "", "description": "留着"},
    )
    assert response.status_code == 422
    assert field_errors(response, "kind") == ["This field is required."]
    assert "留着" in response.content.decode()
    assert not Feedback.objects.exists()


def test_choosing_the_customer_first(rep_client, customer):
    page = rep_client.get(reverse("web:feedback_create") + "?q=青木").content.decode()
    assert "Which customer is the feedback from?" in page
    assert f'href="?customer={customer.pk}"' in page


def test_escalating_needs_a_reason_and_is_listed_in_the_history(rep_client, complaint):
    url = reverse("web:feedback_escalate", args=[complaint.pk])
    refused = rep_client.post(url, {"to_level": "manager", "reason": ""})
    assert refused.status_code == 422
    assert field_errors(refused, "reason") == ["This field is required."]
    assert not FeedbackEscalation.objects.exists()
    done = rep_client.post(url, {"to_level": "manager", "reason": "客户要求主管回电"}, follow=True)
    page = done.content.decode()
    assert "The feedback was escalated to “Manager”." in page
    assert "客户要求主管回电" in page
    assert "Agent → Manager" in page
    # Only higher levels are offered now.
    assert re.findall(r'<option value="(\w+)"', page.split('name="to_level"')[1].split("</select>")[0]) == ["executive"]  # fmt: skip
    downward = rep_client.post(url, {"to_level": "agent", "reason": "降级"})
    assert downward.status_code == 422
    assert field_errors(downward, "to_level") == [
        "Feedback only escalates upwards; it is already at “Manager”."
    ]


def test_resolving_a_complaint_asks_for_its_resolution(rep_client, complaint):
    url = reverse("web:feedback_status", args=[complaint.pk])
    refused = rep_client.post(url, {"status": "resolved", "resolution": ""})
    assert refused.status_code == 422
    assert field_errors(refused, "resolution") == [
        "A complaint needs a resolution before it is resolved or closed."
    ]
    complaint.refresh_from_db()
    assert complaint.status == "new"
    resolved = rep_client.post(url, {"status": "resolved", "resolution": "已补发"}, follow=True)
    assert "The feedback is now “Resolved”." in resolved.content.decode()
    complaint.refresh_from_db()
    assert (complaint.status, complaint.resolution) == ("resolved", "已补发")
    page = resolved.content.decode()
    assert f'action="/feedback/{complaint.pk}/escalate/"' not in page


def test_closed_feedback_offers_no_more_moves(rep, rep_client, complaint):
    change_feedback_status(actor=rep, feedback=complaint, status="closed", resolution="已处理")
    page = rep_client.get(reverse("web:feedback_detail", args=[complaint.pk])).content.decode()
    assert f'action="/feedback/{complaint.pk}/status/"' not in page
    assert f'action="/feedback/{complaint.pk}/escalate/"' not in page
    response = rep_client.post(
        reverse("web:feedback_status", args=[complaint.pk]), {"status": "in_progress"}
    )
    assert response.status_code == 422
    assert "This feedback is closed and cannot change any more." in response.content.decode()


def test_editing_and_deleting_feedback(rep_client, complaint):
    url = reverse("web:feedback_edit", args=[complaint.pk])
    assert input_value(rep_client.get(url), "subject") == "送货太慢"
    saved = rep_client.post(
        url, {"kind": "complaint", "severity": "high", "subject": "送货很慢", "description": ""}
    )
    assert saved.status_code == 302
    complaint.refresh_from_db()
    assert (complaint.subject, complaint.severity) == ("送货很慢", "high")
    bad = rep_client.post(url, {"kind": "rant", "subject": "x"})
    assert bad.status_code == 422
    assert field_errors(bad, "kind") == [
        "Select a valid choice. rant is not one of the available choices."
    ]
    deleted = rep_client.post(reverse("web:feedback_delete", args=[complaint.pk]))
    assert deleted["Location"] == reverse("web:feedback_list")
    complaint.refresh_from_db()
    assert complaint.is_deleted


def test_another_reps_feedback_pages_are_not_found(rep_client, foreign):
    feedback = make_feedback(foreign.customer, subject="别人的投诉")
    for name in ("feedback_detail", "feedback_edit"):
        assert rep_client.get(reverse(f"web:{name}", args=[feedback.pk])).status_code == 404
    for name in ("feedback_status", "feedback_escalate", "feedback_delete"):
        response = rep_client.post(
            reverse(f"web:{name}", args=[feedback.pk]),
            {"status": "closed", "to_level": "manager", "reason": "x"},
        )
        assert response.status_code == 404
    feedback.refresh_from_db()
    assert (feedback.status, feedback.escalation_level, feedback.is_deleted) == (
        "new",
        "agent",
        False,
    )


def test_the_customer_tab_lists_its_feedback(rep_client, customer):
    make_feedback(customer, subject="建议甲", kind="suggestion")
    make_feedback(customer, subject="投诉乙", kind="complaint")
    page = rep_client.get(
        reverse("web:customer_tab", args=[customer.pk, "feedback"]), **HTMX
    ).content.decode()
    assert "建议甲" in page and "投诉乙" in page
    assert "1 complaint in the last 90 days" in page
    assert f"/feedback/new/?customer={customer.pk}" in page


def test_list_tab_and_page_queries_do_not_grow_with_rows(rep, rep_client, customer):
    first = make_feedback(customer, subject="反馈0")
    urls = [
        reverse("web:feedback_list"),
        reverse("web:feedback_list") + "?ordering=severity&kind=complaint&open=1",
        reverse("web:customer_tab", args=[customer.pk, "feedback"]),
        reverse("web:feedback_detail", args=[first.pk]),
    ]
    small = [_queries(rep_client, url) for url in urls]
    levels = ["manager", "executive"]
    for number in range(1, 30):
        other = make_customer(rep, name=f"客户{number}")
        item = make_feedback(other if number % 2 else customer, subject=f"反馈{number}")
        escalate_feedback(
            actor=rep, feedback=item, data={"to_level": levels[number % 2], "reason": "急"}
        )
    escalate_feedback(actor=rep, feedback=first, data={"to_level": "manager", "reason": "一"})
    escalate_feedback(actor=rep, feedback=first, data={"to_level": "executive", "reason": "二"})
    big = [_queries(rep_client, url) for url in urls]
    assert big == small
    assert max(big) <= 12
