"""The status model as a YAML file an administrator can export, edit, version and import.

    dimensions:
      - key: lifecycle
        label: {zh: 生命周期, en: Lifecycle}
        exclusive: true            # one state at a time (default); false: several, like tags
        maintainer: sales_manager  # the role that reviews it (optional)
        set_by: both               # people, rules or both (default)
        states:
          - key: lead
            label: {zh: 潜在, en: Lead}
            category: open
            color: "#6e7781"
            guidance: {definition: {zh: …, en: …}, goal: …, methods: …, tools: …}
            follow_up_days: 7        # follow up at least every 7 days while in this state
                                     # (S7; one dimension may have these: the grade)
        transitions:
          - {from: lead, to: prospect, guard: "valid_activities >= 3"}
          - to: churned              # no "from": from any state, or none
            reason_required: true
          - from: key
            to: signed
            approval: sales_manager
            checklist:
              - {label: {zh: 合同审批, en: Contract approved}, ticked_by: finance}
    rules:
      - key: leads_after_three_valid_talks
        label: {zh: …, en: …}
        trigger: schedule          # default
        condition: state("lifecycle") == "lead" and valid_activities > 3
        actions: [{type: set_state, dimension: lifecycle, state: prospect}]
        priority: 10               # lower runs first (default 100)
        enabled: true              # default
    health:                        # the health score's weights, 0–100 (tend.status.health);
      weights: {contact_recency: 20, open_tickets: 10}   # indicators not named: default;
                                   # no health section: the weights stay as they are

A file is checked whole before anything is applied: every problem is listed with its line
(and, inside a condition, its column), and a file with any problem changes nothing. Applying
a file updates the model in one transaction, matching dimensions, states and transitions by
their keys, and records each change in the audit trail with a diff."""

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from tend.accounts.models import Role
from tend.audit.actions import record_change
from tend.audit.models import AuditAction
from tend.customers.models import Customer
from tend.status import conditions, health
from tend.status.cadence import refresh_follow_up_due
from tend.status.facts import ModelView, signatures
from tend.status.models import (
    ChecklistStep,
    CustomerState,
    Dimension,
    Rule,
    RuleTrigger,
    SetBy,
    State,
    StateCategory,
    StateChange,
    Transition,
    TransitionRequest,
)

GUIDANCE = ("definition", "goal", "methods", "tools")
MAX_FILE_BYTES = 2 * 1024 * 1024


