"""Reading tickets and feedback: visibility through the customer, filters, keyset pages in
both orders, capped counts per status, average times, per-customer counts and the timeline."""

import datetime

import pytest
from django.utils import timezone

from tend.core.errors import NotFound, ValidationFailed
from tend.core.pagination import capped_count
from tend.core.timeline import TimelineCursor, merged_timeline
from tend.customers.actions import assign_customer_owner
from tend.service.actions import (
    add_ticket_comment,
    change_feedback_status,
    change_ticket_status,
    delete_feedback,
    delete_ticket,
)
from tend.service.selectors import (
    FeedbackFilters,
    ServiceCounts,
    TicketFilters,
    access_feedback,
    access_ticket,
    customer_feedback,
    customer_service_counts,
    customer_tickets,
    feedback_page,
    feedback_status_counts,
    feedback_timeline_entries,
    filter_feedback,
    filter_tickets,
    service_counts,
    ticket_comments,
    ticket_history,
    ticket_page,
    ticket_status_counts,
    ticket_timeline_entries,
    ticket_times,
    visible_feedback,
    visible_tickets,
)
from tests.factories import make_customer
from tests.factories_service import make_feedback, make_ticket

ANCHOR = timezone.now().replace(microsecond=0) - datetime.timedelta(days=30)


def minutes(count):
    return ANCHOR + datetime.timedelta(minutes=count)


def walk(read_page, limit):
    """Every id, page after page, in the order served."""
    ids, cursor = [], None
    for _page in range(100):
        page = read_page(cursor=cursor, limit=limit)
        ids.extend(record.pk for record in page.items)
        cursor = page.next_cursor
        if cursor is None:
            return ids
    raise AssertionError("pagination did not end")


@pytest.fixture
def records(org):
    """Tickets and feedback of the rep, the branch rep, the other team and the public pool."""

    class Records:
        pass

    r = Records()
    r.mine = make_customer(org.rep, name="我的客户")
    r.branch = make_customer(org.branch_rep, name="分部客户")
    r.foreign = make_customer(org.other_rep, name="别人的客户")
    r.pool = make_customer(org.rep, name="公海客户")
    assign_customer_owner(actor=org.manager, customer=r.pool, owner=None)
    r.my_ticket = make_ticket(r.mine, subject="我的工单", at=minutes(1))
    r.branch_ticket = make_ticket(r.branch, subject="分部工单", at=minutes(2))
    r.foreign_ticket = make_ticket(r.foreign, subject="别人的工单", at=minutes(3))
    r.pool_ticket = make_ticket(r.pool, actor=org.rep, subject="公海工单", at=minutes(4))
    r.my_feedback = make_feedback(r.mine, subject="我的反馈", at=minutes(1))
    r.branch_feedback = make_feedback(r.branch, subject="分部反馈", at=minutes(2))
    r.foreign_feedback = make_feedback(r.foreign, subject="别人的反馈", at=minutes(3))
    return r


# --- visibility -------------------------------------------------------------------------------


def test_tickets_and_feedback_follow_their_customers_visibility(org, admin, records):
    r = records
    assert set(visible_tickets(org.rep)) == {r.my_ticket, r.pool_ticket}
    assert set(visible_tickets(org.manager)) == {r.my_ticket, r.branch_ticket, r.pool_ticket}
    assert set(visible_tickets(org.other_rep)) == {r.foreign_ticket, r.pool_ticket}
    assert visible_tickets(admin).count() == 4
    assert set(visible_feedback(org.rep)) == {r.my_feedback}
    assert set(visible_feedback(org.manager)) == {r.my_feedback, r.branch_feedback}
    assert visible_feedback(admin).count() == 3


def test_access_answers_not_found_for_what_the_reader_may_not_see(org, records):
    assert access_ticket(org.rep, records.my_ticket.pk) == records.my_ticket
    assert access_feedback(org.rep, records.my_feedback.pk) == records.my_feedback
    for ticket_id in (records.foreign_ticket.pk, records.branch_ticket.pk, 0, "x", 2**64):
        with pytest.raises(NotFound):
            access_ticket(org.rep, ticket_id)
    with pytest.raises(NotFound):
        access_feedback(org.rep, records.foreign_feedback.pk)


