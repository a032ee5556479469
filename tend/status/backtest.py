"""Trying a rule before it is switched on. The dry run: which customers it would change now,
how, and the facts that chose them (`dry_run`, a run rolled back). The backtest: had it been
on since a day, which customers would it have changed, and when. The rule runs through the
engine (`rules.evaluate`) once per step — every day, week or 30 days from that day, then
now — as of the step's moment, all in one transaction rolled back at the end: each step sees
what the steps before it changed, with the same checks (transitions, guards, approvals) as a
real run, and nothing of it stays.

    result = run_backtest(rule, start=datetime.date(2025, 1, 1), step_days=7)

As of a past moment, the facts whose records carry a date are read from the records dated
up to it (AS_OF: activities by when they happened, orders by their date, complaints by when
they were received). The others cannot be read as of the past — a ticket's or contract's
status, the profile, custom fields, the stored scores (RFM, health, P(alive)), and the
states, which start where the customers stand today (then move with the rule's own changes)
— so they are read as they stand today, and the result names them (`read_as_of_today`,
`guards_read_as_of_today`) instead of pretending.

Bounded work: at most MAX_STEPS steps, each about one run of the rule over every customer
(with a refresh of the stored facts when the rule reads them). The web runs a backtest on
the worker, its progress and result kept in the cache (`start_job`, `run_job`, `read_job`);
on SQLite other writes wait while it runs, as they do during any rule run."""

import datetime
import logging
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tend.activities.models import Activity
from tend.core.errors import ValidationFailed
from tend.core.sql import day_sql, days_between, moment_sql, quoted_table
from tend.orders.models import Order
from tend.service.models import Feedback, FeedbackKind
from tend.status import conditions
from tend.status.facts import COMPLAINT_DAYS, fact_label, fact_sql, signatures
from tend.status.models import Rule, State, StateCategory, Transition
from tend.status.rules import check_rule, evaluate

logger = logging.getLogger(__name__)

MAX_STEPS = 60
STEP_DAYS = (1, 7, 30)
LISTED = 500  # customers listed with the moment they would first have changed
JOB_SECONDS = 24 * 3600  # how long a backtest's result stays readable


# --- facts as of a past moment ------------------------------------------------------------------


def _activities(*, valid: bool = False, days: int | None = None) -> Callable:
    """Activities that happened up to the moment (valid ones; within `days` before it)."""

    def sql(arguments, vendor, at):
        upto, params = moment_sql(vendor, at)
        where = f"record.occurred_at <= {upto}"
        if valid:
            where += " AND record.valid_communication"
        if days is not None:
            since, since_params = moment_sql(vendor, at - datetime.timedelta(days=days))
            where += f" AND record.occurred_at >= {since}"
            params += since_params
        return (
            f"(SELECT COUNT(*) FROM {quoted_table(Activity)} AS record "
            "WHERE record.customer_id = customer.id AND record.deleted_at IS NULL "
            f"AND {where})",
            params,
        )

    return sql


def _days_since_last_contact(arguments, vendor, at):
    end, params = moment_sql(vendor, at)
    upto, upto_params = moment_sql(vendor, at)
    last = (
        f"(SELECT MAX(record.occurred_at) FROM {quoted_table(Activity)} AS record "
        "WHERE record.customer_id = customer.id AND record.deleted_at IS NULL "
        f"AND record.occurred_at <= {upto})"
    )
    return days_between(vendor, end, last), params + upto_params


def _orders_between(expression: str, newer_than: int, older_than: int = 0) -> Callable:
    """`expression` over the orders dated after `newer_than` days before the moment's day
    and up to `older_than` days before it."""

    def sql(arguments, vendor, at):
        day = timezone.localdate(at)
        after, params = day_sql(vendor, day - datetime.timedelta(days=newer_than))
        upto, upto_params = day_sql(vendor, day - datetime.timedelta(days=older_than))
        return (
            f"(SELECT {expression} FROM {quoted_table(Order)} AS record "
            "WHERE record.customer_id = customer.id AND record.deleted_at IS NULL "
            f"AND record.ordered_on > {after} AND record.ordered_on <= {upto})",
            params + upto_params,
        )

    return sql


REVENUE = "COALESCE(SUM(record.amount), 0)"


