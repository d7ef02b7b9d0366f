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
NO_DATA = "no-data"  # ``extra["verdict"]`` of a claim this world cannot hold (see :func:`no_data_record`)


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


@dataclass(kw_only=True)
class Record:
    """One reproduced quantity (built with keyword arguments only).

    Attributes:
        claim: claim id from the case facts, e.g. ``"C5"`` (or ``"D-CCC"`` for a derived metric).
        quantity: what was estimated, in words (``"change of the firm's ACSI-style index"``).
        estimate: the value computed from the generated records (``None`` only for a
            "no data in this world" record: ``extra={"verdict": "no-data", "reason": ...}``).
        ci_low, ci_high: 95 % interval, or ``None`` where the method gives none.
        planted: the scenario's parameter value, or ``None`` if the claim is not planted.
        claimed: the case's number, or ``None`` where the case gives none.
        unit: unit of estimate/planted/claimed (``"index points"``, ``"fraction"``, ``"days"``...).
        method: the estimator, in a few words (``"segmented ITS, HAC s.e."``).
        extra: optional free-form details; the scorecard reads ``verdict``/``reason`` of a no-data record.
    """

    claim: str
    quantity: str
    estimate: float | None
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
        if not isinstance(self.extra, dict):
            raise TypeError(f"record {self.claim}: extra must be a dict (got {type(self.extra).__name__})")
        if self.no_data:
            if not str(self.extra.get("reason") or "").strip():
                raise ValueError(f"record {self.claim}: a no-data record needs extra['reason']")
            if self.estimate is not None:
                raise ValueError(f"record {self.claim}: a no-data record has estimate None")
            return
        if self.estimate is None:
            raise ValueError(f"record {self.claim}: estimate must be a finite number")
        if (self.ci_low is None) != (self.ci_high is None):
            raise ValueError(f"record {self.claim}: give both ci_low and ci_high, or neither")
        if self.ci_low is not None and self.ci_low > self.ci_high:
            raise ValueError(f"record {self.claim}: ci_low {self.ci_low} > ci_high {self.ci_high}")

    @property
    def no_data(self) -> bool:
        """True for a "no data in this world" record (see :func:`no_data_record`)."""
        return isinstance(self.extra, dict) and self.extra.get("verdict") == NO_DATA

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
        "extra": {"verdict": NO_DATA, "reason": reason},
    }


def as_record(item: Record | dict) -> Record:
    """``item`` as a :class:`Record` (a dict, e.g. from :func:`no_data_record`, is validated)."""
    return item if isinstance(item, Record) else Record(**item)


def write_results(path: str | os.PathLike, records: Iterable[Record | dict]) -> Path:
    """Write records to ``path`` as a JSON list, atomically (temporary file, then rename).

    Returns the path written. Dicts (such as :func:`no_data_record` rows) are validated
    by building a :class:`Record` and written as they are.
    """
    recs = [as_record(r) for r in records]
    ids = [r.claim + "|" + r.quantity for r in recs]
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate (claim, quantity) in results")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump([r.to_dict() for r in recs], fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    os.replace(tmp, path)
    return path


def read_results(path: str | os.PathLike) -> list[Record]:
    """Read a ``results_path`` JSON file back into records (validating every one)."""
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a JSON list of records")
    return [Record(**d) for d in data]


def format_key_results(records: Iterable[Record | dict], digits: int = 3) -> str:
    """Plain-text, deterministic table of records for a ``nbval-check-output`` cell.

    Numbers are rounded to ``digits`` significant digits so that nbval compares
    what matters and the same seed always prints the same text.
    """

    def f(x: float | None) -> str:
        if x is None:
            return "-"
        return f"{x:.{digits}g}"

    lines = [f"{'claim':<6} {'quantity':<48} {'estimate':>10} {'95% interval':>22} {'planted':>9} {'claimed':>9}  unit"]
    for r in map(as_record, records):
        if r.no_data:
            lines.append(f"{r.claim:<6} {r.quantity[:48]:<48} {'no data in this world':>43}  {r.unit}")
            continue
        ci = "-" if r.ci_low is None else f"[{f(r.ci_low)}, {f(r.ci_high)}]"
        lines.append(
            f"{r.claim:<6} {r.quantity[:48]:<48} {f(r.estimate):>10} {ci:>22} {f(r.planted):>9} {f(r.claimed):>9}  {r.unit}"
        )
    return "\n".join(lines)
