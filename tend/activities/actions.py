"""Writes to activities and tasks. Logging an activity moves the customer's time nodes
(first and last contact, next follow-up, the follow-up due date) in the same transaction;
logging a follow-up also re-grades the customer through the status engine."""

import uuid
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from tend.accounts.models import User
from tend.accounts.selectors import assignable_users
from tend.activities.inputs import ActivityInput, FollowUpInput, TaskInput
from tend.activities.models import Activity, Task
from tend.audit.actions import diff, record_change, save_with_audit, snapshot
from tend.audit.models import AuditAction
from tend.core.errors import NotFound, ValidationFailed
from tend.core.inputs import clean_input
from tend.customers.models import Contact, Customer
from tend.customers.selectors import access_customer, customer_scope
from tend.recyclebin.actions import delete_record
from tend.status.actions import MoveRefused, Outcome, change_state
from tend.status.cadence import grade_states, refresh_customer_follow_up
from tend.status.events import customer_event
from tend.status.models import RuleTrigger

ACTIVITY_FIELDS = [
    "kind",
    "occurred_at",
    "summary",
    "outcome",
    "valid_communication",
    "next_follow_up_on",
    "contact",
]
TASK_FIELDS = ["title", "kind", "due_at", "notes", "assignee", "customer", "done_at"]


def _resolve_contact(customer: Customer, contact_id) -> Contact | None:
    if not contact_id:
        return None
    contact = Contact.objects.filter(
        pk=contact_id, customer=customer, deleted_at__isnull=True
    ).first()
    if contact is None:
        raise ValidationFailed(
            field_errors={"contact": [_("This contact does not belong to the customer.")]}
        )
    return contact


def refresh_contact_time_nodes(customer_id: int) -> None:
    """Recompute first and last contact, and the next follow-up (the one planned by the latest
    activity that planned one), from the customer's live activities."""
    live = Activity.objects.filter(customer_id=customer_id, deleted_at__isnull=True)
    bounds = live.aggregate(first=Min("occurred_at"), last=Max("occurred_at"))
    next_follow_up_on = (
        live.filter(next_follow_up_on__isnull=False)
        .order_by("-occurred_at", "-id")
        .values_list("next_follow_up_on", flat=True)
        .first()
    )
    Customer.objects.filter(pk=customer_id).update(
        first_contact_at=bounds["first"],
        last_contact_at=bounds["last"],
        next_follow_up_on=next_follow_up_on,
        updated_at=timezone.now(),
    )
    refresh_customer_follow_up(customer_id)


@transaction.atomic
def log_activity(*, actor: User, customer: Customer, data: dict) -> Activity:
    return _create_activity(actor, customer, clean_input(ActivityInput, data))


def _create_activity(actor: User, customer: Customer, cleaned: dict) -> Activity:
    contact = _resolve_contact(customer, cleaned.pop("contact"))
    activity = Activity.objects.create(customer=customer, contact=contact, author=actor, **cleaned)
    refresh_contact_time_nodes(activity.customer_id)
    record_change(
        actor=actor,
        action=AuditAction.CREATE,
        instance=activity,
        customer_id=customer.pk,
        changes=diff({}, snapshot(activity, ACTIVITY_FIELDS)),
    )
    customer_event(customer.pk, RuleTrigger.ACTIVITY_LOGGED)
    return activity


@dataclass
class LoggedFollowUp:
    activity: Activity
    grade: Outcome | None  # the grade's move (changed, waiting for approval, unchanged)


@transaction.atomic
def log_follow_up(*, actor: User, customer: Customer, data: dict, door: str) -> LoggedFollowUp:
    """Log an activity and, when `data` names a grade (a state key of the grade dimension),
    move the customer there through change_state from `door`, in one transaction: a refused
    move (its guard, reason, checklist …) leaves nothing written, and is reported on the
    "grade" field."""
    cleaned = clean_input(FollowUpInput, data)
    grade_key, reason = cleaned.pop("grade").strip(), cleaned.pop("grade_reason")
    activity = _create_activity(actor, customer, cleaned)
    if not grade_key:
        return LoggedFollowUp(activity, None)
    return LoggedFollowUp(activity, _regrade(actor, customer, grade_key, reason, door))


