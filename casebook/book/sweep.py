"""Verdicts that hold across seeds: run the chapters over many seeds and summarise every record.

``python -m casebook sweep --seeds 20 --profile classroom`` (see :mod:`casebook.book.cli`)
plans one build per seed with the build's own machinery (:func:`casebook.book.build.plan_build`
with ``--set seed=N``: same profiles, ``--set`` and ``--config``), generates each seed's world
once, runs the chapters with papermill (no pages or slides) and then writes, per record
(chapter, claim, quantity):

- ``mean_estimate``, ``sd_estimate`` (the sampling spread across seeds);
- ``bias`` = mean(estimate - planted) and ``bias_over_half_width`` (bias / mean interval half-width);
- ``coverage``: share of seeds whose 95 % interval holds the planted value;
- ``verdicts``: how often each scorecard verdict came out (fractions of the seeds; an estimate
  that varies with the seed is not called a read-back where it happens to equal the planted value);
- ``holds``: ``yes`` when coverage is in [0.85, 1] and |bias| is under half the typical
  half-width, ``no`` otherwise, blank when nothing was planted or there is no interval.

Outputs under ``--out`` (default ``build/sweep``): ``sweep.csv`` and ``sweep.json`` (atomically),
``runs/seed-NNN/results/<chapter>.json``, and the executed notebook of any chapter that failed.
The scorecard of a later build shows this sweep beside each row (see
:func:`casebook.book.scorecard.find_sweep`).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .build import (
    DEFAULT_PROFILE,
    BuildPlan,
    UsageError,
    check_writable_dir,
    datasets,
    execute_notebook,
    plan_build,
    pregenerate_data,
)

MAX_SEEDS = 1000
COVERAGE_RANGE = (0.85, 1.0)
CSV_COLUMNS = (
    "chapter",
    "claim",
    "quantity",
    "unit",
    "n",
    "planted",
    "claimed",
    "mean_estimate",
    "sd_estimate",
    "bias",
    "mean_half_width",
    "bias_over_half_width",
    "coverage",
    "holds",
    "verdicts",
)


@dataclass
class SweepPlan:
    """One build plan per seed, all checked before any work."""

    seeds: list[int]
    plans: list[BuildPlan]
    out_dir: Path
    profile: str


@dataclass
class SweepReport:
    """What :func:`run_sweep` produced."""

    out_dir: Path
    records: list[dict[str, Any]]
    failures: list[dict[str, Any]] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)


def plan_sweep(
    seeds: int = 20,
    first_seed: int = 1,
    profile: str = DEFAULT_PROFILE,
    sets: Iterable[str] = (),
    config: str | os.PathLike | None = None,
    out_dir: str | os.PathLike = "build/sweep",
    notebooks_dir: str | os.PathLike = "notebooks",
    only: Iterable[str] | None = None,
    data_dir: str | os.PathLike | None = None,
) -> SweepPlan:
    """Check every input and plan one build per seed ``first_seed .. first_seed + seeds - 1``.

    Raises :class:`~casebook.book.build.UsageError` naming the bad option, before any work.
    """
    if isinstance(seeds, bool) or not isinstance(seeds, int) or not 1 <= seeds <= MAX_SEEDS:
        raise UsageError("--seeds", f"must be a whole number from 1 to {MAX_SEEDS} (got {seeds!r})")
    if isinstance(first_seed, bool) or not isinstance(first_seed, int) or not 0 <= first_seed < 2**32 - MAX_SEEDS:
        raise UsageError("--first-seed", f"must be a whole number >= 0 (got {first_seed!r})")
    sets = list(sets or ())
    if any(s.strip().startswith("seed=") for s in sets):
        raise UsageError("--set", "seed is chosen by the sweep; use --seeds N and --first-seed S")
    out = check_writable_dir("--out", out_dir)
    seed_list = list(range(first_seed, first_seed + seeds))
    plans = [
        plan_build(
            profile=profile,
            sets=[*sets, f"seed={s}"],
            config=config,
            out_dir=out / "runs" / f"seed-{s:03d}",
            notebooks_dir=notebooks_dir,
            only=only,
            data_dir=data_dir,
        )
        for s in seed_list
    ]
    return SweepPlan(seeds=seed_list, plans=plans, out_dir=out, profile=profile)


def run_sweep(plan: SweepPlan, progress: bool = True, log: Callable[[str], None] | None = None) -> SweepReport:
    """Generate each seed's world, run every planned chapter on it, then write ``sweep.csv``/``sweep.json``."""
    from tqdm.auto import tqdm

    from ..analysis.results import read_results

    def say(msg: str) -> None:
        (log or (lambda m: tqdm.write(m, file=sys.stderr)))(msg)

    started = time.time()
    runs: dict[int, dict[str, list]] = {}
    failures: list[dict[str, Any]] = []
    total = sum(len(p.chapters) for p in plan.plans)
    bar = tqdm(total=total, desc="sweep", unit="run", disable=not progress, file=sys.stderr, dynamic_ncols=True)
    for seed, bp in zip(plan.seeds, plan.plans):
        runs[seed] = {}
        pregenerate_data(datasets(bp), log=lambda m: None)
        for cp in bp.chapters:
            bar.set_postfix_str(f"seed {seed} · {cp.chapter.name}")
            res_path = bp.path("results", cp.chapter, ".json")
            res_path.unlink(missing_ok=True)
            nb_path = bp.path("notebooks", cp.chapter, ".ipynb")
            if cp.problem:
                failure_line = cp.problem
            else:
                failure = execute_notebook(
                    cp.chapter.path, nb_path, cp.parameters, bp.settings.timeout, False, cwd=bp.out_dir
                )
                failure_line = failure.line() if failure else ""
            if failure_line:
                failures.append({"seed": seed, "chapter": cp.chapter.name, "error": failure_line})
                say(f"FAILED seed {seed} {cp.chapter.name}: {failure_line}")
            else:
                nb_path.unlink(missing_ok=True)  # only failed runs keep their executed notebook
            if res_path.is_file():
                try:
                    runs[seed][cp.chapter.name] = read_results(res_path)
                except (ValueError, TypeError, KeyError) as exc:
                    failures.append({"seed": seed, "chapter": cp.chapter.name, "error": f"invalid results: {exc}"})
            bar.update(1)
    bar.close()
    records = summarise_runs(runs)
    finished = time.time()
    first = plan.plans[0]
    n_cust = {cp.effective.get("n_customers") for p in plan.plans for cp in p.chapters if cp.effective}
    info = {
        "profile": plan.profile,
        "seeds": plan.seeds,
        "n_seeds": len(plan.seeds),
        "seeds_text": f"{plan.seeds[0]}-{plan.seeds[-1]}" if len(plan.seeds) > 1 else str(plan.seeds[0]),
        "n_customers_text": ", ".join(f"{n:,}" if isinstance(n, int) else str(n) for n in sorted(n_cust, key=str)),
        "chapters": [cp.chapter.name for cp in first.chapters],
        "overrides": first.settings.parameters.get("overrides", {}),
        "started": dt.datetime.fromtimestamp(started).isoformat(timespec="seconds"),
        "finished": dt.datetime.fromtimestamp(finished).strftime("%Y-%m-%d %H:%M"),
        "seconds": round(finished - started, 1),
        "failures": failures,
    }
    write_sweep(records, plan.out_dir, info)
    return SweepReport(out_dir=plan.out_dir, records=records, failures=failures, info=info)


