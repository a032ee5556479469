"""Running rules: which customers a rule's condition holds for — one SQL statement over every
customer, the same condition compiled once — and the changes its actions make, each through
change_state under the rule's key with the fact values that made it fire.

    results = evaluate(dry_run=True)          # what would change now, per rule
    results = evaluate(rules=[rule])          # make the changes

A dry run, and every run, ends with a second pass in a savepoint that is rolled back: a
customer that a second pass would change again is flipped back and forth by the rules, and
is reported instead of being left to flip on every run."""

import datetime
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tend.core.errors import TendError, ValidationFailed
from tend.customers.models import Customer
from tend.status import conditions
from tend.status.facts import (
    FACTS,
    fact_label,
    fact_sql,
    fact_values,
    facts_for,
    signatures,
)
from tend.status.materialized import refresh_facts
from tend.status.models import CustomerState, Dimension, Door, Rule, State

ACTION_TYPES = ("set_state", "remove_state")


# --- checking a rule ----------------------------------------------------------------------------


def rule_problems(rule: Rule) -> list[str]:
    """Everything wrong with a rule's condition and actions (empty: it may be saved)."""
    problems = []
    try:
        conditions.parse(rule.condition, signatures())
    except conditions.ConditionErrors as errors:
        problems += [str(error) for error in errors.errors]
    if not isinstance(rule.actions, list) or not rule.actions:
        return [*problems, _("A rule needs at least one action.")]
    for number, action in enumerate(rule.actions, 1):
        problems += [
            _("Action %(number)s: %(problem)s") % {"number": number, "problem": problem}
            for problem in _action_problems(action)
        ]
    return problems


def _action_problems(action) -> list[str]:
    if not isinstance(action, dict) or action.get("type") not in ACTION_TYPES:
        return [_("the type must be one of: %(types)s.") % {"types": ", ".join(ACTION_TYPES)}]
    dimension = Dimension.objects.filter(key=action.get("dimension")).first()
    if dimension is None:
        return [_("unknown dimension “%(key)s”.") % {"key": action.get("dimension")}]
    if not State.objects.filter(dimension=dimension, key=action.get("state")).exists():
        return [
            _("“%(state)s” is not a state of %(dimension)s.")
            % {"state": action.get("state"), "dimension": dimension}
        ]
    if action["type"] == "remove_state" and dimension.exclusive:
        return [_("a state of %(dimension)s is replaced, not removed.") % {"dimension": dimension}]
    return []


def check_rule(rule: Rule) -> None:
    problems = rule_problems(rule)
    if problems:
        raise ValidationFailed(" ".join(problems), field_errors={"rule": problems})


# --- which customers --------------------------------------------------------------------------


def condition_sql(condition: conditions.Condition, now: datetime.datetime) -> tuple[str, list]:
    vendor = connection.vendor
    return conditions.to_sql(condition, lambda fact: fact_sql(fact, vendor, now))


def matching_customers(
    rule: Rule, now: datetime.datetime, customer_ids: list[int] | None = None
) -> list[int]:
    """The live customers the rule's condition holds for as of `now` (all, or among
    `customer_ids`), who its first action would change: one statement."""
    condition = conditions.parse(rule.condition, signatures())
    where, params = condition_sql(condition, now)
    table = connection.ops.quote_name(Customer._meta.db_table)
    sql = (
        f"SELECT customer.id FROM {table} AS customer WHERE customer.deleted_at IS NULL AND {where}"
    )
    action = rule.actions[0]
    state = State.objects.get(dimension__key=action["dimension"], key=action["state"])
    held = (
        f"EXISTS (SELECT 1 FROM {connection.ops.quote_name(CustomerState._meta.db_table)} "
        "AS current WHERE current.customer_id = customer.id AND current.state_id = %s)"
    )
    # Only customers the action would change: not yet in the state, or still in it to remove.
    sql += f" AND {'NOT ' if action['type'] == 'set_state' else ''}{held}"
    params.append(state.pk)
    if customer_ids is not None:
        sql += f" AND customer.id IN ({', '.join('%s' for _ in customer_ids) or 'NULL'})"
        params += list(customer_ids)
    with connection.cursor() as cursor:
        cursor.execute(sql + " ORDER BY customer.id", params)
        return [row[0] for row in cursor.fetchall()]


# --- running -----------------------------------------------------------------------------------


@dataclass
class RuleResult:
    rule: Rule
    matched: int = 0
    changed: int = 0
    waiting: int = 0  # moves that need approval: left as requests
    refused: int = 0  # moves the model refused (a guard, a missing step…)
    first_refusal: str = ""
    # (customer id, dimension id, from state id, to state id) of each change made
    changes: list[tuple] = field(default_factory=list)


@dataclass
class Evaluation:
    results: list[RuleResult]
    unstable: dict[int, list[str]] = field(default_factory=dict)  # customer → rule keys


MAX_PASSES = 4


