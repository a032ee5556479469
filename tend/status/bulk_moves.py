"""change_state for a set of customers at once: the same move (a dimension, a target state)
for every customer of a set, checked by the same model — the actor's reach, people or rules,
declared transitions, reasons, checklists, guards, approvals — and written to the same history
in a few statements, whatever the number of customers. Rules run through it (a scheduled run
may move a hundred thousand customers), and so will bulk edit and imports of states.

    with candidates() as chosen:
        chosen.fill("SELECT customer.id, NULL FROM … WHERE …", params)
        outcome = move_candidates(chosen, actor=None, dimension=d, state=s, door=Door.RULE, …)

The candidates live in a temporary table (customer id, the facts that chose it, where each
stands); the checks mark refusals and waits in it, group by group of customers standing in
the same state (each group has one declared transition), and the writes are INSERT … SELECT
from it. The guard is the transition's condition compiled to SQL with the same three-valued
logic as for one customer (unknown refuses the move). A refusal is counted under its message;
a test compares every outcome with change_state run customer by customer."""

import datetime
import json
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from tend.accounts.models import User
from tend.core.inputs import clean_reason
from tend.core.sql import (
    empty_temporary_table,
    execute,
    fetch,
    moment,
    moment_parameter,
    quoted_table,
    seconds_between,
)
from tend.customers.models import Customer
from tend.customers.selectors import customer_scope
from tend.status import conditions
from tend.status.actions import (
    REASON_MAX_LENGTH,
    MoveRefused,
    find_transition,
    has_role,
    set_by_problem,
)
from tend.status.cadence import paces_follow_ups, refresh_follow_up_due
from tend.status.events import customers_event
from tend.status.facts import FACTS, fact_label, fact_sql, signatures
from tend.status.models import (
    ChecklistStep,
    ChecklistTick,
    CustomerState,
    Dimension,
    Door,
    RequestStatus,
    RuleTrigger,
    State,
    StateChange,
    TransitionRequest,
)

TABLE = "tend_status_candidate"

# Where a candidate stands during one move: not yet decided, to be written, or done.
PENDING, MOVING = "pending", "moving"
CHANGED, WAITING, UNCHANGED, REFUSED = "changed", "waiting", "unchanged", "refused"


class Candidates:
    """The customers a move is for, in a temporary table of this connection. `refused`
    sticks across moves (a rule's later actions skip a customer an earlier one could not
    move); `changed` and `waiting` say whether any move so far changed the customer or
    left a request."""

    def __init__(self):
        self.empty = False  # known to hold no rows: clearing it needs no statement

    def fill(self, select_sql: str, params=()) -> int:
        """Add the customers `select_sql` returns as (id, facts JSON or NULL)."""
        added = execute(f"INSERT INTO {TABLE} (customer_id, facts) {select_sql}", params)
        self.empty = self.empty and not added
        if connection.vendor == "postgresql" and added > 1000:
            execute(f"ANALYZE {TABLE}")  # the planner knows nothing of a new temp table
        return added

    def fill_ids(self, customer_ids: list[int]) -> int:
        customers = quoted_table(Customer)
        placeholders = ", ".join("%s" for _ in customer_ids) or "NULL"
        return self.fill(
            f"SELECT id, NULL FROM {customers} WHERE deleted_at IS NULL AND id IN ({placeholders})",
            customer_ids,
        )

    def mark_changed(self) -> None:
        """Every candidate not refused was changed (an action that moves no state acted)."""
        execute(f"UPDATE {TABLE} SET changed = TRUE WHERE NOT refused")

    def refusals(self) -> dict[int, str]:
        """{customer id: why its move was refused}."""
        return dict(fetch(f"SELECT customer_id, message FROM {TABLE} WHERE refused"))

    def outcomes(self) -> dict[int, str]:
        """{customer id: changed, waiting, unchanged or refused} of the last move."""
        return dict(fetch(f"SELECT customer_id, outcome FROM {TABLE}"))

    def clear(self) -> None:
        if not self.empty:
            execute(f"DELETE FROM {TABLE}")
            self.empty = True

    def count(self, where: str = "1 = 1") -> int:
        return fetch(f"SELECT COUNT(*) FROM {TABLE} WHERE {where}")[0][0]

    def ids(self, where: str = "1 = 1") -> list[int]:
        return [row[0] for row in fetch(f"SELECT customer_id FROM {TABLE} WHERE {where}")]

    def sample(self, limit: int) -> list[tuple]:
        """The first `limit` candidates, changed ones first, then by id: (customer id,
        {fact: value}, changed, waiting, refused)."""
        rows = fetch(
            f"SELECT customer_id, facts, changed, waiting, refused FROM {TABLE} "
            "ORDER BY changed DESC, customer_id LIMIT %s",
            [limit],
        )
        return [
            (id_, json.loads(facts) if isinstance(facts, str) else facts or {}, *map(bool, flags))
            for id_, facts, *flags in rows
        ]


