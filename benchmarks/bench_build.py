"""Benchmark: ``casebook build`` at lecture size beside the classroom build, same flags, back to back.

Runs ``python -m casebook build --profile lecture`` and then ``--profile classroom`` as child
processes and samples, every half second, the resident memory of the whole process tree (the
build, its world generators and its chapter kernels, summed). Prints for each: wall seconds,
the tree's peak, the stages and each chapter's run seconds and kernel peak from ``build.json``;
then the lecture/classroom wall ratio.

    python benchmarks/bench_build.py --data-dir /work/main/data            # both profiles, with PDFs
    python benchmarks/bench_build.py --no-pdf --lanes 2 --profiles lecture
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from casebook.book.usage import MB, tree_rss


def run_build(profile: str, out: Path, extra: list[str]) -> dict:
    """Run one build; return wall seconds, the tree's peak RSS (bytes) and its build.json."""
    cmd = [sys.executable, "-m", "casebook", "build", "--profile", profile, "--out", str(out), "--quiet", *extra]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = [0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.5):
            peak[0] = max(peak[0], tree_rss(proc.pid))

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    output, _ = proc.communicate()
    stop.set()
    t.join()
    wall = time.perf_counter() - t0
    manifest = json.loads((out / "build.json").read_text()) if (out / "build.json").is_file() else {}
    return {"wall": wall, "peak": peak[0], "rc": proc.returncode, "manifest": manifest, "tail": output[-600:]}


def show(profile: str, r: dict) -> None:
    """Print one build's figures."""
    m = r["manifest"]
    print(
        f"\n{profile}: {r['wall']:.1f} s wall, peak RSS of the whole tree {r['peak'] / MB / 1024:.2f} GB (exit {r['rc']})"
    )
    if r["rc"]:
        print(r["tail"])
    if m.get("timings"):
        print("  stages: " + ", ".join(f"{k} {v}" for k, v in m["timings"].items()))
    for c in m.get("chapters", []):
        peak = f"{c['kernel_peak_rss_mb'] / 1024:.2f} GB" if c.get("kernel_peak_rss_mb") else "n/a"
        print(f"  {c['name']:<30} {c.get('status', '?'):<7} run {c.get('run_seconds', 0):7.1f} s   kernel peak {peak}")


def main() -> None:
    """Run the builds and print the table."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profiles", nargs="+", default=["lecture", "classroom"], help="default: lecture classroom")
    ap.add_argument("--data-dir", help="world cache passed to both builds (e.g. one that already holds the worlds)")
    ap.add_argument("--no-pdf", action="store_true", help="skip the PDF handouts in both builds")
    ap.add_argument("--lanes", default="2", help="chapters at once, passed to both (default 2)")
    ap.add_argument("--only", nargs="+", help="chapters to build (default: all)")
    ap.add_argument("--keep", help="write the sites under this folder instead of a temporary one")
    ap.add_argument(
        "--memory", help="GB the chapters' kernels may use together, passed to both (default: each profile's own)"
    )
    args = ap.parse_args()
    extra = ["--lanes", args.lanes] + (["--memory", args.memory] if args.memory else [])
    if args.data_dir:
        extra += ["--data-dir", args.data_dir]
    if args.no_pdf:
        extra.append("--no-pdf")
    if args.only:
        extra += ["--only", *args.only]
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        root = Path(args.keep or tmp)
        results = {}
        for profile in args.profiles:
            results[profile] = run_build(profile, root / profile, extra)
            show(profile, results[profile])
    if {"lecture", "classroom"} <= set(results):
        ratio = results["lecture"]["wall"] / results["classroom"]["wall"]
        print(f"\nlecture / classroom wall: {ratio:.2f} (flags: {' '.join(extra)}; measured on a shared box)")


if __name__ == "__main__":
    main()
