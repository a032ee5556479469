"""Forms of the ticket and feedback pages. As in tend.web.forms, they render the fields of the
domain's input classes and carry the user's input back; the actions validate."""

from django import forms
from django.utils.translation import gettext_lazy as _

from tend.service.inputs import (
    EscalationInput,
    FeedbackChangeInput,
    FeedbackInput,
    FeedbackStatusInput,
    SatisfactionInput,
    TicketChangeInput,
    TicketCommentInput,
    TicketInput,
)
from tend.service.models import EscalationLevel, FeedbackStatus
from tend.web.forms import DisplayForm

NONE = [("", "—")]


def _choices(records, label=str) -> list:
    return [(record.pk, label(record)) for record in records]


class TicketForm(DisplayForm):
    """A new ticket (`TicketInput`) or changes to one (`TicketChangeInput`, with `ticket`)."""

    input_class = TicketInput

    def __init__(self, *args, contacts=(), assignees=(), ticket=None, **kwargs):
        if ticket is not None:
            self.input_class = TicketChangeInput
            kwargs.setdefault(
                "initial",
                {
                    "subject": ticket.subject,
                    "description": ticket.description,
                    "priority": ticket.priority,
                    "contact": ticket.contact_id or "",
                    "assignee": ticket.assignee_id or "",
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["description"].widget = forms.Textarea(attrs={"rows": 5})
        self.fields["contact"] = forms.ChoiceField(
            label=TicketInput.base_fields["contact"].label,
            required=False,
            choices=NONE + _choices(contacts, lambda contact: contact.name),
        )
        self.fields["assignee"] = forms.ChoiceField(
            label=TicketInput.base_fields["assignee"].label,
            required=False,
            choices=[("", _("Unassigned")), *_choices(assignees, lambda user: user.display_name)],
        )
        if "customer" in self.fields:
            self.fields["customer"].widget = forms.HiddenInput()


class TicketCommentForm(DisplayForm):
    input_class = TicketCommentInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"public": True})
        super().__init__(*args, **kwargs)
        self.fields["body"].widget = forms.Textarea(attrs={"rows": 3, "aria-required": "true"})
        self.fields["public"].help_text = _("Told to the customer; untick for an internal note.")
        self.fields["from_customer"].help_text = _("The customer's own words, written down by you.")


class SatisfactionForm(DisplayForm):
    input_class = SatisfactionInput

    def __init__(self, *args, ticket=None, **kwargs):
        if ticket is not None and ticket.satisfaction is not None:
            kwargs.setdefault(
                "initial",
                {
                    "satisfaction": ticket.satisfaction,
                    "satisfaction_comment": ticket.satisfaction_comment,
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["satisfaction"] = forms.ChoiceField(
            label=SatisfactionInput.base_fields["satisfaction"].label,
            choices=NONE + [(score, f"{score} / 5") for score in range(5, 0, -1)],
        )


class FeedbackForm(DisplayForm):
    """New feedback (`FeedbackInput`) or changes to it (`FeedbackChangeInput`, with
    `feedback`)."""

    input_class = FeedbackInput

    def __init__(self, *args, contacts=(), tickets=(), feedback=None, **kwargs):
        if feedback is not None:
            self.input_class = FeedbackChangeInput
            kwargs.setdefault(
                "initial",
                {
                    "kind": feedback.kind,
                    "severity": feedback.severity,
                    "subject": feedback.subject,
                    "description": feedback.description,
                    "contact": feedback.contact_id or "",
                    "ticket": feedback.ticket_id or "",
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = NONE + list(self.fields["kind"].choices)
        self.fields["description"].widget = forms.Textarea(attrs={"rows": 5})
        self.fields["contact"] = forms.ChoiceField(
            label=FeedbackInput.base_fields["contact"].label,
            required=False,
            choices=NONE + _choices(contacts, lambda contact: contact.name),
        )
        self.fields["ticket"] = forms.ChoiceField(
            label=FeedbackInput.base_fields["ticket"].label,
            required=False,
            choices=NONE + _choices(tickets),
        )
        if "customer" in self.fields:
            self.fields["customer"].widget = forms.HiddenInput()


class FeedbackStatusForm(DisplayForm):
    input_class = FeedbackStatusInput

    def __init__(self, *args, feedback=None, statuses=(), **kwargs):
        if feedback is not None:
            kwargs.setdefault("initial", {"resolution": feedback.resolution})
        super().__init__(*args, **kwargs)
        labels = dict(FeedbackStatus.choices)
        self.fields["status"].choices = [(status, labels[status]) for status in statuses]
        self.fields["resolution"].widget = forms.Textarea(attrs={"rows": 3})
        self.fields["resolution"].help_text = _(
            "Required to resolve or close a complaint: what was done about it."
        )


class EscalationForm(DisplayForm):
    input_class = EscalationInput

    def __init__(self, *args, levels=(), **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(EscalationLevel.choices)
        self.fields["to_level"].choices = [(level, labels[level]) for level in levels]
        self.fields["reason"].widget = forms.Textarea(attrs={"rows": 2, "aria-required": "true"})