@contextmanager
def candidates():
    """An empty candidates table for the current transaction (PostgreSQL drops it at commit;
    SQLite keeps one per connection, emptied here)."""
    json_type = "JSONB" if connection.vendor == "postgresql" else "TEXT"
    empty_temporary_table(
        TABLE,
        "customer_id BIGINT PRIMARY KEY, "
        f"facts {json_type}, "
        # The facts the current move's guard read: kept with this move only.
        f"guard_facts {json_type}, "
        f"outcome VARCHAR(10) NOT NULL DEFAULT '{PENDING}', "
        "transition_id BIGINT, "
        "changed BOOLEAN NOT NULL DEFAULT FALSE, "
        "waiting BOOLEAN NOT NULL DEFAULT FALSE, "
        "refused BOOLEAN NOT NULL DEFAULT FALSE, "
        "message VARCHAR(1000)",
    )
    chosen = Candidates()
    chosen.empty = True
    try:
        yield chosen
    finally:
        if connection.connection is not None and not connection.needs_rollback:
            chosen.clear()


# --- facts as JSON, the same values change_state keeps ------------------------------------------


def _json_number(vendor: str, sql: str) -> str:
    """A number as change_state keeps it: to 4 places."""
    if vendor == "postgresql":
        return f"round(CAST({sql} AS NUMERIC), 4)"
    return f"ROUND({sql}, 4)"


def facts_json_sql(
    condition: conditions.Condition, now: datetime.datetime, read_fact=fact_sql
) -> tuple[str, list]:
    """One JSON object of the facts the condition reads, for the row `customer`:
    {"name(arguments)": value}, the keys and values fact_values gives for one customer
    (`read_fact`: each fact's SQL, the live one by default)."""
    vendor = connection.vendor
    seen, parts, params = set(), [], []
    for fact in condition.facts():
        label = fact_label(fact)
        if label in seen:
            continue
        seen.add(label)
        sql, fact_params = read_fact(fact, vendor, now)
        if FACTS[fact.name].type == conditions.Type.NUMBER:
            sql = _json_number(vendor, sql)
        elif FACTS[fact.name].type == conditions.Type.BOOLEAN and vendor != "postgresql":
            sql = f"(CASE {sql} WHEN 1 THEN json('true') WHEN 0 THEN json('false') END)"
        parts += ["%s", sql]
        params += [label, *fact_params]
    function = "jsonb_build_object" if vendor == "postgresql" else "json_object"
    return f"{function}({', '.join(parts)})", params


def _merge_json(vendor: str, left: str, right: str) -> str:
    """The JSON object `left` with `right`'s entries added or replacing (nulls kept: an
    unknown fact is kept as unknown, as change_state keeps it)."""
    if vendor == "postgresql":
        return f"(COALESCE({left}, '{{}}'::jsonb) || {right})"
    # SQLite's json_patch drops null members (RFC 7396), so the entries are merged by hand;
    # true and false are rebuilt outside the subquery, which would lose their JSON type.
    value = "CASE type WHEN 'true' THEN json('true') WHEN 'false' THEN json('false') ELSE atom END"
    return (
        f"(SELECT json_group_object(key, {value}) FROM ("
        f"SELECT key, type, atom FROM json_each(COALESCE({left}, '{{}}')) "
        f"WHERE key NOT IN (SELECT key FROM json_each({right})) "
        f"UNION ALL SELECT key, type, atom FROM json_each({right})))"
    )


