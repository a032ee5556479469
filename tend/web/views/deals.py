"""Deal pages: the kanban board of a pipeline (drag a card to move it; each card also has a
"move to" form that works without JavaScript), the filtered list, the deal page with its
stage's guidance and history, create / edit / move / pause / delete, and the customer tab."""

from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tend.accounts.selectors import assignable_users
from tend.core.errors import NotFound, TendError, ValidationFailed
from tend.core.ids import parse_record_id
from tend.core.pagination import capped_count, keyset_ordering
from tend.customers.selectors import access_customer, customer_contacts, visible_customers
from tend.deals.actions import (
    create_deal,
    delete_deal,
    move_deal,
    pause_deal,
    resume_deal,
    update_deal,
)
from tend.deals.models import Stage, StageCategory
from tend.deals.selectors import (
    DEAL_ORDERINGS,
    DealFilters,
    access_deal,
    active_pipelines,
    board,
    board_totals,
    deal_page,
    deal_stage_history,
    filter_deals,
    pipeline_stages,
)
from tend.web.access import signed_in
from tend.web.deal_forms import DealEditForm, DealForm
from tend.web.exporting import ExportColumn, export_query, export_response, person, yes_no
from tend.web.views.common import error_text, is_htmx, redirect_with_error, safe_next

PAGE_SIZE = 25
DEFAULT_ORDERING = "-updated_at"
CUSTOMER_CHOICES = 200
ORDERING_LABELS = {
    "-updated_at": gettext_lazy("Recently updated"),
    "expected_close_on": gettext_lazy("Expected close (soonest first)"),
    "-amount": gettext_lazy("Amount (largest first)"),
}
STATUS_LABELS = {
    StageCategory.OPEN: gettext_lazy("Open"),
    StageCategory.WON: gettext_lazy("Won"),
    StageCategory.LOST: gettext_lazy("Lost"),
}


def _owners(user, keep=None) -> list:
    owners = list(assignable_users(user).order_by("full_name", "username")[:500])
    if keep is not None and keep.pk not in {owner.pk for owner in owners}:
        owners.append(keep)
    return owners


def _flag(value: str) -> bool | None:
    return {"1": True, "0": False}.get(value)


def _filters_from(params) -> DealFilters:
    return DealFilters(
        pipeline=parse_record_id(params.get("pipeline")),
        stage=parse_record_id(params.get("stage")),
        owner=params.get("owner", "").strip()[:20],
        customer=parse_record_id(params.get("customer")),
        status=params.get("status", "").strip()[:10],
        stalled=params.get("stalled") == "1",
        paused=_flag(params.get("paused", "")),
        query=params.get("q", "").strip()[:100],
    )


# --- the board -------------------------------------------------------------------------------


def _board_pipeline(request, pipelines):
    """The pipeline asked for (?pipeline=<id>), else the default one, else the first."""
    wanted = parse_record_id(request.GET.get("pipeline"))
    if wanted is not None:
        for pipeline in pipelines:
            if pipeline.pk == wanted:
                return pipeline
        raise NotFound()
    for pipeline in pipelines:
        if pipeline.is_default:
            return pipeline
    return pipelines[0] if pipelines else None


@signed_in
def deal_board(request):
    pipelines = active_pipelines()
    pipeline = _board_pipeline(request, pipelines)
    filters = _filters_from(request.GET)
    columns = board(request.user, pipeline, filters) if pipeline is not None else []
    return render(
        request,
        "web/deals/board.html",
        {
            "pipelines": pipelines,
            "pipeline": pipeline,
            "columns": columns,
            "stages": [column.stage for column in columns],
            "filters": filters,
            "board_query": request.GET.urlencode(),
        },
    )


def _moved_fragment(request, deal, from_stage_id):
    """After a move from the board: the card, and the heads of the two columns it left and
    entered with their new counts and sums."""
    filters = _filters_from(QueryDict(request.POST.get("board_query", "")))
    stage_ids = {from_stage_id, deal.stage_id}
    totals = board_totals(request.user, deal.pipeline, filters, stage_ids)
    stages = pipeline_stages(deal.pipeline)
    heads = [
        {"stage": stage, **totals.get(stage.pk, {"count": 0, "amount": 0, "weighted_amount": 0})}
        for stage in stages
        if stage.pk in stage_ids
    ]
    return render(
        request,
        "web/deals/_moved.html",
        {"deal": deal, "stages": stages, "heads": heads},
    )


def _stage_for_move(value) -> Stage:
    stage = Stage.objects.select_related("pipeline").filter(pk=parse_record_id(value) or 0).first()
    if stage is None:
        raise ValidationFailed(field_errors={"stage": [_("Choose a stage.")]})
    return stage


