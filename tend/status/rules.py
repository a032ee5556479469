"""Running rules: which customers a rule's condition holds for — one SQL statement over every
customer, the same condition compiled once — and the changes its actions make, each through
change_state under the rule's key with the fact values that made it fire.

    results = evaluate(dry_run=True)          # what would change now, per rule
    results = evaluate(rules=[rule])          # make the changes

A dry run, and every run, ends with a second pass in a savepoint that is rolled back: a
customer that a second pass would change again is flipped back and forth by the rules, and
is reported instead of being left to flip on every run."""

import contextvars
import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tend.core.errors import ValidationFailed
from tend.core.sql import empty_temporary_table, moment, moment_parameter, quoted_table
from tend.customers.models import Customer
from tend.status import conditions
from tend.status.bulk_moves import TABLE as CANDIDATES
from tend.status.bulk_moves import candidates, facts_json_sql, move_candidates
from tend.status.facts import (
    FACTS,
    ModelView,
    fact_label,
    fact_sql,
    fact_values,
    facts_for,
    joined_fact_sql,
    plain_facts,
    reads_joined_facts,
    signatures,
)
from tend.status.materialized import refresh_facts
from tend.status.models import (
    CustomerFacts,
    CustomerState,
    Dimension,
    Door,
    Rule,
    RuleFiring,
    State,
    StateCategory,
)
from tend.status.rule_actions import ACTION_TYPES, action_problems, run_action

# --- the model, read once per evaluation --------------------------------------------------------


class _Lookups:
    """The model's dimensions and states in two queries, and the facts' signatures over
    them: an evaluation reads the model once, not once per rule and pass."""

    def __init__(self):
        self.dimensions = {dimension.key: dimension for dimension in Dimension.objects.all()}
        self.states: dict[tuple[str, str], State] = {}
        by_id = {dimension.pk: dimension for dimension in self.dimensions.values()}
        for state in State.objects.order_by("dimension__order", "order", "id"):
            state.dimension = by_id[state.dimension_id]
            self.states[(state.dimension.key, state.key)] = state
        view = {key: (dimension.exclusive, []) for key, dimension in self.dimensions.items()}
        for dimension_key, state_key in self.states:
            view[dimension_key][1].append(state_key)
        self.known = signatures(ModelView(view))
        self._parsed: dict[str, conditions.Condition] = {}

    def state(self, dimension_key, state_key) -> State | None:
        return self.states.get((dimension_key, state_key))

    def parse(self, text: str) -> conditions.Condition:
        """The condition parsed once per evaluation (ConditionErrors as parse raises them)."""
        if text not in self._parsed:
            self._parsed[text] = conditions.parse(text, self.known)
        return self._parsed[text]


_active_lookups: contextvars.ContextVar[_Lookups | None] = contextvars.ContextVar(
    "status_model_lookups", default=None
)


def _lookups() -> _Lookups:
    return _active_lookups.get() or _Lookups()


# --- checking a rule ----------------------------------------------------------------------------


def rule_problems(rule: Rule) -> list[str]:
    """Everything wrong with a rule's condition and actions (empty: it may be saved)."""
    problems = []
    lookups = _lookups()
    try:
        lookups.parse(rule.condition)
    except conditions.ConditionErrors as errors:
        problems += [str(error) for error in errors.errors]
    if not isinstance(rule.actions, list) or not rule.actions:
        return [*problems, _("A rule needs at least one action.")]
    for number, action in enumerate(rule.actions, 1):
        problems += [
            _("Action %(number)s: %(problem)s") % {"number": number, "problem": problem}
            for problem in _action_problems(action, lookups)
        ]
    return problems


def _action_problems(action, lookups: _Lookups) -> list[str]:
    if not isinstance(action, dict) or action.get("type") not in ACTION_TYPES:
        return [_("the type must be one of: %(types)s.") % {"types": ", ".join(ACTION_TYPES)}]
    if action["type"] in ("lock", "unlock"):
        try:
            _lock_target(action, lookups)
        except ValidationFailed as problem:
            return [str(problem.message)]
        return []
    if action["type"] not in ("set_state", "remove_state"):
        return action_problems(action)
    dimension = lookups.dimensions.get(action.get("dimension"))
    if dimension is None:
        return [_("unknown dimension “%(key)s”.") % {"key": action.get("dimension")}]
    if lookups.state(dimension.key, action.get("state")) is None:
        return [
            _("“%(state)s” is not a state of %(dimension)s.")
            % {"state": action.get("state"), "dimension": dimension}
        ]
    if action["type"] == "remove_state" and dimension.exclusive:
        return [_("a state of %(dimension)s is replaced, not removed.") % {"dimension": dimension}]
    return []


