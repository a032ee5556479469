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


def test_evaluate_shows_what_the_rules_would_change_and_then_changes_it(tend, org):
    from tend.status.models import Rule, StateChange
    from tests.factories import make_customer

    for index in range(3):
        make_customer(org.rep, name=f"客户{index}号有限公司")
    Rule.objects.create(
        key="everyone_d",
        label_zh="默认 D 级",
        condition="true",
        actions=[{"type": "set_state", "dimension": "grade", "state": "D"}],
        enabled=True,
    )
    code, out, _err = tend("status", "evaluate", "--dry-run")
    assert code == 0
    assert "everyone_d" in out and "Dry run: 3 customer(s) would change." in out
    assert StateChange.objects.count() == 0

    code, out, _err = tend("status", "evaluate", "--as-of", "2026-01-31")
    assert code == 2
    code, out, _err = tend("status", "evaluate", "--rule", "nope", "--dry-run")
    assert code == 2

    code, out, _err = tend("status", "evaluate")
    assert code == 0 and "3 customer(s) changed." in out
    assert StateChange.objects.filter(rule_key="everyone_d").count() == 3


def test_evaluate_reports_rules_that_flip_customers(tend, org):
    from tend.status.models import Rule
    from tests.factories import make_customer

    make_customer(org.rep, name="摇摆客户有限公司")
    for key, condition, grade in [
        ("to_a", "true", "A"),
        ("to_b", 'in_state("grade", "A")', "B"),
    ]:
        Rule.objects.create(
            key=key,
            label_zh=key,
            condition=condition,
            actions=[{"type": "set_state", "dimension": "grade", "state": grade}],
            enabled=True,
        )
    code, _out, err = tend("status", "evaluate", "--dry-run")
    assert code == 2
    assert "The rules flip 1 customer(s) back and forth on every run" in err