@signed_in
@require_POST
def deal_move(request, pk):
    """Move a deal to another stage: from the board (by dragging, answered with a fragment)
    or from a form (answered with a redirect). A stage of another pipeline moves the deal to
    that pipeline."""
    deal = access_deal(request.user, pk)
    from_stage_id = deal.stage_id
    detail = reverse("web:deal_detail", args=[pk])
    try:
        stage = _stage_for_move(request.POST.get("stage"))
        pipeline = stage.pipeline if stage.pipeline_id != deal.pipeline_id else None
        deal = move_deal(
            actor=request.user,
            deal=deal,
            stage=stage,
            reason=request.POST.get("reason", ""),
            pipeline=pipeline,
        )
    except TendError as exc:
        if is_htmx(request):
            return HttpResponse(
                error_text(exc), status=exc.status, content_type="text/plain; charset=utf-8"
            )
        return redirect_with_error(request, exc, safe_next(request, detail))
    deal = access_deal(request.user, pk)
    if is_htmx(request):
        return _moved_fragment(request, deal, from_stage_id)
    if deal.stage_id != from_stage_id:
        messages.success(
            request,
            _("“%(name)s” is now in %(stage)s.") % {"name": deal.name, "stage": deal.stage.label},
        )
    return redirect(safe_next(request, detail))


# --- the list --------------------------------------------------------------------------------


def _listing(params) -> tuple[DealFilters, str]:
    """The list's filters and order, read alike by the list and its export."""
    ordering = params.get("ordering", DEFAULT_ORDERING)
    if ordering not in DEAL_ORDERINGS:
        ordering = DEFAULT_ORDERING
    return _filters_from(params), ordering