def _growth(recent: Callable, before: Callable) -> Callable:
    def sql(arguments, vendor, at):
        recent_sql, recent_params = recent(arguments, vendor, at)
        before_sql, before_params = before(arguments, vendor, at)
        return (
            f"(CAST({recent_sql} AS DOUBLE PRECISION) / NULLIF({before_sql}, 0) - 1)",
            recent_params + before_params,
        )

    return sql


def _days_since_last_order(arguments, vendor, at):
    end, params = moment_sql(vendor, at)
    upto, upto_params = day_sql(vendor, timezone.localdate(at))
    last = (
        f"(SELECT MAX(record.ordered_on) FROM {quoted_table(Order)} AS record "
        "WHERE record.customer_id = customer.id AND record.deleted_at IS NULL "
        f"AND record.ordered_on <= {upto})"
    )
    return days_between(vendor, end, last), params + upto_params


def _complaints(arguments, vendor, at):
    end, params = moment_sql(vendor, at)
    upto, upto_params = moment_sql(vendor, at)
    return (
        f"(SELECT COUNT(*) FROM {quoted_table(Feedback)} AS record "
        "WHERE record.customer_id = customer.id AND record.deleted_at IS NULL "
        f"AND record.kind = '{FeedbackKind.COMPLAINT}' AND record.received_at <= {upto} "
        f"AND {days_between(vendor, end, 'record.received_at')} <= {COMPLAINT_DAYS})",
        upto_params + params,
    )


_revenue_90d = _orders_between(REVENUE, 90)
_revenue_prev_90d = _orders_between(REVENUE, 180, 90)

# Facts read from dated records, as of the moment: the same values as the live facts when
# the moment is now (a test compares them), leaving out what is dated later.
AS_OF: dict[str, Callable] = {
    "valid_activities": _activities(valid=True),
    "activities_90d": _activities(days=90),
    "days_since_last_contact": _days_since_last_contact,
    "days_since_last_order": _days_since_last_order,
    "orders_365d": _orders_between("COUNT(*)", 365),
    "revenue_365d": _orders_between(REVENUE, 365),
    "revenue_90d": _revenue_90d,
    "revenue_prev_90d": _revenue_prev_90d,
    "revenue_growth": _growth(_revenue_90d, _revenue_prev_90d),
    "revenue_growth_before": _growth(_revenue_prev_90d, _orders_between(REVENUE, 270, 180)),
    "complaints_90d": _complaints,
}


def read_as_of(fact: conditions.Fact, vendor: str, at: datetime.datetime) -> tuple[str, list]:
    """A fact's SQL as of `at`: from the records dated up to it where it can be, else the
    live fact (as it stands today)."""
    as_of = AS_OF.get(fact.name)
    if as_of is None:
        return fact_sql(fact, vendor, at)
    return as_of(tuple(argument.value for argument in fact.arguments), vendor, at)


def _labels_read_as_of_today(condition: conditions.Condition) -> list[str]:
    return sorted({fact_label(fact) for fact in condition.facts() if fact.name not in AS_OF})


def facts_read_as_of_today(rule: Rule) -> tuple[list[str], list[str]]:
    """The facts of the rule's condition that a backtest reads as they stand today, and
    those of the guards of the moves it makes (guards always read the live facts)."""
    known = signatures()
    in_condition = _labels_read_as_of_today(conditions.parse(rule.condition, known))
    in_guards = set()
    for transition in _transitions(rule):
        try:
            guard = conditions.parse(transition.guard, known)
        except conditions.ConditionErrors:
            continue  # a guard the model no longer fits refuses the move; nothing is read
        in_guards |= {fact_label(fact) for fact in guard.facts()}
    return in_condition, sorted(in_guards)


def _transitions(rule: Rule):
    """The transitions with a guard into the states the rule's actions move customers to."""
    into = Q(pk__in=[])
    for action in rule.actions:
        if action.get("type") == "set_state":
            into |= Q(dimension__key=action.get("dimension"), to_state__key=action.get("state"))
        elif action.get("type") in ("lock", "unlock"):
            locked = State.objects.filter(category=StateCategory.LOCKED).values("dimension_id")
            into |= Q(dimension_id__in=locked)
    return Transition.objects.filter(into).exclude(guard="")


