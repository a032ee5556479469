"""Walks every URL pattern and every API operation and proves two things:

1. anonymous access is refused, except on an explicit public allow-list;
2. a rep cannot read or change another rep's records through any of them.

A new route without an access decision (a web view without @public / @signed_in, an API path
not covered here) fails this test."""

import importlib
import pkgutil
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tend.accounts.actions import create_api_token
from tend.activities.models import Activity, Task
from tend.api.access import PUBLIC_PATHS
from tend.audit.models import AuditEntry
from tend.customers.actions import create_custom_field_definition, delete_customer
from tend.customers.models import Contact, Customer
from tend.web.access import PUBLIC, SIGNED_IN
from tests import victims
from tests.factories import make_activity, make_contact, make_customer, make_task

# Each app's records for this test live in tests/victims/<app>.py: `build(victim, org, admin)`
# adds the victim's records; WEB_RECORDS / API_RECORDS map a route prefix to the attribute
# holding the record to point at; SECRETS are texts no intruder may see; `state(victim)` is
# what must not change; API_CREATE_ALLOWED lists collection paths where an intruder may
# create a record of their own (one that belongs to no customer).
VICTIM_MODULES = [
    importlib.import_module(f"tests.victims.{module.name}")
    for module in pkgutil.iter_modules(victims.__path__)
]


def _extension(name: str, default):
    for module in VICTIM_MODULES:
        yield getattr(module, name, default)


API_PREFIX = "api/v1/"
WEB_PUBLIC = {"web:login", "web:language", "web:healthz"}


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), f"{namespace}{entry.name}", entry.callback


def web_patterns():
    return [
        (route, name, callback)
        for route, name, callback in _walk(get_resolver().url_patterns)
        if not route.startswith(API_PREFIX)
    ]


class Victim:
    """Rep A's records, which rep B must not reach."""


@pytest.fixture
def victim(org, admin):
    v = Victim()
    v.owner = org.rep
    v.intruder = org.other_rep
    v.customer = make_customer(v.owner, name="甲方秘密客户", phone="13900000001")
    v.contact = make_contact(v.customer, name="秘密联系人")
    v.activity = make_activity(v.customer, summary="秘密沟通内容")
    v.task = make_task(v.owner, title="秘密待办", customer=v.customer.pk)
    v.deleted_customer = make_customer(v.owner, name="已删除客户")
    delete_customer(actor=v.owner, customer=v.deleted_customer)
    v.token, _raw = create_api_token(user=v.owner, name="script")
    v.definition = create_custom_field_definition(
        actor=admin,
        data={"key": "level", "label_zh": "级别", "label_en": "Level", "field_type": "text"},
    )
    for module in VICTIM_MODULES:
        module.build(v, org=org, admin=admin)
    return v


def _extended_ids(victim: Victim, attribute: str) -> dict:
    ids = {}
    for records in _extension(attribute, {}):
        ids.update({prefix: getattr(victim, name).pk for prefix, name in records.items()})
    return ids


def _fill_web_route(route: str, victim: Victim) -> str:
    """A concrete URL for a route, pointing at the victim's record of the route's kind."""
    ids = {
        "customers/": victim.customer.pk,
        "contacts/": victim.contact.pk,
        "activities/": victim.activity.pk,
        "tasks/": victim.task.pk,
        "recycle-bin/": victim.deleted_customer.pk,
        "account/tokens/": victim.token.pk,
        "settings/custom-fields/": victim.definition.pk,
        **_extended_ids(victim, "WEB_RECORDS"),
    }

    def record_id():
        for prefix, pk in ids.items():
            if route.startswith(prefix):
                return str(pk)
        raise AssertionError(f"No test record for route {route!r}: add one to the access test.")

    url = re.sub(r"<str:kind>", "customer", route)
    url = re.sub(r"<slug:\w+>", "any", url)
    url = re.sub(r"<int:\w+>", lambda _m: record_id(), url)
    assert "<" not in url, f"Unhandled converter in route {route!r}"
    return "/" + url


def _body_text(response) -> str:
    """What a response shows, files included: an XLSX export is read cell by cell."""
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        import io

        import openpyxl

        workbook = openpyxl.load_workbook(io.BytesIO(raw), read_only=True)
        return " ".join(
            str(value)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        )
    return raw.decode(errors="replace")


def _state(victim: Victim):
    return (
        Customer.objects.filter(deleted_at__isnull=True).count(),
        list(
            Customer.objects.filter(pk=victim.customer.pk).values(
                "name", "owner_id", "deleted_at", "updated_at"
            )
        ),
        list(
            Contact.objects.filter(pk=victim.contact.pk).values("name", "deleted_at", "updated_at")
        ),
        list(Activity.objects.filter(pk=victim.activity.pk).values("summary", "deleted_at")),
        list(Task.objects.filter(pk=victim.task.pk).values("title", "done_at", "deleted_at")),
        Customer.objects.filter(pk=victim.deleted_customer.pk, deleted_at__isnull=False).count(),
        AuditEntry.objects.count(),
        *(state(victim) for state in _extension("state", lambda _victim: None)),
    )


def test_every_web_view_declares_its_access():
    undecided = [
        name
        for _route, name, callback in web_patterns()
        if getattr(callback, "access", None) not in (PUBLIC, SIGNED_IN)
    ]
    assert undecided == []


