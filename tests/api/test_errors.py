"""One error shape for everything the API can refuse, in the caller's language."""

import json

import pytest
from django.conf import settings
from django.test import Client

from tend.accounts.actions import create_api_token
from tend.customers.models import Customer
from tests.api.conftest import API, Caller, row_counts
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

INVALID = "Some fields are not valid."


@pytest.fixture
def caller(rep):
    return Caller(rep, "token")


def test_validation_errors_of_the_body_name_the_field(caller):
    before = row_counts()
    response = caller.post(
        "/customers", {"name": 7, "tags": "a", "custom_fields": [], "owner": 3, "kind": None}
    )
    assert response.status_code == 422
    assert response.json() == {
        "code": "invalid",
        "message": INVALID,
        "field_errors": {
            "name": ["Enter text."],
            "tags": ["Enter a list."],
            "custom_fields": ["Enter an object."],
            "owner": ["This field is unknown or cannot be set here."],
        },
    }
    assert row_counts() == before


def test_an_item_of_a_list_is_reported_under_the_list(caller):
    response = caller.post("/customers", {"name": "x", "tags": ["ok", 5, None]})
    assert response.status_code == 422
    assert response.json()["field_errors"] == {"tags": ["Enter text."]}


@pytest.mark.parametrize(
    ("query", "field_errors"),
    [
        ({"limit": 0}, {"limit": ["Ensure this value is greater than or equal to 1."]}),
        ({"limit": 101}, {"limit": ["Ensure this value is less than or equal to 100."]}),
        ({"limit": "many"}, {"limit": ["Enter a whole number."]}),
        ({"team": "x"}, {"team": ["Enter a whole number."]}),
        ({"owner": "them"}, {"owner": ["Enter a valid value."]}),
        (
            {"ordering": "owner"},
            {
                "ordering": [
                    "Choose one of: 'name', '-name', '-created_at', '-updated_at' or "
                    "'-last_contact_at'."
                ]
            },
        ),
        ({"cursor": "not-a-cursor"}, {"cursor": ["Invalid cursor."]}),
    ],
)
def test_validation_errors_of_query_parameters_name_the_parameter(caller, query, field_errors):
    response = caller.get("/customers", query)
    assert response.status_code == 422
    assert response.json() == {"code": "invalid", "message": INVALID, "field_errors": field_errors}


def test_a_body_that_is_not_json_is_refused(caller):
    before = row_counts()
    response = caller.client.post(
        API + "/customers", data="{name: ", content_type="application/json", **caller.headers
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid_json",
        "message": "The request body is not valid JSON.",
        "field_errors": {},
    }
    assert row_counts() == before


def test_a_body_that_is_not_an_object_is_refused(caller):
    response = caller.post("/customers", ["name"])
    assert response.status_code == 422
    assert response.json()["field_errors"] == {"__all__": ["Enter an object."]}


def test_a_missing_body_is_refused(caller):
    response = caller.client.post(
        API + "/contacts", data="", content_type="application/json", **caller.headers
    )
    assert response.status_code == 422
    assert response.json()["field_errors"] == {"__all__": ["This field is required."]}


def test_an_unknown_record_is_404(caller):
    response = caller.get("/customers/987654")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Not found.", "field_errors": {}}


def test_a_method_an_operation_does_not_have_is_405(caller, rep):
    customer = make_customer(rep)
    for method, url, allowed in [
        ("put", "/customers", "GET, POST"),
        ("put", f"/customers/{customer.pk}", "DELETE, GET, PATCH"),
        ("post", "/openapi.json", "GET, HEAD"),
        ("delete", "/docs", "GET, HEAD"),
    ]:
        response = getattr(caller.client, method)(API + url, **caller.headers)
        assert response.status_code == 405, url
        assert response.json() == {
            "code": "method_not_allowed",
            "message": "This method is not allowed here.",
            "field_errors": {},
        }
        assert sorted(response["Allow"].split(", ")) == allowed.split(", ")


def test_an_unexpected_failure_keeps_the_shape(caller, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("tend.api.customers.access_customer", broken)
    client = Client(raise_request_exception=False)
    response = client.get(API + "/customers/1", **caller.headers)
    assert response.status_code == 500
    assert response.json() == {
        "code": "server_error",
        "message": "Something went wrong on our side. Try again later.",
        "field_errors": {},
    }


def test_an_oversized_body_is_refused_with_413(caller):
    before = row_counts()
    body = json.dumps({"name": "x" * settings.TEND_MAX_REQUEST_BYTES})
    response = caller.client.post(
        API + "/customers", data=body, content_type="application/json", **caller.headers
    )
    assert response.status_code == 413
    assert response.json() == {
        "code": "too_large",
        "message": "The request body is too large (limit 2048 KiB).",
        "field_errors": {},
    }
    assert row_counts() == before


def test_an_oversized_body_is_refused_before_authentication():
    body = "x" * (settings.TEND_MAX_REQUEST_BYTES + 1)
    response = Client().post(API + "/customers", data=body, content_type="application/json")
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "甲", "phone": "12345"}, "phone"),
        ({"name": "甲", "credit_code": "91110000600037341A"}, "credit_code"),
        ({"name": "甲", "email": "not-an-email"}, "email"),
        ({"name": "甲", "owner": 1}, "owner"),
        ({"name": 5}, "name"),
    ],
)
def test_errors_are_served_in_chinese_too(rep, body, field):
    """The lead adds the zh-hans catalogue later; here: same shape, same keys, no failure."""
    caller = Caller(rep, "token", language="zh-hans")
    before = row_counts()
    response = caller.post("/customers", body)
    assert response.status_code == 422
    assert response["Content-Language"] == "zh-hans"
    payload = response.json()
    assert payload["code"] == "invalid"
    assert set(payload["field_errors"]) == {field}
    assert all(isinstance(m, str) and m for m in payload["field_errors"][field])
    assert row_counts() == before


def test_a_language_cookie_chooses_the_language(rep):
    _token, raw = create_api_token(user=rep, name="script")
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(
        API + "/customers/1", HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.json()["message"] == "Not found."
    assert Customer.objects.count() == 0
