"""/contacts: CRUD, access, bad input, keyset pages, query counts."""

import datetime

import pytest

from tend.core.time import today
from tend.customers.models import Contact
from tests.api.conftest import Caller, count_queries, expected_order, row_counts, walk_pages
from tests.factories import make_contact, make_customer

pytestmark = pytest.mark.django_db

UNKNOWN_FIELD = "This field is unknown or cannot be set here."


def test_create_read_update_delete(rep_api, rep):
    customer = make_customer(rep)
    created = rep_api.post(
        "/contacts",
        {
            "customer": customer.pk,
            "name": "王经理",
            "title": "采购经理",
            "mobile": "13812345678",
            "phone": "010-12345678",
            "email": "Wang@Example.cn",
            "birthday": "1985-06-01",
            "is_primary": True,
        },
    )
    assert created.status_code == 201
    body = created.json()
    contact = Contact.objects.get(pk=body["id"])
    assert body == {
        "id": contact.pk,
        "customer": customer.pk,
        "name": "王经理",
        "title": "采购经理",
        "mobile": "+8613812345678",
        "phone": "+861012345678",
        "email": "wang@example.cn",
        "wechat": "",
        "birthday": "1985-06-01",
        "is_primary": True,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    assert rep_api.get(f"/contacts/{contact.pk}").json() == body

    changed = rep_api.patch(f"/contacts/{contact.pk}", {"title": "总经理"})
    assert changed.status_code == 200
    assert (changed.json()["title"], changed.json()["mobile"]) == ("总经理", "+8613812345678")

    deleted = rep_api.delete(f"/contacts/{contact.pk}")
    assert deleted.status_code == 204
    contact.refresh_from_db()
    assert contact.deleted_at is not None
    assert rep_api.get(f"/contacts/{contact.pk}").status_code == 404
    assert rep_api.get("/contacts", {"customer": customer.pk}).json()["items"] == []


def test_a_new_primary_contact_replaces_the_old_one(rep_api, rep):
    customer = make_customer(rep)
    old = make_contact(customer, is_primary=True)
    rep_api.post("/contacts", {"customer": customer.pk, "name": "新", "is_primary": True})
    old.refresh_from_db()
    assert old.is_primary is False


def test_the_list_can_be_limited_to_one_customer(rep_api, rep):
    first, second = make_customer(rep), make_customer(rep)
    a = make_contact(first, name="a")
    b = make_contact(second, name="b")
    everything = rep_api.get("/contacts").json()["items"]
    assert [c["id"] for c in everything] == [a.pk, b.pk]
    only_second = rep_api.get("/contacts", {"customer": second.pk}).json()["items"]
    assert [c["id"] for c in only_second] == [b.pk]


def test_a_contact_needs_a_customer_the_caller_may_see(rep_api, other_rep):
    theirs = make_customer(other_rep)
    before = row_counts()
    for body, field_errors in [
        ({"customer": theirs.pk, "name": "x"}, {"customer": ["Unknown customer."]}),
        ({"customer": 987654, "name": "x"}, {"customer": ["Unknown customer."]}),
        ({"name": "x"}, {"customer": ["This field is required."]}),
    ]:
        response = rep_api.post("/contacts", body)
        assert response.status_code == 422
        assert response.json()["field_errors"] == field_errors
    assert row_counts() == before


@pytest.mark.parametrize(
    "field", ["id", "customer_id", "created_at", "updated_at", "deleted_at", "deleted_by", "x"]
)
def test_unknown_and_protected_fields_are_refused(rep_api, rep, field):
    customer = make_customer(rep)
    contact = make_contact(customer, name="原名")
    before = row_counts()
    for response in [
        rep_api.post("/contacts", {"customer": customer.pk, "name": "新", field: 1}),
        rep_api.patch(f"/contacts/{contact.pk}", {"name": "改", field: 1}),
    ]:
        assert response.status_code == 422
        assert response.json()["field_errors"] == {field: [UNKNOWN_FIELD]}
    assert row_counts() == before
    contact.refresh_from_db()
    assert contact.name == "原名"


def test_a_contact_cannot_be_moved_to_another_customer(rep_api, rep):
    contact = make_contact(make_customer(rep))
    other = make_customer(rep)
    response = rep_api.patch(f"/contacts/{contact.pk}", {"customer": other.pk})
    assert response.status_code == 422
    assert response.json()["field_errors"] == {"customer": [UNKNOWN_FIELD]}


@pytest.mark.parametrize(
    ("body", "field_errors"),
    [
        ({"mobile": "12345"}, "mobile"),
        ({"phone": "abc"}, "phone"),
        ({"email": "wang@"}, "email"),
        ({"birthday": "1985-02-30"}, "birthday"),
        ({"birthday": "next year"}, "birthday"),
        ({"is_primary": "maybe"}, "is_primary"),
    ],
)
def test_invalid_values_are_refused(rep_api, rep, body, field_errors):
    customer = make_customer(rep)
    contact = make_contact(customer, mobile="13900000001")
    before = row_counts()
    for response in [
        rep_api.post("/contacts", {"customer": customer.pk, "name": "新", **body}),
        rep_api.patch(f"/contacts/{contact.pk}", body),
    ]:
        assert response.status_code == 422
        assert list(response.json()["field_errors"]) == [field_errors]
    assert row_counts() == before
    contact.refresh_from_db()
    assert contact.mobile == "+8613900000001"


def test_invalid_value_messages(rep_api, rep):
    customer = make_customer(rep)
    tomorrow = (today() + datetime.timedelta(days=1)).isoformat()
    cases = [
        ({"email": "wang@"}, {"email": ["Enter a valid email address."]}),
        ({"birthday": "1985-02-30"}, {"birthday": ["Enter a valid date."]}),
        ({"birthday": tomorrow}, {"birthday": ["The birthday cannot be in the future."]}),
        ({"mobile": "abc"}, {"mobile": ["Enter a valid phone number."]}),
    ]
    for body, field_errors in cases:
        response = rep_api.post("/contacts", {"customer": customer.pk, "name": "新", **body})
        assert response.json()["field_errors"] == field_errors


def test_a_rep_cannot_reach_another_reps_contact(rep_api, other_rep):
    theirs = make_contact(make_customer(other_rep), name="他人联系人")
    before = row_counts()
    for response in [
        rep_api.get(f"/contacts/{theirs.pk}"),
        rep_api.patch(f"/contacts/{theirs.pk}", {"name": "改"}),
        rep_api.patch(f"/contacts/{theirs.pk}", {"birthday": "bad"}),
        rep_api.delete(f"/contacts/{theirs.pk}"),
    ]:
        assert response.status_code == 404
    assert row_counts() == before
    theirs.refresh_from_db()
    assert (theirs.name, theirs.deleted_at) == ("他人联系人", None)
    assert rep_api.get("/contacts").json()["items"] == []
    assert rep_api.get("/contacts", {"customer": theirs.customer_id}).json()["items"] == []


def test_contacts_of_a_deleted_customer_are_gone(rep_api, rep):
    customer = make_customer(rep)
    contact = make_contact(customer)
    rep_api.delete(f"/customers/{customer.pk}")
    assert rep_api.get(f"/contacts/{contact.pk}").status_code == 404
    assert rep_api.get("/contacts").json()["items"] == []


@pytest.mark.parametrize("limit", [1, 2, 5])
def test_keyset_pages_walk_every_contact_once_by_name(rep_api, rep, other_rep, limit):
    first, second = make_customer(rep), make_customer(rep)
    for index, name in enumerate(["li", "wang", "li", "zhang", "chen", "li", "wang"]):
        make_contact(first if index % 2 else second, name=name)
    make_contact(make_customer(other_rep), name="li")
    rows = list(Contact.objects.filter(customer__in=[first, second]).values_list("id", "name"))
    assert walk_pages(rep_api, "/contacts", {}, limit) == expected_order(rows, "name")
    first_rows = [row for row in rows if Contact.objects.get(pk=row[0]).customer_id == first.pk]
    served = walk_pages(rep_api, "/contacts", {"customer": first.pk}, limit)
    assert served == expected_order(first_rows, "name")


def test_the_list_costs_the_same_queries_for_3_and_30_contacts(auth_mode, rep):
    caller = Caller(rep, auth_mode)
    customer = make_customer(rep)

    def listing():
        return caller.get("/contacts", {"limit": 100})

    for number in range(3):
        make_contact(make_customer(rep), name=f"联系人{number}")
    listing()
    small = count_queries(listing)
    for number in range(27):
        make_contact(customer, name=f"联系人{number}")
    assert len(listing().json()["items"]) == 30
    assert count_queries(listing) == small
