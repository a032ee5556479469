"""The notifications rules leave for the signed-in person (the notify action)."""

from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tend.status.actions import mark_notifications_read
from tend.status.selectors import notifications_for
from tend.web.access import signed_in


@signed_in
def notifications(request):
    rows, unread = notifications_for(request.user)
    return render(request, "web/notifications.html", {"notifications": rows, "unread": unread})


@signed_in
@require_POST
def notifications_read(request):
    mark_notifications_read(actor=request.user)
    return redirect("web:notifications")
