"""Forms of the web door. They only render fields and carry the user's input back to the page;
validation belongs to the actions (which check the same input classes), so these forms are
never validated here. Errors raised by an action are attached to the form with `show_errors`."""

import copy
import datetime
import json

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.forms.utils import ErrorDict
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from tend.activities.inputs import ActivityInput, FollowUpInput, TaskInput
from tend.core.errors import TendError
from tend.core.validators import display_phone
from tend.customers.inputs import ContactInput, CustomerInput, CustomFieldDefinitionInput
from tend.customers.models import CustomFieldType
from tend.status.cadence import grade_states
from tend.status.models import SetBy

CUSTOM_FIELD_PREFIX = "cf_"
DATETIME_LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=DATETIME_LOCAL_FORMAT)

    def format_value(self, value):
        if isinstance(value, datetime.datetime) and timezone.is_aware(value):
            value = timezone.localtime(value)
        return super().format_value(value)


class DisplayForm(forms.Form):
    """A form that renders the fields of an input class and keeps what the user typed, but
    whose errors come from the action (see `show_errors`)."""

    # The server's messages, in the user's language, say what is missing, not the browser's.
    use_required_attribute = False
    input_class: type[forms.Form]
    exclude: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        extra = self.fields
        self.fields = {
            name: copy.deepcopy(field)
            for name, field in self.input_class.base_fields.items()
            if name not in self.exclude
        }
        self.add_fields()
        self.fields.update(extra)
        for field in self.fields.values():
            if isinstance(field, forms.DateTimeField):
                field.widget = DateTimeLocalInput(field.widget.attrs)
            elif isinstance(field, forms.DateField):
                field.widget = DateInput(field.widget.attrs)
            if field.required:
                field.widget.attrs.setdefault("aria-required", "true")

    def add_fields(self) -> None:
        """Fields beyond the input class's, added before the declared ones."""

    def input_data(self, post) -> dict:
        """The values for the action: every input field the page sent. A checkbox that is not
        ticked sends nothing, so booleans are always given."""
        data = {}
        for name, field in self.input_class.base_fields.items():
            if name not in self.fields:
                continue
            if isinstance(field, forms.BooleanField):
                data[name] = name in post
            elif name in post:
                data[name] = post[name]
        return data

    def field_name_for(self, key: str) -> str:
        return key

    def show_errors(self, error: TendError) -> None:
        """Put the action's field errors next to their fields; the rest above the form."""
        errors = ErrorDict()
        for key, messages in error.field_errors.items():
            name = self.field_name_for(key)
            if name not in self.fields:
                name = NON_FIELD_ERRORS
            if name not in errors:
                errors[name] = self.error_class(
                    error_class="nonfield" if name == NON_FIELD_ERRORS else None,
                    renderer=self.renderer,
                )
            errors[name].extend(messages)
        if not error.field_errors:
            errors[NON_FIELD_ERRORS] = self.error_class(
                [str(error.message)], error_class="nonfield", renderer=self.renderer
            )
        # With _errors set, rendering never runs the form's own validation.
        self._errors = errors


class CustomerForm(DisplayForm):
    input_class = CustomerInput
    exclude = ("custom_fields",)
    allow_duplicate = forms.BooleanField(
        label=_("Save anyway, although a customer with this value exists"), required=False
    )

    def __init__(self, *args, definitions=(), customer=None, **kwargs):
        if customer is not None and "initial" not in kwargs:
            kwargs["initial"] = customer_initial(customer)
        self.definitions = list(definitions)
        super().__init__(*args, **kwargs)
        self.fields["tags"].widget = forms.TextInput(
            attrs={"placeholder": _("Separate tags with commas")}
        )
        self.fields["phone"].widget.attrs.update({"inputmode": "tel", "autocomplete": "tel"})
        self.fields["email"].widget.attrs.update({"inputmode": "email", "autocomplete": "email"})
        self.fields["address"].widget = forms.Textarea(attrs={"rows": 2})

    def add_fields(self) -> None:
        language = get_language() or "zh-hans"
        for definition in self.definitions:
            self.fields[CUSTOM_FIELD_PREFIX + definition.key] = custom_form_field(
                definition, language
            )

    def field_name_for(self, key: str) -> str:
        if key.startswith("custom_fields."):
            return CUSTOM_FIELD_PREFIX + key.removeprefix("custom_fields.")
        return key

    def input_data(self, post) -> dict:
        data = super().input_data(post)
        custom = {
            definition.key: post[CUSTOM_FIELD_PREFIX + definition.key]
            for definition in self.definitions
            if CUSTOM_FIELD_PREFIX + definition.key in post
        }
        if custom:
            data["custom_fields"] = custom
        return data

    @property
    def standard_fields(self):
        return [self[name] for name in self.fields if name in CustomerInput.base_fields]

    @property
    def custom_fields(self):
        return [self[CUSTOM_FIELD_PREFIX + definition.key] for definition in self.definitions]


