"""What rules do besides moving states — tags, owner, team, public pool, tasks (for the owner,
the owner's manager, a person or a role, with a due offset), lock and unlock, webhooks —
each set-based over the customers the rule chose, each write audited under the rule's key.
A rule whose first action moves no state fires once when its condition comes to hold, and
again only after it stopped holding."""

import datetime
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.utils import timezone

from tend.activities.models import Task
from tend.audit.models import AuditEntry
from tend.customers.models import Customer
from tend.status.models import CustomerState, Rule, StateChange
from tend.status.rules import evaluate, rule_problems
from tests.factories import make_activity, make_customer

NOW = timezone.now().replace(microsecond=0)


def rule(condition, *actions, key="r"):
    return Rule(key=key, label_zh=key, condition=condition, actions=list(actions), enabled=True)


@pytest.fixture
def customers(org, admin):
    Rule.objects.update(enabled=False)
    talked = make_customer(org.branch_rep, name="已沟通有限公司")
    make_activity(talked, admin, valid_communication=True)
    quiet = make_customer(org.other_rep, name="未沟通有限公司")
    pooled = make_customer(admin, name="公海有限公司")
    Customer.objects.filter(pk=pooled.pk).update(owner=None, team=None)
    make_activity(pooled, admin, valid_communication=True)
    return {"talked": talked, "quiet": quiet, "pooled": pooled}


def test_tags_are_added_and_removed_with_an_audit_entry_each(customers):
    evaluate(rules=[rule("valid_activities >= 1", {"type": "add_tag", "tag": "重点跟进"})], now=NOW)
    tagged = set(Customer.objects.filter(tags__name="重点跟进").values_list("name", flat=True))
    assert tagged == {"已沟通有限公司", "公海有限公司"}
    entry = AuditEntry.objects.get(customer_id=customers["talked"].pk, actor_label="rule:r")
    assert entry.changes == {"tags": [None, "重点跟进"]}

    evaluate(
        rules=[rule("valid_activities >= 1", {"type": "remove_tag", "tag": "重点跟进"}, key="r2")],
        now=NOW,
    )
    assert not Customer.objects.filter(tags__name="重点跟进").exists()
    assert AuditEntry.objects.filter(actor_label="rule:r2").count() == 2


def test_owner_team_and_pool_are_assigned_and_audited(customers, org):
    evaluate(
        rules=[rule("valid_activities >= 1", {"type": "assign_owner", "user": "other_rep"})],
        now=NOW,
    )
    talked = Customer.objects.get(pk=customers["talked"].pk)
    assert (talked.owner_id, talked.team_id) == (org.other_rep.pk, org.other_team.pk)
    entry = AuditEntry.objects.get(customer_id=talked.pk, actor_label="rule:r")
    assert entry.changes["owner"] == [org.branch_rep.pk, org.other_rep.pk]

    evaluate(
        rules=[rule("true", {"type": "assign_team", "team": "杭州分部"}, key="to_branch")], now=NOW
    )
    assert set(Customer.objects.values_list("team_id", flat=True)) == {org.branch.pk}

    evaluate(rules=[rule("valid_activities == 0", {"type": "return_to_pool"}, key="p")], now=NOW)
    assert Customer.objects.get(pk=customers["quiet"].pk).owner_id is None
    assert Customer.objects.get(pk=customers["talked"].pk).owner_id == org.other_rep.pk


def test_tasks_go_to_the_owner_the_managers_a_person_or_a_role_with_their_due_date(
    customers, org, admin
):
    for key, assignee in [
        ("owner", "owner"),
        ("manager", "owner_manager"),
        ("person", "user:rep"),
        ("role", "role:sales_manager"),
    ]:
        evaluate(
            rules=[
                rule(
                    "true",
                    {
                        "type": "create_task",
                        "title": f"任务-{key}",
                        "assignee": assignee,
                        "due_in_days": 3,
                    },
                    key=key,
                )
            ],
            now=NOW,
        )
    tasks = {
        (task.title, task.customer.name): task.assignee.username
        for task in Task.objects.select_related("assignee", "customer")
    }
    # The owner; the pool customer's task falls back to the first administrator.
    assert tasks[("任务-owner", "已沟通有限公司")] == "branch_rep"
    assert tasks[("任务-owner", "公海有限公司")] == "admin"
    # The manager of the owner's team (the branch has none: the administrator).
    assert tasks[("任务-manager", "未沟通有限公司")] == "other_manager"
    assert tasks[("任务-manager", "已沟通有限公司")] == "admin"
    assert {tasks[("任务-person", name)] for name in ("已沟通有限公司", "未沟通有限公司")} == {
        "rep"
    }
    # A role: spread over its users.
    assert {
        tasks[("任务-role", name)] for name in ("已沟通有限公司", "未沟通有限公司", "公海有限公司")
    } == {
        "manager",
        "other_manager",
    }
    assert {task.due_at for task in Task.objects.all()} == {NOW + datetime.timedelta(days=3)}
    assert AuditEntry.objects.filter(object_type="activities.task").count() == Task.objects.count()


