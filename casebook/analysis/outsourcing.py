"""Chapter 03's estimators of the satisfaction effect, as functions of a world's raw tables.

The chapter shows each design step by step; the same steps are packaged here so that
the chapter's closing comparison (``story()``), its forest plot and the seed sweep in
the tests call one implementation instead of re-typing it.

- :func:`regimes` dates the switch, the crisis and the recovery from the ticket records
  (first vendor ticket; months when the vendor's median wait jumps, then falls back).
- :func:`brand_panel` builds each brand's satisfaction index per month or quarter.
- :func:`satisfaction_effects` runs every design on one world: interrupted time series
  with three breaks (switch, crisis, recovery; AR(1) errors), difference-in-differences
  against competitor brands, the event study's post-window mean, a synthetic control,
  the segment comparison scaled to the firm, and (if a twin world without the vendor is
  given) the twin comparison.

Every comparison of the switch stops at the crisis: the crisis and the recovery are later
treatments of the same firm, and a window that ran through them would mix them in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import causal, intervals

__all__ = ["Regimes", "brand_panel", "its_breaks", "regimes", "satisfaction_effects", "twin_effect"]


@dataclass
class Regimes:
    """Dates of the support regimes, read from the ticket records.

    Attributes:
        switch: first vendor-handled ticket.
        crisis_start, crisis_end: first month of the crisis and first month after it (``None`` if the
            vendor's wait never jumps).
        outsourced: segments still served by the vendor in the last year of records.
        wait_ratio: vendor median wait per month relative to its first six months.
    """

    switch: pd.Timestamp
    crisis_start: pd.Period | None
    crisis_end: pd.Period | None
    outsourced: list[str]
    wait_ratio: pd.Series = field(repr=False)

    @property
    def switch_month(self) -> pd.Period:
        """Month of the switch."""
        return self.switch.to_period("M")

    @property
    def switch_quarter(self) -> pd.Period:
        """First whole quarter under the vendor."""
        q = self.switch.to_period("Q")
        return q if self.switch == q.start_time else q + 1

    @property
    def window_end(self) -> pd.Period | None:
        """Last month of the switch's comparison window (the month before the crisis)."""
        return None if self.crisis_start is None else self.crisis_start - 1


def regimes(tickets: pd.DataFrame, jump: float = 1.4) -> Regimes:
    """Switch, crisis and recovery dates from tickets (``opened_date``, ``handler``, ``wait_minutes``, ``segment``).

    The crisis is the first run of months in which the vendor's median wait is more than
    ``jump`` times its median in the vendor's first six months; the recovery starts the
    month after that run.
    """
    for col in ("opened_date", "handler", "wait_minutes", "segment"):
        if col not in tickets.columns:
            raise ValueError(f"tickets: column {col!r} is missing")
    vt = tickets[tickets["handler"] == "vendor"]
    if vt.empty:
        raise ValueError("tickets: no vendor-handled ticket, so there is no switch to date")
    switch = vt["opened_date"].min()
    last = tickets["opened_date"].max()
    outsourced = sorted(vt.loc[vt["opened_date"] > last - pd.DateOffset(years=1), "segment"].unique())
    med = vt.groupby(vt["opened_date"].dt.to_period("M"), sort=True)["wait_minutes"].median()
    ratio = med / med.iloc[:6].median()
    hot = ratio.index[ratio.to_numpy() > jump]
    start = end = None
    if len(hot):
        start = hot[0]
        run = [p for p in ratio.index if p >= start]
        end_pos = next((i for i, p in enumerate(run) if ratio[p] <= jump), None)
        end = run[end_pos] if end_pos is not None else None
        if end is None:
            start = None
    return Regimes(switch=switch, crisis_start=start, crisis_end=end, outsourced=outsourced, wait_ratio=ratio)


def brand_panel(surveys: pd.DataFrame, freq: str = "M") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each brand's index (mean score) and its sampling error per period: two wide frames (periods x brands)."""
    g = surveys.groupby([surveys["interview_date"].dt.to_period(freq), "brand"], sort=True)["score"].agg(
        ["mean", "sem"]
    )
    return g["mean"].unstack("brand"), g["sem"].unstack("brand")


def twin_effect(surveys: pd.DataFrame, twin_surveys: pd.DataFrame, start: Any, end: Any) -> intervals.Interval:
    """Firm's mean score in this world minus the twin world's, over interviews in [start, end] (months), Welch interval."""
    out = []
    for sv in (surveys, twin_surveys):
        m = sv["interview_date"].dt.to_period("M")
        out.append(sv.loc[(sv["brand"] == "Dell") & (m >= start) & (m <= end), "score"].to_numpy(float))
    a, b = out
    se = float(np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size))
    return intervals.normal(a.mean() - b.mean(), se, method="twin world (same seed, no vendor): difference of means")


def _first_quarter(month: pd.Period) -> pd.Period:
    """First whole quarter from ``month`` on."""
    q = month.asfreq("Q")
    return q if q.asfreq("M", "start") == month else q + 1


def its_breaks(reg: Regimes, quarters: pd.PeriodIndex) -> dict[str, pd.Period]:
    """Quarterly break dates of the ITS: the switch, and the crisis and recovery if both fall inside the series."""
    out = {"switch": reg.switch_quarter}
    if reg.crisis_start is not None and reg.crisis_end is not None:
        c, r = _first_quarter(reg.crisis_start), _first_quarter(reg.crisis_end)
        if out["switch"] < c < r <= quarters[-2]:
            out |= {"crisis": c, "recovery": r}
    return out