class ModelFileErrors(ValueError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


# --- the file as data --------------------------------------------------------------------------


@dataclass
class StepSpec:
    label_zh: str
    label_en: str
    tick_role: str


@dataclass
class TransitionSpec:
    from_key: str | None
    to_key: str
    guard: str
    reason_required: bool
    approval_role: str
    steps: list[StepSpec]


@dataclass
class StateSpec:
    key: str
    label_zh: str
    label_en: str
    category: str
    color: str
    guidance: dict  # {"definition_zh": …, …}
    follow_up_days: int | None = None


@dataclass
class DimensionSpec:
    key: str
    label_zh: str
    label_en: str
    exclusive: bool
    maintainer_role: str
    set_by: str
    states: list[StateSpec] = field(default_factory=list)
    transitions: list[TransitionSpec] = field(default_factory=list)


@dataclass
class RuleSpec:
    key: str
    label_zh: str
    label_en: str
    trigger: str
    condition: str
    actions: list[dict]
    priority: int
    enabled: bool


@dataclass
class ModelSpec:
    dimensions: list[DimensionSpec]
    rules: list[RuleSpec] = field(default_factory=list)
    # {indicator: weight}, every indicator; None: the file has no health section.
    health: dict[str, int] | None = None


# --- reading and checking ----------------------------------------------------------------------


class _Reader:
    """Walks the YAML node tree, collecting every problem with its line."""

    def __init__(self):
        self.problems: list[str] = []

    def fail(self, node, message) -> None:
        line = node.start_mark.line + 1 if node is not None else 1
        self.problems.append(_("Line %(line)s: %(message)s") % {"line": line, "message": message})

    def mapping(self, node, allowed: set[str], required: set[str] = frozenset(), what=""):
        """{key: value node} of a mapping node, or None when it is not one."""
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, _("%(what)s must be a mapping of names to values.") % {"what": what})
            return None
        found = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key in found:
                self.fail(key_node, _("“%(key)s” is given twice.") % {"key": key})
            elif key not in allowed:
                self.fail(
                    key_node,
                    _("Unknown entry “%(key)s” in %(what)s; allowed: %(allowed)s.")
                    % {"key": key, "what": what, "allowed": ", ".join(sorted(allowed))},
                )
            else:
                found[key] = value_node
        for key in sorted(required - set(found)):
            self.fail(node, _("%(what)s needs “%(key)s”.") % {"what": what, "key": key})
        return found

    def sequence(self, node, what) -> list:
        if node is None:
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.fail(node, _("%(what)s must be a list.") % {"what": what})
            return []
        return node.value

    def text(self, node, what, *, required=True, limit=200) -> str:
        if node is None:
            return ""
        if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null":
            if required:
                self.fail(node, _("%(what)s must be a text.") % {"what": what})
            return ""
        value = str(node.value).strip()
        if required and not value:
            self.fail(node, _("%(what)s must not be empty.") % {"what": what})
        if len(value) > limit:
            self.fail(
                node,
                _("%(what)s has at most %(limit)s characters.") % {"what": what, "limit": limit},
            )
        return value

    def key(self, node, what) -> str:
        value = self.text(node, what, limit=50)
        if value and not all(c.isascii() and (c.isalnum() or c in "_-") for c in value):
            self.fail(
                node,
                _("%(what)s “%(value)s” may hold only letters, digits, - and _.")
                % {"what": what, "value": value},
            )
        return value

    def boolean(self, node, what, default: bool) -> bool:
        if node is None:
            return default
        value = str(node.value).lower() if isinstance(node, yaml.ScalarNode) else None
        if value in ("true", "yes"):
            return True
        if value in ("false", "no"):
            return False
        self.fail(node, _("%(what)s must be true or false.") % {"what": what})
        return default

    def choice(self, node, what, choices, default="") -> str:
        if node is None:
            return default
        value = self.text(node, what, required=False)
        if value and value not in choices:
            self.fail(
                node,
                _("%(what)s “%(value)s” is not one of: %(choices)s.")
                % {"what": what, "value": value, "choices": ", ".join(choices)},
            )
        return value or default

    def bilingual(self, node, what, *, required=True, limit=200) -> tuple[str, str]:
        if node is None:  # a required label is reported missing by its mapping
            return "", ""
        if isinstance(node, yaml.ScalarNode):  # one text: taken as the Chinese
            return self.text(node, what, required=required, limit=limit), ""
        found = self.mapping(node, {"zh", "en"}, {"zh"} if required else set(), what)
        if found is None:
            return "", ""
        return (
            self.text(found.get("zh"), what, required=required, limit=limit),
            self.text(found.get("en"), what, required=False, limit=limit),
        )