# --- one move for every candidate ----------------------------------------------------------------


@dataclass
class BulkOutcome:
    changed: int = 0
    waiting: int = 0
    unchanged: int = 0
    refused: Counter = field(default_factory=Counter)  # message → customers
    # (customer id, dimension id, from state id, to state id) of each change, when asked for
    changes: list[tuple] = field(default_factory=list)
    # With each_customer: {customer id: outcome} and {customer id: refusal message}
    by_customer: dict[int, str] = field(default_factory=dict)
    reasons: dict[int, str] = field(default_factory=dict)

    @property
    def refused_count(self) -> int:
        return sum(self.refused.values())


def _refuse(outcome: BulkOutcome, where: str, params: list, message: str) -> None:
    count = execute(
        f"UPDATE {TABLE} SET outcome = '{REFUSED}', refused = TRUE, message = %s "
        f"WHERE outcome = '{PENDING}' AND {where}",
        [message[:1000], *params],
    )
    if count:
        outcome.refused[message] += count


def _holding(state: State) -> str:
    return (
        f"EXISTS (SELECT 1 FROM {quoted_table(CustomerState)} AS held "
        f"WHERE held.customer_id = {TABLE}.customer_id AND held.state_id = {int(state.pk)})"
    )


def move_candidates(
    chosen: Candidates,
    *,
    actor: User | None,
    dimension: Dimension,
    state: State,
    door: str,
    reason: str = "",
    remove: bool = False,
    rule_key: str = "",
    now: datetime.datetime,
    collect_changes: bool = False,
) -> BulkOutcome:
    """Move every candidate not yet refused to `state` (or take it away, with `remove`),
    as change_state would move each of them. Returns the counts, and refusals by message."""
    reason = clean_reason(reason, REASON_MAX_LENGTH)
    if state.dimension_id != dimension.pk:
        raise MoveRefused(
            [
                _("“%(state)s” is not a state of %(dimension)s.")
                % {"state": state.label, "dimension": dimension}
            ]
        )
    execute(
        f"UPDATE {TABLE} SET outcome = '{PENDING}', transition_id = NULL, guard_facts = NULL "
        "WHERE NOT refused"
    )
    outcome = BulkOutcome()
    before = _last_change_id()
    if actor is not None and not actor.is_admin:
        visible, params = (
            Customer.objects.filter(customer_scope(actor)).values("id").query.sql_with_params()
        )
        _refuse(
            outcome,
            f"customer_id NOT IN ({visible})",
            list(params),
            _("You cannot change this customer."),
        )
    if remove:
        _remove(chosen, outcome, actor, dimension, state, door, reason, rule_key, now)
    else:
        _set(chosen, outcome, actor, dimension, state, door, reason, rule_key, now)
    outcome.unchanged = chosen.count(f"outcome = '{UNCHANGED}'")
    if outcome.changed and door != Door.RULE and not remove:  # as change_state does
        customers_event(chosen.ids(f"outcome = '{CHANGED}'"), RuleTrigger.STATE_ENTERED)
    if collect_changes and outcome.changed:
        outcome.changes = _changes_written(dimension, before)
    return outcome


def _remove(chosen, outcome, actor, dimension, state, door, reason, rule_key, now):
    if dimension.exclusive:
        _refuse(outcome, "1 = 1", [], _("A state of this dimension is replaced, not removed."))
        return
    execute(
        f"UPDATE {TABLE} SET outcome = '{UNCHANGED}' "
        f"WHERE outcome = '{PENDING}' AND NOT {_holding(state)}"
    )
    execute(f"UPDATE {TABLE} SET outcome = '{MOVING}' WHERE outcome = '{PENDING}'")
    outcome.changed = _write(
        dimension,
        None,
        from_state=state,
        actor=actor,
        door=door,
        reason=reason,
        rule_key=rule_key,
        now=now,
    )


