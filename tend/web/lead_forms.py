"""Display forms for leads: the lead form, the conversion form and the web-form settings form
(see tend.web.forms.DisplayForm: they render and carry input; the actions validate it)."""

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from tend.core.errors import ValidationFailed
from tend.core.validators import display_phone
from tend.deals.models import StageCategory
from tend.leads.inputs import LeadChangeInput, LeadFormInput
from tend.web.forms import CUSTOM_FIELD_PREFIX, DisplayForm, custom_form_field


class LeadEditForm(DisplayForm):
    input_class = LeadChangeInput

    def __init__(self, *args, lead=None, **kwargs):
        if lead is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                **{name: getattr(lead, name) for name in LeadChangeInput.base_fields},
                "phone": display_phone(lead.phone),
                "score": lead.score if lead.score_set_by_hand else None,
            }
        super().__init__(*args, **kwargs)
        self.fields["notes"].widget = forms.Textarea(attrs={"rows": 3})
        self.fields["phone"].widget.attrs.update({"inputmode": "tel", "autocomplete": "tel"})
        self.fields["email"].widget.attrs.update({"inputmode": "email", "autocomplete": "email"})
        self.fields["score"].widget.attrs.update({"inputmode": "numeric"})


class _NoInput(forms.Form):
    """The conversion form's fields are its own; the action's input is built from them."""


class ConvertForm(DisplayForm):
    """Convert a lead: into a new customer or onto an existing one (chosen from the list, or
    by its id), with a new deal, an existing open deal, or none."""

    input_class = _NoInput
    CUSTOMER_MODES = (("new", _("Create a new customer")), ("existing", _("Attach to a customer")))
    DEAL_MODES = (
        ("new", _("Create a new deal")),
        ("existing", _("Attach to an open deal")),
        ("none", _("No deal")),
    )

    customer_mode = forms.ChoiceField(
        label=_("Customer"), choices=CUSTOMER_MODES, widget=forms.RadioSelect, initial="new"
    )
    customer = forms.ChoiceField(label=_("Existing customer"), required=False)
    customer_id = forms.CharField(
        label=_("or its id"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 8}),
    )
    contact_title = forms.CharField(label=_("Contact's job title"), max_length=100, required=False)
    deal_mode = forms.ChoiceField(
        label=_("Deal"), choices=DEAL_MODES, widget=forms.RadioSelect, initial="new"
    )
    deal_name = forms.CharField(
        label=_("Deal name"),
        max_length=200,
        required=False,
        help_text=_("Empty: the customer's name."),
    )
    deal_stage = forms.ChoiceField(label=_("Stage"), required=False)
    deal_amount = forms.CharField(
        label=_("Amount"), required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    deal_expected_close_on = forms.DateField(label=_("Expected close"), required=False)
    deal = forms.ChoiceField(label=_("Existing open deal"), required=False)
    deal_id = forms.CharField(
        label=_("or its id"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 8}),
    )

    def __init__(self, *args, customers=(), deals=(), pipelines=(), definitions=(), **kwargs):
        self.definitions = [definition for definition in definitions if definition.required]
        super().__init__(*args, **kwargs)
        self.fields["customer"].choices = [
            ("", "—"),
            *((customer.pk, f"{customer.name} (#{customer.pk})") for customer in customers),
        ]
        self.fields["deal"].choices = [
            ("", "—"),
            *((deal.pk, f"{deal.name} · {deal.customer.name} (#{deal.pk})") for deal in deals),
        ]
        self.fields["deal_stage"].choices = [
            ("", _("The default pipeline's first stage")),
            *(
                (
                    pipeline.name,
                    [
                        (stage.pk, stage.label)
                        for stage in pipeline.stages.all()
                        if stage.category == StageCategory.OPEN
                    ],
                )
                for pipeline in pipelines
            ),
        ]
        language = get_language() or "zh-hans"
        for definition in self.definitions:
            self.fields[CUSTOM_FIELD_PREFIX + definition.key] = custom_form_field(
                definition, language
            )

    @property
    def custom_fields(self):
        return [self[CUSTOM_FIELD_PREFIX + definition.key] for definition in self.definitions]

    def field_name_for(self, key: str) -> str:
        if key.startswith("customer_data.custom_fields."):
            return CUSTOM_FIELD_PREFIX + key.removeprefix("customer_data.custom_fields.")
        if key.startswith("deal_data."):
            return "deal_" + key.removeprefix("deal_data.")
        if key.startswith("contact."):
            return "contact_" + key.removeprefix("contact.")
        return key

    def conversion_arguments(self, post) -> dict:
        """The keyword arguments of convert_lead for what the page sent."""
        arguments: dict = {}
        if post.get("customer_mode") == "existing":
            chosen = post.get("customer_id", "").strip() or post.get("customer", "")
            if not chosen:
                raise ValidationFailed(
                    field_errors={"customer": [_("Choose the customer to attach the lead to.")]}
                )
            arguments["customer"] = chosen
        else:
            custom = {
                definition.key: post[CUSTOM_FIELD_PREFIX + definition.key]
                for definition in self.definitions
                if CUSTOM_FIELD_PREFIX + definition.key in post
            }
            if custom:
                arguments["customer_data"] = {"custom_fields": custom}
        deal_mode = post.get("deal_mode", "new")
        if deal_mode == "existing":
            chosen = post.get("deal_id", "").strip() or post.get("deal", "")
            if not chosen:
                raise ValidationFailed(
                    field_errors={"deal": [_("Choose the deal to attach the lead to.")]}
                )
            arguments["deal"] = chosen
        elif deal_mode == "none":
            arguments["create_deal"] = False
        else:
            arguments["deal_data"] = {
                name: post.get(f"deal_{name}", "")
                for name in ("name", "stage", "amount", "expected_close_on")
            }
        if post.get("contact_title", "").strip():
            arguments["contact"] = {"title": post["contact_title"]}
        return arguments


class LeadFormSettingsForm(DisplayForm):
    input_class = LeadFormInput
