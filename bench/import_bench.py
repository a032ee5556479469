"""Import throughput: Tend's import of a customer CSV, then of an order CSV naming those
customers, end to end (reading, the forms' rules
per cell, matching by key, duplicate checks, writing with audit entries and the name index),
beside the raw insert of the same rows into the same table (SQLite `executemany` in one
transaction; PostgreSQL `COPY`), and beside django-import-export on the same file, all
measured in the same run.

    .venv/bin/python bench/import_bench.py --rows 1000000 --orders 2000000 \
        --databases sqlite,postgres

Must hold (issue 3): ≥ 50,000 rows/s end to end, and ≥ 0.2× the raw insert rate. The script
prints the figures and exits 0 either way. django-import-export is a benchmark-only
dependency (`pip install -e .[bench]`); without it that line is skipped. It is slow, so it
runs on the first --iie-rows rows of the file and its rate is compared per row."""

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "var" / "bench" / "import"
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/tend_import_bench"
PROVINCES = [
    ("广东省", "深圳市", "4403"),
    ("浙江省", "杭州市", "3301"),
    ("江苏省", "南京市", "3201"),
    ("北京市", "北京市", "1101"),
    ("上海市", "上海市", "3101"),
    ("四川省", "成都市", "5101"),
]
WORDS = "华为腾讯阿里巴巴京东美团小米比亚迪海尔格力联想中兴百度网易宁德时代顺丰万科招商平安"
SUFFIXES = ["科技有限公司", "贸易有限公司", "实业有限公司", "信息技术有限公司", "制造有限公司"]
INDUSTRIES = ["制造业", "信息技术", "批发零售", "建筑业", "金融", "教育"]
SOURCES = ["website", "referral", "exhibition", "cold_call", "advertising"]
ORDER_HEADERS = ["客户编号", "订单号", "产品", "数量", "金额", "下单日期", "付款期限"]
PRODUCTS = ["服务器", "交换机", "软件许可", "年度维保", "咨询服务", "云主机", "打印耗材"]
HEADERS = [
    "客户名称",
    "统一社会信用代码",
    "手机",
    "邮箱",
    "行业",
    "省份",
    "城市",
    "来源",
    "地址",
    "客户编号",
]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--orders", type=int, default=2_000_000, help="order rows (0: none)")
    parser.add_argument("--iie-rows", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--child", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--result-file", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# -- the file ---------------------------------------------------------------------------------


def credit_code(rng: random.Random, division: str, taken: set) -> str:
    from stdnum.cn import uscc

    while True:
        code = _credit_code(rng, division, uscc)
        if code not in taken:
            taken.add(code)
            return code


def _credit_code(rng: random.Random, division: str, uscc) -> str:
    body = f"{rng.randrange(10**8):08d}"
    total = sum(int(d) * w for d, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    check = 11 - total % 11
    partial = f"91{division}00{body}{ {10: 'X', 11: '0'}.get(check, str(check)) }"
    return partial + uscc.calc_check_digit(partial)


def _written_whole(write):
    """Write to a side file and rename it when complete: an interrupted run must not leave a
    short file that the next run would take for the whole one."""

    def wrapper(path: Path, *args) -> None:
        partial = path.with_name(path.name + ".partial")
        write(partial, *args)
        partial.replace(path)

    return wrapper


@_written_whole
def write_customer_file(path: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    taken: set[str] = set()
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for number in range(rows):
            province, city, division = rng.choice(PROVINCES)
            name = (
                "".join(rng.choice(WORDS) for _ in range(rng.randint(2, 4)))
                + f"{number}"
                + rng.choice(SUFFIXES)
            )
            writer.writerow(
                [
                    name,
                    credit_code(rng, division, taken),
                    f"1{rng.choice('3589')}{number:09d}",
                    f"sales{number}@example{number % 97}.cn",
                    rng.choice(INDUSTRIES),
                    province,
                    city,
                    rng.choice(SOURCES),
                    f"{city}{rng.randint(1, 999)}号",
                    f"EXT{number:08d}",
                ]
            )


@_written_whole
def write_order_file(path: Path, rows: int, customers: int, seed: int) -> None:
    """Orders for the customer file's customers (by their external id), over two years."""
    import datetime

    rng = random.Random(seed)
    start = datetime.date(2024, 1, 1)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(ORDER_HEADERS)
        for number in range(rows):
            ordered = start + datetime.timedelta(days=rng.randrange(730))
            writer.writerow(
                [
                    f"EXT{rng.randrange(customers):08d}",
                    f"SO{number:09d}",
                    rng.choice(PRODUCTS),
                    rng.randint(1, 50),
                    f"{rng.randint(100, 500_000)}.{rng.randrange(100):02d}",
                    ordered.isoformat(),
                    (ordered + datetime.timedelta(days=rng.choice((30, 60, 90)))).isoformat(),
                ]
            )


# -- the parent -------------------------------------------------------------------------------


def run_parent(args) -> int:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCH_DIR / f"customers-{args.rows}.csv"
    if not path.exists():
        started = time.perf_counter()
        write_customer_file(path, args.rows, args.seed)
        print(f"wrote {path} ({args.rows:,} rows) in {time.perf_counter() - started:.1f} s")
    order_path = BENCH_DIR / f"orders-{args.orders}-of-{args.rows}.csv"
    if args.orders and not order_path.exists():
        started = time.perf_counter()
        write_order_file(order_path, args.orders, args.rows, args.seed)
        print(f"wrote {order_path} ({args.orders:,} rows) in {time.perf_counter() - started:.1f} s")
    results = []
    for database in [d.strip() for d in args.databases.split(",") if d.strip()]:
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
            result_file = handle.name
        command = [
            sys.executable, __file__, "--child", database, "--file", str(path),
            "--result-file", result_file, "--rows", str(args.rows),
            "--iie-rows", str(args.iie_rows), "--postgres-url", args.postgres_url,
            "--orders", str(args.orders),
        ]  # fmt: skip
        completed = subprocess.run(command, check=False)
        if completed.returncode != 0:
            print(f"{database}: the benchmark child failed (exit {completed.returncode})")
            continue
        results.append(json.loads(Path(result_file).read_text()))
        os.unlink(result_file)
    print()
    print(f"{'database':<10} {'kind':<9} {'rows':>9} {'raw rows/s':>11} {'Tend rows/s':>12} {'Tend/raw':>9} "
          f"{'≥50k/s':>7} {'≥0.2×':>6} {'IIE rows/s':>11} {'Tend/IIE':>9}")  # fmt: skip
    for r in results:
        ratio = r["tend_rate"] / r["raw_rate"]
        rows = [(r["database"], "customers", r["rows"], r["raw_rate"], r["tend_rate"])]
        iie = r.get("iie_rate")
        iie_ratio = f"{r['tend_rate'] / iie:.1f}×" if iie else "—"
        if r.get("orders"):
            orders = r["orders"]
            rows.append((r["database"], "orders", orders["rows"], orders["raw_rate"], orders["tend_rate"]))  # fmt: skip
        for database, kind, count, raw_rate, tend_rate in rows:
            ratio = tend_rate / raw_rate
            customers = kind == "customers"
            print(
                f"{database:<10} {kind:<9} {count:>9,} {raw_rate:>11,.0f} {tend_rate:>12,.0f} "
                f"{ratio:>9.2f} {'yes' if tend_rate >= 50_000 else 'NO':>7} "
                f"{'yes' if ratio >= 0.2 else 'NO':>6} "
                f"{(f'{iie:,.0f}' if iie and customers else '—'):>11} "
                f"{iie_ratio if customers else '—':>9}"
            )
        print(f"{'':<10} Tend phases: {r['phases']}")
    return 0


# -- a child: one database --------------------------------------------------------------------


def setup_database(args) -> None:
    if args.child == "sqlite":
        database = BENCH_DIR / "bench.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    else:
        import psycopg

        name = args.postgres_url.rsplit("/", 1)[1]
        admin_url = args.postgres_url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            connection.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = args.postgres_url
    os.environ["TEND_DATA_DIR"] = str(BENCH_DIR / f"data-{args.child}")
    # A million customers make a file of about 150 MB, past the default 100 MB upload limit.
    os.environ["TEND_IMPORT_MAX_MB"] = "4096"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tend.config.settings.production")
    os.environ.setdefault("TEND_SECRET_KEY", "benchmark-" + "x" * 50)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def raw_rows(path: Path):
    """The file's rows as the customer table's tuples, converted without any checking."""
    from django.db import connection
    from django.utils import timezone

    from tend.core.bulk import datetime_text

    now = datetime_text(timezone.now(), connection.vendor)
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for number, row in enumerate(reader, start=1):
            name, code, mobile, email, industry, province, city, source, address, external = row
            yield (
                number, now, now, "company", name, industry, province, city, source, code,
                "+86" + mobile, email, "", address, external, None, None, "{}", None,
            )  # fmt: skip


def raw_order_rows(path: Path, customer_ids: dict[str, int]):
    """The order file's rows as the order table's tuples, unchecked."""
    from django.db import connection
    from django.utils import timezone

    from tend.core.bulk import datetime_text

    now = datetime_text(timezone.now(), connection.vendor)
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for customer, number, product, quantity, amount, ordered, due in reader:
            yield (now, now, customer_ids[customer], number, product, quantity, amount, ordered,
                   due, "")  # fmt: skip


ORDER_COLUMNS = ("created_at", "updated_at", "customer_id", "number", "description", "quantity",
                 "amount", "ordered_on", "due_on", "notes")  # fmt: skip


def measure_raw(path: Path, kind: str = "customers") -> float:
    from django.db import transaction

    from tend.core.bulk import bulk_insert, large_write_cache
    from tend.customers.models import Customer
    from tend.imports.kinds.customers import CUSTOMER_COLUMNS
    from tend.orders.models import Order

    started = time.perf_counter()
    # The same page cache Tend's import uses.
    with large_write_cache(), transaction.atomic():
        if kind == "customers":
            count = bulk_insert(Customer, CUSTOMER_COLUMNS, raw_rows(path))
        else:
            ids = dict(Customer.objects.values_list("external_id", "id"))
            count = bulk_insert(Order, ORDER_COLUMNS, raw_order_rows(path, ids))
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return count / elapsed


def measure_tend(path: Path, admin, kind: str = "customers") -> tuple[float, dict]:
    from tend.imports.actions import create_import_job, run_import

    phases = {}
    started = time.perf_counter()
    job = create_import_job(
        actor=admin,
        kind=kind,
        source=path,
        file_name=path.name,
        match_key="external_id" if kind == "customers" else "number",
    )
    phases["upload"] = round(time.perf_counter() - started, 1)
    job = run_import(job)
    elapsed = time.perf_counter() - started
    phases["total"] = round(elapsed, 1)
    if job.status != "done" or job.created_count != job.total_rows:
        raise SystemExit(
            f"import did not complete: {job.status} {job.message} {job.errors_sample[:3]}"
        )
    return job.total_rows / elapsed, phases


def measure_iie(path: Path, rows: int) -> float | None:
    try:
        import tablib
        from import_export import resources
    except ImportError:
        print("django-import-export is not installed (pip install -e .[bench]): skipped")
        return None
    from tend.customers.models import Customer

    class CustomerResource(resources.ModelResource):
        class Meta:
            model = Customer
            fields = ("name", "credit_code", "phone", "email", "industry", "province", "city",
                      "source", "address", "external_id")  # fmt: skip
            import_id_fields = ("external_id",)
            use_bulk = True
            batch_size = 2000

    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        data = [row for _index, row in zip(range(rows), reader, strict=False)]
    dataset = tablib.Dataset(headers=list(CustomerResource.Meta.fields))
    for row in data:
        dataset.append([*row[:2], "+86" + row[2], *row[3:]])
    started = time.perf_counter()
    result = CustomerResource().import_data(dataset, dry_run=False, raise_errors=True)
    elapsed = time.perf_counter() - started
    if result.has_errors():
        raise SystemExit("django-import-export reported errors")
    return len(data) / elapsed


def run_child(args) -> int:
    setup_database(args)
    from django.db import connection

    from tend.accounts.actions import create_user
    from tend.accounts.models import Role

    path = Path(args.file)
    admin = create_user(
        username="bench", password="benchmark-password-1", role=Role.ADMIN,
        check_password_strength=False,
    )  # fmt: skip
    print(f"[{args.child}] raw insert of {args.rows:,} rows …", flush=True)
    raw_rate = measure_raw(path)
    print(f"[{args.child}] raw: {raw_rate:,.0f} rows/s; django-import-export …", flush=True)
    iie_rate = measure_iie(path, args.iie_rows)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM customers_customer")
    print(f"[{args.child}] Tend import …", flush=True)
    tend_rate, phases = measure_tend(path, admin)
    print(f"[{args.child}] Tend: {tend_rate:,.0f} rows/s", flush=True)
    orders = None
    if args.orders:
        order_path = path.parent / f"orders-{args.orders}-of-{args.rows}.csv"
        print(f"[{args.child}] raw insert of {args.orders:,} orders …", flush=True)
        order_raw_rate = measure_raw(order_path, "orders")
        print(f"[{args.child}] raw: {order_raw_rate:,.0f} rows/s; Tend import …", flush=True)
        order_rate, order_phases = measure_tend(order_path, admin, "orders")
        print(f"[{args.child}] Tend: {order_rate:,.0f} rows/s", flush=True)
        orders = {
            "rows": args.orders,
            "raw_rate": order_raw_rate,
            "tend_rate": order_rate,
            "phases": order_phases,
        }
    Path(args.result_file).write_text(
        json.dumps(
            {
                "database": args.child,
                "rows": args.rows,
                "raw_rate": raw_rate,
                "tend_rate": tend_rate,
                "iie_rate": iie_rate,
                "phases": phases,
                "orders": orders,
            }
        )
    )
    return 0


if __name__ == "__main__":
    arguments = parse_args()
    sys.exit(run_child(arguments) if arguments.child else run_parent(arguments))
