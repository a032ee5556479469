"""The status model as a YAML file: the default model installed, export and import as a
round trip, every problem of a bad file listed with its line and nothing of it applied,
and every change to the model audited with a diff."""

import pytest
import yaml

from tend.audit.models import AuditEntry
from tend.status.actions import change_state
from tend.status.model_file import (
    ModelFileErrors,
    apply_model,
    export_model,
    install_default_model,
    parse_model,
)
from tend.status.models import ChecklistStep, Dimension, Door, State, Transition
from tests.factories import make_customer


def model_snapshot() -> list:
    return [
        (
            dimension.key,
            dimension.exclusive,
            [(s.key, s.category, s.label_zh) for s in dimension.states.all()],
            sorted(
                (t.from_state.key if t.from_state_id else "*", t.to_state.key, t.guard)
                for t in Transition.objects.filter(dimension=dimension).select_related(
                    "from_state", "to_state"
                )
            ),
        )
        for dimension in Dimension.objects.prefetch_related("states")
    ]


def test_the_default_model_is_installed_with_every_dimension_of_the_product(db):
    assert [d.key for d in Dimension.objects.all()] == [
        "lifecycle",
        "value",
        "engagement",
        "grade",
        "collaboration",
        "risk",
        "data_quality",
        "time_window",
    ]
    lifecycle = Dimension.objects.get(key="lifecycle")
    assert [s.key for s in lifecycle.states.all()] == [
        "lead",
        "prospect",
        "key",
        "signed",
        "active",
        "loyal",
        "churned",
    ]
    assert (
        State.objects.get(dimension__key="collaboration", key="in_follow_up").category == "locked"
    )
    assert not Dimension.objects.get(key="time_window").exclusive
    signing = Transition.objects.get(
        dimension=lifecycle, from_state__key="key", to_state__key="signed"
    )
    steps = list(ChecklistStep.objects.filter(transition=signing))
    assert [step.label_zh for step in steps][:2] == ["合同审批", "产品配置"] and len(steps) == 5
    assert steps[0].tick_role == "sales_manager"
    assert install_default_model() is False  # only on a database without a model


def test_export_and_import_are_a_round_trip(db, admin):
    exported = export_model()
    before = model_snapshot()
    counts = apply_model(actor=admin, specs=parse_model(exported))
    assert counts == {"created": 0, "updated": 0, "removed": 0}
    assert model_snapshot() == before
    assert export_model() == exported
    assert "生命周期" in exported and "valid_activities >= 1" in exported


def test_a_file_that_is_not_yaml_is_refused_with_its_line(db):
    with pytest.raises(ModelFileErrors) as refused:
        parse_model("dimensions:\n  - key: a\n    label: [unclosed\n")
    assert refused.value.problems[0].startswith("Line 4: ")


BAD_FILE = """\
dimensions:
  - key: lifecycle
    label: {zh: 生命周期}
    states:
      - {key: lead, label: 潜在, category: hot}
      - {key: lead, label: 潜在}
      - {key: won, label: 赢单, color: green}
    transitions:
      - {from: lead, to: signed}
      - {to: won, guard: "valid_activitys > 3"}
      - {to: won, guard: 'state("lifecycle") == "vip"'}
      - {to: lead, approvl: sales_manager}
  - key: 等级
    states: []
"""


def test_a_bad_file_lists_every_problem_and_changes_nothing(db, admin):
    before = model_snapshot()
    with pytest.raises(ModelFileErrors) as refused:
        parse_model(BAD_FILE)
    assert refused.value.problems == [
        "Line 5: category “hot” is not one of: open, won, lost, active, dormant, risk, "
        "normal, locked, archived.",
        "Line 6: The state “lead” is given twice in lifecycle.",
        "Line 7: A colour is written #rrggbb.",
        "Line 9: “signed” is not a state of lifecycle.",
        "Line 11: The move * → won is given twice.",
        "Line 12: Unknown entry “approvl” in a transition; allowed: approval, checklist, "
        "from, guard, reason_required, to.",
        "Line 13: a dimension needs “label”.",
        "Line 13: A dimension's key “等级” may hold only letters, digits, - and _.",
        "Line 10: Column 1: Unknown fact “valid_activitys”.",
        "Line 11: Column 23: “vip” is not a value of state; it can be: lead, won.",
    ]
    assert model_snapshot() == before


