"""The status model's editor, for administrators (anyone else gets a 404, as for the other
settings pages): the model at a glance — dimensions with their states, transitions and
rules; the whole model as YAML, checked whole with every problem beside its line, nothing
applied on any problem, downloaded and uploaded as a file; and the rules one by one, their
condition checked as they are saved, tried before they are switched on by a dry run (which
customers would change now) and a backtest (who would have changed since a day, and when —
on the worker, the page following its progress). Every write goes through
tend.status.model_edits (rules.check_rule, model_file), audited."""

import datetime
import re

import yaml
from django import forms
from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tend.core.errors import NotFound, TendError, ValidationFailed
from tend.core.ids import get_or_not_found
from tend.customers.models import Customer
from tend.status import backtest
from tend.status.facts import FACTS, PARAMETER_NAMES
from tend.status.model_edits import (
    RuleInput,
    RuleRefused,
    apply_model_text,
    checked_rule,
    delete_rule,
    save_rule,
    set_rule_enabled,
)
from tend.status.model_file import MAX_FILE_BYTES, ModelFileErrors, export_model
from tend.status.models import Dimension, Rule, State, Transition
from tend.status.rule_actions import ACTION_TYPES
from tend.web.access import signed_in
from tend.web.forms import DateInput, DisplayForm
from tend.web.tasks import run_backtest_job
from tend.web.views.common import is_htmx, redirect_with_error

DRY_RUN_LISTED = 50
MONOSPACE = "font-family: var(--mono)"  # conditions and YAML line up as they are typed


def _require_admin(user) -> None:
    # Settings pages do not exist for anyone else (404, like records one may not see).
    if not user.is_admin:
        raise NotFound()


# --- the model at a glance ----------------------------------------------------------------------


@signed_in
def status_model(request):
    _require_admin(request.user)
    transitions = Transition.objects.select_related("from_state", "to_state").prefetch_related(
        "steps"
    )
    dimensions = Dimension.objects.prefetch_related(
        "states", Prefetch("transitions", queryset=transitions.order_by("id"))
    )
    rules = list(Rule.objects.all())
    for rule in rules:
        rule.action_lines = _actions_text(rule.actions).splitlines()
    return render(request, "web/status/editor.html", {"dimensions": dimensions, "rules": rules})


# --- the model file -----------------------------------------------------------------------------


def _line_of(problem: str) -> int | None:
    """The line a model file's problem names ("Line 12: …", in the user's language)."""
    prefix = _("Line %(line)s: %(message)s") % {"line": "\0", "message": "\1"}
    before, _sep, rest = prefix.partition("\0")
    between = rest.partition("\1")[0]
    match = re.match(re.escape(before) + r"(\d+)" + re.escape(between), problem)
    return int(match.group(1)) if match else None


def _numbered(text: str, problems: list[str]) -> tuple[list[tuple], list[str]]:
    """[(number, line, its problems)] of the text, and the problems that name no line."""
    by_line: dict[int, list[str]] = {}
    general = []
    lines = text.splitlines() or [""]
    for problem in problems:
        line = _line_of(problem)
        if line is None or not 1 <= line <= len(lines):
            general.append(problem)
        else:
            by_line.setdefault(line, []).append(problem)
    return [
        (number, line, by_line.get(number, [])) for number, line in enumerate(lines, 1)
    ], general


def _uploaded_text(upload) -> str:
    if upload.size > MAX_FILE_BYTES:
        raise ModelFileErrors([_("The file is larger than 2 MB.")])
    try:
        return upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ModelFileErrors([_("The file is not UTF-8 text.")]) from None


@signed_in
def status_model_file(request):
    """The whole model as YAML in a text box (or a file uploaded): applied only if it has no
    problem at all, otherwise shown again with each problem beside its line."""
    _require_admin(request.user)
    if request.method != "POST":
        return render(request, "web/status/editor_file.html", {"text": export_model()})
    text = request.POST.get("text", "")
    try:
        if request.FILES.get("file"):
            text = _uploaded_text(request.FILES["file"])
        counts = apply_model_text(actor=request.user, text=text)
    except ModelFileErrors as errors:
        lines, general = _numbered(text, errors.problems)
        return render(
            request,
            "web/status/editor_file.html",
            {"text": text, "problems": errors.problems, "lines": lines, "general": general},
            status=422,
        )
    except TendError as error:
        return redirect_with_error(request, error, reverse("web:status_model_file"))
    messages.success(
        request,
        _("The model was applied: %(created)s created, %(updated)s changed, %(removed)s removed.")
        % counts,
    )
    return redirect("web:status_model")


