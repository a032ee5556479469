"""Lead pages: the filtered list, the lead page (its fields, what came in, duplicate
candidates, status changes, claim / assign, and the conversion form), create / edit /
delete, and the administrators' page of web forms that post leads in."""

import json

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tend.accounts.selectors import assignable_users
from tend.core.errors import DuplicateFound, NotFound, TendError, ValidationFailed
from tend.core.ids import parse_record_id
from tend.core.pagination import capped_count, keyset_ordering
from tend.customers.selectors import custom_field_definitions
from tend.deals.selectors import active_pipelines
from tend.leads.actions import (
    LeadAlreadyConverted,
    assign_lead,
    claim_lead,
    convert_lead,
    create_lead,
    create_lead_form,
    delete_lead,
    set_lead_form_active,
    set_lead_status,
    update_lead,
)
from tend.leads.models import LeadSource, LeadStatus
from tend.leads.scoring import scoring_rules
from tend.leads.selectors import (
    LEAD_ORDERINGS,
    OPEN_FILTER,
    LeadFilters,
    access_lead,
    access_lead_form,
    duplicate_candidates,
    filter_leads,
    lead_forms,
    lead_page,
    open_deals_of,
    recent_customers,
)
from tend.web.access import signed_in
from tend.web.exporting import ExportColumn, export_query, export_response, person
from tend.web.lead_forms import ConvertForm, LeadEditForm, LeadFormSettingsForm
from tend.web.views.common import is_htmx, redirect_with_error, safe_next

PAGE_SIZE = 25
DEFAULT_ORDERING = "-created_at"
RECENT_CUSTOMERS = 50
ORDERING_LABELS = {
    "-created_at": gettext_lazy("Newest first"),
    "-updated_at": gettext_lazy("Recently updated"),
    "-score": gettext_lazy("Score (highest first)"),
}
MATCH_LABELS = {
    "credit_code": gettext_lazy("credit code"),
    "phone": gettext_lazy("phone"),
    "email": gettext_lazy("email"),
    "company_name": gettext_lazy("company name"),
}


def _owners(user) -> list:
    return list(assignable_users(user).order_by("full_name", "username")[:500])


def _filters_from(params) -> LeadFilters:
    return LeadFilters(
        status=params.get("status", "").strip()[:20],
        source=params.get("source", "").strip()[:20],
        owner=params.get("owner", "").strip()[:20],
        query=params.get("q", "").strip()[:100],
    )


# --- the list --------------------------------------------------------------------------------


def _listing(params) -> tuple[LeadFilters, str]:
    """The list's filters and order, read alike by the list and its export."""
    ordering = params.get("ordering", DEFAULT_ORDERING)
    if ordering not in LEAD_ORDERINGS:
        ordering = DEFAULT_ORDERING
    return _filters_from(params), ordering


