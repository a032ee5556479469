"""Server-time benchmark of Tend's busiest pages and endpoints, beside the floor of the same
server, at 100,000 customers and about a million activities.

For each database it builds a fresh database (SQLite under var/bench/, PostgreSQL database
`tend_bench`), migrates it, fills it with `tend demo`, and then times requests in-process
through the full Django stack — production settings, DEBUG off, every middleware — with a
signed-in admin, a signed-in rep and a Bearer token for the API. Endpoints are interleaved in
every round (in a shuffled order) after a warm-up, so that they share the same conditions.

The budget: every p95 ≤ 50 ms and ≤ 5× the floor's p95 (GET /healthz). The script prints the
table and a summary line and exits 0 either way; for an endpoint over budget it prints the
query plan of its slowest query.

    .venv/bin/python bench/latency_bench.py --customers 100000 --databases sqlite,postgres

Each database runs in its own child process (Django's settings are per process)."""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "var" / "bench"
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/tend_bench"
BUDGET_MS = 50.0
BUDGET_RATIO = 5.0
WARMUP_ROUNDS = 10
COMMON_PROVINCE = "广东省"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per endpoint")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse the benchmark database if it already holds demo data (skips the build)",
    )
    parser.add_argument(
        "--explain-all",
        action="store_true",
        help="print the slowest query's plan for every endpoint",
    )
    parser.add_argument("--child", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    parser.add_argument("--result-file", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# -- the parent: one child per database, then the table ---------------------------------------


def run_parent(args) -> int:
    databases = [name.strip() for name in args.databases.split(",") if name.strip()]
    results = []
    for database in databases:
        if database not in ("sqlite", "postgres"):
            print(f"unknown database {database!r}: use sqlite and/or postgres")
            return 2
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
            result_file = handle.name
        env = dict(os.environ)
        env.pop("TEND_DEBUG", None)
        env["DJANGO_SETTINGS_MODULE"] = "tend.config.settings.production"
        env["TEND_DATA_DIR"] = str(BENCH_DIR / database)
        env["DATABASE_URL"] = (
            f"sqlite:///{BENCH_DIR / database / 'bench.sqlite3'}"
            if database == "sqlite"
            else args.postgres_url
        )
        command = [
            sys.executable,
            __file__,
            "--child",
            database,
            "--result-file",
            result_file,
            "--customers",
            str(args.customers),
            "--requests",
            str(args.requests),
            "--seed",
            str(args.seed),
            "--postgres-url",
            args.postgres_url,
        ]
        command += ["--reuse"] if args.reuse else []
        command += ["--explain-all"] if args.explain_all else []
        print(f"== {database}", flush=True)
        completed = subprocess.run(command, env=env, check=False)
        if completed.returncode != 0:
            print(f"{database}: the benchmark child failed (exit {completed.returncode})")
            continue
        results.append(json.loads(Path(result_file).read_text()))
        Path(result_file).unlink()

    print()
    failures = 0
    for result in results:
        failures += print_result(result, explain_all=args.explain_all)
    rows = [
        (row, next(r for r in result["endpoints"] if r["name"] == "floor"))
        for result in results
        for row in result["endpoints"]
        if row["name"] != "floor"
    ]
    absolute = sum(1 for row, _floor in rows if row["p95_ms"] <= BUDGET_MS and not row["errors"])
    relative = sum(1 for row, floor in rows if row["p95_ms"] <= BUDGET_RATIO * floor["p95_ms"])
    print(
        f"SUMMARY: {len(rows) - failures} of {len(rows)} endpoint measurements within budget "
        f"(p95 ≤ {BUDGET_MS:.0f} ms and ≤ {BUDGET_RATIO:.0f}× floor); {absolute} within "
        f"{BUDGET_MS:.0f} ms, {relative} within {BUDGET_RATIO:.0f}× floor; on "
        f"{', '.join(r['database'] for r in results) or 'no database'}"
    )
    return 0


def print_result(result, *, explain_all: bool) -> int:
    build = result["build"]
    print(
        f"{result['database']} — {result['customers']:,} customers, "
        f"{result['activities']:,} activities; migrate {build.get('migrate_s', 0):.1f} s, "
        f"demo {build.get('demo_s', 0):.1f} s; {result['requests']} requests per endpoint; "
        f"busy customer #{result['busy_customer']} with {result['busy_activities']} activities"
    )
    load = result["load_average"]
    print(
        f"  machine load average (1 min) {load[0]} before and {load[3]} after measuring "
        f"({os.cpu_count()} cores; other processes running share them)"
    )
    floor = next(row for row in result["endpoints"] if row["name"] == "floor")
    header = (
        f"  {'endpoint':<22} {'p50 ms':>8} {'p95 ms':>8} {'×floor':>7} {'db ms':>6} {'queries':>7}  "
        f"{'verdict':<8} request"
    )
    print(header)
    print("  " + "-" * (len(header) + 20))
    failures = 0
    for row in result["endpoints"]:
        ratio = row["p95_ms"] / floor["p95_ms"] if floor["p95_ms"] else float("inf")
        if row["name"] == "floor":
            verdict = "floor"
        elif row["errors"]:
            verdict = "ERROR"
        elif row["p95_ms"] <= BUDGET_MS and ratio <= BUDGET_RATIO:
            verdict = "PASS"
        else:
            verdict = "FAIL"
        if verdict in ("FAIL", "ERROR"):
            failures += 1
        row["verdict"] = verdict
        print(
            f"  {row['name']:<22} {row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f} {ratio:>6.1f}× "
            f"{row['db_ms']:>6.1f} {row['queries']:>7}  {verdict:<8} {row['request']}"
        )
        if row["errors"]:
            print(f"      {row['errors']} responses were not successful: {row['error_sample']}")
    for row in result["endpoints"]:
        if row["slowest_query"] and (row["verdict"] in ("FAIL", "ERROR") or explain_all):
            query = row["slowest_query"]
            print(f"\n  slowest query of {row['name']} ({query['ms']:.1f} ms):")
            print("    " + query["sql"][:1500])
            if query["params"]:
                print(f"    params: {query['params'][:20]}")
            print("  plan:")
            for line in query["plan"]:
                print("    " + line)
    print()
    return failures


# -- the child: build, then measure ----------------------------------------------------------


def fresh_postgres_database(url: str) -> None:
    import psycopg

    server_url, name = url.rsplit("/", 1)
    with psycopg.connect(server_url + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def build(args) -> dict:
    """A fresh, migrated database with demo data (or the existing one, with --reuse)."""
    from django.core.management import call_command
    from django.db import connection

    from tend.customers.models import Customer
    from tend.demo.generator import create_demo_data

    timings = {}
    started = time.monotonic()
    call_command("migrate", interactive=False, verbosity=0)
    timings["migrate_s"] = time.monotonic() - started
    if args.reuse and Customer.objects.count() >= args.customers:
        print("reusing the existing benchmark database (migrated, analysed)", flush=True)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        return timings
    started = time.monotonic()
    create_demo_data(
        customers=args.customers, seed=args.seed, progress=lambda m: print("  " + m, flush=True)
    )
    timings["demo_s"] = time.monotonic() - started
    return timings


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    index = min(round(fraction * (len(ordered) - 1)), len(ordered) - 1)
    return ordered[index]


class QueryTimer:
    """Times every query (connection.execute_wrapper): how much of a request is database."""

    def __init__(self):
        self.total_ms = 0.0
        self.queries: list[tuple[str, object, float]] = []
        self.keep = False

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            self.total_ms += elapsed
            if self.keep:
                self.queries.append((sql, params, elapsed))


class Endpoint:
    def __init__(self, name, client, method, path, body=None, expect=(200,)):
        self.name = name
        self.client = client
        self.method = method
        self.path = path
        self.body = body
        self.expect = expect
        self.samples: list[float] = []
        self.database_ms: list[float] = []
        self.errors = 0
        self.error_sample = ""

    @property
    def request(self) -> str:
        return f"{self.method} {self.path}"

    def call(self):
        if self.method == "GET":
            return self.client.get(self.path)
        body = self.body() if callable(self.body) else self.body
        return self.client.post(self.path, data=json.dumps(body), content_type="application/json")

    def timed_call(self, timer: QueryTimer, record: bool) -> None:
        timer.total_ms = 0.0
        started = time.perf_counter()
        response = self.call()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code not in self.expect:
            self.errors += record
            self.error_sample = f"{response.status_code} {response.content[:200]!r}"
        if record:
            self.samples.append(elapsed)
            self.database_ms.append(timer.total_ms)


def resolve_path(client, candidates: list[str]) -> str:
    """The first candidate path that exists (the API may or may not use trailing slashes)."""
    for candidate in candidates:
        if client.get(candidate).status_code != 404:
            return candidate
    return candidates[0]


def setup_endpoints():
    from django.db.models import Count
    from django.test import Client
    from django.utils import timezone

    from tend.accounts.actions import create_api_token
    from tend.accounts.models import Role, User
    from tend.activities.models import Activity

    admin = User.objects.filter(role=Role.ADMIN).order_by("id").first()
    rep = User.objects.filter(username="rep1").first() or (
        User.objects.filter(role=Role.SALES_REP).order_by("id").first()
    )
    busy = (
        Activity.objects.values("customer_id")
        .annotate(n=Count("id"))
        .order_by("-n", "customer_id")
        .first()
    )
    busy_id, busy_count = busy["customer_id"], busy["n"]
    _token, raw_token = create_api_token(user=admin, name="benchmark")

    anonymous = Client(HTTP_HOST="127.0.0.1")
    admin_web = Client(HTTP_HOST="127.0.0.1")
    admin_web.force_login(admin)
    rep_web = Client(HTTP_HOST="127.0.0.1")
    rep_web.force_login(rep)
    api = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {raw_token}")

    list_path = resolve_path(api, ["/api/v1/customers", "/api/v1/customers/"])
    detail_path = resolve_path(
        api, [f"/api/v1/customers/{busy_id}", f"/api/v1/customers/{busy_id}/"]
    )
    activity_path = "/api/v1/activities" + ("/" if list_path.endswith("/") else "")
    counter = iter(range(10**9))

    def activity_body():
        return {
            "customer": busy_id,
            "kind": "call",
            "occurred_at": timezone.now().isoformat(),
            "summary": f"基准测试电话 {next(counter)}",
        }

    endpoints = [
        Endpoint("floor", anonymous, "GET", "/healthz"),
        Endpoint(
            "web list (province)",
            admin_web,
            "GET",
            f"/customers/?province={COMMON_PROVINCE}&ordering=-last_contact_at",
        ),
        Endpoint("web list (rep, mine)", rep_web, "GET", "/customers/?owner=me&ordering=name"),
        # Name search: a common two-character word (many matches) and a rare one.
        Endpoint("web search (common)", admin_web, "GET", "/customers/?q=%E7%A7%91%E6%8A%80"),
        Endpoint("web search (rare)", rep_web, "GET", "/customers/?q=%E5%AE%8F%E8%BE%BE"),
        Endpoint("web customer page", admin_web, "GET", f"/customers/{busy_id}/"),
        # The journey's records (issue 3): the default pipeline's board, the deal list and the
        # ticket list, as the admin sees them (every record) and as a rep (their own).
        Endpoint("web deal board", admin_web, "GET", "/deals/"),
        Endpoint("web deal board (rep)", rep_web, "GET", "/deals/"),
        Endpoint("web deal list", admin_web, "GET", "/deals/list/?status=open"),
        Endpoint("web ticket list", admin_web, "GET", "/tickets/"),
        Endpoint("web ticket list (rep)", rep_web, "GET", "/tickets/?status=open"),
        Endpoint(
            "api list (province)",
            api,
            "GET",
            f"{list_path}?province={COMMON_PROVINCE}&ordering=-last_contact_at",
        ),
        Endpoint("api detail", api, "GET", detail_path),
        Endpoint(
            "api create activity",
            api,
            "POST",
            activity_path,
            body=activity_body,
            expect=(200, 201),
        ),
    ]
    return endpoints, {"busy_customer": busy_id, "busy_activities": busy_count}


def slowest_query(endpoint, timer: QueryTimer) -> dict | None:
    """Run the endpoint once more, timing its queries; the slowest one with its plan."""
    from django.db import connection

    timer.queries, timer.keep = [], True
    try:
        endpoint.call()
    finally:
        timer.keep = False
    queries = [
        q
        for q in timer.queries
        if q[0].lstrip().upper().startswith(("SELECT", "UPDATE", "INSERT", "DELETE", "WITH"))
    ]
    if not queries:
        return None
    sql, params, elapsed = max(queries, key=lambda q: q[2])
    is_select = sql.lstrip().upper().startswith(("SELECT", "WITH"))
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
                plan = [str(row[-1]) for row in cursor.fetchall()]
            else:
                prefix = "EXPLAIN (ANALYZE, BUFFERS) " if is_select else "EXPLAIN "
                cursor.execute(prefix + sql, params)
                plan = [row[0] for row in cursor.fetchall()]
    except Exception as exc:
        plan = [f"(could not explain: {exc})"]
    return {"sql": sql, "params": [str(p) for p in params or ()], "ms": elapsed, "plan": plan}


def run_child(args) -> int:
    if args.child == "sqlite":
        database_file = BENCH_DIR / "sqlite" / "bench.sqlite3"
        database_file.parent.mkdir(parents=True, exist_ok=True)
        if not args.reuse:
            for suffix in ("", "-wal", "-shm"):
                Path(str(database_file) + suffix).unlink(missing_ok=True)
    elif not args.reuse:
        fresh_postgres_database(args.postgres_url)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from tend.activities.models import Activity
    from tend.customers.models import Customer

    assert not settings.DEBUG, "the benchmark measures production settings (DEBUG off)"
    timings = build(args)
    call_command("collectstatic", interactive=False, verbosity=0)
    endpoints, facts = setup_endpoints()
    missing = [e.name for e in endpoints if e.call().status_code == 404]
    if missing:
        print(f"  not there yet (404): {', '.join(missing)}", flush=True)

    from django.db import connection

    rng = random.Random(args.seed)
    load_before = [round(value, 2) for value in os.getloadavg()]
    timer = QueryTimer()
    print(f"  warming up ({WARMUP_ROUNDS} rounds), then {args.requests} rounds…", flush=True)
    with connection.execute_wrapper(timer):
        for round_number in range(WARMUP_ROUNDS + args.requests):
            order = endpoints[:]
            rng.shuffle(order)
            for endpoint in order:
                endpoint.timed_call(timer, record=round_number >= WARMUP_ROUNDS)

        rows = []
        for endpoint in endpoints:
            slowest = slowest_query(endpoint, timer)
            rows.append(
                {
                    "name": endpoint.name,
                    "request": endpoint.request,
                    "p50_ms": statistics.median(endpoint.samples),
                    "p95_ms": percentile(endpoint.samples, 0.95),
                    "db_ms": statistics.mean(endpoint.database_ms),
                    "queries": len(timer.queries),
                    "errors": endpoint.errors,
                    "error_sample": endpoint.error_sample,
                    "slowest_query": slowest,
                }
            )
    result = {
        "database": f"{args.child} ({connection.vendor} {connection.Database.sqlite_version if connection.vendor == 'sqlite' else connection.pg_version})",
        "customers": Customer.objects.count(),
        "activities": Activity.objects.count(),
        "requests": args.requests,
        "build": timings,
        "load_average": load_before + [round(v, 2) for v in os.getloadavg()],
        **facts,
        "endpoints": rows,
    }
    Path(args.result_file).write_text(json.dumps(result, ensure_ascii=False))
    return 0


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.child:
        return run_child(args)
    return run_parent(args)


if __name__ == "__main__":
    sys.exit(main())
