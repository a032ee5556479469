from django.conf import settings
from django.contrib.auth.views import LoginView, LogoutView
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tend.accounts.actions import set_user_language
from tend.web.access import public, signed_in
from tend.web.views.common import safe_next


def lockout_response(request, credentials, *args, **kwargs):
    """What django-axes shows after too many failed logins."""
    return render(
        request,
        "web/login.html",
        {"lockout_message": _("Too many failed attempts. Try again in 15 minutes.")},
        status=429,
    )


class TendLoginView(LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


login = public(TendLoginView.as_view())
logout = signed_in(LogoutView.as_view())


@signed_in
def home(request):
    return redirect("web:customer_list")


@public
@require_POST
def language(request):
    """Switch the interface language: a cookie for everyone, and the saved preference of a
    signed-in user."""
    code = request.POST.get("language", "")
    if code not in dict(settings.LANGUAGES):
        return HttpResponseBadRequest(_("Unknown language."))
    if request.user.is_authenticated:
        set_user_language(user=request.user, language=code)
    translation.activate(code)
    response = redirect(safe_next(request, "/"))
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response