def test_a_ticket_stops_showing_when_its_customer_moves_away(org, records):
    assign_customer_owner(actor=org.manager, customer=records.mine, owner=org.branch_rep)
    assert records.my_ticket not in visible_tickets(org.rep)
    assert records.my_feedback not in visible_feedback(org.rep)
    assert records.my_ticket in visible_tickets(org.branch_rep)


def test_deleted_records_leave_every_list(org, records):
    delete_ticket(actor=org.rep, ticket=records.my_ticket)
    delete_feedback(actor=org.rep, feedback=records.my_feedback)
    assert set(visible_tickets(org.rep)) == {records.pool_ticket}
    assert list(visible_feedback(org.rep)) == []
    assert customer_tickets(records.mine) == []
    assert customer_feedback(records.mine) == []


# --- filters ----------------------------------------------------------------------------------


def test_ticket_filters(org, records):
    r = records
    urgent = make_ticket(r.mine, subject="紧急", priority="urgent", assignee=org.rep.pk)
    change_ticket_status(actor=org.rep, ticket=r.my_ticket, status="resolved")

    def ids(**filters):
        return set(filter_tickets(org.manager, TicketFilters(**filters)))

    assert ids(status="resolved") == {r.my_ticket}
    assert ids(status="open") == {r.branch_ticket, r.pool_ticket, urgent}
    assert ids(status="nonsense") == set()
    assert ids(priority="urgent") == {urgent}
    assert ids(priority="nonsense") == set()
    assert ids(open_only=True) == {r.branch_ticket, r.pool_ticket, urgent}
    assert ids(customer=r.mine.pk) == {r.my_ticket, urgent}
    assert ids(customer=str(r.foreign.pk)) == set()
    assert ids(customer="junk") == set()
    assert ids(assignee=str(org.rep.pk)) == {urgent}
    assert ids(assignee="none") == {r.my_ticket, r.branch_ticket, r.pool_ticket}
    assert ids(assignee="me") == set()
    assert set(filter_tickets(org.rep, TicketFilters(assignee="me"))) == {urgent}
    assert ids(assignee="99999999999999999999") == set()


def test_feedback_filters(org, records):
    r = records
    praise = make_feedback(r.mine, kind="praise", severity="medium")
    change_feedback_status(
        actor=org.rep, feedback=r.my_feedback, status="closed", resolution="已处理"
    )

    def ids(**filters):
        return set(filter_feedback(org.manager, FeedbackFilters(**filters)))

    assert ids(kind="praise") == {praise}
    assert ids(kind="complaint") == {r.my_feedback, r.branch_feedback}
    assert ids(kind="rant") == set()
    assert ids(severity="medium") == {praise}
    assert ids(status="closed") == {r.my_feedback}
    assert ids(open_only=True) == {r.branch_feedback, praise}
    assert ids(customer=r.branch.pk) == {r.branch_feedback}


# --- keyset pages -----------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [1, 2, 5])
def test_ticket_pages_walk_newest_first_and_by_priority_without_gaps(rep, limit):
    customer = make_customer(rep)
    priorities = ["low", "urgent", "normal", "high", "urgent", "low", "normal"]
    tickets = [
        make_ticket(customer, priority=priority, at=minutes(index % 3))
        for index, priority in enumerate(priorities)
    ]
    newest = walk(lambda **page: ticket_page(rep, TicketFilters(), **page), limit)
    expected = sorted(tickets, key=lambda t: (t.opened_at, t.pk), reverse=True)
    assert newest == [t.pk for t in expected]
    rank = {"low": 1, "normal": 2, "high": 3, "urgent": 4}
    by_priority = walk(
        lambda **page: ticket_page(rep, TicketFilters(), ordering="priority", **page), limit
    )
    expected = sorted(tickets, key=lambda t: (rank[t.priority], t.pk), reverse=True)
    assert by_priority == [t.pk for t in expected]


