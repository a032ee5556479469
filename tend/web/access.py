"""Every web view declares who may reach it. The access test walks the URL patterns and fails
on any view without a declaration, so a new route cannot forget to decide."""

import functools

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import render

from tend.core.errors import CustomerLocked, NotFound

PUBLIC = "public"
SIGNED_IN = "signed_in"


def public(view):
    view.access = PUBLIC
    return view


def signed_in(view):
    """The user must be signed in; NotFound raised by a selector becomes a 404, and a
    customer locked for the user (跟进中) the "locked" page, 403."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404() from exc
        except CustomerLocked as exc:
            return render(
                request,
                "web/customers/locked.html",
                {"locked": exc, "customer": exc.customer},
                status=403,
            )

    wrapper.access = SIGNED_IN
    return wrapper
