"""Ticket pages: the list (filters, keyset pages, counts per status), opening a ticket (from a
customer, or after choosing one), the ticket page with its reply thread, status buttons and
satisfaction, editing and deleting."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tend.accounts.selectors import assignable_users
from tend.core.errors import NotFound, TendError, ValidationFailed
from tend.core.pagination import keyset_ordering
from tend.customers.selectors import (
    CustomerFilters,
    access_customer,
    customer_contacts,
    filter_customers,
)
from tend.service.actions import (
    add_ticket_comment,
    allowed_ticket_statuses,
    change_ticket_status,
    create_ticket,
    delete_ticket,
    rate_ticket,
    update_ticket,
)
from tend.service.models import DONE_TICKET_STATUSES, TicketPriority, TicketStatus
from tend.service.selectors import (
    TICKET_ORDERINGS,
    TicketFilters,
    access_ticket,
    customer_service_counts,
    customer_tickets,
    filter_tickets,
    ticket_comments,
    ticket_history,
    ticket_page,
    ticket_status_counts,
    ticket_times,
)
from tend.web.access import signed_in
from tend.web.exporting import ExportColumn, export_query, export_response, person
from tend.web.history import history_rows
from tend.web.service_forms import SatisfactionForm, TicketCommentForm, TicketForm
from tend.web.views.common import is_htmx, redirect_with_error, safe_next

PAGE_SIZE = 25
CUSTOMER_TAB_ROWS = 20
CUSTOMER_CHOICES = 20


def _assignees(user) -> list:
    return list(assignable_users(user).order_by("full_name", "username")[:500])


def _filters_from(params) -> TicketFilters:
    return TicketFilters(
        status=params.get("status", "").strip(),
        priority=params.get("priority", "").strip(),
        assignee=params.get("assignee", "").strip(),
        customer=params.get("customer", "").strip() or None,
        open_only=params.get("open") == "1",
    )


def filter_customer_of(user, filters):
    """The customer the list is narrowed to, for its name above the list (None if unseen)."""
    if not filters.customer:
        return None
    try:
        return access_customer(user, filters.customer)
    except NotFound:
        return None


def _listing(params) -> tuple[TicketFilters, str]:
    """The list's filters and order, read alike by the list and its export."""
    ordering = params.get("ordering", "newest")
    if ordering not in TICKET_ORDERINGS:
        ordering = "newest"
    return _filters_from(params), ordering


def _ticket_export_columns() -> list[ExportColumn]:
    return [
        ExportColumn(_("Id"), lambda t: t.pk),
        ExportColumn(_("Subject"), lambda t: t.subject),
        ExportColumn(_("Customer"), lambda t: t.customer.name),
        ExportColumn(
            _("Contact"),
            lambda t: t.contact.name if t.contact and t.contact.deleted_at is None else "",
        ),
        ExportColumn(_("Priority"), lambda t: t.get_priority_display()),
        ExportColumn(_("Status"), lambda t: t.get_status_display()),
        ExportColumn(_("Assignee"), lambda t: person(t.assignee, _("Unassigned"))),
        ExportColumn(_("Opened"), lambda t: t.opened_at),
        ExportColumn(_("First response"), lambda t: t.first_response_at),
        ExportColumn(_("Resolved at"), lambda t: t.resolved_at),
        ExportColumn(_("Satisfaction"), lambda t: t.satisfaction),
    ]


@signed_in
def ticket_export(request):
    """The list as it is filtered and sorted, every page of it, as XLSX or CSV."""
    filters, ordering = _listing(request.GET)
    tickets = keyset_ordering(
        filter_tickets(request.user, filters).select_related("customer", "contact", "assignee"),
        TICKET_ORDERINGS[ordering],
    )
    return export_response(
        request, name="tickets", columns=_ticket_export_columns(), queryset=tickets
    )


