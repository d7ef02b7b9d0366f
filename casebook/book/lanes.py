"""Scheduling a build on the machine: the worlds chapters declare, and chapters run in parallel lanes.

- **Declared worlds.** Besides its own world, a chapter may load others (chapter 03's
  no-outsourcing twin and the other preset). It declares them in a code cell tagged
  ``worlds`` that assigns ``worlds = {name: {"scenario": ..., "overrides": {...}}, ...}``
  using only its parameters and literals; the chapter loads them from that same dict, so
  what the build prepares and what the chapter uses cannot drift apart. The build
  evaluates that cell with the chapter's effective parameters (no imports, no builtins
  beyond a few pure ones) and generates every world before any chapter runs.
- **Exercise worlds.** The open exercises that re-run a chapter with an override load one more
  world each (``casebook.course.key.VARIANTS``); the build generates those beforehand too, so no
  chapter generates a world while it runs (at lecture size that is a million-customer world).
- **Parallel generation.** Distinct worlds are generated side by side in worker
  processes (one core each); a single large world uses the generator's own block workers.
- **Lanes.** Chapters are independent (each reads its worlds and writes its own records),
  so up to ``lanes`` of them execute at once, each in its own kernel process. ``lanes="auto"``
  takes one per core while the memory available allows the chapters' estimated peak.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import nbformat
import numpy as np

WORLD_KEYS = ("scenario", "seed", "n_customers", "overrides")
SAFE_BUILTINS = {
    "dict": dict,
    "list": list,
    "tuple": tuple,
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "min": min,
    "max": max,
}


class WorldsCellError(ValueError):
    """A chapter's ``worlds`` cell could not be evaluated."""


def declared_worlds(path: str | os.PathLike, params: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The extra worlds a chapter declares (its ``worlds``-tagged cell), as full ``synthetic.load`` calls.

    Each value merges the declaration over the chapter's own call (``scenario``, ``seed``,
    ``n_customers``, ``overrides``, ``data_dir`` from ``params``). No such cell: ``{}``.
    """
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and "worlds" in c.metadata.get("tags", [])]
    if not cells:
        return {}
    namespace: dict[str, Any] = {"__builtins__": SAFE_BUILTINS, **dict(params)}
    try:
        exec(compile(cells[0].source, f"{Path(path).name}:worlds", "exec"), namespace)  # noqa: S102 - chapter's own cell
    except Exception as exc:
        raise WorldsCellError(
            f"{Path(path).name}: the cell tagged 'worlds' failed: {type(exc).__name__}: {exc}"
        ) from None
    worlds = namespace.get("worlds")
    if not isinstance(worlds, dict) or not all(isinstance(v, dict) for v in worlds.values()):
        raise WorldsCellError(f"{Path(path).name}: the 'worlds' cell must assign worlds = {{name: {{...}}}}")
    base = {k: params[k] for k in (*WORLD_KEYS, "data_dir") if k in params}
    out = {}
    for name, decl in worlds.items():
        unknown = set(decl) - set(WORLD_KEYS)
        if unknown:
            raise WorldsCellError(f"{Path(path).name}: world {name!r} sets {sorted(unknown)}; allowed: {WORLD_KEYS}")
        out[name] = base | decl
    return out


def exercise_worlds(path: str | os.PathLike, params: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The worlds a chapter's "re-run with an override" exercises load, as full ``synthetic.load`` calls.

    They are listed once for the whole course in ``casebook.course.key.VARIANTS`` (exercise id ->
    overrides, e.g. ``"00.6"``); the solution cell and the answer key load the chapter's own world with
    those overrides added (:func:`casebook.course.key.variant`), so this is the call they make. An
    exercise counts when a code cell of the chapter checks it (``answer_key("00.6", ...)``).
    """
    from ..course.key import VARIANTS

    nb = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    base = {k: params[k] for k in (*WORLD_KEYS, "data_dir") if k in params}
    return {
        ex: base | {"overrides": {**dict(base.get("overrides") or {}), **dict(ov)}}
        for ex, ov in VARIANTS.items()
        if re.search(rf"answer_key\(\s*[\"']{re.escape(ex)}[\"']", code)
    }


