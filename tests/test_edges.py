"""Edges found in review: values at the limits of what a door accepts, and records whose
visibility changed after a task pointed at them. Each must give a clear answer, never a 500,
and never show a customer its reader may not see."""

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone, translation

from tend.accounts.actions import create_api_token
from tend.activities.actions import delete_activity, update_task
from tend.activities.models import Task
from tend.activities.selectors import open_tasks_for, visible_tasks
from tend.core.errors import ValidationFailed
from tend.core.ids import MAX_ID
from tend.customers.actions import (
    assign_customer_owner,
    create_custom_field_definition,
    update_customer,
)
from tests.factories import make_activity, make_customer, make_task

HUGE = str(MAX_ID + 1)

pytestmark = pytest.mark.django_db


def _web(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _api(user):
    _token, raw = create_api_token(user=user, name="edges")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="en")


def test_a_task_stops_showing_a_customer_that_moved_to_another_rep(org):
    customer = make_customer(org.rep, name="转走的客户")
    task = make_task(org.rep, customer=customer.pk, title="回访转走的客户")
    assign_customer_owner(actor=org.manager, customer=customer, owner=org.branch_rep)

    assert task not in visible_tasks(org.rep)
    assert task not in open_tasks_for(org.rep)
    page = _web(org.rep).get("/tasks/").content.decode()
    assert "转走的客户" not in page
    assert _web(org.rep).get(f"/tasks/{task.pk}/edit/").status_code == 404
    assert _api(org.rep).get(f"/api/v1/tasks?customer={customer.pk}").json()["items"] == []


def test_a_task_about_a_customer_goes_only_to_someone_who_may_see_it(org):
    customer = make_customer(org.rep, name="华东客户")
    with pytest.raises(ValidationFailed) as refused:
        make_task(org.manager, assignee=org.other_rep.pk, customer=customer.pk)
    assert "assignee" in refused.value.field_errors or "customer" in refused.value.field_errors
    assert not Task.objects.filter(customer=customer).exists()


def test_changing_a_task_keeps_its_customer_when_the_customer_is_not_changed(org):
    customer = make_customer(org.rep, name="客户甲")
    task = make_task(org.rep, customer=customer.pk)
    changed = update_task(
        actor=org.rep, task=task, data={"title": "新标题", "customer": customer.pk}
    )
    assert changed.title == "新标题"
    assert changed.customer_id == customer.pk


@pytest.mark.parametrize(
    "path",
    [
        f"/customers/?owner={HUGE}",
        f"/customers/?team={HUGE}",
        f"/customers/{HUGE}/",
        "/customers/{pk}/timeline/?cursor=not-a-cursor",
        "/customers/{pk}/history/?cursor=WyJhYmMiLDFd",
    ],
)
def test_web_pages_answer_odd_ids_and_cursors_without_an_error(org, path):
    customer = make_customer(org.rep)
    response = _web(org.rep).get(path.format(pk=customer.pk))
    assert response.status_code in (200, 404)


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/customers?team={HUGE}",
        f"/api/v1/tasks?assignee={HUGE}",
        f"/api/v1/tasks?customer={HUGE}",
        f"/api/v1/activities?customer={HUGE}",
        f"/api/v1/contacts?customer={HUGE}",
        f"/api/v1/customers/{HUGE}",
    ],
)
def test_api_answers_ids_past_64_bits_with_a_clear_error(org, path):
    response = _api(org.rep).get(path)
    assert response.status_code in (200, 404, 422)
    if response.status_code != 200:
        assert response.json()["code"] in ("invalid", "not_found")


@pytest.mark.parametrize("occurred_at", ["0001-01-01T00:00", "1899-12-31T23:00"])
def test_an_activity_dated_before_1900_is_refused_with_a_field_error(org, occurred_at):
    customer = make_customer(org.rep)
    response = _api(org.rep).post(
        "/api/v1/activities",
        {"customer": customer.pk, "kind": "call", "summary": "x", "occurred_at": occurred_at},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "occurred_at" in response.json()["field_errors"]


def test_a_custom_number_too_large_is_refused_quickly(org, admin):
    create_custom_field_definition(
        actor=admin,
        data={
            "key": "headcount",
            "label_zh": "人数",
            "label_en": "Headcount",
            "field_type": "number",
        },
    )
    customer = make_customer(org.rep)
    for value in ("1e5000", "1e300000", "1000000000000000"):
        with pytest.raises(ValidationFailed) as refused:
            update_customer(
                actor=org.rep, customer=customer, data={"custom_fields": {"headcount": value}}
            )
        assert "custom_fields.headcount" in refused.value.field_errors


def test_deleting_the_activity_that_planned_the_next_follow_up_brings_back_the_earlier_plan(org):
    customer = make_customer(org.rep)
    today = timezone.localdate()
    earlier = make_activity(
        customer,
        occurred_at=timezone.now() - timezone.timedelta(days=2),
        next_follow_up_on=today + timezone.timedelta(days=3),
    )
    later = make_activity(customer, next_follow_up_on=today + timezone.timedelta(days=9))
    customer.refresh_from_db()
    assert customer.next_follow_up_on == later.next_follow_up_on

    delete_activity(actor=org.rep, activity=later)
    customer.refresh_from_db()
    assert customer.next_follow_up_on == earlier.next_follow_up_on


def test_the_server_error_page_renders_in_chinese_without_a_request():
    with translation.override("zh-hans"):
        page = render_to_string("500.html")
    assert 'lang="zh-hans"' in page
    assert "Something went wrong" not in page
