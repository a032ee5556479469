"""The rules an order, a payment and an allocation must satisfy, whichever door they come
through."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tend.contracts.inputs import MoneyField, PlausibleDateField
from tend.core.ids import MAX_ID
from tend.orders.models import PaymentMethod

CENT = Decimal("0.01")


class OrderInput(forms.Form):
    number = forms.CharField(label=_("order number"), max_length=64, required=False)
    description = forms.CharField(label=_("product / description"), max_length=300)
    quantity = forms.DecimalField(
        label=_("quantity"), max_digits=14, decimal_places=2, min_value=CENT, required=False
    )
    amount = MoneyField(label=_("amount"))
    ordered_on = PlausibleDateField(label=_("order date"))
    due_on = PlausibleDateField(label=_("payment due"), required=False)
    contract = forms.IntegerField(
        label=_("contract"), required=False, min_value=1, max_value=MAX_ID
    )
    notes = forms.CharField(label=_("notes"), max_length=2000, required=False)

    def clean_quantity(self):
        quantity = self.cleaned_data.get("quantity")
        return Decimal(1) if quantity is None else quantity

    def clean(self):
        cleaned = super().clean()
        ordered_on, due_on = cleaned.get("ordered_on"), cleaned.get("due_on")
        if ordered_on and due_on and due_on < ordered_on:
            self.add_error("due_on", _("Payment cannot be due before the order date."))
        return cleaned


class PaymentInput(forms.Form):
    amount = MoneyField(label=_("amount"), minimum=CENT)
    received_on = PlausibleDateField(label=_("received on"))
    method = forms.ChoiceField(label=_("method"), choices=PaymentMethod.choices, required=False)
    reference = forms.CharField(label=_("reference"), max_length=100, required=False)
    notes = forms.CharField(label=_("notes"), max_length=2000, required=False)

    def clean_method(self):
        return self.cleaned_data.get("method") or PaymentMethod.BANK_TRANSFER

    def clean_received_on(self):
        received_on = self.cleaned_data["received_on"]
        # A day's grace: the user's calendar may be ahead of the server's time zone.
        if received_on and received_on > timezone.localdate() + timezone.timedelta(days=1):
            raise ValidationError(_("A payment cannot be received in the future."), code="future")
        return received_on


class AllocationInput(forms.Form):
    order = forms.IntegerField(label=_("order"), min_value=1, max_value=MAX_ID)
    amount = MoneyField(label=_("amount"), minimum=CENT)