def chapter_worlds(path: str | os.PathLike, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every extra world a chapter loads: those its ``worlds`` cell declares, then its exercises' worlds."""
    return [*declared_worlds(path, params).values(), *exercise_worlds(path, params).values()]


def distinct_calls(calls: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The distinct ``synthetic.load`` calls, first occurrence first."""
    seen: dict[str, dict[str, Any]] = {}
    for call in calls:
        seen.setdefault(json.dumps(call, sort_keys=True, default=str), dict(call))
    return list(seen.values())


def _load(call: dict[str, Any]) -> str:
    import synthetic

    synthetic.load(**call)
    return call["scenario"]


def generate_worlds(
    calls: Sequence[Mapping[str, Any]], cores: int | None = None, log: Callable[[str], None] = print
) -> int:
    """Generate every world in ``calls`` (cached ones are skipped by ``synthetic.load``); return how many.

    Several worlds: one process per world, ``cores`` at a time. One world: the generator's
    own block workers (``cores`` of them).
    """
    calls = distinct_calls(calls)
    cores = max(1, cores or os.cpu_count() or 1)
    for call in calls:
        log(
            f"data: scenario={call['scenario']} seed={call['seed']} n_customers={call['n_customers']:,} "
            f"overrides={call.get('overrides') or '{}'}"
        )
    if len(calls) == 1:
        _load(calls[0] | {"workers": cores})
    elif calls:
        with ProcessPoolExecutor(min(cores, len(calls)), mp_context=get_context("spawn")) as ex:
            list(ex.map(_load, calls))
    return len(calls)


#: a chapter kernel's peak with no measurement at all: ~0.4 GB fixed plus ~3 KB per customer (the largest
#: chapter, 01, measured at 20,000-1,000,000 customers before issue 19; a safe upper bound)
FIXED_BYTES, BYTES_PER_CUSTOMER = 0.4e9, 3_000.0


#: factor on a chapter's peak measured at the same size (by the last build, or in ``kernel_peaks.yml``)
MEASURED_MARGIN = 1.05


def estimated_peak_bytes(n_customers: int) -> float:
    """A chapter kernel's peak memory when nothing was measured: the conservative formula."""
    return FIXED_BYTES + BYTES_PER_CUSTOMER * n_customers


def reference_peaks() -> dict[str, dict[int, float]]:
    """Kernel peaks (bytes) shipped in ``casebook/book/kernel_peaks.yml``: {chapter: {customers: bytes}}."""
    from importlib import resources

    import yaml

    text = resources.files("casebook.book").joinpath("kernel_peaks.yml").read_text(encoding="utf-8")
    data = yaml.safe_load(text) or {}
    return {str(ch): {int(n): float(mb) * 2**20 for n, mb in sizes.items()} for ch, sizes in data["chapters"].items()}


def reference_peak_bytes(chapter: str, n_customers: int, reference: Mapping[str, Mapping[int, float]]) -> float | None:
    """``chapter``'s kernel peak at ``n_customers`` from the shipped measurements, or None if it has none.

    Linear in the number of customers between the measured sizes; beyond the largest, the line
    through the two largest continues; below the smallest, the smallest measurement holds.
    """
    sizes = reference.get(chapter)
    if not sizes:
        return None
    ns = sorted(sizes)
    vs = [sizes[n] for n in ns]
    if len(ns) == 1 or n_customers <= ns[-1]:
        return float(np.interp(n_customers, ns, vs))  # held at the end values outside the sizes
    return vs[-1] + (vs[-1] - vs[-2]) * (n_customers - ns[-1]) / (ns[-1] - ns[-2])


def chapter_peaks(
    chapters: Sequence[str],
    n_customers: int,
    measured: Mapping[str, float] | None = None,
    reference: Mapping[str, Mapping[int, float]] | None = None,
) -> list[float]:
    """Each chapter's expected kernel peak (bytes), for scheduling under a memory budget.

    In order of trust: this site's last build at this size (``measured``, all chapters or none),
    the shipped measurements (``reference``, per chapter), then the formula of
    :func:`estimated_peak_bytes`. Measurements carry the :data:`MEASURED_MARGIN`.
    """
    out = []
    for ch in chapters:
        if measured:
            out.append(MEASURED_MARGIN * measured[ch])
            continue
        ref = reference_peak_bytes(ch, n_customers, reference or {})
        out.append(MEASURED_MARGIN * ref if ref is not None else estimated_peak_bytes(n_customers))
    return out


def measured_peaks(build_json: str | os.PathLike, n_customers: int, chapters: Iterable[str]) -> dict[str, float]:
    """Each chapter's kernel peak (bytes) recorded in an earlier ``build.json`` at ``n_customers``.

    Empty unless *every* chapter in ``chapters`` has a measurement at that size (a chapter
    without one could be the largest).
    """
    try:
        manifest = json.loads(Path(build_json).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    peaks = {
        c.get("name"): float(c["kernel_peak_rss_mb"]) * 1024 * 1024
        for c in manifest.get("chapters", [])
        if c.get("kernel_peak_rss_mb") and (c.get("parameters") or {}).get("n_customers") == n_customers
    }
    wanted = list(chapters)
    return {k: peaks[k] for k in wanted} if wanted and all(k in peaks for k in wanted) else {}


def available_bytes() -> float:
    """Memory available to new processes (``MemAvailable`` from /proc/meminfo; inf where unknown)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return float(line.split()[1]) * 1024
    except OSError:
        pass
    return float("inf")


def choose_lanes(lanes: int | str, n_chapters: int, peaks: Sequence[float]) -> int:
    """How many chapters run at once: ``lanes`` if a number, else one per core while memory allows
    the largest of the chapters' expected ``peaks`` (bytes, :func:`chapter_peaks`)."""
    if lanes != "auto":
        return max(1, min(int(lanes), max(1, n_chapters)))
    by_cores = os.cpu_count() or 1
    by_memory = int(0.8 * available_bytes() // max(peaks))
    return max(1, min(by_cores, by_memory, n_chapters))


def run_in_lanes(
    jobs: Sequence[Callable[[], Any]],
    lanes: int,
    on_done: Callable[[int, Any], None],
    peaks: Sequence[float] | None = None,
    budget: float | None = None,
) -> list[Any]:
    """Run ``jobs`` (thread-safe callables that start their own processes) ``lanes`` at a time.

    Without a memory ``budget`` they start in order of submission. With one (bytes, for the
    chapters' kernels together) and each job's expected peak in ``peaks``, a free lane takes
    the first waiting job whose peak fits beside those running; a job that fits nowhere runs
    alone. So a small chapter slips in beside a large one, and two large ones never overlap.
    ``on_done(i, result)`` is called as each finishes; results come back in job order.
    """
    import threading

    results: list[Any] = [None] * len(jobs)
    if lanes <= 1:
        for i, job in enumerate(jobs):
            results[i] = job()
            on_done(i, results[i])
        return results
    need = [0.0] * len(jobs) if peaks is None or budget is None else [float(p) for p in peaks]
    cap = float("inf") if budget is None else float(budget)
    waiting = list(range(len(jobs)))
    running: dict[int, float] = {}
    done = threading.Condition()
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            results[i] = jobs[i]()
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)
        with done:
            running.pop(i)
            done.notify_all()

    threads = []
    with done:
        while waiting or running:
            pick = None
            if len(running) < lanes and not errors:
                used = sum(running.values())
                pick = next((i for i in waiting if not running or used + need[i] <= cap), None)
            if pick is None:
                finished = set(running)
                done.wait()
                for i in finished - set(running):
                    if not errors:
                        on_done(i, results[i])
                if errors and not running:
                    raise errors[0]
                continue
            waiting.remove(pick)
            running[pick] = need[pick]
            t = threading.Thread(target=worker, args=(pick,), daemon=True)
            threads.append(t)
            t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results
