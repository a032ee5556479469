"""The straightforward implementation of rules the engine is checked against: every live
customer in turn, its facts read in Python, its condition evaluated in Python, each action
made by change_state for that one customer. Slow (a few queries per customer and rule), and
obviously right; the tests compare the engine's every write with it, and
bench/status_bench.py compares their speed."""

from tend.core.errors import TendError
from tend.customers.models import Customer
from tend.status import conditions
from tend.status.actions import change_state
from tend.status.facts import fact_label, fact_values, signatures
from tend.status.models import (
    ChecklistTick,
    CustomerState,
    Dimension,
    Door,
    State,
    StateChange,
    TransitionRequest,
)


def evaluate_one_by_one(rules, now) -> None:
    """One pass of the rules, in their order, customer by customer. Stored facts are read as
    they are (the caller refreshed them, as the engine does)."""
    for rule in rules:
        condition = conditions.parse(rule.condition, signatures())
        targets = []
        for action in rule.actions:
            dimension = Dimension.objects.get(key=action["dimension"])
            targets.append(
                (action, dimension, State.objects.get(dimension=dimension, key=action["state"]))
            )
        for customer in Customer.objects.filter(deleted_at__isnull=True).order_by("id"):
            values = fact_values(condition, customer.pk, now, refresh=False)
            if not conditions.evaluate(
                condition, lambda fact, values=values: values.get(fact_label(fact))
            ):
                continue
            first_action, _dimension, first_state = targets[0]
            holds = CustomerState.objects.filter(customer=customer, state=first_state).exists()
            if holds == (first_action["type"] == "set_state"):
                continue  # the first action would change nothing: not a match
            for action, dimension, state in targets:
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
                    break


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
    }
