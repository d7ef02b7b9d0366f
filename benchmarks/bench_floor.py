"""Benchmark: the generator against a bare numpy + pyarrow floor that writes the same rows and types.

The floor draws *random* columns of exactly the generated world's schema and row counts
per block (uniform integers, floats, dictionary strings from the allowed values, dates),
and writes them as zstd Parquet with the same block layout and worker pool. It has no
mechanisms, no calibration and no validation: it is the cost of producing and writing
those bytes at all. The ratio generator / floor says how much the world's mechanisms cost.

Both write zstd Parquet at pyarrow's default level with statistics, one part per block, on the
same process pool; the two runs alternate (``--rounds``) so a busy machine slows both alike.

    python benchmarks/bench_floor.py                 # 1,000,000 customers, 2 workers, 2 rounds
    python benchmarks/bench_floor.py -n 200000 -w 1 -r 3
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
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


def cpu_seconds() -> float:
    """CPU seconds (user + system) of this process and its finished children so far."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run_generator(root: Path, n: int, workers: int) -> tuple[float, float, dict]:
    """Generate the world into ``root``; return (wall seconds, customer-block seconds, rows per table)."""
    from synthetic import store

    t0 = time.perf_counter()
    store.generate(root, "case", 7, n, workers=workers, progress=False)
    wall = time.perf_counter() - t0
    return wall, store.generate.last_timings["customer_blocks (wall)"], store.World(root).manifest["rows"]


def run_floor(root: Path, n_blocks: int, per_block: dict, workers: int) -> tuple[float, int]:
    """Write the floor's blocks into ``root`` with the same pool; return (wall seconds, rows)."""
    t0 = time.perf_counter()
    with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as ex:
        written = sum(ex.map(floor_block, [(str(root), b, per_block) for b in range(n_blocks)]))
    return time.perf_counter() - t0, written


def main() -> None:
    """Generate the world and the floor with the same rows per block, alternately; print both and the ratio."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--customers", type=int, default=1_000_000, help="customers (default 1,000,000)")
    ap.add_argument("-w", "--workers", type=int, default=2, help="worker processes for both (default 2)")
    ap.add_argument("-r", "--rounds", type=int, default=2, help="generator, floor, generator, floor ... (default 2)")
    args = ap.parse_args()
    from synthetic.block import BLOCK_SIZE, PER_CUSTOMER_TABLES

    n_blocks = -(-args.customers // BLOCK_SIZE)
    gens, blocks, floors, gen_cpu, flo_cpu = [], [], [], [], []
    tmp = Path(tempfile.mkdtemp(prefix="bench-floor-"))
    try:
        for r in range(args.rounds):
            c0 = cpu_seconds()
            gen, blk, rows = run_generator(tmp / "world", args.customers, args.workers)
            gen_cpu.append(cpu_seconds() - c0)
            shutil.rmtree(tmp / "world")
            per_block = {t: rows[t] // n_blocks for t in PER_CUSTOMER_TABLES}
            c0 = cpu_seconds()
            flo, written = run_floor(tmp / "floor", n_blocks, per_block, args.workers)
            flo_cpu.append(cpu_seconds() - c0)
            shutil.rmtree(tmp / "floor")
            gens.append(gen)
            blocks.append(blk)
            floors.append(flo)
            print(
                f"  round {r + 1}: generator {gen:6.1f} s wall (blocks {blk:6.1f} s), {gen_cpu[-1]:6.1f} s CPU; "
                f"floor {flo:6.1f} s wall, {flo_cpu[-1]:6.1f} s CPU; "
                f"ratio {gen / flo:.2f} wall, {gen_cpu[-1] / flo_cpu[-1]:.2f} CPU"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    gen, blk, flo, gc, fc = min(gens), min(blocks), min(floors), min(gen_cpu), min(flo_cpu)
    total = sum(rows.values())
    print(
        f"customers {args.customers:,}, workers {args.workers}, {n_blocks} blocks, best of {args.rounds} (shared box)"
    )
    print(f"  generator (mechanisms, validation, world tables, DuckDB): {gen:7.1f} s   {total:,} rows")
    print(f"  of which the customer blocks (the part the floor mirrors): {blk:7.1f} s")
    print(f"  bare numpy + pyarrow floor (same per-customer rows/types):  {flo:7.1f} s   {written:,} rows")
    print(f"  ratio whole generator / floor: {gen / flo:.2f} wall; blocks / floor: {blk / flo:.2f} wall")
    print(
        f"  CPU seconds (all processes): generator {gc:.1f}, floor {fc:.1f}, ratio {gc / fc:.2f} (steadier on a busy box)"
    )
    if args.rounds > 1:  # each round pairs a generator run with the floor run right after it (same load)
        later = range(1, args.rounds)  # round 1 also pays the imports
        wall = statistics.median(gens[r] / floors[r] for r in later)
        cpu = statistics.median(gen_cpu[r] / flo_cpu[r] for r in later)
        print(f"  paired ratio per round, median of rounds 2-{args.rounds}: {wall:.2f} wall, {cpu:.2f} CPU")
    print(f"  peak RSS: main process {rss:.0f} MB, largest worker (either) {child_rss:.0f} MB")


if __name__ == "__main__":
    main()