def _lock_target(action: dict, lookups: _Lookups) -> tuple[Dimension, State]:
    """Where lock moves a customer (the model's state of category locked) or unlock (the
    action's `state`, or the first other state of that dimension)."""
    in_order = sorted(
        lookups.states.values(), key=lambda state: (state.dimension.order, state.order, state.id)
    )
    locked = next((s for s in in_order if s.category == StateCategory.LOCKED), None)
    if locked is None:
        raise ValidationFailed(_("the model has no locked state (跟进中) to lock customers in."))
    if action["type"] == "lock":
        return locked.dimension, locked
    target = next(
        (
            state
            for state in in_order
            if state.dimension_id == locked.dimension_id
            and state.category != StateCategory.LOCKED
            and (not action.get("state") or state.key == action["state"])
        ),
        None,
    )
    if target is None:
        raise ValidationFailed(
            _("“%(state)s” is not an unlocked state of %(dimension)s.")
            % {"state": action.get("state"), "dimension": locked.dimension}
        )
    return locked.dimension, target


def check_rule(rule: Rule) -> None:
    problems = rule_problems(rule)
    if problems:
        raise ValidationFailed(" ".join(problems), field_errors={"rule": problems})


# --- which customers --------------------------------------------------------------------------


def condition_sql(
    condition: conditions.Condition, now: datetime.datetime, read_fact=fact_sql
) -> tuple[str, list]:
    vendor = connection.vendor
    return conditions.to_sql(condition, lambda fact: read_fact(fact, vendor, now))


def _matching_sql(
    rule: Rule,
    condition,
    first: tuple,
    now,
    customer_ids: list[int] | None,
    columns: str,
    scope: str = "",
    read_fact=fact_sql,
) -> tuple[str, list]:
    """SELECT `columns` of the live customers the condition holds for as of `now` (all, or
    among `customer_ids`) whom the rule's first action would change: for a state move, those
    not yet in the state (or still in it, to remove or unlock); otherwise, those the rule
    has not fired for since the condition last came to hold."""
    where, params = condition_sql(condition, now, read_fact)
    # A scope (the customers a pass changed) drives the scan: only its rows are read.
    source = f"({scope}) AS scope JOIN " if scope else ""
    on = " ON customer.id = scope.customer_id" if scope else ""
    if read_fact is joined_fact_sql:
        on += (
            f" LEFT JOIN {quoted_table(CustomerFacts)} AS facts ON facts.customer_id = customer.id"
        )
    sql = (
        f"SELECT {columns} FROM {source}{quoted_table(Customer)} AS customer{on} "
        f"WHERE customer.deleted_at IS NULL AND {where}"
    )
    action, _dimension, state = first
    if state is None:
        sql += (
            f" AND NOT EXISTS (SELECT 1 FROM {quoted_table(RuleFiring)} AS fired "
            "WHERE fired.customer_id = customer.id AND fired.rule_key = %s)"
        )
        params.append(rule.key)
    else:
        if action["type"] == "unlock":
            state = _lock_target({"type": "lock"}, _lookups())[1]
        negation = "" if action["type"] in ("remove_state", "unlock") else "NOT "
        sql += (
            f" AND {negation}EXISTS (SELECT 1 FROM {quoted_table(CustomerState)} AS current "
            "WHERE current.customer_id = customer.id AND current.state_id = %s)"
        )
        params.append(state.pk)
    only, only_params = _among("customer.id", customer_ids)
    sql += only
    params += only_params
    return sql, params


def _among(column: str, customer_ids) -> tuple[str, list]:
    """ " AND column IN (…)" for the given customers, or nothing for all of them."""
    if customer_ids is None:
        return "", []
    placeholders = ", ".join("%s" for _ in customer_ids) or "NULL"
    return f" AND {column} IN ({placeholders})", list(customer_ids)


