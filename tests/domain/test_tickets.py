"""Tickets (工单): opening, changing, assigning, the one status action with its transitions,
first-response and resolution times, the reply thread, satisfaction, and deletion."""

import datetime

import pytest
from django.utils import timezone

from tend.audit.models import AuditAction
from tend.core.errors import NotFound, ValidationFailed
from tend.customers.actions import assign_customer_owner, delete_customer
from tend.recyclebin.actions import purge_expired, restore
from tend.service.actions import (
    add_ticket_comment,
    allowed_ticket_statuses,
    change_ticket_status,
    create_ticket,
    delete_ticket,
    rate_ticket,
    update_ticket,
)
from tend.service.models import Ticket, TicketComment
from tend.service.selectors import access_ticket
from tests.domain.support import audit_for, row_counts
from tests.factories import make_contact, make_customer, make_user
from tests.factories_service import make_ticket

# One moment for the whole module; minutes(n) is n minutes after it.
ANCHOR = timezone.now().replace(microsecond=0) - datetime.timedelta(days=10)


def minutes(count):
    return ANCHOR + datetime.timedelta(minutes=count)


def service_rows():
    return {
        **row_counts(),
        "tickets": Ticket.objects.count(),
        "comments": TicketComment.objects.count(),
    }


@pytest.fixture
def customer(rep):
    return make_customer(rep, name="杭州青木科技")


@pytest.fixture
def ticket(customer):
    return make_ticket(customer, subject="打印机故障", at=minutes(0))


# --- opening and changing ---------------------------------------------------------------------


def test_opening_a_ticket_records_who_when_and_audits_it(rep, customer):
    contact = make_contact(customer, name="王芳")
    ticket = create_ticket(
        actor=rep,
        data={
            "customer": customer.pk,
            "contact": contact.pk,
            "subject": "打印机故障",
            "description": "无法开机",
            "priority": "high",
            "assignee": rep.pk,
        },
        at=minutes(0),
    )
    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert ticket.priority == "high"
    assert ticket.priority_rank == 3
    assert ticket.opened_by == rep
    assert ticket.opened_at == minutes(0)
    assert ticket.first_response_at is None
    assert ticket.resolved_at is None
    [entry] = audit_for(ticket)
    assert entry.action == AuditAction.CREATE
    assert entry.customer_id == customer.pk
    assert entry.changes == {
        "subject": [None, "打印机故障"],
        "description": [None, "无法开机"],
        "priority": [None, "high"],
        "status": [None, "open"],
        "contact": [None, contact.pk],
        "assignee": [None, rep.pk],
        "opened_at": [None, minutes(0).isoformat()],
    }


def test_a_ticket_is_normal_priority_and_unassigned_unless_told(rep, customer):
    ticket = create_ticket(actor=rep, data={"customer": customer.pk, "subject": "咨询"})
    assert ticket.priority == "normal"
    assert ticket.assignee is None
    assert ticket.contact is None
    assert abs(ticket.opened_at - timezone.now()) < datetime.timedelta(minutes=1)


@pytest.mark.parametrize(
    "data, errors",
    [
        ({"subject": ""}, {"subject": ["This field is required."]}),
        ({"subject": "x" * 201}, {"subject": ["Ensure this value has at most 200 characters (it has 201)."]}),
        ({"priority": "whenever"}, {"priority": ["Select a valid choice. whenever is not one of the available choices."]}),
        ({"status": "closed"}, {"status": ["This field is unknown or cannot be set here."]}),
        ({"satisfaction": 5}, {"satisfaction": ["This field is unknown or cannot be set here."]}),
        ({"opened_by": 1}, {"opened_by": ["This field is unknown or cannot be set here."]}),
    ],
)  # fmt: skip
def test_bad_ticket_input_gives_field_errors_and_writes_nothing(rep, customer, data, errors):
    before = service_rows()
    with pytest.raises(ValidationFailed) as refused:
        create_ticket(actor=rep, data={"customer": customer.pk, "subject": "咨询", **data})
    assert refused.value.field_errors == errors
    assert service_rows() == before