def _set(chosen, outcome, actor, dimension, state, door, reason, rule_key, now):
    execute(
        f"UPDATE {TABLE} SET outcome = '{UNCHANGED}' "
        f"WHERE outcome = '{PENDING}' AND {_holding(state)}"
    )
    problem = set_by_problem(dimension, bool(rule_key))
    if problem:
        _refuse(outcome, "1 = 1", [], problem)
        return
    # One group per state the candidates stand in (tag-like dimensions: one group, from none),
    # each with its own declared transition.
    states = {row.pk: row for row in State.objects.filter(dimension=dimension)}
    standing = (
        f"(SELECT current.state_id FROM {quoted_table(CustomerState)} AS current "
        f"WHERE current.customer_id = {TABLE}.customer_id "
        f"AND current.dimension_id = {int(dimension.pk)})"
    )
    if dimension.exclusive:
        pending = f"SELECT DISTINCT {standing} FROM {TABLE} WHERE outcome = '{PENDING}'"
        groups = {
            current_id: f"{standing} = {int(current_id)}"
            if current_id is not None
            else f"{standing} IS NULL"
            for (current_id,) in fetch(pending)
        }
    else:
        groups = {None: "1 = 1"} if chosen.count(f"outcome = '{PENDING}'") else {}
    for current_id, in_group in groups.items():
        current = states.get(current_id)
        transition = find_transition(dimension, current, state)
        if transition is None:
            _refuse(
                outcome,
                in_group,
                [],
                _("%(dimension)s cannot move from “%(current)s” to “%(target)s”.")
                % {
                    "dimension": dimension,
                    "current": current.label if current else _("no state"),
                    "target": state.label,
                },
            )
            continue
        _check_transition(outcome, transition, in_group, reason, now)
        approval_role = transition.approval_role
        if approval_role and not has_role(actor, approval_role):
            _request(outcome, transition, in_group, actor, door, reason, now)
        else:
            execute(
                f"UPDATE {TABLE} SET outcome = '{MOVING}', transition_id = %s "
                f"WHERE outcome = '{PENDING}' AND {in_group}",
                [transition.pk],
            )
    outcome.changed = _write(
        dimension,
        state,
        from_state=None,
        actor=actor,
        door=door,
        reason=reason,
        rule_key=rule_key,
        now=now,
    )


def _check_transition(outcome, transition, in_group, reason, now) -> None:
    """Refuse, in the group, what change_state would refuse for the transition: the reason,
    the checklist, the guard (whose facts are kept with the change)."""
    if transition.reason_required and not reason:
        _refuse(outcome, in_group, [], _("Give a reason for this move."))
    steps = list(ChecklistStep.objects.filter(transition=transition))
    if steps:
        ticks = quoted_table(ChecklistTick)
        step_table = quoted_table(ChecklistStep)
        _refuse(
            outcome,
            f"{in_group} AND EXISTS (SELECT 1 FROM {step_table} AS step WHERE step.transition_id = %s "
            f"AND NOT EXISTS (SELECT 1 FROM {ticks} AS tick WHERE tick.step_id = step.id "
            f"AND tick.customer_id = {TABLE}.customer_id))",
            [transition.pk],
            _("Tick these steps first: %(steps)s.") % {"steps": "; ".join(s.label for s in steps)},
        )
    if not transition.guard.strip():
        return
    condition = conditions.parse(transition.guard, signatures())
    vendor = connection.vendor
    holds, holds_params = conditions.to_sql(condition, lambda fact: fact_sql(fact, vendor, now))
    customer_row = f"SELECT 1 FROM {quoted_table(Customer)} AS customer WHERE customer.id = {TABLE}.customer_id"
    _refuse(
        outcome,
        f"{in_group} AND NOT EXISTS ({customer_row} AND ({holds}) IS TRUE)",
        holds_params,
        _("The condition “%(condition)s” does not hold.") % {"condition": transition.guard.strip()},
    )
    facts, facts_params = facts_json_sql(condition, now)
    execute(
        f"UPDATE {TABLE} SET guard_facts = "
        f"(SELECT {facts} FROM {quoted_table(Customer)} AS customer WHERE customer.id = {TABLE}.customer_id) "
        f"WHERE outcome = '{PENDING}' AND {in_group}",
        facts_params,
    )


