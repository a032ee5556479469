"""Every API error has one shape: {"code", "message", "field_errors"} (plus "existing_id" for a
duplicate). Actions raise TendError; everything ninja, pydantic or Django raise on the way is
turned into the same shape here, with messages in the caller's language."""

import json
import logging

from django.core import signals
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from tend.core.errors import (
    CustomerLocked,
    NotFound,
    PermissionDenied,
    TendError,
    ValidationFailed,
)

logger = logging.getLogger(__name__)

# The key of errors that belong to no single field (Django forms use the same one).
NON_FIELD = "__all__"


class Unauthenticated(TendError):
    code = "unauthenticated"
    status = 401
    default_message = _("Sign in, or send a valid API token in the Authorization header.")


class CsrfFailed(TendError):
    code = "csrf_failed"
    status = 403
    default_message = _("The CSRF token is missing or wrong. Reload the page and try again.")


class MethodNotAllowed(TendError):
    code = "method_not_allowed"
    status = 405
    default_message = _("This method is not allowed here.")


class BadRequest(TendError):
    code = "bad_request"
    status = 400
    default_message = _("The request could not be understood.")


class InvalidJson(TendError):
    code = "invalid_json"
    status = 400
    default_message = _("The request body is not valid JSON.")


class TooManyRequests(TendError):
    code = "throttled"
    status = 429
    default_message = _("Too many requests. Try again later.")


class ServerError(TendError):
    code = "server_error"
    status = 500
    default_message = _("Something went wrong on our side. Try again later.")


class ErrorOut(Schema):
    code: str
    message: str
    field_errors: dict[str, list[str]]
    existing_id: int | None = None


# What pydantic's error types mean, said the way Tend's forms say it (several are Django's own
# messages, so they come translated).
_TYPE_MESSAGES = {
    "missing": _("This field is required."),
    "extra_forbidden": _("This field is unknown or cannot be set here."),
    "string_type": _("Enter text."),
    "int_type": _("Enter a whole number."),
    "int_parsing": _("Enter a whole number."),
    "int_from_float": _("Enter a whole number."),
    "float_type": _("Enter a number."),
    "float_parsing": _("Enter a number."),
    "bool_type": _("Enter true or false."),
    "bool_parsing": _("Enter true or false."),
    "date_type": _("Enter a valid date."),
    "date_parsing": _("Enter a valid date."),
    "date_from_datetime_parsing": _("Enter a valid date."),
    "date_from_datetime_inexact": _("Enter a valid date."),
    "datetime_type": _("Enter a valid date/time."),
    "datetime_parsing": _("Enter a valid date/time."),
    "datetime_from_date_parsing": _("Enter a valid date/time."),
    "datetime_object_invalid": _("Enter a valid date/time."),
    "list_type": _("Enter a list."),
    "dict_type": _("Enter an object."),
    "model_type": _("Enter an object."),
    "model_attributes_type": _("Enter an object."),
    "json_invalid": _("The request body is not valid JSON."),
}


def _message(error: dict) -> str:
    kind = error.get("type", "")
    context = error.get("ctx") or {}
    if kind == "greater_than_equal":
        return str(
            _("Ensure this value is greater than or equal to %(limit_value)s.")
            % {"limit_value": context.get("ge")}
        )
    if kind == "less_than_equal":
        return str(
            _("Ensure this value is less than or equal to %(limit_value)s.")
            % {"limit_value": context.get("le")}
        )
    if kind in {"literal_error", "enum"}:
        return str(_("Choose one of: %(choices)s.") % {"choices": context.get("expected", "")})
    return str(_TYPE_MESSAGES.get(kind, _("Enter a valid value.")))


def _field_name(location: tuple, body_params: set[str]) -> str:
    """("body", "payload", "custom_fields", "x") → "custom_fields.x";
    ("query", "limit") → "limit"; ("body", "payload", "tags", 0) → "tags"."""
    parts = list(location[1:])
    if location and location[0] == "body" and parts and parts[0] in body_params:
        parts = parts[1:]
    names = []
    for part in parts:
        if isinstance(part, int):
            break
        names.append(str(part))
    return ".".join(names) or NON_FIELD


def translate_validation_error(exc: NinjaValidationError, body_params=("payload",)) -> TendError:
    field_errors: dict[str, list[str]] = {}
    for error in exc.errors:
        if error.get("type") == "json_invalid":
            return InvalidJson()
        name = _field_name(tuple(error.get("loc", ())), set(body_params))
        message = _message(error)
        messages = field_errors.setdefault(name, [])
        if message not in messages:
            messages.append(message)
    return ValidationFailed(field_errors=field_errors)


def _http_error(exc: HttpError) -> TendError:
    if exc.status_code == 400:
        cause = exc.__cause__
        if isinstance(cause, (json.JSONDecodeError, UnicodeDecodeError)):
            return InvalidJson()
        return BadRequest()
    known = {
        401: Unauthenticated,
        403: PermissionDenied,
        404: NotFound,
        405: MethodNotAllowed,
        429: TooManyRequests,
    }
    if exc.status_code in known:
        return known[exc.status_code]()
    error = TendError()
    error.status = exc.status_code
    return error


def error_response(api: NinjaAPI, request, error: TendError) -> HttpResponse:
    response = api.create_response(request, error.as_dict(), status=error.status)
    if isinstance(error, Unauthenticated):
        response["WWW-Authenticate"] = 'Bearer realm="tend"'
    return response


def install_error_handlers(api: NinjaAPI, *, check_path_records) -> None:
    """Route every exception to the one error shape. `check_path_records(request)` raises
    NotFound when the URL names a record the caller may not see (CustomerLocked for a
    customer locked for them); it runs before an invalid request is reported, so that such a
    record answers 404 (403 `locked`) whatever else is wrong."""

    def on_tend_error(request, exc):
        return error_response(api, request, exc)

    def on_authentication_error(request, exc):
        return error_response(api, request, Unauthenticated())

    def on_validation_error(request, exc):
        try:
            check_path_records(request)
        except (NotFound, CustomerLocked) as unreachable:
            return error_response(api, request, unreachable)
        return error_response(api, request, translate_validation_error(exc))

    def on_http_error(request, exc):
        return error_response(api, request, _http_error(exc))

    def on_not_found(request, exc):
        return error_response(api, request, NotFound())

    def on_permission_denied(request, exc):
        return error_response(api, request, PermissionDenied())

    def on_unexpected(request, exc):
        logger.exception("Unhandled error in %s %s", request.method, request.path)
        # Let error reporters (and the test client) see it, as Django does for a view.
        signals.got_request_exception.send(sender=None, request=request)
        return error_response(api, request, ServerError())

    api.add_exception_handler(TendError, on_tend_error)
    api.add_exception_handler(AuthenticationError, on_authentication_error)
    api.add_exception_handler(NinjaValidationError, on_validation_error)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(DjangoPermissionDenied, on_permission_denied)
    api.add_exception_handler(Exception, on_unexpected)
