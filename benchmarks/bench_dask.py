"""Benchmark: the world's customer blocks on a local Dask cluster vs the local process pool.

Each configuration runs in a fresh Python process (so peak RSS is that run's own) and
prints wall seconds, the main process's peak RSS and the largest worker's. The bytes
are identical whichever engine ran (tests/test_dask.py); this measures only cost.

    python benchmarks/bench_dask.py                       # 1,000,000 and 5,000,000 customers, 2 workers
    python benchmarks/bench_dask.py -n 200000 -n 1000000  # other sizes
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

RUN = r"""
import json, resource, sys, time
from synthetic import store
n, workers, scheduler, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
t0 = time.perf_counter()
store.generate(out, seed=7, n_customers=n, workers=workers, scheduler=None if scheduler == "processes" else scheduler,
               progress=False)
wall = time.perf_counter() - t0
print(json.dumps({"wall": wall, "main_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "child_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def run(n: int, workers: int, scheduler: str, tmp: Path) -> dict:
    """Generate one world in a fresh process; return its figures."""
    out = tmp / f"{scheduler}-{n}"
    res = subprocess.run(
        [sys.executable, "-c", RUN, str(n), str(workers), scheduler, str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    shutil.rmtree(out, ignore_errors=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    """Print the side-by-side table."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--customers", type=int, action="append", help="world sizes (repeatable)")
    ap.add_argument("-w", "--workers", type=int, default=2, help="worker processes for both engines (default: 2)")
    args = ap.parse_args()
    sizes = args.customers or [1_000_000, 5_000_000]
    print(f"{'customers':>11} {'engine':>10} {'wall s':>8} {'main MB':>8} {'worker MB':>9}  dask/pool")
    with tempfile.TemporaryDirectory(prefix="bench-dask-") as d:
        for n in sizes:
            pool = run(n, args.workers, "processes", Path(d))
            dask = run(n, args.workers, "dask", Path(d))
            for name, r in (("pool", pool), ("dask", dask)):
                print(f"{n:>11,} {name:>10} {r['wall']:>8.1f} {r['main_mb']:>8.0f} {r['child_mb']:>9.0f}", end="")
                print(f"  {dask['wall'] / pool['wall']:.2f}" if name == "dask" else "")


if __name__ == "__main__":
    main()