@signed_in
def deal_list(request):
    user = request.user
    filters, ordering = _listing(request.GET)
    cursor = request.GET.get("cursor") or None
    page_error = ""
    try:
        page = deal_page(user, filters, ordering=ordering, cursor=cursor, limit=PAGE_SIZE)
    except ValidationFailed:
        page_error = _("That page link is no longer valid, so the first page is shown.")
        cursor = None
        page = deal_page(user, filters, ordering=ordering, cursor=None, limit=PAGE_SIZE)
    count, more = capped_count(filter_deals(user, filters))
    context = {
        "page": page,
        "deals": page.items,
        "count": count,
        "count_more": more,
        "filters": filters,
        "ordering": ordering,
        "cursor": cursor,
        "page_error": page_error,
        "export_query": export_query(request.GET),
    }
    if is_htmx(request):
        response = render(request, "web/deals/_results.html", context)
    else:
        pipelines = active_pipelines()
        context.update(
            {
                "pipelines": pipelines,
                "owners": _owners(user) if user.is_admin or user.is_manager else [],
                "statuses": list(STATUS_LABELS.items()),
                "orderings": list(ORDERING_LABELS.items()),
            }
        )
        response = render(request, "web/deals/list.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _deal_export_columns() -> list[ExportColumn]:
    return [
        ExportColumn(_("Id"), lambda d: d.pk),
        ExportColumn(_("Deal name"), lambda d: d.name),
        ExportColumn(_("Customer"), lambda d: d.customer.name),
        ExportColumn(_("Pipeline"), lambda d: d.pipeline.name),
        ExportColumn(_("Stage"), lambda d: d.stage.label),
        ExportColumn(_("Status"), lambda d: d.stage.get_category_display()),
        ExportColumn(_("Amount"), lambda d: d.amount),
        ExportColumn(_("Currency"), lambda d: d.currency),
        ExportColumn(_("Probability"), lambda d: d.probability),
        ExportColumn(_("Weighted amount"), lambda d: d.weighted_amount),
        ExportColumn(_("Expected close"), lambda d: d.expected_close_on),
        ExportColumn(_("Owner"), lambda d: person(d.owner)),
        ExportColumn(_("Paused"), lambda d: yes_no(d.paused)),
        ExportColumn(_("Stalled"), lambda d: yes_no(d.is_stalled)),
        ExportColumn(_("Created"), lambda d: d.created_at),
        ExportColumn(_("Last updated"), lambda d: d.updated_at),
    ]


@signed_in
def deal_export(request):
    """The list as it is filtered and sorted, every page of it, as XLSX or CSV."""
    filters, ordering = _listing(request.GET)
    deals = keyset_ordering(
        filter_deals(request.user, filters).select_related(
            "customer", "owner", "stage", "pipeline"
        ),
        ordering,
    )
    return export_response(request, name="deals", columns=_deal_export_columns(), queryset=deals)


# --- one deal --------------------------------------------------------------------------------


def _with_pipeline(data: dict) -> dict:
    """The form offers stages grouped by pipeline; the pipeline is the chosen stage's."""
    stage_id = parse_record_id(data.get("stage"))
    if stage_id:
        pipeline_id = Stage.objects.filter(pk=stage_id).values_list("pipeline_id", flat=True)
        data["pipeline"] = pipeline_id.first() or ""
    else:
        data.pop("pipeline", None)
    return data


@signed_in
def deal_create(request):
    user = request.user
    customer = None
    customer_id = request.POST.get("customer") or request.GET.get("customer")
    if customer_id and (request.method == "GET" or request.POST.get("customer_fixed")):
        customer = access_customer(user, customer_id)
    pipelines = active_pipelines()
    options = {
        "owners": _owners(user),
        "pipelines": pipelines,
        "customer": customer,
        "contacts": customer_contacts(customer) if customer else (),
        "customers": ()
        if customer
        else visible_customers(user).order_by("-updated_at", "-id")[:CUSTOMER_CHOICES],
    }
    status = 200
    if request.method == "POST":
        form = DealForm(request.POST, **options)
        try:
            deal = create_deal(actor=user, data=_with_pipeline(form.input_data(request.POST)))
        except TendError as exc:
            form.show_errors(exc)
            status = exc.status
        else:
            messages.success(request, _("The deal was created."))
            return redirect("web:deal_detail", pk=deal.pk)
    else:
        form = DealForm(
            initial={
                "customer": customer.pk if customer else "",
                "owner": user.pk,
                "currency": "CNY",
                "stage": parse_record_id(request.GET.get("stage")) or "",
            },
            **options,
        )
    if customer is not None:
        cancel = reverse("web:customer_tab", args=[customer.pk, "deals"])
    else:
        cancel = reverse("web:deal_board")
    return render(
        request,
        "web/deals/form.html",
        {"form": form, "deal": None, "customer": customer, "cancel_url": cancel},
        status=status,
    )


@signed_in
def deal_edit(request, pk):
    deal = access_deal(request.user, pk)
    options = {
        "owners": _owners(request.user, keep=deal.owner),
        "contacts": customer_contacts(deal.customer),
    }
    status = 200
    if request.method == "POST":
        form = DealEditForm(request.POST, **options)
        data = form.input_data(request.POST)
        # An owner left as it is is not re-checked (see update_deal).
        if data.get("owner", "") == str(deal.owner_id or ""):
            data.pop("owner", None)
        try:
            deal = update_deal(actor=request.user, deal=deal, data=data)
        except TendError as exc:
            form.show_errors(exc)
            status = exc.status
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("web:deal_detail", pk=deal.pk)
    else:
        form = DealEditForm(deal=deal, **options)
    return render(
        request,
        "web/deals/form.html",
        {
            "form": form,
            "deal": deal,
            "customer": deal.customer,
            "cancel_url": reverse("web:deal_detail", args=[deal.pk]),
        },
        status=status,
    )


@signed_in
def deal_detail(request, pk):
    deal = access_deal(request.user, pk)
    pipelines = active_pipelines()
    stages = pipeline_stages(deal.pipeline)
    return render(
        request,
        "web/deals/detail.html",
        {
            "deal": deal,
            "guidance": deal.stage.guidance(),
            "visits": deal_stage_history(deal),
            "stages": stages,
            "other_pipelines": [p for p in pipelines if p.pk != deal.pipeline_id],
            "won_stage": next((s for s in stages if s.category == StageCategory.WON), None),
            "lost_stage": next((s for s in stages if s.category == StageCategory.LOST), None),
        },
    )


@signed_in
@require_POST
def deal_pause(request, pk):
    deal = access_deal(request.user, pk)
    detail = reverse("web:deal_detail", args=[pk])
    try:
        pause_deal(actor=request.user, deal=deal, reason=request.POST.get("reason", ""))
    except TendError as exc:
        return redirect_with_error(request, exc, detail)
    messages.success(request, _("The deal is paused."))
    return redirect(detail)


@signed_in
@require_POST
def deal_resume(request, pk):
    deal = access_deal(request.user, pk)
    detail = reverse("web:deal_detail", args=[pk])
    try:
        resume_deal(actor=request.user, deal=deal)
    except TendError as exc:
        return redirect_with_error(request, exc, detail)
    messages.success(request, _("The deal is active again."))
    return redirect(detail)


@signed_in
@require_POST
def deal_delete(request, pk):
    deal = access_deal(request.user, pk)
    try:
        delete_deal(actor=request.user, deal=deal)
    except TendError as exc:
        return redirect_with_error(request, exc, reverse("web:deal_detail", args=[pk]))
    messages.success(request, _("“%(name)s” was moved to the recycle bin.") % {"name": deal.name})
    return redirect(safe_next(request, reverse("web:deal_board")))


def customer_deals_tab(request, customer) -> dict:
    """The customer page's Deals tab (registered in tend.deals.apps)."""
    from tend.deals.selectors import customer_deals

    return {"deals": customer_deals(customer)}
