"""Order and payment pages: lists with filters and keyset pages, create and edit, the order
page (allocations, outstanding), the payment page (allocating it), and the customer page's
orders tab with the receivable balance and the oldest overdue days."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tend.contracts.models import Contract
from tend.core.errors import TendError, ValidationFailed
from tend.core.pagination import capped_count, keyset_ordering
from tend.core.time import today
from tend.orders.actions import (
    allocate_payment,
    auto_allocate_payment,
    create_order,
    delete_order,
    delete_payment,
    record_payment,
    remove_allocation,
    update_order,
    update_payment,
)
from tend.orders.models import PaymentMethod
from tend.orders.selectors import (
    ORDER_ORDERINGS,
    PAYMENT_ORDERINGS,
    OrderFilters,
    OrderState,
    PaymentFilters,
    access_allocation,
    access_order,
    access_payment,
    cents,
    customer_receivables,
    customer_recent_orders,
    customer_recent_payments,
    filter_orders,
    filter_payments,
    order_allocations,
    order_page,
    outstanding_orders,
    payment_allocations,
    payment_page,
)
from tend.web.access import signed_in
from tend.web.exporting import ExportColumn, export_query, export_response, person
from tend.web.ledger_forms import AllocationForm, OrderForm, PaymentForm
from tend.web.views.common import is_htmx, redirect_with_error
from tend.web.views.ledger import choose_customer, customer_from, date_param

PAGE_SIZE = 25
TAB_ROWS = 10
CHOICES_SHOWN = 200
ALLOCATE_PREFIX = "allocate_"


def _page_or_first(read_page, *args, cursor, **options):
    """(page, cursor, error): a damaged or stale cursor shows the first page instead."""
    try:
        return read_page(*args, cursor=cursor, **options), cursor, ""
    except ValidationFailed:
        error = _("That page link is no longer valid, so the first page is shown.")
        return read_page(*args, cursor=None, **options), None, error


def _order_filters(params) -> OrderFilters:
    state = params.get("state", "").strip()
    if params.get("overdue") == "1":
        state = OrderState.OVERDUE
    return OrderFilters(
        customer=params.get("customer", "").strip(),
        contract=params.get("contract", "").strip(),
        state=state if state in OrderState.CHOICES else "",
        ordered_from=date_param(params, "ordered_from"),
        ordered_to=date_param(params, "ordered_to"),
    )


def _order_listing(params) -> tuple[OrderFilters, str]:
    """The order list's filters and order, read alike by the list and its export."""
    ordering = params.get("ordering", "-ordered_on")
    if ordering not in ORDER_ORDERINGS:
        ordering = "-ordered_on"
    return _order_filters(params), ordering


@signed_in
def order_list(request):
    user = request.user
    filters, ordering = _order_listing(request.GET)
    page, cursor, page_error = _page_or_first(
        order_page,
        user,
        filters,
        cursor=request.GET.get("cursor") or None,
        ordering=ordering,
        limit=PAGE_SIZE,
    )
    count, more = capped_count(filter_orders(user, filters))
    context = {
        "page": page,
        "orders": page.items,
        "count": count,
        "count_more": more,
        "filters": filters,
        "ordering": ordering,
        "cursor": cursor,
        "page_error": page_error,
        "today": today(),
        "export_query": export_query(request.GET),
        "filtered": any(
            [
                filters.customer,
                filters.contract,
                filters.state,
                filters.ordered_from,
                filters.ordered_to,
            ]
        ),
    }
    template = "web/orders/_results.html" if is_htmx(request) else "web/orders/list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _order_state(order, day) -> str:
    if cents(order.outstanding) <= 0:
        return _("Paid")
    if order.due_on is not None and order.due_on < day:
        return _("Overdue")
    return _("Outstanding")


def _order_export_columns() -> list[ExportColumn]:
    day = today()
    return [
        ExportColumn(_("Id"), lambda o: o.pk),
        ExportColumn(_("Order number"), lambda o: o.number),
        ExportColumn(_("Product / description"), lambda o: o.description),
        ExportColumn(_("Customer"), lambda o: o.customer.name),
        ExportColumn(
            _("Contract"),
            lambda o: o.contract.number if o.contract and o.contract.deleted_at is None else "",
        ),
        ExportColumn(_("Quantity"), lambda o: o.quantity),
        ExportColumn(_("Amount"), lambda o: o.amount),
        ExportColumn(_("Outstanding"), lambda o: cents(o.outstanding)),
        ExportColumn(_("Status"), lambda o: _order_state(o, day)),
        ExportColumn(_("Order date"), lambda o: o.ordered_on),
        ExportColumn(_("Payment due"), lambda o: o.due_on),
        ExportColumn(_("Notes"), lambda o: o.notes),
        ExportColumn(_("Created by"), lambda o: person(o.created_by)),
        ExportColumn(_("Created"), lambda o: o.created_at),
    ]


@signed_in
def order_export(request):
    """The list as it is filtered and sorted, every page of it, as XLSX or CSV."""
    filters, ordering = _order_listing(request.GET)
    orders = keyset_ordering(
        filter_orders(request.user, filters).select_related("customer", "contract", "created_by"),
        ordering,
    )
    return export_response(request, name="orders", columns=_order_export_columns(), queryset=orders)


