"""/tasks: things people must do by a date (待办)."""

import datetime

from ninja import Field, Query, Router, Schema, Status

from tend.activities.actions import create_task, delete_task, set_task_done, update_task
from tend.activities.selectors import access_task, visible_tasks
from tend.api.common import (
    InputSchema,
    PageParams,
    RecordId,
    Timestamp,
    UserRef,
    body_data,
    page_out,
    responses,
)
from tend.core.ids import parse_record_id
from tend.core.pagination import keyset_page

router = Router(tags=["tasks"])


class TaskIn(InputSchema):
    title: str | None = None
    kind: str | None = Field(
        None, description="follow_up (default), call, visit, email, meeting or other"
    )
    due_at: datetime.datetime | None = None
    notes: str | None = None
    assignee: RecordId | None = Field(None, description="A user's id; the caller when left out")
    customer: RecordId | None = Field(None, description="The customer's id, if any")


class TaskOut(Schema):
    id: int
    title: str
    kind: str
    assignee: UserRef
    due_at: Timestamp
    customer: int | None
    notes: str
    done_at: Timestamp | None
    created_by: UserRef | None
    created_at: Timestamp
    updated_at: Timestamp

    @staticmethod
    def resolve_customer(task) -> int | None:
        return task.customer_id


class TaskPageOut(Schema):
    items: list[TaskOut]
    next_cursor: str | None


class TaskListParams(PageParams):
    assignee: str | None = Field(None, pattern=r"^(me|\d+)$", description='"me" or a user id')
    open: bool | None = Field(None, description="true: not done yet; false: done")
    customer: RecordId | None = Field(None, description="Only this customer's tasks")


@router.get(
    "", response=responses(200, TaskPageOut, 422), operation_id="listTasks", summary="List tasks"
)
def list_tasks(request, params: Query[TaskListParams]):
    """Tasks the caller may see, the most urgent first."""
    tasks = visible_tasks(request.auth).select_related("assignee", "created_by")
    if params.assignee == "me":
        tasks = tasks.filter(assignee_id=request.auth.pk)
    elif params.assignee:
        assignee_id = parse_record_id(params.assignee)
        tasks = tasks.filter(assignee_id=assignee_id) if assignee_id else tasks.none()
    if params.open is not None:
        tasks = tasks.filter(done_at__isnull=params.open)
    if params.customer is not None:
        tasks = tasks.filter(customer_id=params.customer)
    return page_out(keyset_page(tasks, "due_at", params.cursor, params.limit))


@router.post(
    "",
    response=responses(201, TaskOut, 403, 422),
    operation_id="createTask",
    summary="Create a task",
)
def create_task_endpoint(request, payload: TaskIn):
    task = create_task(actor=request.auth, data=body_data(payload))
    return Status(201, task)


@router.get(
    "/{int:task_id}",
    response=responses(200, TaskOut, 404),
    operation_id="getTask",
    summary="Read a task",
)
def get_task(request, task_id: int):
    return access_task(request.auth, task_id)


@router.patch(
    "/{int:task_id}",
    response=responses(200, TaskOut, 403, 404, 422),
    operation_id="updateTask",
    summary="Change a task",
)
def update_task_endpoint(request, task_id: int, payload: TaskIn):
    """Change the fields given; the others stay as they are."""
    task = access_task(request.auth, task_id)
    return update_task(actor=request.auth, task=task, data=body_data(payload))


@router.delete(
    "/{int:task_id}",
    response=responses(204, None, 403, 404),
    operation_id="deleteTask",
    summary="Delete a task",
)
def delete_task_endpoint(request, task_id: int):
    task = access_task(request.auth, task_id)
    delete_task(actor=request.auth, task=task)
    return Status(204, None)


@router.post(
    "/{int:task_id}/done",
    response=responses(200, TaskOut, 403, 404),
    operation_id="completeTask",
    summary="Mark a task done",
)
def complete_task(request, task_id: int):
    """Mark the task done (doing it again keeps the first time)."""
    task = access_task(request.auth, task_id)
    return set_task_done(actor=request.auth, task=task, done=True)


@router.delete(
    "/{int:task_id}/done",
    response=responses(200, TaskOut, 403, 404),
    operation_id="reopenTask",
    summary="Reopen a task",
)
def reopen_task(request, task_id: int):
    """Mark the task not done again."""
    task = access_task(request.auth, task_id)
    return set_task_done(actor=request.auth, task=task, done=False)
