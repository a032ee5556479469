"""My tasks (and their export), and creating, editing, completing and deleting a task."""

import itertools

from django.contrib import messages
from django.db.models import QuerySet
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tend.accounts.selectors import assignable_users
from tend.activities.actions import create_task, delete_task, set_task_done, update_task
from tend.activities.selectors import access_task, open_tasks_for, recently_done_tasks_for
from tend.core.errors import TendError
from tend.customers.selectors import access_customer
from tend.web.access import signed_in
from tend.web.exporting import CHUNK_SIZE, ExportColumn, export_query, export_response
from tend.web.forms import TaskForm
from tend.web.views.common import is_htmx, redirect_with_error, safe_next

DONE_SHOWN = 50


def _assignees(user):
    return list(assignable_users(user).order_by("full_name", "username")[:500])


def _after_task(task) -> str:
    if task.customer_id:
        return reverse("web:customer_detail", args=[task.customer_id]) + "#tasks"
    return reverse("web:task_list")


def _listing(user, params) -> tuple[QuerySet, list, bool]:
    """The page's two sections, read alike by the list and its export: the user's open tasks,
    and with ?done=1 the ones done most recently."""
    show_done = params.get("done") == "1"
    done_tasks = recently_done_tasks_for(user, limit=DONE_SHOWN) if show_done else []
    return open_tasks_for(user), done_tasks, show_done


def _task_state(task, now) -> str:
    if task.is_done:
        return _("Done")
    return _("Overdue") if task.due_at < now else _("Open")


def _task_export_columns() -> list[ExportColumn]:
    now = timezone.now()
    return [
        ExportColumn(_("Id"), lambda t: t.pk),
        ExportColumn(_("Title"), lambda t: t.title),
        ExportColumn(_("Type"), lambda t: t.get_kind_display()),
        ExportColumn(_("Customer"), lambda t: t.customer.name if t.customer else ""),
        ExportColumn(_("Due"), lambda t: t.due_at),
        ExportColumn(_("Status"), lambda t: _task_state(t, now)),
        ExportColumn(_("Done at"), lambda t: t.done_at),
        ExportColumn(_("Notes"), lambda t: t.notes),
    ]


@signed_in
def task_export(request):
    """The tasks the page shows (its open tasks, and its done ones when shown), as XLSX or
    CSV."""
    open_tasks, done_tasks, _show_done = _listing(request.user, request.GET)
    rows = itertools.chain(open_tasks.iterator(chunk_size=CHUNK_SIZE), done_tasks)
    return export_response(request, name="tasks", columns=_task_export_columns(), queryset=rows)


@signed_in
def task_list(request):
    user = request.user
    open_tasks, done_tasks, show_done = _listing(user, request.GET)
    return render(
        request,
        "web/tasks/list.html",
        {
            "tasks": list(open_tasks),
            "done_tasks": done_tasks,
            "show_done": show_done,
            "now": timezone.now(),
            "export_query": export_query(request.GET),
        },
    )


@signed_in
def task_create(request):
    customer = None
    customer_id = request.POST.get("customer") or request.GET.get("customer")
    if customer_id:
        customer = access_customer(request.user, customer_id)
    assignees = _assignees(request.user)
    status = 200
    if request.method == "POST":
        form = TaskForm(request.POST, assignees=assignees)
        try:
            task = create_task(actor=request.user, data=form.input_data(request.POST))
        except TendError as exc:
            form.show_errors(exc)
            status = exc.status
        else:
            messages.success(request, _("The task was created."))
            return redirect(_after_task(task))
    else:
        form = TaskForm(
            assignees=assignees,
            initial={
                "customer": customer.pk if customer else "",
                "assignee": request.user.pk,
                "kind": "follow_up",
                "due_at": timezone.localtime().replace(minute=0, second=0, microsecond=0)
                + timezone.timedelta(days=1),
            },
        )
    return render(
        request,
        "web/tasks/form.html",
        {"form": form, "customer": customer, "task": None},
        status=status,
    )


@signed_in
def task_edit(request, pk):
    task = access_task(request.user, pk)
    assignees = _assignees(request.user)
    if task.assignee_id not in {user.pk for user in assignees}:
        assignees.append(task.assignee)
    status = 200
    if request.method == "POST":
        form = TaskForm(request.POST, assignees=assignees)
        data = form.input_data(request.POST)
        # Links that stay the same are not re-checked: a task may point at a customer or an
        # assignee its editor could not choose anew.
        if data.get("customer", "") == str(task.customer_id or ""):
            data.pop("customer", None)
        if data.get("assignee", "") == str(task.assignee_id):
            data.pop("assignee", None)
        try:
            task = update_task(actor=request.user, task=task, data=data)
        except TendError as exc:
            form.show_errors(exc)
            status = exc.status
        else:
            messages.success(request, _("The task was saved."))
            return redirect(safe_next(request, _after_task(task)))
    else:
        form = TaskForm(assignees=assignees, task=task)
    return render(
        request,
        "web/tasks/form.html",
        {"form": form, "customer": task.customer, "task": task},
        status=status,
    )


@signed_in
@require_POST
def task_toggle(request, pk):
    """Mark a task done (done=1) or open again (done=0); without `done`, flip it."""
    task = access_task(request.user, pk)
    done = request.POST.get("done")
    done = (not task.is_done) if done is None else done == "1"
    try:
        task = set_task_done(actor=request.user, task=task, done=done)
    except TendError as exc:
        return redirect_with_error(request, exc, safe_next(request, reverse("web:task_list")))
    if not is_htmx(request):
        return redirect(safe_next(request, reverse("web:task_list")))
    task = access_task(request.user, pk)
    return render(
        request,
        "web/tasks/_row.html",
        {
            "task": task,
            "now": timezone.now(),
            "show_customer": request.POST.get("show_customer") == "1",
            "show_assignee": request.POST.get("show_assignee") == "1",
        },
    )


@signed_in
@require_POST
def task_delete(request, pk):
    task = access_task(request.user, pk)
    try:
        delete_task(actor=request.user, task=task)
    except TendError as exc:
        return redirect_with_error(request, exc, reverse("web:task_edit", args=[pk]))
    messages.success(
        request, _("“%(title)s” was moved to the recycle bin.") % {"title": task.title}
    )
    return redirect(safe_next(request, _after_task(task)))
