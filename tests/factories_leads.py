"""Leads and lead web forms for tests, made through the real actions."""

import itertools

from tend.leads.actions import create_lead, create_lead_form, receive_web_form_lead

_sequence = itertools.count(1)


def make_lead(actor, **data):
    """A lead owned by `actor`, with a name and a phone unless given."""
    number = next(_sequence)
    data.setdefault("name", f"线索联系人 {number}")
    if not any(data.get(name) for name in ("phone", "email", "wechat")):
        data["wechat"] = f"wx-lead-{number}"
    return create_lead(actor=actor, data=data)


def make_pool_lead(form, **fields):
    """A lead sent by a web form: unassigned, in the pool."""
    number = next(_sequence)
    fields.setdefault("name", f"表单访客 {number}")
    if not any(fields.get(name) for name in ("phone", "email", "wechat")):
        fields["wechat"] = f"wx-form-{number}"
    return receive_web_form_lead(form_key=form.key, payload={"form_key": form.key, **fields})


def make_lead_form(admin, name=None):
    return create_lead_form(actor=admin, data={"name": name or f"官网表单 {next(_sequence)}"})
