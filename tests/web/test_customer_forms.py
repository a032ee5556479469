"""Creating and editing customers through the web forms: valid input is saved through the
actions, invalid input comes back with messages next to the fields, and nothing is written."""

import pytest
from django.urls import reverse

from tend.audit.models import AuditAction, AuditEntry
from tend.customers.actions import create_custom_field_definition
from tend.customers.models import Customer
from tests.factories import make_customer
from tests.web.helpers import field_errors, input_value, page_language, signed_in_client

VALID_CREDIT_CODE = "91330106MA27XL0Q2H"
WRONG_CHECK_DIGIT = "91330106MA27XL0Q20"


def _customer_form(**overrides):
    data = {
        "name": "杭州青木科技有限公司",
        "kind": "company",
        "industry": "软件",
        "province": "浙江省",
        "city": "杭州市",
        "source": "referral",
        "credit_code": VALID_CREDIT_CODE,
        "phone": "138 1234 5678",
        "email": "sales@Qingmu.CN",
        "wechat": "qingmu",
        "address": "西湖区文三路 1 号",
        "tags": "重点, 华东",
    }
    data.update(overrides)
    return data


def test_create_customer_saves_it_and_opens_its_page(rep, rep_client):
    response = rep_client.post(reverse("web:customer_create"), _customer_form())
    customer = Customer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:customer_detail", args=[customer.pk])
    assert customer.name == "杭州青木科技有限公司"
    assert customer.phone == "+8613812345678"
    assert customer.email == "sales@qingmu.cn"
    assert customer.credit_code == VALID_CREDIT_CODE
    assert customer.owner == rep
    assert sorted(customer.tags.values_list("name", flat=True)) == ["华东", "重点"]
    assert (
        AuditEntry.objects.filter(
            object_type="customers.customer", action=AuditAction.CREATE, object_id=customer.pk
        ).count()
        == 1
    )


def test_edit_customer_changes_only_what_changed(rep, rep_client):
    customer = make_customer(rep, name="旧名称", phone="13812345678", tags="重点")
    form = rep_client.get(reverse("web:customer_edit", args=[customer.pk]))
    assert input_value(form, "name") == "旧名称"
    assert input_value(form, "phone") == "138 1234 5678"
    assert input_value(form, "tags") == "重点"
    data = _customer_form(name="新名称", phone="138 1234 5678", credit_code="", tags="重点")
    response = rep_client.post(reverse("web:customer_edit", args=[customer.pk]), data)
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.name == "新名称"
    assert customer.phone == "+8613812345678"
    update = AuditEntry.objects.get(
        object_type="customers.customer", action=AuditAction.UPDATE, object_id=customer.pk
    )
    assert update.changes["name"] == ["旧名称", "新名称"]
    assert "phone" not in update.changes
    assert "tags" not in update.changes


BAD_INPUT = [
    ("phone", "12345", "Enter a valid phone number"),
    ("phone", "电话号码", "Enter a valid phone number"),
    ("credit_code", WRONG_CHECK_DIGIT, "The unified social credit code's check digit is wrong."),
    ("credit_code", "12345", "Enter a valid 18-character unified social credit code."),
    ("email", "sales@", "Enter a valid email address."),
    ("name", "   ", "This field is required."),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_INPUT)
def test_create_with_bad_input_shows_the_message_next_to_the_field(
    rep_client, field, value, message
):
    audit_before = AuditEntry.objects.count()
    response = rep_client.post(reverse("web:customer_create"), _customer_form(**{field: value}))
    assert response.status_code == 422
    assert page_language(response) == "en"
    errors = field_errors(response, field)
    assert len(errors) == 1
    assert errors[0].startswith(message)
    assert "Please correct the marked fields." in response.content.decode()
    assert Customer.objects.count() == 0
    assert AuditEntry.objects.count() == audit_before


@pytest.mark.parametrize(("field", "value", "message"), BAD_INPUT)
def test_bad_input_in_chinese_is_shown_next_to_the_field(rep, field, value, message):
    client = signed_in_client(rep, language="zh-hans")
    response = client.post(reverse("web:customer_create"), _customer_form(**{field: value}))
    assert response.status_code == 422
    assert page_language(response) == "zh-hans"
    assert len(field_errors(response, field)) == 1
    assert Customer.objects.count() == 0


