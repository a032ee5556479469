"""The straightforward implementation of rules the engine is checked against: every live
customer in turn, its facts read in Python, its condition evaluated in Python, each action
made by change_state for that one customer. Slow (a few queries per customer and rule), and
obviously right; the tests compare the engine's every write with it, and
bench/status_bench.py compares their speed."""

import datetime

from tend.accounts.models import Role, Team, User
from tend.activities.models import Task
from tend.core.errors import TendError
from tend.customers.models import Customer, Tag
from tend.status import conditions
from tend.status.actions import change_state
from tend.status.facts import fact_label, fact_values, signatures
from tend.status.models import (
    ChecklistTick,
    CustomerState,
    Dimension,
    Door,
    Notification,
    RuleFiring,
    State,
    StateChange,
    TransitionRequest,
)


def _resolve(action):
    """(dimension, state) a state action moves to; (None, None) for the others."""
    if action["type"] in ("lock", "unlock"):
        ordered = State.objects.select_related("dimension").order_by(
            "dimension__order", "order", "id"
        )
        locked = next(state for state in ordered if state.category == "locked")
        if action["type"] == "lock":
            return locked.dimension, locked
        return locked.dimension, next(
            state
            for state in ordered
            if state.dimension_id == locked.dimension_id
            and state.category != "locked"
            and (not action.get("state") or state.key == action["state"])
        )
    if action["type"] in ("set_state", "remove_state"):
        dimension = Dimension.objects.get(key=action["dimension"])
        return dimension, State.objects.get(dimension=dimension, key=action["state"])
    return None, None


def _person(customer, spec: str):
    """Who gets a task or a notification, as rule_actions decides it, found in Python."""
    found = None
    if spec == "owner":
        found = customer.owner
    elif spec == "owner_manager":
        team = customer.owner.team if customer.owner and customer.owner.team_id else None
        found = team.manager if team else None
    elif spec.startswith("user:"):
        found = User.objects.get(username=spec[5:], is_active=True)
    elif spec.startswith("role:"):
        users = list(User.objects.filter(role=spec[5:], is_active=True).order_by("id"))
        found = users[customer.pk % len(users)] if users else None
    if found is None:
        found = User.objects.filter(is_active=True, role=Role.ADMIN).order_by("id").first()
    return found


def _other_action(action, customer, rule, now) -> None:
    """An action that moves no state, for one customer, with the ORM."""
    kind = action["type"]
    if kind == "add_tag":
        customer.tags.add(Tag.objects.get_or_create(name=action["tag"].strip())[0])
    elif kind == "remove_tag":
        customer.tags.remove(*Tag.objects.filter(name=action["tag"].strip()))
    elif kind == "assign_owner":
        owner = User.objects.get(username=action["user"], is_active=True)
        Customer.objects.filter(pk=customer.pk).update(owner=owner, team_id=owner.team_id)
    elif kind == "assign_team":
        Customer.objects.filter(pk=customer.pk).update(team=Team.objects.get(name=action["team"]))
    elif kind == "return_to_pool":
        Customer.objects.filter(pk=customer.pk).update(owner=None)
    elif kind == "create_task":
        assignee = _person(customer, action.get("assignee", "owner"))
        if assignee is not None:
            Task.objects.create(
                title=action["title"].strip()[:200],
                kind=action.get("kind", "follow_up"),
                assignee=assignee,
                due_at=now + datetime.timedelta(days=action.get("due_in_days", 0)),
                customer=customer,
            )
    elif kind == "notify":
        recipient = _person(customer, action.get("to", "owner"))
        if recipient is not None:
            Notification.objects.create(
                recipient=recipient,
                customer=customer,
                rule_key=rule.key,
                message=action["message"].strip()[:500],
                created_at=now,
            )


def evaluate_one_by_one(rules, now) -> None:
    """One pass of the rules, in their order, customer by customer. Stored facts are read as
    they are (the caller refreshed them, as the engine does)."""
    for rule in rules:
        condition = conditions.parse(rule.condition, signatures())
        targets = [(action, *_resolve(action)) for action in rule.actions]
        first_action, _dimension, first_state = targets[0]
        for customer in Customer.objects.filter(deleted_at__isnull=True).order_by("id"):
            values = fact_values(condition, customer.pk, now, refresh=False)
            holds = conditions.evaluate(
                condition, lambda fact, values=values: values.get(fact_label(fact))
            )
            if first_state is None:  # fires once while the condition holds
                fired = RuleFiring.objects.filter(rule_key=rule.key, customer=customer)
                if not holds:
                    fired.delete()
                    continue
                if fired.exists():
                    continue
            elif not holds:
                continue
            else:
                watched = first_state
                if first_action["type"] == "unlock":
                    watched = _resolve({"type": "lock"})[1]
                there = CustomerState.objects.filter(customer=customer, state=watched).exists()
                if there == (first_action["type"] in ("set_state", "lock")):
                    continue  # the first action would change nothing: not a match
            refused = False
            for action, dimension, state in targets:
                if state is None:
                    _other_action(action, customer, rule, now)
                    continue
                try:
                    change_state(
                        actor=None,
                        customer=customer,
                        dimension=dimension,
                        state=state,
                        door=Door.RULE,
                        reason=rule.label,
                        remove=action["type"] == "remove_state",
                        rule_key=rule.key,
                        facts=values,
                        at=now,
                    )
                except TendError:
                    refused = True
                    break
            if first_state is None and not refused:
                RuleFiring.objects.create(rule_key=rule.key, customer=customer, at=now)


def _sorted(rows) -> list:
    return sorted(rows, key=lambda row: [(value is None, value or 0) for value in row])


def snapshot(after_change_id: int = 0) -> dict:
    """Everything a status change writes, without database ids, for comparing two runs."""
    return {
        "changes": _sorted(
            StateChange.objects.filter(id__gt=after_change_id).values_list(
                "customer_id",
                "dimension_id",
                "from_state_id",
                "to_state_id",
                "at",
                "actor_id",
                "rule_key",
                "door",
                "reason",
                "seconds_in_previous",
            )
        ),
        # {(customer, dimension, to state, fact): value}, flat for pytest.approx
        "facts": {
            (change.customer_id, change.dimension_id, change.to_state_id, name): value
            for change in StateChange.objects.filter(id__gt=after_change_id)
            for name, value in change.facts.items()
        },
        "states": _sorted(
            CustomerState.objects.values_list("customer_id", "dimension_id", "state_id", "since")
        ),
        "requests": _sorted(
            TransitionRequest.objects.values_list(
                "customer_id", "transition_id", "to_state_id", "status", "reason", "door"
            )
        ),
        "ticks": _sorted(ChecklistTick.objects.values_list("customer_id", "step_id")),
        "tasks": _sorted(
            Task.objects.filter(customer__isnull=False).values_list(
                "customer_id", "title", "assignee_id", "due_at"
            )
        ),
        "notifications": _sorted(
            Notification.objects.values_list("customer_id", "recipient_id", "message")
        ),
        "tags": _sorted(Customer.tags.through.objects.values_list("customer_id", "tag__name")),
        "firings": _sorted(RuleFiring.objects.values_list("rule_key", "customer_id")),
    }