@signed_in
def status_model_download(request):
    _require_admin(request.user)
    response = HttpResponse(export_model(), content_type="application/x-yaml; charset=utf-8")
    day = timezone.localdate().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="tend-status-model-{day}.yaml"'
    return response


# --- rules ----------------------------------------------------------------------------------------


class RuleForm(DisplayForm):
    input_class = RuleInput
    since = forms.DateField(label=gettext_lazy("since"), required=False)
    step_days = forms.TypedChoiceField(
        label=gettext_lazy("step"),
        coerce=int,
        choices=[
            (1, gettext_lazy("daily")),
            (7, gettext_lazy("weekly")),
            (30, gettext_lazy("every 30 days")),
        ],
    )

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trigger"].choices = list(self.fields["trigger"].choices)
        self.fields["condition"].widget = forms.Textarea(
            attrs={"rows": 3, "spellcheck": "false", "style": MONOSPACE}
        )
        self.fields["actions"].widget = forms.Textarea(
            attrs={"rows": 5, "spellcheck": "false", "style": MONOSPACE}
        )
        self.fields["since"].widget = DateInput()
        if editing:
            self.fields["key"].widget.attrs["readonly"] = True


# How an action's entries are written, whatever order the database keeps them in (PostgreSQL
# keeps a JSON object's keys by length).
ACTION_KEYS = ("type", "dimension", "state", "tag", "user", "team", "title", "assignee")


def _actions_text(actions) -> str:
    if not actions:
        return ""
    ordered = [
        dict(sorted(action.items(), key=lambda item: _key_rank(item[0])))
        if isinstance(action, dict)
        else action
        for action in actions
    ]
    return yaml.safe_dump(
        ordered, allow_unicode=True, sort_keys=False, default_flow_style=None, width=1000
    )


def _key_rank(key: str) -> tuple:
    return (ACTION_KEYS.index(key) if key in ACTION_KEYS else len(ACTION_KEYS), key)


def _initial(rule: Rule | None) -> dict:
    since = timezone.localdate() - datetime.timedelta(days=28)
    common = {"since": since, "step_days": 7}
    if rule is None:
        return {**common, "trigger": "schedule", "priority": 100}
    return {
        **common,
        **{name: getattr(rule, name) for name in ("key", "label_zh", "label_en", "trigger")},
        "condition": rule.condition,
        "actions": _actions_text(rule.actions),
        "priority": rule.priority,
    }


def _facts_help() -> list[tuple[str, str, str]]:
    """(how to write it, type, description) of every fact, for the condition's help."""
    found = []
    for name, definition in FACTS.items():
        written = name
        if definition.parameters:
            written += (
                f"({', '.join(f'“{PARAMETER_NAMES[kind]}”' for kind in definition.parameters)})"
            )
        found.append((written, definition.type.value, str(definition.description)))
    return found


def _shown(rows: list) -> list[dict]:
    """The customers of a dry run or a backtest as the page lists them: the customer, its
    moves as "Lifecycle: Lead → Prospect", and everything else the row holds (two queries,
    whatever the number of rows)."""
    customers = Customer.objects.filter(pk__in={row.customer_id for row in rows}).only("id", "name")
    names = {customer.pk: customer for customer in customers}
    states = {state.pk: state for state in State.objects.select_related("dimension")}
    dimensions = {state.dimension_id: state.dimension for state in states.values()}

    def move(dimension_id, from_id, to_id) -> str:
        # No words of its own to translate: the labels are already in the reader's language.
        dimension = dimensions[dimension_id].label if dimension_id in dimensions else "?"
        source = states[from_id].label if from_id in states else _("no state")
        target = states[to_id].label if to_id in states else _("no state")
        return f"{dimension}: {source} → {target}"

    return [
        {
            **vars(row),
            "customer": names.get(row.customer_id),
            "moves": [move(*entry) for entry in row.moves],
        }
        for row in rows
    ]


