"""Tasks (待办): who may assign them to whom, done and reopened, and who sees them."""

import datetime

import pytest
from django.utils import timezone

from tend.accounts.models import Role
from tend.activities.actions import create_task, delete_task, set_task_done, update_task
from tend.activities.models import Task
from tend.activities.selectors import access_task, customer_tasks, open_tasks_for, visible_tasks
from tend.audit.models import AuditAction
from tend.core.errors import NotFound, ValidationFailed
from tend.customers.actions import assign_customer_owner, delete_customer
from tests.domain.support import audit_for, row_counts
from tests.factories import make_customer, make_task, make_user

# One moment for the whole module, so that due(2) means the same time every time it is used.
ANCHOR = timezone.now().replace(microsecond=0)


def due(days):
    return ANCHOR + datetime.timedelta(days=days)


def test_a_task_is_assigned_to_its_creator_by_default(org):
    task = create_task(actor=org.rep, data={"title": "回访报价", "due_at": due(2).isoformat()})
    task.refresh_from_db()
    assert task.assignee == org.rep
    assert task.created_by == org.rep
    assert task.kind == "follow_up"
    assert task.customer is None
    assert task.due_at == due(2)
    assert task.done_at is None


def test_creating_a_task_is_audited_on_the_customers_history(org):
    customer = make_customer(org.rep)
    task = create_task(
        actor=org.rep,
        data={"title": "上门拜访", "kind": "visit", "due_at": due(1), "customer": customer.pk},
    )
    [entry] = audit_for(task)
    assert entry.action == AuditAction.CREATE
    assert entry.actor == org.rep
    assert entry.customer_id == customer.pk
    assert entry.changes == {
        "title": [None, "上门拜访"],
        "kind": [None, "visit"],
        "due_at": [None, due(1).isoformat()],
        "assignee": [None, org.rep.pk],
        "customer": [None, customer.pk],
    }


@pytest.mark.parametrize("member", ["rep", "branch_rep"])
def test_a_manager_assigns_a_task_to_a_member_of_their_teams(org, member):
    assignee = getattr(org, member)
    task = make_task(org.manager, assignee=assignee.pk)
    assert task.assignee == assignee
    assert task.created_by == org.manager


def test_a_manager_cannot_assign_a_task_outside_their_teams(org):
    before = row_counts()
    with pytest.raises(ValidationFailed) as caught:
        make_task(org.manager, assignee=org.other_rep.pk)
    assert caught.value.field_errors == {"assignee": ["You cannot assign tasks to this user."]}
    assert row_counts() == before


def test_a_rep_cannot_assign_a_task_to_another_rep(org):
    before = row_counts()
    for other in (org.branch_rep, org.other_rep, org.manager):
        with pytest.raises(ValidationFailed) as caught:
            make_task(org.rep, assignee=other.pk)
        assert caught.value.field_errors == {"assignee": ["You cannot assign tasks to this user."]}
    assert row_counts() == before


def test_an_admin_assigns_a_task_to_anyone(org, admin):
    assert make_task(admin, assignee=org.other_rep.pk).assignee == org.other_rep


def test_a_task_about_a_customer_the_actor_may_not_see_is_refused(org):
    theirs = make_customer(org.other_rep)
    before = row_counts()
    with pytest.raises(ValidationFailed) as caught:
        make_task(org.rep, customer=theirs.pk)
    assert caught.value.field_errors == {"customer": ["Unknown customer."]}
    assert row_counts() == before


def test_a_task_about_a_deleted_customer_is_refused(org):
    customer = make_customer(org.rep)
    delete_customer(actor=org.rep, customer=customer)
    with pytest.raises(ValidationFailed) as caught:
        make_task(org.rep, customer=customer.pk)
    assert caught.value.field_errors == {"customer": ["Unknown customer."]}


def test_a_task_needs_a_title_and_a_due_time_and_refuses_protected_fields(org):
    with pytest.raises(ValidationFailed) as caught:
        create_task(actor=org.rep, data={})
    assert sorted(caught.value.field_errors) == ["due_at", "title"]
    with pytest.raises(ValidationFailed) as caught:
        make_task(org.rep, created_by=org.manager.pk, done_at=due(0))
    assert sorted(caught.value.field_errors) == ["created_by", "done_at"]
    assert Task.objects.count() == 0


def test_marking_a_task_done_and_reopening_it_are_audited(org):
    task = make_task(org.rep)
    set_task_done(actor=org.rep, task=task, done=True)
    task.refresh_from_db()
    done_at = task.done_at
    assert done_at is not None
    assert task.is_done
    set_task_done(actor=org.rep, task=task, done=False)
    task.refresh_from_db()
    assert task.done_at is None
    [_created, done, reopened] = audit_for(task)
    assert done.action == AuditAction.UPDATE
    assert done.changes == {"done_at": [None, done_at.isoformat()]}
    assert reopened.changes == {"done_at": [done_at.isoformat(), None]}


def test_marking_a_done_task_done_again_keeps_its_time_and_writes_nothing(org):
    task = set_task_done(actor=org.rep, task=make_task(org.rep), done=True)
    first_done_at = task.done_at
    entries = len(audit_for(task))
    set_task_done(actor=org.rep, task=task, done=True)
    task.refresh_from_db()
    assert task.done_at == first_done_at
    assert len(audit_for(task)) == entries


