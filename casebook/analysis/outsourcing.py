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
    vt = tickets.loc[tickets["handler"] == "vendor", ["opened_date", "wait_minutes", "segment"]]
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


def _shift(gap: pd.Series, start: Any, end: Any) -> tuple[pd.Series, int, int]:
    """The gap up to ``end``, the position of ``start`` in it and the window's length (points from ``start`` on)."""
    g = gap[gap.index <= end] if end is not None else gap
    pos = int(g.index.get_loc(start))
    return g, pos, len(g) - pos


def _did(gap: pd.Series, start: Any, end: Any, label: str) -> tuple[intervals.Interval, float]:
    """Shift of a gap at ``start`` over the window up to ``end``: level shift with AR(1) errors (Prais-Winsten).

    The gap carries the firm's own persistent deviations, which a short post window cannot
    average out; HAC errors estimated from four post-switch quarters miss them, the AR(1)
    model estimates their persistence from the whole series. Returns the model's interval
    and its standard error (for the placebo calibration).
    """
    g, _, _ = _shift(gap, start, end)
    fit = causal.multi_break_its(g, {"switch": start}, errors="ar1", trend=False)
    iv = fit.interval("switch")
    return intervals.Interval(iv.estimate, iv.low, iv.high, f"{label}, AR(1) errors"), float(fit.table["se"].iloc[0])