@pytest.mark.parametrize("limit", [1, 3])
def test_feedback_pages_walk_newest_first_and_by_severity_without_gaps(rep, limit):
    customer = make_customer(rep)
    severities = ["low", "critical", "medium", "high", "critical", "low"]
    items = [
        make_feedback(customer, severity=severity, at=minutes(index % 2))
        for index, severity in enumerate(severities)
    ]
    newest = walk(lambda **page: feedback_page(rep, FeedbackFilters(), **page), limit)
    assert newest == [
        f.pk for f in sorted(items, key=lambda f: (f.received_at, f.pk), reverse=True)
    ]
    rank = {"low": 1, "medium": 2, "high": 3, "critical": 4}
    by_severity = walk(
        lambda **page: feedback_page(rep, FeedbackFilters(), ordering="severity", **page), limit
    )
    assert by_severity == [f.pk for f in sorted(items, key=lambda f: (rank[f.severity], f.pk), reverse=True)]  # fmt: skip


@pytest.mark.parametrize("cursor", ["not-a-cursor", "WyJhYmMiLDFd", "WzEsImEiXQ"])
def test_a_damaged_cursor_is_an_invalid_one_in_either_order(rep, cursor):
    make_ticket(make_customer(rep))
    for ordering in ("newest", "priority"):
        with pytest.raises(ValidationFailed) as caught:
            ticket_page(rep, TicketFilters(), ordering=ordering, cursor=cursor)
        assert caught.value.field_errors == {"cursor": ["Invalid cursor."]}
    with pytest.raises(ValidationFailed):
        feedback_page(rep, FeedbackFilters(), ordering="severity", cursor=cursor)


# --- counts and times -------------------------------------------------------------------------


def test_counts_per_status_ignore_the_status_filter_and_are_exact_or_capped(
    org, records, monkeypatch
):
    """Ticket counts come exact from the kept totals; one customer's are counted from its
    tickets, capped (as feedback counts are)."""
    change_ticket_status(actor=org.manager, ticket=records.branch_ticket, status="in_progress")
    counts = ticket_status_counts(org.manager, TicketFilters(status="open"))
    assert counts == {
        "open": (2, False),
        "in_progress": (1, False),
        "waiting_on_customer": (0, False),
        "resolved": (0, False),
        "closed": (0, False),
    }
    assert ticket_status_counts(org.rep)["open"] == (2, False)
    monkeypatch.setattr(
        "tend.service.selectors.capped_count", lambda queryset: capped_count(queryset, cap=1)
    )
    assert ticket_status_counts(org.manager)["open"] == (2, False)
    make_ticket(records.mine, subject="第二张工单", at=minutes(5))
    assert ticket_status_counts(org.manager, TicketFilters(customer=records.mine.pk))["open"] == (
        1,
        True,
    )
    assert feedback_status_counts(org.manager)["new"] == (1, True)
    assert feedback_status_counts(org.manager, FeedbackFilters(kind="praise"))["new"] == (0, False)


def test_average_first_response_and_resolution_times(rep):
    customer = make_customer(rep)
    quick = make_ticket(customer, at=minutes(0))
    slow = make_ticket(customer, at=minutes(0))
    untouched = make_ticket(customer, at=minutes(0))
    add_ticket_comment(actor=rep, ticket=quick, data={"body": "收到"}, at=minutes(10))
    change_ticket_status(actor=rep, ticket=quick, status="resolved", at=minutes(60))
    change_ticket_status(actor=rep, ticket=slow, status="in_progress", at=minutes(30))
    change_ticket_status(actor=rep, ticket=slow, status="closed", at=minutes(180))
    times = ticket_times(rep)
    assert times.first_response == datetime.timedelta(minutes=20)
    assert times.resolution == datetime.timedelta(minutes=120)
    assert (times.responded, times.resolved) == (2, 2)
    only_open = ticket_times(rep, TicketFilters(open_only=True))
    assert only_open.first_response is None and only_open.resolution is None
    assert (only_open.responded, only_open.resolved) == (0, 0)
    assert untouched.first_response_time is None


