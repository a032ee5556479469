"""/tickets: CRUD, status moves, the thread, satisfaction, filters, counts, access, bad input,
keyset pages and query counts."""

import datetime

import pytest
from django.utils import timezone

from tend.service.actions import add_ticket_comment, change_ticket_status
from tend.service.models import Ticket, TicketComment
from tests.api.conftest import Caller, count_queries, row_counts, walk_pages
from tests.factories import make_contact, make_customer
from tests.factories_service import make_ticket

pytestmark = pytest.mark.django_db

UNKNOWN_FIELD = "This field is unknown or cannot be set here."
ANCHOR = timezone.now().replace(microsecond=0) - datetime.timedelta(days=3)


def put(caller, path, body):
    """A PUT through the caller (its client has no shortcut for it)."""
    return caller._send("put", path, body, {})


def service_rows():
    return {
        **row_counts(),
        "tickets": Ticket.objects.count(),
        "comments": TicketComment.objects.count(),
    }


def test_create_read_update_delete(rep_api, rep):
    customer = make_customer(rep)
    contact = make_contact(customer, name="王芳")
    created = rep_api.post(
        "/tickets",
        {
            "customer": customer.pk,
            "contact": contact.pk,
            "subject": "打印机故障",
            "description": "无法开机",
            "priority": "high",
            "assignee": rep.pk,
        },
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    ticket = Ticket.objects.get(pk=body["id"])
    me = {"id": rep.pk, "display_name": rep.display_name}
    assert body == {
        "id": ticket.pk,
        "customer": customer.pk,
        "contact": contact.pk,
        "subject": "打印机故障",
        "description": "无法开机",
        "priority": "high",
        "status": "open",
        "assignee": me,
        "opened_by": me,
        "opened_at": body["opened_at"],
        "first_response_at": None,
        "resolved_at": None,
        "first_response_seconds": None,
        "resolution_seconds": None,
        "satisfaction": None,
        "satisfaction_comment": "",
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    assert body["opened_at"].endswith("Z")
    assert rep_api.get(f"/tickets/{ticket.pk}").json() == body

    changed = rep_api.patch(f"/tickets/{ticket.pk}", {"priority": "urgent", "assignee": None})
    assert changed.status_code == 200
    assert (changed.json()["priority"], changed.json()["assignee"]) == ("urgent", None)
    assert changed.json()["subject"] == "打印机故障"

    assert rep_api.delete(f"/tickets/{ticket.pk}").status_code == 204
    ticket.refresh_from_db()
    assert ticket.is_deleted
    assert rep_api.get(f"/tickets/{ticket.pk}").status_code == 404


def test_status_moves_set_the_times_and_refusals_keep_the_error_shape(rep_api, rep):
    ticket = make_ticket(make_customer(rep), at=ANCHOR)
    moved = rep_api.post(
        f"/tickets/{ticket.pk}/status", {"status": "in_progress", "note": "处理中"}
    )
    assert moved.status_code == 200
    assert moved.json()["status"] == "in_progress"
    assert moved.json()["first_response_seconds"] > 0
    resolved = rep_api.post(f"/tickets/{ticket.pk}/status", {"status": "resolved"})
    assert resolved.json()["resolved_at"] is not None
    refused = rep_api.post(f"/tickets/{ticket.pk}/status", {"status": "waiting_on_customer"})
    assert refused.status_code == 422
    message = "A ticket cannot move from “Resolved” to “Waiting on customer”."
    assert refused.json() == {
        "code": "invalid",
        "message": message,
        "field_errors": {"status": [message]},
    }
    missing = rep_api.post(f"/tickets/{ticket.pk}/status", {})
    assert missing.status_code == 422
    assert missing.json()["field_errors"] == {"status": ["This field is required."]}


def test_the_thread_and_the_first_response(rep_api, rep):
    ticket = make_ticket(make_customer(rep), at=ANCHOR)
    note = rep_api.post(f"/tickets/{ticket.pk}/comments", {"body": "内部", "public": False})
    assert note.status_code == 201
    assert rep_api.get(f"/tickets/{ticket.pk}").json()["first_response_at"] is None
    reply = rep_api.post(f"/tickets/{ticket.pk}/comments", {"body": "已收到"})
    assert reply.status_code == 201
    body = reply.json()
    assert body == {
        "id": body["id"],
        "ticket": ticket.pk,
        "author": {"id": rep.pk, "display_name": rep.display_name},
        "body": "已收到",
        "public": True,
        "from_customer": False,
        "at": body["at"],
    }
    assert rep_api.get(f"/tickets/{ticket.pk}").json()["first_response_at"] == body["at"]
    thread = rep_api.get(f"/tickets/{ticket.pk}/comments").json()
    assert [item["body"] for item in thread["items"]] == ["内部", "已收到"]
    empty = rep_api.post(f"/tickets/{ticket.pk}/comments", {"body": ""})
    assert empty.status_code == 422
    assert empty.json()["field_errors"] == {"body": ["This field is required."]}


def test_satisfaction_only_once_resolved_and_within_range(rep_api, rep):
    ticket = make_ticket(make_customer(rep))
    early = put(rep_api, f"/tickets/{ticket.pk}/satisfaction", {"satisfaction": 5})
    assert early.status_code == 422
    assert early.json()["field_errors"] == {
        "satisfaction": ["Satisfaction can be recorded once the ticket is resolved or closed."]
    }
    change_ticket_status(actor=rep, ticket=ticket, status="closed")
    too_high = put(rep_api, f"/tickets/{ticket.pk}/satisfaction", {"satisfaction": 6})
    assert too_high.status_code == 422
    assert too_high.json()["field_errors"] == {
        "satisfaction": ["Ensure this value is less than or equal to 5."]
    }
    rated = put(
        rep_api,
        f"/tickets/{ticket.pk}/satisfaction",
        {"satisfaction": 4, "satisfaction_comment": "不错"},
    )
    assert rated.status_code == 200
    assert (rated.json()["satisfaction"], rated.json()["satisfaction_comment"]) == (4, "不错")


@pytest.mark.parametrize(
    "field, value",
    [("status", "closed"), ("satisfaction", 5), ("opened_by", 1), ("id", 7), ("first_response_at", None)],
)  # fmt: skip
def test_unknown_and_protected_fields_are_refused(rep_api, rep, field, value):
    customer = make_customer(rep)
    before = service_rows()
    response = rep_api.post("/tickets", {"customer": customer.pk, "subject": "x", field: value})
    assert response.status_code == 422
    assert response.json()["field_errors"] == {field: [UNKNOWN_FIELD]}
    ticket = make_ticket(customer)
    before = service_rows()
    response = rep_api.patch(f"/tickets/{ticket.pk}", {field: value})
    assert response.status_code == 422
    assert response.json()["field_errors"] == {field: [UNKNOWN_FIELD]}
    assert service_rows() == before


def test_a_ticket_needs_a_customer_the_caller_may_see_and_a_fitting_assignee(rep_api, org):
    hidden = make_customer(org.other_rep)
    before = service_rows()
    response = rep_api.post("/tickets", {"customer": hidden.pk, "subject": "x"})
    assert response.status_code == 422
    assert response.json()["field_errors"] == {"customer": ["Unknown customer."]}
    mine = make_customer(org.rep)
    before = service_rows()
    response = rep_api.post(
        "/tickets", {"customer": mine.pk, "subject": "x", "assignee": org.manager.pk}
    )
    assert response.json()["field_errors"] == {
        "assignee": ["You cannot assign tickets to this user."]
    }
    assert service_rows() == before


def test_another_reps_ticket_is_not_found_through_any_operation(rep_api, other_rep):
    ticket = make_ticket(make_customer(other_rep), subject="别人的工单")
    for method, path, body in [
        ("get", f"/tickets/{ticket.pk}", None),
        ("patch", f"/tickets/{ticket.pk}", {"subject": "改"}),
        ("patch", f"/tickets/{ticket.pk}", {"bogus": 1}),
        ("delete", f"/tickets/{ticket.pk}", None),
        ("post", f"/tickets/{ticket.pk}/status", {"status": "closed"}),
        ("post", f"/tickets/{ticket.pk}/status", {}),
        ("get", f"/tickets/{ticket.pk}/comments", None),
        ("post", f"/tickets/{ticket.pk}/comments", {"body": "x"}),
        ("put", f"/tickets/{ticket.pk}/satisfaction", {"satisfaction": 1}),
    ]:
        if method in ("get", "delete"):
            response = getattr(rep_api, method)(path)
        elif method == "put":
            response = put(rep_api, path, body)
        else:
            response = getattr(rep_api, method)(path, body)
        assert response.status_code == 404, (method, path, body)
        assert response.json()["code"] == "not_found"
    ticket.refresh_from_db()
    assert (ticket.subject, ticket.status, ticket.is_deleted) == ("别人的工单", "open", False)
    assert rep_api.get("/tickets").json()["items"] == []


def test_list_filters_counts_and_orderings(rep_api, rep):
    customer = make_customer(rep)
    low = make_ticket(customer, subject="低", priority="low", at=ANCHOR)
    urgent = make_ticket(
        customer, subject="急", priority="urgent", at=ANCHOR - datetime.timedelta(hours=1)
    )
    mine = make_ticket(
        customer, subject="我的", assignee=rep.pk, at=ANCHOR + datetime.timedelta(hours=1)
    )
    change_ticket_status(actor=rep, ticket=mine, status="closed")

    def ids(**params):
        response = rep_api.get("/tickets", params)
        assert response.status_code == 200, response.json()
        return [item["id"] for item in response.json()["items"]]

    assert ids() == [mine.pk, low.pk, urgent.pk]
    assert ids(ordering="priority") == [urgent.pk, mine.pk, low.pk]
    assert ids(open="true") == [low.pk, urgent.pk]
    assert ids(assignee="me") == [mine.pk]
    assert ids(assignee="none") == [low.pk, urgent.pk]
    assert ids(status="closed") == [mine.pk]
    assert ids(priority="urgent") == [urgent.pk]
    assert ids(customer=customer.pk, status="nonsense") == []
    bad = rep_api.get("/tickets", {"ordering": "oldest"})
    assert bad.status_code == 422
    assert list(bad.json()["field_errors"]) == ["ordering"]
    assert rep_api.get("/tickets", {"assignee": "someone"}).status_code == 422
    counts = rep_api.get("/tickets/counts", {"status": "closed"}).json()
    assert counts["open"] == {"count": 2, "more": False}
    assert counts["closed"] == {"count": 1, "more": False}
    broken = rep_api.get("/tickets", {"cursor": "WyJhYmMiLDFd", "ordering": "priority"})
    assert broken.status_code == 422
    assert broken.json()["field_errors"] == {"cursor": ["Invalid cursor."]}


@pytest.mark.parametrize("limit", [1, 4])
def test_keyset_pages_walk_every_ticket_once(rep_api, rep, limit):
    customer = make_customer(rep)
    tickets = [
        make_ticket(customer, priority=["low", "high", "urgent"][n % 3], at=ANCHOR + datetime.timedelta(minutes=n % 2))
        for n in range(7)
    ]  # fmt: skip
    newest = walk_pages(rep_api, "/tickets", {}, limit)
    assert newest == [
        t.pk for t in sorted(tickets, key=lambda t: (t.opened_at, t.pk), reverse=True)
    ]
    by_priority = walk_pages(rep_api, "/tickets", {"ordering": "priority"}, limit)
    rank = {"low": 1, "high": 3, "urgent": 4}
    assert by_priority == [t.pk for t in sorted(tickets, key=lambda t: (rank[t.priority], t.pk), reverse=True)]  # fmt: skip


def test_lists_cost_the_same_queries_for_few_and_many_rows(org):
    caller = Caller(org.manager, "token")
    customer = make_customer(org.rep)
    first = make_ticket(customer, assignee=org.rep.pk, actor=org.manager)
    add_ticket_comment(actor=org.rep, ticket=first, data={"body": "0"})

    def calls():
        return [
            lambda: caller.get("/tickets", {"ordering": "priority"}),
            lambda: caller.get("/tickets", {"open": "true", "assignee": str(org.rep.pk)}),
            lambda: caller.get("/tickets/counts"),
            lambda: caller.get(f"/tickets/{first.pk}/comments"),
        ]

    caller.get("/tickets")  # the token's first use of the minute writes its last-used time
    small = [count_queries(call) for call in calls()]
    for number in range(1, 25):
        other = make_customer(org.branch_rep if number % 2 else org.rep)
        make_ticket(other, actor=org.manager, assignee=other.owner_id)
        add_ticket_comment(actor=org.rep, ticket=first, data={"body": str(number)})
    assert [count_queries(call) for call in calls()] == small