def test_a_ticket_needs_a_customer_the_actor_may_see(org):
    hidden = make_customer(org.other_rep, name="别人的客户")
    before = service_rows()
    with pytest.raises(ValidationFailed) as refused:
        create_ticket(actor=org.rep, data={"customer": hidden.pk, "subject": "x"})
    assert refused.value.field_errors == {"customer": ["Unknown customer."]}
    with pytest.raises(ValidationFailed) as missing:
        create_ticket(actor=org.rep, data={"subject": "x"})
    assert missing.value.field_errors == {"customer": ["This field is required."]}
    assert service_rows() == before


def test_the_contact_must_belong_to_the_ticket_customer(rep, customer):
    elsewhere = make_contact(make_customer(rep, name="另一家"), name="李雷")
    with pytest.raises(ValidationFailed) as refused:
        make_ticket(customer, contact=elsewhere.pk)
    assert refused.value.field_errors == {
        "contact": ["This contact does not belong to the customer."]
    }


def test_a_manager_assigns_a_ticket_to_a_member_who_sees_the_customer(org):
    customer = make_customer(org.branch_rep, name="分部客户")
    ticket = make_ticket(customer, actor=org.manager, assignee=org.branch_rep.pk)
    assert ticket.assignee == org.branch_rep


def test_a_ticket_goes_only_to_someone_the_actor_may_assign_and_who_sees_the_customer(org):
    customer = make_customer(org.rep, name="华东客户")
    before = service_rows()
    with pytest.raises(ValidationFailed) as outside:
        make_ticket(customer, actor=org.manager, assignee=org.other_rep.pk)
    assert outside.value.field_errors == {"assignee": ["You cannot assign tickets to this user."]}
    # The branch rep is the manager's to assign, but may not see the rep's customer.
    with pytest.raises(ValidationFailed) as blind:
        make_ticket(customer, actor=org.manager, assignee=org.branch_rep.pk)
    assert blind.value.field_errors == {"assignee": ["This user cannot see the ticket's customer."]}
    with pytest.raises(ValidationFailed) as rep_refused:
        make_ticket(customer, actor=org.rep, assignee=org.branch_rep.pk)
    assert rep_refused.value.field_errors == {
        "assignee": ["You cannot assign tickets to this user."]
    }
    assert service_rows() == before


def test_updating_a_ticket_changes_what_is_given_and_audits_the_difference(rep, customer, ticket):
    contact = make_contact(customer, name="王芳")
    changed = update_ticket(
        actor=rep, ticket=ticket, data={"priority": "urgent", "contact": contact.pk}
    )
    changed.refresh_from_db()
    assert changed.priority == "urgent"
    assert changed.priority_rank == 4
    assert changed.subject == "打印机故障"
    assert changed.contact == contact
    entry = audit_for(ticket)[-1]
    assert entry.action == AuditAction.UPDATE
    assert entry.changes == {"priority": ["normal", "urgent"], "contact": [None, contact.pk]}


def test_an_update_that_changes_nothing_writes_no_audit_entry(rep, ticket):
    update_ticket(actor=rep, ticket=ticket, data={"subject": "打印机故障"})
    assert len(audit_for(ticket)) == 1


def test_an_unchanged_assignee_is_kept_even_if_the_editor_could_not_choose_it(org):
    customer = make_customer(org.rep, name="客户")
    ticket = make_ticket(customer, actor=org.manager, assignee=org.rep.pk)
    # Another rep of the team could not assign the ticket to the rep, but may keep it.
    assign_customer_owner(actor=org.manager, customer=customer, owner=None)
    colleague = make_user(team=org.team, username="colleague")
    changed = update_ticket(
        actor=colleague, ticket=ticket, data={"subject": "新标题", "assignee": org.rep.pk}
    )
    assert changed.assignee == org.rep
    with pytest.raises(ValidationFailed) as refused:
        update_ticket(actor=colleague, ticket=ticket, data={"assignee": org.manager.pk})
    assert refused.value.field_errors == {"assignee": ["You cannot assign tickets to this user."]}


