"""Users, teams, who manages whom, and personal API tokens."""

import hashlib

import pytest

from tend.accounts.actions import (
    create_api_token,
    create_team,
    create_user,
    revoke_api_token,
    set_user_language,
)
from tend.accounts.models import ApiToken, Role, User
from tend.accounts.selectors import (
    assignable_users,
    managed_team_ids,
    managers_of,
    user_for_api_token,
)
from tend.core.errors import ValidationFailed
from tests.domain.support import row_counts
from tests.factories import make_team, make_user

STRONG = "晴天-correct-horse-42"


# --- users --------------------------------------------------------------------------------


def test_a_user_is_created_with_a_hashed_password(db):
    team = make_team(name="华北销售")
    user = create_user(
        username="zhangsan",
        password=STRONG,
        role=Role.TELEMARKETING,
        team=team,
        full_name="张三",
        email="zhangsan@example.com",
        language="zh-hans",
    )
    user = User.objects.get(pk=user.pk)
    assert user.role == Role.TELEMARKETING
    assert user.team == team
    assert user.display_name == "张三"
    assert user.language == "zh-hans"
    assert user.password != STRONG
    assert user.check_password(STRONG)
    assert user.is_superuser is False
    assert user.is_staff is False
    assert user.is_admin is False
    assert user.is_manager is False


def test_an_admin_user_is_a_superuser(db):
    user = create_user(username="root", password=STRONG, role=Role.ADMIN)
    assert user.is_superuser is True
    assert user.is_staff is True
    assert user.is_admin is True


def test_a_manager_is_a_manager(db):
    user = create_user(username="boss", password=STRONG, role=Role.SALES_MANAGER)
    assert user.is_manager is True
    assert user.is_admin is False


def test_the_display_name_falls_back_to_the_username(db):
    user = create_user(username="lisi", password=STRONG)
    assert user.display_name == "lisi"
    assert user.role == Role.SALES_REP


@pytest.mark.parametrize("username", ["taken", ""])
def test_a_taken_or_empty_username_is_refused(db, username):
    create_user(username="taken", password=STRONG)
    before = row_counts()
    with pytest.raises(ValidationFailed) as caught:
        create_user(username=username, password=STRONG)
    assert caught.value.field_errors == {"username": ["This username is empty or already taken."]}
    assert row_counts() == before


def test_an_unknown_role_is_refused(db):
    with pytest.raises(ValidationFailed) as caught:
        create_user(username="wizard", password=STRONG, role="wizard")
    assert caught.value.field_errors == {"role": ["Unknown role: wizard."]}
    assert User.objects.count() == 0


def test_a_weak_password_is_refused(db):
    with pytest.raises(ValidationFailed) as caught:
        create_user(username="wangwu", password="12345678")
    assert caught.value.field_errors == {
        "password": ["This password is too common.", "This password is entirely numeric."]
    }
    assert User.objects.count() == 0


def test_a_short_password_is_refused(db):
    with pytest.raises(ValidationFailed) as caught:
        create_user(username="wangwu", password="x7!")
    assert caught.value.field_errors == {
        "password": ["This password is too short. It must contain at least 8 characters."]
    }


def test_a_weak_password_is_accepted_when_the_check_is_disabled(db):
    user = create_user(username="demo", password="demo", check_password_strength=False)
    assert user.check_password("demo")


def test_every_problem_is_reported_at_once(db):
    create_user(username="taken", password=STRONG)
    with pytest.raises(ValidationFailed) as caught:
        create_user(username="taken", password="1", role="wizard")
    assert sorted(caught.value.field_errors) == ["password", "role", "username"]
    assert User.objects.count() == 1


def test_a_users_language_is_saved(db):
    user = make_user()
    set_user_language(user=user, language="en")
    assert User.objects.get(pk=user.pk).language == "en"
    with pytest.raises(ValidationFailed) as caught:
        set_user_language(user=user, language="fr")
    assert caught.value.field_errors == {"language": ["Unknown language."]}
    assert User.objects.get(pk=user.pk).language == "en"


# --- teams --------------------------------------------------------------------------------


def test_a_team_manager_without_a_team_joins_the_team_they_head(db):
    boss = make_user(role=Role.SALES_MANAGER)
    team = create_team(name="西南销售", manager=boss)
    boss.refresh_from_db()
    assert boss.team == team
    branch = create_team(name="成都分部", manager=boss, parent=team)
    boss.refresh_from_db()
    assert boss.team == team
    assert branch.parent == team


