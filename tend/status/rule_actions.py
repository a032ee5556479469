"""What rules do besides moving states — tags, owner, team, public pool, tasks, webhooks —
each as a few statements over the customers a rule chose (the candidates table of
tend.status.bulk_moves), however many they are. Every write is audited under the rule's key.

    {"type": "add_tag", "tag": "VIP"}             {"type": "remove_tag", "tag": "VIP"}
    {"type": "assign_owner", "user": "wang"}      {"type": "assign_team", "team": "电销组"}
    {"type": "return_to_pool"}
    {"type": "create_task", "title": "挽回拜访", "assignee": "owner", "due_in_days": 3}
        assignee: owner | owner_manager | user:<username> | role:<role> (spread evenly over
        the role's active users); without one (no owner, no manager), the first administrator
    {"type": "notify", "message": "客户投诉升级", "to": "owner_manager"}   (to: as a task's assignee)
    {"type": "webhook", "url": "https://…"}       after the commit, on the worker: a POST of
        {"rule", "at", "customers": [ids]} (500 customers a request), retried on failure

Lock and unlock are state moves (tend.status.rules resolves them): lock moves the customer
into the model's state of category *locked* (跟进中), unlock out of it."""

import datetime
import json
from urllib.parse import urlsplit

from django.db import connection, transaction
from django.utils.translation import gettext as _

from tend.accounts.models import Role, Team, User
from tend.activities.models import Task, TaskKind
from tend.audit.models import AuditAction, AuditEntry
from tend.core.sql import execute, fetch, moment, moment_parameter, quoted_table
from tend.customers.models import Customer, Tag
from tend.status.bulk_moves import TABLE
from tend.status.models import Notification

STATE_ACTIONS = ("set_state", "remove_state", "lock", "unlock")
OTHER_ACTIONS = (
    "add_tag",
    "remove_tag",
    "assign_owner",
    "assign_team",
    "return_to_pool",
    "create_task",
    "notify",
    "webhook",
)
ACTION_TYPES = STATE_ACTIONS + OTHER_ACTIONS

ACTING = "acting"
WEBHOOK_BATCH = 500
MAX_DUE_DAYS = 3650


# --- checking ----------------------------------------------------------------------------------


def _text(action: dict, name: str, limit: int) -> str:
    value = action.get(name)
    return value.strip() if isinstance(value, str) and 0 < len(value.strip()) <= limit else ""


def action_problems(action: dict) -> list[str]:
    """What is wrong with an action that is not a state move (empty: none)."""
    kind = action["type"]
    if kind in ("add_tag", "remove_tag") and not _text(action, "tag", 50):
        return [_("give the tag, at most 50 characters.")]
    if (
        kind == "assign_owner"
        and not User.objects.filter(username=action.get("user"), is_active=True).exists()
    ):
        return [_("no active user “%(user)s”.") % {"user": action.get("user")}]
    if kind == "assign_team" and not Team.objects.filter(name=action.get("team")).exists():
        return [_("no team “%(team)s”.") % {"team": action.get("team")}]
    if kind == "create_task":
        problems = []
        if not _text(action, "title", 200):
            problems.append(_("give the task a title, at most 200 characters."))
        due = action.get("due_in_days", 0)
        if not isinstance(due, int) or isinstance(due, bool) or not 0 <= due <= MAX_DUE_DAYS:
            problems.append(
                _("due_in_days must be a whole number from 0 to %(most)s.") % {"most": MAX_DUE_DAYS}
            )
        problems += _assignee_problems(action.get("assignee", "owner"))
        return problems
    if kind == "notify":
        problems = (
            []
            if _text(action, "message", 500)
            else [_("give the message, at most 500 characters.")]
        )
        return problems + _assignee_problems(action.get("to", "owner"))
    if kind == "webhook":
        url = action.get("url")
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            return [_("the webhook needs an http or https address.")]
    return []


def _assignee_problems(assignee) -> list[str]:
    if assignee in ("owner", "owner_manager"):
        return []
    if isinstance(assignee, str) and assignee.startswith("user:"):
        if User.objects.filter(username=assignee[5:], is_active=True).exists():
            return []
        return [_("no active user “%(user)s”.") % {"user": assignee[5:]}]
    if isinstance(assignee, str) and assignee.startswith("role:") and assignee[5:] in Role.values:
        return []
    return [
        _(
            "the assignee must be owner, owner_manager, user:<username> or role:<role>, not “%(value)s”."
        )
        % {"value": assignee}
    ]


# --- running -----------------------------------------------------------------------------------


def run_action(action: dict, *, rule_key: str, now: datetime.datetime) -> int:
    """Apply the action to every candidate no earlier action refused; how many it changed."""
    execute(f"UPDATE {TABLE} SET outcome = CASE WHEN refused THEN outcome ELSE '{ACTING}' END")
    handler = {
        "add_tag": _add_tag,
        "remove_tag": _remove_tag,
        "assign_owner": _assign_owner,
        "assign_team": _assign_team,
        "return_to_pool": _return_to_pool,
        "create_task": _create_task,
        "notify": _notify,
        "webhook": _webhook,
    }[action["type"]]
    return handler(action, rule_key, now)


