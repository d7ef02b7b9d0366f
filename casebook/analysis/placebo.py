"""Placebo-calibrated intervals for one treated unit: critical values from untreated units at fake dates.

Why
---
A model-based interval for one treated series (an interrupted time series with AR(1)
errors, a difference-in-differences of one gap) is only as good as its error model. With
36 quarters the AR coefficient and the variance are estimated with large error, and the
survey's own sampling noise added to persistent shocks is not AR(1): the model's intervals
then cover too rarely (``benchmarks/sweep_03.py`` measured 0.80-0.90 for a nominal 0.95).

The competitor brands were never treated. Fitting *the same estimator* to each of them at
every admissible fake date (the same break spacing, the same window length) gives many
draws of the estimator's error under no effect, with the industry's shocks, the brands' own
persistence and the survey noise all in them. Dividing each fake estimate by its own
model standard error gives placebo *t*-statistics; their quantiles replace the model's
*t* critical values:

    interval = [estimate - q_hi x se, estimate - q_lo x se]

This is the studentised form of Conley & Taber (2011), who take the distribution of a
single treated unit's error from the control units, combined with the in-time placebos of
Abadie (2021). Studentising makes draws from brands with noisier or quieter indices
comparable with the treated one. Draws from one brand at neighbouring dates overlap, so
they are not independent; the quantiles are still consistent, only noisier than their
count suggests. Written here because no maintained library (``pysyncon``, ``scpi-pkg``,
``linearmodels``) calibrates an arbitrary one-unit estimator this way; each piece is a
loop over a handful of units and dates that calls the chapter's own estimators.

References: Conley, T. G. & Taber, C. R. (2011), *Review of Economics and Statistics*
93(1); Abadie, A. (2021), *Journal of Economic Literature* 59(2); Firpo, S. & Possebom,
V. (2018), *Journal of Causal Inference* 6(2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import causal, intervals

__all__ = [
    "PlaceboCalibration",
    "gap_placebos",
    "its_placebos",
    "leave_one_out_gaps",
    "synthetic_control_placebo_t",
]

#: fewest pre-period points a fake date keeps before it
MIN_PRE = 8


@dataclass
class PlaceboCalibration:
    """Placebo *t*-statistics of one estimator, fitted to untreated units at fake dates.

    Attributes:
        draws: one row per (unit, fake start, break name): ``unit``, ``start`` (position
            of the fake first break), ``name``, ``estimate``, ``se`` and ``t`` (= estimate / se).
    """

    draws: pd.DataFrame

    def t_quantiles(self, name: str = "switch", level: float = 0.95) -> tuple[float, float]:
        """The ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles of the placebo *t* of break ``name``."""
        t = self.draws.loc[self.draws["name"] == name, "t"].to_numpy()
        if t.size < 20:
            raise ValueError(f"placebos: {t.size} draws for {name!r}; need at least 20 for a 95 % interval")
        a = (1 - level) / 2
        lo, hi = np.quantile(t, [a, 1 - a])
        return float(lo), float(hi)

    def interval(
        self,
        estimate: float,
        se: float,
        name: str = "switch",
        level: float = 0.95,
        method: str = "",
        model: intervals.Interval | None = None,
    ) -> intervals.Interval:
        """``[estimate - q_hi se, estimate - q_lo se]`` with ``q`` the placebo *t* quantiles of ``name``.

        With ``model`` (the estimator's own model-based interval) the result is never narrower
        than it on either side. The placebo quantiles come from a hundred or so overlapping
        fits; when they fall inside the model's critical values that is their own noise, not
        evidence that the model (which the sweep shows covers too rarely) is too cautious.
        """
        q_lo, q_hi = self.t_quantiles(name, level)
        n_units = self.draws["unit"].nunique()
        n = int((self.draws["name"] == name).sum())
        how = f"critical values from {n} placebo t-statistics ({n_units} untreated units x fake dates)"
        low, high = float(estimate - q_hi * se), float(estimate - q_lo * se)
        if model is not None:
            low, high = min(low, float(model.low)), max(high, float(model.high))
            how += ", never inside the model's own interval"
        return intervals.Interval(float(estimate), low, high, f"{method}; {how}" if method else how)


def _rows(unit: str, start: int, table: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {"unit": unit, "start": start, "name": r.name_, "estimate": r.estimate, "se": r.se, "t": r.estimate / r.se}
        for r in table.rename(columns={"name": "name_"}).itertuples()
    ]


def its_placebos(panel: pd.DataFrame, breaks: dict[str, int], errors: str = "ar1") -> PlaceboCalibration:
    """The multi-break ITS fitted to every untreated column of ``panel`` at every shift of ``breaks``.

    ``breaks`` are the treated unit's break positions; each fake set keeps their spacing and
    moves the first break over every position with at least :data:`MIN_PRE` points before it
    and 2 after the last (the ITS's own requirement).

    Args:
        panel: periods x untreated units (e.g. competitor brands' quarterly indices).
        breaks: name -> position of the treated unit's breaks, in time order.
        errors: the ITS error model (``"ar1"`` or ``"hac"``), as for the treated unit.
    """
    pos = np.array(list(breaks.values()))
    n = len(panel)
    span = int(pos[-1] - pos[0])
    starts = range(MIN_PRE, n - 2 - span + 1)
    if panel.shape[1] < 2 or len(starts) < 2:
        raise ValueError(f"panel: need >= 2 untreated units and room for >= 2 fake dates ({n} periods, span {span})")
    rows: list[dict[str, Any]] = []
    for unit in panel.columns:
        y = panel[unit].reset_index(drop=True)
        for s in starts:
            fake = {k: int(s + p - pos[0]) for k, p in breaks.items()}
            rows += _rows(str(unit), s, causal.multi_break_its(y, fake, errors=errors).table)
    return PlaceboCalibration(pd.DataFrame(rows))


def _shift_t(g: np.ndarray, s: int, length: int) -> tuple[float, float]:
    """Level shift of ``g`` at ``s`` over a window of ``length`` points, AR(1) errors: (estimate, se)."""
    r = causal.multi_break_its(g[: s + length], {"switch": s}, errors="ar1", trend=False).table.iloc[0]
    return float(r["estimate"]), float(r["se"])


def gap_placebos(gaps: pd.DataFrame, length: int, stride: int = 1) -> PlaceboCalibration:
    """A level shift with AR(1) errors fitted to every placebo gap at every fake date.

    Each column of ``gaps`` is an untreated unit's gap (e.g. one competitor brand minus the
    mean of the others). The fake switch moves over every ``stride``-th position with at
    least :data:`MIN_PRE` points before it and a full window of ``length`` points after it,
    and the fit uses the points up to the window's end, as the treated gap's fit does.
    """
    n = len(gaps)
    if length < 1 or MIN_PRE + length > n:
        raise ValueError(f"length: must be between 1 and {n - MIN_PRE} (got {length})")
    rows: list[dict[str, Any]] = []
    for unit in gaps.columns:
        g = gaps[unit].to_numpy(np.float64)
        for s in range(MIN_PRE, n - length + 1, max(int(stride), 1)):
            est, se = _shift_t(g, s, length)
            rows.append({"unit": str(unit), "start": s, "name": "switch", "estimate": est, "se": se, "t": est / se})
    return PlaceboCalibration(pd.DataFrame(rows))


def leave_one_out_gaps(panel: pd.DataFrame) -> pd.DataFrame:
    """Each column minus the mean of the other columns: the placebo gaps of a difference-in-differences."""
    total = panel.sum(axis=1)
    k = panel.shape[1]
    return pd.DataFrame({c: panel[c] - (total - panel[c]) / (k - 1) for c in panel.columns}, index=panel.index)


def synthetic_control_placebo_t(panel: pd.DataFrame, length: int, stride: int = 1) -> PlaceboCalibration:
    """In-space and in-time placebos of the synthetic control's mean post gap.

    Every untreated column of ``panel`` in turn plays the treated unit, with the other
    columns as donors; at every fake start the donor weights are fitted to the points
    before it, and the gap's level shift over the next ``length`` points is estimated
    with AR(1) errors, exactly as for the treated unit.
    """
    n = len(panel)
    if panel.shape[1] < 3:
        raise ValueError("panel: need at least 3 untreated units (one placebo-treated, two donors)")
    if length < 1 or MIN_PRE + length > n:
        raise ValueError(f"length: must be between 1 and {n - MIN_PRE} (got {length})")
    rows: list[dict[str, Any]] = []
    idx = np.arange(n)
    for unit in panel.columns:
        donors = [c for c in panel.columns if c != unit]
        for s in range(MIN_PRE, n - length + 1, max(int(stride), 1)):
            sc = causal.synthetic_control(panel, unit, idx < s, (idx >= s) & (idx < s + length), donors=donors)
            est, se = _shift_t(sc.gap.to_numpy(), s, length)
            rows.append({"unit": str(unit), "start": s, "name": "switch", "estimate": est, "se": se, "t": est / se})
    return PlaceboCalibration(pd.DataFrame(rows))
