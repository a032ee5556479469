"""Pieces the contract, order and payment pages share: reading list filters from a query
string, and choosing the customer a new record belongs to."""

import datetime

from django.shortcuts import render
from django.utils.dateparse import parse_date

from tend.customers.selectors import CustomerFilters, access_customer, filter_customers

CUSTOMERS_OFFERED = 20


def date_param(params, name: str) -> datetime.date | None:
    """A yyyy-mm-dd query parameter; anything else counts as not given."""
    try:
        value = parse_date(params.get(name, "").strip())
    except ValueError:
        return None
    if value is not None and not 1900 <= value.year <= 2100:
        return None
    return value


def customer_from(request):
    """The customer named by ?customer= (or the posted field), or None; NotFound for one the
    user may not see."""
    customer_id = request.POST.get("customer") or request.GET.get("customer")
    return access_customer(request.user, customer_id) if customer_id else None


def choose_customer(request, *, title: str, url_name: str):
    """The first step of creating a record from a list page: find its customer."""
    query = request.GET.get("q", "").strip()[:100]
    customers = []
    if query:
        # Not one locked for the user (跟进中): nothing can be recorded for it.
        customers = list(
            filter_customers(request.user, CustomerFilters(query=query))
            .filter(locked=False)
            .order_by("name", "id")[:CUSTOMERS_OFFERED]
        )
    return render(
        request,
        "web/ledger/choose_customer.html",
        {"title": title, "url_name": url_name, "query": query, "customers": customers},
    )
