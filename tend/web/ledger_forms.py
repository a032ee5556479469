"""Display forms for contracts, orders and payments (see tend/web/forms.py: they render the
domain's input classes and show the actions' errors; they never validate)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from tend.contracts.inputs import ContractCreateInput, ContractInput, ContractStatusInput
from tend.contracts.models import ContractStatus
from tend.orders.inputs import AllocationInput, OrderInput, PaymentInput
from tend.web.forms import DisplayForm


def _choices(records, label=str) -> list:
    return [("", "—"), *((record.pk, label(record)) for record in records)]


class ContractForm(DisplayForm):
    input_class = ContractCreateInput

    def __init__(self, *args, contract=None, deals=(), earlier_contracts=(), **kwargs):
        if contract is not None:
            self.input_class = ContractInput
            kwargs.setdefault(
                "initial",
                {
                    **{
                        name: getattr(contract, name)
                        for name in ContractInput.base_fields
                        if name not in ("deal", "renewal_of")
                    },
                    "deal": contract.deal_id,
                    "renewal_of": contract.renewal_of_id,
                },
            )
        else:
            kwargs.setdefault("initial", {"currency": "CNY", "status": ContractStatus.DRAFT})
        super().__init__(*args, **kwargs)
        self.fields["notes"].widget = forms.Textarea(attrs={"rows": 3})
        self.fields["amount"].widget.attrs.update({"inputmode": "decimal"})
        self.fields["deal"] = forms.ChoiceField(
            label=ContractInput.base_fields["deal"].label,
            required=False,
            choices=_choices(deals),
        )
        self.fields["renewal_of"] = forms.ChoiceField(
            label=ContractInput.base_fields["renewal_of"].label,
            required=False,
            choices=_choices(earlier_contracts),
        )


class ContractStatusForm(DisplayForm):
    input_class = ContractStatusInput

    def __init__(self, *args, contract, **kwargs):
        kwargs.setdefault("initial", {"signed_on": contract.signed_on})
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            (status.value, status.label) for status in contract.allowed_statuses
        ]


class AttachmentForm(forms.Form):
    use_required_attribute = False
    file = forms.FileField(label=_("file"))


class OrderForm(DisplayForm):
    input_class = OrderInput

    def __init__(self, *args, order=None, contracts=(), **kwargs):
        if order is not None:
            kwargs.setdefault(
                "initial",
                {
                    **{
                        name: getattr(order, name)
                        for name in OrderInput.base_fields
                        if name != "contract"
                    },
                    "contract": order.contract_id,
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["notes"].widget = forms.Textarea(attrs={"rows": 3})
        self.fields["amount"].widget.attrs.update({"inputmode": "decimal"})
        self.fields["quantity"].widget.attrs.update({"inputmode": "decimal"})
        self.fields["contract"] = forms.ChoiceField(
            label=OrderInput.base_fields["contract"].label,
            required=False,
            choices=_choices(contracts),
        )


class PaymentForm(DisplayForm):
    input_class = PaymentInput

    def __init__(self, *args, payment=None, **kwargs):
        if payment is not None:
            kwargs.setdefault(
                "initial", {name: getattr(payment, name) for name in PaymentInput.base_fields}
            )
        super().__init__(*args, **kwargs)
        self.fields["notes"].widget = forms.Textarea(attrs={"rows": 3})
        self.fields["amount"].widget.attrs.update({"inputmode": "decimal"})
        if payment is None:
            self.fields["keep_as_credit"] = forms.BooleanField(
                label=_("Keep it all as credit: allocate to no order"), required=False
            )


class AllocationForm(DisplayForm):
    input_class = AllocationInput

    def __init__(self, *args, orders=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["order"] = forms.ChoiceField(
            label=AllocationInput.base_fields["order"].label,
            choices=[
                (order.pk, f"{order} · {order.ordered_on:%Y-%m-%d} · {order.outstanding}")
                for order in orders
            ],
        )
        self.fields["amount"].widget.attrs.update({"inputmode": "decimal"})
