"""Random customer histories for the status engine's tests (facts, rules)."""

import datetime

from tend.activities.models import Activity


def random_activities(customer, author, chance, now, *, days: int, most: int, valid: float):
    """Up to `most` follow-ups in the last `days` days, each valid with chance `valid`.
    Written directly: the tests need the past, which logging refuses to backdate freely."""
    for day in chance.sample(range(1, days), chance.randrange(0, most + 1)):
        Activity.objects.create(
            customer=customer,
            author=author,
            kind="call",
            summary="沟通",
            occurred_at=now - datetime.timedelta(days=day),
            valid_communication=chance.random() < valid,
        )