def _acting(column: str = "customer_id") -> str:
    return f"SELECT {column} FROM {TABLE} WHERE outcome = '{ACTING}'"


def _audit(select_sql: str, params: list, *, rule_key: str, action: str, now) -> None:
    """Audit entries from `select_sql` returning (object_type, object_id, object_label,
    customer_id, changes JSON) rows: one per record changed, under the rule's key."""
    execute(
        f"INSERT INTO {quoted_table(AuditEntry)} (at, actor_id, actor_label, action, object_type, "
        f"object_id, object_label, customer_id, changes, note) "
        f"SELECT {moment_parameter(connection.vendor)}, NULL, %s, %s, audited.object_type, "
        "audited.object_id, audited.object_label, audited.customer_id, audited.changes, '' "
        f"FROM ({select_sql}) AS audited",
        [moment(now), f"rule:{rule_key}"[:100], action, *params],
    )


def _json_pair(name: str, old: str, new: str) -> str:
    """{"name": [old, new]} as SQL."""
    if connection.vendor == "postgresql":
        return f"jsonb_build_object('{name}', jsonb_build_array({old}, {new}))"
    return f"json_object('{name}', json_array({old}, {new}))"


def _customers_changed(
    where: str, where_params: list, changes: str, changes_params: list, rule_key, now
):
    """Audit the acting customers that `where` selects, with `changes` (SQL, {field: [old,
    new]}) — before the update, while the old values can still be read."""
    _audit(
        f"SELECT 'customers.customer' AS object_type, customer.id AS object_id, "
        f"customer.name AS object_label, customer.id AS customer_id, {changes} AS changes "
        f"FROM {quoted_table(Customer)} AS customer WHERE customer.id IN ({_acting()}) AND {where}",
        [*changes_params, *where_params],
        rule_key=rule_key,
        action=AuditAction.UPDATE,
        now=now,
    )


def _tag_link(tag_id_placeholder: str = "%s") -> str:
    through = quoted_table(Customer.tags.through)
    return (
        f"EXISTS (SELECT 1 FROM {through} AS link WHERE link.customer_id = customer.id "
        f"AND link.tag_id = {tag_id_placeholder})"
    )


def _add_tag(action, rule_key, now) -> int:
    tag, _created = Tag.objects.get_or_create(name=action["tag"].strip())
    _customers_changed(
        f"NOT {_tag_link()}", [tag.pk], _json_pair("tags", "NULL", "%s"), [tag.name], rule_key, now
    )
    through = quoted_table(Customer.tags.through)
    return execute(
        f"INSERT INTO {through} (customer_id, tag_id) SELECT customer.id, %s "
        f"FROM {quoted_table(Customer)} AS customer WHERE customer.id IN ({_acting()}) "
        f"AND NOT {_tag_link()}",
        [tag.pk, tag.pk],
    )


def _remove_tag(action, rule_key, now) -> int:
    tag = Tag.objects.filter(name=action["tag"].strip()).first()
    if tag is None:
        return 0
    _customers_changed(
        _tag_link(), [tag.pk], _json_pair("tags", "%s", "NULL"), [tag.name], rule_key, now
    )
    return execute(
        f"DELETE FROM {quoted_table(Customer.tags.through)} WHERE tag_id = %s "
        f"AND customer_id IN ({_acting()})",
        [tag.pk],
    )


def _set_customers(assignments: dict, rule_key, now) -> int:
    """Set columns of the acting customers ({column: value}) where any differs, audited."""
    customers = quoted_table(Customer)
    differs = " OR ".join(
        f"customer.{column} IS NOT NULL"
        if value is None
        else f"(customer.{column} IS NULL OR customer.{column} <> %s)"
        for column, value in assignments.items()
    )
    differs_params = [value for value in assignments.values() if value is not None]
    if connection.vendor == "postgresql":
        pairs = ", ".join(
            f"'{column.removesuffix('_id')}', jsonb_build_array(customer.{column}, CAST(%s AS BIGINT))"
            for column in assignments
        )
        changes = f"jsonb_build_object({pairs})"
    else:
        pairs = ", ".join(
            f"'{column.removesuffix('_id')}', json_array(customer.{column}, %s)"
            for column in assignments
        )
        changes = f"json_object({pairs})"
    _customers_changed(
        f"({differs})", differs_params, changes, list(assignments.values()), rule_key, now
    )
    sets = ", ".join(f"{column} = %s" for column in assignments)
    return execute(
        f"UPDATE {customers} SET {sets}, updated_at = {moment_parameter(connection.vendor)} "
        f"WHERE id IN ({_acting()}) AND id IN (SELECT customer.id FROM {customers} AS customer "
        f"WHERE {differs})",
        [*assignments.values(), moment(now), *differs_params],
    )


