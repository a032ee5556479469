"""The 跟进中 lock's cast, for the lock's tests at every door (tests/*/test_lock.py).

A rep's customer assigned to the rep's old team: the rep has since moved to another team. So
the old team's manager still sees the customer (through its team) without managing its
owner — the one reader, within the visibility scope, whom the lock shuts out — while the
owner, the owner's new manager and an admin see everything. Locking and unlocking go through
change_state, as every door's do."""

from dataclasses import dataclass

from tend.accounts.models import User
from tend.customers.models import Customer
from tend.status.actions import change_state
from tend.status.models import Dimension, Door, State, StateCategory
from tests.factories import make_activity, make_contact, make_customer, make_task
from tests.factories_deals import make_deal
from tests.factories_service import make_ticket

# Texts the locked reader must never be shown; the name is not one of them.
NAME = "锁定科技有限公司"
DETAILS = {
    "phone": "13900000077",
    "phone_display": "139 0000 0077",
    "email": "locked@suoding.cn",
    "industry": "保密行业",
    "address": "保密路一号",
    "tag": "保密标签",
    "contact": "保密联系人",
    "activity": "保密的跟进内容",
    "task": "保密的待办",
    "deal": "保密商机",
    "ticket": "保密工单",
}


def collaboration() -> Dimension:
    return Dimension.objects.get(key="collaboration")


def locked_state() -> State:
    """The collaboration dimension's state of the LOCKED category (跟进中 by default)."""
    return State.objects.get(dimension=collaboration(), category=StateCategory.LOCKED)


def unlocked_state() -> State:
    return (
        State.objects.filter(dimension=collaboration())
        .exclude(category=StateCategory.LOCKED)
        .order_by("order")
        .first()
    )


def lock(customer: Customer, actor: User | None = None):
    return change_state(
        actor=actor or customer.owner,
        customer=customer,
        dimension=collaboration(),
        state=locked_state(),
        door=Door.WEB,
    )


def unlock(customer: Customer, actor: User | None = None):
    return change_state(
        actor=actor or customer.owner,
        customer=customer,
        dimension=collaboration(),
        state=unlocked_state(),
        door=Door.WEB,
    )


@dataclass
class LockCast:
    customer: Customer
    owner: User  # sees it in full
    owners_manager: User  # manages the owner's (new) team: full
    admin: User  # full
    team_manager: User  # manages the customer's team, not its owner: the locked view
    stranger: User  # sees it nowhere (another team's rep)
    records: dict
    others: list  # more customers of the owner, on the same team, not locked

    @property
    def full_readers(self) -> list[User]:
        return [self.owner, self.owners_manager, self.admin]


def fresh(user: User) -> User:
    """The user read again: the managed teams are cached on a user object."""
    return User.objects.get(pk=user.pk)


def lock_cast(org, admin, *, locked: bool = True, others: int = 0) -> LockCast:
    owner = org.rep
    customer = make_customer(
        owner,
        name=NAME,
        phone=DETAILS["phone"],
        email=DETAILS["email"],
        industry=DETAILS["industry"],
        address=DETAILS["address"],
        province="浙江",
        source="exhibition",
        tags=DETAILS["tag"],
    )
    contact = make_contact(customer, name=DETAILS["contact"])
    records = {
        "contact": contact,
        "activity": make_activity(customer, summary=DETAILS["activity"]),
        "task": make_task(owner, customer=customer.pk, title=DETAILS["task"]),
        "deal": make_deal(customer, name=DETAILS["deal"]),
        "ticket": make_ticket(customer, subject=DETAILS["ticket"]),
    }
    more = [make_customer(owner, name=f"跟进客户{number}") for number in range(others)]
    # The owner moves to another team; the customers stay assigned to the old one.
    owner.team = org.other_team
    owner.save(update_fields=["team"])
    if locked:
        lock(customer, fresh(owner))
    return LockCast(
        customer=Customer.objects.get(pk=customer.pk),
        owner=fresh(owner),
        owners_manager=fresh(org.other_manager),
        admin=fresh(admin),
        team_manager=fresh(org.manager),
        stranger=fresh(org.branch_rep),
        records=records,
        others=more,
    )
