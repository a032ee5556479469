from django.db.models import F, Q, QuerySet

from tend.accounts.models import User
from tend.accounts.selectors import managed_team_ids
from tend.activities.models import Activity, Task
from tend.core.ids import get_or_not_found
from tend.core.pagination import Page, keyset_page
from tend.customers.selectors import customer_visibility, visible_customers


def visible_activities(user: User) -> QuerySet[Activity]:
    return Activity.objects.filter(customer_visibility(user), deleted_at__isnull=True)


def access_activity(user: User, activity_id) -> Activity:
    return get_or_not_found(visible_activities(user).select_related("customer"), activity_id)


TIMELINE_PAGE = 20


def customer_timeline(customer, cursor: str | None = None, limit: int = TIMELINE_PAGE) -> Page:
    """One page of the customer's activities, newest first; the cursor continues it."""
    activities = Activity.objects.filter(customer=customer, deleted_at__isnull=True).select_related(
        "author", "contact"
    )
    return keyset_page(activities, "-occurred_at", cursor, limit)


def activity_timeline_entries(customer_id: int, cursor, limit: int) -> list:
    """The customer's activities as timeline events (see tend.core.timeline)."""
    from tend.core.timeline import TimelineEntry

    activities = (
        Activity.objects.filter(customer_id=customer_id, deleted_at__isnull=True)
        .filter(cursor.before("activity", "occurred_at"))
        .select_related("author", "contact")
        .order_by("-occurred_at", "-id")[:limit]
    )
    return [
        TimelineEntry(a.occurred_at, "activity", a.pk, a, "web/timeline/activity.html")
        for a in activities
    ]


def task_scope(user: User) -> Q:
    """Tasks a user may see. A task about a customer follows the customer's visibility, whoever
    it is assigned to (so a task never shows a customer its reader may not see); a task about
    no customer is seen by its assignee, its creator and the assignee's managers."""
    if user.is_admin:
        return Q()
    personal = Q(assignee_id=user.pk) | Q(created_by_id=user.pk)
    team_ids = managed_team_ids(user)
    if team_ids:
        personal |= Q(assignee__team_id__in=team_ids)
    return Q(customer__in=visible_customers(user)) | (Q(customer__isnull=True) & personal)


def task_bin_scope(user: User) -> Q:
    """Deleted tasks a user may restore: as for live ones, a task about a customer follows the
    customer's visibility (deleted customers included, so it shows under its customer)."""
    from tend.customers.models import Customer
    from tend.customers.selectors import detail_scope

    personal = Q(assignee_id=user.pk) | Q(created_by_id=user.pk)
    return Q(customer__in=Customer.objects.filter(detail_scope(user))) | (
        Q(customer__isnull=True) & personal
    )


def visible_tasks(user: User) -> QuerySet[Task]:
    return Task.objects.filter(task_scope(user), deleted_at__isnull=True)


def access_task(user: User, task_id) -> Task:
    return get_or_not_found(visible_tasks(user).select_related("customer", "assignee"), task_id)


def open_tasks_for(user: User) -> QuerySet[Task]:
    """The user's own open tasks, most urgent first."""
    return (
        visible_tasks(user)
        .filter(assignee=user, done_at__isnull=True)
        .select_related("customer")
        .order_by("due_at", "id")
    )


def customer_tasks(customer) -> QuerySet[Task]:
    return (
        Task.objects.filter(customer=customer, deleted_at__isnull=True)
        .select_related("assignee")
        .order_by(F("done_at").asc(nulls_first=True), "due_at", "id")
    )


def recently_done_tasks_for(user: User, limit: int = 50) -> list[Task]:
    return list(
        visible_tasks(user)
        .filter(assignee=user, done_at__isnull=False)
        .select_related("customer")
        .order_by("-done_at", "-id")[:limit]
    )