def read_runs(out_dir: str | os.PathLike) -> dict[int, dict[str, list]]:
    """The stored runs of a sweep: seed -> chapter -> records, from ``<out>/runs/seed-NNN/results/*.json``."""
    from ..analysis.results import read_results

    runs: dict[int, dict[str, list]] = {}
    for folder in sorted(Path(out_dir, "runs").glob("seed-*")):
        seed = int(folder.name.removeprefix("seed-"))
        runs[seed] = {p.stem: read_results(p) for p in sorted((folder / "results").glob("*.json"))}
    return runs


def resummarise(out_dir: str | os.PathLike) -> list[dict[str, Any]]:
    """Recompute ``sweep.csv``/``sweep.json`` from the stored runs (e.g. after changing tolerances); return the rows."""
    path = Path(out_dir) / "sweep.json"
    info = json.loads(path.read_text(encoding="utf-8")).get("sweep", {}) if path.is_file() else {}
    records = summarise_runs(read_runs(out_dir))
    write_sweep(records, out_dir, info)
    return records


def _mean(xs: list[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def _sd(xs: list[float]) -> float | None:
    if len(xs) < 2:
        return None
    m = sum(xs) / len(xs)
    return math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1))


def summarise_runs(runs: Mapping[int, Mapping[str, Iterable]]) -> list[dict[str, Any]]:
    """Per record (chapter, claim, quantity) across seeds: mean, spread, bias, coverage, verdict frequencies.

    ``runs`` maps seed -> chapter -> records (:class:`~casebook.analysis.results.Record`).
    Verdicts are the scorecard's (:func:`casebook.book.scorecard.judge`) under the claims' tolerances.
    """
    from .scorecard import judge, load_claims

    claims = load_claims()
    groups: dict[tuple[str, str, str], list] = defaultdict(list)
    for seed in sorted(runs):
        for chapter, records in runs[seed].items():
            for rec in records:
                groups[(chapter, rec.claim, rec.quantity)].append(rec)
    out = []
    for (chapter, claim, quantity), recs in groups.items():
        n = len(recs)
        est = [r.estimate for r in recs if r.estimate is not None]
        sd = _sd(est)
        varies = bool(sd) and sd > 1e-9 * max(1.0, abs(_mean(est)))  # then estimate == planted is a coincidence
        verdicts = Counter(judge(r, claims.tolerance(claim), varies_across_seeds=varies).verdict for r in recs)
        planted = [r.planted for r in recs if r.planted is not None and r.estimate is not None]
        bias = _mean([r.estimate - r.planted for r in recs if r.planted is not None and r.estimate is not None])
        with_ci = [r for r in recs if r.ci_low is not None and r.planted is not None]
        coverage = _mean([float(r.ci_low <= r.planted <= r.ci_high) for r in with_ci])
        half = _mean([(r.ci_high - r.ci_low) / 2 for r in recs if r.ci_low is not None])
        ratio = bias / half if (bias is not None and half) else None
        holds = ""
        if coverage is not None and ratio is not None:
            ok = COVERAGE_RANGE[0] <= coverage <= COVERAGE_RANGE[1] and abs(ratio) < 0.5
            holds = "yes" if ok else "no"
        claimed = {r.claimed for r in recs}
        out.append(
            {
                "chapter": chapter,
                "claim": claim,
                "quantity": quantity,
                "unit": recs[0].unit,
                "n": n,
                "planted": _mean(planted),
                "claimed": claimed.pop() if len(claimed) == 1 else None,
                "mean_estimate": _mean(est),
                "sd_estimate": sd,
                "bias": bias,
                "mean_half_width": half,
                "bias_over_half_width": ratio,
                "coverage": coverage,
                "holds": holds,
                "verdicts": {k: v / n for k, v in verdicts.most_common()},
            }
        )
    return out