def _apply(rule: Rule, condition, targets, customer_id: int, now, result: RuleResult) -> None:
    """Run the rule's actions (`targets`: (action, dimension, state)) for one customer,
    counting what happened in `result`. Its stored facts were refreshed by the evaluation."""
    from tend.status.actions import change_state

    facts = fact_values(condition, customer_id, now, refresh=False)
    customer = Customer.objects.get(pk=customer_id)
    changed = waiting = False
    for action, dimension, state in targets:
        try:
            with transaction.atomic():
                outcome = change_state(
                    actor=None,
                    customer=customer,
                    dimension=dimension,
                    state=state,
                    door=Door.RULE,
                    reason=rule.label,
                    remove=action["type"] == "remove_state",
                    rule_key=rule.key,
                    facts=facts,
                    at=now,
                )
        except TendError as error:
            result.refused += 1
            result.first_refusal = result.first_refusal or str(error.message)
            return
        if outcome.request is not None:
            waiting = True
        elif outcome.change is not None:
            changed = True
            change = outcome.change
            result.changes.append(
                (customer_id, change.dimension_id, change.from_state_id, change.to_state_id)
            )
    result.changed += changed
    result.waiting += waiting


def _run(rules: list[Rule], now, customer_ids=None) -> list[RuleResult]:
    results = []
    for rule in rules:
        # Parsed and resolved once per rule, not once per customer.
        condition = conditions.parse(rule.condition, signatures())
        targets = [
            (
                action,
                dimension := Dimension.objects.get(key=action["dimension"]),
                State.objects.get(dimension=dimension, key=action["state"]),
            )
            for action in rule.actions
        ]
        result = RuleResult(rule)
        matched = matching_customers(rule, now, customer_ids)
        result.matched = len(matched)
        for customer_id in matched:
            _apply(rule, condition, targets, customer_id, now, result)
        results.append(result)
    return results


def _reads_stored_facts(rule: Rule) -> bool:
    condition = conditions.parse(rule.condition, signatures())
    return any(FACTS[fact.name].materialized for fact in condition.facts())


def _flips(passes: list[list[RuleResult]]) -> dict[int, list[str]]:
    """Customers whose state on a dimension comes back to one it had left, pass after pass:
    the rules would flip them on every run. Cascades that settle (lead → prospect → key)
    visit no state twice."""
    visited: dict[tuple, list] = {}
    flipping: dict[int, list[str]] = {}
    for results in passes:
        for result in results:
            for customer_id, dimension_id, from_state, to_state in result.changes:
                seen = visited.setdefault((customer_id, dimension_id), [from_state])
                if to_state in seen:
                    keys = flipping.setdefault(customer_id, [])
                    if result.rule.key not in keys:
                        keys.append(result.rule.key)
                seen.append(to_state)
    return flipping


def evaluate(
    *,
    rules: list[Rule] | None = None,
    now: datetime.datetime | None = None,
    dry_run: bool = False,
    customer_ids: list[int] | None = None,
) -> Evaluation:
    """Run the rules (the enabled ones by default) in priority order, each seeing what the
    ones before it changed. A dry run changes nothing. Further passes, rolled back, find
    customers the rules would flip back and forth."""
    now = now or timezone.now()
    rules = list(rules if rules is not None else Rule.objects.filter(enabled=True))
    for rule in rules:
        check_rule(rule)
    with transaction.atomic():
        if any(_reads_stored_facts(rule) for rule in rules):
            refresh_facts(now, customer_ids=customer_ids)
        results = _run(rules, now, customer_ids)
        passes = [results]
        with transaction.atomic():
            while len(passes) < MAX_PASSES and any(r.changes for r in passes[-1]):
                passes.append(_run(rules, now, customer_ids))
            transaction.set_rollback(True)
        if dry_run:
            transaction.set_rollback(True)
    return Evaluation(results, _flips(passes))


def holds_for(condition_text: str, customer_id: int, now) -> bool:
    """The condition for one customer, evaluated in Python over its fact values."""
    condition = conditions.parse(condition_text, signatures())
    values = fact_values(condition, customer_id, now)
    return conditions.evaluate(condition, lambda fact: values.get(fact_label(fact)))


@dataclass
class RuleOutlook:
    """An enabled rule that could change a customer's dimension, and whether its condition
    holds for the customer now, with the facts it reads."""

    rule: Rule
    action: str
    state: State
    holds: bool
    facts: dict


def rule_outlook(customer_id: int, now=None) -> dict[int, list[RuleOutlook]]:
    """{dimension id: outlooks} of the enabled rules, for the customer page's Explain: the
    facts of every rule read together (one refresh, one query), whatever the number of
    rules."""
    now = now or timezone.now()
    states = {
        (state.dimension.key, state.key): state
        for state in State.objects.select_related("dimension")
    }
    known = signatures()
    rules, parsed = [], []
    for rule in Rule.objects.filter(enabled=True):
        try:  # a rule the model no longer fits is shown nowhere (the review lists it)
            parsed.append(conditions.parse(rule.condition, known))
        except conditions.ConditionErrors:
            continue
        rules.append(rule)
    values = facts_for(parsed, customer_id, now)
    found: dict[int, list[RuleOutlook]] = {}
    for rule, condition in zip(rules, parsed, strict=True):
        holds = conditions.evaluate(condition, lambda fact: values.get(fact_label(fact)))
        read = {fact_label(fact): values.get(fact_label(fact)) for fact in condition.facts()}
        for action in rule.actions if isinstance(rule.actions, list) else []:
            state = states.get((action.get("dimension"), action.get("state")))
            if state is not None:
                found.setdefault(state.dimension_id, []).append(
                    RuleOutlook(rule, action.get("type"), state, holds, read)
                )
    return found
