"""Logging an activity in place on the customer page (HTMX), and without HTMX."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tend.activities.models import Activity
from tend.audit.models import AuditEntry
from tests.factories import make_activity, make_contact, make_customer
from tests.web.helpers import field_errors, page_language, signed_in_client

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "activity-section"}


@pytest.fixture
def customer(rep):
    return make_customer(rep, name="青木科技")


def _local(value: datetime.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def test_log_activity_with_htmx_returns_the_timeline_with_it(rep, rep_client, customer):
    contact = make_contact(customer, name="王芳")
    occurred = timezone.now().replace(second=0, microsecond=0) - datetime.timedelta(hours=1)
    response = rep_client.post(
        reverse("web:activity_create", args=[customer.pk]),
        {
            "kind": "visit",
            "occurred_at": _local(occurred),
            "summary": "上门拜访，确认需求",
            "outcome": "约定演示",
            "valid_communication": "on",
            "next_follow_up_on": "2099-01-15",
            "contact": str(contact.pk),
        },
        **HTMX,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" not in page
    assert 'id="activity-section"' in page
    assert "上门拜访，确认需求" in page
    assert "with 王芳" in page
    # A fresh form: the summary is empty again.
    assert re.search(r'<textarea name="summary"[^>]*>\s*</textarea>', page)
    # The time nodes are swapped out of band with the new last contact.
    assert 'id="time-nodes" hx-swap-oob="true"' in page
    activity = Activity.objects.get()
    assert activity.author == rep
    assert activity.contact == contact
    assert activity.valid_communication is True
    customer.refresh_from_db()
    assert customer.last_contact_at == occurred
    assert customer.first_contact_at == occurred
    assert customer.next_follow_up_on == datetime.date(2099, 1, 15)
    assert timezone.localtime(occurred).strftime("%Y-%m-%d %H:%M") in page


def test_log_activity_without_htmx_redirects_to_the_customer(rep_client, customer):
    response = rep_client.post(
        reverse("web:activity_create", args=[customer.pk]),
        {"kind": "call", "occurred_at": _local(timezone.now()), "summary": "电话"},
    )
    assert response.status_code == 302
    assert (
        response["Location"] == reverse("web:customer_detail", args=[customer.pk]) + "#activities"
    )
    assert Activity.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("summary", "", "This field is required."),
        ("occurred_at", "yesterday", "Enter a valid date/time."),
        ("occurred_at", "2999-01-01T10:00", "An activity cannot be logged in the future."),
        ("next_follow_up_on", "2025-02-30", "Enter a valid date."),
        ("kind", "telegram", "Select a valid choice."),
    ],
)
def test_bad_activity_is_shown_in_place_and_not_written(rep, customer, field, value, message):
    data = {"kind": "call", "occurred_at": _local(timezone.now()), "summary": "电话", field: value}
    for language in ("en", "zh-hans"):
        client = signed_in_client(rep, language=language)
        audit_before = AuditEntry.objects.count()
        response = client.post(reverse("web:activity_create", args=[customer.pk]), data, **HTMX)
        assert response.status_code == 422
        page = response.content.decode()
        assert "<html" not in page
        assert 'id="activity-section"' in page
        assert "hx-swap-oob" not in page
        errors = field_errors(response, field)
        assert len(errors) == 1
        if language == "en":
            assert errors[0].startswith(message)
        assert Activity.objects.count() == 0
        assert AuditEntry.objects.count() == audit_before
    customer.refresh_from_db()
    assert customer.last_contact_at is None


def test_bad_activity_without_htmx_shows_the_customer_page_with_errors(rep_client, customer):
    response = rep_client.post(
        reverse("web:activity_create", args=[customer.pk]),
        {"kind": "call", "occurred_at": "", "summary": "电话"},
    )
    assert response.status_code == 422
    assert page_language(response) == "en"
    assert "青木科技" in response.content.decode()
    assert field_errors(response, "occurred_at") == ["This field is required."]
    assert Activity.objects.count() == 0


def test_contact_of_another_customer_is_refused(rep, rep_client, customer):
    other = make_customer(rep, name="另一家")
    stranger = make_contact(other, name="外人")
    response = rep_client.post(
        reverse("web:activity_create", args=[customer.pk]),
        {
            "kind": "call",
            "occurred_at": _local(timezone.now()),
            "summary": "电话",
            "contact": str(stranger.pk),
        },
        **HTMX,
    )
    assert response.status_code == 422
    assert field_errors(response, "contact") == ["This contact does not belong to the customer."]
    assert Activity.objects.count() == 0


def test_delete_activity_refreshes_the_timeline_and_time_nodes(rep, rep_client, customer):
    older = make_activity(
        customer, summary="第一次", occurred_at=timezone.now() - datetime.timedelta(days=3)
    )
    newer = make_activity(customer, summary="第二次")
    response = rep_client.post(reverse("web:activity_delete", args=[newer.pk]), **HTMX)
    assert response.status_code == 200
    page = response.content.decode()
    assert "第一次" in page
    assert "第二次" not in page
    newer.refresh_from_db()
    assert newer.deleted_at is not None
    customer.refresh_from_db()
    assert customer.last_contact_at == older.occurred_at


def test_delete_activity_without_htmx_redirects(rep_client, customer):
    activity = make_activity(customer)
    response = rep_client.post(reverse("web:activity_delete", args=[activity.pk]))
    assert response.status_code == 302
    assert (
        response["Location"] == reverse("web:customer_detail", args=[customer.pk]) + "#activities"
    )


def test_activity_create_needs_post(rep_client, customer):
    response = rep_client.get(reverse("web:activity_create", args=[customer.pk]))
    assert response.status_code == 405