def parse_model(text: str) -> ModelSpec:
    """The model a file describes, checked whole; ModelFileErrors listing every problem."""
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise ModelFileErrors([_("The file is larger than 2 MB.")])
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        problem = getattr(error, "problem", None) or str(error)
        raise ModelFileErrors(
            [_("Line %(line)s: %(message)s") % {"line": line, "message": problem}]
        ) from None
    reader = _Reader()
    if root is None:
        raise ModelFileErrors([_("The file is empty.")])
    top = reader.mapping(
        root, {"dimensions", "rules", "version", "health"}, {"dimensions"}, _("the file")
    )
    specs: list[DimensionSpec] = []
    dimension_nodes = reader.sequence(top.get("dimensions"), "dimensions") if top else []
    seen_dimensions = set()
    for node in dimension_nodes:
        spec = _dimension(reader, node, seen_dimensions)
        if spec is not None:
            specs.append(spec)
    # Guards are checked against the file's own dimensions and states.
    view = ModelView({spec.key: (spec.exclusive, [s.key for s in spec.states]) for spec in specs})
    facts = signatures(view)
    for spec, node in zip(specs, dimension_nodes, strict=False):
        _check_guards(reader, spec, node, facts)
    _check_cadence(reader, specs, dimension_nodes)
    rules = []
    seen_rules: set[str] = set()
    for node in reader.sequence(top.get("rules") if top else None, "rules"):
        rule = _rule(reader, node, specs, facts, seen_rules)
        if rule is not None:
            rules.append(rule)
    weights = health.read_section(reader, top.get("health") if top else None)
    if reader.problems:
        raise ModelFileErrors(reader.problems)
    return ModelSpec(specs, rules, weights)


def _rule(reader: _Reader, node, dimensions: list[DimensionSpec], facts, seen: set):
    found = reader.mapping(
        node,
        {"key", "label", "trigger", "condition", "actions", "priority", "enabled"},
        {"key", "label", "condition", "actions"},
        _("a rule"),
    )
    if found is None:
        return None
    key = reader.key(found.get("key"), _("A rule's key"))
    if key in seen:
        reader.fail(found.get("key"), _("The rule “%(key)s” is given twice.") % {"key": key})
    seen.add(key)
    label_zh, label_en = reader.bilingual(found.get("label"), _("A rule's label"))
    condition = reader.text(found.get("condition"), "condition", limit=2000)
    if condition:
        try:
            conditions.parse(condition, facts)
        except conditions.ConditionErrors as errors:
            for error in errors.errors:
                reader.fail(found.get("condition"), str(error))
    states = {spec.key: (spec.exclusive, {s.key for s in spec.states}) for spec in dimensions}
    actions = []
    for action_node in reader.sequence(found.get("actions"), "actions"):
        action = _action(reader, action_node, states)
        if action is not None:
            actions.append(action)
    if not actions and found.get("actions") is not None:
        reader.fail(found.get("actions"), _("A rule needs at least one action."))
    priority_node = found.get("priority")
    priority = 100
    if priority_node is not None:
        text = reader.text(priority_node, "priority", limit=6)
        if text.isdigit():
            priority = int(text)
        else:
            reader.fail(priority_node, _("priority must be a whole number."))
    return RuleSpec(
        key=key,
        label_zh=label_zh,
        label_en=label_en,
        trigger=reader.choice(found.get("trigger"), "trigger", RuleTrigger.values, "schedule"),
        condition=condition,
        actions=actions,
        priority=priority,
        enabled=reader.boolean(found.get("enabled"), "enabled", True),
    )


# The entries each kind of action takes (required, optional); see tend.status.rule_actions.
ACTION_ENTRIES = {
    "set_state": ({"dimension", "state"}, set()),
    "remove_state": ({"dimension", "state"}, set()),
    "lock": (set(), set()),
    "unlock": (set(), {"state"}),
    "add_tag": ({"tag"}, set()),
    "remove_tag": ({"tag"}, set()),
    "assign_owner": ({"user"}, set()),
    "assign_team": ({"team"}, set()),
    "return_to_pool": (set(), set()),
    "create_task": ({"title"}, {"assignee", "due_in_days", "kind"}),
    "notify": ({"message"}, {"to"}),
    "webhook": ({"url"}, set()),
}


