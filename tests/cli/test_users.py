import pytest
from django.contrib.auth import authenticate

from tend.accounts.models import ApiToken, Role, User
from tend.accounts.selectors import user_for_api_token
from tests.factories import make_team, make_user

pytestmark = pytest.mark.django_db

STRONG = "blue-harbour-lantern-42"


def test_user_create_with_a_password_and_team(tend):
    team = make_team(name="华东销售")

    code, out, err = tend(
        "user", "create", "xiaoming", "--role", "sales_rep", "--team", "华东销售",
        "--password", STRONG, "--full-name", "王小明",
    )  # fmt: skip

    assert (code, err) == (0, "")
    assert out == "Created user xiaoming (sales_rep).\n"
    user = User.objects.get(username="xiaoming")
    assert (user.role, user.team, user.full_name) == (Role.SALES_REP, team, "王小明")
    assert user.check_password(STRONG)


def test_user_create_generates_a_password_and_shows_it_once(tend):
    code, out, _err = tend("user", "create", "lihua", "--role", "admin", "--generate-password")

    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Created user lihua (admin)."
    assert lines[1].startswith("Password (shown only this once): ")
    password = lines[1].split(": ", 1)[1]
    user = User.objects.get(username="lihua")
    assert user.check_password(password)
    assert user.is_admin


def test_user_create_refuses_an_unknown_role_and_writes_nothing(tend):
    code, out, err = tend("user", "create", "boss", "--role", "emperor", "--password", STRONG)

    assert code == 2
    assert out == ""
    assert err == (
        "Some fields are not valid.\n"
        "  role: Unknown role: emperor.\n"
        "  role: Choose one of: admin, sales_manager, sales_rep, telemarketing, "
        "customer_success, service, finance, marketing.\n"
    )
    assert not User.objects.filter(username="boss").exists()


def test_user_create_refuses_an_unknown_team(tend):
    code, _out, err = tend(
        "user", "create", "xiaoming", "--role", "sales_rep", "--team", "火星", "--password", STRONG
    )

    assert code == 2
    assert err == "Some fields are not valid.\n  team: No team is named 火星.\n"
    assert not User.objects.filter(username="xiaoming").exists()


def test_user_create_passes_on_the_actions_password_rules(tend):
    code, _out, err = tend("user", "create", "xiaoming", "--role", "sales_rep", "--password", "1")

    assert code == 2
    assert "  password: This password is too short. It must contain at least 8 characters.\n" in err
    assert not User.objects.filter(username="xiaoming").exists()


def test_user_create_refuses_a_taken_username(tend):
    make_user(username="taken")

    code, _out, err = tend("user", "create", "taken", "--role", "sales_rep", "--password", STRONG)

    assert code == 2
    assert (
        err == "Some fields are not valid.\n  username: This username is empty or already taken.\n"
    )
    assert User.objects.filter(username="taken").count() == 1


class _Terminal:
    def isatty(self):
        return True


def test_user_create_asks_for_the_password_twice(tend, monkeypatch):
    answers = iter([STRONG, STRONG])
    monkeypatch.setattr("tend.cli.main.sys.stdin", _Terminal())
    monkeypatch.setattr("tend.cli.main.getpass.getpass", lambda prompt: next(answers))

    code, _out, _err = tend("user", "create", "xiaoming", "--role", "finance")

    assert code == 0
    assert User.objects.get(username="xiaoming").check_password(STRONG)


def test_user_create_refuses_two_different_passwords(tend, monkeypatch):
    answers = iter([STRONG, STRONG + "x"])
    monkeypatch.setattr("tend.cli.main.sys.stdin", _Terminal())
    monkeypatch.setattr("tend.cli.main.getpass.getpass", lambda prompt: next(answers))

    code, _out, err = tend("user", "create", "xiaoming", "--role", "finance")

    assert code == 2
    assert err == "Some fields are not valid.\n  password: The two passwords differ.\n"
    assert not User.objects.filter(username="xiaoming").exists()


def test_user_list_shows_every_user(tend, org):
    code, out, _err = tend("user", "list")

    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["username", "full", "name", "role", "team", "active"]
    usernames = [line.split()[0] for line in lines[2:]]
    assert usernames == sorted(User.objects.values_list("username", flat=True))
    assert any(line.startswith("branch_rep") and "杭州分部" in line for line in lines)


def test_team_create_with_manager_and_parent(tend, org):
    code, out, _err = tend(
        "team", "create", "宁波组", "--manager", "manager", "--parent", "华东销售"
    )

    assert (code, out) == (0, "Created team 宁波组.\n")
    team = org.team.children.get(name="宁波组")
    assert team.manager == org.manager


def test_token_create_prints_a_token_that_signs_the_user_in(tend, rep):
    code, out, _err = tend("token", "create", "rep", "--name", "导入脚本")

    assert code == 0
    heading, raw = out.splitlines()
    assert heading == "Created API token 导入脚本 for rep. It is shown only this once:"
    assert user_for_api_token(raw) == rep
    token = ApiToken.objects.get(user=rep)
    assert token.name == "导入脚本"
    assert raw not in (token.digest, token.prefix)


def test_token_create_for_an_unknown_user_writes_nothing(tend, db):
    code, out, err = tend("token", "create", "nobody")

    assert (code, out, err) == (2, "", "No user is named nobody.\n")
    assert ApiToken.objects.count() == 0


def test_a_created_user_can_sign_in(tend, rf):
    tend("user", "create", "xiaoming", "--role", "sales_rep", "--password", STRONG)

    request = rf.post("/login/")
    assert authenticate(request, username="xiaoming", password=STRONG) is not None