def _regrade(actor: User, customer: Customer, grade_key: str, reason: str, door: str) -> Outcome:
    target = next((state for state in grade_states(customer) if state.key == grade_key), None)
    if target is None:
        raise ValidationFailed(field_errors={"grade": [_("Unknown grade.")]})
    if target.held:
        return Outcome()
    try:
        outcome = change_state(
            actor=actor,
            customer=customer,
            dimension=target.dimension,
            state=target,
            door=door,
            reason=reason,
        )
    except MoveRefused as exc:
        raise MoveRefused(exc.problems, field="grade") from exc
    # The due date follows the new grade (change_state keeps it too, once it calls
    # tend.status.cadence.after_state_change).
    refresh_customer_follow_up(customer.pk)
    return outcome


@transaction.atomic
def update_activity(*, actor: User, activity: Activity, data: dict) -> Activity:
    current = {name: getattr(activity, name) for name in ACTIVITY_FIELDS if name != "contact"}
    current["contact"] = activity.contact_id
    cleaned = clean_input(ActivityInput, data, current=current)
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    if "contact" in cleaned:
        cleaned["contact"] = _resolve_contact(activity.customer, cleaned["contact"])
    save_with_audit(actor, activity, ACTIVITY_FIELDS, cleaned, customer_id=activity.customer_id)
    refresh_contact_time_nodes(activity.customer_id)
    return activity


@transaction.atomic
def delete_activity(*, actor: User, activity: Activity) -> uuid.UUID:
    return delete_record(
        actor=actor,
        record=activity,
        then=lambda: refresh_contact_time_nodes(activity.customer_id),
    )


def _resolve_task_links(actor: User, cleaned: dict, task: Task | None = None) -> dict:
    """Turn assignee and customer ids into records the actor may use; the assignee must be
    able to see the task's customer, or the task would show it to someone who may not."""
    if "assignee" in cleaned:
        assignee_id = cleaned["assignee"] or actor.pk
        assignee = assignable_users(actor).filter(pk=assignee_id).first()
        if assignee is None:
            raise ValidationFailed(
                field_errors={"assignee": [_("You cannot assign tasks to this user.")]}
            )
        cleaned["assignee"] = assignee
    if task is not None and cleaned.get("customer") == task.customer_id:
        # Unchanged: kept as it is, whoever edits the task.
        cleaned["customer"] = task.customer
    elif cleaned.get("customer"):
        try:
            cleaned["customer"] = access_customer(actor, cleaned["customer"])
        except NotFound as exc:
            raise ValidationFailed(field_errors={"customer": [_("Unknown customer.")]}) from exc
    elif "customer" in cleaned:
        cleaned["customer"] = None
    assignee = cleaned.get("assignee") or (task.assignee if task else actor)
    customer = cleaned.get("customer", task.customer if task else None)
    if (
        customer is not None
        and not Customer.objects.filter(customer_scope(assignee), pk=customer.pk).exists()
    ):
        raise ValidationFailed(
            field_errors={"assignee": [_("This user cannot see the task's customer.")]}
        )
    return cleaned


@transaction.atomic
def create_task(*, actor: User, data: dict) -> Task:
    cleaned = _resolve_task_links(actor, clean_input(TaskInput, {"assignee": None, **data}))
    task = Task.objects.create(created_by=actor, **cleaned)
    record_change(
        actor=actor,
        action=AuditAction.CREATE,
        instance=task,
        customer_id=task.customer_id,
        changes=diff({}, snapshot(task, TASK_FIELDS)),
    )
    return task


@transaction.atomic
def update_task(*, actor: User, task: Task, data: dict) -> Task:
    current = {
        "title": task.title,
        "kind": task.kind,
        "due_at": task.due_at,
        "notes": task.notes,
        "assignee": task.assignee_id,
        "customer": task.customer_id,
    }
    cleaned = _resolve_task_links(actor, clean_input(TaskInput, data, current=current), task)
    task = Task.objects.select_for_update().get(pk=task.pk)
    save_with_audit(actor, task, TASK_FIELDS, cleaned, customer_id=task.customer_id)
    return task


@transaction.atomic
def set_task_done(*, actor: User, task: Task, done: bool) -> Task:
    task = Task.objects.select_for_update().get(pk=task.pk)
    # Done again keeps the first done time.
    done_at = (task.done_at or timezone.now()) if done else None
    save_with_audit(actor, task, ["done_at"], {"done_at": done_at}, customer_id=task.customer_id)
    return task


@transaction.atomic
def delete_task(*, actor: User, task: Task) -> uuid.UUID:
    return delete_record(actor=actor, record=task)
