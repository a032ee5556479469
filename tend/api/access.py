"""Who may call the API. Every operation requires a signed-in caller — a personal API token
(`Authorization: Bearer tend_…`) or a session cookie — except the paths listed in
PUBLIC_PATHS. The API refuses to start if an operation turns authentication off without being
on that list; tests/api/test_auth.py and tests/test_access_matrix.py call every operation
anonymously and as another rep."""

from django.conf import settings
from django.utils import translation
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from tend.accounts.selectors import user_for_api_token
from tend.activities.selectors import access_activity, access_task
from tend.api.errors import CsrfFailed
from tend.customers.selectors import access_contact, access_customer

# Paths below the API root that anyone may write to: the endpoint web forms on other sites
# post leads to, guarded by each form's key and a rate limit instead (tend/api/leads.py).
PUBLIC_WRITE_PATHS = frozenset({"/leads/inbound"})
# Paths below the API root that anyone may call: the OpenAPI document and its docs page (read
# only), and the public writes above.
PUBLIC_PATHS = frozenset({"/openapi.json", "/docs"}) | PUBLIC_WRITE_PATHS

# How each record named in an API path is fetched for the caller. Every path parameter must be
# here (a test checks it), so that a record the caller may not see answers 404 before anything
# else about the request — an invalid body included — is judged.
PATH_RECORDS = {
    "customer_id": access_customer,
    "contact_id": access_contact,
    "activity_id": access_activity,
    "task_id": access_task,
}

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def _use_saved_language(request, user) -> None:
    """A user's saved language wins over the Accept-Language header unless a language cookie
    says otherwise — the rule UserLanguageMiddleware applies to session users."""
    if user.language and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
        translation.activate(user.language)
        request.LANGUAGE_CODE = user.language


class ApiToken(HttpBearer):
    """A personal API token: `Authorization: Bearer tend_…`. Needs no CSRF token, since a
    browser never sends it by itself."""

    def authenticate(self, request, token):
        if not token:
            return None
        user = user_for_api_token(token)
        if user is not None:
            _use_saved_language(request, user)
        return user


class SessionCookie(APIKeyCookie):
    """The web session. Writes must carry the CSRF token, as every cookie-authenticated write
    in Tend does; the check runs only once the cookie has identified a user, so an anonymous
    caller is told 401, not 403."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request):
        # ninja checks CSRF here, before it knows whether the cookie identifies anyone.
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request, key):
        if "Authorization" in request.headers:
            # A caller that sends a token is judged by the token alone.
            return None
        user = request.user
        if not user.is_authenticated:
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise CsrfFailed()
        return user


AUTH = [ApiToken(), SessionCookie()]


def check_path_records(request) -> None:
    """Raise NotFound if the URL names a record the authenticated caller may not see."""
    user = getattr(request, "auth", None)
    match = request.resolver_match
    if user is None or match is None:
        return
    for name, value in match.kwargs.items():
        access = PATH_RECORDS.get(name)
        if access is not None:
            access(user, value)
