"""The reproduction scorecard: every claim of the case, every results record, with a verdict.

One row per record (see :mod:`casebook.analysis.results`), plus one ``no record`` row for
each claim of a built chapter that no chapter wrote a record for. Per row: the claim (text,
source title and public record from ``casebook/claims.yml``), the case's number, the
planted value, the estimate with its 95 % interval, two checks and a verdict.

Two questions, two columns:

- ``recovers_planted``: does the method recover what the world planted? ``yes`` when the
  planted value lies inside the 95 % interval (a record without an interval: within the
  claim's tolerance of the planted value); blank when nothing was planted;
- ``agrees_with_case``: does the world agree with the case's number? ``yes`` when the
  case's number (the record's ``claimed``) lies within the claim's tolerance of the 95 %
  interval (of the estimate when there is no interval); blank when the case gives none.

Verdicts (:data:`VERDICTS`):

- ``reproduced``: every check that applies says yes;
- ``not reproduced``: a check says no; ``reason`` says which and by how much;
- ``reported``: neither a planted value nor a case's number;
- ``read-back``: the interval has zero width, or the estimate equals the planted value to
  floating-point error: the record reads a planted constant back instead of estimating it
  (never ``reproduced``);
- ``no data in this world``: the chapter says the world cannot hold the claim
  (``extra.verdict == "no-data"``, see :func:`casebook.analysis.results.no_data_record`);
- ``no record``: a claim of a built chapter with no record at all;
- ``chapter failed``: a chapter that failed before writing records.

Written as ``scorecard.html`` (a plain table with ``data-chapter``/``data-verdict`` per row),
``scorecard.csv`` and ``scorecard.json`` beside the build's ``index.html``, each atomically.
When a sweep (:mod:`casebook.book.sweep`) has been run, its figures sit beside each row.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..analysis.results import Record, read_results
from ..claims import Claims, Tolerance, is_close, listed_claim_ids, load_claims
from .render import format_number, render_site_page, write_atomic

__all__ = ["Tolerance", "load_claims", "listed_claim_ids"]  # re-exported for the build and tests

REPRODUCED = "reproduced"
NOT_REPRODUCED = "not reproduced"
REPORTED = "reported"
READ_BACK = "read-back"
NO_DATA = "no data in this world"
NO_RECORD = "no record"
CHAPTER_FAILED = "chapter failed"
VERDICTS = (REPRODUCED, NOT_REPRODUCED, REPORTED, READ_BACK, NO_DATA, NO_RECORD, CHAPTER_FAILED)

YES, NO = "yes", "no"

COLUMNS = (
    "chapter",
    "claim",
    "claim_text",
    "source",
    "quantity",
    "case_value",
    "claimed",
    "planted",
    "estimate",
    "ci_low",
    "ci_high",
    "unit",
    "method",
    "recovers_planted",
    "planted_check",
    "agrees_with_case",
    "case_check",
    "verdict",
    "reason",
    "tolerance",
    "public_record",
    "public_source",
    "sweep_seeds",
    "sweep_mean",
    "sweep_bias",
    "sweep_coverage",
    "sweep_verdicts",
)


# --------------------------------------------------------------------------- verdict
@dataclass(frozen=True)
class Judgement:
    """The two checks and the verdict for one record."""

    verdict: str
    reason: str
    recovers_planted: str = ""  # "yes", "no" or "" (nothing planted / not judged)
    planted_check: str = ""
    agrees_with_case: str = ""  # "yes", "no" or "" (no case number / not judged)
    case_check: str = ""


def read_back_reason(record: Record, varies_across_seeds: bool = False) -> str:
    """Why ``record`` is a read-back ("" if it is not): zero-width interval or estimate == planted.

    ``varies_across_seeds``: a sweep saw this record's estimate change with the seed, so an
    estimate equal to the planted value at this seed is a coincidence (a count ratio such as
    50/5000 can equal a planted 0.01 exactly), not a read-back; a zero-width interval still is.
    """
    f = format_number
    if record.no_data or record.estimate is None:
        return ""
    if record.ci_low is not None and is_close(record.ci_low, record.ci_high):
        return (
            f"zero-width interval [{f(record.ci_low)}, {f(record.ci_high)}]: the estimate does not vary with "
            "the sample, so it reads a planted constant back"
        )
    if record.planted is not None and is_close(record.estimate, record.planted) and not varies_across_seeds:
        return (
            f"estimate {f(record.estimate)} equals the planted value to floating-point error: "
            "a read-back, not an estimate"
        )
    return ""


def judge(record: Record, tolerance: Tolerance, varies_across_seeds: bool = False) -> Judgement:
    """The two checks and the verdict for one record under the claim's ``tolerance`` (module docstring).

    ``varies_across_seeds``: see :func:`read_back_reason`.
    """
    f = format_number
    if record.no_data:
        return Judgement(NO_DATA, str(record.extra.get("reason", "")))
    est = record.estimate
    planted_ok: bool | None = None
    planted_text = ""
    if record.planted is not None:
        if record.ci_low is not None:
            planted_ok = record.ci_low <= record.planted <= record.ci_high
            if planted_ok:
                planted_text = f"planted {f(record.planted)} inside the 95 % interval"
            else:
                side = "below" if record.planted < record.ci_low else "above"
                planted_text = (
                    f"planted {f(record.planted)} is {side} the 95 % interval [{f(record.ci_low)}, {f(record.ci_high)}]"
                )
        else:
            planted_ok = tolerance.within(est, record.planted)
            planted_text = (
                f"no interval; estimate within {tolerance.describe()} of planted {f(record.planted)}"
                if planted_ok
                else f"no interval, and estimate {f(est)} is {f(abs(est - record.planted))} from planted "
                f"{f(record.planted)} (tolerance {tolerance.describe()})"
            )
    case_ok: bool | None = None
    case_text = ""
    if record.claimed is not None:
        lo, hi = (record.ci_low, record.ci_high) if record.ci_low is not None else (est, est)
        what = "the 95 % interval" if record.ci_low is not None else "the estimate"
        case_ok = tolerance.reaches(lo, hi, record.claimed)
        if case_ok:
            case_text = f"the case's {f(record.claimed)} within {tolerance.describe()} of {what}"
        else:
            gap = min(abs(record.claimed - lo), abs(record.claimed - hi))
            shown = f"[{f(lo)}, {f(hi)}]" if record.ci_low is not None else f(est)
            case_text = (
                f"the case's {f(record.claimed)} is {f(gap)} from {what} {shown} (tolerance {tolerance.describe()})"
            )
    yn = {True: YES, False: NO, None: ""}
    checks = dict(
        recovers_planted=yn[planted_ok],
        planted_check=planted_text,
        agrees_with_case=yn[case_ok],
        case_check=case_text,
    )
    rb = read_back_reason(record, varies_across_seeds)
    if rb:
        return Judgement(READ_BACK, rb, "", "not judged: read-back", yn[case_ok], case_text)
    if planted_ok is None and case_ok is None:
        return Judgement(REPORTED, "no planted value and no case number: estimate reported", **checks)
    fails = [t for ok, t in ((planted_ok, planted_text), (case_ok, case_text)) if ok is False]
    if fails:
        return Judgement(NOT_REPRODUCED, "; ".join(fails), **checks)
    oks = [t for ok, t in ((planted_ok, planted_text), (case_ok, case_text)) if ok]
    return Judgement(REPRODUCED, "; ".join(oks), **checks)


def verdict(record: Record, tolerance: Tolerance) -> tuple[str, str]:
    """``(verdict, reason)`` for one record under the claim's ``tolerance`` (see :func:`judge`)."""
    j = judge(record, tolerance)
    return j.verdict, j.reason


