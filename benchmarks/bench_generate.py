"""Benchmark: generate the whole synthetic world at lecture size and print the figures.

Prints wall seconds per stage, CPU seconds per table inside the worker blocks,
rows and rows/s per table, and peak RSS (this process and its workers). Beside
it, the naive baseline: the same kind of records made with Faker row by row in
Python loops, on a 10,000-customer sample, scaled to the same size.

    python benchmarks/bench_generate.py                 # 1,000,000 customers, 2 workers
    python benchmarks/bench_generate.py -n 200000 -w 1
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import tempfile
import time
from pathlib import Path


def naive_baseline(n: int, seed: int = 7) -> tuple[float, int]:
    """Row-by-row generation with Faker and the random module: customers, orders, tickets. Returns (seconds, rows)."""
    from faker import Faker

    fake = Faker("en_US")
    fake.seed_instance(seed)
    rnd = random.Random(seed)
    t0 = time.perf_counter()
    customers, orders, tickets = [], [], []
    for cid in range(1, n + 1):
        customers.append(
            {
                "customer_id": cid,
                "name": fake.name(),
                "company": fake.company(),
                "street": fake.street_address(),
                "city": fake.city(),
                "state": fake.state_abbr(),
                "employees": rnd.randint(1, 5000),
            }
        )
        day = rnd.uniform(0, 3287)
        while day < 3287:
            oid = cid * 1000 + len(orders)
            orders.append(
                {
                    "order_id": oid,
                    "customer_id": cid,
                    "day": int(day),
                    "units": rnd.randint(1, 5),
                    "revenue": rnd.lognormvariate(7.5, 1.0),
                    "channel": rnd.choice(["web", "phone", "premier", "sales_rep"]),
                }
            )
            if rnd.random() < 0.35:
                tickets.append(
                    {
                        "ticket_id": oid * 4,
                        "order_id": oid,
                        "wait": rnd.lognormvariate(1.4, 0.6),
                        "csat": rnd.randint(1, 5),
                    }
                )
            if rnd.random() < 0.12:
                break
            day += rnd.expovariate(1.6 / 365.25)
    return time.perf_counter() - t0, len(customers) + len(orders) + len(tickets)


def cpu_seconds() -> float:
    """CPU seconds (user + system) of this process and its finished children so far."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    """Run the benchmark and print the table."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--customers", type=int, default=1_000_000, help="customers to generate (default 1,000,000)")
    ap.add_argument("-w", "--workers", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--baseline", type=int, default=10_000, help="customers for the naive Faker baseline (0 to skip)")
    ap.add_argument("--keep", help="keep the generated world in this folder")
    args = ap.parse_args()

    from synthetic import store

    tmp = Path(tempfile.mkdtemp(prefix="bench-world-"))
    out = Path(args.keep) if args.keep else tmp / "world"
    t0, c0 = time.perf_counter(), cpu_seconds()
    store.generate(out, "case", 7, args.customers, workers=args.workers, progress=True)
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    timings = store.generate.last_timings
    rows = store.World(out).manifest["rows"]
    self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    size_mb = sum(f.stat().st_size for f in out.rglob("*") if f.is_file()) / 1e6

    print(f"\nsynthetic world: {args.customers:,} customers, {args.workers} worker(s)")
    print(f"{'stage':<42}{'seconds':>10}")
    for k, v in timings.items():
        print(f"{k:<42}{v:>10.2f}")
    print(f"{'TOTAL wall':<42}{wall:>10.2f}")
    print(f"{'TOTAL CPU, all processes (steadier)':<42}{cpu:>10.2f}")
    print(f"\n{'table':<20}{'rows':>14}{'rows/s (of total wall)':>26}")
    for k, v in sorted(rows.items(), key=lambda kv: -kv[1]):
        print(f"{k:<20}{v:>14,}{v / wall:>26,.0f}")
    total_rows = sum(rows.values())
    print(f"{'all tables':<20}{total_rows:>14,}{total_rows / wall:>26,.0f}")
    print(f"\npeak RSS: main {self_rss:,.0f} MB, largest worker {child_rss:,.0f} MB; on disk {size_mb:,.0f} MB")

    if args.baseline:
        sec, nrows = naive_baseline(args.baseline)
        scale = args.customers / args.baseline
        print(
            f"\nnaive baseline (Faker + random, row by row, 1 process): {args.baseline:,} customers -> {nrows:,} rows in {sec:.2f} s "
            f"({nrows / sec:,.0f} rows/s); scaled to {args.customers:,} customers: ~{sec * scale:,.0f} s "
            f"(customers, orders and tickets only; no surveys, panel, supply chain, validation or Parquet)"
        )
        print(f"speed-up of the vectorised generator: ~{sec * scale / wall:,.0f}x")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
