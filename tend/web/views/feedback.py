"""Feedback pages: the list (filters, keyset pages, counts per status), recording feedback,
the feedback page with its escalation history, escalating, moving the status (a complaint's
resolution with it), editing and deleting."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tend.core.errors import TendError, ValidationFailed
from tend.core.pagination import keyset_ordering
from tend.customers.selectors import customer_contacts
from tend.service.actions import (
    allowed_feedback_statuses,
    change_feedback_status,
    create_feedback,
    delete_feedback,
    escalate_feedback,
    update_feedback,
)
from tend.service.models import FeedbackKind, FeedbackSeverity, FeedbackStatus
from tend.service.selectors import (
    FEEDBACK_ORDERINGS,
    FeedbackFilters,
    access_feedback,
    customer_feedback,
    customer_service_counts,
    customer_tickets,
    feedback_escalations,
    feedback_page,
    feedback_status_counts,
    filter_feedback,
)
from tend.web.access import signed_in
from tend.web.exporting import ExportColumn, export_query, export_response
from tend.web.service_forms import EscalationForm, FeedbackForm, FeedbackStatusForm
from tend.web.views.common import is_htmx, redirect_with_error, safe_next
from tend.web.views.tickets import customer_to_open_for, filter_customer_of

PAGE_SIZE = 25
CUSTOMER_TAB_ROWS = 20
# A piece of feedback links to one of its customer's latest tickets.
TICKET_CHOICES = 50


def _filters_from(params) -> FeedbackFilters:
    return FeedbackFilters(
        status=params.get("status", "").strip(),
        kind=params.get("kind", "").strip(),
        severity=params.get("severity", "").strip(),
        customer=params.get("customer", "").strip() or None,
        open_only=params.get("open") == "1",
    )


def _listing(params) -> tuple[FeedbackFilters, str]:
    """The list's filters and order, read alike by the list and its export."""
    ordering = params.get("ordering", "newest")
    if ordering not in FEEDBACK_ORDERINGS:
        ordering = "newest"
    return _filters_from(params), ordering


def _feedback_export_columns() -> list[ExportColumn]:
    return [
        ExportColumn(_("Id"), lambda f: f.pk),
        ExportColumn(_("Subject"), lambda f: f.subject),
        ExportColumn(_("Customer"), lambda f: f.customer.name),
        ExportColumn(
            _("Contact"),
            lambda f: f.contact.name if f.contact and f.contact.deleted_at is None else "",
        ),
        ExportColumn(_("Kind"), lambda f: f.get_kind_display()),
        ExportColumn(_("Severity"), lambda f: f.get_severity_display()),
        ExportColumn(_("Status"), lambda f: f.get_status_display()),
        ExportColumn(_("Escalation"), lambda f: f.get_escalation_level_display()),
        ExportColumn(_("Received"), lambda f: f.received_at),
        ExportColumn(_("Resolved at"), lambda f: f.resolved_at),
        ExportColumn(_("Resolution"), lambda f: f.resolution),
    ]


@signed_in
def feedback_export(request):
    """The list as it is filtered and sorted, every page of it, as XLSX or CSV."""
    filters, ordering = _listing(request.GET)
    feedback = keyset_ordering(
        filter_feedback(request.user, filters).select_related("customer", "contact"),
        FEEDBACK_ORDERINGS[ordering],
    )
    return export_response(
        request, name="feedback", columns=_feedback_export_columns(), queryset=feedback
    )