def test_open_tickets_and_recent_complaints_per_customer_in_one_query(
    rep, django_assert_num_queries
):
    busy = make_customer(rep, name="忙客户")
    calm = make_customer(rep, name="安静客户")
    now = timezone.now()
    make_ticket(busy)
    waiting = make_ticket(busy)
    change_ticket_status(actor=rep, ticket=waiting, status="waiting_on_customer")
    done = make_ticket(busy)
    change_ticket_status(actor=rep, ticket=done, status="closed")
    gone = make_ticket(busy)
    delete_ticket(actor=rep, ticket=gone)
    make_feedback(busy, kind="complaint", at=now - datetime.timedelta(days=89))
    make_feedback(busy, kind="complaint", at=now - datetime.timedelta(days=91))
    make_feedback(busy, kind="suggestion", at=now)
    deleted = make_feedback(busy, kind="complaint", at=now)
    delete_feedback(actor=rep, feedback=deleted)
    make_feedback(calm, kind="praise", at=now)
    with django_assert_num_queries(1):
        counts = service_counts([busy.pk, calm.pk, 999999], now=now)
    assert counts == {
        busy.pk: ServiceCounts(open_tickets=2, recent_complaints=1),
        calm.pk: ServiceCounts(open_tickets=0, recent_complaints=0),
        999999: ServiceCounts(),
    }
    assert customer_service_counts(busy, now=now) == ServiceCounts(2, 1)
    assert service_counts([]) == {}


# --- thread, history and the customer page ----------------------------------------------------


def test_the_thread_is_oldest_first_and_the_history_newest_first(rep):
    ticket = make_ticket(make_customer(rep), at=minutes(0))
    second = add_ticket_comment(actor=rep, ticket=ticket, data={"body": "二"}, at=minutes(5))
    first = add_ticket_comment(actor=rep, ticket=ticket, data={"body": "一"}, at=minutes(2))
    assert list(ticket_comments(ticket)) == [first, second]
    change_ticket_status(actor=rep, ticket=ticket, status="resolved", note="修好了")
    history = ticket_history(ticket)
    assert history[0].note == "修好了"
    assert history[-1].action == "create"
    assert len(ticket_history(ticket, limit=1)) == 1


def test_customer_lists_are_newest_first_and_limited(rep):
    customer = make_customer(rep)
    tickets = [make_ticket(customer, at=minutes(index)) for index in range(3)]
    items = [make_feedback(customer, at=minutes(index)) for index in range(3)]
    assert customer_tickets(customer) == tickets[::-1]
    assert customer_tickets(customer, limit=2) == tickets[:0:-1]
    assert customer_feedback(customer) == items[::-1]


def test_timeline_entries_are_newest_first_and_continue_from_a_cursor(rep):
    customer = make_customer(rep)
    tickets = [make_ticket(customer, at=minutes(index)) for index in range(3)]
    feedback = make_feedback(customer, at=minutes(1))
    entries = ticket_timeline_entries(customer.pk, TimelineCursor(), 10)
    assert [entry.record for entry in entries] == tickets[::-1]
    assert entries[0].kind == "ticket"
    assert entries[0].template == "web/timeline/ticket.html"
    after = ticket_timeline_entries(
        customer.pk, TimelineCursor(minutes(1), "ticket", tickets[1].pk), 10
    )
    assert [entry.record for entry in after] == [tickets[0]]
    [received] = feedback_timeline_entries(customer.pk, TimelineCursor(), 10)
    assert (received.record, received.at, received.kind) == (feedback, minutes(1), "feedback")
    merged = merged_timeline(customer.pk, kinds={"ticket", "feedback"})
    assert [(entry.kind, entry.record_id) for entry in merged.items] == [
        ("ticket", tickets[2].pk),
        ("ticket", tickets[1].pk),
        ("feedback", feedback.pk),
        ("ticket", tickets[0].pk),
    ]
