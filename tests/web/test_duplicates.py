"""A customer sharing a phone, email or credit code is refused with a way to the existing one,
and saved only when the user says so; the override is recorded."""

from django.urls import reverse

from tend.audit.models import AuditAction, AuditEntry
from tend.customers.models import Customer
from tests.factories import make_customer
from tests.web.helpers import field_errors


def test_duplicate_is_refused_then_saved_anyway(rep, rep_client):
    existing = make_customer(rep, name="青木科技", phone="13812345678")
    data = {"name": "青木科技（杭州）", "kind": "company", "phone": "138-1234-5678"}

    refused = rep_client.post(reverse("web:customer_create"), data)
    assert refused.status_code == 409
    page = refused.content.decode()
    assert "A customer with this value already exists: 青木科技." in page
    assert reverse("web:customer_detail", args=[existing.pk]) in page
    assert 'name="allow_duplicate"' in page
    assert field_errors(refused, "phone") == [
        "A customer with this value already exists: 青木科技."
    ]
    assert Customer.objects.count() == 1

    saved = rep_client.post(reverse("web:customer_create"), {**data, "allow_duplicate": "on"})
    assert saved.status_code == 302
    duplicate = Customer.objects.exclude(pk=existing.pk).get()
    assert duplicate.phone == existing.phone
    override = AuditEntry.objects.get(action=AuditAction.DUPLICATE_OVERRIDE)
    assert override.actor == rep
    assert override.object_id == duplicate.pk
    assert override.changes == {"phone": [existing.pk, duplicate.pk]}
    history = rep_client.get(reverse("web:customer_detail", args=[duplicate.pk])).content.decode()
    assert f"Saved although customer #{existing.pk} has the same phone." in history


def test_duplicate_of_an_invisible_customer_gives_no_link(rep_client, other_rep):
    hidden = make_customer(other_rep, name="别家客户", email="buyer@example.com")
    response = rep_client.post(
        reverse("web:customer_create"), {"name": "新客户", "email": "buyer@example.com"}
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "already exists and belongs to" in page
    assert reverse("web:customer_detail", args=[hidden.pk]) not in page
    assert Customer.objects.count() == 1


def test_duplicate_on_edit_is_refused_then_saved_anyway(rep, rep_client):
    make_customer(rep, name="甲公司", email="a@example.com")
    customer = make_customer(rep, name="乙公司", email="b@example.com")
    url = reverse("web:customer_edit", args=[customer.pk])
    data = {"name": "乙公司", "kind": "company", "email": "a@example.com"}
    refused = rep_client.post(url, data)
    assert refused.status_code == 409
    customer.refresh_from_db()
    assert customer.email == "b@example.com"
    saved = rep_client.post(url, {**data, "allow_duplicate": "on"})
    assert saved.status_code == 302
    customer.refresh_from_db()
    assert customer.email == "a@example.com"
    assert AuditEntry.objects.filter(
        action=AuditAction.DUPLICATE_OVERRIDE, object_id=customer.pk
    ).exists()
