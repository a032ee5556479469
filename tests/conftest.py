import pytest

from tend.accounts.models import Role
from tests.factories import make_team, make_user


def pytest_report_header(config):
    from django.conf import settings

    return f"database: {settings.DATABASES['default']['ENGINE']}"


@pytest.fixture
def admin(db):
    return make_user(role=Role.ADMIN, username="admin")


@pytest.fixture
def org(db):
    """A small organisation: a head office whose manager also heads a nested branch team,
    and reps in each, plus a rep of an unrelated team."""

    class Org:
        pass

    o = Org()
    o.manager = make_user(role=Role.SALES_MANAGER, username="manager")
    o.team = make_team(name="华东销售", manager=o.manager)
    o.branch = make_team(name="杭州分部", parent=o.team)
    o.rep = make_user(team=o.team, username="rep")
    o.branch_rep = make_user(team=o.branch, username="branch_rep")
    o.other_manager = make_user(role=Role.SALES_MANAGER, username="other_manager")
    o.other_team = make_team(name="华南销售", manager=o.other_manager)
    o.other_rep = make_user(team=o.other_team, username="other_rep")
    return o


@pytest.fixture
def rep(org):
    return org.rep


@pytest.fixture
def other_rep(org):
    return org.other_rep
