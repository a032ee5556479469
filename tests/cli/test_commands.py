import pytest

from tend.cli.main import _prescan_option

pytestmark = pytest.mark.django_db


def test_migrate_on_an_up_to_date_database_says_so(tend):
    code, out, _err = tend("migrate")

    assert code == 0
    assert out.splitlines()[1] == "The database is up to date."


def test_manage_passes_commands_through_to_django(tend):
    code, out, _err = tend("manage", "showmigrations", "customers")

    assert code == 0
    assert out.splitlines()[:2] == ["customers", " [X] 0001_initial"]


def test_a_command_is_required(tend):
    with pytest.raises(SystemExit) as exit_info:
        tend()
    assert exit_info.value.code == 2


def test_the_database_url_is_read_before_django_starts():
    assert _prescan_option(["demo", "--database-url", "sqlite:///x"], "--database-url") == (
        "sqlite:///x"
    )
    assert _prescan_option(["demo", "--database-url=postgres://h/db"], "--database-url") == (
        "postgres://h/db"
    )
    assert _prescan_option(["demo", "--customers", "5"], "--database-url") is None
