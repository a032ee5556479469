"""/feedback: CRUD, status with a complaint's resolution, escalation, filters, counts, access,
bad input, keyset pages and query counts."""

import datetime

import pytest
from django.utils import timezone

from tend.service.actions import escalate_feedback
from tend.service.models import Feedback, FeedbackEscalation
from tests.api.conftest import Caller, count_queries, row_counts, walk_pages
from tests.factories import make_customer
from tests.factories_service import make_feedback, make_ticket

pytestmark = pytest.mark.django_db

UNKNOWN_FIELD = "This field is unknown or cannot be set here."
ANCHOR = timezone.now().replace(microsecond=0) - datetime.timedelta(days=3)


def service_rows():
    return {
        **row_counts(),
        "feedback": Feedback.objects.count(),
        "escalations": FeedbackEscalation.objects.count(),
    }


def test_create_read_update_delete(rep_api, rep):
    customer = make_customer(rep)
    ticket = make_ticket(customer)
    created = rep_api.post(
        "/feedback",
        {
            "customer": customer.pk,
            "ticket": ticket.pk,
            "kind": "complaint",
            "severity": "high",
            "subject": "维修太慢",
        },
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    feedback = Feedback.objects.get(pk=body["id"])
    assert body == {
        "id": feedback.pk,
        "customer": customer.pk,
        "contact": None,
        "ticket": ticket.pk,
        "kind": "complaint",
        "severity": "high",
        "subject": "维修太慢",
        "description": "",
        "status": "new",
        "escalation_level": "agent",
        "resolution": "",
        "received_at": body["received_at"],
        "resolved_at": None,
        "created_by": {"id": rep.pk, "display_name": rep.display_name},
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    assert rep_api.get(f"/feedback/{feedback.pk}").json() == body
    changed = rep_api.patch(f"/feedback/{feedback.pk}", {"severity": "critical", "ticket": None})
    assert changed.status_code == 200
    assert (changed.json()["severity"], changed.json()["ticket"]) == ("critical", None)
    assert rep_api.delete(f"/feedback/{feedback.pk}").status_code == 204
    assert rep_api.get(f"/feedback/{feedback.pk}").status_code == 404


def test_a_complaint_resolves_with_a_resolution_only(rep_api, rep):
    complaint = make_feedback(make_customer(rep), kind="complaint")
    refused = rep_api.post(f"/feedback/{complaint.pk}/status", {"status": "resolved"})
    assert refused.status_code == 422
    assert refused.json() == {
        "code": "invalid",
        "message": "Some fields are not valid.",
        "field_errors": {
            "resolution": ["A complaint needs a resolution before it is resolved or closed."]
        },
    }
    resolved = rep_api.post(
        f"/feedback/{complaint.pk}/status", {"status": "resolved", "resolution": "已退款"}
    )
    assert resolved.status_code == 200
    assert (resolved.json()["status"], resolved.json()["resolution"]) == ("resolved", "已退款")
    assert resolved.json()["resolved_at"] is not None
    closed = rep_api.post(f"/feedback/{complaint.pk}/status", {"status": "closed"})
    assert closed.json()["resolution"] == "已退款"
    after = rep_api.post(f"/feedback/{complaint.pk}/status", {"status": "in_progress"})
    assert after.status_code == 422
    assert after.json()["message"] == "This feedback is closed and cannot change any more."


def test_escalation_upward_only_with_a_reason(rep_api, rep):
    complaint = make_feedback(make_customer(rep))
    path = f"/feedback/{complaint.pk}/escalations"
    no_reason = rep_api.post(path, {"to_level": "manager"})
    assert no_reason.status_code == 422
    assert no_reason.json()["field_errors"] == {"reason": ["This field is required."]}
    escalated = rep_api.post(path, {"to_level": "manager", "reason": "客户要求"})
    assert escalated.status_code == 201
    body = escalated.json()
    assert body == {
        "id": body["id"],
        "feedback": complaint.pk,
        "from_level": "agent",
        "to_level": "manager",
        "by": {"id": rep.pk, "display_name": rep.display_name},
        "at": body["at"],
        "reason": "客户要求",
    }
    assert rep_api.get(f"/feedback/{complaint.pk}").json()["escalation_level"] == "manager"
    down = rep_api.post(path, {"to_level": "agent", "reason": "降级"})
    assert down.status_code == 422
    assert down.json()["field_errors"] == {
        "to_level": ["Feedback only escalates upwards; it is already at “Manager”."]
    }
    history = rep_api.get(path).json()
    assert [(item["from_level"], item["to_level"]) for item in history["items"]] == [
        ("agent", "manager")
    ]


@pytest.mark.parametrize(
    "field, value",
    [("status", "closed"), ("escalation_level", "executive"), ("resolution", "x"), ("created_by", 1)],
)  # fmt: skip
def test_unknown_and_protected_fields_are_refused(rep_api, rep, field, value):
    customer = make_customer(rep)
    before = service_rows()
    response = rep_api.post(
        "/feedback", {"customer": customer.pk, "kind": "praise", "subject": "好", field: value}
    )
    assert response.status_code == 422
    assert response.json()["field_errors"] == {field: [UNKNOWN_FIELD]}
    assert service_rows() == before


def test_bad_values_are_field_errors(rep_api, rep, other_rep):
    customer = make_customer(rep)
    foreign_ticket = make_ticket(make_customer(other_rep))
    before = service_rows()
    response = rep_api.post(
        "/feedback",
        {"customer": customer.pk, "kind": "rant", "subject": "x", "ticket": foreign_ticket.pk},
    )
    assert response.status_code == 422
    assert response.json()["field_errors"] == {
        "kind": ["Select a valid choice. rant is not one of the available choices."]
    }
    response = rep_api.post(
        "/feedback",
        {"customer": customer.pk, "kind": "praise", "subject": "x", "ticket": foreign_ticket.pk},
    )
    assert response.json()["field_errors"] == {
        "ticket": ["This ticket does not belong to the customer."]
    }
    hidden = rep_api.post("/feedback", {"customer": foreign_ticket.customer_id, "kind": "praise", "subject": "x"})  # fmt: skip
    assert hidden.json()["field_errors"] == {"customer": ["Unknown customer."]}
    assert service_rows() == before


def test_another_reps_feedback_is_not_found_through_any_operation(rep_api, other_rep):
    feedback = make_feedback(make_customer(other_rep), subject="别人的投诉")
    for method, path, body in [
        ("get", f"/feedback/{feedback.pk}", None),
        ("patch", f"/feedback/{feedback.pk}", {"subject": "改"}),
        ("patch", f"/feedback/{feedback.pk}", {"bogus": 1}),
        ("delete", f"/feedback/{feedback.pk}", None),
        ("post", f"/feedback/{feedback.pk}/status", {"status": "closed"}),
        ("get", f"/feedback/{feedback.pk}/escalations", None),
        ("post", f"/feedback/{feedback.pk}/escalations", {"to_level": "manager", "reason": "x"}),
        ("post", f"/feedback/{feedback.pk}/escalations", {}),
    ]:
        if method in ("get", "delete"):
            response = getattr(rep_api, method)(path)
        else:
            response = getattr(rep_api, method)(path, body)
        assert response.status_code == 404, (method, path, body)
    feedback.refresh_from_db()
    assert (feedback.subject, feedback.status, feedback.escalation_level) == (
        "别人的投诉",
        "new",
        "agent",
    )
    assert not feedback.is_deleted


def test_list_filters_counts_and_orderings(rep_api, rep):
    customer = make_customer(rep)
    praise = make_feedback(customer, kind="praise", at=ANCHOR)
    critical = make_feedback(customer, severity="critical", at=ANCHOR - datetime.timedelta(hours=1))

    def ids(**params):
        response = rep_api.get("/feedback", params)
        assert response.status_code == 200, response.json()
        return [item["id"] for item in response.json()["items"]]

    assert ids() == [praise.pk, critical.pk]
    assert ids(ordering="severity") == [critical.pk, praise.pk]
    assert ids(kind="praise") == [praise.pk]
    assert ids(severity="critical") == [critical.pk]
    assert ids(open="true", customer=customer.pk) == [praise.pk, critical.pk]
    assert ids(status="closed") == []
    counts = rep_api.get("/feedback/counts", {"kind": "complaint"}).json()
    assert counts["new"] == {"count": 1, "more": False}
    assert rep_api.get("/feedback", {"ordering": "loudest"}).status_code == 422


@pytest.mark.parametrize("limit", [1, 3])
def test_keyset_pages_walk_every_feedback_once(rep_api, rep, limit):
    customer = make_customer(rep)
    items = [
        make_feedback(customer, severity=["low", "critical"][n % 2], at=ANCHOR + datetime.timedelta(minutes=n % 3))
        for n in range(7)
    ]  # fmt: skip
    newest = walk_pages(rep_api, "/feedback", {}, limit)
    assert newest == [
        f.pk for f in sorted(items, key=lambda f: (f.received_at, f.pk), reverse=True)
    ]
    by_severity = walk_pages(rep_api, "/feedback", {"ordering": "severity"}, limit)
    rank = {"low": 1, "critical": 4}
    assert by_severity == [f.pk for f in sorted(items, key=lambda f: (rank[f.severity], f.pk), reverse=True)]  # fmt: skip


def test_lists_cost_the_same_queries_for_few_and_many_rows(org):
    caller = Caller(org.manager, "token")
    first = make_feedback(make_customer(org.rep))

    def calls():
        return [
            lambda: caller.get("/feedback", {"ordering": "severity"}),
            lambda: caller.get("/feedback", {"open": "true", "kind": "complaint"}),
            lambda: caller.get("/feedback/counts"),
            lambda: caller.get(f"/feedback/{first.pk}/escalations"),
        ]

    caller.get("/feedback")  # the token's first use of the minute writes its last-used time
    small = [count_queries(call) for call in calls()]
    for number in range(1, 25):
        other = make_customer(org.branch_rep if number % 2 else org.rep)
        make_feedback(other, actor=org.manager)
    escalate_feedback(
        actor=org.manager, feedback=first, data={"to_level": "manager", "reason": "1"}
    )
    escalate_feedback(
        actor=org.manager, feedback=first, data={"to_level": "executive", "reason": "2"}
    )
    assert [count_queries(call) for call in calls()] == small