def _request(outcome, transition, in_group, actor, door, reason, now) -> None:
    """The group's moves wait for approval, one request each, unless one already waits."""
    requests = quoted_table(TransitionRequest)
    waiting = (
        f"EXISTS (SELECT 1 FROM {requests} AS request WHERE request.customer_id = {TABLE}.customer_id "
        f"AND request.dimension_id = %s AND request.status = '{RequestStatus.PENDING}')"
    )
    _refuse(
        outcome,
        f"{in_group} AND {waiting}",
        [transition.dimension_id],
        _("A move of %(dimension)s is already waiting for approval.")
        % {"dimension": transition.dimension},
    )
    vendor = connection.vendor
    execute(
        f"INSERT INTO {requests} (customer_id, transition_id, dimension_id, to_state_id, reason, "
        "door, requested_by_id, requested_at, status, comment) "
        f"SELECT customer_id, %s, %s, %s, %s, %s, %s, {moment_parameter(vendor)}, "
        f"'{RequestStatus.PENDING}', '' FROM {TABLE} WHERE outcome = '{PENDING}' AND {in_group}",
        [
            transition.pk,
            transition.dimension_id,
            transition.to_state_id,
            reason,
            door,
            actor.pk if actor else None,
            moment(now),
        ],
    )
    count = execute(
        f"UPDATE {TABLE} SET outcome = '{WAITING}', waiting = TRUE "
        f"WHERE outcome = '{PENDING}' AND {in_group}"
    )
    outcome.waiting += count


