"""The recycle bin: what the user may restore, and restoring it."""

from itertools import groupby

from django.contrib import messages
from django.db.models import prefetch_related_objects
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tend.core.errors import TendError
from tend.recyclebin.actions import restore
from tend.recyclebin.selectors import access_deleted, recycle_bin
from tend.web.access import signed_in
from tend.web.views.common import redirect_with_error


@signed_in
def recycle_bin_view(request):
    items = recycle_bin(request.user)
    # Who deleted each record, and which customer it belonged to: one query per kind.
    for kind, group in groupby(
        sorted(items, key=lambda item: item.kind.key), lambda item: item.kind
    ):
        records = [item.record for item in group]
        lookups = ["deleted_by", kind.customer_field] if kind.customer_field else ["deleted_by"]
        prefetch_related_objects(records, *lookups)
    return render(request, "web/recyclebin.html", {"items": items})


@signed_in
@require_POST
def recycle_restore(request, kind, pk):
    record = access_deleted(request.user, kind, pk)
    try:
        count = restore(actor=request.user, record=record)
    except TendError as exc:
        return redirect_with_error(request, exc, "web:recycle_bin")
    messages.success(
        request,
        _("“%(name)s” was restored (%(count)s records in all).")
        % {"name": str(record), "count": count},
    )
    return redirect("web:recycle_bin")