def _rearm(rule: Rule, condition, now, customer_ids, read_fact=fact_sql) -> None:
    """Forget the firings of customers the condition no longer holds for (or who are gone):
    the rule fires for them again when it next comes to hold."""
    where, params = condition_sql(condition, now, read_fact)
    fired = quoted_table(RuleFiring)
    only, only_params = _among("customer_id", customer_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {fired} WHERE rule_key = %s{only} AND NOT EXISTS (SELECT 1 FROM "
            f"{quoted_table(Customer)} AS customer WHERE customer.id = {fired}.customer_id "
            f"AND customer.deleted_at IS NULL AND ({where}) IS TRUE)",
            [rule.key, *only_params, *params],
        )


def _record_firings(rule: Rule, now) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quoted_table(RuleFiring)} (rule_key, customer_id, at) "
            f"SELECT %s, customer_id, {moment_parameter(connection.vendor)} FROM {CANDIDATES} "
            "WHERE NOT refused",
            [rule.key, moment(now)],
        )


def _targets(rule: Rule) -> list[tuple[dict, Dimension | None, State | None]]:
    """(action, dimension, state) of each action, resolved once per rule; (action, None,
    None) for an action that moves no state."""
    targets = []
    lookups = _lookups()
    for action in rule.actions:
        if action["type"] in ("lock", "unlock"):
            targets.append((action, *_lock_target(action, lookups)))
        elif action["type"] in ("set_state", "remove_state"):
            state = lookups.state(action["dimension"], action["state"])
            targets.append((action, state.dimension, state))
        else:
            targets.append((action, None, None))
    return targets


def matching_customers(
    rule: Rule, now: datetime.datetime, customer_ids: list[int] | None = None
) -> list[int]:
    """The live customers the rule's condition holds for as of `now` (all, or among
    `customer_ids`), who its first action would change: one statement."""
    condition = _lookups().parse(rule.condition)
    first = _targets(rule)[0]
    sql, params = _matching_sql(rule, condition, first, now, customer_ids, "customer.id")
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
    refusals: Counter = field(default_factory=Counter)  # message → customers
    # (customer id, dimension id, from state id, to state id) of each change made
    changes: list[tuple] = field(default_factory=list)
    # The first candidates when evaluate is asked for a `sample`, changed ones first:
    # (customer id, {fact: value}, changed, waiting, refused)
    sample: list[tuple] = field(default_factory=list)


@dataclass
class Evaluation:
    results: list[RuleResult]
    unstable: dict[int, list[str]] = field(default_factory=dict)  # customer → rule keys


MAX_PASSES = 4


def _run_rule(
    chosen, rule: Rule, now, customer_ids, scope: str = "", read_fact=fact_sql, sample: int = 0
) -> RuleResult:
    """The rule for every customer at once: its matches (with the fact values that made
    them match) into the candidates, then each action as one set-based move — the same
    checks and history as change_state — a customer refused by one action skipping the
    rest, as it would one by one."""
    result = RuleResult(rule)
    condition = _lookups().parse(rule.condition)
    targets = _targets(rule)
    fires_once = targets[0][2] is None
    if fires_once:
        _rearm(rule, condition, now, customer_ids, read_fact)
    chosen.clear()
    if read_fact is fact_sql and reads_joined_facts(condition):
        read_fact = joined_fact_sql  # one join for the stored facts, not one subquery each
    facts, facts_params = facts_json_sql(condition, now, read_fact)
    sql, params = _matching_sql(
        rule, condition, targets[0], now, customer_ids, f"customer.id, {facts}", scope, read_fact
    )
    result.matched = chosen.fill(sql, facts_params + params)
    if not result.matched:
        return result
    for action, dimension, state in targets:
        if state is None:
            run_action(action, rule_key=rule.key, now=now)
            chosen.mark_changed()
            continue
        outcome = move_candidates(
            chosen,
            actor=None,
            dimension=dimension,
            state=state,
            door=Door.RULE,
            reason=rule.label,
            remove=action["type"] == "remove_state",
            rule_key=rule.key,
            now=now,
            collect_changes=True,
        )
        result.changes += outcome.changes
        result.refusals += outcome.refused
    if fires_once:
        _record_firings(rule, now)
    if result.refusals:
        result.first_refusal = result.refusals.most_common(1)[0][0]
    result.changed = chosen.count("changed")
    result.waiting = chosen.count("waiting AND NOT changed")
    result.refused = chosen.count("refused")
    if sample:
        result.sample = chosen.sample(sample)
    return result


