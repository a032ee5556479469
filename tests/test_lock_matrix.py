"""The 跟进中 lock at every door: walks every URL pattern and every API operation, as
tests/test_access_matrix.py does, with the victim's customers locked (in follow-up) and read by
the one person within the visibility scope whom the lock shuts out — the manager of the team
the customers are assigned to, who no longer manages their owner (the owner moved teams).

That reader may see a locked customer's name and owner, and nothing else of it or of its
records, through any page, export or API call; nor change anything. A new route that reads
customers or their records without the lock-aware selectors fails here."""

import pytest

from tend.accounts.actions import create_api_token
from tend.accounts.models import User
from tend.customers.models import Customer
from tend.web.access import PUBLIC
from tests.factories_lock import lock
from tests.test_access_matrix import (  # noqa: F401 (victim: the fixture, used by name)
    _body_text,
    _extended_ids,
    _extension,
    _fill_api_path,
    _fill_web_route,
    _state,
    _victim_body,
    api_operations,
    victim,
    web_patterns,
)

pytestmark = pytest.mark.django_db

# What the locked reader may be shown of a locked customer: its name (and its owner's).
CUSTOMER_NAME = "甲方秘密客户"


@pytest.fixture
def locked_victim(victim, org):  # noqa: F811 (the imported fixture)
    """The victim's customers (the live one and the one in the recycle bin) locked by their
    owner, who has moved to another team; the old team's manager reads."""
    victim.owner.team = org.other_team
    victim.owner.save(update_fields=["team"])
    owner = User.objects.get(pk=victim.owner.pk)
    for customer in (victim.customer, victim.deleted_customer):
        lock(Customer.objects.get(pk=customer.pk), owner)
    victim.reader = User.objects.get(pk=org.manager.pk)
    assert Customer.objects.filter(pk=victim.customer.pk, team=org.team).exists()
    victim.secrets = [
        "139 0000 0001",
        "+8613900000001",
        "秘密联系人",
        "秘密沟通内容",
        "秘密待办",
        "已删除客户",
    ]
    for extra in _extension("SECRETS", []):
        victim.secrets += extra
    return victim


def _leaked(locked: object, body: str) -> list[str]:
    return [secret for secret in locked.secrets if secret in body]


def test_the_locked_reader_sees_no_detail_of_a_locked_customer_on_any_page(client, locked_victim):
    locked = locked_victim
    client.force_login(locked.reader)
    before = _state(locked)
    listed = client.get("/customers/").content.decode()
    assert CUSTOMER_NAME in listed and 'class="locked-row"' in listed
    for route, name, callback in web_patterns():
        if callback.access == PUBLIC or name == "web:logout":
            continue
        url = _fill_web_route(route, locked)
        for method in ("get", "post"):
            response = getattr(client, method)(url, follow=False)
            if "<" in route:
                assert response.status_code in (403, 404, 405), (
                    f"{method.upper()} {url} ({name}) answered {response.status_code}"
                )
            leaked = _leaked(locked, _body_text(response))
            assert leaked == [], f"{method.upper()} {url} ({name}) shows {leaked}"
    assert _state(locked) == before


def test_the_locked_reader_sees_no_detail_of_a_locked_customer_through_the_api(
    client, locked_victim
):
    locked = locked_victim
    _token, raw = create_api_token(user=locked.reader, name="reader")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    before = _state(locked)
    own_creates = {"/api/v1/customers"}
    for allowed in _extension("API_CREATE_ALLOWED", set()):
        own_creates |= allowed
    for path, method in api_operations():
        if path.startswith("/api/v1/openapi") or path.endswith("/inbound"):
            continue
        url = _fill_api_path(path, locked)
        body = _victim_body(locked)
        if method == "get":
            query = {} if "{" in path else {"customer": locked.customer.pk}
            response = client.get(url, query, **auth)
        else:
            response = getattr(client, method)(
                url, data=body, content_type="application/json", **auth
            )
        where = f"{method.upper()} {url} answered {response.status_code}"
        if "{" in path:
            assert response.status_code in (403, 404), where
            if response.status_code == 403:
                assert response.json()["code"] == "locked", where
        elif method != "get" and path not in own_creates:
            assert response.status_code in (403, 404, 422), where
        leaked = _leaked(locked, response.content.decode())
        assert leaked == [], f"{where}, showing {leaked}"
    after = _state(locked)
    # The reader may have created a customer of their own through POST /customers.
    assert after[1:6] == before[1:6]
    assert after[7:] == before[7:]
