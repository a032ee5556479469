"""/status: a customer's status read and changed through the API — the same engine as the
web, so the same refusals (422 naming the condition), approvals (a waiting request) and
history (door "api")."""

import pytest

from tend.status.models import StateChange, Transition
from tests.api.conftest import Caller
from tests.factories import make_activity, make_customer


@pytest.fixture
def customer(rep):
    return make_customer(rep, name="杭州青木科技有限公司")


def test_read_and_change_a_customers_status(rep_api, customer):
    response = rep_api.get(f"/status/customers/{customer.pk}")
    assert response.status_code == 200
    dimensions = {d["dimension"]: d for d in response.json()["dimensions"]}
    assert set(dimensions) >= {"lifecycle", "grade", "time_window"}
    assert dimensions["lifecycle"]["states"] == []

    response = rep_api.post(
        f"/status/customers/{customer.pk}", {"dimension": "lifecycle", "state": "lead"}
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["outcome"], body["request"]) == ("changed", None)
    lifecycle = next(d for d in body["status"]["dimensions"] if d["dimension"] == "lifecycle")
    assert lifecycle["states"][0]["state"] == "lead"
    assert lifecycle["states"][0]["set_by"] == rep_api.user.pk
    assert StateChange.objects.get(customer=customer).door == "api"

    again = rep_api.post(
        f"/status/customers/{customer.pk}", {"dimension": "lifecycle", "state": "lead"}
    )
    assert again.json()["outcome"] == "unchanged"


def test_a_refused_move_answers_422_with_the_reason(rep_api, customer):
    rep_api.post(f"/status/customers/{customer.pk}", {"dimension": "lifecycle", "state": "lead"})
    response = rep_api.post(
        f"/status/customers/{customer.pk}", {"dimension": "lifecycle", "state": "prospect"}
    )
    assert response.status_code == 422
    assert response.json()["field_errors"]["state"] == [
        "The condition “valid_activities >= 1” does not hold (valid_activities = 0)."
    ]
    unknown = rep_api.post(
        f"/status/customers/{customer.pk}", {"dimension": "lifecycle", "state": "nirvana"}
    )
    assert unknown.status_code == 404
    extra = rep_api.post(
        f"/status/customers/{customer.pk}",
        {"dimension": "lifecycle", "state": "lead", "sneaky": 1},
    )
    assert extra.status_code == 422


def test_a_move_needing_approval_waits_and_a_manager_approves_it(rep_api, customer, org):
    transition = Transition.objects.get(dimension__key="value", to_state__key="strategic")
    transition.approval_role = "sales_manager"
    transition.save()
    make_activity(customer, summary="有效沟通", valid_communication=True)
    response = rep_api.post(
        f"/status/customers/{customer.pk}",
        {"dimension": "value", "state": "strategic", "reason": "年采购额过千万"},
    )
    body = response.json()
    assert body["outcome"] == "waiting" and body["request"]
    request_id = body["request"]
    assert rep_api.post(f"/status/requests/{request_id}/approve", {}).status_code == 403

    manager = Caller(org.manager)
    rejected = manager.post(f"/status/requests/{request_id}/reject", {"comment": ""})
    assert rejected.status_code == 422
    approved = manager.post(f"/status/requests/{request_id}/approve", {"comment": "同意"})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    status = rep_api.get(f"/status/customers/{customer.pk}").json()
    value = next(d for d in status["dimensions"] if d["dimension"] == "value")
    assert value["states"][0]["state"] == "strategic"


def test_another_rep_gets_404(customer, other_rep):
    intruder = Caller(other_rep)
    assert intruder.get(f"/status/customers/{customer.pk}").status_code == 404
    response = intruder.post(
        f"/status/customers/{customer.pk}", {"dimension": "lifecycle", "state": "lead"}
    )
    assert response.status_code == 404
    assert not StateChange.objects.filter(customer=customer).exists()


def test_an_inbound_event_runs_the_inbound_rules_after_it_is_recorded(
    call_as, rep, admin, django_capture_on_commit_callbacks
):
    from tend.audit.models import AuditEntry
    from tend.status.models import CustomerState, Rule
    from tests.factories import make_customer

    Rule.objects.update(enabled=False)
    Rule.objects.create(
        key="device_alert",
        label_zh="设备告警",
        trigger="inbound_event",
        condition="true",
        actions=[{"type": "set_state", "dimension": "risk", "state": "service_suspended"}],
        enabled=True,
    )
    customer = make_customer(rep, name="设备客户有限公司")
    caller = call_as(rep)
    with django_capture_on_commit_callbacks(execute=True):
        response = caller.post(f"/status/customers/{customer.pk}/events", {"name": "device_alert"})
    assert response.status_code == 202, response.content
    assert AuditEntry.objects.filter(
        customer_id=customer.pk, note="Inbound event: device_alert"
    ).exists()
    # service_suspended needs a reason: the rule's label is its reason.
    assert CustomerState.objects.get(customer=customer, dimension__key="risk").state.key == (
        "service_suspended"
    )
    assert caller.post(f"/status/customers/{customer.pk}/events", {"name": ""}).status_code == 422
    assert call_as(admin).post("/status/customers/999999/events", {"name": "x"}).status_code == 404
