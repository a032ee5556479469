"""The language switch, and the account page with personal API tokens."""

import re

from django.conf import settings
from django.urls import reverse

from tend.accounts.actions import create_api_token
from tend.accounts.models import ApiToken
from tend.accounts.selectors import user_for_api_token
from tests.web.helpers import page_language, signed_in_client


def test_language_switch_sets_the_cookie_for_anonymous_users(client, db):
    response = client.post(
        reverse("web:language"), {"language": "en", "next": reverse("web:login")}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("web:login")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert page_language(client.get(reverse("web:login"))) == "en"
    client.post(reverse("web:language"), {"language": "zh-hans", "next": reverse("web:login")})
    assert page_language(client.get(reverse("web:login"))) == "zh-hans"


def test_language_switch_saves_a_signed_in_users_preference(rep):
    client = signed_in_client(rep, language=None)
    response = client.post(
        reverse("web:language"), {"language": "en", "next": reverse("web:task_list")}
    )
    assert response["Location"] == reverse("web:task_list")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    rep.refresh_from_db()
    assert rep.language == "en"


def test_the_saved_language_is_used_on_a_new_browser(rep):
    rep.language = "en"
    rep.save(update_fields=["language"])
    client = signed_in_client(rep, language=None)
    assert page_language(client.get(reverse("web:customer_list"))) == "en"


def test_language_switch_refuses_unknown_languages_and_foreign_next(rep):
    client = signed_in_client(rep, language=None)
    refused = client.post(reverse("web:language"), {"language": "fr", "next": "/"})
    assert refused.status_code == 400
    assert settings.LANGUAGE_COOKIE_NAME not in refused.cookies
    rep.refresh_from_db()
    assert rep.language == ""
    response = client.post(
        reverse("web:language"), {"language": "en", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_language_switch_needs_post(client, db):
    assert client.get(reverse("web:language")).status_code == 405


def test_every_page_has_the_language_switch(rep_client, client):
    for response in (
        rep_client.get(reverse("web:customer_list")),
        rep_client.get(reverse("web:account")),
        client.get(reverse("web:login")),
    ):
        page = response.content.decode()
        assert f'action="{reverse("web:language")}"' in page
        assert 'name="language" value="zh-hans"' in page
        assert 'name="language" value="en"' in page


def test_api_token_is_shown_once_then_only_its_prefix(rep, rep_client):
    response = rep_client.post(reverse("web:account"), {"name": "报表脚本"})
    assert response.status_code == 201
    raw = re.search(r'<code class="token" id="new-token">([^<]+)</code>', response.content.decode())
    assert raw is not None
    raw = raw.group(1)
    token = ApiToken.objects.get(user=rep)
    assert token.name == "报表脚本"
    assert raw.startswith(token.prefix)
    assert user_for_api_token(raw) == rep
    assert "no-store" in response["Cache-Control"]

    later = rep_client.get(reverse("web:account")).content.decode()
    assert raw not in later
    assert token.prefix in later
    assert "报表脚本" in later


def test_token_name_too_long_is_refused(rep, rep_client):
    response = rep_client.post(reverse("web:account"), {"name": "x" * 101})
    assert response.status_code == 422
    assert ApiToken.objects.count() == 0


def test_revoke_own_token(rep, rep_client):
    token, raw = create_api_token(user=rep, name="旧脚本")
    response = rep_client.post(reverse("web:account_token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert user_for_api_token(raw) is None
    first = rep_client.get(reverse("web:account")).content.decode()
    assert "The token “旧脚本” was revoked." in first
    assert "旧脚本" not in rep_client.get(reverse("web:account")).content.decode()


def test_another_users_token_cannot_be_revoked_or_seen(rep_client, other_rep):
    token, raw = create_api_token(user=other_rep, name="别人的脚本")
    assert "别人的脚本" not in rep_client.get(reverse("web:account")).content.decode()
    response = rep_client.post(reverse("web:account_token_revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert user_for_api_token(raw) == other_rep
