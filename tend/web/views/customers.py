"""Customer pages: the list (search, filters, sort, keyset pages), create, edit, the customer
page with contacts, timeline, tasks and history, and the owner, delete buttons."""

from dataclasses import replace

from django.contrib import messages
from django.db.models import prefetch_related_objects
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tend.accounts.selectors import assignable_users, visible_teams
from tend.activities.selectors import customer_tasks
from tend.audit.selectors import customer_history
from tend.core.errors import DuplicateFound, TendError, ValidationFailed
from tend.core.pagination import capped_count, keyset_ordering
from tend.core.timeline import merged_timeline
from tend.customers.actions import (
    assign_customer_owner,
    create_customer,
    delete_customer,
    update_customer,
)
from tend.customers.models import Customer, CustomFieldType, SourceChannel
from tend.customers.selectors import (
    CUSTOMER_ORDERINGS,
    CustomerFilters,
    access_customer,
    custom_field_definitions,
    customer_contacts,
    customer_page,
    filter_customers,
)
from tend.status.selectors import customers_where
from tend.web.access import signed_in
from tend.web.exporting import export_query, export_response, hidden_when_locked
from tend.web.forms import ActivityForm, CustomerForm
from tend.web.history import history_rows
from tend.web.tabs import customer_tab, customer_tabs
from tend.web.views.common import is_htmx, redirect_with_error

PAGE_SIZE = 25
DEFAULT_ORDERING = "-updated_at"
# Open tasks come first; a customer page shows this many.
TASKS_SHOWN = 20
ORDERING_LABELS = {
    "-updated_at": gettext_lazy("Recently updated"),
    "-created_at": gettext_lazy("Newest first"),
    "-last_contact_at": gettext_lazy("Last contact"),
    "name": gettext_lazy("Name (A–Z)"),
    "-name": gettext_lazy("Name (Z–A)"),
}
TIME_NODES = (
    "created_at",
    "first_contact_at",
    "last_contact_at",
    "next_follow_up_on",
    "last_order_on",
    "converted_at",
    "churned_at",
)


def customer_filters_from(params) -> CustomerFilters:
    try:
        team = int(params.get("team") or 0) or None
    except ValueError:
        team = None
    return CustomerFilters(
        query=params.get("q", "").strip()[:100],
        owner=params.get("owner", "").strip(),
        team=team,
        tag=params.get("tag", "").strip(),
        province=params.get("province", "").strip(),
        city=params.get("city", "").strip(),
        source=params.get("source", "").strip(),
        condition=params.get("condition", "").strip()[:2000],
    )


def _filter_choices(user) -> dict:
    teams = list(visible_teams(user))
    owners = []
    if user.is_admin or user.is_manager:
        owners = list(
            assignable_users(user).exclude(pk=user.pk).order_by("full_name", "username")[:500]
        )
    return {
        "teams": teams,
        "owners": owners,
        "sources": SourceChannel.choices,
        "orderings": list(ORDERING_LABELS.items()),
    }


EXPORTED_FACTS = [
    ("health_score", gettext_lazy("Health score")),
    ("rfm_segment", gettext_lazy("RFM segment")),
    ("r_score", gettext_lazy("RFM recency score")),
    ("f_score", gettext_lazy("RFM frequency score")),
    ("m_score", gettext_lazy("RFM monetary score")),
    ("revenue_365d", gettext_lazy("Revenue in 365 days")),
    ("orders_365d", gettext_lazy("Orders in 365 days")),
    ("p_alive", gettext_lazy("Probability still a customer (P(alive))")),
    ("expected_orders_90d", gettext_lazy("Expected orders in 90 days")),
    ("overdue_amount", gettext_lazy("Overdue amount")),
]


def _stored_fact(customer, name):
    """A stored fact of the customer; empty before its first refresh."""
    try:
        return getattr(customer.facts, name)
    except Customer.facts.RelatedObjectDoesNotExist:
        return None


def _customer_export_columns():
    from tend.imports.exports import ExportColumn

    columns = [
        ExportColumn(_("Id"), lambda c: c.pk),
        ExportColumn(_("Name"), lambda c: c.name),
        ExportColumn(_("Kind"), lambda c: c.get_kind_display()),
        ExportColumn(_("Industry"), lambda c: c.industry),
        ExportColumn(_("Province"), lambda c: c.province),
        ExportColumn(_("City"), lambda c: c.city),
        ExportColumn(_("Source channel"), lambda c: c.get_source_display()),
        ExportColumn(_("Unified social credit code"), lambda c: c.credit_code),
        ExportColumn(_("Phone"), lambda c: c.phone_display),
        ExportColumn(_("Email address"), lambda c: c.email),
        ExportColumn(_("WeChat"), lambda c: c.wechat),
        ExportColumn(_("Address"), lambda c: c.address),
        ExportColumn(_("External id"), lambda c: c.external_id),
        ExportColumn(_("Owner"), lambda c: c.owner.display_name if c.owner else _("Public pool")),
        ExportColumn(_("Team"), lambda c: c.team.name if c.team else ""),
        ExportColumn(_("Tags"), lambda c: ", ".join(tag.name for tag in c.tags.all())),
        ExportColumn(_("Created"), lambda c: c.created_at),
        ExportColumn(_("Last contact"), lambda c: c.last_contact_at),
        ExportColumn(_("Next follow-up"), lambda c: c.next_follow_up_on),
        # The stored facts (tend.status.materialized), as of their last refresh.
        *(
            ExportColumn(label, lambda c, name=name: _stored_fact(c, name))
            for name, label in EXPORTED_FACTS
        ),
    ]
    # A customer locked for the reader: its id, name and owner only.
    owner = next(i for i, column in enumerate(columns) if column.label == _("Owner"))
    return hidden_when_locked(columns, shown=(0, 1, owner))