# --------------------------------------------------------------------------- table
def _claim_columns(claims: Claims, claim_id: str) -> dict[str, Any]:
    claim = claims.get(claim_id)
    return {
        "claim": claim_id,
        "claim_text": claim.text if claim else "",
        "source": claims.source_title(claim_id),
        "case_value": claim.case_value if claim else None,
        "public_record": claim.public_record if claim else "",
        "public_source": claim.public_source if claim else "",
    }


def _blank_row() -> dict[str, Any]:
    return {c: None for c in COLUMNS} | {
        c: "" for c in COLUMNS if c not in ("case_value", "claimed", "planted", "estimate", "ci_low", "ci_high")
    }


def sweep_key(chapter: str, claim: str, quantity: str) -> str:
    """Key of a record across seeds: ``chapter|claim|quantity``."""
    return f"{chapter}|{claim}|{quantity}"


def scorecard_rows(
    results: Mapping[str, Iterable[Record]],
    claims: Claims,
    failed: Mapping[str, str] | None = None,
    sweep: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """One dict per record (keys: :data:`COLUMNS`), chapters in the order given, then ``no record`` rows.

    ``failed`` maps a failed chapter to its error line; such a chapter gets one
    ``chapter failed`` row when it wrote no records. Every case claim whose chapter
    (``claims.yml``'s ``chapter``, matched by the two-digit prefix of the chapter names in
    ``results``) was built but has no record in any chapter gets a ``no record`` row.
    ``sweep`` (from :func:`load_sweep`) adds each record's figures across seeds.
    """
    rows: list[dict[str, Any]] = []
    failed = dict(failed or {})
    sweep = dict(sweep or {})
    seen: set[str] = set()
    for chapter, records in results.items():
        records = list(records)
        for rec in records:
            seen.add(rec.claim)
            tol = claims.tolerance(rec.claim)
            stats = sweep.get(sweep_key(chapter, rec.claim, rec.quantity))
            j = judge(rec, tol, varies_across_seeds=_varies(stats))
            reason = j.reason + (" (chapter failed: records may be incomplete)" if chapter in failed else "")
            row = _blank_row() | _claim_columns(claims, rec.claim)
            row |= {
                "chapter": chapter,
                "quantity": rec.quantity,
                "claimed": rec.claimed,
                "planted": rec.planted,
                "estimate": rec.estimate,
                "ci_low": rec.ci_low,
                "ci_high": rec.ci_high,
                "unit": rec.unit,
                "method": rec.method,
                "recovers_planted": j.recovers_planted,
                "planted_check": j.planted_check,
                "agrees_with_case": j.agrees_with_case,
                "case_check": j.case_check,
                "verdict": j.verdict,
                "reason": reason,
                "tolerance": tol.describe() if _uses_tolerance(rec) else "",
            }
            row |= _sweep_columns(stats)
            rows.append(row)
        if not records and chapter in failed:
            rows.append(_blank_row() | {"chapter": chapter, "verdict": CHAPTER_FAILED, "reason": failed[chapter]})
    by_number = {name[:2]: name for name in results}
    for cid in claims.case_ids():
        claim = claims.get(cid)
        if cid in seen or claim.chapter not in by_number:
            continue
        chapter = by_number[claim.chapter]
        why = (
            f"chapter {chapter} failed before writing a record for {cid}"
            if chapter in failed
            else f"no chapter wrote a record for {cid} (claims.yml assigns it to chapter {claim.chapter})"
        )
        rows.append(
            _blank_row()
            | _claim_columns(claims, cid)
            | {"chapter": chapter, "unit": claim.unit, "verdict": NO_RECORD, "reason": why}
        )
    return rows


def _uses_tolerance(rec: Record) -> bool:
    return rec.claimed is not None or (rec.planted is not None and rec.ci_low is None)


def _varies(stats: Mapping[str, Any] | None) -> bool:
    """True when a sweep saw the estimate change with the seed (relative spread above 1e-9)."""
    if not stats or not stats.get("sd_estimate") or stats.get("mean_estimate") is None:
        return False
    return stats["sd_estimate"] > 1e-9 * max(1.0, abs(stats["mean_estimate"]))


def _sweep_columns(stats: Mapping[str, Any] | None) -> dict[str, Any]:
    if not stats:
        return {}
    freq = stats.get("verdicts") or {}
    return {
        "sweep_seeds": stats.get("n"),
        "sweep_mean": stats.get("mean_estimate"),
        "sweep_bias": stats.get("bias"),
        "sweep_coverage": stats.get("coverage"),
        "sweep_verdicts": ", ".join(f"{k} {v:.0%}" for k, v in sorted(freq.items(), key=lambda kv: -kv[1])),
    }


def missing_listed(
    results: Mapping[str, Iterable[Record]], listed: Mapping[str, Iterable[str]]
) -> dict[str, list[str]]:
    """Per chapter, the claim ids its opening lists but for which it wrote no record (errors)."""
    out: dict[str, list[str]] = {}
    for chapter, ids in listed.items():
        written = {r.claim for r in results.get(chapter, [])}
        missing = [cid for cid in ids if cid not in written]
        if missing:
            out[chapter] = missing
    return out


def opening_claims(notebook: str | os.PathLike) -> list[str]:
    """Claim ids the chapter's opening (its first markdown cell) lists; ``[]`` if unreadable."""
    import nbformat

    try:
        nb = nbformat.read(str(notebook), as_version=4)
    except Exception:  # an unreadable chapter fails visibly elsewhere
        return []
    first = next((c.source for c in nb.cells if c.cell_type == "markdown"), "")
    return listed_claim_ids(first)


def read_backs(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """``chapter claim "quantity": reason`` for every read-back row."""
    return [f'{r["chapter"]} {r["claim"]} "{r["quantity"]}": {r["reason"]}' for r in rows if r["verdict"] == READ_BACK]


def read_chapter_results(
    paths: Mapping[str, str | os.PathLike | None],
) -> tuple[dict[str, list[Record]], dict[str, str]]:
    """Read each chapter's results file; return ``(records by chapter, problems by chapter)``.

    A missing or invalid file gives no records and a one-line problem.
    """
    results: dict[str, list[Record]] = {}
    problems: dict[str, str] = {}
    for chapter, path in paths.items():
        results[chapter] = []
        if path is None or not Path(path).is_file():
            problems[chapter] = "no results file written"
            continue
        try:
            results[chapter] = read_results(path)
        except (ValueError, TypeError, KeyError, json.JSONDecodeError) as exc:
            problems[chapter] = f"invalid results file {Path(path).name}: {type(exc).__name__}: {exc}"
    return results, problems


def summarize(rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Count of rows per verdict (every verdict kind present, zeros included)."""
    counts = dict.fromkeys(VERDICTS, 0)
    for r in rows:
        counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
    return counts


def summary_text(summary: Mapping[str, int]) -> str:
    """``12 reproduced, 3 not reproduced, 0 read-back, ...``: every verdict kind ("chapter failed" only when > 0)."""
    return ", ".join(f"{n} {k}" for k, n in summary.items() if n or k != CHAPTER_FAILED)


# --------------------------------------------------------------------------- sweep
SWEEP_FILE = "sweep.json"


def find_sweep(out_dir: str | os.PathLike) -> Path | None:
    """The latest sweep for a build in ``out_dir``: ``<out>/sweep/sweep.json``, else ``<out>/../sweep/sweep.json``.

    (The sweep's default output is ``build/sweep``, beside ``build`` and ``build/ci``.)
    """
    out = Path(out_dir)
    for cand in (out / "sweep" / SWEEP_FILE, out.parent / "sweep" / SWEEP_FILE):
        if cand.is_file():
            return cand
    return None


def load_sweep(path: str | os.PathLike | None) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """``(stats by record key, sweep info)`` from a sweep's ``sweep.json``; empty when there is none."""
    if path is None or not Path(path).is_file():
        return {}, {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        stats = {sweep_key(r["chapter"], r["claim"], r["quantity"]): r for r in data.get("records", [])}
    except (ValueError, KeyError, TypeError):
        return {}, {}
    return stats, dict(data.get("sweep", {})) | {"path": str(path)}


def write_scorecard(
    rows: list[dict[str, Any]],
    out_dir: str | os.PathLike,
    context: Mapping[str, Any] | None = None,
    problems: Mapping[str, str] | None = None,
    sweep_info: Mapping[str, Any] | None = None,
) -> dict[str, Path]:
    """Write ``scorecard.csv``, ``scorecard.json`` and ``scorecard.html`` to ``out_dir`` (atomically).

    ``context`` (profile, parameters, build time...) is shown on the HTML page and stored
    in the JSON beside the rows; ``sweep_info`` describes the sweep whose figures the rows
    carry. Returns the paths by format.
    """
    import pandas as pd

    out = Path(out_dir)
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    summary = summarize(rows)
    paths = {
        "csv": write_atomic(out / "scorecard.csv", frame.to_csv(index=False, lineterminator="\n")),
        "json": write_atomic(
            out / "scorecard.json",
            json.dumps(
                {
                    "build": dict(context or {}),
                    "summary": summary,
                    "problems": dict(problems or {}),
                    "sweep": dict(sweep_info or {}),
                    "rows": json.loads(frame.to_json(orient="records")),
                },
                indent=2,
                ensure_ascii=False,
            )
            + "\n",
        ),
    }
    paths["html"] = render_site_page(
        "scorecard.html.j2",
        out / "scorecard.html",
        rows=rows,
        summary=summary,
        build=dict(context or {}),
        problems=dict(problems or {}),
        sweep=dict(sweep_info or {}),
        fmt=format_number,
        slug=lambda s: str(s or "").replace(" ", "-"),
    )
    return paths
