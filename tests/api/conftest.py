"""Calling the API as a user — by personal token or by session cookie — and proving what was
(not) written."""

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.crypto import get_random_string

from tend.accounts.actions import create_api_token
from tend.accounts.models import ApiToken, User
from tend.activities.models import Activity, Task
from tend.audit.models import AuditEntry
from tend.customers.models import Contact, Customer, Tag

API = "/api/v1"
AUTH_MODES = ["token", "session"]


class Caller:
    """One user's API client. By token: `Authorization: Bearer …`. By session: the session
    cookie plus the CSRF cookie and header a browser page would send. Both clients enforce
    CSRF, as a real server does."""

    def __init__(self, user, mode="token", language="en"):
        self.user = user
        self.mode = mode
        self.client = Client(enforce_csrf_checks=True)
        self.headers = {"HTTP_ACCEPT_LANGUAGE": language}
        if mode == "token":
            self.token, raw = create_api_token(user=user, name="tests")
            self.headers["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
        elif mode == "session":
            self.client.force_login(user)
            csrf = get_random_string(32)
            self.client.cookies[settings.CSRF_COOKIE_NAME] = csrf
            self.headers["HTTP_X_CSRFTOKEN"] = csrf
        else:
            raise ValueError(mode)

    def get(self, path, params=None, **extra):
        return self.client.get(API + path, params or {}, **{**self.headers, **extra})

    def post(self, path, body=None, **extra):
        return self._send("post", path, body, extra)

    def patch(self, path, body=None, **extra):
        return self._send("patch", path, body, extra)

    def delete(self, path, **extra):
        return self.client.delete(API + path, **{**self.headers, **extra})

    def _send(self, method, path, body, extra):
        return getattr(self.client, method)(
            API + path,
            data=body if body is not None else {},
            content_type="application/json",
            **{**self.headers, **extra},
        )


@pytest.fixture(params=AUTH_MODES)
def auth_mode(request):
    return request.param


@pytest.fixture
def call_as(db):
    def make(user, mode="token", language="en"):
        return Caller(user, mode, language)

    return make


@pytest.fixture
def rep_api(rep, auth_mode):
    """The rep, by token and (in a second run of the test) by session."""
    return Caller(rep, auth_mode)


@pytest.fixture
def other_api(other_rep):
    return Caller(other_rep, "token")


def row_counts() -> dict[str, int]:
    """Rows per table, deleted ones included: equal before and after = nothing written."""
    models = {
        "customers": Customer,
        "contacts": Contact,
        "activities": Activity,
        "tasks": Task,
        "tags": Tag,
        "audit": AuditEntry,
        "users": User,
        "tokens": ApiToken,
    }
    return {name: model.objects.count() for name, model in models.items()}


def walk_pages(caller, path, params, limit):
    """Follow next_cursor from the first page to the last; the ids in the order served."""
    ids, cursor = [], None
    for _page in range(1000):
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        response = caller.get(path, query)
        assert response.status_code == 200, response.json()
        body = response.json()
        assert len(body["items"]) <= limit
        ids.extend(item["id"] for item in body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return ids
    raise AssertionError("pagination did not end")


def expected_order(rows, ordering):
    """(id, value) rows in the API's order: by value (nulls last), then by id in the same
    direction as the value."""
    descending = ordering.startswith("-")
    present = [row for row in rows if row[1] is not None]
    missing = sorted((row for row in rows if row[1] is None), key=lambda row: row[0])
    if descending:
        missing.reverse()
    ordered = sorted(present, key=lambda row: (row[1], row[0]), reverse=descending) + missing
    return [row[0] for row in ordered]


def count_queries(call) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = call()
    assert response.status_code == 200, response.content
    return len(queries)
