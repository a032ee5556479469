"""Imports: files in every accepted encoding and format, the same rules as the forms,
matching by key, all-or-nothing writes, and clear reports for bad files."""

import codecs
import csv
import io
import zipfile

import openpyxl
import pytest

from tend.audit.models import AuditEntry
from tend.core.errors import ValidationFailed
from tend.customers.models import Customer
from tend.customers.selectors import CustomerFilters, filter_customers
from tend.imports.actions import create_import_job, run_import
from tend.imports.exports import safe_cell
from tend.imports.models import ColumnMapping, ImportStatus
from tend.imports.readers import FileRejected
from tests.factories import make_customer

HEADERS = ["客户名称", "统一社会信用代码", "电话", "邮箱", "省份", "标签"]
GOOD = [
    [
        "华为技术有限公司",
        "914403001922038216",
        "13812345678",
        "Sales@Huawei.com",
        "广东省",
        "VIP,华南",
    ],
    ["腾讯科技", "", "010-12345678", "", "广东省", ""],
]


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def write_csv(path, rows, headers=HEADERS, encoding="utf-8"):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path, rows, headers=HEADERS):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def run(actor, path, **options):
    options.setdefault("match_key", "phone")
    job = create_import_job(
        actor=actor, kind="customers", source=path, file_name=path.name, **options
    )
    return run_import(job)


@pytest.mark.parametrize(
    "name,encoding",
    [("utf8.csv", "utf-8"), ("bom.csv", "utf-8-sig"), ("gbk.csv", "gb18030")],
)
def test_csv_in_each_encoding_imports_the_same_customers(admin, tmp_path, name, encoding):
    job = run(admin, write_csv(tmp_path / name, GOOD, encoding=encoding))
    assert job.status == ImportStatus.DONE, job.message
    assert job.created_count == 2
    huawei = Customer.objects.get(name="华为技术有限公司")
    assert huawei.phone == "+8613812345678"
    assert huawei.email == "sales@huawei.com"  # the form's rule: lower-cased
    assert huawei.owner == admin
    assert sorted(huawei.tags.values_list("name", flat=True)) == ["VIP", "华南"]
    assert job.encoding == encoding


def test_xlsx_imports_and_the_names_are_searchable(admin, tmp_path):
    job = run(admin, write_xlsx(tmp_path / "c.xlsx", GOOD))
    assert job.status == ImportStatus.DONE, job.message
    found = filter_customers(admin, CustomerFilters(query="华为"))
    assert [c.name for c in found] == ["华为技术有限公司"]


def test_each_created_customer_has_an_audit_entry(admin, tmp_path):
    run(admin, write_csv(tmp_path / "c.csv", GOOD))
    entries = AuditEntry.objects.filter(object_type="customers.customer", action="create")
    assert entries.count() == 2
    assert entries.first().actor == admin


def test_running_the_same_file_again_changes_nothing(admin, tmp_path):
    path = write_csv(tmp_path / "c.csv", GOOD)
    run(admin, path)
    before = list(Customer.objects.order_by("pk").values())
    again = run(admin, path)
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 2)
    assert list(Customer.objects.order_by("pk").values()) == before


def test_a_changed_row_updates_the_matched_customer_and_records_the_change(admin, tmp_path):
    run(admin, write_csv(tmp_path / "c.csv", GOOD))
    changed = [[*GOOD[0][:4], "浙江省", GOOD[0][5]], GOOD[1]]
    job = run(admin, write_csv(tmp_path / "c2.csv", changed))
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 1, 1)
    assert Customer.objects.get(phone="+8613812345678").province == "浙江省"
    entry = AuditEntry.objects.get(action="update", object_type="customers.customer")
    assert entry.changes == {"province": ["广东省", "浙江省"]}


def test_a_bad_row_rolls_the_whole_file_back_and_is_reported(admin, tmp_path):
    rows = [*GOOD, ["坏数据公司", "914403001922038217", "12345", "not-an-email", "", ""]]
    job = run(admin, write_csv(tmp_path / "c.csv", rows))
    assert job.status == ImportStatus.ROLLED_BACK
    assert Customer.objects.count() == 0
    assert job.error_count == 1
    problems = {(e["row"], e["column"]) for e in job.errors_sample}
    assert problems == {(4, "credit_code"), (4, "phone"), (4, "email")}
    report = openpyxl.load_workbook(tmp_path / "imports" / job.report_name)
    rows_in_report = list(report.active.iter_rows(values_only=True))
    assert rows_in_report[0] == ("Row", "Column", "Value", "Message")
    assert {(r[0], r[1]) for r in rows_in_report[1:]} == problems