def custom_form_field(definition, language: str) -> forms.Field:
    """The input for one administrator-defined field, by its type."""
    label = definition.label(language)
    required = definition.required
    kind = definition.field_type
    if kind == CustomFieldType.NUMBER:
        return forms.CharField(
            label=label, required=required, widget=forms.TextInput(attrs={"inputmode": "decimal"})
        )
    if kind == CustomFieldType.DATE:
        return forms.CharField(label=label, required=required, widget=DateInput())
    if kind == CustomFieldType.CHOICE:
        choices = [("", "—"), *((choice, choice) for choice in definition.choices)]
        return forms.ChoiceField(label=label, required=required, choices=choices)
    if kind == CustomFieldType.BOOLEAN:
        choices = [("", "—"), ("true", _("Yes")), ("false", _("No"))]
        return forms.ChoiceField(label=label, required=required, choices=choices)
    return forms.CharField(
        label=label,
        required=required,
        widget=forms.TextInput(attrs={"maxlength": definition.max_length}),
    )


def _custom_initial(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def customer_initial(customer) -> dict:
    initial = {name: getattr(customer, name) for name in CustomerInput.base_fields}
    initial["phone"] = display_phone(customer.phone)
    initial["tags"] = ", ".join(tag.name for tag in customer.tags.all())
    initial.pop("custom_fields")
    for key, value in (customer.custom_fields or {}).items():
        initial[CUSTOM_FIELD_PREFIX + key] = _custom_initial(value)
    return initial


class ContactForm(DisplayForm):
    input_class = ContactInput

    def __init__(self, *args, contact=None, **kwargs):
        if contact is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                **{name: getattr(contact, name) for name in ContactInput.base_fields},
                "mobile": display_phone(contact.mobile),
                "phone": display_phone(contact.phone),
            }
        super().__init__(*args, **kwargs)
        self.fields["mobile"].widget.attrs.update({"inputmode": "tel", "autocomplete": "tel"})
        self.fields["phone"].widget.attrs.update({"inputmode": "tel"})
        self.fields["email"].widget.attrs.update({"inputmode": "email"})


class ActivityForm(DisplayForm):
    """Logging a follow-up; with a customer, it asks for the customer's grade after it (S7),
    the current one preselected."""

    input_class = FollowUpInput

    def __init__(self, *args, contacts=(), customer=None, **kwargs):
        kwargs.setdefault(
            "initial",
            {"occurred_at": timezone.localtime().replace(second=0, microsecond=0), "kind": "call"},
        )
        super().__init__(*args, **kwargs)
        self.fields["summary"].widget = forms.Textarea(attrs={"rows": 3, "aria-required": "true"})
        self.fields["contact"] = forms.ChoiceField(
            label=ActivityInput.base_fields["contact"].label,
            required=False,
            choices=[("", "—"), *((contact.pk, contact.name) for contact in contacts)],
        )
        grades = grade_states(customer) if customer is not None else []
        if not grades or grades[0].dimension.set_by == SetBy.RULES:
            del self.fields["grade"], self.fields["grade_reason"]
            return
        current = next((state.key for state in grades if state.held), "")
        self.fields["grade"] = forms.ChoiceField(
            label=FollowUpInput.base_fields["grade"].label,
            required=False,
            choices=[
                *([] if current else [("", _("Not graded"))]),
                *((state.key, state.label) for state in grades),
            ],
            initial=current,
            help_text=_("The customer's grade after this follow-up."),
        )


class TaskForm(DisplayForm):
    input_class = TaskInput

    def __init__(self, *args, assignees=(), task=None, **kwargs):
        if task is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "title": task.title,
                "kind": task.kind,
                "due_at": task.due_at,
                "notes": task.notes,
                "assignee": task.assignee_id,
                "customer": task.customer_id,
            }
        super().__init__(*args, **kwargs)
        self.fields["notes"].widget = forms.Textarea(attrs={"rows": 3})
        self.fields["assignee"] = forms.ChoiceField(
            label=TaskInput.base_fields["assignee"].label,
            required=False,
            choices=[(user.pk, user.display_name) for user in assignees],
        )
        self.fields["customer"].widget = forms.HiddenInput()


class CustomFieldDefinitionForm(DisplayForm):
    input_class = CustomFieldDefinitionInput

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["choices"].widget = forms.TextInput(
            attrs={"placeholder": _("For a choice field: options separated by commas")}
        )


class ApiTokenForm(forms.Form):
    use_required_attribute = False
    name = forms.CharField(label=_("Token name"), max_length=100, required=False)
