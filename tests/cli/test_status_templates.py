"""`tend status templates` and `tend status install-template`: the industry templates listed
with their labels, installed on top of the model (a dry run writes nothing, a second install
changes nothing), a bad name or a clashing custom field refused with exit 2."""

import pytest

from tend.audit.models import AuditEntry
from tend.customers.actions import create_custom_field_definition
from tend.customers.models import CustomFieldDefinition
from tend.status.model_file import export_model
from tend.status.models import Dimension, Rule

pytestmark = pytest.mark.django_db


def test_templates_are_listed_with_their_labels_and_whether_installed(tend, admin):
    code, out, _err = tend("status", "templates")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["key", "name", "custom", "fields", "installed"]
    rows = {line.split()[0]: line for line in lines[2:]}
    assert list(rows) == ["education", "real_estate", "finance", "fitness", "manufacturing", "saas"]
    assert (
        "Education" in rows["education"] and "remaining_lessons, leave_ends_on" in rows["education"]
    )
    assert "Manufacturing (connected equipment)" in rows["manufacturing"]
    assert all(line.endswith("no") for line in rows.values())

    assert tend("status", "install-template", "fitness")[0] == 0
    _code, out, _err = tend("status", "templates")
    rows = {line.split()[0]: line for line in out.splitlines()[2:]}
    assert rows["fitness"].endswith("yes") and rows["saas"].endswith("no")


def test_install_a_template_dry_run_first_then_for_real_then_again(tend, admin):
    model, audited = export_model(), AuditEntry.objects.count()
    code, out, _err = tend("status", "install-template", "education", "--dry-run")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Custom fields that would be created: remaining_lessons, leave_ends_on."
    assert lines[1].startswith("Dry run: ") and "0 removed" in lines[1]
    assert not lines[1].startswith("Dry run: 0 would be created")
    assert export_model() == model and AuditEntry.objects.count() == audited
    assert not CustomFieldDefinition.objects.filter(key="remaining_lessons").exists()

    code, out, _err = tend("status", "install-template", "education")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Custom fields created: remaining_lessons, leave_ends_on."
    assert lines[1].startswith("Model applied: ") and lines[1].endswith(", 0 removed.")
    assert Dimension.objects.filter(key="edu_student").exists()
    assert Dimension.objects.filter(key="lifecycle").exists()  # on top of the default model
    assert Rule.objects.filter(key="edu_enrolled_on_payment").exists()
    assert AuditEntry.objects.filter(actor=admin, object_type="status.dimension").exists()

    code, out, _err = tend("status", "install-template", "education")
    assert (code, out) == (0, "Model applied: 0 created, 0 updated, 0 removed.\n")


def test_an_unknown_template_or_a_clashing_field_is_refused(tend, admin):
    code, out, err = tend("status", "install-template", "bakery")
    assert code == 2 and out == ""
    assert "bakery" in err and "education" in err

    create_custom_field_definition(
        actor=admin,
        data={
            "key": "licensed_seats",
            "label_zh": "席位",
            "label_en": "Seats",
            "field_type": "text",
        },
    )
    code, out, err = tend("status", "install-template", "saas")
    assert code == 2 and out == ""
    assert err.splitlines()[0] == "The model file was not applied; 1 problem(s):"
    assert "licensed_seats" in err
    assert not Dimension.objects.filter(key="saas_health").exists()


def test_install_acts_as_the_named_user(tend, admin, org):
    code, _out, err = tend("status", "install-template", "saas", "--as", org.rep.username)
    assert code == 2 and "administrator" in err
    assert not Dimension.objects.filter(key="saas_health").exists()
