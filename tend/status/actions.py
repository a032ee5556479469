"""Changing a customer's status: the one entry point every door calls (the web form, the board,
bulk edit, import, API, CLI and rules), so the same transitions, guards, checklists and
approvals hold everywhere and every change lands in the same history.

    outcome = change_state(actor=user, customer=c, dimension=lifecycle, state=prospect,
                           door=Door.WEB, reason="…")

A move the model does not allow, or whose guard, checklist or reason is missing, is refused
with a `MoveRefused` naming what failed, in the user's language. A move that needs approval
waits as a pending `TransitionRequest` (outcome.request) until approved or rejected."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tend.accounts.models import Role, User
from tend.core.errors import PermissionDenied, ValidationFailed
from tend.core.inputs import clean_reason
from tend.customers.models import Customer
from tend.customers.selectors import customer_scope
from tend.status import cadence, conditions
from tend.status.events import customer_event
from tend.status.facts import fact_label, fact_values, signatures
from tend.status.models import (
    ChecklistStep,
    ChecklistTick,
    CustomerState,
    Dimension,
    Door,
    RequestStatus,
    RuleTrigger,
    SetBy,
    State,
    StateChange,
    Transition,
    TransitionRequest,
)

REASON_MAX_LENGTH = 500


class MoveRefused(ValidationFailed):
    """A move the status model does not allow now; `problems` lists every reason."""

    code = "move_refused"

    def __init__(self, problems: list[str], *, field: str = "state"):
        self.problems = problems
        super().__init__(" ".join(problems), field_errors={field: problems})


@dataclass
class Outcome:
    change: StateChange | None = None  # the move made
    request: TransitionRequest | None = None  # the move waiting for approval
    facts: dict = field(default_factory=dict)

    @property
    def unchanged(self) -> bool:
        return self.change is None and self.request is None

    @property
    def kind(self) -> str:
        """ "waiting" (for approval), "changed" or "unchanged"."""
        if self.request is not None and self.change is None:
            return "waiting"
        return "unchanged" if self.unchanged else "changed"


def _may_act_on(actor: User | None, customer: Customer) -> bool:
    if actor is None:
        return True
    return Customer.objects.filter(customer_scope(actor), pk=customer.pk).exists()


def has_role(actor: User | None, role: str) -> bool:
    return actor is not None and (actor.is_admin or actor.role == role)


def set_by_problem(dimension: Dimension, by_rule: bool) -> str:
    """Why the dimension refuses a change by a rule (or a person), or ""."""
    if by_rule and dimension.set_by == SetBy.USERS:
        return _("%(dimension)s is set by people only.") % {"dimension": dimension}
    if not by_rule and dimension.set_by == SetBy.RULES:
        return _("%(dimension)s is set by rules only.") % {"dimension": dimension}
    return ""


def find_transition(dimension: Dimension, current: State | None, target: State):
    """The declared move from `current` to `target`: one from exactly that state wins over
    one from any state."""
    sources = Q(from_state__isnull=True)
    if current is not None:
        sources |= Q(from_state=current)
    candidates = Transition.objects.filter(dimension=dimension, to_state=target).filter(sources)
    return min(
        candidates.select_related("from_state", "to_state"),
        key=lambda candidate: candidate.from_state_id is None,
        default=None,
    )


def check_guard(transition: Transition, customer: Customer, now) -> tuple[bool, dict]:
    """Whether the transition's condition holds for the customer now, with the facts read."""
    if not transition.guard.strip():
        return True, {}
    condition = conditions.parse(transition.guard, signatures())
    values = fact_values(condition, customer.pk, now)
    holds = conditions.evaluate(condition, lambda fact: values.get(fact_label(fact)))
    return holds, {name: _json_value(value) for name, value in values.items()}


def _json_value(value):
    """A fact value as the history keeps it (the set-based path writes the same in SQL):
    fractions to 4 places."""
    if isinstance(value, float | Decimal):
        return round(float(value), 4)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return value


def _problems(
    *, actor, customer, dimension, transition, current, target, reason, rule_key, now
) -> tuple[list[str], dict]:
    """Everything that stops the move, in the order a person would fix it, and the facts."""
    problems = []
    if problem := set_by_problem(dimension, bool(rule_key)):
        problems.append(problem)
    if transition is None:
        problems.append(
            _("%(dimension)s cannot move from “%(current)s” to “%(target)s”.")
            % {
                "dimension": dimension,
                "current": current.label if current else _("no state"),
                "target": target.label,
            }
        )
        return problems, {}
    if transition.reason_required and not reason:
        problems.append(_("Give a reason for this move."))
    missing = [
        step.label
        for step in ChecklistStep.objects.filter(transition=transition).exclude(
            ticks__customer=customer
        )
    ]
    if missing:
        problems.append(_("Tick these steps first: %(steps)s.") % {"steps": "; ".join(missing)})
    holds, facts = check_guard(transition, customer, now)
    if not holds:
        values = ", ".join(f"{name} = {_shown(value)}" for name, value in facts.items())
        problems.append(
            _("The condition “%(condition)s” does not hold (%(values)s).")
            % {"condition": transition.guard.strip(), "values": values}
        )
    return problems, facts


