"""An administrator's edits of the status model, one at a time (the web's rule editor) or as
the whole model file (the web's YAML editor, like `tend status import-model`).

A rule is checked whole before anything is saved — its fields, its condition (every problem
with its column, `RuleRefused.condition_errors` for a caret under it) and its actions
(rules.check_rule, the same check as every run) — then saved in one transaction with its
audit entry. A new rule starts switched off: the editor shows a dry run and a backtest
before it is switched on, and switching on checks it again against the model as it is then.
A model file goes through model_file: checked whole, applied in one transaction, each change
audited with a diff."""

import json

import yaml
from django import forms
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tend.accounts.models import User
from tend.audit.actions import record_change
from tend.audit.models import AuditAction
from tend.core.errors import PermissionDenied, ValidationFailed
from tend.core.inputs import check_known_fields
from tend.status import conditions
from tend.status.facts import signatures
from tend.status.model_file import apply_model, parse_model
from tend.status.models import Rule, RuleTrigger
from tend.status.rules import check_rule, rule_problems

RULE_FIELDS = ("key", "label_zh", "label_en", "trigger", "condition", "actions", "priority")
MAX_ACTIONS_TEXT = 20_000


class ActionsField(forms.Field):
    """A rule's actions: a list of mappings, given as data or as YAML text (JSON is YAML)."""

    default_error_messages = {
        "invalid": gettext_lazy("Give the actions as a list, one “- type: …” entry each."),
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, str):
            if not value.strip():
                return None
            if len(value) > MAX_ACTIONS_TEXT:
                raise forms.ValidationError(
                    _("The actions are longer than %(limit)s characters.")
                    % {"limit": MAX_ACTIONS_TEXT}
                )
            try:
                value = yaml.safe_load(value)
            except yaml.YAMLError as error:
                mark = getattr(error, "problem_mark", None)
                raise forms.ValidationError(
                    _("Line %(line)s: %(message)s")
                    % {
                        "line": mark.line + 1 if mark else 1,
                        "message": getattr(error, "problem", None) or error,
                    }
                ) from None
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        # Kept as JSON: a YAML date or time becomes its text.
        return json.loads(json.dumps(value, default=str))


class RuleInput(forms.Form):
    key = forms.SlugField(
        label=gettext_lazy("key"),
        max_length=50,
        help_text=gettext_lazy("Letters, digits, - and _; named in the history of every change."),
    )
    label_zh = forms.CharField(label=gettext_lazy("label (Chinese)"), max_length=200)
    label_en = forms.CharField(
        label=gettext_lazy("label (English)"), max_length=200, required=False
    )
    trigger = forms.ChoiceField(label=gettext_lazy("when"), choices=RuleTrigger.choices)
    condition = forms.CharField(label=gettext_lazy("if (condition)"), max_length=2000)
    actions = ActionsField(label=gettext_lazy("then (actions)"))
    priority = forms.IntegerField(
        label=gettext_lazy("priority"),
        min_value=0,
        max_value=999_999,
        help_text=gettext_lazy("Lower runs first."),
    )


class RuleRefused(ValidationFailed):
    """A rule with problems; `condition_errors` are the condition's, with their positions."""

    def __init__(self, field_errors: dict, condition_errors: list):
        self.condition_errors = condition_errors
        super().__init__(field_errors=field_errors)


def _require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise PermissionDenied(_("Only an administrator can change the status model."))


def checked_rule(data: dict, *, current: Rule | None = None) -> Rule:
    """An unsaved rule made of `data` (over `current`'s id and switch, when editing one),
    checked whole: RuleRefused with every problem of every field, or the rule."""
    check_known_fields(data, RuleInput.base_fields)
    form = RuleInput(data=data)
    form.is_valid()
    errors = {name: list(messages) for name, messages in form.errors.items()}
    values = form.cleaned_data
    if current is not None and values.get("key", current.key) != current.key:
        errors["key"] = [_("A rule's key cannot change: the history of its changes names it.")]
    rule = Rule(
        pk=current.pk if current else None,
        enabled=current.enabled if current else False,
        **{name: values[name] for name in RULE_FIELDS if name in values},
    )
    condition_errors = []
    if "condition" in values:
        try:
            conditions.parse(rule.condition, signatures())
        except conditions.ConditionErrors as found:
            condition_errors = found.errors
            errors["condition"] = [str(error) for error in condition_errors]
    if "actions" in values:
        # rule_problems lists the condition's problems too: those are shown under the
        # condition, the rest under the actions.
        shown = set(errors.get("condition", []))
        action_problems = [p for p in rule_problems(rule) if p not in shown]
        if action_problems:
            errors["actions"] = action_problems
    if errors:
        raise RuleRefused(errors, condition_errors)
    check_rule(rule)  # the one check every run makes: nothing saved escapes it
    return rule


@transaction.atomic
def save_rule(*, actor: User, data: dict, rule: Rule | None = None) -> Rule:
    """Create a rule (switched off), or change `rule`; audited."""
    _require_admin(actor)
    checked = checked_rule(data, current=rule)
    values = {name: getattr(checked, name) for name in RULE_FIELDS}
    try:
        with transaction.atomic():
            if rule is None:
                rule = Rule.objects.create(**values, enabled=False)
                changes = {name: [None, value] for name, value in values.items()}
                action = AuditAction.CREATE
            else:
                rule = Rule.objects.select_for_update().get(pk=rule.pk)
                changes = {
                    name: [getattr(rule, name), value]
                    for name, value in values.items()
                    if getattr(rule, name) != value
                }
                for name, (_old, value) in changes.items():
                    setattr(rule, name, value)
                if changes:
                    rule.save(update_fields=list(changes))
                action = AuditAction.UPDATE
    except IntegrityError as error:  # the unique key decides, not a check before
        raise ValidationFailed(field_errors={"key": [_("This key is already used.")]}) from error
    if changes:
        record_change(actor=actor, action=action, instance=rule, changes=changes)
    return rule


@transaction.atomic
def set_rule_enabled(*, actor: User, rule: Rule, enabled: bool) -> Rule:
    """Switch a rule on (checked again: the model may have changed since it was saved) or
    off; audited."""
    _require_admin(actor)
    rule = Rule.objects.select_for_update().get(pk=rule.pk)
    if enabled:
        check_rule(rule)
    if rule.enabled != enabled:
        record_change(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=rule,
            changes={"enabled": [rule.enabled, enabled]},
        )
        rule.enabled = enabled
        rule.save(update_fields=["enabled"])
    return rule


@transaction.atomic
def delete_rule(*, actor: User, rule: Rule) -> None:
    _require_admin(actor)
    record_change(actor=actor, action=AuditAction.DELETE, instance=rule)
    rule.delete()


def apply_model_text(*, actor: User, text: str) -> dict:
    """Apply a model file's text: checked whole first (ModelFileErrors listing every problem
    with its line, nothing applied), then applied in one transaction, audited. Returns the
    counts of what was created, updated and removed."""
    _require_admin(actor)
    return apply_model(actor=actor, specs=parse_model(text))
