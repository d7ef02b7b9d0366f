"""Benchmark: the generator against a bare numpy + pyarrow floor that writes the same rows and types.

The floor draws *random* columns of exactly the generated world's schema and row counts
per block (uniform integers, floats, dictionary strings from the allowed values, dates),
and writes them as zstd Parquet with the same block layout and worker pool. It has no
mechanisms, no calibration and no validation: it is the cost of producing and writing
those bytes at all. The ratio generator / floor says how much the world's mechanisms cost.

    python benchmarks/bench_floor.py                 # 1,000,000 customers, 2 workers
    python benchmarks/bench_floor.py -n 200000 -w 1
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def floor_table(rng: np.random.Generator, table: str, rows: int, first_id: int) -> pa.Table:
    """Random columns with the schema of ``table`` (ids consecutive from ``first_id``)."""
    from synthetic.schema import TABLES

    arrays = []
    for i, c in enumerate(TABLES[table][1]):
        t = c.type
        if i == 0 and pa.types.is_integer(t):
            arrays.append(pa.array(np.arange(first_id, first_id + rows), type=t))
        elif pa.types.is_string(t):
            labels = list(c.isin) if c.isin else [f"{c.name}-{k}" for k in range(1000)]
            codes = rng.integers(0, len(labels), rows).astype(np.int32)
            arrays.append(pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(labels)).cast(pa.string()))
        elif pa.types.is_boolean(t):
            arrays.append(pa.array(rng.random(rows) < 0.5))
        elif pa.types.is_date32(t):
            arrays.append(pa.array(rng.integers(10957, 14244, rows).astype(np.int32)).cast(pa.date32()))
        elif pa.types.is_integer(t):
            hi = min(np.iinfo(t.to_pandas_dtype()).max, 10**6)
            arrays.append(pa.array(rng.integers(0, hi, rows), type=t))
        else:
            arrays.append(pa.array(rng.random(rows) * 1000.0, type=t))
    return pa.Table.from_arrays(arrays, names=[c.name for c in TABLES[table][1]])


def floor_block(args: tuple) -> int:
    """Write one block's tables of random rows; return rows written."""
    root, b, rows_per_table = args
    rng = np.random.default_rng([7, b])
    n = 0
    for table, rows in rows_per_table.items():
        tab = floor_table(rng, table, rows, b * 10**7)
        d = Path(root) / table
        d.mkdir(parents=True, exist_ok=True)
        pq.write_table(tab, d / f"part-{b:05d}.parquet", compression="zstd", write_statistics=True)
        n += rows
    return n


def main() -> None:
    """Generate the world, then the floor with the same rows per block; print both and the ratio."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--customers", type=int, default=1_000_000, help="customers (default 1,000,000)")
    ap.add_argument("-w", "--workers", type=int, default=2, help="worker processes for both (default 2)")
    args = ap.parse_args()
    from synthetic import store
    from synthetic.block import BLOCK_SIZE, PER_CUSTOMER_TABLES

    tmp = Path(tempfile.mkdtemp(prefix="bench-floor-"))
    try:
        t0 = time.perf_counter()
        store.generate(tmp / "world", "case", 7, args.customers, workers=args.workers, progress=False)
        gen = time.perf_counter() - t0
        blocks = store.generate.last_timings["customer_blocks (wall)"]
        gen_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        rows = store.World(tmp / "world").manifest["rows"]
        n_blocks = -(-args.customers // BLOCK_SIZE)
        per_block = {t: rows[t] // n_blocks for t in PER_CUSTOMER_TABLES}
        shutil.rmtree(tmp / "world")
        t0 = time.perf_counter()
        with ProcessPoolExecutor(args.workers, mp_context=get_context("fork")) as ex:
            written = sum(ex.map(floor_block, [(str(tmp / "floor"), b, per_block) for b in range(n_blocks)]))
        flo = time.perf_counter() - t0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    total = sum(rows.values())
    print(f"customers {args.customers:,}, workers {args.workers}, {n_blocks} blocks")
    print(f"  generator (mechanisms, validation, world tables, DuckDB): {gen:7.1f} s   {total:,} rows")
    print(f"  bare numpy + pyarrow floor (same per-customer rows/types):  {flo:7.1f} s   {written:,} rows")
    print(f"  of which the customer blocks (the part the floor mirrors):      {blocks:7.1f} s")
    print(f"  ratio blocks / floor: {blocks / flo:.2f}; whole generator / floor: {gen / flo:.2f}")
    print(f"  largest worker peak RSS {gen_rss:.0f} MB")


if __name__ == "__main__":
    main()
