"""save_with_audit: the one way an action saves named fields of a record and records what
changed — the changed fields only, nothing when nothing changed."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tend.audit.actions import save_with_audit
from tend.audit.models import AuditAction, AuditEntry
from tend.customers.actions import CONTACT_FIELDS
from tend.customers.models import Contact
from tend.deals.models import Stage
from tests.domain.support import audit_for, last_audit
from tests.factories import make_contact, make_customer

LONG_AGO = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)


def _contact(org, **data):
    return make_contact(make_customer(org.rep), actor=org.rep, **data)


def test_it_records_exactly_the_fields_that_changed(org):
    contact = _contact(org, name="王五", title="经理", email="wang@example.com")

    changes = save_with_audit(
        org.rep,
        contact,
        CONTACT_FIELDS,
        {"title": "总监", "name": "王五", "email": "wang@example.com"},
        customer_id=contact.customer_id,
    )

    assert changes == {"title": ["经理", "总监"]}
    entry = last_audit(contact)
    assert entry.action == AuditAction.UPDATE
    assert entry.changes == {"title": ["经理", "总监"]}
    assert entry.customer_id == contact.customer_id
    assert entry.actor == org.rep
    assert entry.note == ""


def test_it_records_nothing_when_nothing_changed(org):
    contact = _contact(org, title="经理")
    entries = AuditEntry.objects.count()

    changes = save_with_audit(org.rep, contact, CONTACT_FIELDS, {"title": "经理"})

    assert changes == {}
    assert AuditEntry.objects.count() == entries


def test_a_note_is_recorded_even_when_nothing_changed(org):
    contact = _contact(org, title="经理")

    save_with_audit(org.rep, contact, CONTACT_FIELDS, {"title": "经理"}, note="checked")

    entry = last_audit(contact)
    assert (entry.action, entry.changes, entry.note) == (AuditAction.UPDATE, {}, "checked")


def test_it_saves_only_the_named_fields_and_bumps_updated_at(org):
    contact = _contact(org, title="经理", email="old@example.com")
    Contact.objects.filter(pk=contact.pk).update(updated_at=LONG_AGO)
    # Changed in memory but not named: it must not reach the database.
    contact.email = "unsaved@example.com"

    with CaptureQueriesContext(connection) as queries:
        save_with_audit(org.rep, contact, ["title"], {"title": "总监"})

    stored = Contact.objects.get(pk=contact.pk)
    assert stored.title == "总监"
    assert stored.email == "old@example.com"
    assert stored.updated_at > LONG_AGO
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1
    assert '"title"' in updates[0] and '"updated_at"' in updates[0]
    assert '"email"' not in updates[0] and '"name"' not in updates[0]


def test_also_save_writes_fields_that_keep_their_value(org):
    contact = _contact(org, title="经理", wechat="old_id")
    Contact.objects.filter(pk=contact.pk).update(wechat="changed_elsewhere")

    changes = save_with_audit(
        org.rep, contact, CONTACT_FIELDS, {"title": "总监"}, also_save=["wechat"]
    )

    # The in-memory wechat is written back, though it is neither given nor audited as changed.
    assert Contact.objects.get(pk=contact.pk).wechat == "old_id"
    assert changes == {"title": ["经理", "总监"]}


def test_a_model_without_updated_at_is_saved_without_it(admin):
    from tend.deals.actions import install_default_pipeline

    stage = Stage.objects.filter(pipeline=install_default_pipeline()).order_by("order").first()

    changes = save_with_audit(
        admin, stage, ["label_en"], {"label_en": "Renamed by the helper test"}
    )

    stage.refresh_from_db()
    assert stage.label_en == "Renamed by the helper test"
    assert list(changes) == ["label_en"]
    assert [entry.action for entry in audit_for(stage)][-1] == AuditAction.UPDATE
