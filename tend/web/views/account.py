"""The user's own settings: language and personal API tokens."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tend.accounts.actions import create_api_token, revoke_api_token
from tend.web.access import signed_in
from tend.web.forms import ApiTokenForm


def _tokens(user):
    return list(user.api_tokens.filter(revoked_at__isnull=True).order_by("-created_at", "-id"))


@signed_in
def account(request):
    """GET shows the settings; POST creates a token and shows it this once (it is stored only
    as a digest, so it is never shown again)."""
    raw_token = None
    status = 200
    if request.method == "POST":
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            _token, raw_token = create_api_token(user=request.user, name=form.cleaned_data["name"])
            form = ApiTokenForm()
            status = 201
        else:
            status = 422
    else:
        form = ApiTokenForm()
    response = render(
        request,
        "web/account/account.html",
        {"form": form, "raw_token": raw_token, "tokens": _tokens(request.user)},
        status=status,
    )
    add_never_cache_headers(response)
    return response


@signed_in
@require_POST
def account_token_revoke(request, pk):
    token = request.user.api_tokens.filter(pk=pk, revoked_at__isnull=True).first()
    if token is None:
        raise Http404()
    revoke_api_token(token=token)
    messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("web:account")