def test_the_customer_of_a_ticket_cannot_be_changed(rep, customer, ticket):
    other = make_customer(rep, name="另一家")
    with pytest.raises(ValidationFailed) as refused:
        update_ticket(actor=rep, ticket=ticket, data={"customer": other.pk})
    assert refused.value.field_errors == {
        "customer": ["This field is unknown or cannot be set here."]
    }


# --- status, first response and resolution ----------------------------------------------------


def test_leaving_open_is_the_first_response_and_resolving_sets_the_resolution_time(rep, ticket):
    change_ticket_status(actor=rep, ticket=ticket, status="in_progress", at=minutes(30))
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"
    assert ticket.first_response_at == minutes(30)
    assert ticket.first_response_time == datetime.timedelta(minutes=30)
    assert ticket.resolved_at is None
    assert ticket.resolution_time is None

    change_ticket_status(actor=rep, ticket=ticket, status="resolved", at=minutes(90))
    ticket.refresh_from_db()
    assert ticket.resolved_at == minutes(90)
    assert ticket.resolution_time == datetime.timedelta(minutes=90)
    assert ticket.first_response_at == minutes(30)


def test_closing_a_resolved_ticket_keeps_the_time_it_was_resolved(rep, ticket):
    change_ticket_status(actor=rep, ticket=ticket, status="resolved", at=minutes(10))
    change_ticket_status(actor=rep, ticket=ticket, status="closed", at=minutes(60))
    ticket.refresh_from_db()
    assert ticket.status == "closed"
    assert ticket.resolved_at == minutes(10)
    # Closed straight from open: the first response and the resolution are the same moment.
    other = make_ticket(ticket.customer, at=minutes(0))
    change_ticket_status(actor=rep, ticket=other, status="closed", at=minutes(5))
    other.refresh_from_db()
    assert other.first_response_at == minutes(5)
    assert other.resolved_at == minutes(5)


def test_reopening_clears_the_resolution_and_satisfaction_but_keeps_the_first_response(rep, ticket):
    change_ticket_status(actor=rep, ticket=ticket, status="resolved", at=minutes(20))
    rate_ticket(actor=rep, ticket=ticket, data={"satisfaction": 2, "satisfaction_comment": "慢"})
    change_ticket_status(actor=rep, ticket=ticket, status="closed", at=minutes(30))
    change_ticket_status(
        actor=rep, ticket=ticket, status="open", note="客户说又坏了", at=minutes(40)
    )
    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert ticket.resolved_at is None
    assert ticket.satisfaction is None
    assert ticket.satisfaction_comment == ""
    assert ticket.first_response_at == minutes(20)
    change_ticket_status(actor=rep, ticket=ticket, status="resolved", at=minutes(100))
    ticket.refresh_from_db()
    assert ticket.resolved_at == minutes(100)
    assert ticket.first_response_at == minutes(20)


def test_every_status_change_is_audited_with_its_note(rep, ticket):
    change_ticket_status(
        actor=rep, ticket=ticket, status="waiting_on_customer", note="等客户回电", at=minutes(5)
    )
    entry = audit_for(ticket)[-1]
    assert entry.action == AuditAction.UPDATE
    assert entry.actor == rep
    assert entry.note == "等客户回电"
    assert entry.changes == {
        "status": ["open", "waiting_on_customer"],
        "first_response_at": [None, minutes(5).isoformat()],
    }


@pytest.mark.parametrize(
    "path, refused, message",
    [
        ([], "open", "The ticket is already “Open”."),
        (["in_progress"], "open", "A ticket cannot move from “In progress” to “Open”."),
        (["resolved"], "in_progress", "A ticket cannot move from “Resolved” to “In progress”."),
        (["closed"], "resolved", "A ticket cannot move from “Closed” to “Resolved”."),
        (["closed"], "waiting_on_customer", "A ticket cannot move from “Closed” to “Waiting on customer”."),
    ],
)  # fmt: skip
def test_moves_outside_the_transitions_are_refused_with_a_clear_error(
    rep, ticket, path, refused, message
):
    for status in path:
        change_ticket_status(actor=rep, ticket=ticket, status=status)
    ticket.refresh_from_db()
    before_status = ticket.status
    entries = len(audit_for(ticket))
    with pytest.raises(ValidationFailed) as caught:
        change_ticket_status(actor=rep, ticket=ticket, status=refused)
    assert str(caught.value.message) == message
    assert caught.value.field_errors == {"status": [message]}
    ticket.refresh_from_db()
    assert ticket.status == before_status
    assert len(audit_for(ticket)) == entries


