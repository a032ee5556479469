"""`tend status export-model` and `import-model`: the model as a file from the command line,
a dry run that writes nothing, and a bad file refused with every problem and exit 2."""

import pytest

from tend.status.models import Dimension, State

pytestmark = pytest.mark.django_db


def test_export_edit_and_import_the_model(tend, tmp_path, admin):
    path = tmp_path / "model.yaml"
    code, _out, _err = tend("status", "export-model", str(path))
    assert code == 0
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("zh: 潜在\n", "zh: 潜在客户\n", 1), encoding="utf-8")

    code, out, _err = tend("status", "import-model", str(path), "--dry-run")
    assert (code, out) == (0, "Dry run: 0 would be created, 1 updated, 0 removed.\n")
    assert State.objects.get(dimension__key="lifecycle", key="lead").label_zh == "潜在"

    code, out, _err = tend("status", "import-model", str(path))
    assert (code, out) == (0, "Model applied: 0 created, 1 updated, 0 removed.\n")
    assert State.objects.get(dimension__key="lifecycle", key="lead").label_zh == "潜在客户"

    code, out, _err = tend("status", "export-model")
    assert code == 0 and "潜在客户" in out


def test_a_bad_model_file_is_refused_with_every_problem(tend, tmp_path, admin):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "dimensions:\n  - key: lifecycle\n    label: 生命周期\n    states:\n"
        "      - {key: lead, label: 潜在, category: hot}\n"
        "    transitions:\n      - {to: nowhere}\n",
        encoding="utf-8",
    )
    before = Dimension.objects.count()
    code, out, err = tend("status", "import-model", str(path))
    assert code == 2 and out == ""
    assert err.splitlines() == [
        "The model file was not applied; 2 problem(s):",
        "  Line 5: category “hot” is not one of: open, won, lost, active, dormant, risk, "
        "normal, locked, archived.",
        "  Line 7: “nowhere” is not a state of lifecycle.",
    ]
    assert Dimension.objects.count() == before
    code, _out, err = tend("status", "import-model", str(tmp_path / "missing.yaml"))
    assert code == 2 and "Cannot read" in err
