"""Contract pages: the list (filters, keyset pages), create and edit, the contract page with
its status changes, renewal chain and attachments, and the customer page's contracts tab."""

from django.contrib import messages
from django.forms.utils import ErrorDict
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tend.contracts.actions import (
    add_contract_attachment,
    change_contract_status,
    create_contract,
    delete_contract,
    delete_contract_attachment,
    update_contract,
)
from tend.contracts.files import allowed_extensions, max_attachment_bytes
from tend.contracts.models import Contract, ContractStatus
from tend.contracts.selectors import (
    CONTRACT_ORDERINGS,
    ContractFilters,
    access_attachment,
    access_contract,
    contract_attachments,
    contract_page,
    contract_status_history,
    customer_contracts,
    filter_contracts,
    renewal_chain,
)
from tend.core.errors import TendError, ValidationFailed
from tend.core.pagination import capped_count, keyset_ordering
from tend.core.time import today
from tend.deals.models import Deal
from tend.orders.selectors import contract_orders
from tend.web.access import signed_in
from tend.web.exporting import ExportColumn, export_query, export_response, person
from tend.web.ledger_forms import AttachmentForm, ContractForm, ContractStatusForm
from tend.web.views.common import is_htmx, redirect_with_error
from tend.web.views.ledger import choose_customer, customer_from, date_param

PAGE_SIZE = 25
CHOICES_SHOWN = 200


def _filters_from(params) -> ContractFilters:
    status = params.get("status", "").strip()
    return ContractFilters(
        customer=params.get("customer", "").strip(),
        status=status if status in ContractStatus.values else "",
        signed_from=date_param(params, "signed_from"),
        signed_to=date_param(params, "signed_to"),
    )


def _listing(params) -> tuple[ContractFilters, str]:
    """The list's filters and order, read alike by the list and its export."""
    ordering = params.get("ordering", "-created_at")
    if ordering not in CONTRACT_ORDERINGS:
        ordering = "-created_at"
    return _filters_from(params), ordering


@signed_in
def contract_list(request):
    user = request.user
    filters, ordering = _listing(request.GET)
    cursor = request.GET.get("cursor") or None
    page_error = ""
    try:
        page = contract_page(user, filters, ordering=ordering, cursor=cursor, limit=PAGE_SIZE)
    except ValidationFailed:
        page_error = _("That page link is no longer valid, so the first page is shown.")
        cursor = None
        page = contract_page(user, filters, ordering=ordering, cursor=None, limit=PAGE_SIZE)
    count, more = capped_count(filter_contracts(user, filters))
    context = {
        "page": page,
        "contracts": page.items,
        "count": count,
        "count_more": more,
        "filters": filters,
        "ordering": ordering,
        "cursor": cursor,
        "page_error": page_error,
        "filtered": any([filters.customer, filters.status, filters.signed_from, filters.signed_to]),
        "statuses": ContractStatus.choices,
        "export_query": export_query(request.GET),
    }
    template = "web/contracts/_results.html" if is_htmx(request) else "web/contracts/list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _live(record) -> bool:
    """A linked record that is not in the recycle bin (a link is kept while it is)."""
    return record is not None and record.deleted_at is None


def _contract_export_columns() -> list[ExportColumn]:
    return [
        ExportColumn(_("Id"), lambda c: c.pk),
        ExportColumn(_("Contract number"), lambda c: c.number),
        ExportColumn(_("Title"), lambda c: c.title),
        ExportColumn(_("Customer"), lambda c: c.customer.name),
        ExportColumn(_("Status"), lambda c: c.get_status_display()),
        ExportColumn(_("Amount"), lambda c: c.amount),
        ExportColumn(_("Currency"), lambda c: c.currency),
        ExportColumn(_("Signed on"), lambda c: c.signed_on),
        ExportColumn(_("Start"), lambda c: c.starts_on),
        ExportColumn(_("End"), lambda c: c.ends_on),
        ExportColumn(_("Deal"), lambda c: c.deal.name if _live(c.deal) else ""),
        ExportColumn(_("Renewal of"), lambda c: c.renewal_of.number if _live(c.renewal_of) else ""),
        ExportColumn(_("Created by"), lambda c: person(c.created_by)),
        ExportColumn(_("Created"), lambda c: c.created_at),
    ]


@signed_in
def contract_export(request):
    """The list as it is filtered and sorted, every page of it, as XLSX or CSV."""
    filters, ordering = _listing(request.GET)
    contracts = keyset_ordering(
        filter_contracts(request.user, filters).select_related(
            "customer", "deal", "renewal_of", "created_by"
        ),
        ordering,
    )
    return export_response(
        request, name="contracts", columns=_contract_export_columns(), queryset=contracts
    )


def _form_choices(customer, contract: Contract | None = None) -> dict:
    deals = Deal.objects.filter(customer=customer, deleted_at__isnull=True).order_by(
        "-created_at", "-id"
    )[:CHOICES_SHOWN]
    earlier = Contract.objects.filter(customer=customer, deleted_at__isnull=True).order_by(
        "-created_at", "-id"
    )
    if contract is not None:
        earlier = earlier.exclude(pk=contract.pk)
    return {"deals": list(deals), "earlier_contracts": list(earlier[:CHOICES_SHOWN])}


