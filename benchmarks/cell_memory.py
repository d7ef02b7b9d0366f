"""Benchmark: a chapter's memory cell by cell, to find the cell that sets its kernel peak.

Runs a chapter's py:percent twin in this process, one code cell at a time (parameters
overridden as papermill would; figures closed, displays dropped; student cells skipped),
and prints for each cell: wall seconds, resident memory after it, the peak sampled every
5 ms while it ran, and the process's peak so far (``ru_maxrss``). The last line is the
chapter's total and peak, the figure to set beside ``kernel_peak_rss_mb`` in ``build.json``.

    python benchmarks/cell_memory.py notebooks/03_outsourcing_satisfaction.py --n-customers 1000000 \\
        --data-dir /work/main/data
    python benchmarks/cell_memory.py notebooks/01_segmentation.py --n-customers 1000000 \\
        --data-dir /work/main/data --top 8     # only the eight cells with the highest peaks
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path


def main() -> None:
    """Parse the arguments, run the chapter cell by cell and print the table."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("twin", type=Path, help="the chapter's .py twin (notebooks/NN_name.py)")
    ap.add_argument("--n-customers", type=int, default=20_000)
    ap.add_argument("--data-dir", default=None, help="world cache (default: the chapter's own)")
    ap.add_argument("--top", type=int, default=0, help="print only the N cells with the highest peaks")
    args = ap.parse_args()

    import jupytext
    import matplotlib
    import psutil

    matplotlib.use("Agg")
    import IPython.display
    import matplotlib.pyplot as plt

    plt.show = lambda *a, **k: plt.close("all")
    IPython.display.display = lambda *a, **k: None
    nb = jupytext.read(args.twin)
    os.chdir(args.twin.resolve().parent)
    proc = psutil.Process()
    peak = [0]

    def sample() -> None:
        while True:
            peak[0] = max(peak[0], proc.memory_info().rss)
            time.sleep(0.005)

    threading.Thread(target=sample, daemon=True).start()
    namespace: dict = {"__name__": "__main__"}
    rows, t_all = [], time.perf_counter()
    for i, cell in enumerate(nb.cells):
        tags = cell.metadata.get("tags", [])
        if cell.cell_type != "code" or "student" in tags:
            continue
        src = cell.source
        if "parameters" in tags:
            src += f"\nn_customers = {args.n_customers}\nresults_path = {str(Path(tempfile.gettempdir()) / 'cell_memory.json')!r}\n"
            src += f"data_dir = {args.data_dir!r}\n" if args.data_dir else ""
        peak[0] = proc.memory_info().rss
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(src, f"cell {i}", "exec"), namespace)
        now = proc.memory_info().rss
        first = next((s for s in cell.source.splitlines() if s.strip() and not s.startswith("#")), "")
        rows.append((i, time.perf_counter() - t0, now, max(peak[0], now), first[:60]))
    total_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    shown = sorted(rows, key=lambda r: -r[3])[: args.top] if args.top else rows
    print(f"{'cell':>4} {'s':>6} {'RSS after MB':>12} {'peak MB':>8}  first line")
    for i, secs, now, pk, first in sorted(shown):
        print(f"{i:>4} {secs:>6.1f} {now / 1e6:>12,.0f} {pk / 1e6:>8,.0f}  {first}")
    print(f"total {time.perf_counter() - t_all:.1f} s, process peak {total_peak / 1e6:,.0f} MB (ru_maxrss)")


if __name__ == "__main__":
    sys.exit(main())
