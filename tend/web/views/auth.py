from django.shortcuts import render
from django.utils.translation import gettext as _


def lockout_response(request, credentials, *args, **kwargs):
    """What django-axes shows after too many failed logins."""
    return render(
        request,
        "web/login.html",
        {"lockout_message": _("Too many failed attempts. Try again in 15 minutes.")},
        status=429,
    )