def _listing(params) -> tuple[CustomerFilters, str, str]:
    """The list's filters and order, read alike by the list and its export, and what is
    wrong with its condition on facts (which is then left out, and said so)."""
    ordering = params.get("ordering", DEFAULT_ORDERING)
    if ordering not in CUSTOMER_ORDERINGS:
        ordering = DEFAULT_ORDERING
    filters, condition_error = customer_filters_from(params), ""
    if filters.condition:
        try:
            customers_where(filters.condition)
        except ValidationFailed as error:
            condition_error = error.message
            filters = replace(filters, condition="")
    return filters, ordering, condition_error


@signed_in
def customer_export(request):
    """The list as it is filtered and sorted, every page of it, as XLSX or CSV."""
    filters, ordering, _condition_error = _listing(request.GET)
    customers = keyset_ordering(
        filter_customers(request.user, filters)
        .select_related("owner", "team", "facts")
        .prefetch_related("tags"),
        ordering,
    )
    return export_response(
        request, name="customers", columns=_customer_export_columns(), queryset=customers
    )


@signed_in
def customer_list(request):
    user = request.user
    filters, ordering, condition_error = _listing(request.GET)
    cursor = request.GET.get("cursor") or None
    page_error = ""
    try:
        page = customer_page(user, filters, ordering=ordering, cursor=cursor, limit=PAGE_SIZE)
    except ValidationFailed:
        page_error = _("That page link is no longer valid, so the first page is shown.")
        cursor = None
        page = customer_page(user, filters, ordering=ordering, cursor=None, limit=PAGE_SIZE)
    # A customer locked for the reader shows its name and owner only: no tags to read.
    prefetch_related_objects([c for c in page.items if not c.locked], "tags")
    count, more = capped_count(filter_customers(user, filters))
    context = {
        "page": page,
        "customers": page.items,
        "count": count,
        "count_more": more,
        "filters": filters,
        "ordering": ordering,
        "cursor": cursor,
        "page_error": page_error,
        "condition_error": condition_error,
        "export_query": export_query(request.GET),
        "filtered": any(
            [
                filters.query,
                filters.owner,
                filters.team,
                filters.tag,
                filters.province,
                filters.city,
                filters.source,
                filters.condition,
            ]
        ),
    }
    if is_htmx(request):
        response = render(request, "web/customers/_results.html", context)
    else:
        context.update(_filter_choices(user))
        response = render(request, "web/customers/list.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _save_customer(request, form, save):
    """Call the action; returns (customer or None, duplicate error or None, status)."""
    allow_duplicate = bool(request.POST.get("allow_duplicate"))
    try:
        customer = save(form.input_data(request.POST), allow_duplicate)
    except DuplicateFound as exc:
        form.show_errors(exc)
        return None, exc, exc.status
    except TendError as exc:
        form.show_errors(exc)
        return None, None, exc.status
    return customer, None, 200


@signed_in
def customer_create(request):
    definitions = list(custom_field_definitions())
    duplicate = None
    status = 200
    if request.method == "POST":
        form = CustomerForm(request.POST, definitions=definitions)
        customer, duplicate, status = _save_customer(
            request,
            form,
            lambda data, allow: create_customer(
                actor=request.user, data=data, allow_duplicate=allow
            ),
        )
        if customer is not None:
            messages.success(request, _("The customer was created."))
            return redirect("web:customer_detail", pk=customer.pk)
    else:
        form = CustomerForm(definitions=definitions)
    return render(
        request,
        "web/customers/form.html",
        {"form": form, "duplicate": duplicate, "customer": None},
        status=status,
    )


@signed_in
def customer_edit(request, pk):
    customer = access_customer(request.user, pk)
    definitions = list(custom_field_definitions())
    duplicate = None
    status = 200
    if request.method == "POST":
        form = CustomerForm(request.POST, definitions=definitions)
        saved, duplicate, status = _save_customer(
            request,
            form,
            lambda data, allow: update_customer(
                actor=request.user, customer=customer, data=data, allow_duplicate=allow
            ),
        )
        if saved is not None:
            messages.success(request, _("The changes were saved."))
            return redirect("web:customer_detail", pk=customer.pk)
    else:
        form = CustomerForm(definitions=definitions, customer=customer)
    return render(
        request,
        "web/customers/form.html",
        {"form": form, "duplicate": duplicate, "customer": customer},
        status=status,
    )


def _custom_values(customer, definitions) -> list[tuple[str, str]]:
    language = get_language() or "zh-hans"
    values = []
    for definition in definitions:
        value = (customer.custom_fields or {}).get(definition.key)
        if value in (None, ""):
            continue
        if definition.field_type == CustomFieldType.BOOLEAN:
            value = _("Yes") if value else _("No")
        values.append((definition.label(language), str(value)))
    return values


def time_nodes(customer) -> list[tuple[str, object, bool]]:
    """(label, value, whether the value has a time of day) for each time node."""
    nodes = []
    for name in TIME_NODES:
        model_field = Customer._meta.get_field(name)
        has_time = model_field.get_internal_type() == "DateTimeField"
        nodes.append((model_field.verbose_name, getattr(customer, name), has_time))
    return nodes


def detail_context(request, customer, *, activity_form=None) -> dict:
    """Everything the customer page shows; a fixed number of queries however long each
    list is."""
    user = request.user
    definitions = list(custom_field_definitions())
    contacts = list(customer_contacts(customer))
    can_assign = user.is_admin or user.is_manager
    history = customer_history(customer.pk)
    return {
        "customer": customer,
        "tags": list(customer.tags.all()),
        "custom_values": _custom_values(customer, definitions),
        "time_nodes": time_nodes(customer),
        "contacts": contacts,
        "timeline": merged_timeline(customer.pk),
        "tabs": customer_tabs(),
        "activity_form": activity_form or ActivityForm(contacts=contacts, customer=customer),
        "tasks": list(customer_tasks(customer)[:TASKS_SHOWN]),
        "history": history_rows(history.items, definitions),
        "history_more": history.next_cursor is not None,
        "can_assign": can_assign,
        "can_release": customer.owner_id == user.pk,
        "assignees": list(assignable_users(user).order_by("full_name", "username")[:500])
        if can_assign
        else [],
    }


@signed_in
def customer_detail(request, pk):
    customer = access_customer(request.user, pk)
    return render(request, "web/customers/detail.html", detail_context(request, customer))


def _or_first_page(read_page, subject, cursor, **options):
    """A page from the cursor; a damaged or stale cursor shows the first page instead."""
    try:
        return read_page(subject, cursor=cursor, **options)
    except ValidationFailed:
        return read_page(subject, cursor=None, **options)


@signed_in
def customer_timeline_more(request, pk):
    """The next page of the timeline, appended in place (HTMX) below the last one shown."""
    customer = access_customer(request.user, pk)
    return render(
        request,
        "web/customers/_timeline_items.html",
        {
            "customer": customer,
            "timeline": _or_first_page(merged_timeline, customer.pk, request.GET.get("cursor")),
            "continued": True,
        },
    )


@signed_in
def customer_tab_panel(request, pk, key):
    """One tab of the customer page: the panel alone for HTMX, else the page around it."""
    customer = access_customer(request.user, pk)
    tab = customer_tab(key)
    if tab is None:
        raise Http404
    context = {"customer": customer, "tab": tab, "tabs": customer_tabs()}
    context.update(tab.context(request, customer))
    template = tab.template if is_htmx(request) else "web/customers/tab_page.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@signed_in
def customer_history_page(request, pk):
    """The whole change history of a customer, a page at a time."""
    customer = access_customer(request.user, pk)
    page = _or_first_page(customer_history, customer.pk, request.GET.get("cursor"), limit=50)
    return render(
        request,
        "web/customers/history.html",
        {
            "customer": customer,
            "history": history_rows(page.items, list(custom_field_definitions())),
            "page": page,
        },
    )


@signed_in
@require_POST
def customer_delete(request, pk):
    customer = access_customer(request.user, pk)
    try:
        delete_customer(actor=request.user, customer=customer)
    except TendError as exc:
        return redirect_with_error(request, exc, reverse("web:customer_detail", args=[pk]))
    messages.success(
        request,
        _("“%(name)s” was moved to the recycle bin.") % {"name": customer.name},
    )
    return redirect("web:customer_list")


@signed_in
@require_POST
def customer_assign(request, pk):
    """Give the customer to a user, or (empty owner) release it to the public pool."""
    customer = access_customer(request.user, pk)
    detail = reverse("web:customer_detail", args=[pk])
    owner_id = request.POST.get("owner", "").strip()
    owner = None
    if owner_id:
        try:
            owner = assignable_users(request.user).filter(pk=int(owner_id)).first()
        except ValueError:
            owner = None
        if owner is None:
            return redirect_with_error(
                request,
                ValidationFailed(_("You cannot assign customers to this user.")),
                detail,
            )
    try:
        assign_customer_owner(actor=request.user, customer=customer, owner=owner)
    except TendError as exc:
        return redirect_with_error(request, exc, detail)
    if owner is None:
        messages.success(request, _("The customer was released to the public pool."))
    else:
        messages.success(
            request, _("The customer now belongs to %(name)s.") % {"name": owner.display_name}
        )
    return redirect(detail)
