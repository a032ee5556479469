"""The victim's customer on its owner's worklist (今日待跟进), graded and overdue, for
tests/test_access_matrix.py: no other rep's worklist, page or API, may show it."""

import datetime

from django.utils import timezone

from tend.customers.models import Customer
from tend.status.actions import change_state
from tend.status.cadence import follow_up_worklist
from tend.status.models import Door, State


def build(victim, org, admin):
    state = State.objects.get(follow_up_days__isnull=False, key="A")
    change_state(
        actor=victim.owner,
        customer=victim.customer,
        dimension=state.dimension,
        state=state,
        door=Door.WEB,
    )
    # Due three days ago, as if last contacted four days ago.
    Customer.objects.filter(pk=victim.customer.pk).update(
        follow_up_due_on=timezone.localdate() - datetime.timedelta(days=3),
        follow_up_rank=state.order,
    )
    # So that the matrix's "not shown to the intruder" means something.
    owners_list = follow_up_worklist(victim.owner).items
    assert [entry.customer.pk for entry in owners_list] == [victim.customer.pk]
