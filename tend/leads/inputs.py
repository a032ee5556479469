"""The rules a lead, a status change, a conversion or a web form must satisfy, whichever door
they come through. Phones, emails and credit codes are checked and normalised exactly as a
customer's are, so duplicates between leads and customers compare like with like."""

import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tend.core.ids import MAX_ID
from tend.customers.inputs import CreditCodeField, EmailField, PhoneField
from tend.leads.models import LeadSource, LeadStatus

REASON_MAX_LENGTH = 500
RAW_FIELDS_MAX_KEYS = 100
RAW_FIELDS_MAX_CHARACTERS = 20_000
# The statuses a user sets; converted is reached only by converting.
SETTABLE_STATUSES = [
    (value, label) for value, label in LeadStatus.choices if value != LeadStatus.CONVERTED
]


class RawFieldsField(forms.Field):
    """What came in, as a JSON object of at most 100 keys and 20,000 characters."""

    def to_python(self, value):
        if value in (None, ""):
            return {}
        if not isinstance(value, dict):
            raise ValidationError(_("Enter an object of names and values."), code="invalid")
        if len(value) > RAW_FIELDS_MAX_KEYS:
            raise ValidationError(
                _("At most %(limit)s fields.") % {"limit": RAW_FIELDS_MAX_KEYS}, code="too_many"
            )
        try:
            size = len(json.dumps(value, ensure_ascii=False))
        except (TypeError, ValueError) as exc:
            raise ValidationError(
                _("Enter an object of names and values."), code="invalid"
            ) from exc
        if size > RAW_FIELDS_MAX_CHARACTERS:
            raise ValidationError(
                _("At most %(limit)s characters in all.") % {"limit": RAW_FIELDS_MAX_CHARACTERS},
                code="too_long",
            )
        return value


class LeadContactInput(forms.Form):
    """Who the lead is and how to reach them: what a public web form may send."""

    name = forms.CharField(label=_("person's name"), max_length=100, required=False)
    company_name = forms.CharField(label=_("company name"), max_length=200, required=False)
    phone = PhoneField(label=_("phone"), max_length=30, required=False)
    email = EmailField(label=_("email"), max_length=254, required=False)
    wechat = forms.CharField(label=_("WeChat"), max_length=64, required=False)
    credit_code = CreditCodeField(
        label=_("unified social credit code"), max_length=30, required=False
    )
    province = forms.CharField(label=_("province"), max_length=50, required=False)
    city = forms.CharField(label=_("city"), max_length=50, required=False)
    notes = forms.CharField(label=_("notes"), max_length=5000, required=False)

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            if not (cleaned.get("name", "").strip() or cleaned.get("company_name", "").strip()):
                self.add_error("name", _("Give the person's name or the company name."))
            if not (cleaned.get("phone") or cleaned.get("email") or cleaned.get("wechat")):
                self.add_error(
                    "phone", _("Give at least one way to reach them: phone, email or WeChat.")
                )
        return cleaned

    def clean_name(self):
        return self.cleaned_data["name"].strip()

    def clean_company_name(self):
        return self.cleaned_data["company_name"].strip()


class LeadChangeInput(LeadContactInput):
    """What a lead's editor may change. Its raw fields stay as they came in; its owner
    changes through claim and assign, its status through a status change or conversion."""

    source = forms.ChoiceField(label=_("source"), choices=LeadSource.choices, required=False)
    score = forms.IntegerField(
        label=_("score"),
        min_value=0,
        max_value=100,
        required=False,
        help_text=_("0–100. Leave empty to compute it from the fields."),
    )

    def clean_source(self):
        return self.cleaned_data.get("source") or LeadSource.MANUAL


class LeadInput(LeadChangeInput):
    """A new lead, entered by a user or sent through the API, with what came in."""

    raw_fields = RawFieldsField(label=_("raw fields"), required=False)


class LeadStatusInput(forms.Form):
    status = forms.ChoiceField(label=_("status"), choices=SETTABLE_STATUSES)
    reason = forms.CharField(label=_("reason"), max_length=REASON_MAX_LENGTH, required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status") == LeadStatus.DISQUALIFIED and not cleaned.get("reason", ""):
            self.add_error("reason", _("Say why the lead is disqualified."))
        return cleaned

    def clean_reason(self):
        return self.cleaned_data.get("reason", "").strip()


class ConvertDealInput(forms.Form):
    """The deal a conversion creates: its customer and contact come from the conversion."""

    name = forms.CharField(label=_("deal name"), max_length=200, required=False)
    pipeline = forms.IntegerField(
        label=_("pipeline"), min_value=1, max_value=MAX_ID, required=False
    )
    stage = forms.IntegerField(label=_("stage"), min_value=1, max_value=MAX_ID, required=False)
    amount = forms.DecimalField(
        label=_("amount"), max_digits=16, decimal_places=2, min_value=0, required=False
    )
    currency = forms.CharField(label=_("currency"), max_length=3, required=False)
    expected_close_on = forms.DateField(label=_("expected close"), required=False)
    probability_override = forms.IntegerField(
        label=_("probability (%)"), min_value=0, max_value=100, required=False
    )
    notes = forms.CharField(label=_("notes"), max_length=5000, required=False)


class LeadFormInput(forms.Form):
    name = forms.CharField(label=_("name"), max_length=100)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError(_("This field is required."), code="required")
        return name
