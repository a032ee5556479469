"""Importing customers' status: each row moves a customer on a dimension through the status
engine (door "import"), by key or label in either language; refusals come back per row with
the engine's reason; the same file twice changes nothing; a dry run writes nothing."""

import csv
import io

import pytest

from tend.imports.actions import create_import_job, run_import
from tend.imports.models import ImportStatus
from tend.status.models import CustomerState, StateChange
from tests.factories import make_activity, make_customer

HEADERS = ["客户名称", "维度", "状态", "原因"]


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def run(actor, tmp_path, rows, **options):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    writer.writerows(rows)
    path = tmp_path / "states.csv"
    path.write_bytes(buffer.getvalue().encode("utf-8"))
    job = create_import_job(
        actor=actor,
        kind="customer_states",
        source=path,
        file_name=path.name,
        match_key="dimension",
        **options,
    )
    return run_import(job)


def held(customer, dimension_key):
    return set(
        CustomerState.objects.filter(customer=customer, dimension__key=dimension_key).values_list(
            "state__key", flat=True
        )
    )


@pytest.fixture
def customers(rep, admin):
    first = make_customer(rep, name="甲有限公司")
    second = make_customer(rep, name="乙有限公司")
    make_activity(first, admin, valid_communication=True)
    return first, second


def test_rows_move_customers_through_the_engine_by_key_or_label(rep, customers, tmp_path):
    first, second = customers
    job = run(
        rep,
        tmp_path,
        [
            ["甲有限公司", "lifecycle", "lead", ""],
            ["乙有限公司", "生命周期", "潜在", ""],
            ["甲有限公司", "Grade", "A", ""],
        ],
    )
    assert job.status == ImportStatus.DONE, job.errors_sample
    assert held(first, "lifecycle") == held(second, "lifecycle") == {"lead"}
    assert held(first, "grade") == {"A"}
    assert set(StateChange.objects.values_list("door", "actor_id")) == {("import", rep.pk)}
    # The same file again: nothing changes.
    again = run(
        rep,
        tmp_path,
        [["甲有限公司", "lifecycle", "lead", ""], ["乙有限公司", "生命周期", "潜在", ""]],
    )
    assert again.status == ImportStatus.DONE and again.unchanged_count == 2
    assert StateChange.objects.count() == 3


def test_a_refused_move_is_reported_with_the_engines_reason_and_nothing_is_kept(
    rep, customers, tmp_path
):
    run(
        rep,
        tmp_path,
        [["甲有限公司", "lifecycle", "lead", ""], ["乙有限公司", "lifecycle", "lead", ""]],
    )
    before = StateChange.objects.count()
    job = run(
        rep,
        tmp_path,
        [
            ["甲有限公司", "lifecycle", "prospect", ""],  # a valid talk: allowed
            ["乙有限公司", "lifecycle", "prospect", ""],  # none: the guard refuses
            ["乙有限公司", "价值", "无此状态", ""],
        ],
    )
    assert job.status == ImportStatus.ROLLED_BACK
    errors = {(error["row"], error["column"]): error["message"] for error in job.errors_sample}
    assert errors[(3, "state")].startswith("The condition “valid_activities >= 1” does not hold")
    assert errors[(4, "state")] == "“Value” has no such state."
    assert StateChange.objects.count() == before
    assert held(customers[0], "lifecycle") == {"lead"}


def test_a_dry_run_checks_every_move_and_writes_nothing(rep, customers, tmp_path):
    job = run(rep, tmp_path, [["甲有限公司", "grade", "B", ""]], dry_run=True)
    assert job.status == ImportStatus.DONE and job.updated_count == 1
    assert StateChange.objects.count() == 0


def test_another_reps_customer_is_not_found(other_rep, customers, tmp_path):
    job = run(other_rep, tmp_path, [["甲有限公司", "grade", "B", ""]])
    assert job.status == ImportStatus.ROLLED_BACK
    assert StateChange.objects.count() == 0