@signed_in
def contract_create(request):
    customer = customer_from(request)
    if customer is None:
        return choose_customer(request, title=_("New contract"), url_name="web:contract_create")
    choices = _form_choices(customer)
    status = 200
    if request.method == "POST":
        form = ContractForm(request.POST, **choices)
        try:
            contract = create_contract(
                actor=request.user, customer=customer, data=form.input_data(request.POST)
            )
        except TendError as exc:
            form.show_errors(exc)
            status = exc.status
        else:
            messages.success(request, _("The contract was created."))
            return redirect("web:contract_detail", pk=contract.pk)
    else:
        form = ContractForm(**choices)
    return render(
        request,
        "web/contracts/form.html",
        {"form": form, "customer": customer, "contract": None},
        status=status,
    )


@signed_in
def contract_edit(request, pk):
    contract = access_contract(request.user, pk)
    choices = _form_choices(contract.customer, contract)
    status = 200
    if request.method == "POST":
        form = ContractForm(request.POST, contract=contract, **choices)
        try:
            contract = update_contract(
                actor=request.user, contract=contract, data=form.input_data(request.POST)
            )
        except TendError as exc:
            form.show_errors(exc)
            status = exc.status
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("web:contract_detail", pk=contract.pk)
    else:
        form = ContractForm(contract=contract, **choices)
    return render(
        request,
        "web/contracts/form.html",
        {"form": form, "customer": contract.customer, "contract": contract},
        status=status,
    )


def _detail(request, contract, *, status_form=None, attachment_form=None, status=200):
    return render(
        request,
        "web/contracts/detail.html",
        {
            "contract": contract,
            "customer": contract.customer,
            "chain": renewal_chain(contract),
            "attachments": contract_attachments(contract),
            "status_history": contract_status_history(contract),
            "orders": contract_orders(contract),
            "today": today(),
            "status_form": status_form or ContractStatusForm(contract=contract),
            "attachment_form": attachment_form or AttachmentForm(),
            "max_attachment_bytes": max_attachment_bytes(),
            "allowed_extensions": allowed_extensions(),
        },
        status=status,
    )


@signed_in
def contract_detail(request, pk):
    return _detail(request, access_contract(request.user, pk))


@signed_in
@require_POST
def contract_status(request, pk):
    contract = access_contract(request.user, pk)
    form = ContractStatusForm(request.POST, contract=contract)
    try:
        change_contract_status(
            actor=request.user, contract=contract, data=form.input_data(request.POST)
        )
    except TendError as exc:
        form.show_errors(exc)
        return _detail(request, contract, status_form=form, status=exc.status)
    messages.success(request, _("The contract's status was changed."))
    return redirect("web:contract_detail", pk=contract.pk)


@signed_in
@require_POST
def contract_delete(request, pk):
    contract = access_contract(request.user, pk)
    try:
        delete_contract(actor=request.user, contract=contract)
    except TendError as exc:
        return redirect_with_error(request, exc, reverse("web:contract_detail", args=[pk]))
    messages.success(
        request,
        _("Contract %(number)s was moved to the recycle bin.") % {"number": contract.number},
    )
    return redirect(reverse("web:customer_tab", args=[contract.customer_id, "contracts"]))


@signed_in
@require_POST
def attachment_upload(request, pk):
    contract = access_contract(request.user, pk)
    try:
        add_contract_attachment(
            actor=request.user, contract=contract, upload=request.FILES.get("file")
        )
    except TendError as exc:
        form = AttachmentForm()
        # With _errors set, rendering never runs the form's own validation.
        form._errors = ErrorDict(
            {"file": form.error_class(exc.field_errors.get("file") or [str(exc.message)])}
        )
        return _detail(request, contract, attachment_form=form, status=exc.status)
    messages.success(request, _("The file was attached."))
    return redirect(reverse("web:contract_detail", args=[pk]) + "#attachments")


@signed_in
@require_GET
def attachment_download(request, pk):
    """The file, only to whoever may see its contract, always as a download (never shown
    inline, so an uploaded file cannot run as a page of this site)."""
    attachment = access_attachment(request.user, pk)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@signed_in
@require_POST
def attachment_delete(request, pk):
    attachment = access_attachment(request.user, pk)
    detail = reverse("web:contract_detail", args=[attachment.contract_id]) + "#attachments"
    try:
        delete_contract_attachment(actor=request.user, attachment=attachment)
    except TendError as exc:
        return redirect_with_error(request, exc, detail)
    messages.success(
        request,
        _("“%(name)s” was moved to the recycle bin.") % {"name": attachment.original_name},
    )
    return redirect(detail)


def contracts_tab_context(request, customer) -> dict:
    return {"contracts": customer_contracts(customer)}
