"""Today's follow-ups (今日待跟进) page, and the grade asked for when logging a follow-up on the
customer page (S7)."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tend.activities.models import Activity
from tend.customers.models import Customer
from tend.status.actions import change_state
from tend.status.models import (
    CustomerState,
    Dimension,
    Door,
    SetBy,
    State,
    StateChange,
    Transition,
)
from tests.factories import make_activity, make_customer
from tests.web.helpers import field_errors, page_language, signed_in_client

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "activity-section"}
DAY = datetime.timedelta(days=1)


def grade(key):
    return State.objects.get(dimension__key="grade", key=key)


def graded(owner, key, days_ago, name=None):
    customer = make_customer(owner, **({"name": name} if name else {}))
    state = grade(key)
    change_state(
        actor=owner, customer=customer, dimension=state.dimension, state=state, door=Door.WEB
    )
    make_activity(customer, occurred_at=timezone.now() - days_ago * DAY)
    return customer


def _rows(page: str) -> list[str]:
    return re.findall(r'<tr class="follow-up-row" data-customer="(\d+)"', page)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["<h1>Today's follow-ups</h1>", "4 days overdue", "Due today", "every 7 days"]),
        # The page's own texts are translated with the catalogue; those already there show.
        ("zh-hans", ["最近联系", "我的待办"]),
    ],
)
def test_the_worklist_page_shows_the_reps_due_follow_ups_in_either_language(org, language, words):
    overdue = graded(org.rep, "A", 5, name="逾期的甲公司")
    due_today = graded(org.rep, "B", 7, name="今天到期的乙公司")
    graded(org.rep, "B", 1, name="下周才到期的丙公司")
    graded(org.other_rep, "A", 5, name="别人的丁公司")
    client = signed_in_client(org.rep, language=language)
    response = client.get(reverse("web:follow_up_list"))
    assert response.status_code == 200
    assert page_language(response) == language
    page = response.content.decode()
    assert _rows(page) == [str(overdue.pk), str(due_today.pk)]
    assert "逾期的甲公司" in page and "今天到期的乙公司" in page
    assert "下周才到期的丙公司" not in page and "别人的丁公司" not in page
    assert [word for word in words if word not in page] == []
    # The navigation leads there, marked as the current page.
    assert f'href="{reverse("web:follow_up_list")}" aria-current="page"' in page


def test_the_worklist_page_pages_and_survives_a_damaged_cursor(rep, rep_client):
    customers = [graded(rep, "C", 16 + number) for number in range(30)]
    url = reverse("web:follow_up_list")
    first = rep_client.get(url).content.decode()
    assert len(_rows(first)) == 25
    cursor = re.search(r'rel="next" href="\?cursor=([^"]+)"', first).group(1)
    second = rep_client.get(url, {"cursor": cursor}).content.decode()
    assert len(_rows(second)) == 5
    assert set(_rows(first) + _rows(second)) == {str(c.pk) for c in customers}
    damaged = rep_client.get(url, {"cursor": "garbage"})
    assert damaged.status_code == 200
    assert _rows(damaged.content.decode()) == _rows(first)


def test_the_worklist_page_queries_do_not_grow_with_its_rows(rep, rep_client):
    url = reverse("web:follow_up_list")

    def queries() -> int:
        rep_client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert rep_client.get(url).status_code == 200
        return len(captured)

    graded(rep, "A", 3)
    few = queries()
    for number in range(12):
        graded(rep, "B" if number % 2 else "C", 20)
    assert queries() == few
    assert few <= 6


def test_the_activity_form_asks_for_the_grade_with_the_current_one_chosen(rep, rep_client):
    customer = graded(rep, "C", 2)
    page = rep_client.get(reverse("web:customer_detail", args=[customer.pk])).content.decode()
    select = re.search(r'<select name="grade"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert re.findall(r'<option value="([^"]*)"', select) == ["A", "B", "C", "D", "E"]
    assert re.search(r'<option value="C"[^>]*selected', select)
    assert "Next follow-up due: " + (timezone.localdate() + 13 * DAY).isoformat() in page


def test_no_grade_is_asked_when_only_rules_set_it(rep, rep_client):
    customer = graded(rep, "C", 2)
    Dimension.objects.filter(pk=grade("C").dimension_id).update(set_by=SetBy.RULES)
    page = rep_client.get(reverse("web:customer_detail", args=[customer.pk])).content.decode()
    assert 'name="summary"' in page and 'name="grade"' not in page


def test_an_ungraded_customer_can_stay_ungraded(rep, rep_client):
    customer = make_customer(rep)
    page = rep_client.get(reverse("web:customer_detail", args=[customer.pk])).content.decode()
    select = re.search(r'<select name="grade"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert re.findall(r'<option value="([^"]*)"', select) == ["", "A", "B", "C", "D", "E"]
    response = rep_client.post(
        reverse("web:activity_create", args=[customer.pk]),
        {"kind": "call", "occurred_at": _local(timezone.now()), "summary": "电话", "grade": ""},
        **HTMX,
    )
    assert response.status_code == 200
    assert not CustomerState.objects.filter(customer=customer).exists()


def _local(value):
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def test_logging_a_follow_up_re_grades_the_customer_through_the_status_engine(rep, rep_client):
    customer = graded(rep, "C", 2)
    response = rep_client.post(
        reverse("web:activity_create", args=[customer.pk]),
        {
            "kind": "visit",
            "occurred_at": _local(timezone.now() - datetime.timedelta(hours=1)),
            "summary": "客户确认预算",
            "grade": "A",
        },
        **HTMX,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "The grade is now “A”." in page
    change = StateChange.objects.filter(customer=customer).latest("id")
    assert (change.from_state.key, change.to_state.key, change.door) == ("C", "A", Door.WEB)
    assert change.actor == rep
    assert Customer.objects.get(pk=customer.pk).follow_up_due_on == timezone.localdate() + DAY
    # The fresh form has the new grade chosen.
    assert re.search(r'<option value="A"[^>]*selected', page)


def test_a_refused_re_grade_is_shown_beside_the_grade_and_nothing_is_saved(rep, rep_client):
    customer = graded(rep, "C", 2)
    Transition.objects.filter(to_state=grade("A")).update(reason_required=True)
    activities, changes = Activity.objects.count(), StateChange.objects.count()
    data = {"kind": "call", "occurred_at": _local(timezone.now()), "summary": "电话", "grade": "A"}
    for extra in (HTMX, {}):
        response = rep_client.post(
            reverse("web:activity_create", args=[customer.pk]), data, **extra
        )
        assert response.status_code == 422
        assert field_errors(response, "grade") == ["Give a reason for this move."]
        # What was typed is kept.
        assert "电话" in response.content.decode()
    assert (Activity.objects.count(), StateChange.objects.count()) == (activities, changes)
    response = rep_client.post(
        reverse("web:activity_create", args=[customer.pk]),
        {**data, "grade_reason": "预算已批"},
    )
    assert response.status_code == 302
    assert StateChange.objects.filter(customer=customer).latest("id").reason == "预算已批"


def test_a_re_grade_waiting_for_approval_says_so(rep, rep_client):
    customer = graded(rep, "C", 2)
    Transition.objects.filter(to_state=grade("A")).update(approval_role="sales_manager")
    response = rep_client.post(
        reverse("web:activity_create", args=[customer.pk]),
        {"kind": "call", "occurred_at": _local(timezone.now()), "summary": "电话", "grade": "A"},
        **HTMX,
    )
    assert response.status_code == 200
    assert "The grade change waits for approval." in response.content.decode()
    assert Activity.objects.filter(customer=customer).count() == 2
