from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tend.activities.models import ActivityKind, TaskKind
from tend.core.ids import MAX_ID
from tend.core.validators import check_plausible_year


class ActivityInput(forms.Form):
    kind = forms.ChoiceField(label=_("type"), choices=ActivityKind.choices)
    occurred_at = forms.DateTimeField(label=_("occurred at"))
    summary = forms.CharField(label=_("summary"), max_length=5000)
    outcome = forms.CharField(label=_("outcome"), max_length=500, required=False)
    valid_communication = forms.BooleanField(label=_("valid communication"), required=False)
    next_follow_up_on = forms.DateField(label=_("next follow-up"), required=False)
    contact = forms.IntegerField(label=_("contact"), required=False, min_value=1, max_value=MAX_ID)

    def clean_occurred_at(self):
        from django.utils import timezone

        occurred_at = self.cleaned_data["occurred_at"]
        if occurred_at > timezone.now() + timezone.timedelta(minutes=5):
            raise ValidationError(_("An activity cannot be logged in the future."), code="future")
        return check_plausible_year(occurred_at)


class FollowUpInput(ActivityInput):
    """An activity logged as a follow-up, with the customer's grade after it (S7: every
    follow-up re-grades the customer). Empty grade: the grade is not touched."""

    grade = forms.CharField(label=_("grade"), max_length=50, required=False)
    grade_reason = forms.CharField(
        label=_("reason for the grade change"), max_length=500, required=False
    )


class TaskInput(forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    kind = forms.ChoiceField(label=_("kind"), choices=TaskKind.choices, required=False)
    due_at = forms.DateTimeField(label=_("due"))
    notes = forms.CharField(label=_("notes"), max_length=2000, required=False)
    assignee = forms.IntegerField(
        label=_("assignee"), required=False, min_value=1, max_value=MAX_ID
    )
    customer = forms.IntegerField(
        label=_("customer"), required=False, min_value=1, max_value=MAX_ID
    )

    def clean_kind(self):
        return self.cleaned_data.get("kind") or TaskKind.FOLLOW_UP

    def clean_due_at(self):
        return check_plausible_year(self.cleaned_data["due_at"])