def _action(reader: _Reader, node, states: dict) -> dict | None:
    """One action of a rule, checked against the file's dimensions (state moves) or the
    database (users, teams: tend.status.rule_actions.action_problems)."""
    from tend.status.rule_actions import action_problems

    kind_node = None
    if isinstance(node, yaml.MappingNode):
        kind_node = next((v for k, v in node.value if getattr(k, "value", None) == "type"), None)
    kind = reader.choice(kind_node, "type", list(ACTION_ENTRIES)) if kind_node else ""
    required, optional = ACTION_ENTRIES.get(kind, (set(), set()))
    found = reader.mapping(
        node, {"type"} | required | optional, {"type"} | required, _("an action")
    )
    if found is None or not kind:
        return None
    action = {"type": kind}
    for name in sorted(required | optional):
        if name not in found:
            continue
        if name == "due_in_days":
            text = reader.text(found[name], name, limit=6)
            if not text.isdigit():
                reader.fail(found[name], _("due_in_days must be a whole number."))
                continue
            action[name] = int(text)
        else:
            action[name] = reader.text(found[name], name, limit=500)
    if kind in ("set_state", "remove_state"):
        dimension, state = action.get("dimension", ""), action.get("state", "")
        if dimension and dimension not in states:
            reader.fail(
                found.get("dimension"),
                _("“%(key)s” is not a dimension of the file.") % {"key": dimension},
            )
        elif state and state not in states.get(dimension, (True, set()))[1]:
            reader.fail(
                found.get("state"),
                _("“%(state)s” is not a state of %(dimension)s.")
                % {"state": state, "dimension": dimension},
            )
        elif kind == "remove_state" and states[dimension][0]:
            reader.fail(
                node,
                _("A state of %(dimension)s is replaced, not removed.") % {"dimension": dimension},
            )
    elif kind not in ("lock", "unlock"):
        for problem in action_problems(action):
            reader.fail(node, problem)
    return action


def _dimension(reader: _Reader, node, seen: set) -> DimensionSpec | None:
    what = _("a dimension")
    found = reader.mapping(
        node,
        {"key", "label", "exclusive", "maintainer", "set_by", "states", "transitions"},
        {"key", "label", "states"},
        what,
    )
    if found is None:
        return None
    key = reader.key(found.get("key"), _("A dimension's key"))
    if key in seen:
        reader.fail(found.get("key"), _("The dimension “%(key)s” is given twice.") % {"key": key})
    seen.add(key)
    label_zh, label_en = reader.bilingual(found.get("label"), _("A dimension's label"))
    spec = DimensionSpec(
        key=key,
        label_zh=label_zh,
        label_en=label_en,
        exclusive=reader.boolean(found.get("exclusive"), "exclusive", True),
        maintainer_role=reader.choice(found.get("maintainer"), "maintainer", Role.values),
        set_by=reader.choice(found.get("set_by"), "set_by", SetBy.values, SetBy.BOTH),
    )
    state_keys = set()
    for state_node in reader.sequence(found.get("states"), "states"):
        state = _state(reader, state_node)
        if state is None:
            continue
        if state.key in state_keys:
            reader.fail(
                state_node,
                _("The state “%(key)s” is given twice in %(dimension)s.")
                % {"key": state.key, "dimension": key},
            )
        state_keys.add(state.key)
        spec.states.append(state)
    moves = set()
    for transition_node in reader.sequence(found.get("transitions"), "transitions"):
        transition = _transition(reader, transition_node, key, state_keys)
        if transition is None:
            continue
        move = (transition.from_key, transition.to_key)
        if move in moves:
            reader.fail(
                transition_node,
                _("The move %(from)s → %(to)s is given twice.")
                % {"from": transition.from_key or "*", "to": transition.to_key},
            )
        moves.add(move)
        spec.transitions.append(transition)
    return spec