def test_only_allow_listed_web_views_are_public():
    public = {name for _route, name, callback in web_patterns() if callback.access == PUBLIC}
    assert public == WEB_PUBLIC


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_login_on_every_signed_in_page(client, victim):
    for route, name, callback in web_patterns():
        if callback.access == PUBLIC:
            continue
        url = _fill_web_route(route, victim)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code in (302, 405), f"{method.upper()} {url} ({name})"
            if response.status_code == 302:
                assert response["Location"].startswith("/login/"), f"{method.upper()} {url}"
    assert Customer.objects.get(pk=victim.customer.pk).deleted_at is None


@pytest.mark.django_db
def test_a_rep_cannot_read_or_change_another_reps_records_through_any_page(client, victim):
    client.force_login(victim.intruder)
    before = _state(victim)
    secrets = ["甲方秘密客户", "秘密联系人", "秘密沟通内容", "秘密待办", "已删除客户"]
    for extra in _extension("SECRETS", []):
        secrets += extra
    for route, name, callback in web_patterns():
        # Logging out would end the intruder's session and hide every later answer.
        if callback.access == PUBLIC or name == "web:logout":
            continue
        url = _fill_web_route(route, victim)
        has_record = "<" in route
        for method in ("get", "post"):
            response = getattr(client, method)(url, follow=False)
            if has_record:
                assert response.status_code in (404, 405), (
                    f"{method.upper()} {url} ({name}) answered {response.status_code}"
                )
            else:
                body = _body_text(response)
                leaked = [secret for secret in secrets if secret in body]
                assert leaked == [], f"{method.upper()} {url} ({name}) shows {leaked}"
    assert _state(victim) == before


# --- API -------------------------------------------------------------------------------------


def api_operations():
    from tend.api.api import api

    schema = api.get_openapi_schema(path_prefix="/api/v1")
    for path, methods in schema["paths"].items():
        for method in methods:
            if method in {"get", "post", "put", "patch", "delete"}:
                yield path, method


def _fill_api_path(path: str, victim: Victim) -> str:
    kinds = {
        "/api/v1/customers/": victim.customer.pk,
        "/api/v1/contacts/": victim.contact.pk,
        "/api/v1/activities/": victim.activity.pk,
        "/api/v1/tasks/": victim.task.pk,
        **_extended_ids(victim, "API_RECORDS"),
    }
    for prefix, pk in kinds.items():
        if path.startswith(prefix):
            return re.sub(r"\{\w+\}", str(pk), path)
    assert "{" not in path, f"No test record for API path {path!r}: add one to the access test."
    return path


def _victim_body(victim: Victim) -> dict:
    """A body that would be valid if the victim's records were the caller's own."""
    return {
        "customer": victim.customer.pk,
        "name": "入侵者改名",
        "title": "入侵者",
        "kind": "call",
        "summary": "入侵",
        "occurred_at": "2026-01-01T10:00:00+08:00",
        "due_at": "2026-12-01T10:00:00+08:00",
    }


@pytest.mark.django_db
def test_anonymous_callers_are_refused_by_every_api_operation(client, victim):
    for path, method in api_operations():
        # PUBLIC_PATHS are named below the API root (the inbound lead form is one).
        if path.removeprefix("/api/v1") in PUBLIC_PATHS:
            continue
        url = _fill_api_path(path, victim)
        response = getattr(client, method)(url, data={}, content_type="application/json")
        assert response.status_code == 401, (
            f"{method.upper()} {url} answered {response.status_code}"
        )
        assert response.json()["code"] == "unauthenticated"


@pytest.mark.django_db
def test_a_rep_cannot_read_or_change_another_reps_records_through_the_api(client, victim):
    _token, raw = create_api_token(user=victim.intruder, name="intruder")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    before = _state(victim)
    secret_ids = {victim.customer.pk, victim.contact.pk, victim.activity.pk, victim.task.pk}
    secret_ids |= set(_extended_ids(victim, "API_RECORDS").values())
    own_creates = {"/api/v1/customers"}
    for allowed in _extension("API_CREATE_ALLOWED", set()):
        own_creates |= allowed
    for path, method in api_operations():
        # PUBLIC_PATHS are named below the API root (the inbound lead form is one).
        if path.removeprefix("/api/v1") in PUBLIC_PATHS:
            continue
        url = _fill_api_path(path, victim)
        body = _victim_body(victim)
        if "{" in path:
            response = getattr(client, method)(
                url, data=body, content_type="application/json", **auth
            )
            assert response.status_code == 404, (
                f"{method.upper()} {url} answered {response.status_code}"
            )
        elif method == "get":
            query = {"customer": victim.customer.pk} if path != "/api/v1/customers" else {}
            response = client.get(url, query, **auth)
            assert response.status_code in (200, 404), f"GET {url}"
            if response.status_code == 200:
                payload = response.json()
                items = payload.get("items", []) if isinstance(payload, dict) else []
                assert not any(
                    item.get("id") in secret_ids and "秘密" in str(item) for item in items
                ), url
        else:
            response = getattr(client, method)(
                url, data=body, content_type="application/json", **auth
            )
            # Creating a contact, activity or task on someone else's customer is refused.
            if path not in own_creates:
                assert response.status_code in (404, 422), (
                    f"{method.upper()} {url} answered {response.status_code}"
                )
    after = _state(victim)
    # The intruder may have created a customer of their own through POST /customers; nothing of
    # the victim's changed.
    assert after[1:6] == before[1:6]
    assert after[7:] == before[7:]