def test_a_task_update_is_partial_and_records_the_diff(org):
    task = make_task(org.manager, title="准备方案", assignee=org.rep.pk, due_at=due(3))
    update_task(actor=org.manager, task=task, data={"due_at": due(5), "notes": "带上报价单"})
    task.refresh_from_db()
    assert task.title == "准备方案"
    assert task.assignee == org.rep
    assert task.due_at == due(5)
    assert audit_for(task)[-1].changes == {
        "due_at": [due(3).isoformat(), due(5).isoformat()],
        "notes": ["", "带上报价单"],
    }


def test_a_rep_cannot_hand_a_task_to_someone_else_by_updating_it(org):
    task = make_task(org.rep)
    with pytest.raises(ValidationFailed):
        update_task(actor=org.rep, task=task, data={"assignee": org.branch_rep.pk})
    task.refresh_from_db()
    assert task.assignee == org.rep


def test_deleting_a_task_is_soft_and_audited(org):
    task = make_task(org.rep)
    batch = delete_task(actor=org.rep, task=task)
    task.refresh_from_db()
    assert task.deleted_at is not None
    assert task.deletion_batch == batch
    assert [entry.action for entry in audit_for(task)] == [AuditAction.CREATE, AuditAction.DELETE]


# --- visibility ---------------------------------------------------------------------------


def test_task_visibility_follows_assignee_creator_manager_and_customer(org, admin):
    own_customer = make_customer(org.rep)
    mine = make_task(org.rep)
    for_branch_rep = make_task(org.manager, assignee=org.branch_rep.pk)
    about_my_customer = make_task(org.manager, customer=own_customer.pk)
    theirs = make_task(org.other_rep)
    service = make_user(role=Role.SERVICE, team=org.team)
    services = make_task(service)

    assert set(visible_tasks(org.rep)) == {mine, about_my_customer}
    assert set(visible_tasks(org.branch_rep)) == {for_branch_rep}
    # The manager: created two, manages the assignees of all but the other team's.
    assert set(visible_tasks(org.manager)) == {mine, for_branch_rep, about_my_customer, services}
    assert set(visible_tasks(org.other_rep)) == {theirs}
    assert set(visible_tasks(org.other_manager)) == {theirs}
    assert set(visible_tasks(admin)) == {mine, for_branch_rep, about_my_customer, theirs, services}


def test_a_task_about_a_pool_customer_is_visible_to_everyone_who_sees_the_pool(org):
    customer = make_customer(org.rep)
    task = make_task(org.rep, customer=customer.pk)
    assert task not in set(visible_tasks(org.other_rep))
    assign_customer_owner(actor=org.rep, customer=customer, owner=None)
    assert task in set(visible_tasks(org.other_rep))


def test_access_task_answers_not_found_for_invisible_and_deleted_tasks(org):
    mine = make_task(org.rep)
    theirs = make_task(org.other_rep)
    assert access_task(org.rep, mine.pk) == mine
    with pytest.raises(NotFound):
        access_task(org.rep, theirs.pk)
    delete_task(actor=org.rep, task=mine)
    with pytest.raises(NotFound):
        access_task(org.rep, mine.pk)
    with pytest.raises(NotFound):
        access_task(org.rep, "nope")


def test_open_tasks_are_the_users_own_most_urgent_first(org):
    later = make_task(org.rep, due_at=due(3), title="later")
    overdue = make_task(org.rep, due_at=due(-2), title="overdue")
    same_time_first = make_task(org.rep, due_at=due(1), title="tie 1")
    same_time_second = make_task(org.rep, due_at=due(1), title="tie 2")
    done = set_task_done(actor=org.rep, task=make_task(org.rep, due_at=due(0)), done=True)
    gone = make_task(org.rep, due_at=due(0))
    delete_task(actor=org.rep, task=gone)
    created_for_others = make_task(org.manager, assignee=org.branch_rep.pk, due_at=due(0))
    customer = make_customer(org.rep)
    with_deleted_customer = make_task(org.rep, customer=customer.pk, due_at=due(0))
    delete_customer(actor=org.rep, customer=customer)

    assert list(open_tasks_for(org.rep)) == [overdue, same_time_first, same_time_second, later]
    assert list(open_tasks_for(org.branch_rep)) == [created_for_others]
    assert done not in open_tasks_for(org.rep)
    assert with_deleted_customer not in open_tasks_for(org.rep)


def test_customer_tasks_list_open_ones_first_then_by_due_time(org):
    customer = make_customer(org.rep)
    late_open = make_task(org.rep, customer=customer.pk, due_at=due(5))
    early_done = set_task_done(
        actor=org.rep, task=make_task(org.rep, customer=customer.pk, due_at=due(-5)), done=True
    )
    early_open = make_task(org.rep, customer=customer.pk, due_at=due(1))
    gone = make_task(org.rep, customer=customer.pk, due_at=due(2))
    delete_task(actor=org.rep, task=gone)
    make_task(org.rep, due_at=due(0))  # about no customer
    assert list(customer_tasks(customer)) == [early_open, late_open, early_done]