# --- now ---------------------------------------------------------------------------------------


@dataclass
class Listed:
    """A customer a dry run would touch: its fact values, what would happen (changed,
    waiting for approval, refused) and the moves, (dimension id, from state id, to state id)."""

    customer_id: int
    facts: dict
    outcome: str
    moves: list[tuple]


@dataclass
class DryRun:
    matched: int
    changed: int
    waiting: int
    refused: int
    refusals: dict  # message → moves refused
    listed: list[Listed]  # the first customers, changed ones first
    unstable: int  # customers the rule would flip back and forth


def dry_run(rule: Rule, *, now: datetime.datetime | None = None, listed: int = 50) -> DryRun:
    """Which customers the rule would change now, and how: a run rolled back."""
    evaluation = evaluate(rules=[rule], now=now, dry_run=True, sample=listed)
    result = evaluation.results[0]
    moves: dict[int, list] = {}
    for customer_id, dimension_id, from_id, to_id in result.changes:
        moves.setdefault(customer_id, []).append((dimension_id, from_id, to_id))
    return DryRun(
        result.matched,
        result.changed,
        result.waiting,
        result.refused,
        dict(result.refusals),
        [
            Listed(
                customer_id,
                facts,
                "changed" if changed else "waiting" if waiting else "refused" if refused else "",
                moves.get(customer_id, []),
            )
            for customer_id, facts, changed, waiting, refused in result.sample
        ],
        len(evaluation.unstable),
    )


# --- the steps ----------------------------------------------------------------------------------


def step_moments(
    start: datetime.date, step_days: int, now: datetime.datetime
) -> list[datetime.datetime]:
    """The end of every step's day from `start` (every `step_days` days) before today,
    then now; refused past MAX_STEPS."""
    if step_days not in STEP_DAYS:
        raise ValidationFailed(field_errors={"step_days": [_("Choose a step.")]})
    today = timezone.localdate(now)
    if start >= today:
        raise ValidationFailed(field_errors={"since": [_("Choose a day before today.")]})
    steps = (today - start).days // step_days + (1 if (today - start).days % step_days else 0)
    if steps + 1 > MAX_STEPS:
        raise ValidationFailed(
            field_errors={
                "since": [
                    _(
                        "A backtest has at most %(most)s steps; this one would have "
                        "%(steps)s. Choose a later day or longer steps."
                    )
                    % {"most": MAX_STEPS, "steps": steps + 1}
                ]
            }
        )
    zone = timezone.get_current_timezone()
    moments = [
        timezone.make_aware(
            datetime.datetime.combine(
                start + datetime.timedelta(days=step * step_days), datetime.time.max
            ),
            zone,
        )
        for step in range(steps)
    ]
    return [*moments, now]


@dataclass
class Step:
    at: datetime.datetime
    matched: int
    changed: int
    waiting: int
    refused: int


@dataclass
class FirstChange:
    """When a customer would first have been changed, how, and the facts that chose it."""

    customer_id: int
    at: datetime.datetime
    moves: list[tuple]  # (dimension id, from state id, to state id)
    facts: dict


@dataclass
class Backtest:
    start: datetime.date
    step_days: int
    steps: list[Step] = field(default_factory=list)
    first_changes: list[FirstChange] = field(default_factory=list)  # at most LISTED
    refusals: dict = field(default_factory=dict)  # message → moves refused, every step
    read_as_of_today: list[str] = field(default_factory=list)
    guards_read_as_of_today: list[str] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return sum(step.changed for step in self.steps)

    def as_data(self) -> dict:
        """The result as plain data (for the cache): datetimes as ISO text."""
        data = asdict(self)
        data["start"] = self.start.isoformat()
        for step in data["steps"]:
            step["at"] = step["at"].isoformat()
        for change in data["first_changes"]:
            change["at"] = change["at"].isoformat()
        return data

    @classmethod
    def from_data(cls, data: dict) -> "Backtest":
        return cls(
            start=datetime.date.fromisoformat(data["start"]),
            step_days=data["step_days"],
            steps=[
                Step(**{**step, "at": datetime.datetime.fromisoformat(step["at"])})
                for step in data["steps"]
            ],
            first_changes=[
                FirstChange(
                    customer_id=change["customer_id"],
                    at=datetime.datetime.fromisoformat(change["at"]),
                    moves=[tuple(move) for move in change["moves"]],
                    facts=change["facts"],
                )
                for change in data["first_changes"]
            ],
            refusals=data["refusals"],
            read_as_of_today=data["read_as_of_today"],
            guards_read_as_of_today=data["guards_read_as_of_today"],
        )


