"""A rep cannot see or change another rep's records through any page: every view answers 404
and nothing is written."""

import pytest
from django.urls import reverse

from tend.activities.models import Activity, Task
from tend.audit.models import AuditEntry
from tend.customers.actions import delete_customer
from tend.customers.models import Contact, Customer


def _requests(foreign):
    customer, contact, activity, task = (
        foreign.customer.pk,
        foreign.contact.pk,
        foreign.activity.pk,
        foreign.task.pk,
    )
    return [
        ("get", reverse("web:customer_detail", args=[customer]), {}),
        ("get", reverse("web:customer_edit", args=[customer]), {}),
        (
            "post",
            reverse("web:customer_edit", args=[customer]),
            {"name": "改名", "kind": "company"},
        ),
        ("post", reverse("web:customer_delete", args=[customer]), {}),
        ("post", reverse("web:customer_assign", args=[customer]), {"owner": ""}),
        ("get", reverse("web:contact_create", args=[customer]), {}),
        ("post", reverse("web:contact_create", args=[customer]), {"name": "插入"}),
        ("get", reverse("web:contact_edit", args=[contact]), {}),
        ("post", reverse("web:contact_edit", args=[contact]), {"name": "改名"}),
        ("post", reverse("web:contact_delete", args=[contact]), {}),
        (
            "post",
            reverse("web:activity_create", args=[customer]),
            {"kind": "call", "occurred_at": "2024-01-01T10:00", "summary": "插入"},
        ),
        ("post", reverse("web:activity_delete", args=[activity]), {}),
        ("get", reverse("web:task_create") + f"?customer={customer}", {}),
        (
            "post",
            reverse("web:task_create"),
            {"title": "插入", "due_at": "2099-01-01T10:00", "customer": str(customer)},
        ),
        ("get", reverse("web:task_edit", args=[task]), {}),
        (
            "post",
            reverse("web:task_edit", args=[task]),
            {"title": "改名", "due_at": "2099-01-01T10:00"},
        ),
        ("post", reverse("web:task_toggle", args=[task]), {"done": "1"}),
        ("post", reverse("web:task_delete", args=[task]), {}),
    ]


def _state():
    return (
        list(Customer.objects.values_list("id", "name", "owner_id", "deleted_at").order_by("id")),
        list(Contact.objects.values_list("id", "name", "deleted_at").order_by("id")),
        list(Activity.objects.values_list("id", "summary", "deleted_at").order_by("id")),
        list(Task.objects.values_list("id", "title", "done_at", "deleted_at").order_by("id")),
        AuditEntry.objects.count(),
    )


def test_every_record_view_answers_404_for_another_reps_records(rep_client, foreign):
    before = _state()
    for method, url, data in _requests(foreign):
        response = getattr(rep_client, method)(url, data)
        assert response.status_code == 404, (method, url)
        assert "深圳别家公司" not in response.content.decode(), url
    assert _state() == before


def test_htmx_requests_answer_404_too(rep_client, foreign):
    before = _state()
    for method, url, data in _requests(foreign):
        if method != "post":
            continue
        response = rep_client.post(url, data, HTTP_HX_REQUEST="true")
        assert response.status_code == 404, url
    assert _state() == before


def test_the_owner_sees_the_same_urls(other_rep, foreign):
    from tests.web.helpers import signed_in_client

    client = signed_in_client(other_rep)
    for url in (
        reverse("web:customer_detail", args=[foreign.customer.pk]),
        reverse("web:contact_edit", args=[foreign.contact.pk]),
        reverse("web:task_edit", args=[foreign.task.pk]),
    ):
        assert client.get(url).status_code == 200, url


def test_another_reps_records_never_appear_in_lists(rep_client, foreign):
    for url in (
        reverse("web:customer_list"),
        reverse("web:customer_list") + "?q=深圳",
        reverse("web:customer_list") + f"?owner={foreign.customer.owner_id}",
        reverse("web:task_list") + "?done=1",
        reverse("web:recycle_bin"),
    ):
        page = rep_client.get(url).content.decode()
        assert "深圳别家公司" not in page, url
        assert "别人的任务" not in page, url
    listing = rep_client.get(reverse("web:customer_list") + "?q=深圳").content.decode()
    assert "0 customers" in listing


@pytest.mark.parametrize("kind", ["customer", "contact", "activity", "task"])
def test_another_reps_deleted_records_cannot_be_restored(rep_client, other_rep, foreign, kind):
    delete_customer(actor=other_rep, customer=foreign.customer)
    record = {
        "customer": foreign.customer,
        "contact": foreign.contact,
        "activity": foreign.activity,
        "task": foreign.task,
    }[kind]
    response = rep_client.post(reverse("web:recycle_restore", args=[kind, record.pk]))
    assert response.status_code == 404
    foreign.customer.refresh_from_db()
    assert foreign.customer.deleted_at is not None


def test_unknown_recycle_bin_kind_is_404(rep_client):
    response = rep_client.post(reverse("web:recycle_restore", args=["invoice", 1]))
    assert response.status_code == 404
