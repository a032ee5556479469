"""Events that wake a customer's rules: an activity logged, an order or payment recorded, a
ticket or feedback changed, a state entered by a person, an inbound event. The action that
makes the change calls `customer_event(...)`; after its transaction commits, the worker
evaluates the enabled rules of that trigger — and those triggered by a state being entered,
which follow every event in priority order — for that one customer (tend.status.tasks).

Changes made by rules raise no further event: a rule's consequences follow from the rules
after it in the same evaluation, or on the next run, never from a chain of queued jobs that
two rules could keep alive for ever."""

from django.db import transaction

from tend.status.models import Rule, RuleTrigger


def customer_event(customer_id: int, trigger: str) -> None:
    """After the current transaction commits, evaluate the customer's rules for `trigger`."""
    customers_event([customer_id], trigger)


def customers_event(customer_ids: list[int], trigger: str) -> None:
    """The same for several customers at once (a bulk edit): one job, set-based."""
    if not customer_ids:
        return

    def enqueue():
        from tend.status.tasks import evaluate_customers

        # No job when no enabled rule listens (one small query instead of a queued job).
        if listening(trigger).exists():
            evaluate_customers(list(customer_ids), trigger)

    transaction.on_commit(enqueue)


def listening(trigger: str):
    """The enabled rules an event runs: its own trigger's, then those of a state entered."""
    return Rule.objects.filter(enabled=True, trigger__in={trigger, RuleTrigger.STATE_ENTERED})
