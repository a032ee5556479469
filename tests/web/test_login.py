"""Signing in and out; throttling after repeated failures."""

from django.conf import settings
from django.urls import reverse

from tests.factories import PASSWORD
from tests.web.helpers import page_language


def test_sign_in_goes_to_the_customer_list(client, rep):
    response = client.post(reverse("web:login"), {"username": "rep", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("web:customer_list")
    assert client.get(reverse("web:customer_list")).status_code == 200


def test_sign_in_follows_next(client, rep):
    response = client.post(
        reverse("web:login"), {"username": "rep", "password": PASSWORD, "next": "/tasks/"}
    )
    assert response["Location"] == "/tasks/"


def test_wrong_password_is_refused_in_the_users_language(client, rep):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(reverse("web:login"), {"username": "rep", "password": "wrong"})
    assert response.status_code == 200
    assert page_language(response) == "en"
    assert "Please enter a correct username and password." in response.content.decode()
    assert client.get(reverse("web:customer_list")).status_code == 302


def test_repeated_failures_lock_the_login(client, rep):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(reverse("web:login"), {"username": "rep", "password": "wrong"})
    locked = client.post(reverse("web:login"), {"username": "rep", "password": "wrong"})
    assert locked.status_code == 429
    assert "Too many failed attempts. Try again in 15 minutes." in locked.content.decode()
    # Even the right password is refused while locked.
    again = client.post(reverse("web:login"), {"username": "rep", "password": PASSWORD})
    assert again.status_code == 429
    assert client.get(reverse("web:customer_list")).status_code == 302


def test_sign_out_needs_post(client, rep):
    client.force_login(rep)
    assert client.get(reverse("web:logout")).status_code == 405
    response = client.post(reverse("web:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("web:login")
    assert client.get(reverse("web:customer_list")).status_code == 302


def test_signed_in_user_visiting_login_goes_to_the_list(client, rep):
    client.force_login(rep)
    response = client.get(reverse("web:login"))
    assert response.status_code == 302
    assert response["Location"] == reverse("web:customer_list")


def test_writes_need_the_csrf_token(rep):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)
    response = client.post(reverse("web:customer_create"), {"name": "无令牌"})
    assert response.status_code == 403
    page = client.get(reverse("web:customer_list")).content.decode()
    assert "X-CSRFToken" in page
