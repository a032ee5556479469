"""Owner changes, deleting from the customer page, and the custom field settings."""

from django.urls import reverse

from tend.customers.models import Customer, CustomFieldDefinition
from tests.factories import make_customer
from tests.web.helpers import field_errors, signed_in_client


def test_owner_releases_a_customer_to_the_pool(rep, rep_client):
    customer = make_customer(rep, name="青木")
    page = rep_client.get(reverse("web:customer_detail", args=[customer.pk])).content.decode()
    assert "Release to the public pool" in page
    response = rep_client.post(reverse("web:customer_assign", args=[customer.pk]), {"owner": ""})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.owner is None
    follow = rep_client.get(response["Location"]).content.decode()
    assert "The customer was released to the public pool." in follow


def test_rep_cannot_assign_to_someone_else(rep, rep_client, org):
    customer = make_customer(rep, name="青木")
    response = rep_client.post(
        reverse("web:customer_assign", args=[customer.pk]), {"owner": str(org.branch_rep.pk)}
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.owner == rep
    follow = rep_client.get(response["Location"]).content.decode()
    assert "You cannot assign customers to this user." in follow


def test_rep_cannot_take_a_pool_customer_by_assigning_it(rep, rep_client, org):
    customer = make_customer(org.branch_rep, name="公海")
    from tend.customers.actions import assign_customer_owner

    assign_customer_owner(actor=org.branch_rep, customer=customer, owner=None)
    response = rep_client.post(
        reverse("web:customer_assign", args=[customer.pk]), {"owner": str(rep.pk)}
    )
    customer.refresh_from_db()
    assert customer.owner is None
    follow = rep_client.get(response["Location"]).content.decode()
    assert "Only a manager or an administrator can assign customers." in follow


def test_manager_assigns_within_the_team(org):
    customer = make_customer(org.rep, name="青木")
    client = signed_in_client(org.manager)
    page = client.get(reverse("web:customer_detail", args=[customer.pk])).content.decode()
    assert f'<option value="{org.branch_rep.pk}"' in page
    assert f'<option value="{org.other_rep.pk}"' not in page
    response = client.post(
        reverse("web:customer_assign", args=[customer.pk]), {"owner": str(org.branch_rep.pk)}
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.owner == org.branch_rep
    refused = client.post(
        reverse("web:customer_assign", args=[customer.pk]), {"owner": str(org.other_rep.pk)}
    )
    assert refused.status_code == 302
    customer.refresh_from_db()
    assert customer.owner == org.branch_rep


def test_delete_from_the_customer_page(rep, rep_client):
    customer = make_customer(rep, name="青木")
    page = rep_client.get(reverse("web:customer_detail", args=[customer.pk])).content.decode()
    assert f'action="{reverse("web:customer_delete", args=[customer.pk])}"' in page
    assert "data-confirm=" in page
    assert rep_client.get(reverse("web:customer_delete", args=[customer.pk])).status_code == 405
    response = rep_client.post(reverse("web:customer_delete", args=[customer.pk]))
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.deleted_at is not None
    assert (
        "“青木” was moved to the recycle bin."
        in rep_client.get(response["Location"]).content.decode()
    )


def test_admin_manages_custom_fields(admin):
    client = signed_in_client(admin)
    response = client.post(
        reverse("web:custom_fields"),
        {
            "key": "level",
            "label_zh": "等级",
            "label_en": "Level",
            "field_type": "choice",
            "choices": "A, B, C",
            "required": "on",
        },
    )
    assert response.status_code == 302
    definition = CustomFieldDefinition.objects.get()
    assert (definition.key, definition.choices, definition.required) == (
        "level",
        ["A", "B", "C"],
        True,
    )
    page = client.get(reverse("web:custom_fields")).content.decode()
    assert "Level" in page
    response = client.post(reverse("web:custom_field_delete", args=[definition.pk]))
    assert response.status_code == 302
    assert CustomFieldDefinition.objects.count() == 0


def test_bad_custom_field_definition_is_refused(admin):
    client = signed_in_client(admin)
    response = client.post(
        reverse("web:custom_fields"),
        {"key": "has space", "label_zh": "", "label_en": "Level", "field_type": "choice"},
    )
    assert response.status_code == 422
    assert field_errors(response, "key")
    assert field_errors(response, "label_zh") == ["This field is required."]
    assert field_errors(response, "choices") == ["A choice field needs at least one choice."]
    assert CustomFieldDefinition.objects.count() == 0


def test_custom_field_settings_are_404_for_everyone_else(rep, rep_client, admin, org):
    from tend.customers.actions import create_custom_field_definition

    definition = create_custom_field_definition(
        actor=admin,
        data={"key": "level", "label_zh": "等级", "label_en": "Level", "field_type": "text"},
    )
    for client in (rep_client, signed_in_client(org.manager)):
        assert client.get(reverse("web:custom_fields")).status_code == 404
        assert client.post(reverse("web:custom_fields"), {"key": "x"}).status_code == 404
        assert (
            client.post(reverse("web:custom_field_delete", args=[definition.pk])).status_code == 404
        )
    assert CustomFieldDefinition.objects.count() == 1
    assert "Custom fields" not in rep_client.get(reverse("web:customer_list")).content.decode()
    assert Customer.objects.count() == 0