def _state(reader: _Reader, node) -> StateSpec | None:
    found = reader.mapping(
        node,
        {"key", "label", "category", "color", "guidance", "follow_up_days"},
        {"key", "label"},
        _("a state"),
    )
    if found is None:
        return None
    label_zh, label_en = reader.bilingual(found.get("label"), _("A state's label"))
    color = reader.text(found.get("color"), "color", required=False) or "#1f6feb"
    if not (
        len(color) == 7
        and color[0] == "#"
        and all(c in "0123456789abcdefABCDEF" for c in color[1:])
    ):
        reader.fail(found.get("color"), _("A colour is written #rrggbb."))
    guidance = {}
    guidance_node = found.get("guidance")
    if guidance_node is not None:
        parts = reader.mapping(guidance_node, set(GUIDANCE), set(), "guidance") or {}
        for name in GUIDANCE:
            zh, en = reader.bilingual(parts.get(name), name, required=False, limit=5000)
            guidance[f"{name}_zh"], guidance[f"{name}_en"] = zh, en
    return StateSpec(
        key=reader.key(found.get("key"), _("A state's key")),
        label_zh=label_zh,
        label_en=label_en,
        category=reader.choice(
            found.get("category"), "category", StateCategory.values, StateCategory.OPEN
        ),
        color=color,
        guidance=guidance,
        follow_up_days=_follow_up_days(reader, found.get("follow_up_days")),
    )


MAX_FOLLOW_UP_DAYS = 3660


