"""Logging an activity (a follow-up, with the customer's grade after it) in place on the
customer page, and deleting one."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tend.activities.actions import delete_activity, log_follow_up
from tend.activities.selectors import access_activity
from tend.core.errors import TendError
from tend.core.timeline import merged_timeline
from tend.customers.selectors import access_customer, customer_contacts
from tend.status.models import Door
from tend.web.access import signed_in
from tend.web.forms import ActivityForm
from tend.web.views.common import is_htmx, redirect_with_error
from tend.web.views.customers import detail_context, time_nodes


def _activities_fragment(request, customer, form, *, status=200, refreshed=False, grade_notice=""):
    """The activity section (form and timeline); after a change, the customer's time nodes
    too, swapped out of band."""
    return render(
        request,
        "web/customers/_activities_response.html",
        {
            "customer": customer,
            "activity_form": form,
            "timeline": merged_timeline(customer.pk),
            "time_nodes": time_nodes(customer) if refreshed else None,
            "grade_notice": grade_notice,
        },
        status=status,
    )


def _grade_notice(outcome) -> str:
    if outcome is None or outcome.kind == "unchanged":
        return ""
    if outcome.kind == "waiting":
        return _("The grade change waits for approval.")
    return _("The grade is now “%(grade)s”.") % {"grade": outcome.change.to_state.label}


@signed_in
@require_POST
def activity_create(request, pk):
    customer = access_customer(request.user, pk)
    contacts = list(customer_contacts(customer))
    form = ActivityForm(request.POST, contacts=contacts, customer=customer)
    try:
        logged = log_follow_up(
            actor=request.user,
            customer=customer,
            data=form.input_data(request.POST),
            door=Door.WEB,
        )
    except TendError as exc:
        form.show_errors(exc)
        if is_htmx(request):
            return _activities_fragment(request, customer, form, status=exc.status)
        return render(
            request,
            "web/customers/detail.html",
            detail_context(request, customer, activity_form=form),
            status=exc.status,
        )
    grade_notice = _grade_notice(logged.grade)
    if not is_htmx(request):
        messages.success(request, _("The activity was logged."))
        if grade_notice:
            messages.info(request, grade_notice)
        return redirect(reverse("web:customer_detail", args=[pk]) + "#activities")
    customer = access_customer(request.user, pk)
    form = ActivityForm(contacts=contacts, customer=customer)
    return _activities_fragment(request, customer, form, refreshed=True, grade_notice=grade_notice)


@signed_in
@require_POST
def activity_delete(request, pk):
    activity = access_activity(request.user, pk)
    customer_id = activity.customer_id
    detail = reverse("web:customer_detail", args=[customer_id]) + "#activities"
    try:
        delete_activity(actor=request.user, activity=activity)
    except TendError as exc:
        return redirect_with_error(request, exc, detail)
    if not is_htmx(request):
        messages.success(request, _("The activity was moved to the recycle bin."))
        return redirect(detail)
    customer = access_customer(request.user, customer_id)
    contacts = list(customer_contacts(customer))
    form = ActivityForm(contacts=contacts, customer=customer)
    return _activities_fragment(request, customer, form, refreshed=True)