def test_skip_invalid_imports_the_valid_rows(admin, tmp_path):
    rows = [*GOOD, ["坏数据公司", "", "12345", "", "", ""]]
    job = run(admin, write_csv(tmp_path / "c.csv", rows), skip_invalid=True)
    assert job.status == ImportStatus.DONE
    assert Customer.objects.count() == 2


def test_a_dry_run_reports_and_writes_nothing(admin, tmp_path):
    job = run(admin, write_csv(tmp_path / "c.csv", GOOD), dry_run=True)
    assert job.status == ImportStatus.DONE
    assert "nothing was written" in job.message
    assert job.created_count == 2
    assert Customer.objects.count() == 0


def test_a_key_repeated_inside_the_file_is_an_error(admin, tmp_path):
    rows = [GOOD[0], [*GOOD[1][:2], "138 1234 5678", *GOOD[1][3:]]]
    job = run(admin, write_csv(tmp_path / "c.csv", rows))
    assert job.status == ImportStatus.ROLLED_BACK
    assert job.errors_sample[0]["row"] == 3
    assert "Row 2" in job.errors_sample[0]["message"]


def test_a_new_row_duplicating_an_existing_customer_by_another_key_is_refused(admin, tmp_path):
    make_customer(admin, name="老华为", email="sales@huawei.com")
    job = run(admin, write_csv(tmp_path / "c.csv", GOOD))
    assert job.status == ImportStatus.ROLLED_BACK
    assert job.errors_sample[0]["column"] == "email"


def test_a_key_held_by_a_customer_the_importer_cannot_see_is_refused(org, tmp_path):
    make_customer(org.other_rep, name="别人的客户", phone="13812345678")
    job = run(org.rep, write_csv(tmp_path / "c.csv", GOOD))
    assert job.status == ImportStatus.ROLLED_BACK
    assert Customer.objects.filter(phone="+8613812345678").count() == 1


def test_mixed_date_formats_and_formulas_in_cells_are_handled(admin, tmp_path):
    rows = [['=HYPERLINK("http://x")', "", "13912345678", "", "", ""]]
    job = run(admin, write_csv(tmp_path / "c.csv", rows))
    assert job.status == ImportStatus.DONE
    # Kept as the text it is; exports neutralise it.
    name = Customer.objects.get().name
    assert safe_cell(name).startswith("'=")


def test_missing_required_column_is_refused_before_anything_runs(admin, tmp_path):
    path = write_csv(tmp_path / "c.csv", [["13812345678"]], headers=["电话"])
    with pytest.raises(ValidationFailed) as caught:
        run(admin, path)
    assert "mapping" in caught.value.field_errors


def test_the_mapping_is_saved_per_user_and_offered_again(admin, tmp_path):
    path = write_csv(tmp_path / "c.csv", [["华为", "13812345678"]], headers=["公司全称", "Tel."])
    run(admin, path, mapping={"公司全称": "name", "Tel.": "phone"})
    saved = ColumnMapping.objects.get(user=admin, kind="customers")
    assert saved.mapping == {"公司全称": "name", "tel.": "phone"}
    from tend.imports.actions import suggest_mapping

    mapping, key = suggest_mapping(actor=admin, kind="customers", headers=["公司全称", "Tel."])
    assert mapping == {"公司全称": "name", "Tel.": "phone"}
    assert key == "phone"