def _follow_up_days(reader: _Reader, node) -> int | None:
    if node is None or (isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null")):
        return None
    text = reader.text(node, "follow_up_days", limit=6)
    if text.isdigit() and 1 <= int(text) <= MAX_FOLLOW_UP_DAYS:
        return int(text)
    reader.fail(
        node,
        _("follow_up_days must be a whole number of days from 1 to %(most)s.")
        % {"most": MAX_FOLLOW_UP_DAYS},
    )
    return None


def _check_cadence(reader: _Reader, specs: list[DimensionSpec], nodes) -> None:
    """Follow-up cadences belong to one exclusive dimension, the grade: a customer has one
    grade, so one cadence."""
    with_cadence = [
        (spec, node)
        for spec, node in zip(specs, nodes, strict=False)
        if any(state.follow_up_days is not None for state in spec.states)
    ]
    for spec, node in with_cadence:
        if not spec.exclusive:
            reader.fail(
                node,
                _("%(dimension)s has follow-up cadences, so it must be one state at a time.")
                % {"dimension": spec.key},
            )
    for spec, node in with_cadence[1:]:
        reader.fail(
            node,
            _(
                "Only one dimension may have follow-up cadences: %(first)s has them, "
                "so %(dimension)s may not."
            )
            % {"first": with_cadence[0][0].key, "dimension": spec.key},
        )


def _transition(reader: _Reader, node, dimension: str, state_keys: set) -> TransitionSpec | None:
    found = reader.mapping(
        node,
        {"from", "to", "guard", "reason_required", "approval", "checklist"},
        {"to"},
        _("a transition"),
    )
    if found is None:
        return None
    keys = {}
    for name in ("from", "to"):
        value = reader.text(found.get(name), name, required=name == "to", limit=50)
        if value in ("", "*") and name == "from":
            keys[name] = None
            continue
        if value and value not in state_keys:
            reader.fail(
                found.get(name),
                _("“%(state)s” is not a state of %(dimension)s.")
                % {"state": value, "dimension": dimension},
            )
        keys[name] = value
    steps = []
    for step_node in reader.sequence(found.get("checklist"), "checklist"):
        step = reader.mapping(step_node, {"label", "ticked_by"}, {"label"}, _("a checklist step"))
        if step is None:
            continue
        zh, en = reader.bilingual(step.get("label"), _("A step's label"))
        steps.append(
            StepSpec(zh, en, reader.choice(step.get("ticked_by"), "ticked_by", Role.values))
        )
    return TransitionSpec(
        from_key=keys["from"],
        to_key=keys["to"],
        guard=reader.text(found.get("guard"), "guard", required=False, limit=2000),
        reason_required=reader.boolean(found.get("reason_required"), "reason_required", False),
        approval_role=reader.choice(found.get("approval"), "approval", Role.values),
        steps=steps,
    )


def _check_guards(reader: _Reader, spec: DimensionSpec, node, facts) -> None:
    found = {
        key_node.value: value_node
        for key_node, value_node in getattr(node, "value", [])
        if isinstance(key_node, yaml.ScalarNode)
    }
    transition_nodes = getattr(found.get("transitions"), "value", [])
    for transition, transition_node in zip(spec.transitions, transition_nodes, strict=False):
        if not transition.guard:
            continue
        try:
            conditions.parse(transition.guard, facts)
        except conditions.ConditionErrors as errors:
            for error in errors.errors:
                reader.fail(transition_node, str(error))


# --- applying ---------------------------------------------------------------------------------

GUIDANCE_FIELDS = tuple(f"{name}_{language}" for name in GUIDANCE for language in ("zh", "en"))


def _update(record, values: dict) -> dict:
    """Set the values that differ; {field: [old, new]}."""
    changes = {}
    for name, value in values.items():
        if getattr(record, name) != value:
            changes[name] = [getattr(record, name), value]
            setattr(record, name, value)
    return changes


@transaction.atomic
def apply_model(*, actor, specs: ModelSpec) -> dict:
    """Make the database's model the file's: create, update and remove dimensions, states,
    transitions and checklist steps, matched by key. A state still held or in the history,
    or a transition awaiting approval, cannot be removed: the whole file is refused then.
    Returns counts of what was created, updated and removed."""
    counts = {"created": 0, "updated": 0, "removed": 0}
    problems = []

    def note(action, record, changes=None):
        counts[{"create": "created", "update": "updated", "delete": "removed"}[action]] += 1
        record_change(actor=actor, action=action, instance=record, changes=changes or {})

    kept_dimensions = []
    cadence_changed: list[int] = []
    for order, spec in enumerate(specs.dimensions):
        dimension = Dimension.objects.filter(key=spec.key).first()
        values = {
            "label_zh": spec.label_zh,
            "label_en": spec.label_en,
            "exclusive": spec.exclusive,
            "maintainer_role": spec.maintainer_role,
            "set_by": spec.set_by,
            "order": order,
        }
        if dimension is None:
            dimension = Dimension.objects.create(key=spec.key, **values)
            note(AuditAction.CREATE, dimension, {k: [None, v] for k, v in values.items()})
        elif changes := _update(dimension, values):
            dimension.save()
            note(AuditAction.UPDATE, dimension, changes)
        kept_dimensions.append(dimension.pk)
        states = _apply_states(dimension, spec, note, problems, cadence_changed)
        _apply_transitions(dimension, spec, states, note, problems)
    for dimension in Dimension.objects.exclude(pk__in=kept_dimensions):
        if _in_use(Q(dimension=dimension)):
            problems.append(
                _("The dimension “%(key)s” has customers or history; it cannot be removed.")
                % {"key": dimension.key}
            )
            continue
        note(AuditAction.DELETE, dimension)
        dimension.delete()
    _apply_rules(specs.rules, note)
    health.apply_section(specs.health, note)
    if problems:
        raise ModelFileErrors(problems)
    if cadence_changed:
        refresh_follow_up_due(
            Customer.objects.filter(
                pk__in=CustomerState.objects.filter(state_id__in=cadence_changed).values(
                    "customer_id"
                )
            )
        )
    return counts


def _apply_rules(rule_specs: list[RuleSpec], note) -> None:
    kept = []
    for spec in rule_specs:
        values = {
            "label_zh": spec.label_zh,
            "label_en": spec.label_en,
            "trigger": spec.trigger,
            "condition": spec.condition,
            "actions": spec.actions,
            "priority": spec.priority,
            "enabled": spec.enabled,
        }
        rule = Rule.objects.filter(key=spec.key).first()
        if rule is None:
            rule = Rule.objects.create(key=spec.key, **values)
            note(AuditAction.CREATE, rule, {k: [None, v] for k, v in values.items()})
        elif changes := _update(rule, values):
            rule.save()
            note(AuditAction.UPDATE, rule, changes)
        kept.append(rule.pk)
    for rule in Rule.objects.exclude(pk__in=kept):
        note(AuditAction.DELETE, rule)
        rule.delete()


def _in_use(condition: Q) -> bool:
    return (
        CustomerState.objects.filter(condition).exists()
        or StateChange.objects.filter(condition).exists()
        or TransitionRequest.objects.filter(condition).exists()
    )


def _apply_states(dimension, spec, note, problems, cadence_changed) -> dict[str, State]:
    """The dimension's states made the file's; `cadence_changed` gets the states whose
    customers' follow-up due dates must be computed again."""
    states = {state.key: state for state in State.objects.filter(dimension=dimension)}
    for order, state_spec in enumerate(spec.states):
        values = {
            "label_zh": state_spec.label_zh,
            "label_en": state_spec.label_en,
            "category": state_spec.category,
            "color": state_spec.color,
            "order": order,
            "follow_up_days": state_spec.follow_up_days,
            **{name: state_spec.guidance.get(name, "") for name in GUIDANCE_FIELDS},
        }
        state = states.get(state_spec.key)
        if state is None:
            state = State.objects.create(dimension=dimension, key=state_spec.key, **values)
            states[state.key] = state
            note(AuditAction.CREATE, state, {k: [None, v] for k, v in values.items() if v})
        elif changes := _update(state, values):
            state.save()
            note(AuditAction.UPDATE, state, changes)
            if {"follow_up_days", "order"} & set(changes):
                cadence_changed.append(state.pk)
    wanted = {state_spec.key for state_spec in spec.states}
    for key, state in list(states.items()):
        if key in wanted:
            continue
        used = (
            CustomerState.objects.filter(state=state).exists()
            or StateChange.objects.filter(Q(from_state=state) | Q(to_state=state)).exists()
            or TransitionRequest.objects.filter(to_state=state).exists()
        )
        if used:
            problems.append(
                _(
                    "The state “%(dimension)s / %(key)s” has customers or history; it cannot be removed."
                )
                % {"dimension": dimension.key, "key": key}
            )
            continue
        note(AuditAction.DELETE, state)
        state.delete()
        del states[key]
    return states


def _apply_transitions(dimension, spec, states, note, problems) -> None:
    existing = {
        (t.from_state.key if t.from_state_id else None, t.to_state.key): t
        for t in Transition.objects.filter(dimension=dimension).select_related(
            "from_state", "to_state"
        )
    }
    for transition_spec in spec.transitions:
        move = (transition_spec.from_key, transition_spec.to_key)
        values = {
            "guard": transition_spec.guard,
            "reason_required": transition_spec.reason_required,
            "approval_role": transition_spec.approval_role,
        }
        transition = existing.pop(move, None)
        if transition is None:
            transition = Transition.objects.create(
                dimension=dimension,
                from_state=states[move[0]] if move[0] else None,
                to_state=states[move[1]],
                **values,
            )
            note(AuditAction.CREATE, transition, {k: [None, v] for k, v in values.items() if v})
        elif changes := _update(transition, values):
            transition.save()
            note(AuditAction.UPDATE, transition, changes)
        _apply_steps(transition, transition_spec.steps, note)
    for move, transition in existing.items():
        if TransitionRequest.objects.filter(transition=transition).exists():
            problems.append(
                _("The move %(from)s → %(to)s has approval requests; it cannot be removed.")
                % {"from": move[0] or "*", "to": move[1]}
            )
            continue
        note(AuditAction.DELETE, transition)
        transition.delete()


def _apply_steps(transition, step_specs, note) -> None:
    current = [
        (step.label_zh, step.label_en, step.tick_role)
        for step in ChecklistStep.objects.filter(transition=transition)
    ]
    wanted = [(s.label_zh, s.label_en, s.tick_role) for s in step_specs]
    if current == wanted:
        return
    # Steps have no key of their own: a changed checklist is replaced (ticks included).
    ChecklistStep.objects.filter(transition=transition).delete()
    for order, (zh, en, role) in enumerate(wanted):
        ChecklistStep.objects.create(
            transition=transition, label_zh=zh, label_en=en, tick_role=role, order=order
        )
    note(
        AuditAction.UPDATE,
        transition,
        {"checklist": [[step[0] for step in current], [step[0] for step in wanted]]},
    )


# --- writing -----------------------------------------------------------------------------------


def _bilingual(zh: str, en: str):
    return {"zh": zh, "en": en} if en else {"zh": zh}


def export_model() -> str:
    """The database's model as a YAML file that `parse_model` reads back to the same model."""
    dimensions = []
    for dimension in Dimension.objects.prefetch_related("states"):
        entry = {"key": dimension.key, "label": _bilingual(dimension.label_zh, dimension.label_en)}
        if not dimension.exclusive:
            entry["exclusive"] = False
        if dimension.maintainer_role:
            entry["maintainer"] = dimension.maintainer_role
        if dimension.set_by != SetBy.BOTH:
            entry["set_by"] = dimension.set_by
        entry["states"] = []
        for state in dimension.states.all():
            state_entry = {
                "key": state.key,
                "label": _bilingual(state.label_zh, state.label_en),
                "category": state.category,
                "color": state.color,
            }
            guidance = {
                name: _bilingual(getattr(state, f"{name}_zh"), getattr(state, f"{name}_en"))
                for name in GUIDANCE
                if getattr(state, f"{name}_zh") or getattr(state, f"{name}_en")
            }
            if guidance:
                state_entry["guidance"] = guidance
            if state.follow_up_days is not None:
                state_entry["follow_up_days"] = state.follow_up_days
            entry["states"].append(state_entry)
        transitions = (
            Transition.objects.filter(dimension=dimension)
            .select_related("from_state", "to_state")
            .prefetch_related("steps")
            .order_by("id")
        )
        entry["transitions"] = [_transition_entry(transition) for transition in transitions]
        dimensions.append(entry)
    rules = [
        {
            "key": rule.key,
            "label": _bilingual(rule.label_zh, rule.label_en),
            "trigger": rule.trigger,
            "condition": rule.condition,
            "actions": rule.actions,
            "priority": rule.priority,
            "enabled": rule.enabled,
        }
        for rule in Rule.objects.all()
    ]
    header = "# Tend status model (状态模型). Edit and import with `tend status import-model`.\n"
    return header + yaml.safe_dump(
        {"version": 1, "dimensions": dimensions, "rules": rules, "health": health.export_section()},
        allow_unicode=True,
        sort_keys=False,
        width=100,
    )


def _transition_entry(transition: Transition) -> dict:
    entry = {}
    if transition.from_state_id:
        entry["from"] = transition.from_state.key
    entry["to"] = transition.to_state.key
    if transition.guard:
        entry["guard"] = transition.guard
    if transition.reason_required:
        entry["reason_required"] = True
    if transition.approval_role:
        entry["approval"] = transition.approval_role
    steps = list(transition.steps.all())
    if steps:
        entry["checklist"] = [
            {
                "label": _bilingual(step.label_zh, step.label_en),
                **({"ticked_by": step.tick_role} if step.tick_role else {}),
            }
            for step in steps
        ]
    return entry


# --- the default model -------------------------------------------------------------------------

DEFAULT_MODEL = Path(__file__).with_name("default_model.yaml")


def install_default_model() -> bool:
    """Install the default model on a database that has none; True if it did."""
    if Dimension.objects.exists():
        return False
    apply_model(actor=None, specs=parse_model(DEFAULT_MODEL.read_text(encoding="utf-8")))
    return True


def install_after_migrate(sender, using="default", **kwargs):
    if using == "default" and "status_dimension" in _tables(using):
        install_default_model()


def _tables(using: str) -> set[str]:
    from django.db import connections

    return set(connections[using].introspection.table_names())
