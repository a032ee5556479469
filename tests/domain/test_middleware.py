"""Request-level rules that hold for every door: oversized bodies are refused before anything
reads them, and idle sessions end."""

import time

import pytest

from tend.accounts.actions import set_user_language
from tend.core.middleware import SESSION_LAST_SEEN_KEY

LIMIT = 4096


@pytest.fixture
def small_limit(settings):
    settings.TEND_MAX_REQUEST_BYTES = LIMIT
    return LIMIT


@pytest.mark.parametrize("url", ["/api/v1/customers", "/api/v1/no/such/operation"])
def test_a_body_over_the_limit_is_refused_with_413_and_the_error_shape(client, small_limit, url):
    response = client.generic(
        "POST",
        url,
        data=b"x" * (LIMIT + 1),
        content_type="application/octet-stream",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "code": "too_large",
        "message": "The request body is too large (limit 4 KiB).",
        "field_errors": {},
    }


@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "The request body is too large (limit 4 KiB)."), ("zh-hans", "4 KiB")],
)
@pytest.mark.parametrize("url", ["/healthz", "/customers/new/", "/no/such/page"])
def test_a_browser_form_over_the_limit_gets_a_page_in_its_language(
    client, small_limit, url, language, text
):
    response = client.post(url, data={"note": "x" * (LIMIT + 1)}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 413
    page = response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert f'lang="{language}"' in page
    assert text in page


def test_a_body_at_the_limit_passes(client, small_limit):
    response = client.generic(
        "POST", "/healthz", data=b"x" * LIMIT, content_type="application/octet-stream"
    )
    assert response.status_code == 200
    assert response.content == b"ok"


def test_the_default_limit_is_two_mebibytes(client, settings):
    assert settings.TEND_MAX_REQUEST_BYTES == 2 * 1024 * 1024
    response = client.generic(
        "POST",
        "/api/v1/customers",
        data=b"{" + b" " * (2 * 1024 * 1024) + b"}",
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 413
    assert response.json()["message"] == "The request body is too large (limit 2048 KiB)."


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


def set_last_seen(client, seconds_ago):
    session = client.session
    session[SESSION_LAST_SEEN_KEY] = int(time.time()) - seconds_ago
    session.save()


def test_a_signed_in_request_records_when_the_session_was_last_seen(client, rep):
    client.force_login(rep)
    assert SESSION_LAST_SEEN_KEY not in client.session
    before = int(time.time())
    client.get("/healthz")
    after = int(time.time())
    assert before <= client.session[SESSION_LAST_SEEN_KEY] <= after


def test_an_idle_session_is_signed_out(client, rep, settings):
    client.force_login(rep)
    client.get("/healthz")
    set_last_seen(client, settings.SESSION_IDLE_TIMEOUT_SECONDS + 1)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert signed_in_user_id(client) is None
    assert SESSION_LAST_SEEN_KEY not in client.session


def test_a_session_used_within_the_idle_period_stays_signed_in_and_is_refreshed(
    client, rep, settings
):
    client.force_login(rep)
    set_last_seen(client, settings.SESSION_IDLE_TIMEOUT_SECONDS - 30)
    before = int(time.time())
    client.get("/healthz")
    after = int(time.time())
    assert signed_in_user_id(client) == str(rep.pk)
    assert before <= client.session[SESSION_LAST_SEEN_KEY] <= after


def test_a_recently_seen_session_is_not_rewritten_on_every_request(client, rep):
    client.force_login(rep)
    set_last_seen(client, 10)
    stored = client.session[SESSION_LAST_SEEN_KEY]
    client.get("/healthz")
    assert client.session[SESSION_LAST_SEEN_KEY] == stored
    assert signed_in_user_id(client) == str(rep.pk)


def test_the_idle_period_is_configurable(client, rep, settings):
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 300
    client.force_login(rep)
    set_last_seen(client, 301)
    client.get("/healthz")
    assert signed_in_user_id(client) is None


def test_anonymous_sessions_are_left_alone(client, db):
    client.get("/healthz")
    assert SESSION_LAST_SEEN_KEY not in client.session


# --- language -----------------------------------------------------------------------------


def test_an_anonymous_visitor_gets_the_browsers_language(client, db):
    response = client.get("/healthz", headers={"accept-language": "en"})
    assert response["Content-Language"] == "en"
    response = client.get("/healthz", headers={"accept-language": "zh-CN,zh;q=0.9"})
    assert response["Content-Language"] == "zh-hans"


def test_a_signed_in_users_saved_language_wins_over_the_browsers(client, rep):
    set_user_language(user=rep, language="en")
    client.force_login(rep)
    response = client.get("/healthz", headers={"accept-language": "zh-CN,zh;q=0.9"})
    assert response["Content-Language"] == "en"


def test_a_language_cookie_wins_over_the_saved_language(client, rep, settings):
    set_user_language(user=rep, language="en")
    client.force_login(rep)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    response = client.get("/healthz", headers={"accept-language": "en"})
    assert response["Content-Language"] == "zh-hans"


def test_a_user_without_a_saved_language_gets_the_browsers(client, rep):
    client.force_login(rep)
    response = client.get("/healthz", headers={"accept-language": "en"})
    assert response["Content-Language"] == "en"