def _write(dimension, target, *, from_state, actor, door, reason, rule_key, now) -> int:
    """Write the moving candidates' changes: history rows, then current states (left ones
    deleted, new ones pointing at their history row), then the ticks the moves used up."""
    vendor = connection.vendor
    changes, current = quoted_table(StateChange), quoted_table(CustomerState)
    moving = f"SELECT customer_id FROM {TABLE} WHERE outcome = '{MOVING}'"
    if not fetch(f"{moving} LIMIT 1"):
        return 0
    at = moment_parameter(vendor)
    # The state left: the exclusive dimension's current one, or the one removed.
    if from_state is not None:
        leaving = f"LEFT JOIN {current} AS leaving ON leaving.customer_id = {TABLE}.customer_id AND leaving.state_id = {int(from_state.pk)}"
    elif dimension.exclusive:
        leaving = f"LEFT JOIN {current} AS leaving ON leaving.customer_id = {TABLE}.customer_id AND leaving.dimension_id = {int(dimension.pk)}"
    else:
        # Nothing is left (a tag-like state added): no join at all (SQLite would scan the
        # current states for every candidate to find that "ON 1 = 0" holds nowhere).
        since_type = "TIMESTAMP WITH TIME ZONE" if vendor == "postgresql" else "TEXT"
        leaving = (
            "LEFT JOIN (SELECT CAST(NULL AS BIGINT) AS state_id, "
            f"CAST(NULL AS {since_type}) AS since) AS leaving ON 1 = 1"
        )
    seconds = f"ROUND({seconds_between(vendor, at, 'leaving.since')})"
    empty = "'{}'::jsonb" if vendor == "postgresql" else "'{}'"
    before = _last_change_id()
    written = execute(
        f"INSERT INTO {changes} (customer_id, dimension_id, from_state_id, to_state_id, at, "
        "actor_id, rule_key, door, reason, facts, seconds_in_previous) "
        f"SELECT {TABLE}.customer_id, %s, leaving.state_id, %s, {at}, %s, %s, %s, %s, "
        # The guard's facts merged in only where a guard read some (most moves have none).
        f"CASE WHEN {TABLE}.guard_facts IS NULL THEN COALESCE({TABLE}.facts, {empty}) "
        f"ELSE {_merge_json(vendor, f'{TABLE}.facts', f'{TABLE}.guard_facts')} END, "
        f"CASE WHEN leaving.since IS NULL THEN NULL WHEN {seconds} < 0 THEN 0 "
        f"ELSE CAST({seconds} AS BIGINT) END "
        f"FROM {TABLE} {leaving} WHERE {TABLE}.outcome = '{MOVING}'",
        [
            dimension.pk,
            target.pk if target else None,
            moment(now),
            actor.pk if actor else None,
            rule_key,
            door,
            reason,
            moment(now),
            moment(now),
        ],
    )
    if from_state is not None:
        execute(
            f"DELETE FROM {current} WHERE state_id = %s AND customer_id IN ({moving})",
            [from_state.pk],
        )
    elif dimension.exclusive:
        execute(
            f"DELETE FROM {current} WHERE dimension_id = %s AND customer_id IN ({moving})",
            [dimension.pk],
        )
    if target is not None:
        execute(
            f"INSERT INTO {current} (customer_id, dimension_id, state_id, since, change_id) "
            f"SELECT change.customer_id, change.dimension_id, change.to_state_id, change.at, change.id "
            f"FROM {changes} AS change WHERE change.id > %s AND change.dimension_id = %s "
            f"AND change.to_state_id = %s AND change.customer_id IN ({moving})",
            [before, dimension.pk, target.pk],
        )
        # The ticks allowed these moves; the next time the transition needs them again.
        execute(
            f"DELETE FROM {quoted_table(ChecklistTick)} WHERE EXISTS (SELECT 1 FROM {TABLE} "
            f"JOIN {quoted_table(ChecklistStep)} AS step ON step.transition_id = {TABLE}.transition_id "
            f"WHERE {TABLE}.outcome = '{MOVING}' AND {TABLE}.customer_id = {quoted_table(ChecklistTick)}.customer_id "
            f"AND step.id = {quoted_table(ChecklistTick)}.step_id)"
        )
    if paces_follow_ups({dimension.pk}):
        # The follow-up due date follows the grade (S7), for every customer moved at once.
        refresh_follow_up_due(Customer.objects.filter(id__in=RawSQL(moving, [])))
    execute(f"UPDATE {TABLE} SET outcome = '{CHANGED}', changed = TRUE WHERE outcome = '{MOVING}'")
    return written


def _last_change_id() -> int:
    return fetch(f"SELECT COALESCE(MAX(id), 0) FROM {quoted_table(StateChange)}")[0][0]


def _changes_written(dimension, after: int) -> list[tuple]:
    return fetch(
        f"SELECT customer_id, dimension_id, from_state_id, to_state_id FROM {quoted_table(StateChange)} "
        f"WHERE id > %s AND dimension_id = %s AND customer_id IN "
        f"(SELECT customer_id FROM {TABLE} WHERE outcome = '{CHANGED}') ORDER BY id",
        [after, dimension.pk],
    )


def change_states_of(
    customers,
    *,
    actor: User | None,
    dimension: Dimension,
    state: State,
    door: str,
    reason: str = "",
    remove: bool = False,
    now: datetime.datetime | None = None,
    each_customer: bool = False,
) -> BulkOutcome:
    """Move every customer of the queryset `customers` (bulk edit, an import of states), in
    one transaction, as change_state would move each; the counts and refusals by message."""
    from django.db import transaction
    from django.utils import timezone

    sql, params = customers.values("id").query.sql_with_params()
    with transaction.atomic(), candidates() as chosen:
        chosen.fill(f"SELECT id, NULL FROM ({sql}) AS chosen", params)
        outcome = move_candidates(
            chosen,
            actor=actor,
            dimension=dimension,
            state=state,
            door=door,
            reason=reason,
            remove=remove,
            now=now or timezone.now(),
        )
        if each_customer:
            outcome.by_customer = chosen.outcomes()
            outcome.reasons = chosen.refusals()
        return outcome
