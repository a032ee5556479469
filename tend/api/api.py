"""The REST API root, mounted at /api/v1/. Routers parse and render; access goes through the
selectors' access_* functions and every write through one action."""

import functools

from django.http import HttpResponseNotAllowed
from django.urls import URLPattern, path, re_path
from ninja import NinjaAPI
from ninja.errors import ConfigError
from ninja.utils import normalize_path

from tend.api import activities, contacts, customers, me, tasks
from tend.api import contracts as contracts_api
from tend.api import orders as orders_api
from tend.api import status as status_api
from tend.api.access import AUTH, PUBLIC_PATHS, PUBLIC_WRITE_PATHS, check_path_records
from tend.api.deals import deals_router, pipelines_router
from tend.api.errors import MethodNotAllowed, error_response, install_error_handlers
from tend.api.feedback import router as feedback_router
from tend.api.follow_ups import router as follow_ups_router
from tend.api.leads import router as leads_router
from tend.api.tickets import router as tickets_router
from tend.core.errors import NotFound
from tend.web.access import PUBLIC, SIGNED_IN

DESCRIPTION = """
Tend's REST API.

**Authentication.** Send a personal API token as `Authorization: Bearer tend_…`, or use the
web session cookie; a cookie-authenticated write must also send the `X-CSRFToken` header.
Everything except this document and its docs page needs one of the two.
The one public write is `POST /leads/inbound`, where web forms on other sites send leads: it
takes a form key instead (Settings → Lead web forms) and is rate-limited.

**Errors** always have the shape `{"code", "message", "field_errors": {field: [messages]}}`;
messages follow `Accept-Language` (zh-hans or en) or the user's saved language.

**Lists** are keyset-paginated: pass the `next_cursor` of one page as `cursor` to get the
next; it is null on the last page.
"""


class TendAPI(NinjaAPI):
    """NinjaAPI whose every URL answers in Tend's error shape — unknown paths (404) and
    methods (405) included — and which refuses to start if an operation outside PUBLIC_PATHS
    does not require authentication."""

    def check_access_declared(self) -> None:
        for bound_router in self._get_bound_routers():
            for route, path_view in bound_router.path_operations.items():
                full_route = normalize_path(f"/{bound_router.prefix}/{route}").rstrip("/")
                for operation in path_view.operations:
                    if not operation.auth_callbacks and full_route not in PUBLIC_PATHS:
                        raise ConfigError(
                            f"API operation {operation.methods} {full_route} requires no "
                            "authentication but is not in tend.api.access.PUBLIC_PATHS."
                        )

    def _get_urls(self):
        self.check_access_declared()
        patterns = []
        for pattern in super()._get_urls():
            route = "/" + str(pattern.pattern)
            if pattern.name == "api-root":
                patterns.append(path("", self._not_found_view(), name="api-root"))
            elif route in PUBLIC_WRITE_PATHS:
                patterns.append(self._wrap(pattern, self._json_405_view, PUBLIC))
            elif route in PUBLIC_PATHS:
                patterns.append(self._wrap(pattern, self._read_only_view, PUBLIC))
            else:
                patterns.append(self._wrap(pattern, self._json_405_view, SIGNED_IN))
        patterns.append(re_path(r"^.*$", self._not_found_view(), name="unknown"))
        return patterns

    def _wrap(self, pattern: URLPattern, wrapper_factory, access: str) -> URLPattern:
        view = wrapper_factory(pattern.callback)
        view.csrf_exempt = True  # CSRF is checked by the session authentication, per operation.
        view.access = access
        return URLPattern(pattern.pattern, view, pattern.default_args, pattern.name)

    def _json_405_view(self, view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            if isinstance(response, HttpResponseNotAllowed):
                allowed = response["Allow"]
                response = error_response(self, request, MethodNotAllowed())
                response["Allow"] = allowed
            return response

        return wrapper

    def _read_only_view(self, view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in ("GET", "HEAD"):
                response = error_response(self, request, MethodNotAllowed())
                response["Allow"] = "GET, HEAD"
                return response
            return view(request, *args, **kwargs)

        return wrapper

    def _not_found_view(self):
        def not_found(request, *args, **kwargs):
            return error_response(self, request, NotFound())

        not_found.csrf_exempt = True
        not_found.access = PUBLIC
        return not_found


api = TendAPI(
    title="Tend API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=AUTH,
)
install_error_handlers(api, check_path_records=check_path_records)

api.add_router("/me", me.router)
api.add_router("/customers", customers.router)
api.add_router("/contacts", contacts.router)
api.add_router("/activities", activities.router)
api.add_router("/tasks", tasks.router)
# -- leads --
api.add_router("/leads", leads_router)
# -- deals and pipelines --
api.add_router("/pipelines", pipelines_router)
api.add_router("/deals", deals_router)
# -- contracts --
api.add_router("/contracts", contracts_api.router)
# -- orders and payments --
api.add_router("/orders", orders_api.orders_router)
api.add_router("/payments", orders_api.payments_router)
api.add_router("/receivables", orders_api.receivables_router)
# -- tickets and feedback --
api.add_router("/tickets", tickets_router)
api.add_router("/feedback", feedback_router)
# -- status --
api.add_router("/status", status_api.router)
api.add_router("/follow-ups", follow_ups_router)
