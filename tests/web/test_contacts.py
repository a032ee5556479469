"""Adding, editing and deleting contacts from the customer page."""

import pytest
from django.urls import reverse

from tend.audit.models import AuditEntry
from tend.customers.models import Contact
from tests.factories import make_contact, make_customer
from tests.web.helpers import field_errors, input_value, page_language, signed_in_client


@pytest.fixture
def customer(rep):
    return make_customer(rep, name="青木科技")


def test_add_contact(rep_client, customer):
    response = rep_client.post(
        reverse("web:contact_create", args=[customer.pk]),
        {
            "name": "王芳",
            "title": "采购经理",
            "mobile": "139 8765 4321",
            "phone": "010-12345678",
            "email": "wang@qingmu.cn",
            "birthday": "1988-04-02",
            "is_primary": "on",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("web:customer_detail", args=[customer.pk]) + "#contacts"
    contact = Contact.objects.get()
    assert contact.customer == customer
    assert contact.mobile == "+8613987654321"
    assert contact.phone == "+861012345678"
    assert contact.birthday.isoformat() == "1988-04-02"
    assert contact.is_primary is True


def test_edit_contact_unticks_primary(rep_client, customer):
    contact = make_contact(customer, name="王芳", is_primary=True)
    form = rep_client.get(reverse("web:contact_edit", args=[contact.pk]))
    assert input_value(form, "name") == "王芳"
    response = rep_client.post(
        reverse("web:contact_edit", args=[contact.pk]), {"name": "王芳芳", "title": ""}
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.name == "王芳芳"
    assert contact.is_primary is False


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("birthday", "1988-13-45", "Enter a valid date."),
        ("birthday", "2999-01-01", "The birthday cannot be in the future."),
        ("mobile", "1390000", "Enter a valid phone number"),
        ("email", "wang@", "Enter a valid email address."),
        ("name", "", "This field is required."),
    ],
)
def test_bad_contact_input_is_refused_next_to_the_field(rep, customer, field, value, message):
    data = {"name": "王芳", "mobile": "13987654321", field: value}
    for language in ("en", "zh-hans"):
        client = signed_in_client(rep, language=language)
        audit_before = AuditEntry.objects.count()
        response = client.post(reverse("web:contact_create", args=[customer.pk]), data)
        assert response.status_code == 422
        assert page_language(response) == language
        errors = field_errors(response, field)
        assert len(errors) == 1
        if language == "en":
            assert errors[0].startswith(message)
        assert input_value(response, field) == value
        assert Contact.objects.count() == 0
        assert AuditEntry.objects.count() == audit_before


def test_bad_edit_changes_nothing(rep_client, customer):
    contact = make_contact(customer, name="王芳", mobile="13987654321")
    response = rep_client.post(
        reverse("web:contact_edit", args=[contact.pk]), {"name": "王芳", "mobile": "123"}
    )
    assert response.status_code == 422
    assert field_errors(response, "mobile")
    contact.refresh_from_db()
    assert contact.mobile == "+8613987654321"


def test_delete_contact_moves_it_to_the_recycle_bin(rep, rep_client, customer):
    contact = make_contact(customer, name="王芳")
    response = rep_client.post(reverse("web:contact_delete", args=[contact.pk]))
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.deleted_at is not None
    assert contact.deleted_by == rep
    page = rep_client.get(reverse("web:customer_detail", args=[customer.pk])).content.decode()
    assert "王芳" not in page.split('id="contacts"')[1].split("</section>")[0]


def test_delete_needs_post(rep_client, customer):
    contact = make_contact(customer, name="王芳")
    response = rep_client.get(reverse("web:contact_delete", args=[contact.pk]))
    assert response.status_code == 405
    contact.refresh_from_db()
    assert contact.deleted_at is None
