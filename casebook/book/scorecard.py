"""The reproduction scorecard: every results record of every chapter, with a verdict.

One row per record (see :mod:`casebook.results`): the claim (text, source and
the public record from ``casebook/claims.yml``), the case's number, the planted
value, the estimate with its 95 % interval, and a verdict:

- ``reproduced``: the planted value lies inside the interval (when a value was
  planted) and the estimate is within the claim's tolerance of the case's
  number (when the case gives one);
- ``not reproduced``: either check fails; ``reason`` says which and by how much;
- ``reported``: the record has neither a planted value nor a case's number.

A record with a planted value but no interval (a method that gives none) is
judged by the claim's tolerance around the planted value instead.

Written as ``scorecard.html`` (styled table), ``scorecard.csv`` and
``scorecard.json`` beside the build's ``index.html``, each atomically.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ..analysis.results import Record, read_results
from .render import format_number, render_site_page, write_atomic

REPRODUCED = "reproduced"
NOT_REPRODUCED = "not reproduced"
REPORTED = "reported"
CHAPTER_FAILED = "chapter failed"

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
    "verdict",
    "reason",
    "tolerance",
    "public_record",
    "public_source",
)


# --------------------------------------------------------------------------- claims
@dataclass(frozen=True)
class Tolerance:
    """How close two numbers must be: ``abs`` in the record's unit and/or ``rel`` (fraction of the reference).

    The larger of the two allowances applies.
    """

    abs: float | None = None
    rel: float | None = None
    bound: str | None = None  # "upper": the claim is a ceiling ("under 8 days"); "lower": a floor

    def allowance(self, reference: float) -> float:
        """Largest allowed distance from ``reference``."""
        a = self.abs or 0.0
        r = (self.rel or 0.0) * abs(reference)
        return max(a, r)

    def within(self, value: float, reference: float) -> bool:
        """True if ``value`` is within the allowance of ``reference`` (with a hair of float slack)."""
        slack = 1e-9 * max(1.0, abs(reference))
        if self.bound == "upper":
            return value <= reference + self.allowance(reference) + slack
        if self.bound == "lower":
            return value >= reference - self.allowance(reference) - slack
        return abs(value - reference) <= self.allowance(reference) + slack

    def describe(self, reference: float | None = None) -> str:
        """Human text, e.g. ``"±10 %"`` or ``"±0.5"``, or ``"±0.5 (±10 %)"``."""
        parts = []
        if self.bound:
            extra = f", {self.describe_plain()}" if (self.abs or self.rel) else ""
            return (
                {"upper": "the ceiling (at most the case's number", "lower": "the floor (at least the case's number"}[
                    self.bound
                ]
                + extra
                + ")"
            )
        if self.abs is not None:
            parts.append(f"±{format_number(self.abs)}")
        if self.rel is not None:
            parts.append(f"±{format_number(self.rel * 100)} %")
        return " or ".join(parts) if parts else "exact"

    def describe_plain(self) -> str:
        """The allowance alone, without the bound."""
        return Tolerance(self.abs, self.rel).describe()

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None, where: str = "tolerance") -> Tolerance:
        """Build from ``{abs: x, rel: y}`` (either may be missing), validating the numbers."""
        data = dict(data or {})
        unknown = set(data) - {"abs", "rel", "bound"}
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: abs, rel, bound")
        bound = data.pop("bound", None)
        if bound not in (None, "upper", "lower"):
            raise ValueError(f"{where}.bound: must be upper or lower (got {bound!r})")
        vals = {}
        for k, v in data.items():
            if v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                raise ValueError(f"{where}.{k}: must be a number >= 0 (got {v!r})")
            vals[k] = float(v)
        return cls(**vals, bound=bound)


@dataclass(frozen=True)
class Claim:
    """One claim of the case, as transcribed in ``claims.yml``."""

    id: str
    text: str = ""
    source: str = ""
    chapter: str = ""
    case_value: float | None = None
    case_text: str = ""
    unit: str = ""
    public_record: str = ""
    public_source: str = ""
    notes: str = ""
    tolerance: Tolerance = Tolerance(rel=0.10)

    @property
    def case_display(self) -> str:
        """The case's number as the case puts it (``case_text``), else the formatted ``case_value``."""
        if self.case_text:
            return self.case_text
        return "" if self.case_value is None else format_number(self.case_value)


@dataclass(frozen=True)
class Claims:
    """All claims by id, plus the tolerance used for ids that are not listed (derived metrics)."""

    by_id: Mapping[str, Claim]
    default_tolerance: Tolerance

    def get(self, claim_id: str) -> Claim:
        """The claim ``claim_id``, or an empty one (default tolerance) for an id not in the file."""
        return self.by_id.get(claim_id) or Claim(id=claim_id, tolerance=self.default_tolerance)


def load_claims(path: str | os.PathLike | None = None) -> Claims:
    """Read ``claims.yml`` (the packaged one unless ``path`` is given) and validate it."""
    if path is None:
        text = resources.files("casebook").joinpath("claims.yml").read_text(encoding="utf-8")
        where = "casebook/claims.yml"
    else:
        text = Path(path).read_text(encoding="utf-8")
        where = str(path)
    data = yaml.safe_load(text) or {}
    default = Tolerance.from_mapping(data.get("default_tolerance", {"rel": 0.10}), f"{where}: default_tolerance")
    fields = set(Claim.__dataclass_fields__) - {"id", "tolerance"}
    by_id: dict[str, Claim] = {}
    for cid, entry in (data.get("claims") or {}).items():
        entry = dict(entry or {})
        unknown = set(entry) - fields - {"tolerance"}
        if unknown:
            raise ValueError(f"{where}: claim {cid}: unknown key(s) {sorted(unknown)}")
        tol = default
        if "tolerance" in entry:
            tol = Tolerance.from_mapping(entry.pop("tolerance"), f"{where}: {cid}.tolerance")
        cv = entry.pop("case_value", None)
        if cv is not None and (isinstance(cv, bool) or not isinstance(cv, (int, float))):
            raise ValueError(f"{where}: claim {cid}: case_value must be a number or null (got {cv!r})")
        entry = {k: ("" if v is None else str(v)) for k, v in entry.items()}
        by_id[str(cid)] = Claim(id=str(cid), case_value=None if cv is None else float(cv), tolerance=tol, **entry)
    return Claims(by_id=by_id, default_tolerance=default)