def _shown(value) -> str:
    return _("unknown") if value is None else str(value)


@dataclass
class _Move:
    """A move that passed every check, ready to be written or to wait for approval."""

    customer: Customer
    dimension: Dimension
    transition: Transition
    leaving: CustomerState | None
    target: State
    facts: dict


def _standing(customer: Customer, dimension: Dimension) -> list[CustomerState]:
    return list(
        CustomerState.objects.filter(customer=customer, dimension=dimension).select_related("state")
    )


def _checked_move(*, actor, customer, dimension, target, reason, rule_key, now) -> _Move:
    """The move of a customer (locked by the caller) to `target`, checked as things stand
    now; MoveRefused listing every problem otherwise."""
    held = _standing(customer, dimension)
    leaving = held[0] if dimension.exclusive and held else None
    current = leaving.state if leaving else None
    transition = find_transition(dimension, current, target)
    problems, facts = _problems(
        actor=actor,
        customer=customer,
        dimension=dimension,
        transition=transition,
        current=current,
        target=target,
        reason=reason,
        rule_key=rule_key,
        now=now,
    )
    if problems:
        raise MoveRefused(problems)
    return _Move(customer, dimension, transition, leaving, target, facts)


def _write(move: _Move, *, actor, door, reason, rule_key, now, facts=None) -> StateChange:
    change = _apply(
        actor=actor,
        customer=move.customer,
        dimension=move.dimension,
        leaving=move.leaving,
        target=move.target,
        door=door,
        reason=reason,
        rule_key=rule_key,
        facts=facts if facts is not None else move.facts,
        now=now,
    )
    # The ticks allowed this move; the next time the transition needs them ticked again.
    ChecklistTick.objects.filter(customer=move.customer, step__transition=move.transition).delete()
    return change


@transaction.atomic
def change_state(
    *,
    actor: User | None,
    customer: Customer,
    dimension: Dimension,
    state: State,
    door: str,
    reason: str = "",
    remove: bool = False,
    rule_key: str = "",
    facts: dict | None = None,
    at: datetime.datetime | None = None,
) -> Outcome:
    """Move the customer to `state` on `dimension` (or, with `remove`, take a state of a
    several-at-once dimension away). `actor` is the person, or None for a rule (`rule_key`,
    with the `facts` that made it fire, kept in the history).
    Checked: the actor may change the customer; the dimension accepts people or rules; the
    move is declared; its reason, checklist and condition; its approval."""
    reason = clean_reason(reason, REASON_MAX_LENGTH)
    facts = {name: _json_value(value) for name, value in (facts or {}).items()}
    if state.dimension_id != dimension.pk:
        raise MoveRefused(
            [
                _("“%(state)s” is not a state of %(dimension)s.")
                % {"state": state.label, "dimension": dimension}
            ]
        )
    if not _may_act_on(actor, customer):
        raise PermissionDenied(_("You cannot change this customer."))
    now = at or timezone.now()
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    held = {row.state_id: row for row in _standing(customer, dimension)}
    if remove:
        if dimension.exclusive:
            raise MoveRefused([_("A state of this dimension is replaced, not removed.")])
        if state.pk not in held:
            return Outcome()
        change = _apply(
            actor=actor,
            customer=customer,
            dimension=dimension,
            leaving=held[state.pk],
            target=None,
            door=door,
            reason=reason,
            rule_key=rule_key,
            facts=facts,
            now=now,
        )
        return Outcome(change=change)
    if state.pk in held:
        return Outcome()
    move = _checked_move(
        actor=actor,
        customer=customer,
        dimension=dimension,
        target=state,
        reason=reason,
        rule_key=rule_key,
        now=now,
    )
    approval_role = move.transition.approval_role
    if approval_role and not has_role(actor, approval_role):
        return Outcome(
            request=_request(move, actor=actor, door=door, reason=reason, now=now),
            facts=move.facts,
        )
    change = _write(
        move,
        actor=actor,
        door=door,
        reason=reason,
        rule_key=rule_key,
        now=now,
        facts={**facts, **move.facts},
    )
    return Outcome(change=change, facts=move.facts)


def _request(move: _Move, *, actor, door, reason, now) -> TransitionRequest:
    waiting = TransitionRequest.objects.filter(
        customer=move.customer, dimension=move.dimension, status=RequestStatus.PENDING
    ).first()
    if waiting is not None:
        raise MoveRefused(
            [
                _("A move of %(dimension)s to “%(state)s” is already waiting for approval.")
                % {"dimension": move.dimension, "state": waiting.to_state.label}
            ]
        )
    return TransitionRequest.objects.create(
        customer=move.customer,
        transition=move.transition,
        dimension=move.dimension,
        to_state=move.target,
        reason=reason,
        door=door,
        requested_by=actor,
        requested_at=now,
    )


