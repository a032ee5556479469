"""The rules input to tickets and feedback must satisfy (form classes, no HTML). Status,
satisfaction and escalation have inputs of their own: they change only through their actions."""

from django import forms
from django.utils.translation import gettext_lazy as _

from tend.core.ids import MAX_ID
from tend.service.models import (
    EscalationLevel,
    FeedbackKind,
    FeedbackSeverity,
    FeedbackStatus,
    TicketPriority,
    TicketStatus,
)


def _record_id(label, required=False) -> forms.IntegerField:
    return forms.IntegerField(label=label, required=required, min_value=1, max_value=MAX_ID)


class TicketChangeInput(forms.Form):
    """What may change on an existing ticket (its customer stays)."""

    subject = forms.CharField(label=_("subject"), max_length=200)
    description = forms.CharField(label=_("description"), max_length=10000, required=False)
    priority = forms.ChoiceField(
        label=_("priority"), choices=TicketPriority.choices, required=False
    )
    contact = _record_id(_("contact"))
    assignee = _record_id(_("assignee"))

    def clean_priority(self):
        return self.cleaned_data.get("priority") or TicketPriority.NORMAL


class TicketInput(TicketChangeInput):
    customer = _record_id(_("customer"), required=True)


class TicketStatusInput(forms.Form):
    status = forms.ChoiceField(label=_("status"), choices=TicketStatus.choices)
    note = forms.CharField(label=_("note"), max_length=500, required=False)


class TicketCommentInput(forms.Form):
    body = forms.CharField(label=_("message"), max_length=10000)
    public = forms.BooleanField(label=_("public reply"), required=False)
    from_customer = forms.BooleanField(label=_("from the customer"), required=False)


class SatisfactionInput(forms.Form):
    satisfaction = forms.IntegerField(label=_("satisfaction"), min_value=1, max_value=5)
    satisfaction_comment = forms.CharField(
        label=_("satisfaction comment"), max_length=1000, required=False
    )


class FeedbackChangeInput(forms.Form):
    """What may change on existing feedback (its customer stays)."""

    kind = forms.ChoiceField(label=_("kind"), choices=FeedbackKind.choices)
    severity = forms.ChoiceField(
        label=_("severity"), choices=FeedbackSeverity.choices, required=False
    )
    subject = forms.CharField(label=_("subject"), max_length=200)
    description = forms.CharField(label=_("description"), max_length=10000, required=False)
    contact = _record_id(_("contact"))
    ticket = _record_id(_("ticket"))

    def clean_severity(self):
        return self.cleaned_data.get("severity") or FeedbackSeverity.LOW


class FeedbackInput(FeedbackChangeInput):
    customer = _record_id(_("customer"), required=True)


class FeedbackStatusInput(forms.Form):
    status = forms.ChoiceField(label=_("status"), choices=FeedbackStatus.choices)
    resolution = forms.CharField(label=_("resolution"), max_length=5000, required=False)


class EscalationInput(forms.Form):
    to_level = forms.ChoiceField(label=_("escalate to"), choices=EscalationLevel.choices)
    reason = forms.CharField(label=_("reason"), max_length=1000)
