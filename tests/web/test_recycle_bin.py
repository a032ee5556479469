"""Deleting a customer from its page and bringing it back from the recycle bin."""

import datetime

from django.urls import reverse
from django.utils import timezone

from tend.activities.models import Activity, Task
from tend.audit.models import AuditAction, AuditEntry
from tend.customers.models import Contact, Customer
from tests.factories import make_activity, make_contact, make_customer, make_task


def test_delete_then_restore_brings_the_customer_back_with_its_contacts(rep, rep_client):
    customer = make_customer(rep, name="青木科技")
    make_contact(customer, name="王芳")
    make_contact(customer, name="陈伟")
    make_activity(customer, summary="电话")
    make_task(rep, customer=customer.pk, title="回访")

    response = rep_client.post(reverse("web:customer_delete", args=[customer.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("web:customer_list")
    assert not Customer.objects.filter(pk=customer.pk, deleted_at__isnull=True).exists()
    assert Contact.objects.filter(customer=customer, deleted_at__isnull=True).count() == 0
    assert rep_client.get(reverse("web:customer_detail", args=[customer.pk])).status_code == 404

    bin_page = rep_client.get(reverse("web:recycle_bin")).content.decode()
    assert "青木科技" in bin_page
    # Children deleted with their customer come back with it, so they are not listed apart.
    assert "王芳" not in bin_page

    restored = rep_client.post(reverse("web:recycle_restore", args=["customer", customer.pk]))
    assert restored.status_code == 302
    assert restored["Location"] == reverse("web:recycle_bin")
    customer.refresh_from_db()
    assert customer.deleted_at is None
    assert sorted(
        Contact.objects.filter(customer=customer, deleted_at__isnull=True).values_list(
            "name", flat=True
        )
    ) == ["王芳", "陈伟"]
    assert Activity.objects.filter(customer=customer, deleted_at__isnull=True).count() == 1
    assert Task.objects.filter(customer=customer, deleted_at__isnull=True).count() == 1
    assert AuditEntry.objects.filter(action=AuditAction.RESTORE, object_id=customer.pk).exists()
    page = rep_client.get(reverse("web:customer_detail", args=[customer.pk])).content.decode()
    assert "王芳" in page
    assert (
        "The recycle bin is empty." in rep_client.get(reverse("web:recycle_bin")).content.decode()
    )


def test_bin_shows_who_deleted_and_when_it_is_purged(rep, rep_client):
    customer = make_customer(rep, name="青木科技")
    contact = make_contact(customer, name="王芳")
    rep_client.post(reverse("web:contact_delete", args=[contact.pk]))
    contact.refresh_from_db()
    page = rep_client.get(reverse("web:recycle_bin")).content.decode()
    assert "王芳" in page
    assert "青木科技" in page
    assert rep.display_name in page
    purge_on = timezone.localtime(contact.deleted_at + datetime.timedelta(days=30))
    assert purge_on.strftime("%Y-%m-%d") in page


def test_a_contact_of_a_deleted_customer_says_to_restore_the_customer_first(rep, rep_client):
    customer = make_customer(rep, name="青木科技")
    contact = make_contact(customer, name="王芳")
    rep_client.post(reverse("web:contact_delete", args=[contact.pk]))
    rep_client.post(reverse("web:customer_delete", args=[customer.pk]))
    response = rep_client.post(
        reverse("web:recycle_restore", args=["contact", contact.pk]), follow=True
    )
    assert response.status_code == 200
    assert "Restore its customer first." in response.content.decode()
    contact.refresh_from_db()
    assert contact.deleted_at is not None


def test_restore_needs_post(rep, rep_client):
    customer = make_customer(rep)
    rep_client.post(reverse("web:customer_delete", args=[customer.pk]))
    response = rep_client.get(reverse("web:recycle_restore", args=["customer", customer.pk]))
    assert response.status_code == 405
