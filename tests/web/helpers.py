"""Reading what a page shows: the messages next to a field, the page's language."""

import html
import re

from django.conf import settings
from django.test import Client


def signed_in_client(user, language="en") -> Client:
    client = Client()
    client.force_login(user)
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def field_errors(response, name: str) -> list[str]:
    """The messages shown next to field `name` (the list the input's aria-describedby names)."""
    page = response.content.decode()
    match = re.search(
        rf'<ul class="field-errors" id="id_{re.escape(name)}_error"[^>]*>(.*?)</ul>', page, re.S
    )
    if match is None:
        return []
    return [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", match.group(1), re.S)]


def page_language(response) -> str:
    match = re.search(r'<html lang="([^"]+)">', response.content.decode())
    return match.group(1) if match else ""


def input_value(response, name: str) -> str | None:
    """The value an <input name=…> is rendered with."""
    page = response.content.decode()
    for tag in re.findall(r"<input[^>]*>", page):
        if f'name="{name}"' in tag:
            value = re.search(r'value="([^"]*)"', tag)
            return html.unescape(value.group(1)) if value else ""
    return None