def _apply(*, actor, customer, dimension, leaving, target, door, reason, rule_key, facts, now):
    """Write the move: the history row, then the current state (the only writer of both)."""
    seconds = None
    if leaving is not None:
        seconds = max(0, round((now - leaving.since).total_seconds()))
    change = StateChange.objects.create(
        customer=customer,
        dimension=dimension,
        from_state_id=leaving.state_id if leaving else None,
        to_state=target,
        at=now,
        actor=actor,
        rule_key=rule_key,
        door=door,
        reason=reason,
        facts=facts,
        seconds_in_previous=seconds,
    )
    if leaving is not None:
        leaving.delete()
    if target is not None:
        CustomerState.objects.create(
            customer=customer, dimension=dimension, state=target, since=now, change=change
        )
        if door != Door.RULE:  # rules' changes raise no events (tend.status.events)
            customer_event(customer.pk, RuleTrigger.STATE_ENTERED)
    # The follow-up due date follows the grade (S7).
    cadence.after_state_change(customer.pk, leaving.state if leaving else None, target)
    return change


# --- approvals -------------------------------------------------------------------------------


def _pending(request: TransitionRequest) -> TransitionRequest:
    request = TransitionRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != RequestStatus.PENDING:
        raise ValidationFailed(_("This request has already been decided."))
    return request


def _may_decide(actor: User, request: TransitionRequest) -> None:
    if not has_role(actor, request.transition.approval_role):
        raise PermissionDenied(
            _("Only a %(role)s may decide this move.")
            % {"role": Role(request.transition.approval_role).label}
        )
    if not _may_act_on(actor, request.customer):
        raise PermissionDenied(_("You cannot change this customer."))


@transaction.atomic
def approve_request(*, actor: User, request: TransitionRequest, comment: str = "", at=None):
    """Make the waiting move, checked again as it stands now (the customer may have moved, a
    guard may no longer hold): a refusal leaves the request pending."""
    request = _pending(request)
    _may_decide(actor, request)
    now = at or timezone.now()
    move = _checked_move(
        actor=request.requested_by,
        customer=Customer.objects.select_for_update().get(pk=request.customer_id),
        dimension=request.dimension,
        target=request.to_state,
        reason=request.reason,
        rule_key="",
        now=now,
    )
    change = _write(
        move,
        actor=request.requested_by,
        door=request.door,
        reason=request.reason,
        rule_key="",
        now=now,
        facts={**move.facts, "approved_by": actor.display_name},
    )
    request.status = RequestStatus.APPROVED
    request.decided_by, request.decided_at = actor, now
    request.comment = (comment or "").strip()[:REASON_MAX_LENGTH]
    request.change = change
    request.save()
    return Outcome(change=change, request=request, facts=move.facts)


@transaction.atomic
def reject_request(*, actor: User, request: TransitionRequest, comment: str, at=None):
    comment = (comment or "").strip()
    if not comment:
        raise ValidationFailed(field_errors={"comment": [_("Say why the move is rejected.")]})
    request = _pending(request)
    _may_decide(actor, request)
    request.status = RequestStatus.REJECTED
    request.decided_by, request.decided_at = actor, at or timezone.now()
    request.comment = comment[:REASON_MAX_LENGTH]
    request.save()
    return request


# --- checklists ------------------------------------------------------------------------------


@transaction.atomic
def tick_step(*, actor: User, customer: Customer, step: ChecklistStep, at=None) -> ChecklistTick:
    if not _may_act_on(actor, customer):
        raise PermissionDenied(_("You cannot change this customer."))
    if step.tick_role and not has_role(actor, step.tick_role):
        raise PermissionDenied(
            _("Only a %(role)s may tick “%(step)s”.")
            % {"role": Role(step.tick_role).label, "step": step.label}
        )
    tick, _created = ChecklistTick.objects.get_or_create(
        customer=customer, step=step, defaults={"ticked_by": actor, "at": at or timezone.now()}
    )
    return tick


@transaction.atomic
def untick_step(*, actor: User, customer: Customer, step: ChecklistStep) -> None:
    if not _may_act_on(actor, customer):
        raise PermissionDenied(_("You cannot change this customer."))
    ChecklistTick.objects.filter(customer=customer, step=step).delete()


# --- notifications ------------------------------------------------------------------------------


def mark_notifications_read(*, actor: User, at=None) -> int:
    """Every unread notification of the actor, read now; how many."""
    from tend.status.models import Notification

    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(
        read_at=at or timezone.now()
    )


# --- inbound events ------------------------------------------------------------------------------


@transaction.atomic
def record_inbound_event(*, actor: User, customer: Customer, name: str) -> None:
    """An event from outside (a device alert, a product sign-in …) for the customer: kept in
    its history, and its inbound-event rules evaluated after the commit."""
    from tend.audit.actions import record_change
    from tend.audit.models import AuditAction

    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationFailed(
            field_errors={"name": [_("Name the event, in at most 100 characters.")]}
        )
    if not _may_act_on(actor, customer):
        raise PermissionDenied(_("You cannot change this customer."))
    record_change(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=customer,
        customer_id=customer.pk,
        note=_("Inbound event: %(name)s") % {"name": name},
    )
    customer_event(customer.pk, RuleTrigger.INBOUND_EVENT)