def _rule_page(request, rule: Rule | None, form: RuleForm, *, status=200, **extra):
    return render(
        request,
        "web/status/editor_rule.html",
        {
            "rule": rule,
            "form": form,
            "facts": _facts_help(),
            "action_types": ACTION_TYPES,
            "dimensions": Dimension.objects.prefetch_related("states"),
            "max_steps": backtest.MAX_STEPS,
            **extra,
        },
        status=status,
    )


def _since(request) -> datetime.date:
    try:
        return datetime.date.fromisoformat(request.POST.get("since", ""))
    except ValueError:
        raise ValidationFailed(field_errors={"since": [_("Enter a valid date.")]}) from None


def _step_days(request) -> int:
    try:
        return int(request.POST.get("step_days", ""))
    except ValueError:
        raise ValidationFailed(field_errors={"step_days": [_("Choose a step.")]}) from None


def _rule_form_post(request, rule: Rule | None):
    """Save, dry-run or backtest what the form holds (saved or not)."""
    form = RuleForm(request.POST, editing=rule is not None)
    data = form.input_data(request.POST)
    intent = request.POST.get("intent", "save")
    try:
        if intent == "dry_run":
            dry = backtest.dry_run(checked_rule(data, current=rule), listed=DRY_RUN_LISTED)
            return _rule_page(request, rule, form, dry=dry, listed=_shown(dry.listed))
        if intent == "backtest":
            tried = checked_rule(data, current=rule)
            token = backtest.start_job(
                actor=request.user, rule=tried, start=_since(request), step_days=_step_days(request)
            )
            run_backtest_job(token)
            return redirect("web:status_backtest", token=token)
        saved = save_rule(actor=request.user, data=data, rule=rule)
    except TendError as error:
        form.show_errors(error)
        condition_errors = error.condition_errors if isinstance(error, RuleRefused) else []
        return _rule_page(
            request, rule, form, status=error.status, condition_errors=condition_errors
        )
    messages.success(request, _("The rule “%(key)s” was saved.") % {"key": saved.key})
    return redirect("web:status_rule_edit", pk=saved.pk)


@signed_in
def status_rule_create(request):
    _require_admin(request.user)
    if request.method == "POST":
        return _rule_form_post(request, None)
    return _rule_page(request, None, RuleForm(initial=_initial(None)))


@signed_in
def status_rule_edit(request, pk):
    _require_admin(request.user)
    rule = get_or_not_found(Rule.objects.all(), pk)
    if request.method == "POST":
        return _rule_form_post(request, rule)
    return _rule_page(request, rule, RuleForm(initial=_initial(rule), editing=True))


@signed_in
@require_POST
def status_rule_enabled(request, pk):
    _require_admin(request.user)
    rule = get_or_not_found(Rule.objects.all(), pk)
    enabled = request.POST.get("enabled") == "1"
    back = request.POST.get("back") == "rule"
    to = reverse("web:status_rule_edit", args=[rule.pk]) if back else reverse("web:status_model")
    try:
        set_rule_enabled(actor=request.user, rule=rule, enabled=enabled)
    except TendError as error:
        return redirect_with_error(request, error, to)
    if enabled:
        messages.success(request, _("The rule “%(key)s” is on.") % {"key": rule.key})
    else:
        messages.success(request, _("The rule “%(key)s” is off.") % {"key": rule.key})
    return redirect(to)


@signed_in
@require_POST
def status_rule_delete(request, pk):
    _require_admin(request.user)
    rule = get_or_not_found(Rule.objects.all(), pk)
    delete_rule(actor=request.user, rule=rule)
    messages.success(request, _("The rule “%(key)s” was deleted.") % {"key": rule.key})
    return redirect("web:status_model")


# --- a backtest's progress and result ---------------------------------------------------------


@signed_in
def status_backtest(request, token):
    _require_admin(request.user)
    job = backtest.read_job(token)
    if job is None:
        raise NotFound()
    trial = job.get("result")
    rule = Rule.objects.filter(pk=job["rule_id"]).first() if job.get("rule_id") else None
    context = {
        "job": job,
        "token": token,
        "trial": trial,
        "listed": _shown(trial.first_changes) if trial else [],
        "rule": rule,
        "percent": int(100 * job["done"] / job["total"]) if job["total"] else 0,
    }
    if is_htmx(request):
        return render(request, "web/status/_editor_backtest.html", context)
    return render(request, "web/status/editor_backtest.html", context)