def test_chinese_is_chosen_from_the_browser_language_too(rep):
    client = signed_in_client(rep, language=None)
    response = client.post(
        reverse("web:customer_create"),
        _customer_form(email="sales@"),
        HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9",
    )
    assert response.status_code == 422
    assert page_language(response) == "zh-hans"
    assert len(field_errors(response, "email")) == 1


def test_several_bad_fields_are_all_reported_and_input_is_kept(rep_client):
    data = _customer_form(phone="12345", email="sales@", credit_code=WRONG_CHECK_DIGIT)
    response = rep_client.post(reverse("web:customer_create"), data)
    assert response.status_code == 422
    assert field_errors(response, "phone")
    assert field_errors(response, "email")
    assert field_errors(response, "credit_code")
    assert field_errors(response, "name") == []
    assert input_value(response, "name") == "杭州青木科技有限公司"
    assert input_value(response, "phone") == "12345"
    assert input_value(response, "email") == "sales@"
    assert input_value(response, "tags") == "重点, 华东"
    assert Customer.objects.count() == 0


@pytest.mark.parametrize(("field", "value", "message"), BAD_INPUT)
def test_edit_with_bad_input_changes_nothing(rep, rep_client, field, value, message):
    customer = make_customer(rep, name="原名", phone="13812345678", email="a@b.cn")
    audit_before = AuditEntry.objects.count()
    response = rep_client.post(
        reverse("web:customer_edit", args=[customer.pk]), _customer_form(**{field: value})
    )
    assert response.status_code == 422
    assert field_errors(response, field)[0].startswith(message)
    customer.refresh_from_db()
    assert (customer.name, customer.phone, customer.email) == ("原名", "+8613812345678", "a@b.cn")
    assert AuditEntry.objects.count() == audit_before


@pytest.fixture
def custom_fields(admin):
    for data in (
        {"key": "founded", "label_zh": "成立日期", "label_en": "Founded", "field_type": "date"},
        {"key": "budget", "label_zh": "预算", "label_en": "Budget", "field_type": "number"},
        {
            "key": "level",
            "label_zh": "等级",
            "label_en": "Level",
            "field_type": "choice",
            "choices": "A,B,C",
            "required": True,
        },
        {"key": "listed", "label_zh": "上市", "label_en": "Listed", "field_type": "boolean"},
    ):
        create_custom_field_definition(actor=admin, data=data)


def test_custom_fields_are_rendered_by_type_and_saved(rep_client, custom_fields):
    form = rep_client.get(reverse("web:customer_create")).content.decode()
    assert 'type="date" name="cf_founded"' in form
    assert 'name="cf_budget"' in form
    assert '<select name="cf_level"' in form
    assert '<option value="B">B</option>' in form
    assert '<select name="cf_listed"' in form
    data = _customer_form(cf_founded="2015-06-01", cf_budget="12.5", cf_level="B", cf_listed="true")
    response = rep_client.post(reverse("web:customer_create"), data)
    assert response.status_code == 302
    customer = Customer.objects.get()
    assert customer.custom_fields == {
        "founded": "2015-06-01",
        "budget": 12.5,
        "level": "B",
        "listed": True,
    }
    page = rep_client.get(reverse("web:customer_detail", args=[customer.pk])).content.decode()
    assert "Founded" in page
    assert "2015-06-01" in page


def test_bad_custom_field_values_are_shown_next_to_their_fields(rep_client, custom_fields):
    data = _customer_form(cf_founded="2015-02-30", cf_budget="a lot", cf_level="")
    response = rep_client.post(reverse("web:customer_create"), data)
    assert response.status_code == 422
    assert field_errors(response, "cf_founded") == ["Enter a date as YYYY-MM-DD."]
    assert field_errors(response, "cf_budget") == ["Enter a number."]
    assert field_errors(response, "cf_level") == ["This field is required."]
    assert input_value(response, "cf_budget") == "a lot"
    assert Customer.objects.count() == 0


def test_edit_form_shows_custom_values(rep, rep_client, custom_fields):
    customer = make_customer(
        rep, custom_fields={"founded": "2015-06-01", "level": "A", "listed": False}
    )
    form = rep_client.get(reverse("web:customer_edit", args=[customer.pk]))
    assert input_value(form, "cf_founded") == "2015-06-01"
    page = form.content.decode()
    assert '<option value="A" selected>A</option>' in page
    assert '<option value="false" selected>No</option>' in page
