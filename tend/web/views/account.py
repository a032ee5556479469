"""The user's own settings: language and personal API tokens."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tend.accounts.actions import create_api_token, revoke_api_token
from tend.accounts.selectors import access_api_token, active_api_tokens
from tend.web.access import signed_in
from tend.web.forms import ApiTokenForm


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
        {"form": form, "raw_token": raw_token, "tokens": list(active_api_tokens(request.user))},
        status=status,
    )
    add_never_cache_headers(response)
    return response


@signed_in
@require_POST
def account_token_revoke(request, pk):
    token = access_api_token(request.user, pk)
    revoke_api_token(token=token)
    messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("web:account")
