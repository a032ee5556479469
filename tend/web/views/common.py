"""Small helpers the web views share: HTMX detection, safe redirects, error messages."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from tend.core.errors import TendError


def is_htmx(request) -> bool:
    """An HTMX request wanting a fragment. A history restore (back button after the cache
    was missed) wants the whole page."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def safe_next(request, default: str) -> str:
    """The `next` parameter if it points into this site, else the default."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def error_text(error: TendError) -> str:
    """One sentence for a message banner: the error's message and its field messages."""
    details = [message for messages_ in error.field_errors.values() for message in messages_]
    text = str(error.message)
    if details and text not in details:
        text = " ".join([text, *details])
    return text


def redirect_with_error(request, error: TendError, to: str):
    messages.error(request, error_text(error))
    return redirect(to)
