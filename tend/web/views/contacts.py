"""Adding, editing and deleting a customer's contacts."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tend.core.errors import TendError
from tend.customers.actions import create_contact, delete_contact, update_contact
from tend.customers.selectors import access_contact, access_customer
from tend.web.access import signed_in
from tend.web.forms import ContactForm
from tend.web.views.common import redirect_with_error


def _contacts_of(customer) -> str:
    return reverse("web:customer_detail", args=[customer.pk]) + "#contacts"


@signed_in
def contact_create(request, pk):
    customer = access_customer(request.user, pk)
    status = 200
    if request.method == "POST":
        form = ContactForm(request.POST)
        try:
            create_contact(
                actor=request.user, customer=customer, data=form.input_data(request.POST)
            )
        except TendError as exc:
            form.show_errors(exc)
            status = exc.status
        else:
            messages.success(request, _("The contact was added."))
            return redirect(_contacts_of(customer))
    else:
        form = ContactForm()
    return render(
        request,
        "web/contacts/form.html",
        {"form": form, "customer": customer, "contact": None},
        status=status,
    )


@signed_in
def contact_edit(request, pk):
    contact = access_contact(request.user, pk)
    customer = contact.customer
    status = 200
    if request.method == "POST":
        form = ContactForm(request.POST)
        try:
            update_contact(actor=request.user, contact=contact, data=form.input_data(request.POST))
        except TendError as exc:
            form.show_errors(exc)
            status = exc.status
        else:
            messages.success(request, _("The contact was saved."))
            return redirect(_contacts_of(customer))
    else:
        form = ContactForm(contact=contact)
    return render(
        request,
        "web/contacts/form.html",
        {"form": form, "customer": customer, "contact": contact},
        status=status,
    )


@signed_in
@require_POST
def contact_delete(request, pk):
    contact = access_contact(request.user, pk)
    try:
        delete_contact(actor=request.user, contact=contact)
    except TendError as exc:
        return redirect_with_error(request, exc, _contacts_of(contact.customer))
    messages.success(
        request, _("“%(name)s” was moved to the recycle bin.") % {"name": contact.name}
    )
    return redirect(_contacts_of(contact.customer))