# --------------------------------------------------------------------------- verdict
def verdict(record: Record, tolerance: Tolerance) -> tuple[str, str]:
    """Verdict and reason for one record under the claim's ``tolerance``.

    Returns ``(verdict, reason)`` where verdict is ``"reproduced"``,
    ``"not reproduced"`` or ``"reported"`` (see the module docstring).
    """
    f = format_number
    if record.planted is None and record.claimed is None:
        return REPORTED, "no planted value and no case number: estimate reported"
    fails: list[str] = []
    oks: list[str] = []
    est = record.estimate
    if record.planted is not None:
        if record.ci_low is not None:
            if record.ci_low <= record.planted <= record.ci_high:
                oks.append(f"planted {f(record.planted)} inside the 95 % interval")
            else:
                side = "below" if record.planted < record.ci_low else "above"
                fails.append(
                    f"planted {f(record.planted)} is {side} the 95 % interval [{f(record.ci_low)}, {f(record.ci_high)}]"
                )
        elif tolerance.within(est, record.planted):
            oks.append(f"no interval; estimate within {tolerance.describe()} of planted {f(record.planted)}")
        else:
            fails.append(
                f"no interval, and estimate {f(est)} is {f(abs(est - record.planted))} from planted "
                f"{f(record.planted)} (tolerance {tolerance.describe()})"
            )
    if record.claimed is not None:
        if tolerance.within(est, record.claimed):
            oks.append(f"within {tolerance.describe()} of the case's {f(record.claimed)}")
        else:
            fails.append(
                f"estimate {f(est)} is {f(abs(est - record.claimed))} from the case's "
                f"{f(record.claimed)} (tolerance {tolerance.describe()})"
            )
    if fails:
        return NOT_REPRODUCED, "; ".join(fails)
    return REPRODUCED, "; ".join(oks)


# --------------------------------------------------------------------------- table
def scorecard_rows(
    results: Mapping[str, Iterable[Record]], claims: Claims, failed: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """One dict per record (keys: :data:`COLUMNS`), chapters in the order given.

    ``failed`` maps a failed chapter to its error line; such a chapter gets one
    ``chapter failed`` row when it wrote no records.
    """
    rows: list[dict[str, Any]] = []
    failed = dict(failed or {})
    for chapter, records in results.items():
        records = list(records)
        for rec in records:
            claim = claims.get(rec.claim)
            v, reason = verdict(rec, claim.tolerance)
            if chapter in failed:
                reason = f"{reason} (chapter failed: records may be incomplete)"
            rows.append(
                {
                    "chapter": chapter,
                    "claim": rec.claim,
                    "claim_text": claim.text,
                    "source": claim.source,
                    "quantity": rec.quantity,
                    "case_value": claim.case_value,
                    "claimed": rec.claimed,
                    "planted": rec.planted,
                    "estimate": rec.estimate,
                    "ci_low": rec.ci_low,
                    "ci_high": rec.ci_high,
                    "unit": rec.unit,
                    "method": rec.method,
                    "verdict": v,
                    "reason": reason,
                    "tolerance": claim.tolerance.describe() if _uses_tolerance(rec) else "",
                    "public_record": claim.public_record,
                    "public_source": claim.public_source,
                }
            )
        if not records and chapter in failed:
            rows.append(
                {c: None for c in COLUMNS}
                | {
                    "chapter": chapter,
                    "claim": "",
                    "claim_text": "",
                    "source": "",
                    "quantity": "",
                    "unit": "",
                    "method": "",
                    "verdict": CHAPTER_FAILED,
                    "reason": failed[chapter],
                    "tolerance": "",
                    "public_record": "",
                    "public_source": "",
                }
            )
    return rows


def _uses_tolerance(rec: Record) -> bool:
    return rec.claimed is not None or (rec.planted is not None and rec.ci_low is None)


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
    """Count of rows per verdict (every verdict present, zeros included)."""
    counts = {REPRODUCED: 0, NOT_REPRODUCED: 0, REPORTED: 0, CHAPTER_FAILED: 0}
    for r in rows:
        counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
    return counts


def write_scorecard(
    rows: list[dict[str, Any]],
    out_dir: str | os.PathLike,
    context: Mapping[str, Any] | None = None,
    problems: Mapping[str, str] | None = None,
) -> dict[str, Path]:
    """Write ``scorecard.csv``, ``scorecard.json`` and ``scorecard.html`` to ``out_dir`` (atomically).

    ``context`` (profile, parameters, build time...) is shown on the HTML page
    and stored in the JSON beside the rows. Returns the paths by format.
    """
    import pandas as pd

    out = Path(out_dir)
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    paths = {
        "csv": write_atomic(out / "scorecard.csv", frame.to_csv(index=False, lineterminator="\n")),
        "json": write_atomic(
            out / "scorecard.json",
            json.dumps(
                {
                    "build": dict(context or {}),
                    "summary": summarize(rows),
                    "problems": dict(problems or {}),
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
        summary=summarize(rows),
        build=dict(context or {}),
        problems=dict(problems or {}),
        fmt=format_number,
    )
    return paths