def _run(
    chosen, rules: list[Rule], now, customer_ids=None, scope: str = "", **options
) -> list[RuleResult]:
    return [_run_rule(chosen, rule, now, customer_ids, scope, **options) for rule in rules]


CHANGED_TABLE = "tend_status_changed"


def _changed_scope(results: list[RuleResult], dimensions: set[int]) -> str | None:
    """The customers the last pass moved on one of `dimensions`, in a temporary table, as a
    subquery (None when there are none): only they can flip on them in the next pass."""
    empty_temporary_table(CHANGED_TABLE, "customer_id BIGINT PRIMARY KEY")
    with connection.cursor() as cursor:
        changed = sorted(
            {
                customer
                for result in results
                for customer, dimension, _from, _to in result.changes
                if dimension in dimensions
            }
        )
        if not changed:
            return None
        cursor.executemany(
            f"INSERT INTO {CHANGED_TABLE} (customer_id) VALUES (%s)", [(id_,) for id_ in changed]
        )
    return f"SELECT customer_id FROM {CHANGED_TABLE}"


def _torn_dimensions(rules: list[Rule]) -> set[int]:
    """The dimensions the rules pull two ways — two target states of a one-at-a-time
    dimension, or a state set and taken away — the only ones a customer can flip on: a
    dimension only one state is moved into cannot come back to a state it left, and tags
    only added are never taken back."""
    pulls: dict[int, set] = {}
    exclusive: dict[int, bool] = {}
    for rule in rules:
        for action, dimension, state in _targets(rule):
            if state is not None:
                pulls.setdefault(dimension.pk, set()).add((action["type"], state.pk))
                exclusive[dimension.pk] = dimension.exclusive
    return {
        dimension
        for dimension, ways in pulls.items()
        if len(ways) > 1
        and (exclusive[dimension] or any(kind != "set_state" for kind, _state in ways))
    }


def _rules_moving(rules: list[Rule], dimensions: set[int]) -> list[Rule]:
    return [
        rule
        for rule in rules
        if any(state is not None and dim.pk in dimensions for _a, dim, state in _targets(rule))
    ]


def _reads_stored_facts(rule: Rule) -> bool:
    condition = _lookups().parse(rule.condition)
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
    sample: int = 0,
    read_fact=fact_sql,
) -> Evaluation:
    """Run the rules (the enabled ones by default) in priority order, each seeing what the
    ones before it changed. A dry run changes nothing. Further passes, rolled back, find
    customers the rules would flip back and forth. `sample`: each result keeps that many
    candidates with their fact values (the rule editor's dry run lists them); `read_fact`:
    each fact's SQL (the backtest reads records as of a past moment)."""
    now = now or timezone.now()
    rules = list(rules if rules is not None else Rule.objects.filter(enabled=True))
    token = _active_lookups.set(_Lookups())
    try:
        return _evaluate(rules, now, dry_run, customer_ids, sample, read_fact)
    finally:
        _active_lookups.reset(token)


def _evaluate(rules, now, dry_run, customer_ids, sample, read_fact) -> Evaluation:
    for rule in rules:
        check_rule(rule)
    with transaction.atomic(), candidates() as chosen:
        if any(_reads_stored_facts(rule) for rule in rules):
            refresh_facts(now, customer_ids=customer_ids)
        results = _run(chosen, rules, now, customer_ids, read_fact=read_fact, sample=sample)
        passes = [results]
        # Further passes only where a flip can happen: the rules pulling a dimension two ways,
        # for the customers the last pass moved on such a dimension.
        torn = _torn_dimensions(rules)
        pulling = _rules_moving(rules, torn)
        with transaction.atomic():
            while pulling and len(passes) < MAX_PASSES:
                scope = _changed_scope(passes[-1], torn)
                if scope is None:
                    break
                passes.append(_run(chosen, pulling, now, customer_ids, scope, read_fact=read_fact))
            transaction.set_rollback(True)
        chosen.empty = False  # the rollback brought back whatever the first pass left
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


def rule_outlook(
    customer_id: int, now=None, *, facts: dict | None = None
) -> dict[int, list[RuleOutlook]]:
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
    values = facts_for(parsed, customer_id, now, extra=plain_facts() if facts is not None else ())
    if facts is not None:  # the page lists every plain fact: read in the same query
        facts.update({fact.name: values.get(fact.name) for fact in plain_facts()})
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
