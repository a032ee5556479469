"""My tasks: open ones, most urgent first, overdue marked; creating, editing, completing."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tend.activities.models import Task
from tend.audit.models import AuditEntry
from tests.factories import make_customer, make_task
from tests.web.helpers import field_errors, input_value, signed_in_client

HTMX = {"HTTP_HX_REQUEST": "true"}


def _titles(response) -> list[str]:
    return re.findall(r'class="task-title"[^>]*>([^<]+)</a>', response.content.decode())


def test_my_tasks_are_most_urgent_first_with_overdue_marked(rep, rep_client, other_rep):
    now = timezone.now()
    make_task(rep, title="下周", due_at=now + datetime.timedelta(days=7))
    make_task(rep, title="昨天", due_at=now - datetime.timedelta(days=1))
    make_task(rep, title="明天", due_at=now + datetime.timedelta(days=1))
    done = make_task(rep, title="已完成", due_at=now - datetime.timedelta(days=2))
    Task.objects.filter(pk=done.pk).update(done_at=now)
    make_task(other_rep, title="别人的")
    response = rep_client.get(reverse("web:task_list"))
    assert response.status_code == 200
    assert _titles(response) == ["昨天", "明天", "下周"]
    page = response.content.decode()
    overdue = re.findall(r'<li class="task-row([^"]*)"', page)
    assert overdue == [" is-overdue", "", ""]
    assert "Overdue" in page


def test_done_tasks_are_shown_when_asked(rep, rep_client):
    done = make_task(rep, title="已完成")
    Task.objects.filter(pk=done.pk).update(done_at=timezone.now())
    make_task(rep, title="未完成")
    assert _titles(rep_client.get(reverse("web:task_list"))) == ["未完成"]
    assert _titles(rep_client.get(reverse("web:task_list") + "?done=1")) == ["未完成", "已完成"]


def test_toggle_with_htmx_returns_the_row(rep, rep_client):
    task = make_task(rep, title="回电话")
    response = rep_client.post(
        reverse("web:task_toggle", args=[task.pk]), {"done": "1", "show_customer": "1"}, **HTMX
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert page.strip().startswith(f'<li class="task-row is-done" id="task-{task.pk}">')
    assert 'name="done" value="0"' in page
    task.refresh_from_db()
    assert task.done_at is not None

    response = rep_client.post(reverse("web:task_toggle", args=[task.pk]), {"done": "0"}, **HTMX)
    task.refresh_from_db()
    assert task.done_at is None
    assert 'name="done" value="1"' in response.content.decode()


def test_toggle_without_htmx_goes_back(rep, rep_client):
    task = make_task(rep, title="回电话")
    response = rep_client.post(
        reverse("web:task_toggle", args=[task.pk]), {"next": "/tasks/?done=1"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/tasks/?done=1"
    task.refresh_from_db()
    assert task.done_at is not None


def test_toggle_ignores_a_next_pointing_elsewhere(rep, rep_client):
    task = make_task(rep)
    response = rep_client.post(
        reverse("web:task_toggle", args=[task.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("web:task_list")


def test_create_task_for_a_customer(rep, rep_client):
    customer = make_customer(rep, name="青木科技")
    form = rep_client.get(reverse("web:task_create") + f"?customer={customer.pk}")
    assert input_value(form, "customer") == str(customer.pk)
    assert "青木科技" in form.content.decode()
    response = rep_client.post(
        reverse("web:task_create"),
        {
            "title": "发送报价",
            "kind": "email",
            "due_at": "2099-03-01T09:30",
            "notes": "附上产品手册",
            "assignee": str(rep.pk),
            "customer": str(customer.pk),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("web:customer_detail", args=[customer.pk]) + "#tasks"
    task = Task.objects.get()
    assert (task.title, task.kind, task.customer, task.assignee) == (
        "发送报价",
        "email",
        customer,
        rep,
    )
    assert timezone.localtime(task.due_at).strftime("%Y-%m-%d %H:%M") == "2099-03-01 09:30"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("due_at", "next week", "Enter a valid date/time."),
        ("due_at", "", "This field is required."),
        ("title", "", "This field is required."),
    ],
)
def test_bad_task_is_refused(rep, field, value, message):
    data = {"title": "发送报价", "due_at": "2099-03-01T09:30", field: value}
    for language in ("en", "zh-hans"):
        client = signed_in_client(rep, language=language)
        audit_before = AuditEntry.objects.count()
        response = client.post(reverse("web:task_create"), data)
        assert response.status_code == 422
        errors = field_errors(response, field)
        assert len(errors) == 1
        if language == "en":
            assert errors == [message]
        assert Task.objects.count() == 0
        assert AuditEntry.objects.count() == audit_before


def test_task_cannot_be_given_to_someone_out_of_reach(rep, rep_client, other_rep):
    response = rep_client.post(
        reverse("web:task_create"),
        {"title": "越权", "due_at": "2099-03-01T09:30", "assignee": str(other_rep.pk)},
    )
    assert response.status_code == 422
    assert field_errors(response, "assignee") == ["You cannot assign tasks to this user."]
    assert Task.objects.count() == 0


def test_edit_task(rep, rep_client):
    task = make_task(rep, title="旧标题")
    form = rep_client.get(reverse("web:task_edit", args=[task.pk]))
    assert input_value(form, "title") == "旧标题"
    response = rep_client.post(
        reverse("web:task_edit", args=[task.pk]),
        {
            "title": "新标题",
            "kind": "call",
            "due_at": "2099-05-05T10:00",
            "assignee": str(rep.pk),
            "customer": "",
        },
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.title, task.kind) == ("新标题", "call")


def test_delete_task(rep, rep_client):
    task = make_task(rep)
    response = rep_client.post(reverse("web:task_delete", args=[task.pk]))
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.deleted_at is not None
    assert _titles(rep_client.get(reverse("web:task_list"))) == []
