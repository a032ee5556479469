"""The rules a deal, a pipeline or a stage must satisfy, whichever door it comes through."""

import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from tend.core.ids import MAX_ID
from tend.core.validators import check_plausible_year
from tend.deals.models import StageCategory

CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")
REASON_MAX_LENGTH = 500
CENT = Decimal("0.01")


def _record_id(label, **options) -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=1, max_value=MAX_ID, **options)


class CurrencyField(forms.CharField):
    """An ISO 4217 code: three capital letters (CNY, USD, EUR …); empty means CNY."""

    def clean(self, value):
        value = (super().clean(value) or "").strip()
        if not value:
            return "CNY"
        if not CURRENCY_PATTERN.match(value):
            raise ValidationError(
                _("Enter a currency code of three capital letters, such as CNY or USD."),
                code="invalid_currency",
            )
        return value


class DealChangeInput(forms.Form):
    """What an existing deal's editor may change. Its stage and pipeline change only through
    a move (tend.deals.actions.move_deal), its customer never."""

    name = forms.CharField(label=_("name"), max_length=200)
    contact = _record_id(_("contact"), required=False)
    amount = forms.DecimalField(
        label=_("amount"), max_digits=16, decimal_places=2, min_value=0, required=False
    )
    currency = CurrencyField(label=_("currency"), required=False)
    expected_close_on = forms.DateField(label=_("expected close"), required=False)
    probability_override = forms.IntegerField(
        label=_("probability (%)"),
        min_value=0,
        max_value=100,
        required=False,
        help_text=_("Leave empty to use the stage's probability."),
    )
    owner = _record_id(_("owner"), required=False)
    notes = forms.CharField(label=_("notes"), max_length=5000, required=False)

    def clean_amount(self):
        amount = self.cleaned_data.get("amount")
        # Two decimals always, so the record, its audit entry and the API say the same.
        return Decimal(0 if amount is None else amount).quantize(CENT)

    def clean_expected_close_on(self):
        return check_plausible_year(self.cleaned_data.get("expected_close_on"))


class DealInput(DealChangeInput):
    """A new deal: a customer, and where in which pipeline it starts (the default pipeline's
    first open stage when not given)."""

    customer = _record_id(_("customer"))
    pipeline = _record_id(_("pipeline"), required=False)
    stage = _record_id(_("stage"), required=False)


class MoveInput(forms.Form):
    stage = _record_id(_("stage"))
    pipeline = _record_id(_("pipeline"), required=False)
    reason = forms.CharField(label=_("reason"), max_length=REASON_MAX_LENGTH, required=False)


class PauseInput(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=REASON_MAX_LENGTH)


class PipelineInput(forms.Form):
    name_zh = forms.CharField(label=_("name (Chinese)"), max_length=100)
    name_en = forms.CharField(label=_("name (English)"), max_length=100, required=False)
    is_default = forms.BooleanField(label=_("default pipeline"), required=False)
    active = forms.BooleanField(label=_("active"), required=False)
    order = forms.IntegerField(label=_("order"), min_value=0, max_value=10_000, required=False)

    def clean_order(self):
        order = self.cleaned_data.get("order")
        return 0 if order is None else order


class StageInput(forms.Form):
    label_zh = forms.CharField(label=_("label (Chinese)"), max_length=100)
    label_en = forms.CharField(label=_("label (English)"), max_length=100, required=False)
    key = forms.SlugField(
        label=_("key"),
        max_length=50,
        required=False,
        help_text=_("Letters, digits, - and _; made from the English label when empty."),
    )
    order = forms.IntegerField(label=_("order"), min_value=0, max_value=10_000, required=False)
    category = forms.ChoiceField(label=_("category"), choices=StageCategory.choices)
    probability = forms.IntegerField(label=_("default probability (%)"), min_value=0, max_value=100)
    color = forms.CharField(
        label=_("colour"),
        max_length=7,
        validators=[
            RegexValidator(
                r"^#[0-9a-fA-F]{6}$", _("Enter a colour such as #1f6feb."), code="invalid_color"
            )
        ],
    )
    stalled_after_days = forms.IntegerField(
        label=_("stalled after (days)"),
        min_value=1,
        max_value=3650,
        required=False,
        help_text=_("An open deal this long in the stage counts as stalled; empty = never."),
    )
    definition_zh = forms.CharField(
        label=_("definition (Chinese)"), max_length=2000, required=False
    )
    definition_en = forms.CharField(
        label=_("definition (English)"), max_length=2000, required=False
    )
    goal_zh = forms.CharField(label=_("goal (Chinese)"), max_length=2000, required=False)
    goal_en = forms.CharField(label=_("goal (English)"), max_length=2000, required=False)
    methods_zh = forms.CharField(label=_("methods (Chinese)"), max_length=4000, required=False)
    methods_en = forms.CharField(label=_("methods (English)"), max_length=4000, required=False)
    tools_zh = forms.CharField(label=_("tools (Chinese)"), max_length=2000, required=False)
    tools_en = forms.CharField(label=_("tools (English)"), max_length=2000, required=False)

    def clean_color(self):
        return self.cleaned_data["color"].lower()