def test_an_encoding_that_is_neither_utf8_nor_gb18030_is_refused(admin, tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes("客户名称,电话\n".encode() + codecs.encode("华为", "utf-16") + b"\xff\xfe\x00")
    with pytest.raises(FileRejected) as caught:
        run(admin, path)
    assert "UTF-8" in str(caught.value.message)


def test_a_truncated_xlsx_is_refused_clearly(admin, tmp_path):
    whole = write_xlsx(tmp_path / "whole.xlsx", GOOD).read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(FileRejected) as caught:
        run(admin, path)
    assert "damaged" in str(caught.value.message)
    assert Customer.objects.count() == 0


def test_a_zip_bomb_is_refused_before_it_is_parsed(admin, tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (50 * 1024 * 1024))
    with pytest.raises(FileRejected) as caught:
        run(admin, path)
    assert "expands" in str(caught.value.message)


def test_a_file_over_the_size_limit_is_refused(admin, tmp_path, settings):
    settings.TEND_IMPORT_MAX_BYTES = 1024
    path = write_csv(tmp_path / "c.csv", GOOD * 40)
    with pytest.raises(FileRejected) as caught:
        run(admin, path)
    assert "larger than" in str(caught.value.message)
    assert list((tmp_path / "imports").glob("*.csv")) == []


def run_kind(actor, kind, path, **options):
    job = create_import_job(actor=actor, kind=kind, source=path, file_name=path.name, **options)
    return run_import(job)


def test_contacts_attach_to_their_customer_by_credit_code_and_match_by_mobile(admin, tmp_path):
    customer = make_customer(admin, name="华为", credit_code="914403001922038216")
    headers = ["统一社会信用代码", "联系人", "职务", "手机", "主联系人"]
    rows = [
        ["914403001922038216", "张三", "采购经理", "13812345678", "是"],
        ["914403001922038216", "李四", "", "13912345678", ""],
    ]
    path = write_csv(tmp_path / "contacts.csv", rows, headers=headers)
    job = run_kind(admin, "contacts", path, match_key="mobile")
    assert job.status == ImportStatus.DONE, (job.message, job.errors_sample)
    contacts = {c.name: c for c in customer.contacts.all()}
    assert contacts["张三"].mobile == "+8613812345678"
    assert contacts["张三"].is_primary and not contacts["李四"].is_primary
    again = run_kind(admin, "contacts", path, match_key="mobile")
    assert (again.created_count, again.unchanged_count) == (0, 2)


def test_a_contact_row_naming_an_unknown_or_ambiguous_customer_is_an_error(admin, tmp_path):
    make_customer(admin, name="同名公司", phone="13700000001")
    make_customer(admin, name="同名公司", phone="13700000002")
    rows = [["同名公司", "张三", "13812345678"], ["没有这家", "李四", "13912345678"]]
    path = write_csv(tmp_path / "c.csv", rows, headers=["客户名称", "联系人", "手机"])
    job = run_kind(admin, "contacts", path, match_key="mobile")
    assert job.status == ImportStatus.ROLLED_BACK
    messages = {e["row"]: e["message"] for e in job.errors_sample}
    assert "Several customers" in messages[2]
    assert "No customer you can see" in messages[3]


def test_activities_move_the_customers_time_nodes_and_import_once(admin, tmp_path):
    customer = make_customer(admin, name="华为", phone="13812345678")
    headers = ["客户电话", "类型", "时间", "内容", "有效沟通", "下次跟进"]
    rows = [
        ["13812345678", "电话", "2026-03-01 10:00", "初次沟通", "是", "2026-03-08"],
        ["13812345678", "拜访", "2026/03/05 15:30", "上门拜访", "否", ""],
    ]
    path = write_csv(tmp_path / "a.csv", rows, headers=headers)
    job = run_kind(admin, "activities", path)
    assert job.status == ImportStatus.DONE, (job.message, job.errors_sample)
    customer.refresh_from_db()
    assert customer.activities.count() == 2
    assert customer.first_contact_at.date().isoformat() == "2026-03-01"
    assert customer.last_contact_at.date().isoformat() == "2026-03-05"
    assert customer.next_follow_up_on.isoformat() == "2026-03-08"
    again = run_kind(admin, "activities", path)
    assert (again.created_count, again.unchanged_count) == (0, 2)


def test_an_activity_for_a_customer_the_importer_cannot_see_is_refused(org, tmp_path):
    make_customer(org.other_rep, name="别人的", phone="13812345678")
    rows = [["13812345678", "电话", "2026-03-01 10:00", "偷偷记录"]]
    path = write_csv(tmp_path / "a.csv", rows, headers=["客户电话", "类型", "时间", "内容"])
    job = run_kind(org.rep, "activities", path)
    assert job.status == ImportStatus.ROLLED_BACK
    assert "No customer you can see" in job.errors_sample[0]["message"]


def test_ambiguous_and_impossible_dates_are_reported_per_row(admin, tmp_path):
    make_customer(admin, name="华为", phone="13812345678")
    rows = [
        ["13812345678", "电话", "03/04/2026 10:00", "a"],
        ["13812345678", "电话", "2026-02-30 10:00", "b"],
        ["13812345678", "电话", "2026年3月6日 9:00", "c"],
    ]
    path = write_csv(tmp_path / "a.csv", rows, headers=["客户电话", "类型", "时间", "内容"])
    job = run_kind(admin, "activities", path)
    messages = {e["row"]: e["message"] for e in job.errors_sample}
    assert "ambiguous" in messages[2]
    assert "not a date" in messages[3]
    assert 4 not in messages


def test_orders_import_keeps_last_order_and_refuses_a_due_date_before_the_order(admin, tmp_path):
    customer = make_customer(admin, name="华为", external_id="C-1")
    headers = ["客户编号", "订单号", "产品", "金额", "下单日期", "付款期限"]
    rows = [
        ["C-1", "SO-1", "服务器", "¥12,000.50", "2026-01-10", "2026-02-10"],
        ["C-1", "SO-2", "交换机", "3000", "2026/03/01", ""],
    ]
    path = write_csv(tmp_path / "o.csv", rows, headers=headers)
    job = run_kind(admin, "orders", path)
    assert job.status == ImportStatus.DONE, (job.message, job.errors_sample)
    customer.refresh_from_db()
    assert customer.last_order_on.isoformat() == "2026-03-01"
    assert str(customer.orders.get(number="SO-1").amount) == "12000.50"
    again = run_kind(admin, "orders", path)
    assert (again.created_count, again.unchanged_count) == (0, 2)
    bad = [["C-1", "SO-3", "路由器", "100", "2026-03-01", "2026-02-01"]]
    job = run_kind(admin, "orders", write_csv(tmp_path / "bad.csv", bad, headers=headers))
    assert job.status == ImportStatus.ROLLED_BACK
    assert job.errors_sample[0]["column"] == "due_on"


def test_the_last_order_date_follows_new_older_and_redated_orders(admin, tmp_path):
    customer = make_customer(admin, name="华为", external_id="C-1")
    headers = ["客户编号", "订单号", "产品", "金额", "下单日期"]

    def imported(rows, name):
        job = run_kind(admin, "orders", write_csv(tmp_path / name, rows, headers=headers))
        assert job.status == ImportStatus.DONE, (job.message, job.errors_sample)
        customer.refresh_from_db()
        return customer.last_order_on.isoformat()

    assert imported([["C-1", "SO-1", "服务器", "100", "2026-03-01"]], "a.csv") == "2026-03-01"
    # An older new order leaves the newest in place; a newer one moves it forward.
    assert imported([["C-1", "SO-0", "服务器", "100", "2025-12-01"]], "b.csv") == "2026-03-01"
    assert imported([["C-1", "SO-2", "服务器", "100", "2026-04-02"]], "c.csv") == "2026-04-02"
    # The newest order re-dated to the past: the date goes back to the next newest.
    assert imported([["C-1", "SO-2", "服务器", "100", "2025-01-01"]], "d.csv") == "2026-03-01"


def test_imported_payments_settle_the_oldest_orders_first(admin, tmp_path):
    from tend.orders.selectors import customer_receivables

    make_customer(admin, name="华为", external_id="C-1")
    orders = [
        ["C-1", "SO-1", "服务器", "1000", "2026-01-10", "2026-02-10"],
        ["C-1", "SO-2", "交换机", "500", "2026-01-20", "2026-02-20"],
    ]
    order_headers = ["客户编号", "订单号", "产品", "金额", "下单日期", "付款期限"]
    run_kind(admin, "orders", write_csv(tmp_path / "o.csv", orders, headers=order_headers))
    payments = [["C-1", "1200", "2026-02-15", "BANK-77"]]
    path = write_csv(
        tmp_path / "p.csv", payments, headers=["客户编号", "金额", "回款日期", "流水号"]
    )
    job = run_kind(admin, "payments", path)
    assert job.status == ImportStatus.DONE, (job.message, job.errors_sample)
    customer = Customer.objects.get(external_id="C-1")
    first, second = customer.orders.order_by("ordered_on")
    assert sum(a.amount for a in first.allocations.all()) == 1000
    assert sum(a.amount for a in second.allocations.all()) == 200
    assert customer_receivables(customer.pk).balance == 300
    again = run_kind(admin, "payments", path)
    assert (again.created_count, again.unchanged_count) == (0, 1)
