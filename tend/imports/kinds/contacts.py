"""Contacts: a customer's people, matched within the customer by mobile, email or name."""

from django.utils.translation import gettext_lazy

from tend.customers.inputs import ContactInput
from tend.customers.models import Contact
from tend.imports.fields import fields_from_form
from tend.imports.kinds.base import KeyedChildImport

CONTACT_ALIASES = {
    "name": ("联系人", "姓名", "联系人姓名", "contact", "contact name"),
    "title": ("职务", "职位", "job title", "position"),
    "mobile": ("手机", "手机号", "移动电话", "mobile phone", "cell"),
    "phone": ("座机", "固定电话", "电话", "landline", "phone", "tel"),
    "email": ("邮箱", "电子邮件", "e-mail", "mail"),
    "wechat": ("微信", "微信号"),
    "birthday": ("生日", "出生日期", "date of birth"),
    "is_primary": ("主联系人", "首要联系人", "primary", "primary contact"),
}
CONTACT_FIELDS = ("name", "title", "mobile", "phone", "email", "wechat", "birthday", "is_primary")


class ContactImport(KeyedChildImport):
    key = "contacts"
    label = gettext_lazy("Contacts")
    match_keys = {
        "mobile": gettext_lazy("mobile"),
        "email": gettext_lazy("email"),
        "name": gettext_lazy("full name"),
    }
    model = Contact
    insert_columns = CONTACT_FIELDS
    writable = CONTACT_FIELDS

    def fields(self):
        return [
            *self.reference_fields(),
            *fields_from_form(ContactInput, list(CONTACT_FIELDS), CONTACT_ALIASES),
        ]

    def insert_value(self, name, values, customer_id):
        value = self.value(name, values)
        if name == "is_primary":
            return bool(value)
        return "" if value is None and name != "birthday" else value

    def after_write(self, customer_ids):
        # One primary contact per customer: the last one the file marked wins.
        primaries = (
            Contact.objects.filter(
                customer_id__in=customer_ids, is_primary=True, deleted_at__isnull=True
            )
            .order_by("customer_id", "-updated_at", "-id")
            .values_list("customer_id", "id")
        )
        keep, seen = [], set()
        for customer_id, pk in primaries:
            if customer_id not in seen:
                seen.add(customer_id)
                keep.append(pk)
        Contact.objects.filter(customer_id__in=customer_ids, is_primary=True).exclude(
            pk__in=keep
        ).update(is_primary=False)
