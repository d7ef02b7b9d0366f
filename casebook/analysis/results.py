"""The ``results_path`` contract: one JSON record per reproduced quantity.

Every chapter writes a list of records to its ``results_path``; ``casebook build``
gathers them into the reproduction scorecard. A record sets the case's claim
beside the value the analysis *computed* from the raw records (never typed in)
and, where the claim is a planted mechanism parameter, the planted value.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

FIELDS = ("claim", "quantity", "estimate", "ci_low", "ci_high", "planted", "claimed", "unit", "method")


def _num(x: Any) -> float | None:
    """Coerce numpy scalars to float; map None/NaN to None (JSON null)."""
    if x is None:
        return None
    if isinstance(x, (np.generic,)):
        x = x.item()
    if isinstance(x, bool):
        return float(x)
    if isinstance(x, (int, float)):
        return None if (isinstance(x, float) and not math.isfinite(x)) else float(x)
    raise TypeError(f"expected a number or None, got {type(x).__name__}: {x!r}")


@dataclass
class Record:
    """One reproduced quantity.

    Attributes:
        claim: claim id from the case facts, e.g. ``"C5"`` (or ``"D-CCC"`` for a derived metric).
        quantity: what was estimated, in words (``"change of the firm's ACSI-style index"``).
        estimate: the value computed from the generated records.
        ci_low, ci_high: 95 % interval, or ``None`` where the method gives none.
        planted: the scenario's parameter value, or ``None`` if the claim is not planted.
        claimed: the case's number, or ``None`` where the case gives none.
        unit: unit of estimate/planted/claimed (``"index points"``, ``"fraction"``, ``"days"``...).
        method: the estimator, in a few words (``"segmented ITS, HAC s.e."``).
        extra: optional free-form details (not shown on the scorecard).
    """

    claim: str
    quantity: str
    estimate: float
    ci_low: float | None
    ci_high: float | None
    planted: float | None
    claimed: float | None
    unit: str
    method: str
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("estimate", "ci_low", "ci_high", "planted", "claimed"):
            setattr(self, name, _num(getattr(self, name)))
        if self.estimate is None:
            raise ValueError(f"record {self.claim}: estimate must be a finite number")
        if (self.ci_low is None) != (self.ci_high is None):
            raise ValueError(f"record {self.claim}: give both ci_low and ci_high, or neither")
        if self.ci_low is not None and self.ci_low > self.ci_high:
            raise ValueError(f"record {self.claim}: ci_low {self.ci_low} > ci_high {self.ci_high}")

    @property
    def planted_inside(self) -> bool | None:
        """True if the planted value lies inside [ci_low, ci_high]; None if either is missing."""
        if self.planted is None or self.ci_low is None:
            return None
        return self.ci_low <= self.planted <= self.ci_high

    def to_dict(self) -> dict:
        """Plain-JSON form of the record (the contract's keys, plus ``extra``)."""
        d = asdict(self)
        if not d["extra"]:
            d.pop("extra")
        return d


def write_results(path: str | os.PathLike, records: Iterable[Record | dict]) -> Path:
    """Write records to ``path`` as a JSON list, atomically (temporary file, then rename).

    Returns the path written. Dicts are validated by building a :class:`Record`.
    """
    recs = [r if isinstance(r, Record) or _is_no_data(r) else Record(**r) for r in records]
    ids = [(r["claim"] + "|" + r["quantity"]) if isinstance(r, dict) else (r.claim + "|" + r.quantity) for r in recs]
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate (claim, quantity) in results")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump([r if isinstance(r, dict) else r.to_dict() for r in recs], fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    os.replace(tmp, path)
    return path


def no_data_record(claim: str, quantity: str, reason: str, unit: str = "") -> dict:
    """A record for a claim this world cannot hold: shown on the scorecard as 'no data', never silence."""
    return {
        "claim": claim,
        "quantity": quantity,
        "estimate": None,
        "ci_low": None,
        "ci_high": None,
        "planted": None,
        "claimed": None,
        "unit": unit,
        "method": "not estimable in this world",
        "extra": {"verdict": "no-data", "reason": reason},
    }


def _is_no_data(r: Any) -> bool:
    return isinstance(r, dict) and isinstance(r.get("extra"), dict) and r["extra"].get("verdict") == "no-data"


def read_results(path: str | os.PathLike) -> list[Record]:
    """Read a ``results_path`` JSON file back into records (validating every one)."""
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a JSON list of records")
    return [d if _is_no_data(d) else Record(**d) for d in data]


def results_table(records: Iterable[Record]):
    """Records as a pandas DataFrame (for the notebooks' "Key results" cell)."""
    import pandas as pd

    return pd.DataFrame([r.to_dict() for r in records], columns=list(FIELDS))


def format_key_results(records: Iterable[Record], digits: int = 3) -> str:
    """Plain-text, deterministic table of records for a ``nbval-check-output`` cell.

    Numbers are rounded to ``digits`` significant digits so that nbval compares
    what matters and the same seed always prints the same text.
    """

    def f(x: float | None) -> str:
        if x is None:
            return "-"
        return f"{x:.{digits}g}"

    lines = [f"{'claim':<6} {'quantity':<48} {'estimate':>10} {'95% interval':>22} {'planted':>9} {'claimed':>9}  unit"]
    for r in records:
        if isinstance(r, dict):
            lines.append(f"{r['claim']:<6} {r['quantity'][:48]:<48} {'no data':>10}  ({r['extra']['reason']})")
            continue
        ci = "-" if r.ci_low is None else f"[{f(r.ci_low)}, {f(r.ci_high)}]"
        lines.append(
            f"{r.claim:<6} {r.quantity[:48]:<48} {f(r.estimate):>10} {ci:>22} {f(r.planted):>9} {f(r.claimed):>9}  {r.unit}"
        )
    return "\n".join(lines)
