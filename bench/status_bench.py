"""Status engine speed on the latency benchmark's database (1M customers, 10M activities, 2M
orders when built with `bench/latency_bench.py --customers 1000000`): the bare grouped scans
the facts need, the full facts refresh (CustomerFacts), and each example rule's set-based
match — one SQL statement over every customer — with their ratios and the process's peak
memory.

    .venv/bin/python bench/status_bench.py                      # SQLite, var/bench/sqlite
    .venv/bin/python bench/status_bench.py --database-url postgres://postgres@127.0.0.1/tend_bench

Must hold (issue 4), for the whole scheduled evaluation: ≤ 60 s, ≤ 4× the bare scans, peak
memory ≤ 1 GB. This script measures the parts built so far and prints the figures; the
rules' writes (the changes themselves) are not timed here yet."""

import argparse
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SQLITE = ROOT / "var" / "bench" / "sqlite"

EXAMPLE_RULES = {
    "lead_to_prospect": ('state("lifecycle") == "lead" and valid_activities > 3', "prospect"),
    "two_growing_quarters": ("revenue_growth >= 0.2 and revenue_growth_before >= 0.2", None),
    "silent_for_six_months": ("days_since_last_contact > 180", None),
    "overdue_payments": ("overdue_days > 30 and overdue_amount > 0", None),
    "champions": ('rfm_segment == "champion"', None),
}


def setup(args) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tend.config.settings.production")
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
        os.environ.setdefault("TEND_DATA_DIR", str(ROOT / "var" / "bench" / "postgres"))
    else:
        os.environ["TEND_DATA_DIR"] = str(DEFAULT_SQLITE)
        os.environ["DATABASE_URL"] = f"sqlite:///{DEFAULT_SQLITE / 'bench.sqlite3'}"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def timed(label: str, work) -> float:
    started = time.perf_counter()
    result = work()
    elapsed = time.perf_counter() - started
    print(f"  {label:<34} {elapsed:8.2f} s   {result if result is not None else ''}", flush=True)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: the latency benchmark's SQLite file")
    args = parser.parse_args()
    setup(args)

    from django.db import connection
    from django.utils import timezone

    from tend.customers.models import Customer
    from tend.status.materialized import grouped_scans, refresh_facts
    from tend.status.models import Rule
    from tend.status.rules import matching_customers

    now = timezone.now()
    customers = Customer.objects.count()
    print(f"{connection.vendor}: {customers:,} customers")

    def bare_scans():
        total = 0
        with connection.cursor() as cursor:
            for sql, params in grouped_scans(now).values():
                cursor.execute(f"SELECT COUNT(*) FROM ({sql}) AS scan", params)
                total += cursor.fetchone()[0]
        return f"{total:,} grouped rows"

    bare = timed("bare grouped scans", bare_scans)
    refresh = timed("facts refresh (all customers)", lambda: f"{refresh_facts(now):,} rows")
    matching = 0.0
    for key, (condition, _target) in EXAMPLE_RULES.items():
        rule = Rule(
            key=key,
            label_zh=key,
            condition=condition,
            actions=[{"type": "set_state", "dimension": "grade", "state": "A"}],
        )
        matching += timed(
            f"rule {key}", lambda rule=rule: f"{len(matching_customers(rule, now)):,} customers"
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    total = refresh + matching
    print()
    print(
        f"  refresh + matching: {total:.1f} s; bare scans {bare:.1f} s; ratio {total / bare:.1f}×"
    )
    print(f"  peak memory of this process: {peak_mb:,.0f} MB")
    print(
        f"  ≤ 60 s: {'yes' if total <= 60 else 'NO'}; ≤ 4× bare: "
        f"{'yes' if total <= 4 * bare else 'NO'}; ≤ 1 GB: {'yes' if peak_mb <= 1024 else 'NO'}"
        " (the rules' writes not included)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