@signed_in
def lead_list(request):
    user = request.user
    filters, ordering = _listing(request.GET)
    cursor = request.GET.get("cursor") or None
    page_error = ""
    try:
        page = lead_page(user, filters, ordering=ordering, cursor=cursor, limit=PAGE_SIZE)
    except ValidationFailed:
        page_error = _("That page link is no longer valid, so the first page is shown.")
        cursor = None
        page = lead_page(user, filters, ordering=ordering, cursor=None, limit=PAGE_SIZE)
    count, more = capped_count(filter_leads(user, filters))
    context = {
        "page": page,
        "leads": page.items,
        "count": count,
        "count_more": more,
        "filters": filters,
        "ordering": ordering,
        "cursor": cursor,
        "page_error": page_error,
        "export_query": export_query(request.GET),
    }
    if is_htmx(request):
        response = render(request, "web/leads/_results.html", context)
    else:
        context.update(
            {
                "owners": _owners(user) if user.is_admin or user.is_manager else [],
                "statuses": [(OPEN_FILTER, _("Open")), *LeadStatus.choices],
                "sources": LeadSource.choices,
                "orderings": list(ORDERING_LABELS.items()),
            }
        )
        response = render(request, "web/leads/list.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _lead_export_columns() -> list[ExportColumn]:
    return [
        ExportColumn(_("Id"), lambda lead: lead.pk),
        ExportColumn(_("Contact"), lambda lead: lead.name),
        ExportColumn(_("Company"), lambda lead: lead.company_name),
        ExportColumn(_("Phone"), lambda lead: lead.phone_display),
        ExportColumn(_("Email address"), lambda lead: lead.email),
        ExportColumn(_("WeChat"), lambda lead: lead.wechat),
        ExportColumn(_("Province"), lambda lead: lead.province),
        ExportColumn(_("City"), lambda lead: lead.city),
        ExportColumn(_("Score"), lambda lead: lead.score),
        ExportColumn(_("Status"), lambda lead: lead.get_status_display()),
        ExportColumn(_("Source"), lambda lead: lead.get_source_display()),
        ExportColumn(_("Owner"), lambda lead: person(lead.owner, _("Pool"))),
        ExportColumn(_("Created"), lambda lead: lead.created_at),
        ExportColumn(_("Converted at"), lambda lead: lead.converted_at),
    ]


@signed_in
def lead_export(request):
    """The list as it is filtered and sorted, every page of it, as XLSX or CSV."""
    filters, ordering = _listing(request.GET)
    leads = keyset_ordering(filter_leads(request.user, filters).select_related("owner"), ordering)
    return export_response(request, name="leads", columns=_lead_export_columns(), queryset=leads)


# --- creating and editing --------------------------------------------------------------------


@signed_in
def lead_create(request):
    status = 200
    if request.method == "POST":
        form = LeadEditForm(request.POST)
        try:
            lead = create_lead(actor=request.user, data=form.input_data(request.POST))
        except TendError as exc:
            form.show_errors(exc)
            status = exc.status
        else:
            messages.success(request, _("The lead was created."))
            return redirect("web:lead_detail", pk=lead.pk)
    else:
        form = LeadEditForm(initial={"source": LeadSource.MANUAL})
    return render(
        request,
        "web/leads/form.html",
        {"form": form, "lead": None, "cancel_url": reverse("web:lead_list")},
        status=status,
    )


@signed_in
def lead_edit(request, pk):
    lead = access_lead(request.user, pk)
    detail = reverse("web:lead_detail", args=[pk])
    if lead.is_converted:
        messages.error(request, _("A converted lead cannot be changed."))
        return redirect(detail)
    status = 200
    if request.method == "POST":
        form = LeadEditForm(request.POST)
        try:
            update_lead(actor=request.user, lead=lead, data=form.input_data(request.POST))
        except TendError as exc:
            form.show_errors(exc)
            status = exc.status
        else:
            messages.success(request, _("The changes were saved."))
            return redirect(detail)
    else:
        form = LeadEditForm(lead=lead)
    return render(
        request,
        "web/leads/form.html",
        {"form": form, "lead": lead, "cancel_url": detail},
        status=status,
    )


# --- the lead page ---------------------------------------------------------------------------


def _raw_rows(raw: dict) -> list[tuple[str, str]]:
    return [
        (str(name), value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
        for name, value in (raw or {}).items()
    ]


def _conversion_choices(user, candidates) -> dict:
    """What the conversion form offers: visible duplicate candidates first, then the user's
    recently updated customers; the open deals of those candidates; open stages by pipeline;
    the required custom fields a new customer needs. A fixed number of queries."""
    suggested = [candidate.record for candidate in candidates.customers if candidate.visible]
    suggested_ids = {customer.pk for customer in suggested}
    customers = suggested + [
        customer
        for customer in recent_customers(user, RECENT_CUSTOMERS)
        if customer.pk not in suggested_ids
    ]
    return {
        "customers": customers,
        "deals": open_deals_of(user, suggested_ids),
        "pipelines": active_pipelines(),
        "definitions": list(custom_field_definitions()),
    }


def _matched(candidate) -> str:
    # The separator is translated too: Chinese lists with "、".
    return _(", ").join(str(MATCH_LABELS[name]) for name in candidate.matched_on)


def _render_detail(request, lead, *, convert_form=None, duplicate=None, status=200):
    user = request.user
    candidates = duplicate_candidates(user, lead)
    context = {
        "lead": lead,
        "raw_rows": _raw_rows(lead.raw_fields),
        "candidates": candidates,
        "customer_candidates": [(c, _matched(c)) for c in candidates.customers],
        "lead_candidates": [(c, _matched(c)) for c in candidates.leads],
        "scoring_rules": scoring_rules(),
        "statuses": [
            (value, label)
            for value, label in LeadStatus.choices
            if value not in (LeadStatus.CONVERTED, LeadStatus.DISQUALIFIED)
        ],
        "can_assign": user.is_admin or user.is_manager,
        "duplicate": duplicate,
    }
    if not lead.is_converted:
        if context["can_assign"]:
            context["owners"] = _owners(user)
        if lead.status != LeadStatus.DISQUALIFIED:
            if convert_form is None:
                # A customer that looks like the same one is offered first, and chosen.
                suggested = next(
                    (
                        candidate.record.pk
                        for candidate in candidates.customers
                        if candidate.visible
                    ),
                    None,
                )
                convert_form = ConvertForm(
                    initial={
                        "customer_mode": "existing" if suggested else "new",
                        "customer": suggested or "",
                        "deal_mode": "new",
                    },
                    **_conversion_choices(user, candidates),
                )
            context["convert_form"] = convert_form
    return render(request, "web/leads/detail.html", context, status=status)


@signed_in
def lead_detail(request, pk):
    return _render_detail(request, access_lead(request.user, pk))


@signed_in
@require_POST
def lead_convert(request, pk):
    lead = access_lead(request.user, pk)
    choices = _conversion_choices(request.user, duplicate_candidates(request.user, lead))
    form = ConvertForm(request.POST, **choices)
    try:
        lead = convert_lead(
            actor=request.user, lead=lead, **form.conversion_arguments(request.POST)
        )
    except DuplicateFound as exc:
        if exc.existing_visible:
            # The same form again, now attaching to the existing customer: one more click.
            data = request.POST.copy()
            data["customer_mode"] = "existing"
            data["customer"] = str(exc.existing.pk)
            data["customer_id"] = ""
            if exc.existing.pk not in {customer.pk for customer in choices["customers"]}:
                choices["customers"] = [exc.existing, *choices["customers"]]
            form = ConvertForm(data, **choices)
        form.show_errors(exc)
        return _render_detail(request, lead, convert_form=form, duplicate=exc, status=exc.status)
    except LeadAlreadyConverted as exc:
        # The page has no conversion form any more: the message goes above it.
        return redirect_with_error(request, exc, reverse("web:lead_detail", args=[pk]))
    except TendError as exc:
        if lead.status == LeadStatus.DISQUALIFIED:
            return redirect_with_error(request, exc, reverse("web:lead_detail", args=[pk]))
        form.show_errors(exc)
        return _render_detail(request, lead, convert_form=form, status=exc.status)
    messages.success(
        request,
        _("The lead was converted: customer “%(name)s”.") % {"name": lead.converted_customer.name},
    )
    return redirect("web:lead_detail", pk=pk)


@signed_in
@require_POST
def lead_status(request, pk):
    lead = access_lead(request.user, pk)
    detail = reverse("web:lead_detail", args=[pk])
    try:
        lead = set_lead_status(
            actor=request.user,
            lead=lead,
            status=request.POST.get("status", ""),
            reason=request.POST.get("reason", ""),
        )
    except TendError as exc:
        return redirect_with_error(request, exc, detail)
    messages.success(
        request, _("The lead is now %(status)s.") % {"status": lead.get_status_display()}
    )
    return redirect(detail)


@signed_in
@require_POST
def lead_claim(request, pk):
    lead = access_lead(request.user, pk)
    detail = reverse("web:lead_detail", args=[pk])
    try:
        claim_lead(actor=request.user, lead=lead)
    except TendError as exc:
        return redirect_with_error(request, exc, detail)
    messages.success(request, _("The lead is yours now."))
    return redirect(detail)


@signed_in
@require_POST
def lead_assign(request, pk):
    lead = access_lead(request.user, pk)
    detail = reverse("web:lead_detail", args=[pk])
    owner = request.POST.get("owner", "")
    try:
        if owner in ("", "pool"):
            owner_id = None
        else:
            owner_id = parse_record_id(owner)
            if owner_id is None:
                raise ValidationFailed(field_errors={"owner": [_("Choose a user.")]})
        lead = assign_lead(actor=request.user, lead=lead, owner_id=owner_id)
    except TendError as exc:
        return redirect_with_error(request, exc, detail)
    if lead.owner is None:
        messages.success(request, _("The lead is back in the pool."))
    else:
        messages.success(
            request, _("The lead now belongs to %(name)s.") % {"name": lead.owner.display_name}
        )
    return redirect(detail)


@signed_in
@require_POST
def lead_delete(request, pk):
    lead = access_lead(request.user, pk)
    try:
        delete_lead(actor=request.user, lead=lead)
    except TendError as exc:
        return redirect_with_error(request, exc, reverse("web:lead_detail", args=[pk]))
    messages.success(request, _("“%(name)s” was moved to the recycle bin.") % {"name": str(lead)})
    return redirect(safe_next(request, reverse("web:lead_list")))


# --- web forms (administrators) --------------------------------------------------------------


def _require_admin(user) -> None:
    # Settings pages do not exist for anyone else (404, like records one may not see).
    if not user.is_admin:
        raise NotFound()


@signed_in
def lead_form_settings(request):
    _require_admin(request.user)
    status = 200
    if request.method == "POST":
        form = LeadFormSettingsForm(request.POST)
        try:
            created = create_lead_form(actor=request.user, data=form.input_data(request.POST))
        except TendError as exc:
            form.show_errors(exc)
            status = exc.status
        else:
            messages.success(request, _("The web form “%(name)s” was created.") % {"name": created})
            return redirect("web:lead_form_settings")
    else:
        form = LeadFormSettingsForm()
    return render(
        request,
        "web/settings/lead_forms.html",
        {
            "form": form,
            "lead_forms": list(lead_forms()),
            "endpoint": request.build_absolute_uri("/api/v1/leads/inbound"),
        },
        status=status,
    )


@signed_in
@require_POST
def lead_form_active(request, pk):
    lead_form = access_lead_form(request.user, pk)
    active = request.POST.get("active") == "1"
    try:
        set_lead_form_active(actor=request.user, form=lead_form, active=active)
    except TendError as exc:
        return redirect_with_error(request, exc, reverse("web:lead_form_settings"))
    if active:
        messages.success(request, _("The web form “%(name)s” is active.") % {"name": lead_form})
    else:
        messages.success(
            request,
            _("The web form “%(name)s” is deactivated: its key is refused.") % {"name": lead_form},
        )
    return redirect("web:lead_form_settings")