def _contracts_of(customer) -> list:
    return list(
        Contract.objects.filter(customer=customer, deleted_at__isnull=True).order_by(
            "-created_at", "-id"
        )[:CHOICES_SHOWN]
    )


def _orders_tab(customer_id) -> str:
    return reverse("web:customer_tab", args=[customer_id, "orders"])


@signed_in
def order_create(request):
    customer = customer_from(request)
    if customer is None:
        return choose_customer(request, title=_("New order"), url_name="web:order_create")
    contracts = _contracts_of(customer)
    status = 200
    if request.method == "POST":
        form = OrderForm(request.POST, contracts=contracts)
        try:
            order = create_order(
                actor=request.user, customer=customer, data=form.input_data(request.POST)
            )
        except TendError as exc:
            form.show_errors(exc)
            status = exc.status
        else:
            messages.success(request, _("The order was created."))
            return redirect("web:order_detail", pk=order.pk)
    else:
        initial = {"quantity": 1}
        contract_id = request.GET.get("contract", "")
        if any(str(contract.pk) == contract_id for contract in contracts):
            initial["contract"] = contract_id
        form = OrderForm(contracts=contracts, initial=initial)
    return render(
        request,
        "web/orders/form.html",
        {"form": form, "customer": customer, "order": None},
        status=status,
    )


@signed_in
def order_edit(request, pk):
    order = access_order(request.user, pk)
    contracts = _contracts_of(order.customer)
    status = 200
    if request.method == "POST":
        form = OrderForm(request.POST, order=order, contracts=contracts)
        try:
            order = update_order(
                actor=request.user, order=order, data=form.input_data(request.POST)
            )
        except TendError as exc:
            form.show_errors(exc)
            status = exc.status
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("web:order_detail", pk=order.pk)
    else:
        form = OrderForm(order=order, contracts=contracts)
    return render(
        request,
        "web/orders/form.html",
        {"form": form, "customer": order.customer, "order": order},
        status=status,
    )


@signed_in
def order_detail(request, pk):
    order = access_order(request.user, pk)
    return render(
        request,
        "web/orders/detail.html",
        {"order": order, "customer": order.customer, "allocations": order_allocations(order)},
    )


@signed_in
@require_POST
def order_delete(request, pk):
    order = access_order(request.user, pk)
    try:
        delete_order(actor=request.user, order=order)
    except TendError as exc:
        return redirect_with_error(request, exc, reverse("web:order_detail", args=[pk]))
    messages.success(request, _("“%(name)s” was moved to the recycle bin.") % {"name": str(order)})
    return redirect(_orders_tab(order.customer_id))


def _payment_filters(params) -> PaymentFilters:
    method = params.get("method", "").strip()
    return PaymentFilters(
        customer=params.get("customer", "").strip(),
        method=method if method in PaymentMethod.values else "",
        unallocated=params.get("unallocated") == "1",
        received_from=date_param(params, "received_from"),
        received_to=date_param(params, "received_to"),
    )


def _payment_export_columns() -> list[ExportColumn]:
    return [
        ExportColumn(_("Id"), lambda p: p.pk),
        ExportColumn(_("Received on"), lambda p: p.received_on),
        ExportColumn(_("Customer"), lambda p: p.customer.name),
        ExportColumn(_("Method"), lambda p: p.get_method_display()),
        ExportColumn(_("Reference"), lambda p: p.reference),
        ExportColumn(_("Amount"), lambda p: p.amount),
        ExportColumn(_("Unallocated"), lambda p: cents(p.unallocated)),
        ExportColumn(_("Notes"), lambda p: p.notes),
        ExportColumn(_("Created by"), lambda p: person(p.created_by)),
        ExportColumn(_("Created"), lambda p: p.created_at),
    ]


@signed_in
def payment_export(request):
    """The list as it is filtered, every page of it, newest first (as the list), as XLSX or
    CSV."""
    payments = keyset_ordering(
        filter_payments(request.user, _payment_filters(request.GET)).select_related(
            "customer", "created_by"
        ),
        PAYMENT_ORDERINGS[0],
    )
    return export_response(
        request, name="payments", columns=_payment_export_columns(), queryset=payments
    )


@signed_in
def payment_list(request):
    user = request.user
    filters = _payment_filters(request.GET)
    page, cursor, page_error = _page_or_first(
        payment_page, user, filters, cursor=request.GET.get("cursor") or None, limit=PAGE_SIZE
    )
    count, more = capped_count(filter_payments(user, filters))
    context = {
        "page": page,
        "payments": page.items,
        "count": count,
        "count_more": more,
        "filters": filters,
        "cursor": cursor,
        "page_error": page_error,
        "filtered": any(
            [
                filters.customer,
                filters.method,
                filters.unallocated,
                filters.received_from,
                filters.received_to,
            ]
        ),
        "methods": PaymentMethod.choices,
        "export_query": export_query(request.GET),
    }
    template = "web/payments/_results.html" if is_htmx(request) else "web/payments/list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _requested_allocations(post, orders) -> list[dict] | None:
    """The amounts typed next to the outstanding orders; None when none was typed (the
    payment then settles the oldest orders first), [] to keep it all as credit."""
    wanted = []
    for order in orders:
        raw = post.get(f"{ALLOCATE_PREFIX}{order.pk}", "").strip()
        if not raw:
            continue
        wanted.append({"order": order.pk, "amount": raw})
    if wanted:
        return wanted
    return [] if post.get("keep_as_credit") else None


