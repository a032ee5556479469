"""The rules a contract, a status change and an attachment must satisfy, whichever door they
come through."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tend.contracts.models import SIGNED_STATUSES, ContractStatus
from tend.core.ids import MAX_ID
from tend.core.validators import check_plausible_year

DEFAULT_CURRENCY = "CNY"


class CurrencyField(forms.CharField):
    """An ISO 4217 code (CNY, USD…); empty means CNY."""

    def __init__(self, **kwargs):
        super().__init__(max_length=3, required=False, **kwargs)

    def clean(self, value):
        value = (super().clean(value) or "").strip().upper()
        if not value:
            return DEFAULT_CURRENCY
        if len(value) != 3 or not value.isascii() or not value.isalpha():
            raise ValidationError(
                _("Enter a three-letter currency code, such as CNY."), code="currency"
            )
        return value


class MoneyField(forms.DecimalField):
    """An amount with two decimal places, kept as 12.30 however it was written (12.3)."""

    def __init__(self, *, minimum=Decimal(0), **kwargs):
        super().__init__(max_digits=16, decimal_places=2, min_value=minimum, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        return None if value is None else value.quantize(Decimal("0.01"))


class PlausibleDateField(forms.DateField):
    def clean(self, value):
        return check_plausible_year(super().clean(value))


class ContractInput(forms.Form):
    number = forms.CharField(label=_("contract number"), max_length=64)
    title = forms.CharField(label=_("title"), max_length=200, required=False)
    deal = forms.IntegerField(label=_("deal"), required=False, min_value=1, max_value=MAX_ID)
    amount = MoneyField(label=_("amount"))
    currency = CurrencyField(label=_("currency"))
    signed_on = PlausibleDateField(label=_("signed on"), required=False)
    starts_on = PlausibleDateField(label=_("start"), required=False)
    ends_on = PlausibleDateField(label=_("end"), required=False)
    renewal_of = forms.IntegerField(
        label=_("renewal of"), required=False, min_value=1, max_value=MAX_ID
    )
    notes = forms.CharField(label=_("notes"), max_length=5000, required=False)

    def clean_number(self):
        number = self.cleaned_data["number"].strip()
        if not number:
            raise ValidationError(_("This field is required."), code="required")
        return number

    def clean(self):
        cleaned = super().clean()
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("The end cannot be before the start."))
        return cleaned


class ContractCreateInput(ContractInput):
    """A new contract may be recorded in any status (an old paper contract is entered signed);
    from then on the status moves only through change_contract_status."""

    status = forms.ChoiceField(label=_("status"), choices=ContractStatus.choices, required=False)

    def clean_status(self):
        return self.cleaned_data.get("status") or ContractStatus.DRAFT

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status") in SIGNED_STATUSES and not cleaned.get("signed_on"):
            self.add_error("signed_on", _("A signed contract needs its signing date."))
        return cleaned


class ContractStatusInput(forms.Form):
    status = forms.ChoiceField(label=_("status"), choices=ContractStatus.choices)
    signed_on = PlausibleDateField(label=_("signed on"), required=False)
    reason = forms.CharField(label=_("reason"), max_length=500, required=False)