def test_a_task_rule_fires_once_while_its_condition_holds_and_again_after_it_stopped(
    customers, admin
):
    win_back = rule(
        "valid_activities >= 2",
        {"type": "create_task", "title": "再次拜访", "assignee": "owner", "due_in_days": 1},
    )
    talked = customers["talked"]
    assert evaluate(rules=[win_back], now=NOW).results[0].changed == 0
    make_activity(talked, admin, valid_communication=True)
    assert evaluate(rules=[win_back], now=NOW).results[0].changed == 1
    assert evaluate(rules=[win_back], now=NOW).results[0].changed == 0  # still holds: no repeat
    assert Task.objects.filter(customer=talked).count() == 1
    # The condition stops holding (an activity no longer counts), then holds again.
    talked.activities.filter(valid_communication=True).update(valid_communication=False)
    assert evaluate(rules=[win_back], now=NOW).results[0].matched == 0
    talked.activities.update(valid_communication=True)
    assert evaluate(rules=[win_back], now=NOW).results[0].changed == 1
    assert Task.objects.filter(customer=talked).count() == 2


def test_lock_and_unlock_move_the_collaboration_state(customers):
    evaluate(rules=[rule("valid_activities >= 1", {"type": "lock"}, key="lock")], now=NOW)
    locked = set(
        CustomerState.objects.filter(state__category="locked").values_list(
            "customer__name", flat=True
        )
    )
    assert locked == {"已沟通有限公司", "公海有限公司"}
    assert StateChange.objects.filter(rule_key="lock").count() == 2
    evaluate(rules=[rule("true", {"type": "unlock"}, key="unlock")], now=NOW)
    assert not CustomerState.objects.filter(state__category="locked").exists()
    assert set(
        CustomerState.objects.filter(change__rule_key="unlock").values_list("state__key", flat=True)
    ) == {"newly_assigned"}


def test_a_state_move_and_a_task_in_one_rule_act_together_once(customers):
    churn = rule(
        "valid_activities >= 1",
        {"type": "set_state", "dimension": "lifecycle", "state": "churned"},
        {"type": "create_task", "title": "启动挽回", "assignee": "owner", "due_in_days": 7},
    )
    assert evaluate(rules=[churn], now=NOW).results[0].changed == 2
    assert Task.objects.filter(title="启动挽回").count() == 2
    assert evaluate(rules=[churn], now=NOW).results[0].matched == 0
    assert Task.objects.filter(title="启动挽回").count() == 2


def test_a_webhook_receives_the_customers_after_the_commit(
    customers, django_capture_on_commit_callbacks
):
    received = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.handle_request)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/hook"
        with django_capture_on_commit_callbacks(execute=True):
            evaluate(
                rules=[rule("valid_activities >= 1", {"type": "webhook", "url": url})], now=NOW
            )
            assert received == []  # nothing leaves before the commit
        thread.join()
    finally:
        server.server_close()
    assert received == [
        {
            "rule": "r",
            "at": NOW.isoformat(),
            "customers": sorted([customers["talked"].pk, customers["pooled"].pk]),
        }
    ]


def test_bad_actions_are_refused_with_what_is_wrong(customers):
    problems = rule_problems(
        rule(
            "true",
            {"type": "add_tag", "tag": ""},
            {"type": "assign_owner", "user": "nobody"},
            {"type": "assign_team", "team": "无此团队"},
            {"type": "create_task", "title": "x", "assignee": "boss", "due_in_days": -1},
            {"type": "webhook", "url": "ftp://127.0.0.1/x"},
        )
    )
    assert problems == [
        "Action 1: give the tag, at most 50 characters.",
        "Action 2: no active user “nobody”.",
        "Action 3: no team “无此团队”.",
        "Action 4: due_in_days must be a whole number from 0 to 3650.",
        "Action 4: the assignee must be owner, owner_manager, user:<username> or role:<role>, "
        "not “boss”.",
        "Action 5: the webhook needs an http or https address.",
    ]


def test_notify_leaves_a_message_for_each_recipient_read_on_their_page(customers, org):
    from tend.status.models import Notification
    from tests.web.helpers import signed_in_client

    evaluate(
        rules=[
            rule(
                "valid_activities >= 1",
                {"type": "notify", "message": "客户沟通活跃", "to": "owner"},
                key="notify_owner",
            )
        ],
        now=NOW,
    )
    assert set(Notification.objects.values_list("recipient__username", "customer__name")) == {
        ("branch_rep", "已沟通有限公司"),
        ("admin", "公海有限公司"),
    }
    client = signed_in_client(org.branch_rep)
    page = client.get("/notifications/").content.decode()
    assert "客户沟通活跃" in page and "已沟通有限公司" in page and "1 unread" in page
    assert "公海有限公司" not in page  # someone else's notification
    client.post("/notifications/read/")
    assert "0 unread" in client.get("/notifications/").content.decode()
    assert Notification.objects.filter(recipient=org.branch_rep, read_at__isnull=True).count() == 0
