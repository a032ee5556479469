"""Who manages whom. Teams are few, so the subtree is walked in Python from one query."""

import hashlib

from django.utils import timezone

from tend.accounts.models import ApiToken, Team, User
from tend.core.ids import get_or_not_found


def team_subtree_ids(root_ids: set[int]) -> set[int]:
    children_of: dict[int | None, list[int]] = {}
    for team_id, parent_id in Team.objects.values_list("id", "parent_id"):
        children_of.setdefault(parent_id, []).append(team_id)
    found: set[int] = set()
    pending = list(root_ids)
    while pending:
        team_id = pending.pop()
        if team_id in found:
            continue
        found.add(team_id)
        pending.extend(children_of.get(team_id, []))
    return found


def managed_team_ids(user: User) -> set[int]:
    """Teams the user manages, with every team nested below them."""
    cache_name = "_tend_managed_team_ids"
    if not hasattr(user, cache_name):
        roots = set(Team.objects.filter(manager=user).values_list("id", flat=True))
        setattr(user, cache_name, team_subtree_ids(roots) if roots else set())
    return getattr(user, cache_name)


def managed_user_ids(user: User) -> list[int]:
    """Members of the teams the user manages (nested teams included), read once per request."""
    cache_name = "_tend_managed_user_ids"
    if not hasattr(user, cache_name):
        team_ids = managed_team_ids(user)
        members = User.objects.filter(team_id__in=team_ids).values_list("id", flat=True)
        setattr(user, cache_name, list(members) if team_ids else [])
    return getattr(user, cache_name)


def managers_of(user: User) -> list[User]:
    """Managers of the user's team and of every team above it."""
    managers = []
    team = user.team
    seen = set()
    while team is not None and team.pk not in seen:
        seen.add(team.pk)
        if team.manager_id and team.manager_id != user.pk:
            managers.append(team.manager)
        team = team.parent
    return managers


def user_for_api_token(raw_token: str) -> User | None:
    digest = hashlib.sha256(raw_token.encode()).hexdigest()
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=digest, revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    # Record use at most once a minute: a script calling in a loop should not write every time.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def assignable_users(user: User):
    """Users this user may hand a customer or task to."""
    if user.is_admin:
        return User.objects.filter(is_active=True)
    team_ids = managed_team_ids(user)
    if team_ids:
        return User.objects.filter(is_active=True, team_id__in=team_ids) | User.objects.filter(
            pk=user.pk
        )
    return User.objects.filter(pk=user.pk)


def visible_teams(user: User):
    """Teams a user may filter by: all for admins, the managed subtree for managers."""
    if user.is_admin:
        return Team.objects.order_by("name")
    return Team.objects.filter(pk__in=managed_team_ids(user)).order_by("name")


def active_api_tokens(user: User):
    return user.api_tokens.filter(revoked_at__isnull=True).order_by("-created_at", "-id")


def access_api_token(user: User, token_id) -> ApiToken:
    """One of the user's own live tokens; nobody reaches another user's tokens."""
    return get_or_not_found(active_api_tokens(user), token_id)