def edited(change) -> str:
    """The exported model, changed as data by `change`, written back as YAML."""
    data = yaml.safe_load(export_model())
    change({dimension["key"]: dimension for dimension in data["dimensions"]}, data)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def test_editing_the_model_applies_changes_and_audits_each_with_a_diff(db, admin):
    def change(dimensions, data):
        dimensions["lifecycle"]["states"][0]["label"]["zh"] = "潜在客户"
        data["dimensions"].insert(
            1,
            {
                "key": "vip",
                "label": {"zh": "贵宾"},
                "exclusive": False,
                "states": [{"key": "gold", "label": "金卡"}],
                "transitions": [{"to": "gold"}],
            },
        )

    counts = apply_model(actor=admin, specs=parse_model(edited(change)))
    assert counts == {"created": 3, "updated": 8, "removed": 0}
    lead = State.objects.get(dimension__key="lifecycle", key="lead")
    assert lead.label_zh == "潜在客户"
    entry = AuditEntry.objects.get(object_type="status.state", object_id=lead.pk, action="update")
    assert entry.changes == {"label_zh": ["潜在", "潜在客户"]}
    # The dimensions after the new one moved down a place: each order change is audited.
    assert AuditEntry.objects.filter(object_type="status.dimension", action="update").count() == 7
    assert AuditEntry.objects.filter(object_type="status.dimension", action="create").exists()
    assert [d.key for d in Dimension.objects.all()][:2] == ["lifecycle", "vip"]


def test_a_state_with_customers_cannot_be_removed_and_the_whole_file_is_refused(db, admin, org):
    customer = make_customer(org.rep, name="杭州青木科技有限公司")
    value = Dimension.objects.get(key="value")
    change_state(
        actor=org.rep,
        customer=customer,
        dimension=value,
        state=State.objects.get(dimension=value, key="ordinary"),
        door=Door.WEB,
    )
    before = model_snapshot()

    def change(dimensions, data):
        dimensions["lifecycle"]["label"]["zh"] = "客户生命周期"
        value = dimensions["value"]
        value["states"] = [s for s in value["states"] if s["key"] != "ordinary"]
        value["transitions"] = [t for t in value["transitions"] if t["to"] != "ordinary"]
        data["rules"] = [
            rule
            for rule in data["rules"]
            if not any(action.get("state") == "ordinary" for action in rule["actions"])
            and "ordinary" not in rule["condition"]
        ]

    with pytest.raises(ModelFileErrors) as refused:
        apply_model(actor=admin, specs=parse_model(edited(change)))
    assert refused.value.problems == [
        "The state “value / ordinary” has customers or history; it cannot be removed."
    ]
    assert model_snapshot() == before
    assert Dimension.objects.get(key="lifecycle").label_zh == "生命周期"


def test_the_default_rules_come_with_the_model_and_a_bad_rule_is_refused(db, admin):
    from tend.status.models import Rule

    assert list(Rule.objects.values_list("key", flat=True))[:2] == [
        "leads_after_three_valid_talks",
        "churned_after_a_year_without_orders",
    ]
    assert Rule.objects.filter(enabled=True).count() == 19
    lead_rule = Rule.objects.get(key="leads_after_three_valid_talks")
    assert lead_rule.actions == [
        {"type": "set_state", "dimension": "lifecycle", "state": "prospect"}
    ]

    def change(dimensions, data):
        data["rules"].append(
            {
                "key": "broken",
                "label": "坏规则",
                "condition": "valid_activitys > 1",
                "actions": [{"type": "remove_state", "dimension": "lifecycle", "state": "lead"}],
            }
        )

    with pytest.raises(ModelFileErrors) as refused:
        parse_model(edited(change))
    problems = refused.value.problems
    assert len(problems) == 2
    assert problems[0].endswith("Column 1: Unknown fact “valid_activitys”.")
    assert problems[1].endswith("A state of lifecycle is replaced, not removed.")