def _did(gap: pd.Series, start: Any, end: Any, label: str) -> intervals.Interval:
    """Shift of a gap at ``start`` over the window up to ``end``: level shift with AR(1) errors (Prais-Winsten).

    The gap carries the firm's own persistent deviations, which a short post window cannot
    average out; HAC errors estimated from four post-switch quarters miss them, the AR(1)
    model estimates their persistence from the whole series (the sweep in ``benchmarks/sweep_03.py``
    measures the difference).
    """
    g = gap[gap.index <= end] if end is not None else gap
    iv = causal.multi_break_its(g, {"switch": start}, errors="ar1", trend=False).interval("switch")
    return intervals.Interval(iv.estimate, iv.low, iv.high, f"{label}, AR(1) errors")


def satisfaction_effects(
    surveys: pd.DataFrame, reg: Regimes, twin_surveys: pd.DataFrame | None = None
) -> dict[str, Any]:
    """Every design's estimate of the switch's effect on the firm's index, from one world's surveys.

    Returns a dict with ``effects`` (design -> :class:`intervals.Interval`, index points,
    firm-wide), and the fitted objects: ``its`` (:class:`causal.MultiBreakIts`), ``sc``
    (:class:`causal.SyntheticControl`), ``sc_placebos``, ``did`` / ``event`` inputs.
    """
    out: dict[str, Any] = {}
    m_idx, _ = brand_panel(surveys, "M")
    q_idx, q_se = brand_panel(surveys, "Q")
    competitors = [b for b in m_idx.columns if b != "Dell"]
    sm, sq = reg.switch_month, reg.switch_quarter
    end_m = reg.window_end
    end_q = None if end_m is None else end_m.asfreq("Q") - (0 if end_m == end_m.asfreq("Q").asfreq("M", "end") else 1)
    # 1. ITS with breaks at the switch, the crisis and the recovery (quarterly, AR(1) errors)
    its = causal.multi_break_its(q_idx["Dell"], its_breaks(reg, q_idx.index), errors="ar1")
    out["its"] = its
    effects = {"ITS (one series, AR(1) errors)": its.interval("switch")}
    # 2. DiD vs competitor brands, monthly gap, window up to the crisis
    gap_m = m_idx["Dell"] - m_idx[competitors].mean(axis=1)
    effects["DiD vs competitor brands"] = _did(gap_m, sm, end_m, "DiD of the monthly firm-minus-competitors gap")
    # 3. event study: quarterly gap, mean of the lags in the window minus the leads' mean
    gap_q = q_idx["Dell"] - q_idx[competitors].mean(axis=1)
    effects["event study (quarterly lags)"] = _did(gap_q, sq, end_q, "mean of event-study lags in the window")
    out["gap_q"], out["gap_q_se"] = (
        gap_q,
        np.sqrt(q_se["Dell"] ** 2 + (q_se[competitors] ** 2).sum(axis=1) / len(competitors) ** 2),
    )
    # 4. synthetic control from the competitor brands (quarterly), placebos in space
    pre = np.asarray(q_idx.index < sq)
    post = np.asarray((q_idx.index >= sq) & ((q_idx.index <= end_q) if end_q is not None else True))
    sc = causal.synthetic_control(q_idx, "Dell", pre, post)
    out["sc"] = sc
    out["sc_placebos"] = causal.synthetic_control_placebos(q_idx, "Dell", pre, post)
    iv = _did(sc.gap, sq, end_q, "synthetic control (demeaned), mean post gap")
    # the weights were fitted to the pre-period gap, which makes it look quieter than it is:
    # widen by the degrees of freedom they used (donors with weight, less one for the sum)
    k = int((sc.weights > 1e-6).sum()) - 1
    n_pre = int(pre.sum())
    f = float(np.sqrt(n_pre / max(n_pre - k, 1)))
    effects["synthetic control"] = intervals.Interval(
        iv.estimate,
        iv.estimate - f * (iv.estimate - iv.low),
        iv.estimate + f * (iv.high - iv.estimate),
        iv.method + f", widened x{f:.2f} for the {k} fitted weight(s)",
    )
    # 5. outsourced vs in-house segments of the firm, scaled to the firm
    firm = surveys[surveys["brand"] == "Dell"]
    grp = np.where(firm["segment"].isin(reg.outsourced), "outsourced", "in_house")
    sg = firm.groupby([firm["interview_date"].dt.to_period("Q"), grp], sort=True)["score"].mean().unstack()
    seg_gap = sg["outsourced"] - sg["in_house"]
    w_out = float((grp == "outsourced").mean())
    seg = _did(seg_gap, sq, end_q, "outsourced-minus-in-house segment gap")
    out["segment_gap"], out["w_out"], out["segment_effect"] = seg_gap, w_out, seg
    effects["segment comparison (x share outsourced)"] = seg.scaled(w_out) if w_out > 0 else seg
    # 6. twin world
    if twin_surveys is not None:
        last = end_m if end_m is not None else m_idx.index[-1]
        effects["twin world (no vendor)"] = twin_effect(surveys, twin_surveys, sm, last)
    out["effects"] = effects
    out["window"] = (sm, end_m)
    return out