def run_backtest(
    rule: Rule,
    *,
    start: datetime.date,
    step_days: int,
    now: datetime.datetime | None = None,
    on_step: Callable[[int, int], None] | None = None,
) -> Backtest:
    """Run the rule as of every step's moment (see the module's text); nothing stays.
    `on_step(done, total)` is called after each step."""
    now = now or timezone.now()
    moments = step_moments(start, step_days, now)
    check_rule(rule)
    in_condition, in_guards = facts_read_as_of_today(rule)
    result = Backtest(start, step_days, [], [], {}, in_condition, in_guards)
    first: dict[int, FirstChange] = {}
    with transaction.atomic():
        for number, at in enumerate(moments, 1):
            outcome = evaluate(rules=[rule], now=at, sample=LISTED, read_fact=read_as_of).results[0]
            result.steps.append(
                Step(at, outcome.matched, outcome.changed, outcome.waiting, outcome.refused)
            )
            for message, count in outcome.refusals.items():
                result.refusals[message] = result.refusals.get(message, 0) + count
            moves: dict[int, list] = {}
            for customer_id, dimension_id, from_id, to_id in outcome.changes:
                moves.setdefault(customer_id, []).append((dimension_id, from_id, to_id))
            for customer_id, facts, changed, _waiting, _refused in outcome.sample:
                if changed and customer_id not in first and len(first) < LISTED:
                    first[customer_id] = FirstChange(
                        customer_id, at, moves.get(customer_id, []), facts
                    )
            if on_step is not None:
                on_step(number, len(moments))
        transaction.set_rollback(True)
    result.first_changes = sorted(first.values(), key=lambda c: (c.at, c.customer_id))
    return result


# --- on the worker ------------------------------------------------------------------------------

RULE_FIELDS = ("key", "label_zh", "label_en", "trigger", "condition", "actions", "priority")


def _job_key(token: str) -> str:
    return f"tend:status-backtest:{token}"


def start_job(*, actor, rule: Rule, start: datetime.date, step_days: int) -> str:
    """Check a backtest (the rule, the steps) and keep it in the cache for the worker;
    returns its token. The rule need not be saved: its fields travel with the job."""
    moments = step_moments(start, step_days, timezone.now())
    check_rule(rule)
    token = secrets.token_urlsafe(16)
    cache.set(
        _job_key(token),
        {
            "status": "queued",
            "rule": {name: getattr(rule, name) for name in RULE_FIELDS},
            "rule_id": rule.pk,
            "start": start.isoformat(),
            "step_days": step_days,
            "language": translation.get_language(),
            "by": actor.pk,
            "done": 0,
            "total": len(moments),
        },
        JOB_SECONDS,
    )
    return token


def read_job(token: str) -> dict | None:
    """The job's state: status (queued, running, done, failed), done and total steps, the
    rule's fields, and when done `result` (a Backtest)."""
    job = cache.get(_job_key(token))
    if job is None:
        return None
    if job.get("result") is not None:
        job = {**job, "result": Backtest.from_data(job["result"])}
    return job


def run_job(token: str) -> str:
    """Run a queued backtest, keeping its progress and result in the cache."""
    job = cache.get(_job_key(token))
    if job is None or job["status"] != "queued":
        return "missing"

    def keep(**values):
        job.update(values)
        cache.set(_job_key(token), job, JOB_SECONDS)

    keep(status="running")
    rule = Rule(**job["rule"])
    try:
        with translation.override(job["language"]):
            result = run_backtest(
                rule,
                start=datetime.date.fromisoformat(job["start"]),
                step_days=job["step_days"],
                on_step=lambda done, total: keep(done=done, total=total),
            )
    except Exception as error:
        logger.exception("backtest of rule %s failed", rule.key)
        keep(status="failed", error=str(error))
        return "failed"
    keep(status="done", result=result.as_data())
    return "done"
