"""Today's follow-ups (今日待跟进): the signed-in rep's customers whose follow-up is due today
or overdue, most overdue first, then by grade (tend.status.cadence)."""

from django.shortcuts import render
from django.utils import timezone

from tend.core.errors import ValidationFailed
from tend.status.cadence import follow_up_worklist
from tend.web.access import signed_in


@signed_in
def follow_up_list(request):
    """?owner=<user id> shows another owner's follow-ups, as far as the reader may see their
    customers (a manager's team); a damaged cursor shows the first page."""
    today = timezone.localdate()
    owner = request.GET.get("owner") or None
    cursor = request.GET.get("cursor") or None
    try:
        page = follow_up_worklist(request.user, owner=owner, cursor=cursor, today=today)
    except ValidationFailed:
        cursor = None
        page = follow_up_worklist(request.user, owner=owner, today=today)
    return render(
        request,
        "web/follow_ups/list.html",
        {"page": page, "cursor": cursor, "today": today},
    )