def test_an_unknown_status_is_a_field_error(rep, ticket):
    with pytest.raises(ValidationFailed) as caught:
        change_ticket_status(actor=rep, ticket=ticket, status="lost")
    assert caught.value.field_errors == {
        "status": ["Select a valid choice. lost is not one of the available choices."]
    }


def test_the_allowed_statuses_follow_the_current_one(rep, ticket):
    assert allowed_ticket_statuses(ticket) == [
        "in_progress",
        "waiting_on_customer",
        "resolved",
        "closed",
    ]
    change_ticket_status(actor=rep, ticket=ticket, status="closed")
    ticket.refresh_from_db()
    assert allowed_ticket_statuses(ticket) == ["open"]


# --- the thread -------------------------------------------------------------------------------


def test_the_first_public_reply_is_the_first_response(rep, ticket):
    note = add_ticket_comment(
        actor=rep, ticket=ticket, data={"body": "内部备注", "public": False}, at=minutes(3)
    )
    words = add_ticket_comment(
        actor=rep,
        ticket=ticket,
        data={"body": "客户来电说还是不行", "from_customer": True},
        at=minutes(4),
    )
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    reply = add_ticket_comment(actor=rep, ticket=ticket, data={"body": "已安排上门"}, at=minutes(7))
    later = add_ticket_comment(
        actor=rep, ticket=ticket, data={"body": "工程师已出发"}, at=minutes(9)
    )
    ticket.refresh_from_db()
    assert ticket.first_response_at == minutes(7)
    assert ticket.first_response_time == datetime.timedelta(minutes=7)
    assert (note.public, note.from_customer) == (False, False)
    assert (words.public, words.from_customer) == (True, True)
    assert (reply.public, reply.author, reply.at) == (True, rep, minutes(7))
    assert later.at == minutes(9)
    # Moving out of open afterwards does not move the first response.
    change_ticket_status(actor=rep, ticket=ticket, status="in_progress", at=minutes(30))
    ticket.refresh_from_db()
    assert ticket.first_response_at == minutes(7)


def test_a_status_move_before_any_reply_is_the_first_response(rep, ticket):
    change_ticket_status(actor=rep, ticket=ticket, status="in_progress", at=minutes(2))
    add_ticket_comment(actor=rep, ticket=ticket, data={"body": "已处理"}, at=minutes(8))
    ticket.refresh_from_db()
    assert ticket.first_response_at == minutes(2)


def test_comments_are_audited_on_the_customer_history(rep, customer, ticket):
    comment = add_ticket_comment(actor=rep, ticket=ticket, data={"body": "已回复"}, at=minutes(1))
    [entry] = audit_for(comment)
    assert entry.action == AuditAction.CREATE
    assert entry.customer_id == customer.pk
    assert entry.changes == {
        "body": [None, "已回复"],
        "public": [None, True],
        "from_customer": [None, False],
        "at": [None, minutes(1).isoformat()],
    }
    ticket_entry = audit_for(ticket)[-1]
    assert ticket_entry.changes == {"first_response_at": [None, minutes(1).isoformat()]}


@pytest.mark.parametrize(
    "data, errors",
    [
        ({}, {"body": ["This field is required."]}),
        ({"body": "   "}, {"body": ["This field is required."]}),
        ({"body": "x" * 10001}, {"body": ["Ensure this value has at most 10000 characters (it has 10001)."]}),
        ({"body": "hi", "author": 1}, {"author": ["This field is unknown or cannot be set here."]}),
    ],
)  # fmt: skip
def test_a_bad_comment_is_refused_and_writes_nothing(rep, ticket, data, errors):
    before = service_rows()
    with pytest.raises(ValidationFailed) as caught:
        add_ticket_comment(actor=rep, ticket=ticket, data=data)
    assert caught.value.field_errors == errors
    assert service_rows() == before
    ticket.refresh_from_db()
    assert ticket.first_response_at is None