@pytest.mark.parametrize("name", ["华东销售", "  华东销售 ", "", "   ", "队" * 101])
def test_a_team_name_must_be_given_unique_and_short(org, name):
    before = row_counts()
    with pytest.raises(ValidationFailed) as caught:
        create_team(name=name)
    message = (
        "A team name is at most 100 characters."
        if len(name) > 100
        else "This team name is empty or already taken."
    )
    assert caught.value.field_errors == {"name": [message]}
    assert row_counts() == before


def test_managed_team_ids_include_every_nested_team(org):
    deep = make_team(name="西湖小组", parent=org.branch)
    deeper = make_team(name="西湖一组", parent=deep)
    assert managed_team_ids(org.manager) == {org.team.pk, org.branch.pk, deep.pk, deeper.pk}
    assert managed_team_ids(org.other_manager) == {org.other_team.pk}
    assert managed_team_ids(org.rep) == set()


def test_a_manager_of_a_nested_team_manages_only_that_subtree(org):
    branch_manager = make_user(role=Role.SALES_MANAGER, team=org.branch)
    sub = make_team(name="滨江小组", parent=org.branch)
    org.branch.manager = branch_manager
    org.branch.save()
    assert managed_team_ids(branch_manager) == {org.branch.pk, sub.pk}


def test_managers_of_walks_up_the_team_tree(org):
    assert managers_of(org.rep) == [org.manager]
    assert managers_of(org.branch_rep) == [org.manager]
    assert managers_of(org.other_rep) == [org.other_manager]
    assert managers_of(org.manager) == []
    assert managers_of(make_user()) == []


def test_managers_of_lists_the_nearest_manager_first(org):
    branch_manager = make_user(role=Role.SALES_MANAGER, team=org.branch)
    org.branch.manager = branch_manager
    org.branch.save()
    branch_rep = User.objects.get(pk=org.branch_rep.pk)
    assert managers_of(branch_rep) == [branch_manager, org.manager]
    assert managers_of(User.objects.get(pk=branch_manager.pk)) == [org.manager]


def test_assignable_users_follow_the_managed_teams(org, admin):
    outsider = make_user()
    assert set(assignable_users(org.rep)) == {org.rep}
    assert set(assignable_users(org.manager)) == {org.manager, org.rep, org.branch_rep}
    assert set(assignable_users(org.other_manager)) == {org.other_manager, org.other_rep}
    assert outsider in set(assignable_users(admin))
    User.objects.filter(pk=org.branch_rep.pk).update(is_active=False)
    assert set(assignable_users(User.objects.get(pk=org.manager.pk))) == {org.manager, org.rep}


# --- API tokens ---------------------------------------------------------------------------


def test_only_the_digest_of_an_api_token_is_stored(rep):
    token, raw = create_api_token(user=rep, name="导出脚本")
    assert raw.startswith("tend_")
    assert len(raw) > 40
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert stored.prefix == raw[:12]
    assert stored.name == "导出脚本"
    for value in (stored.name, stored.prefix, stored.digest):
        assert raw not in value


def test_every_token_is_different(rep):
    _first, first_raw = create_api_token(user=rep, name="a")
    _second, second_raw = create_api_token(user=rep, name="a")
    assert first_raw != second_raw


def test_a_token_finds_its_user_and_records_its_use(rep):
    token, raw = create_api_token(user=rep, name="脚本")
    assert token.last_used_at is None
    assert user_for_api_token(raw) == rep
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_token_used_again_within_a_minute_is_not_rewritten(rep):
    token, raw = create_api_token(user=rep, name="脚本")
    user_for_api_token(raw)
    token.refresh_from_db()
    first_use = token.last_used_at
    assert user_for_api_token(raw) == rep
    token.refresh_from_db()
    assert token.last_used_at == first_use


@pytest.mark.parametrize("raw", ["", "tend_wrong", "not a token"])
def test_an_unknown_token_finds_no_one(rep, raw):
    create_api_token(user=rep, name="脚本")
    assert user_for_api_token(raw) is None


def test_a_revoked_token_finds_no_one(rep):
    token, raw = create_api_token(user=rep, name="脚本")
    revoke_api_token(token=token)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert user_for_api_token(raw) is None


def test_a_token_of_a_deactivated_user_finds_no_one(rep):
    _token, raw = create_api_token(user=rep, name="脚本")
    User.objects.filter(pk=rep.pk).update(is_active=False)
    assert user_for_api_token(raw) is None


def test_a_token_without_a_name_gets_a_default_one(rep):
    token, _raw = create_api_token(user=rep, name="")
    assert token.name == "token"
