"""Every page renders for a signed-in user and sends anonymous users to the login page."""

import pytest
from django.urls import reverse

from tend.accounts.actions import create_api_token
from tend.customers.actions import create_custom_field_definition, delete_customer
from tests.web.helpers import signed_in_client


def _page_urls(customer, contact, task):
    return [
        reverse("web:customer_list"),
        reverse("web:customer_create"),
        reverse("web:customer_detail", args=[customer.pk]),
        reverse("web:customer_edit", args=[customer.pk]),
        reverse("web:contact_create", args=[customer.pk]),
        reverse("web:contact_edit", args=[contact.pk]),
        reverse("web:task_list"),
        reverse("web:task_list") + "?done=1",
        reverse("web:task_create"),
        reverse("web:task_create") + f"?customer={customer.pk}",
        reverse("web:task_edit", args=[task.pk]),
        reverse("web:recycle_bin"),
        reverse("web:account"),
    ]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_page_renders_for_a_signed_in_user(rep, customer, language):
    client = signed_in_client(rep, language=language)
    contact = customer.contacts.get()
    task = customer.tasks.get()
    for url in _page_urls(customer, contact, task):
        response = client.get(url)
        assert response.status_code == 200, url
        assert f'<html lang="{language}">' in response.content.decode(), url


def test_pages_show_their_records(rep_client, customer):
    detail = rep_client.get(reverse("web:customer_detail", args=[customer.pk])).content.decode()
    assert "杭州青木科技有限公司" in detail
    assert "王芳" in detail
    assert "初次电话沟通" in detail
    assert "发送报价" in detail
    assert "138 1234 5678" in detail
    tasks = rep_client.get(reverse("web:task_list")).content.decode()
    assert "发送报价" in tasks
    listing = rep_client.get(reverse("web:customer_list")).content.decode()
    assert "杭州青木科技有限公司" in listing
    assert "重点" in listing


def test_admin_pages_render(admin, rep, customer):
    client = signed_in_client(admin)
    create_custom_field_definition(
        actor=admin,
        data={"key": "budget", "label_zh": "预算", "label_en": "Budget", "field_type": "number"},
    )
    assert client.get(reverse("web:custom_fields")).status_code == 200
    assert client.get(reverse("web:customer_detail", args=[customer.pk])).status_code == 200
    form = client.get(reverse("web:customer_create")).content.decode()
    assert 'name="cf_budget"' in form
    assert "Budget" in form


def test_recycle_bin_lists_deleted_records(rep, rep_client, customer):
    delete_customer(actor=rep, customer=customer)
    page = rep_client.get(reverse("web:recycle_bin")).content.decode()
    assert "杭州青木科技有限公司" in page
    assert reverse("web:recycle_restore", args=["customer", customer.pk]) in page


def test_home_redirects_to_the_customer_list(rep_client):
    response = rep_client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:customer_list")


def test_login_page_is_public_and_has_the_language_switch(client):
    response = client.get(reverse("web:login"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="username"' in page
    assert reverse("web:language") in page


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_login(client, rep, customer):
    contact = customer.contacts.get()
    task = customer.tasks.get()
    create_api_token(user=rep, name="x")
    urls = [*_page_urls(customer, contact, task), "/", reverse("web:custom_fields")]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("web:login") + "?next="), url


@pytest.mark.django_db
def test_anonymous_writes_are_sent_to_login_and_change_nothing(client, rep, customer):
    from tend.audit.models import AuditEntry

    contact = customer.contacts.get()
    task = customer.tasks.get()
    activity = customer.activities.get()
    token, _raw = create_api_token(user=rep, name="x")
    audit_before = AuditEntry.objects.count()
    posts = [
        reverse("web:customer_create"),
        reverse("web:customer_edit", args=[customer.pk]),
        reverse("web:customer_delete", args=[customer.pk]),
        reverse("web:customer_assign", args=[customer.pk]),
        reverse("web:contact_create", args=[customer.pk]),
        reverse("web:contact_edit", args=[contact.pk]),
        reverse("web:contact_delete", args=[contact.pk]),
        reverse("web:activity_create", args=[customer.pk]),
        reverse("web:activity_delete", args=[activity.pk]),
        reverse("web:task_create"),
        reverse("web:task_edit", args=[task.pk]),
        reverse("web:task_toggle", args=[task.pk]),
        reverse("web:task_delete", args=[task.pk]),
        reverse("web:recycle_restore", args=["customer", customer.pk]),
        reverse("web:account"),
        reverse("web:account_token_revoke", args=[token.pk]),
        reverse("web:custom_fields"),
        reverse("web:logout"),
    ]
    for url in posts:
        response = client.post(url, {"name": "匿名", "owner": ""})
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("web:login") + "?next="), url
    assert AuditEntry.objects.count() == audit_before
    customer.refresh_from_db()
    token.refresh_from_db()
    assert (customer.name, customer.owner, customer.deleted_at) == (
        "杭州青木科技有限公司",
        rep,
        None,
    )
    assert token.revoked_at is None
