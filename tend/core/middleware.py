import time

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

SESSION_LAST_SEEN_KEY = "tend_last_seen"
# Refresh the stored expiry at most this often: an idle timeout, without a write per request.
SESSION_REFRESH_SECONDS = 60


class RequestSizeLimitMiddleware:
    """Refuse oversized bodies (413) before anything reads them, for every door alike."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = self.limit_for(request.path)
        if length > limit:
            return self.too_large(request, limit)
        return self.get_response(request)

    @staticmethod
    def limit_for(path: str) -> int:
        """File uploads (imports, attachments) have their own, larger limits."""
        for prefix, limit in settings.TEND_UPLOAD_LIMITS.items():
            if path.startswith(prefix):
                return limit
        return settings.TEND_MAX_REQUEST_BYTES

    @staticmethod
    def too_large(request, limit: int):
        limit_kib = limit // 1024
        # This runs before the locale middleware: answer in the language the caller asked for.
        with translation.override(translation.get_language_from_request(request)):
            message = _("The request body is too large (limit %(limit)s KiB).") % {
                "limit": limit_kib
            }
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"code": "too_large", "message": message, "field_errors": {}}, status=413
                )
            # A browser's form post gets a page, not JSON.
            return HttpResponse(render_to_string("413.html", {"message": message}), status=413)


class SessionIdleTimeoutMiddleware:
    """Log a session out after SESSION_IDLE_TIMEOUT_SECONDS without a request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        now = int(time.time())
        last_seen = session.get(SESSION_LAST_SEEN_KEY)
        if last_seen is not None and now - last_seen > settings.SESSION_IDLE_TIMEOUT_SECONDS:
            logout(request)
        elif session.get("_auth_user_id") and (
            last_seen is None or now - last_seen > SESSION_REFRESH_SECONDS
        ):
            session[SESSION_LAST_SEEN_KEY] = now
        return self.get_response(request)


class UserLanguageMiddleware:
    """A signed-in user's saved language wins over the browser's, unless a cookie says otherwise."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.language
            and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
        ):
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)