def _assign_owner(action, rule_key, now) -> int:
    owner = User.objects.get(username=action["user"], is_active=True)
    return _set_customers({"owner_id": owner.pk, "team_id": owner.team_id}, rule_key, now)


def _assign_team(action, rule_key, now) -> int:
    team = Team.objects.get(name=action["team"])
    return _set_customers({"team_id": team.pk}, rule_key, now)


def _return_to_pool(action, rule_key, now) -> int:
    return _set_customers({"owner_id": None}, rule_key, now)


def _assignee_sql(assignee: str) -> tuple[str, list]:
    """Who gets a customer's task, as SQL over the row `customer`; NULL when nobody."""
    users, teams = quoted_table(User), quoted_table(Team)
    if assignee == "owner":
        return "customer.owner_id", []
    if assignee == "owner_manager":
        return (
            f"(SELECT team.manager_id FROM {users} AS member JOIN {teams} AS team "
            "ON team.id = member.team_id WHERE member.id = customer.owner_id)",
            [],
        )
    if assignee.startswith("user:"):
        return "%s", [User.objects.get(username=assignee[5:], is_active=True).pk]
    ids = list(
        User.objects.filter(role=assignee[5:], is_active=True)
        .order_by("id")
        .values_list("id", flat=True)
    )
    if not ids:
        return "NULL", []
    # Spread evenly: customer id modulo the number of the role's users.
    cases = " ".join(f"WHEN {index} THEN {user_id}" for index, user_id in enumerate(ids))
    return f"(CASE MOD(customer.id, {len(ids)}) {cases} END)", []


def _recipient_sql(spec: str) -> tuple[str, list]:
    """`_assignee_sql`, falling back to the first administrator when it finds nobody."""
    assignee, params = _assignee_sql(spec)
    fallback = User.objects.filter(is_active=True, role=Role.ADMIN).order_by("id").first()
    if fallback is None:
        return assignee, params
    return f"COALESCE({assignee}, %s)", [*params, fallback.pk]


def _notify(action, rule_key, now) -> int:
    recipient, recipient_params = _recipient_sql(action.get("to", "owner"))
    at = moment_parameter(connection.vendor)
    return execute(
        f"INSERT INTO {quoted_table(Notification)} (recipient_id, customer_id, rule_key, message, "
        f"created_at, read_at) SELECT chosen.recipient_id, chosen.customer_id, %s, %s, {at}, NULL "
        f"FROM (SELECT customer.id AS customer_id, {recipient} AS recipient_id "
        f"FROM {quoted_table(Customer)} AS customer WHERE customer.id IN ({_acting()})) AS chosen "
        "WHERE chosen.recipient_id IS NOT NULL",
        [rule_key, action["message"].strip()[:500], moment(now), *recipient_params],
    )


def _create_task(action, rule_key, now) -> int:
    assignee, assignee_params = _recipient_sql(action.get("assignee", "owner"))
    tasks, customers = quoted_table(Task), quoted_table(Customer)
    at = moment_parameter(connection.vendor)
    due = now + datetime.timedelta(days=action.get("due_in_days", 0))
    before = fetch(f"SELECT COALESCE(MAX(id), 0) FROM {tasks}")[0][0]
    created = execute(
        f"INSERT INTO {tasks} (created_at, updated_at, title, kind, assignee_id, due_at, "
        "customer_id, notes) "
        f"SELECT {at}, {at}, %s, %s, assigned.assignee_id, {at}, assigned.customer_id, %s "
        f"FROM (SELECT customer.id AS customer_id, {assignee} AS assignee_id FROM {customers} "
        f"AS customer WHERE customer.id IN ({_acting()})) AS assigned "
        "WHERE assigned.assignee_id IS NOT NULL",
        [
            moment(now),
            moment(now),
            action["title"].strip()[:200],
            action.get("kind", TaskKind.FOLLOW_UP),
            moment(due),
            _("Created by the rule “%(rule)s”.") % {"rule": rule_key},
            *assignee_params,
        ],
    )
    _audit(
        "SELECT 'activities.task' AS object_type, task.id AS object_id, task.title AS "
        f"object_label, task.customer_id AS customer_id, {_json_pair('title', 'NULL', 'task.title')} "
        f"AS changes FROM {tasks} AS task WHERE task.id > %s AND task.customer_id IN ({_acting()})",
        [before],
        rule_key=rule_key,
        action=AuditAction.CREATE,
        now=now,
    )
    return created


def _webhook(action, rule_key, now) -> int:
    ids = [row[0] for row in fetch(f"{_acting()} ORDER BY customer_id")]
    if not ids:
        return 0
    url = action["url"]

    def enqueue():
        from tend.status.tasks import call_webhook

        for start in range(0, len(ids), WEBHOOK_BATCH):
            body = {
                "rule": rule_key,
                "at": now.isoformat(),
                "customers": ids[start : start + WEBHOOK_BATCH],
            }
            call_webhook(url, json.dumps(body))

    transaction.on_commit(enqueue)
    return len(ids)