def satisfaction_effects(
    surveys: pd.DataFrame, reg: Regimes, twin_surveys: pd.DataFrame | None = None
) -> dict[str, Any]:
    """Every design's estimate of the switch's effect on the firm's index, from one world's surveys.

    The time-series designs (ITS, DiD, event study, synthetic control) rest on one treated
    series, so their reported intervals take their critical values from placebo
    *t*-statistics of the same estimator fitted to the competitor brands at fake dates
    (:mod:`casebook.analysis.placebo`); the model's own AR(1) intervals are kept beside them
    in ``model_effects``.

    Returns a dict with ``effects`` (design -> :class:`intervals.Interval`, index points,
    firm-wide, placebo-calibrated where a placebo exists), ``model_effects`` (the AR(1) model's
    intervals), ``its_breaks`` (break -> calibrated interval: switch, crisis, recovery), and the
    fitted objects: ``its`` (:class:`causal.MultiBreakIts`), ``sc``
    (:class:`causal.SyntheticControl`), ``sc_placebos``, ``placebos`` (design ->
    :class:`placebo.PlaceboCalibration`), ``gap_q`` / ``gap_q_se`` for the event study.
    """
    from . import placebo

    out: dict[str, Any] = {}
    m_idx, _ = brand_panel(surveys, "M")
    q_idx, q_se = brand_panel(surveys, "Q")
    competitors = [b for b in m_idx.columns if b != "Dell"]
    sm, sq = reg.switch_month, reg.switch_quarter
    end_m = reg.window_end
    end_q = None if end_m is None else end_m.asfreq("Q") - (0 if end_m == end_m.asfreq("Q").asfreq("M", "end") else 1)
    model: dict[str, intervals.Interval] = {}
    effects: dict[str, intervals.Interval] = {}
    cal: dict[str, placebo.PlaceboCalibration] = {}
    # 1. ITS with breaks at the switch, the crisis and the recovery (quarterly, AR(1) errors)
    breaks = its_breaks(reg, q_idx.index)
    its = causal.multi_break_its(q_idx["Dell"], breaks, errors="ar1")
    out["its"] = its
    cal["its"] = placebo.its_placebos(q_idx[competitors], {k: int(q_idx.index.get_loc(v)) for k, v in breaks.items()})
    tab = its.table.set_index("name")
    out["its_breaks"] = {
        k: cal["its"].interval(
            float(tab.at[k, "estimate"]), float(tab.at[k, "se"]), k, method=its.method, model=its.interval(k)
        )
        for k in breaks
    }
    name = "ITS (one series, AR(1) errors)"
    model[name], effects[name] = its.interval("switch"), out["its_breaks"]["switch"]
    # 2. DiD vs competitor brands, monthly gap, window up to the crisis
    gap_m = m_idx["Dell"] - m_idx[competitors].mean(axis=1)
    name = "DiD vs competitor brands"
    model[name], se = _did(gap_m, sm, end_m, "DiD of the monthly firm-minus-competitors gap")
    _, _, length = _shift(gap_m, sm, end_m)
    cal["did"] = placebo.gap_placebos(placebo.leave_one_out_gaps(m_idx[competitors]), length, stride=2)
    effects[name] = cal["did"].interval(model[name].estimate, se, method=model[name].method, model=model[name])
    # 3. event study: quarterly gap, mean of the lags in the window minus the leads' mean
    gap_q = q_idx["Dell"] - q_idx[competitors].mean(axis=1)
    name = "event study (quarterly lags)"
    model[name], se = _did(gap_q, sq, end_q, "mean of event-study lags in the window")
    _, pos_q, length_q = _shift(gap_q, sq, end_q)
    cal["event"] = placebo.gap_placebos(placebo.leave_one_out_gaps(q_idx[competitors]), length_q)
    effects[name] = cal["event"].interval(model[name].estimate, se, method=model[name].method, model=model[name])
    out["gap_q"], out["gap_q_se"] = (
        gap_q,
        np.sqrt(q_se["Dell"] ** 2 + (q_se[competitors] ** 2).sum(axis=1) / len(competitors) ** 2),
    )
    # 4. synthetic control from the competitor brands (quarterly), placebos in space (and in time)
    pre = np.asarray(q_idx.index < sq)
    post = np.asarray((q_idx.index >= sq) & ((q_idx.index <= end_q) if end_q is not None else True))
    sc = causal.synthetic_control(q_idx, "Dell", pre, post)
    out["sc"] = sc
    out["sc_placebos"] = causal.synthetic_control_placebos(q_idx, "Dell", pre, post)
    name = "synthetic control"
    model[name], se = _did(sc.gap, sq, end_q, "synthetic control (demeaned), mean post gap")
    cal["sc"] = placebo.synthetic_control_placebo_t(q_idx[competitors], length_q)
    effects[name] = cal["sc"].interval(model[name].estimate, se, method=model[name].method, model=model[name])
    # 5. outsourced vs in-house segments of the firm, scaled to the firm; placebos: the same segment
    #    gap in each competitor brand's respondents (never outsourced), at fake dates
    grp = np.where(surveys["segment"].isin(reg.outsourced), "outsourced", "in_house")
    sg = (
        surveys.groupby(["brand", surveys["interview_date"].dt.to_period("Q"), grp], sort=True)["score"]
        .mean()
        .unstack()
    )
    seg_gaps = (sg["outsourced"] - sg["in_house"]).unstack("brand")
    seg_gap = seg_gaps["Dell"].rename(None)
    firm = surveys["brand"].to_numpy() == "Dell"
    w_out = float((grp[firm] == "outsourced").mean())
    seg_model, se = _did(seg_gap, sq, end_q, "outsourced-minus-in-house segment gap")
    cal["segment"] = placebo.gap_placebos(seg_gaps[competitors], length_q)
    seg = cal["segment"].interval(seg_model.estimate, se, method=seg_model.method, model=seg_model)
    out["segment_gap"], out["w_out"], out["segment_effect"] = seg_gap, w_out, seg
    name = "segment comparison (x share outsourced)"
    model[name] = seg_model.scaled(w_out) if w_out > 0 else seg_model
    effects[name] = seg.scaled(w_out) if w_out > 0 else seg
    # 6. twin world
    if twin_surveys is not None:
        last = end_m if end_m is not None else m_idx.index[-1]
        name = "twin world (no vendor)"
        effects[name] = model[name] = twin_effect(surveys, twin_surveys, sm, last)
    out["effects"], out["model_effects"], out["placebos"] = effects, model, cal
    out["window"] = (sm, end_m)
    return out
