"""Administrator settings: custom customer fields."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tend.core.errors import NotFound, TendError
from tend.customers.actions import create_custom_field_definition, delete_custom_field_definition
from tend.customers.selectors import custom_field_definitions
from tend.web.access import signed_in
from tend.web.forms import CustomFieldDefinitionForm
from tend.web.views.common import redirect_with_error


def _require_admin(user) -> None:
    # Settings pages do not exist for anyone else (404, like records one may not see).
    if not user.is_admin:
        raise NotFound()


@signed_in
def custom_fields(request):
    _require_admin(request.user)
    status = 200
    if request.method == "POST":
        form = CustomFieldDefinitionForm(request.POST)
        try:
            definition = create_custom_field_definition(
                actor=request.user, data=form.input_data(request.POST)
            )
        except TendError as exc:
            form.show_errors(exc)
            status = exc.status
        else:
            messages.success(
                request, _("The field “%(key)s” was created.") % {"key": definition.key}
            )
            return redirect("web:custom_fields")
    else:
        form = CustomFieldDefinitionForm()
    return render(
        request,
        "web/settings/custom_fields.html",
        {"form": form, "definitions": list(custom_field_definitions())},
        status=status,
    )


@signed_in
@require_POST
def custom_field_delete(request, pk):
    _require_admin(request.user)
    definition = custom_field_definitions().filter(pk=pk).first()
    if definition is None:
        raise NotFound()
    try:
        delete_custom_field_definition(actor=request.user, definition=definition)
    except TendError as exc:
        return redirect_with_error(request, exc, "web:custom_fields")
    messages.success(request, _("The field “%(key)s” was deleted.") % {"key": definition.key})
    return redirect("web:custom_fields")
