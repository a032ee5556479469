"""Status engine speed, three measures (issue 4):

1. The full scheduled evaluation of the default model on the latency benchmark's database
   (1M customers, 10M activities, 2M orders when built with
   `bench/latency_bench.py --customers 1000000`): the bare grouped scans the facts need; the
   facts refresh; every enabled rule run with its changes written (in a transaction rolled
   back at the end, so the run can be repeated) — with the ratio to the bare scans and the
   process's peak memory. Must hold: ≤ 60 s, ≤ 4× the bare scans, ≤ 1 GB.
2. `--oracle 10000`: a fresh database of that many demo customers; the default model's rules
   run by the engine and by the per-customer Python oracle of the test suite
   (tests/status_oracle.py), both from the same start: identical writes, and the engine's
   speed-up. Must hold: ≥ 100×.
3. `--one-customer 200`: on the big database, an activity logged for a customer and its
   event rules evaluated for it (what the worker does after the commit): p50/p95. Must hold:
   p95 ≤ 20 ms.

    .venv/bin/python bench/status_bench.py                      # 1, SQLite, var/bench/sqlite
    .venv/bin/python bench/status_bench.py --database-url postgres://postgres@127.0.0.1/tend_bench
    .venv/bin/python bench/status_bench.py --oracle 10000
    .venv/bin/python bench/status_bench.py --one-customer 200
"""

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
    parser.add_argument("--oracle", type=int, help="customers of a fresh database for measure 2")
    parser.add_argument("--one-customer", type=int, help="customers timed for measure 3")
    args = parser.parse_args()
    if args.oracle:
        return oracle_bench(args)
    setup(args)
    if args.one_customer:
        return one_customer_bench(args.one_customer)

    from django.db import connection
    from django.utils import timezone

    from tend.customers.models import Customer
    from tend.status.materialized import grouped_scans, refresh_facts
    from tend.status.models import Rule
    from tend.status.rules import evaluate, matching_customers

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
            f"match {key}", lambda rule=rule: f"{len(matching_customers(rule, now)):,} customers"
        )
    # The model as this version ships it (a database built by an earlier version keeps the
    # model it was installed with): applied by keys, as `tend status import-model` would.
    from tend.status.model_file import DEFAULT_MODEL, apply_model, parse_model

    apply_model(actor=None, specs=parse_model(DEFAULT_MODEL.read_text(encoding="utf-8")))
    rules = list(Rule.objects.filter(enabled=True))
    print(f"  the default model's {len(rules)} enabled rules, changes written (then rolled back):")
    evaluation = {}

    def evaluate_all():
        evaluation["result"] = evaluate(rules=rules, now=now, dry_run=True)
        results = evaluation["result"].results
        return f"{sum(r.changed for r in results):,} changed, {sum(r.waiting for r in results):,} waiting"

    full = timed("full evaluation (refresh + rules)", evaluate_all)
    for result in evaluation["result"].results:
        print(
            f"    {result.rule.key:<40} matched {result.matched:>9,}  changed {result.changed:>9,}"
            f"  refused {result.refused:>8,}"
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print()
    print(f"  facts refresh alone {refresh:.1f} s; five example matches {matching:.1f} s")
    print(f"  full evaluation: {full:.1f} s; bare scans {bare:.1f} s; ratio {full / bare:.1f}×")
    print(f"  peak memory of this process: {peak_mb:,.0f} MB")
    print(
        f"  ≤ 60 s: {'yes' if full <= 60 else 'NO'}; ≤ 4× bare: "
        f"{'yes' if full <= 4 * bare else 'NO'}; ≤ 1 GB: {'yes' if peak_mb <= 1024 else 'NO'}"
    )
    return 0


def oracle_bench(args) -> int:
    """Measure 2: the engine against the per-customer oracle on a fresh demo database."""
    folder = ROOT / "var" / "bench" / f"status-oracle-{args.oracle}"
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "bench.sqlite3"
    fresh = not database.exists()
    args.database_url = f"sqlite:///{database}"
    os.environ["TEND_DATA_DIR"] = str(folder)
    setup(args)
    from django.db import transaction
    from django.utils import timezone

    from tend.customers.models import Customer
    from tend.demo.generator import create_demo_data
    from tend.status.materialized import refresh_facts
    from tend.status.models import Rule, StateChange
    from tend.status.rules import evaluate
    from tests.status_oracle import evaluate_one_by_one, snapshot

    if fresh or Customer.objects.count() < args.oracle:
        create_demo_data(customers=args.oracle, seed=7, progress=lambda m: print("  " + m))
    from tend.status.model_file import DEFAULT_MODEL, apply_model, parse_model

    apply_model(actor=None, specs=parse_model(DEFAULT_MODEL.read_text(encoding="utf-8")))
    now = timezone.now().replace(microsecond=0)
    rules = list(Rule.objects.filter(enabled=True))
    print(f"{Customer.objects.count():,} customers, {len(rules)} enabled rules")
    refresh_facts(now)
    runs = {}
    for name, run in (
        # Both refresh the stored facts first (the engine's evaluate does it itself).
        ("oracle", lambda: (refresh_facts(now), evaluate_one_by_one(rules, now))),
        ("engine", lambda: evaluate(rules=rules, now=now)),
    ):
        with transaction.atomic():
            before = StateChange.objects.order_by("-id").values_list("id", flat=True).first() or 0
            started = time.perf_counter()
            run()
            elapsed = time.perf_counter() - started
            runs[name] = (elapsed, snapshot(before))
            transaction.set_rollback(True)
        changes = len(runs[name][1]["changes"])
        print(f"  {name:<8} {elapsed:8.2f} s   {changes:,} changes written")
    oracle_writes, engine_writes = runs["oracle"][1], runs["engine"][1]

    def close(a, b):
        # Facts are kept to 4 places: SQLite's ROUND and Python's round may part on the last
        # digit of a value lying on a half.
        if isinstance(a, float) or isinstance(b, float):
            return a is not None and b is not None and abs(a - b) <= 1.5e-4
        return a == b

    differs = [
        kind
        for kind in oracle_writes
        if kind != "facts" and oracle_writes[kind] != engine_writes[kind]
    ]
    facts_a, facts_b = oracle_writes["facts"], engine_writes["facts"]
    if set(facts_a) != set(facts_b) or not all(close(facts_a[k], facts_b[k]) for k in facts_a):
        differs.append("facts")
    same = not differs
    if differs:
        print(f"  differs: {', '.join(differs)}")
    ratio = runs["oracle"][0] / runs["engine"][0]
    print(f"  identical writes: {'yes' if same else 'NO'}; engine {ratio:.0f}× faster")
    print(f"  ≥ 100×: {'yes' if ratio >= 100 else 'NO'}")
    return 0 if same else 1


def one_customer_bench(count: int) -> int:
    """Measure 3: an activity logged, then the customer's event rules evaluated."""
    import random
    import statistics

    from django.db import transaction
    from django.utils import timezone

    from tend.accounts.models import User
    from tend.activities.actions import log_activity
    from tend.customers.models import Customer
    from tend.status.models import Rule, RuleTrigger
    from tend.status.rules import evaluate
    from tend.status.tasks import evaluate_customers

    chance = random.Random(5)
    top = Customer.objects.order_by("-id").values_list("id", flat=True).first()
    author = User.objects.filter(is_active=True).order_by("id").first()
    every_rule = list(Rule.objects.filter(enabled=True))
    timings = {"its event rules": [], f"all {len(every_rule)} enabled rules": []}
    with transaction.atomic():
        for _ in range(count):
            customer = (
                Customer.objects.filter(id__gte=chance.randrange(1, top)).order_by("id").first()
            )
            log_activity(
                actor=author,
                customer=customer,
                data={
                    "kind": "call",
                    "summary": "回访",
                    "occurred_at": timezone.now(),
                    "valid_communication": True,
                },
            )
            for label, run in (
                (
                    "its event rules",
                    lambda customer=customer: evaluate_customers.call_local(
                        [customer.pk], RuleTrigger.ACTIVITY_LOGGED
                    ),
                ),
                (
                    f"all {len(every_rule)} enabled rules",
                    lambda customer=customer: evaluate(
                        rules=every_rule, customer_ids=[customer.pk]
                    ),
                ),
            ):
                started = time.perf_counter()
                run()
                timings[label].append((time.perf_counter() - started) * 1000)
        transaction.set_rollback(True)
    print(f"one customer evaluated after an activity is logged, {count} customers:")
    for label, values in timings.items():
        values.sort()
        p95 = values[int(len(values) * 0.95) - 1]
        print(
            f"  {label:<24} p50 {statistics.median(values):6.1f} ms   p95 {p95:6.1f} ms   "
            f"max {values[-1]:6.1f} ms   p95 ≤ 20 ms: {'yes' if p95 <= 20 else 'NO'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
