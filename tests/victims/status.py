"""The victim's customer status, for tests/test_access_matrix.py: a move waiting for approval
that an intruder must neither see nor decide, and states no intruder may change."""

from tend.status.actions import change_state
from tend.status.models import (
    CustomerState,
    Dimension,
    Door,
    Rule,
    State,
    StateChange,
    TransitionRequest,
)

WEB_RECORDS = {
    "status/requests/": "status_request",
    # The status model's editor: administrators only, so a rule is no one else's to reach.
    "settings/status/rules/": "status_rule",
}
API_RECORDS = {
    "/api/v1/status/requests/": "status_request",
    "/api/v1/status/customers/": "customer",
}
SECRETS = ["秘密的状态变更理由"]


def build(victim, org, admin):
    lifecycle = Dimension.objects.get(key="lifecycle")

    def move(key, **extra):
        return change_state(
            actor=victim.owner,
            customer=victim.customer,
            dimension=lifecycle,
            state=State.objects.get(dimension=lifecycle, key=key),
            door=Door.WEB,
            **extra,
        )

    move("lead")
    transition = lifecycle.transitions.get(from_state__key="lead", to_state__key="prospect")
    transition.guard = ""
    transition.approval_role = "sales_manager"
    transition.save()
    victim.status_request = move("prospect", reason="秘密的状态变更理由").request
    victim.status_rule = Rule.objects.order_by("pk").first()


def state(victim):
    return (
        list(CustomerState.objects.filter(customer=victim.customer).values("state_id", "since")),
        StateChange.objects.filter(customer=victim.customer).count(),
        list(
            TransitionRequest.objects.filter(pk=victim.status_request.pk).values(
                "status", "comment"
            )
        ),
        list(Rule.objects.order_by("pk").values()),
        list(State.objects.order_by("pk").values("key", "label_zh", "label_en")),
    )