@signed_in
def payment_create(request):
    customer = customer_from(request)
    if customer is None:
        return choose_customer(request, title=_("New payment"), url_name="web:payment_create")
    orders = list(outstanding_orders(customer.pk)[:CHOICES_SHOWN])
    status = 200
    typed = {}
    if request.method == "POST":
        form = PaymentForm(request.POST)
        typed = {order.pk: request.POST.get(f"{ALLOCATE_PREFIX}{order.pk}", "") for order in orders}
        try:
            payment = record_payment(
                actor=request.user,
                customer=customer,
                data=form.input_data(request.POST),
                allocations=_requested_allocations(request.POST, orders),
            )
        except TendError as exc:
            form.show_errors(exc)
            status = exc.status
        else:
            messages.success(request, _("The payment was recorded."))
            return redirect("web:payment_detail", pk=payment.pk)
    else:
        form = PaymentForm(initial={"method": PaymentMethod.BANK_TRANSFER})
    return render(
        request,
        "web/payments/form.html",
        {
            "form": form,
            "customer": customer,
            "payment": None,
            "orders": [(order, typed.get(order.pk, "")) for order in orders],
        },
        status=status,
    )


@signed_in
def payment_edit(request, pk):
    payment = access_payment(request.user, pk)
    status = 200
    if request.method == "POST":
        form = PaymentForm(request.POST, payment=payment)
        try:
            payment = update_payment(
                actor=request.user, payment=payment, data=form.input_data(request.POST)
            )
        except TendError as exc:
            form.show_errors(exc)
            status = exc.status
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("web:payment_detail", pk=payment.pk)
    else:
        form = PaymentForm(payment=payment)
    return render(
        request,
        "web/payments/form.html",
        {"form": form, "customer": payment.customer, "payment": payment, "orders": []},
        status=status,
    )


def _payment_page(request, payment, *, allocation_form=None, status=200):
    orders = list(outstanding_orders(payment.customer_id)[:CHOICES_SHOWN])
    return render(
        request,
        "web/payments/detail.html",
        {
            "payment": payment,
            "customer": payment.customer,
            "allocations": payment_allocations(payment),
            "outstanding_orders": orders,
            "allocation_form": allocation_form or AllocationForm(orders=orders),
        },
        status=status,
    )


@signed_in
def payment_detail(request, pk):
    return _payment_page(request, access_payment(request.user, pk))


@signed_in
@require_POST
def payment_allocate(request, pk):
    payment = access_payment(request.user, pk)
    orders = list(outstanding_orders(payment.customer_id)[:CHOICES_SHOWN])
    form = AllocationForm(request.POST, orders=orders)
    try:
        allocate_payment(actor=request.user, payment=payment, data=form.input_data(request.POST))
    except TendError as exc:
        form.show_errors(exc)
        return _payment_page(request, payment, allocation_form=form, status=exc.status)
    messages.success(request, _("The payment was allocated."))
    return redirect("web:payment_detail", pk=pk)


@signed_in
@require_POST
def payment_auto_allocate(request, pk):
    payment = access_payment(request.user, pk)
    try:
        allocations = auto_allocate_payment(actor=request.user, payment=payment)
    except TendError as exc:
        return redirect_with_error(request, exc, reverse("web:payment_detail", args=[pk]))
    if allocations:
        messages.success(request, _("The payment was allocated to the oldest outstanding orders."))
    else:
        messages.info(request, _("Nothing to allocate: no money left or no order outstanding."))
    return redirect("web:payment_detail", pk=pk)


@signed_in
@require_POST
def payment_delete(request, pk):
    payment = access_payment(request.user, pk)
    try:
        delete_payment(actor=request.user, payment=payment)
    except TendError as exc:
        return redirect_with_error(request, exc, reverse("web:payment_detail", args=[pk]))
    messages.success(request, _("The payment was moved to the recycle bin."))
    return redirect(_orders_tab(payment.customer_id))


@signed_in
@require_POST
def allocation_delete(request, pk):
    allocation = access_allocation(request.user, pk)
    detail = reverse("web:payment_detail", args=[allocation.payment_id])
    try:
        remove_allocation(actor=request.user, allocation=allocation)
    except TendError as exc:
        return redirect_with_error(request, exc, detail)
    messages.success(request, _("The allocation was removed; its money is credit again."))
    return redirect(detail)


def orders_tab_context(request, customer) -> dict:
    return {
        "today": today(),
        "receivables": customer_receivables(customer.pk),
        "orders": customer_recent_orders(customer, limit=TAB_ROWS),
        "payments": customer_recent_payments(customer, limit=TAB_ROWS),
    }
