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
# An upload's request carries form fields and multipart framing besides the file.
FORM_FIELDS_ALLOWANCE = 64 * 1024


class RequestSizeLimitMiddleware:
    """Refuse oversized bodies (413) before anything reads them, for every door alike."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        file_limit = self.file_limit_for(request.path)
        if file_limit is None:
            if length > settings.TEND_MAX_REQUEST_BYTES:
                return self.too_large(request, settings.TEND_MAX_REQUEST_BYTES, upload=False)
        elif length > file_limit + FORM_FIELDS_ALLOWANCE:
            return self.too_large(request, file_limit, upload=True)
        return self.get_response(request)

    @staticmethod
    def file_limit_for(path: str) -> int | None:
        """File uploads (imports, attachments) have their own, larger limits."""
        for prefix, limit in settings.TEND_UPLOAD_LIMITS.items():
            if path.startswith(prefix):
                return limit
        return None

    @staticmethod
    def too_large(request, limit: int, *, upload: bool):
        # This runs before the locale middleware: answer in the language the caller asked for.
        with translation.override(translation.get_language_from_request(request)):
            if upload:
                # The same words the upload itself uses when it counts the file's bytes.
                message = _("The file is larger than %(limit)s MB: split it into smaller files.")
                message %= {"limit": limit // (1024 * 1024)}
            else:
                message = _("The request body is too large (limit %(limit)s KiB).") % {
                    "limit": limit // 1024
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