@signed_in
def feedback_list(request):
    user = request.user
    filters, ordering = _listing(request.GET)
    cursor = request.GET.get("cursor") or None
    page_error = ""
    try:
        page = feedback_page(user, filters, ordering=ordering, cursor=cursor, limit=PAGE_SIZE)
    except ValidationFailed:
        page_error = _("That page link is no longer valid, so the first page is shown.")
        cursor = None
        page = feedback_page(user, filters, ordering=ordering, cursor=None, limit=PAGE_SIZE)
    labels = dict(FeedbackStatus.choices)
    counts = [
        (status, labels[status], count, more)
        for status, (count, more) in feedback_status_counts(user, filters).items()
    ]
    context = {
        "page": page,
        "feedback_items": page.items,
        "counts": counts,
        "filters": filters,
        "ordering": ordering,
        "cursor": cursor,
        "page_error": page_error,
        "filter_customer": filter_customer_of(user, filters),
        "export_query": export_query(request.GET),
        "filtered": any(
            [filters.status, filters.kind, filters.severity, filters.customer, filters.open_only]
        ),
    }
    if is_htmx(request):
        response = render(request, "web/service/_feedback_results.html", context)
    else:
        context.update(
            {
                "statuses": FeedbackStatus.choices,
                "kinds": FeedbackKind.choices,
                "severities": FeedbackSeverity.choices,
            }
        )
        response = render(request, "web/service/feedback_list.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@signed_in
def feedback_create(request):
    customer, choosing = customer_to_open_for(request, "web/service/feedback_form.html")
    if customer is None:
        return choosing
    options = {
        "contacts": list(customer_contacts(customer)),
        "tickets": customer_tickets(customer, limit=TICKET_CHOICES),
    }
    status = 200
    if request.method == "POST":
        form = FeedbackForm(request.POST, **options)
        data = form.input_data(request.POST)
        data["customer"] = customer.pk
        try:
            feedback = create_feedback(actor=request.user, data=data)
        except TendError as exc:
            form.show_errors(exc)
            status = exc.status
        else:
            messages.success(request, _("The feedback was recorded."))
            return redirect("web:feedback_detail", pk=feedback.pk)
    else:
        initial = {"customer": customer.pk, "severity": "low"}
        if request.GET.get("ticket"):
            initial["ticket"] = request.GET["ticket"]
        form = FeedbackForm(initial=initial, **options)
    return render(
        request,
        "web/service/feedback_form.html",
        {"form": form, "customer": customer, "feedback": None},
        status=status,
    )


@signed_in
def feedback_edit(request, pk):
    feedback = access_feedback(request.user, pk)
    options = {
        "contacts": list(customer_contacts(feedback.customer)),
        "tickets": customer_tickets(feedback.customer, limit=TICKET_CHOICES),
    }
    status = 200
    if request.method == "POST":
        form = FeedbackForm(request.POST, feedback=feedback, **options)
        try:
            feedback = update_feedback(
                actor=request.user, feedback=feedback, data=form.input_data(request.POST)
            )
        except TendError as exc:
            form.show_errors(exc)
            status = exc.status
        else:
            messages.success(request, _("The feedback was saved."))
            return redirect("web:feedback_detail", pk=feedback.pk)
    else:
        form = FeedbackForm(feedback=feedback, **options)
    return render(
        request,
        "web/service/feedback_form.html",
        {"form": form, "customer": feedback.customer, "feedback": feedback},
        status=status,
    )


def _detail_context(feedback, *, status_form=None, escalation_form=None) -> dict:
    """The feedback page; a refused form is shown with its errors whatever the status."""
    statuses = allowed_feedback_statuses(feedback)
    levels = feedback.next_escalation_levels
    return {
        "feedback": feedback,
        "customer": feedback.customer,
        "ticket": feedback.ticket if feedback.ticket and not feedback.ticket.is_deleted else None,
        "escalations": list(feedback_escalations(feedback)),
        "can_change_status": bool(statuses) or status_form is not None,
        "status_form": status_form or FeedbackStatusForm(feedback=feedback, statuses=statuses),
        "can_escalate": (not feedback.is_done and bool(levels)) or escalation_form is not None,
        "escalation_form": escalation_form or EscalationForm(levels=levels),
    }


def _refused(request, feedback, error: TendError, **forms):
    """The feedback page again, the refused form (status_form or escalation_form) with its
    errors."""
    for form in forms.values():
        form.show_errors(error)
    return render(
        request,
        "web/service/feedback_detail.html",
        _detail_context(feedback, **forms),
        status=error.status,
    )


@signed_in
def feedback_detail(request, pk):
    feedback = access_feedback(request.user, pk)
    return render(request, "web/service/feedback_detail.html", _detail_context(feedback))


@signed_in
@require_POST
def feedback_status(request, pk):
    feedback = access_feedback(request.user, pk)
    statuses = allowed_feedback_statuses(feedback)
    form = FeedbackStatusForm(request.POST, statuses=statuses)
    resolution = request.POST.get("resolution")
    try:
        feedback = change_feedback_status(
            actor=request.user,
            feedback=feedback,
            status=request.POST.get("status", ""),
            resolution=resolution,
        )
    except TendError as exc:
        return _refused(request, feedback, exc, status_form=form)
    messages.success(
        request,
        _("The feedback is now “%(status)s”.") % {"status": feedback.get_status_display()},
    )
    return redirect("web:feedback_detail", pk=pk)


@signed_in
@require_POST
def feedback_escalate(request, pk):
    feedback = access_feedback(request.user, pk)
    levels = feedback.next_escalation_levels
    form = EscalationForm(request.POST, levels=levels)
    try:
        escalation = escalate_feedback(
            actor=request.user, feedback=feedback, data=form.input_data(request.POST)
        )
    except TendError as exc:
        return _refused(request, feedback, exc, escalation_form=form)
    messages.success(
        request,
        _("The feedback was escalated to “%(level)s”.")
        % {"level": escalation.get_to_level_display()},
    )
    return redirect("web:feedback_detail", pk=pk)


@signed_in
@require_POST
def feedback_delete(request, pk):
    feedback = access_feedback(request.user, pk)
    try:
        delete_feedback(actor=request.user, feedback=feedback)
    except TendError as exc:
        return redirect_with_error(request, exc, reverse("web:feedback_detail", args=[pk]))
    messages.success(
        request, _("“%(subject)s” was moved to the recycle bin.") % {"subject": feedback.subject}
    )
    return redirect(safe_next(request, reverse("web:feedback_list")))


def feedback_tab_context(request, customer) -> dict:
    """The customer page's feedback tab: the latest feedback of the customer, and how many
    complaints came in recently."""
    items = customer_feedback(customer, limit=CUSTOMER_TAB_ROWS + 1)
    return {
        "feedback_items": items[:CUSTOMER_TAB_ROWS],
        "feedback_more": len(items) > CUSTOMER_TAB_ROWS,
        "service_counts": customer_service_counts(customer),
    }
