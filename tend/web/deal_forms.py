"""Display forms for deals, pipelines and stages (see tend.web.forms.DisplayForm: they render
and carry input; the actions validate it)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from tend.deals.inputs import DealChangeInput, DealInput, PipelineInput, StageInput
from tend.deals.models import StageCategory
from tend.web.forms import DisplayForm


def _stage_choices(pipelines, *, open_only: bool) -> list:
    """Stages grouped by pipeline, for a <select> with one <optgroup> per pipeline."""
    groups = []
    for pipeline in pipelines:
        stages = [
            (stage.pk, stage.label)
            for stage in pipeline.stages.all()
            if not open_only or stage.category == StageCategory.OPEN
        ]
        if stages:
            groups.append((pipeline.name, stages))
    return groups


class DealEditForm(DisplayForm):
    input_class = DealChangeInput

    def __init__(self, *args, owners=(), contacts=(), deal=None, **kwargs):
        if deal is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                **{name: getattr(deal, name) for name in DealChangeInput.base_fields},
                "contact": deal.contact_id,
                "owner": deal.owner_id,
            }
        super().__init__(*args, **kwargs)
        self.fields["notes"].widget = forms.Textarea(attrs={"rows": 3})
        self.fields["amount"].widget = forms.TextInput(attrs={"inputmode": "decimal"})
        self.fields["currency"].widget.attrs.update(
            {"maxlength": 3, "autocapitalize": "characters", "placeholder": "CNY"}
        )
        self.fields["probability_override"].widget.attrs.update({"inputmode": "numeric"})
        self.fields["owner"] = forms.ChoiceField(
            label=DealChangeInput.base_fields["owner"].label,
            required=False,
            choices=[(user.pk, user.display_name) for user in owners],
        )
        self.fields["contact"] = forms.ChoiceField(
            label=DealChangeInput.base_fields["contact"].label,
            required=False,
            choices=[("", "—"), *((contact.pk, contact.name) for contact in contacts)],
        )


class DealForm(DealEditForm):
    """A new deal: on a customer chosen from a short list (or given by the page it was
    started from), in an open stage of an active pipeline."""

    input_class = DealInput

    def __init__(self, *args, customers=(), pipelines=(), customer=None, **kwargs):
        super().__init__(*args, **kwargs)
        if customer is not None:
            self.fields["customer"].widget = forms.HiddenInput()
        else:
            self.fields["customer"] = forms.ChoiceField(
                label=DealInput.base_fields["customer"].label,
                choices=[("", "—"), *((choice.pk, choice.name) for choice in customers)],
                help_text=_(
                    "Your most recently updated customers. For another one, start from its "
                    "page (the Deals tab)."
                ),
            )
        self.fields["stage"] = forms.ChoiceField(
            label=DealInput.base_fields["stage"].label,
            required=False,
            choices=[
                ("", _("The default pipeline's first stage")),
                *_stage_choices(pipelines, open_only=True),
            ],
        )
        # The pipeline follows from the stage chosen.
        self.fields["pipeline"].widget = forms.HiddenInput()


class PipelineForm(DisplayForm):
    input_class = PipelineInput


class StageForm(DisplayForm):
    input_class = StageInput

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["color"].widget = forms.TextInput(attrs={"type": "color"})
        for name in StageInput.base_fields:
            if name.split("_")[0] in {"definition", "goal", "methods", "tools"}:
                self.fields[name].widget = forms.Textarea(attrs={"rows": 3})

    @property
    def guidance_fields(self):
        return [
            self[name]
            for name in self.fields
            if name.split("_")[0] in {"definition", "goal", "methods", "tools"}
        ]

    @property
    def main_fields(self):
        return [
            self[name]
            for name in (
                "label_zh",
                "label_en",
                "key",
                "order",
                "category",
                "probability",
                "color",
                "stalled_after_days",
            )
        ]


def stage_initial(stage) -> dict:
    return {name: getattr(stage, name) for name in StageInput.base_fields}


def pipeline_initial(pipeline) -> dict:
    return {name: getattr(pipeline, name) for name in PipelineInput.base_fields}
