"""The 跟进中 lock in the API: the list holds a locked customer as its id, name and owner; reading
or changing it answers 403 `locked`; its records are not found; a duplicate says who holds it."""

import pytest

from tend.customers.models import Contact, Customer
from tend.status.models import CustomerState
from tests.api.conftest import Caller, count_queries
from tests.factories_lock import DETAILS, NAME, lock, lock_cast, unlock

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(org, admin):
    return lock_cast(org, admin)


def _state(customer):
    return (
        list(Customer.objects.filter(pk=customer.pk).values()),
        list(Contact.objects.filter(customer=customer).values()),
        list(CustomerState.objects.filter(customer=customer).values("state_id")),
    )


def test_the_list_holds_a_locked_customer_as_its_name_and_owner(cast, auth_mode):
    items = Caller(cast.team_manager, auth_mode).get("/customers").json()["items"]
    assert items == [
        {
            "id": cast.customer.pk,
            "name": NAME,
            "owner": {"id": cast.owner.pk, "display_name": cast.owner.display_name},
            "locked": True,
        }
    ]
    for reader in cast.full_readers:
        (item,) = Caller(reader, auth_mode).get("/customers", {"q": "锁定科技"}).json()["items"]
        assert item["locked"] is False
        assert item["phone"] == "+86" + DETAILS["phone"]
        assert item["tags"] == [DETAILS["tag"]]


def test_a_search_by_phone_or_email_does_not_find_it_locked(cast):
    caller = Caller(cast.team_manager)
    for query in (DETAILS["phone"], DETAILS["email"]):
        assert caller.get("/customers", {"q": query}).json()["items"] == []
    assert [item["id"] for item in caller.get("/customers", {"q": "锁定"}).json()["items"]] == [
        cast.customer.pk
    ]


def test_reading_or_changing_it_answers_locked(cast, auth_mode):
    caller = Caller(cast.team_manager, auth_mode)
    before = _state(cast.customer)
    pk = cast.customer.pk
    answers = [
        caller.get(f"/customers/{pk}"),
        caller.patch(f"/customers/{pk}", {"name": "改名"}),
        # An invalid body still meets the lock first, as a hidden record meets 404 first.
        caller.patch(f"/customers/{pk}", {"name": 5}),
        caller.delete(f"/customers/{pk}"),
        caller.get(f"/status/customers/{pk}"),
        caller.post(f"/status/customers/{pk}", {"dimension": "collaboration", "state": "x"}),
        caller.post("/contacts", {"customer": pk, "name": "插入"}),
    ]
    for response in answers:
        assert response.status_code == 403, response.request["PATH_INFO"]
        body = response.json()
        assert body["code"] == "locked"
        assert body["message"] == (
            f"“{NAME}” is locked: it is in follow-up by {cast.owner.display_name}. Only its "
            "owner, the owner's managers and administrators see its details."
        )
    assert caller.get("/contacts", {"customer": pk}).json()["items"] == []
    assert _state(cast.customer) == before


def test_the_lock_speaks_chinese_when_asked(cast):
    body = Caller(cast.team_manager, language="zh-hans").get(f"/customers/{cast.customer.pk}")
    assert body.status_code == 403 and body.json()["code"] == "locked"
    assert cast.owner.display_name in body.json()["message"]


def test_its_records_are_not_found(cast, auth_mode):
    caller = Caller(cast.team_manager, auth_mode)
    paths = {
        "contacts": cast.records["contact"].pk,
        "activities": cast.records["activity"].pk,
        "tasks": cast.records["task"].pk,
        "deals": cast.records["deal"].pk,
        "tickets": cast.records["ticket"].pk,
    }
    for kind, pk in paths.items():
        assert caller.get(f"/{kind}/{pk}").status_code == 404, kind
        listed = caller.get(f"/{kind}").json()["items"]
        assert pk not in [item["id"] for item in listed], kind
    owner = Caller(cast.owner, auth_mode)
    for kind, pk in paths.items():
        assert owner.get(f"/{kind}/{pk}").status_code == 200, kind


def test_full_readers_read_it(cast):
    for reader in cast.full_readers:
        response = Caller(reader).get(f"/customers/{cast.customer.pk}")
        assert response.status_code == 200
        assert response.json()["email"] == DETAILS["email"]
        assert response.json()["locked"] is False


def test_unlocking_restores_it(cast):
    caller = Caller(cast.team_manager)
    unlock(cast.customer, cast.owner)
    assert caller.get(f"/customers/{cast.customer.pk}").json()["email"] == DETAILS["email"]
    assert caller.get("/customers").json()["items"][0]["locked"] is False
    lock(cast.customer, cast.owner)
    assert caller.get(f"/customers/{cast.customer.pk}").status_code == 403


def test_a_duplicate_says_who_holds_it_without_its_id(cast):
    for reader in (cast.stranger, cast.team_manager):
        response = Caller(reader).post("/customers", {"name": "另一家", "phone": DETAILS["phone"]})
        assert response.status_code == 409
        body = response.json()
        assert body["code"] == "duplicate" and body["existing_id"] is None
        assert body["message"] == (
            "A customer with this value already exists and is locked: it is in follow-up by "
            f"{cast.owner.display_name}."
        )


def test_the_list_reads_a_fixed_number_of_queries_however_many_are_locked(org, admin):
    cast = lock_cast(org, admin, others=8)
    caller = Caller(cast.team_manager)

    def listing():
        return caller.get("/customers", {"limit": 100})

    listing()  # the first call records the token's use
    one_locked = count_queries(listing)
    for customer in cast.others:
        lock(customer, cast.owner)
    assert all(item["locked"] for item in listing().json()["items"])
    assert count_queries(listing) <= one_locked


def test_the_document_describes_the_locked_item():
    from tend.api.api import api

    schema = api.get_openapi_schema(path_prefix="/api/v1")
    assert set(schema["components"]["schemas"]["LockedCustomerOut"]["properties"]) == {
        "id",
        "name",
        "owner",
        "locked",
    }
