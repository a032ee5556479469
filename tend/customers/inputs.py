"""The rules a customer or contact must satisfy, whichever door it comes through."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tend.core.validators import (
    check_plausible_year,
    normalize_credit_code,
    normalize_email,
    normalize_phone,
)
from tend.customers.models import CustomerKind, CustomFieldType, SourceChannel


class PhoneField(forms.CharField):
    def clean(self, value):
        return normalize_phone(super().clean(value))


class EmailField(forms.CharField):
    def clean(self, value):
        return normalize_email(super().clean(value))


class CreditCodeField(forms.CharField):
    def clean(self, value):
        return normalize_credit_code(super().clean(value))


class TagListField(forms.Field):
    """A list of tag names, given as a list or a comma-separated string."""

    def to_python(self, value):
        if value in (None, ""):
            return []
        if isinstance(value, str):
            value = value.replace("，", ",").split(",")
        if not isinstance(value, (list, tuple)):
            raise ValidationError(_("Enter a list of tags."), code="invalid")
        names = []
        for item in value:
            if not isinstance(item, str):
                raise ValidationError(_("Enter a list of tags."), code="invalid")
            name = item.strip()
            if len(name) > 50:
                raise ValidationError(_("A tag is at most 50 characters."), code="max_length")
            if name and name not in names:
                names.append(name)
        if len(names) > 30:
            raise ValidationError(_("At most 30 tags."), code="too_many")
        return names


class CustomFieldsField(forms.Field):
    def to_python(self, value):
        if value in (None, ""):
            return {}
        if not isinstance(value, dict):
            raise ValidationError(_("Custom fields must be an object of key and value."))
        return value


class CustomerInput(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=CustomerKind.choices)
    name = forms.CharField(label=_("name"), max_length=200)
    industry = forms.CharField(label=_("industry"), max_length=100, required=False)
    province = forms.CharField(label=_("province"), max_length=50, required=False)
    city = forms.CharField(label=_("city"), max_length=50, required=False)
    source = forms.ChoiceField(
        label=_("source channel"), choices=[("", "—"), *SourceChannel.choices], required=False
    )
    credit_code = CreditCodeField(
        label=_("unified social credit code"), max_length=30, required=False
    )
    phone = PhoneField(label=_("phone"), max_length=30, required=False)
    email = EmailField(label=_("email"), max_length=254, required=False)
    wechat = forms.CharField(label=_("WeChat"), max_length=64, required=False)
    address = forms.CharField(label=_("address"), max_length=300, required=False)
    external_id = forms.CharField(label=_("external id"), max_length=64, required=False)
    tags = TagListField(label=_("tags"), required=False)
    custom_fields = CustomFieldsField(label=_("custom fields"), required=False)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError(_("This field is required."), code="required")
        return name


class ContactInput(forms.Form):
    name = forms.CharField(label=_("full name"), max_length=100)
    title = forms.CharField(label=_("job title"), max_length=100, required=False)
    mobile = PhoneField(label=_("mobile"), max_length=30, required=False)
    phone = PhoneField(label=_("landline"), max_length=30, required=False)
    email = EmailField(label=_("email"), max_length=254, required=False)
    wechat = forms.CharField(label=_("WeChat"), max_length=64, required=False)
    birthday = forms.DateField(label=_("birthday"), required=False)
    is_primary = forms.BooleanField(label=_("primary contact"), required=False)

    def clean_birthday(self):
        from tend.core.time import today

        birthday = self.cleaned_data.get("birthday")
        if birthday and birthday > today():
            raise ValidationError(_("The birthday cannot be in the future."), code="future")
        return check_plausible_year(birthday)


class CustomFieldDefinitionInput(forms.Form):
    key = forms.SlugField(label=_("key"), max_length=50)
    label_zh = forms.CharField(label=_("label (Chinese)"), max_length=100)
    label_en = forms.CharField(label=_("label (English)"), max_length=100)
    field_type = forms.ChoiceField(label=_("type"), choices=CustomFieldType.choices)
    required = forms.BooleanField(label=_("required"), required=False)
    choices = TagListField(label=_("choices"), required=False)
    max_length = forms.IntegerField(
        label=_("maximum length"), min_value=1, max_value=2000, required=False
    )
    order = forms.IntegerField(label=_("order"), min_value=0, required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("field_type") == CustomFieldType.CHOICE and not cleaned.get("choices"):
            self.add_error("choices", _("A choice field needs at least one choice."))
        return cleaned
