"""`tend import`: the CLI door to imports, with its progress and its report."""

import pytest

from tend.cli.main import main
from tend.customers.models import Customer


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@pytest.mark.django_db(transaction=True)
def test_import_creates_customers_and_reports_counts(admin, tmp_path, capsys):
    path = tmp_path / "c.csv"
    path.write_text("客户名称,电话\n华为,13812345678\n腾讯,13912345678\n", encoding="utf-8")
    assert main(["import", "customers", str(path), "--as", "admin"]) == 0
    out = capsys.readouterr()
    assert "2 created, 0 updated, 0 unchanged, 0 rows with errors, of 2 rows." in out.out
    assert "100%" in out.err
    assert Customer.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_import_with_errors_exits_1_and_names_the_report(admin, tmp_path, capsys):
    path = tmp_path / "c.csv"
    path.write_text("客户名称,电话\n华为,12\n", encoding="utf-8")
    assert main(["import", "customers", str(path), "--key", "phone"]) == 1
    out = capsys.readouterr()
    assert "Nothing written" in out.out
    assert "Error report:" in out.out
    assert "row 2, phone “12”" in out.err
    assert Customer.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_explicit_mapping_and_dry_run(admin, tmp_path, capsys):
    path = tmp_path / "c.csv"
    path.write_text("Firma,Tel\n华为,13812345678\n", encoding="utf-8")
    code = main(
        ["import", "customers", str(path), "--map", "Firma=name", "--map", "Tel=phone", "--dry-run"]
    )
    assert code == 0
    assert "Dry run" in capsys.readouterr().out
    assert Customer.objects.count() == 0