@signed_in
def ticket_list(request):
    user = request.user
    filters, ordering = _listing(request.GET)
    cursor = request.GET.get("cursor") or None
    page_error = ""
    try:
        page = ticket_page(user, filters, ordering=ordering, cursor=cursor, limit=PAGE_SIZE)
    except ValidationFailed:
        page_error = _("That page link is no longer valid, so the first page is shown.")
        cursor = None
        page = ticket_page(user, filters, ordering=ordering, cursor=None, limit=PAGE_SIZE)
    labels = dict(TicketStatus.choices)
    counts = [
        (status, labels[status], count, more)
        for status, (count, more) in ticket_status_counts(user, filters).items()
    ]
    context = {
        "page": page,
        "tickets": page.items,
        "counts": counts,
        "times": ticket_times(user, filters),
        "filters": filters,
        "ordering": ordering,
        "cursor": cursor,
        "page_error": page_error,
        "filter_customer": filter_customer_of(user, filters),
        "export_query": export_query(request.GET),
        "filtered": any(
            [
                filters.status,
                filters.priority,
                filters.assignee,
                filters.customer,
                filters.open_only,
            ]
        ),
    }
    if is_htmx(request):
        response = render(request, "web/service/_ticket_results.html", context)
    else:
        context.update(
            {
                "statuses": TicketStatus.choices,
                "priorities": TicketPriority.choices,
                "assignees": _assignees(user) if user.is_admin or user.is_manager else [],
            }
        )
        response = render(request, "web/service/ticket_list.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def choose_customer_page(request, template: str):
    """The first step of opening a ticket or feedback without a customer: find the customer."""
    query = request.GET.get("q", "").strip()[:100]
    customers = []
    if query:
        customers = list(
            filter_customers(request.user, CustomerFilters(query=query)).order_by("name", "id")[
                :CUSTOMER_CHOICES
            ]
        )
    return render(request, template, {"query": query, "customers": customers, "choosing": True})


def customer_to_open_for(request, template: str):
    """(customer, None) for the customer a new ticket or feedback is opened for, named by the
    form or the link; else (None, the page to find one). A POST naming none is not found."""
    customer_id = request.POST.get("customer") or request.GET.get("customer")
    if customer_id:
        return access_customer(request.user, customer_id), None
    if request.method == "POST":
        raise NotFound()
    return None, choose_customer_page(request, template)


@signed_in
def ticket_create(request):
    customer, choosing = customer_to_open_for(request, "web/service/ticket_form.html")
    if customer is None:
        return choosing
    contacts = list(customer_contacts(customer))
    assignees = _assignees(request.user)
    status = 200
    if request.method == "POST":
        form = TicketForm(request.POST, contacts=contacts, assignees=assignees)
        data = form.input_data(request.POST)
        data["customer"] = customer.pk
        try:
            ticket = create_ticket(actor=request.user, data=data)
        except TendError as exc:
            form.show_errors(exc)
            status = exc.status
        else:
            messages.success(request, _("The ticket was opened."))
            return redirect("web:ticket_detail", pk=ticket.pk)
    else:
        form = TicketForm(
            contacts=contacts,
            assignees=assignees,
            initial={"customer": customer.pk, "assignee": request.user.pk, "priority": "normal"},
        )
    return render(
        request,
        "web/service/ticket_form.html",
        {"form": form, "customer": customer, "ticket": None},
        status=status,
    )


@signed_in
def ticket_edit(request, pk):
    ticket = access_ticket(request.user, pk)
    contacts = list(customer_contacts(ticket.customer))
    assignees = _assignees(request.user)
    if ticket.assignee_id and ticket.assignee_id not in {user.pk for user in assignees}:
        assignees.append(ticket.assignee)
    status = 200
    if request.method == "POST":
        form = TicketForm(request.POST, contacts=contacts, assignees=assignees, ticket=ticket)
        try:
            ticket = update_ticket(
                actor=request.user, ticket=ticket, data=form.input_data(request.POST)
            )
        except TendError as exc:
            form.show_errors(exc)
            status = exc.status
        else:
            messages.success(request, _("The ticket was saved."))
            return redirect("web:ticket_detail", pk=ticket.pk)
    else:
        form = TicketForm(contacts=contacts, assignees=assignees, ticket=ticket)
    return render(
        request,
        "web/service/ticket_form.html",
        {"form": form, "customer": ticket.customer, "ticket": ticket},
        status=status,
    )


def _thread_context(ticket, comment_form=None) -> dict:
    return {
        "ticket": ticket,
        "comments": list(ticket_comments(ticket)),
        "comment_form": comment_form or TicketCommentForm(),
    }


def _detail_context(ticket, *, comment_form=None, satisfaction_form=None) -> dict:
    labels = dict(TicketStatus.choices)
    return {
        **_thread_context(ticket, comment_form),
        "customer": ticket.customer,
        "next_statuses": [(status, labels[status]) for status in allowed_ticket_statuses(ticket)],
        # A refused rating is shown with its error, whatever the status.
        "can_rate": ticket.status in DONE_TICKET_STATUSES or satisfaction_form is not None,
        "satisfaction_form": satisfaction_form or SatisfactionForm(ticket=ticket),
        "feedback": list(ticket.feedback.filter(deleted_at__isnull=True).order_by("-id")[:20]),
        "history": history_rows(ticket_history(ticket)),
    }


def _refused(request, ticket, error: TendError, **forms):
    """The ticket page again, the refused form (comment_form or satisfaction_form) with its
    errors."""
    for form in forms.values():
        form.show_errors(error)
    return render(
        request,
        "web/service/ticket_detail.html",
        _detail_context(ticket, **forms),
        status=error.status,
    )


@signed_in
def ticket_detail(request, pk):
    ticket = access_ticket(request.user, pk)
    return render(request, "web/service/ticket_detail.html", _detail_context(ticket))


@signed_in
@require_POST
def ticket_status(request, pk):
    ticket = access_ticket(request.user, pk)
    detail = reverse("web:ticket_detail", args=[pk])
    try:
        ticket = change_ticket_status(
            actor=request.user,
            ticket=ticket,
            status=request.POST.get("status", ""),
            note=request.POST.get("note", ""),
        )
    except TendError as exc:
        return redirect_with_error(request, exc, detail)
    messages.success(
        request,
        _("The ticket is now “%(status)s”.") % {"status": ticket.get_status_display()},
    )
    return redirect(detail)


@signed_in
@require_POST
def ticket_comment(request, pk):
    """Add a reply or an internal note; HTMX swaps the thread (and the ticket's facts, whose
    first response may just have been set)."""
    ticket = access_ticket(request.user, pk)
    form = TicketCommentForm(request.POST)
    try:
        add_ticket_comment(actor=request.user, ticket=ticket, data=form.input_data(request.POST))
    except TendError as exc:
        if not is_htmx(request):
            return _refused(request, ticket, exc, comment_form=form)
        form.show_errors(exc)
        return render(
            request,
            "web/service/_ticket_thread.html",
            _thread_context(ticket, form),
            status=exc.status,
        )
    if not is_htmx(request):
        messages.success(request, _("The message was added."))
        return redirect(reverse("web:ticket_detail", args=[pk]) + "#thread")
    ticket = access_ticket(request.user, pk)
    return render(
        request,
        "web/service/_ticket_thread.html",
        {**_thread_context(ticket), "refreshed": True},
    )


@signed_in
@require_POST
def ticket_rate(request, pk):
    ticket = access_ticket(request.user, pk)
    form = SatisfactionForm(request.POST)
    try:
        rate_ticket(actor=request.user, ticket=ticket, data=form.input_data(request.POST))
    except TendError as exc:
        return _refused(request, ticket, exc, satisfaction_form=form)
    messages.success(request, _("The satisfaction was recorded."))
    return redirect(reverse("web:ticket_detail", args=[pk]))


@signed_in
@require_POST
def ticket_delete(request, pk):
    ticket = access_ticket(request.user, pk)
    try:
        delete_ticket(actor=request.user, ticket=ticket)
    except TendError as exc:
        return redirect_with_error(request, exc, reverse("web:ticket_detail", args=[pk]))
    messages.success(
        request, _("“%(subject)s” was moved to the recycle bin.") % {"subject": ticket.subject}
    )
    return redirect(safe_next(request, reverse("web:ticket_list")))


def ticket_tab_context(request, customer) -> dict:
    """The customer page's tickets tab: the latest tickets of the customer, and how many are
    still open."""
    tickets = customer_tickets(customer, limit=CUSTOMER_TAB_ROWS + 1)
    return {
        "tickets": tickets[:CUSTOMER_TAB_ROWS],
        "tickets_more": len(tickets) > CUSTOMER_TAB_ROWS,
        "service_counts": customer_service_counts(customer),
    }