def write_sweep(records: list[dict[str, Any]], out_dir: str | os.PathLike, info: Mapping[str, Any]) -> dict[str, Path]:
    """Write ``sweep.csv`` and ``sweep.json`` to ``out_dir`` (atomically); return the paths."""
    import pandas as pd

    from .render import write_atomic

    out = Path(out_dir)
    frame = pd.DataFrame(
        [r | {"verdicts": "; ".join(f"{k} {v:.0%}" for k, v in r["verdicts"].items())} for r in records],
        columns=list(CSV_COLUMNS),
    )
    return {
        "csv": write_atomic(out / "sweep.csv", frame.to_csv(index=False, lineterminator="\n")),
        "json": write_atomic(
            out / "sweep.json",
            json.dumps({"sweep": dict(info), "records": records}, indent=2, ensure_ascii=False, default=str) + "\n",
        ),
    }


def format_table(records: Iterable[Mapping[str, Any]], width: int = 44) -> str:
    """Plain-text table of a sweep: one line per record (for the terminal and reports)."""

    def f(x: Any, spec: str = ".3g") -> str:
        return "-" if x is None else format(x, spec)

    head = (
        f"{'ch':<3}{'claim':<7}{'quantity':<{width}} {'n':>3} {'planted':>9} {'mean':>9} {'sd':>8} "
        f"{'bias':>9} {'bias/hw':>7} {'cover':>5} hold  verdicts"
    )
    lines = [head]
    for r in records:
        verdicts = ", ".join(f"{k} {v:.0%}" for k, v in r["verdicts"].items())
        lines.append(
            f"{r['chapter'][:2]:<3}{r['claim']:<7}{r['quantity'][:width]:<{width}} {r['n']:>3} {f(r['planted']):>9} "
            f"{f(r['mean_estimate']):>9} {f(r['sd_estimate'], '.2g'):>8} {f(r['bias'], '.2g'):>9} "
            f"{f(r['bias_over_half_width'], '.2f'):>7} {f(r['coverage'], '.2f'):>5} {r['holds'] or '-':<4}  {verdicts}"
        )
    return "\n".join(lines)