# --- satisfaction -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["open", "in_progress", "waiting_on_customer"])
def test_satisfaction_waits_until_the_ticket_is_resolved_or_closed(rep, ticket, status):
    if status != "open":
        change_ticket_status(actor=rep, ticket=ticket, status=status)
    entries = len(audit_for(ticket))
    with pytest.raises(ValidationFailed) as caught:
        rate_ticket(actor=rep, ticket=ticket, data={"satisfaction": 5})
    assert caught.value.field_errors == {
        "satisfaction": ["Satisfaction can be recorded once the ticket is resolved or closed."]
    }
    ticket.refresh_from_db()
    assert ticket.satisfaction is None
    assert len(audit_for(ticket)) == entries


@pytest.mark.parametrize("status", ["resolved", "closed"])
def test_satisfaction_is_recorded_on_a_done_ticket_and_can_be_corrected(rep, ticket, status):
    change_ticket_status(actor=rep, ticket=ticket, status=status)
    rate_ticket(actor=rep, ticket=ticket, data={"satisfaction": 4, "satisfaction_comment": "及时"})
    ticket.refresh_from_db()
    assert (ticket.satisfaction, ticket.satisfaction_comment) == (4, "及时")
    rate_ticket(actor=rep, ticket=ticket, data={"satisfaction": 5})
    ticket.refresh_from_db()
    assert (ticket.satisfaction, ticket.satisfaction_comment) == (5, "")
    entry = audit_for(ticket)[-1]
    assert entry.changes == {"satisfaction": [4, 5], "satisfaction_comment": ["及时", ""]}


@pytest.mark.parametrize(
    "score, message",
    [
        (0, "Ensure this value is greater than or equal to 1."),
        (6, "Ensure this value is less than or equal to 5."),
        ("great", "Enter a whole number."),
        (None, "This field is required."),
    ],
)
def test_satisfaction_is_a_score_from_one_to_five(rep, ticket, score, message):
    change_ticket_status(actor=rep, ticket=ticket, status="resolved")
    with pytest.raises(ValidationFailed) as caught:
        rate_ticket(actor=rep, ticket=ticket, data={"satisfaction": score})
    assert caught.value.field_errors == {"satisfaction": [message]}
    ticket.refresh_from_db()
    assert ticket.satisfaction is None


# --- deletion ---------------------------------------------------------------------------------


def test_a_deleted_ticket_leaves_the_lists_and_comes_back_from_the_bin(rep, ticket):
    add_ticket_comment(actor=rep, ticket=ticket, data={"body": "回复"})
    delete_ticket(actor=rep, ticket=ticket)
    with pytest.raises(NotFound):
        access_ticket(rep, ticket.pk)
    assert audit_for(ticket)[-1].action == AuditAction.DELETE
    ticket.refresh_from_db()
    restore(actor=rep, record=ticket)
    assert access_ticket(rep, ticket.pk).comments.count() == 1


def test_a_ticket_goes_and_comes_back_with_its_customer(rep, customer, ticket):
    delete_customer(actor=rep, customer=customer)
    ticket.refresh_from_db()
    assert ticket.is_deleted
    customer.refresh_from_db()
    restore(actor=rep, record=customer)
    ticket.refresh_from_db()
    assert not ticket.is_deleted


def test_purging_a_ticket_takes_its_comments_with_it(rep, ticket):
    add_ticket_comment(actor=rep, ticket=ticket, data={"body": "回复"})
    other = make_ticket(ticket.customer)
    add_ticket_comment(actor=rep, ticket=other, data={"body": "留下"})
    delete_ticket(actor=rep, ticket=ticket)
    purged = purge_expired(cutoff=timezone.now() + datetime.timedelta(seconds=1))
    assert purged == 1
    assert not Ticket.objects.filter(pk=ticket.pk).exists()
    assert list(TicketComment.objects.values_list("body", flat=True)) == ["留下"]
