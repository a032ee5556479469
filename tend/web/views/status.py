"""The customer's status on its page (the Status tab): every dimension with where the customer
stands, since when and why, the moves it may make with their checklists, approvals waiting,
and the history. Each form calls the status engine's one entry point (or its approval and
checklist actions) and comes back to the tab with what happened."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tend.core.errors import NotFound, TendError, ValidationFailed
from tend.core.ids import get_or_not_found
from tend.customers.selectors import access_customer, detail_scope, filter_customers
from tend.status.actions import (
    approve_request,
    change_state,
    reject_request,
    tick_step,
    untick_step,
)
from tend.status.bulk_moves import change_states_of
from tend.status.facts import FACTS
from tend.status.models import ChecklistStep, Dimension, Door, State, TransitionRequest
from tend.status.rules import rule_outlook
from tend.status.selectors import (
    STALE_DAYS,
    customer_history,
    stale_states,
    status_panels,
    visible_pending_requests,
)
from tend.web.access import signed_in
from tend.web.views.common import redirect_with_error
from tend.web.views.customers import customer_filters_from


def customer_status_tab(request, customer) -> dict:
    """The Status tab's data (registered in tend.status.apps)."""
    panels = status_panels(customer)
    fact_values: dict = {}
    outlook = rule_outlook(customer.pk, facts=fact_values)
    for panel in panels:
        panel.rules = outlook.get(panel.dimension.pk, [])
    return {
        "panels": panels,
        "facts": [(name, FACTS[name].description, value) for name, value in fact_values.items()],
        "history": customer_history(customer, limit=30),
        "user_role": request.user.role,
    }


def _tab_url(customer) -> str:
    return reverse("web:customer_tab", args=[customer.pk, "status"])


@signed_in
@require_POST
def customer_status_change(request, pk):
    customer = access_customer(request.user, pk)
    back = _tab_url(customer)
    try:
        dimension = get_or_not_found(Dimension.objects.all(), request.POST.get("dimension"))
        state = get_or_not_found(
            State.objects.filter(dimension=dimension), request.POST.get("state")
        )
        outcome = change_state(
            actor=request.user,
            customer=customer,
            dimension=dimension,
            state=state,
            door=Door.WEB,
            reason=request.POST.get("reason", ""),
            remove=request.POST.get("remove") == "1",
        )
    except NotFound:
        return redirect_with_error(request, TendError(_("Choose a state.")), back)
    except TendError as error:
        return redirect_with_error(request, error, back)
    if outcome.kind == "waiting":
        messages.success(
            request,
            _("The move to “%(state)s” waits for approval.") % {"state": state.label},
        )
    elif outcome.kind == "changed":
        messages.success(request, _("%(dimension)s changed.") % {"dimension": dimension.label})
    return redirect(back)


@signed_in
@require_POST
def customer_status_tick(request, pk):
    customer = access_customer(request.user, pk)
    back = _tab_url(customer)
    try:
        step = get_or_not_found(ChecklistStep.objects.all(), request.POST.get("step"))
        if request.POST.get("ticked") == "1":
            tick_step(actor=request.user, customer=customer, step=step)
        else:
            untick_step(actor=request.user, customer=customer, step=step)
    except TendError as error:
        return redirect_with_error(request, error, back)
    return redirect(back)


@signed_in
@require_POST
def status_request_decide(request, pk):
    """Approve or reject a move waiting for approval; the customer must be visible."""
    waiting = get_or_not_found(TransitionRequest.objects.select_related("customer"), pk)
    customer = access_customer(request.user, waiting.customer_id)
    back = _tab_url(customer)
    comment = request.POST.get("comment", "")
    try:
        if request.POST.get("decision") == "approve":
            approve_request(actor=request.user, request=waiting, comment=comment)
            messages.success(request, _("The move was approved and made."))
        else:
            reject_request(actor=request.user, request=waiting, comment=comment)
            messages.success(request, _("The move was rejected."))
    except TendError as error:
        return redirect_with_error(request, error, back)
    return redirect(back)


@signed_in
def status_review(request):
    """The periodic status review: moves waiting for approval, and states nobody has looked
    at — no change and no follow-up for N days — per dimension."""
    try:
        days = max(1, min(3650, int(request.GET.get("days", STALE_DAYS))))
    except ValueError:
        days = STALE_DAYS
    return render(
        request,
        "web/status/review.html",
        {
            "days": days,
            "pending": list(visible_pending_requests(request.user)[:100]),
            "review": stale_states(request.user, days),
        },
    )


# --- bulk edit: every customer of a list's filters at once ------------------------------------


@signed_in
def status_bulk(request):
    """Move the status of every customer the customer list's filters select (that the user
    may change): the same checks and history as one move, counted by outcome."""
    filters = customer_filters_from(request.GET)
    customers = filter_customers(request.user, filters).filter(detail_scope(request.user))
    states = State.objects.select_related("dimension").order_by("dimension__order", "order", "id")
    context = {"states": states, "query": request.GET.urlencode()}
    try:
        context["count"] = customers.count()
    except ValidationFailed as error:  # a condition on facts with a mistake
        context.update(count=0, error=error.message)
        return render(request, "web/status/bulk.html", context)
    if request.method == "POST":
        try:
            state = get_or_not_found(states, request.POST.get("state"))
            outcome = change_states_of(
                customers,
                actor=request.user,
                dimension=state.dimension,
                state=state,
                door=Door.BULK,
                reason=request.POST.get("reason", ""),
                remove=request.POST.get("remove") == "1",
            )
        except TendError as error:
            context["error"] = error.message
        else:
            context.update(
                outcome=outcome,
                refusals=sorted(outcome.refused.items(), key=lambda item: -item[1]),
                moved_to=state,
                removed=request.POST.get("remove") == "1",
            )
    return render(request, "web/status/bulk.html", context)
