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
from tend.core.pagination import capped_count
from tend.core.time import today
from tend.deals.models import Deal
from tend.orders.selectors import contract_orders
from tend.web.access import signed_in
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


@signed_in
def contract_list(request):
    user = request.user
    filters = _filters_from(request.GET)
    ordering = request.GET.get("ordering", "-created_at")
    if ordering not in CONTRACT_ORDERINGS:
        ordering = "-created_at"
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
    }
    template = "web/contracts/_results.html" if is_htmx(request) else "web/contracts/list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


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
