"""Causal designs for one treated unit: what outsourcing support did (chapter 03).

What is here
------------
- :func:`period_index` turns survey responses into an index per period (mean score,
  its sampling error and the number of responses).
- :func:`its_design` and :func:`segmented_its`: the segmented interrupted time
  series ``y ~ t + post + t_post`` fitted by OLS with Newey-West (HAC) standard
  errors (Lopez Bernal, Cummins & Gasparrini 2017); the level change, slope change
  and the relative change at the break (delta method).
- :func:`placebo_its`: the same regression at fake dates inside the pre-period,
  where nothing happened (a placebo date should find nothing).
- :func:`mean_shift` and :func:`gap_did`: the 2x2 difference-in-differences of a
  treated-minus-control gap, with an interval from the gap's own variation over
  time (HAC), never from clustering on one treated unit.
- :func:`placebo_date_test`: permutation inference over the date of the switch.
  With one treated unit the series' own placebo dates give the null distribution.
- :func:`placebo_in_space`: difference-in-differences of the treated unit and of
  every control unit in turn (Abadie, Diamond & Hainmueller 2010); the treated
  unit's rank is a permutation p-value (its smallest value is ``1 / n_units``).
- :func:`event_study`: leads and lags of a treated-minus-control gap around the
  switch, each relative to the pre-period mean, with intervals from the
  periods' sampling errors.
- :func:`rate_change`: relative change of an event rate (complaints per ticket)
  from a Poisson / quasi-Poisson GLM with an exposure offset.
- :func:`weighted_share`: a share (e.g. a market share of units) with its 95 % interval
  (a plain proportion: :func:`casebook.analysis.intervals.wilson`).
- :func:`simulate_its`, :func:`simulate_counts` and :func:`simulate_panel`: data
  with a planted effect (or none), for teaching and for the tests.

Why permutation inference with one treated unit
-----------------------------------------------
Clustered standard errors need many treated clusters: with a single treated unit
its own idiosyncratic shocks never average out, and cluster-robust errors are far
too small (Conley & Taber 2011). The placebo distributions here (other dates,
other units) estimate how large an "effect" arises where there is none.

References
----------
- Lopez Bernal, J., Cummins, S. & Gasparrini, A. (2017). Interrupted time series
  regression for the evaluation of public health interventions: a tutorial.
  *International Journal of Epidemiology* 46(1), 348-355.
- Newey, W. K. & West, K. D. (1987, 1994). HAC covariance; automatic lag selection.
- Conley, T. G. & Taber, C. R. (2011). Inference with "difference in differences"
  with a small number of policy changes. *Review of Economics and Statistics* 93(1).
- Abadie, A., Diamond, A. & Hainmueller, J. (2010). Synthetic control methods.
  *JASA* 105(490); Abadie, A. (2021), *Journal of Economic Literature* 59(2).
- Zeger, S. L. (1988); Wooldridge, J. M. (1999): quasi-Poisson / Poisson QMLE for rates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from . import intervals

__all__ = [
    "DEFAULT_HAC_LAGS",
    "MultiBreakIts",
    "SyntheticControl",
    "count_growth",
    "multi_break_its",
    "residual_acf",
    "synthetic_control",
    "synthetic_control_placebos",
    "DidResult",
    "ItsResult",
    "PlaceboDateTest",
    "RateChange",
    "event_study",
    "gap_did",
    "its_design",
    "mean_shift",
    "newey_west_lags",
    "period_index",
    "placebo_date_test",
    "placebo_in_space",
    "placebo_its",
    "rate_change",
    "segmented_its",
    "simulate_counts",
    "simulate_its",
    "simulate_panel",
    "weighted_share",
]

#: Default HAC lag window of the textbook monthly regressions (months). The chapter passes
#: the Newey-West rule's window (:func:`newey_west_lags`) explicitly; with persistent errors
#: no short window is enough, which is why its reported intervals use AR(1) errors with
#: placebo-calibrated critical values (:mod:`casebook.analysis.placebo`).
DEFAULT_HAC_LAGS = 2


# --------------------------------------------------------------------------- helpers
def _as_series(name: str, y: Any) -> pd.Series:
    """``y`` as a float Series (its index kept, or 0..n-1); finite values only."""
    if isinstance(y, pd.Series):
        s = y.astype(np.float64)
    else:
        arr = np.asarray(y, dtype=np.float64)
        if arr.ndim != 1:
            raise ValueError(f"{name}: must be one-dimensional (got shape {arr.shape})")
        s = pd.Series(arr)
    if not np.all(np.isfinite(s.to_numpy())):
        raise ValueError(f"{name}: has NaN or infinite values")
    return s


def _position(y: pd.Series, break_at: Any, name: str = "break_at") -> int:
    """Position of the first post-period value: an int position, or a label of ``y.index``."""
    if (
        isinstance(break_at, (int, np.integer))
        and not isinstance(break_at, bool)
        and not (y.index.dtype.kind in "iu" and not isinstance(y.index, pd.RangeIndex))
    ):
        pos = int(break_at)
    else:
        try:
            pos = int(y.index.get_loc(break_at))
        except KeyError:
            raise ValueError(f"{name}: {break_at!r} is not in the series' index") from None
    if not 0 <= pos <= len(y):
        raise ValueError(f"{name}: position {pos} is outside the series (length {len(y)})")
    return pos


def _check_level(level: float) -> float:
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
        raise ValueError(f"level: must be between 0 and 1 (got {level!r})")
    return float(level)


def newey_west_lags(n: int) -> int:
    """Newey & West's (1994) rule-of-thumb lag window, ``floor(4 (n / 100) ** (2 / 9))``."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n: must be a whole number >= 1 (got {n!r})")
    return int(math.floor(4 * (n / 100) ** (2 / 9)))


def period_index(df: pd.DataFrame, date_col: str, value_col: str = "score", freq: str = "M") -> pd.DataFrame:
    """Mean of ``value_col`` per calendar period, with its sampling error.

    Args:
        df: one row per response (e.g. the ``surveys`` table filtered to one brand).
        date_col: date column (datetime64).
        value_col: the score column.
        freq: pandas period frequency, ``"M"`` (months) or ``"Q"`` (quarters).

    Returns:
        DataFrame indexed by period (sorted) with ``index`` (mean score), ``se``
        (standard error of the mean: s / sqrt(n)) and ``n`` (responses).
    """
    for col in (date_col, value_col):
        if col not in df.columns:
            raise ValueError(f"column {col!r} not in the frame (columns: {', '.join(map(str, df.columns))})")
    period = pd.to_datetime(df[date_col]).dt.to_period(freq)
    g = df[value_col].astype(np.float64).groupby(period, sort=True)
    out = pd.DataFrame({"index": g.mean(), "se": g.std(ddof=1) / np.sqrt(g.size()), "n": g.size()})
    out.index.name = "period"
    return out


# --------------------------------------------------------------------------- segmented ITS
def its_design(n_periods: int, break_pos: int) -> pd.DataFrame:
    """Design columns of a segmented interrupted time series.

    ``t`` counts periods from 0; ``post`` is 1 from position ``break_pos`` on;
    ``t_post`` counts periods since the break (0 before it). In
    ``y = b0 + b1 t + b2 post + b3 t_post``, ``b2`` is the level change at the
    break and ``b3`` the change of slope.
    """
    if isinstance(n_periods, bool) or not isinstance(n_periods, (int, np.integer)) or n_periods < 4:
        raise ValueError(f"n_periods: must be a whole number >= 4 (got {n_periods!r})")
    if not 2 <= break_pos <= n_periods - 2:
        raise ValueError(f"break_pos: need at least 2 periods on each side (got {break_pos} of {n_periods})")
    t = np.arange(n_periods)
    post = (t >= break_pos).astype(np.int64)
    return pd.DataFrame({"t": t, "post": post, "t_post": np.where(post == 1, t - break_pos, 0)})


@dataclass
class ItsResult:
    """A fitted segmented interrupted time series.

    Attributes:
        level_change: immediate change of the level at the break (units of ``y``).
        level_ci: its interval (HAC standard error, t distribution).
        slope_change: change of the slope per period after the break.
        slope_ci: its interval.
        baseline: the pre-period trend extrapolated to the break (the counterfactual level there).
        relative_change: ``level_change / baseline`` (a fraction).
        relative_ci: its interval (delta method on the HAC covariance).
        pre_slope: slope per period before the break.
        break_pos: position of the first post-break period.
        maxlags: HAC lag window.
        data: the design with ``y``, ``fitted`` and ``counterfactual`` (the pre-period line carried on).
        fit: the statsmodels results object.
    """

    level_change: float
    level_ci: tuple[float, float]
    slope_change: float
    slope_ci: tuple[float, float]
    baseline: float
    relative_change: float
    relative_ci: tuple[float, float]
    pre_slope: float
    break_pos: int
    maxlags: int
    data: pd.DataFrame = field(repr=False)
    fit: Any = field(repr=False)

    @property
    def level_se(self) -> float:
        """HAC standard error of the level change."""
        return float(self.fit.bse["post"])


def segmented_its(y: Any, break_at: Any, maxlags: int = DEFAULT_HAC_LAGS, level: float = 0.95) -> ItsResult:
    """Segmented interrupted time series by OLS with Newey-West (HAC) standard errors.

    Fits ``y ~ t + post + t_post`` (see :func:`its_design`) with
    ``cov_type="HAC"`` and ``use_t=True``: exactly the statsmodels call the
    chapter shows, packaged so that placebo dates and a second scenario can reuse it.

    Args:
        y: the series (one value per period, in time order); a Series keeps its index.
        break_at: first post-switch period: a position (int) or a label of ``y.index``.
        maxlags: HAC lag window (periods), >= 0.
        level: coverage of the intervals.

    Returns:
        An :class:`ItsResult`.
    """
    import statsmodels.formula.api as smf

    s = _as_series("y", y)
    level = _check_level(level)
    if isinstance(maxlags, bool) or not isinstance(maxlags, (int, np.integer)) or maxlags < 0:
        raise ValueError(f"maxlags: must be a whole number >= 0 (got {maxlags!r})")
    pos = _position(s, break_at)
    if len(s) < 8:
        raise ValueError(f"y: need at least 8 periods for a segmented ITS (got {len(s)})")
    if not 3 <= pos <= len(s) - 3:
        raise ValueError(f"break_at: need at least 3 periods on each side of the break (position {pos} of {len(s)})")
    d = its_design(len(s), pos)
    d["y"] = s.to_numpy()
    fit = smf.ols("y ~ t + post + t_post", data=d).fit(cov_type="HAC", cov_kwds={"maxlags": int(maxlags)}, use_t=True)
    ci = fit.conf_int(alpha=1 - level)
    b = fit.params
    baseline = float(b["Intercept"] + b["t"] * pos)
    rel = float(b["post"] / baseline)
    # delta method: d(rel)/d(Intercept, t, post, t_post)
    g = np.array([-b["post"] / baseline**2, -b["post"] * pos / baseline**2, 1.0 / baseline, 0.0])
    cov = fit.cov_params().loc[["Intercept", "t", "post", "t_post"], ["Intercept", "t", "post", "t_post"]].to_numpy()
    rel_se = float(np.sqrt(g @ cov @ g))
    crit = float(stats.t.ppf(0.5 + level / 2, fit.df_resid))
    d["fitted"] = fit.fittedvalues
    d["counterfactual"] = b["Intercept"] + b["t"] * d["t"]
    d.index = s.index
    return ItsResult(
        level_change=float(b["post"]),
        level_ci=(float(ci.loc["post", 0]), float(ci.loc["post", 1])),
        slope_change=float(b["t_post"]),
        slope_ci=(float(ci.loc["t_post", 0]), float(ci.loc["t_post", 1])),
        baseline=baseline,
        relative_change=rel,
        relative_ci=(rel - crit * rel_se, rel + crit * rel_se),
        pre_slope=float(b["t"]),
        break_pos=pos,
        maxlags=int(maxlags),
        data=d,
        fit=fit,
    )


def placebo_its(
    y: Any, break_at: Any, min_side: int = 12, maxlags: int = DEFAULT_HAC_LAGS, level: float = 0.95
) -> pd.DataFrame:
    """Segmented ITS at every fake date inside the pre-period (where nothing happened).

    Only the periods before the real break are used, so the real switch cannot leak
    into a placebo. Each fake date leaves at least ``min_side`` periods on either side.

    Returns:
        DataFrame with ``position``, ``period`` (the label), ``level_change``,
        ``ci_low``, ``ci_high`` and ``covers_zero`` per fake date (may be empty if the
        pre-period is shorter than ``2 * min_side``).
    """
    s = _as_series("y", y)
    pos = _position(s, break_at)
    pre = s.iloc[:pos]
    rows = []
    for b in range(max(min_side, 3), len(pre) - max(min_side, 3) + 1):
        r = segmented_its(pre, b, maxlags=maxlags, level=level)
        rows.append(
            {
                "position": b,
                "period": pre.index[b],
                "level_change": r.level_change,
                "ci_low": r.level_ci[0],
                "ci_high": r.level_ci[1],
            }
        )
    out = pd.DataFrame(rows, columns=["position", "period", "level_change", "ci_low", "ci_high"])
    out["covers_zero"] = (out["ci_low"] <= 0) & (out["ci_high"] >= 0)
    return out


# --------------------------------------------------------------------------- permutation over dates
def mean_shift(y: Any, break_at: Any) -> float:
    """Mean after the break minus mean before it (the 2x2 DiD when ``y`` is a treated-minus-control gap)."""
    s = _as_series("y", y)
    pos = _position(s, break_at)
    if not 1 <= pos <= len(s) - 1:
        raise ValueError("break_at: need at least one period on each side")
    v = s.to_numpy()
    return float(v[pos:].mean() - v[:pos].mean())


@dataclass
class DidResult:
    """A 2x2 difference-in-differences on a treated-minus-control gap.

    Attributes:
        estimate: mean gap after the switch minus mean gap before it.
        ci: its interval (HAC standard error of the gap regression, t distribution).
        se: the HAC standard error.
        maxlags: HAC lag window.
        fit: the statsmodels results of ``gap ~ post``.
    """

    estimate: float
    ci: tuple[float, float]
    se: float
    maxlags: int
    fit: Any = field(repr=False)


def gap_did(gap: Any, break_at: Any, maxlags: int = DEFAULT_HAC_LAGS, level: float = 0.95) -> DidResult:
    """Difference-in-differences of one treated unit: OLS of its gap to the controls on a switch dummy.

    ``gap_t = a + d post_t + e_t``: ``d`` is the 2x2 DiD (:func:`mean_shift`). Its
    standard error comes from the gap's own variation over time (HAC, so a little
    memory in ``e_t`` is allowed), which contains the treated unit's idiosyncratic
    shocks: with one treated unit, errors clustered by unit cannot see them
    (Conley & Taber 2011).
    """
    import statsmodels.formula.api as smf

    s = _as_series("gap", gap)
    level = _check_level(level)
    if isinstance(maxlags, bool) or not isinstance(maxlags, (int, np.integer)) or maxlags < 0:
        raise ValueError(f"maxlags: must be a whole number >= 0 (got {maxlags!r})")
    pos = _position(s, break_at)
    if not 2 <= pos <= len(s) - 2:
        raise ValueError(f"break_at: need at least 2 periods on each side (position {pos} of {len(s)})")
    d = pd.DataFrame({"gap": s.to_numpy(), "post": (np.arange(len(s)) >= pos).astype(np.int64)})
    fit = smf.ols("gap ~ post", data=d).fit(cov_type="HAC", cov_kwds={"maxlags": int(maxlags)}, use_t=True)
    lo, hi = fit.conf_int(alpha=1 - level).loc["post"]
    return DidResult(
        estimate=float(fit.params["post"]),
        ci=(float(lo), float(hi)),
        se=float(fit.bse["post"]),
        maxlags=int(maxlags),
        fit=fit,
    )


def _shift_stats(v: np.ndarray, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean shift and Welch t statistic for a break at each position (vectorised with cumulative sums)."""
    n = v.size
    c1 = np.concatenate([[0.0], np.cumsum(v)])
    c2 = np.concatenate([[0.0], np.cumsum(v * v)])
    n0 = positions.astype(np.float64)
    n1 = n - n0
    s0, s1 = c1[positions], c1[-1] - c1[positions]
    q0, q1 = c2[positions], c2[-1] - c2[positions]
    m0, m1 = s0 / n0, s1 / n1
    v0 = np.maximum(q0 - n0 * m0**2, 0) / (n0 - 1)
    v1 = np.maximum(q1 - n1 * m1**2, 0) / (n1 - 1)
    diff = m1 - m0
    se = np.sqrt(v0 / n0 + v1 / n1)
    return diff, diff / np.where(se > 0, se, np.inf)


@dataclass
class PlaceboDateTest:
    """Permutation test of a break at the real date against breaks at every other admissible date.

    Attributes:
        estimate: mean shift at the real date.
        statistic: its Welch t statistic.
        p_value: share of admissible dates (the real one included) whose |t| is at least the real |t|.
        placebos: one row per admissible date: ``position``, ``period``, ``estimate``, ``statistic``, ``real``.
    """

    estimate: float
    statistic: float
    p_value: float
    placebos: pd.DataFrame = field(repr=False)


def _candidates(n: int, pos: int, min_side: int) -> np.ndarray:
    if isinstance(min_side, bool) or not isinstance(min_side, (int, np.integer)) or min_side < 2:
        raise ValueError(f"min_side: must be a whole number >= 2 (got {min_side!r})")
    cand = np.arange(min_side, n - min_side + 1)
    if cand.size < 2:
        raise ValueError(f"min_side: {min_side} leaves fewer than 2 admissible dates in {n} periods")
    if pos not in cand:
        raise ValueError(
            f"break_at: the real break (position {pos}) must leave at least min_side={min_side} periods on each side"
        )
    return cand


def placebo_date_test(y: Any, break_at: Any, min_side: int = 12, pre_only: bool = True) -> PlaceboDateTest:
    """Permutation inference over the date of the switch.

    If nothing happened, the real date is just one of the admissible dates: its
    |t| statistic should rank anywhere among theirs. The p-value is the share of
    admissible dates with ``|t| >= |t_real|``; with ``k`` dates the smallest possible
    p-value is ``1 / k``. The statistic is a Welch t of the mean shift, so dates near
    the ends (short segments) are not favoured.

    Args:
        y: the series (e.g. the firm's index minus the competitors' mean, per month).
        break_at: the real switch: a position or a label of ``y.index``.
        min_side: fewest periods on each side of any admissible date.
        pre_only: draw the fake dates from the pre-period only and test each on the
            pre-period alone (default), so that no placebo straddles the real switch.

    The test answers "is the real date special?"; it is not inverted into an
    interval: near the real date, neighbouring dates share almost all of its data
    and compete with it, so the inverted set can be unbounded. For the interval of
    a gap's shift use :func:`gap_did` (the gap's own month-to-month variation).
    """
    s = _as_series("y", y)
    pos = _position(s, break_at)
    v = s.to_numpy()
    if not pre_only:
        cand = _candidates(v.size, pos, min_side)
        diff, tstat = _shift_stats(v, cand)
    else:
        # fake dates inside the pre-period, each tested on the pre-period alone (no fake
        # window straddles the real switch); the real date is tested on the whole series
        # the real date is tested on the whole series: it needs min_side periods before it and a few
        # (3, for a variance) after it; a comparison window ended by a later event may be short
        if isinstance(min_side, bool) or not isinstance(min_side, (int, np.integer)) or min_side < 2:
            raise ValueError(f"min_side: must be a whole number >= 2 (got {min_side!r})")
        if pos < min_side or v.size - pos < 3:
            raise ValueError(
                f"break_at: the real break (position {pos} of {v.size}) needs min_side={min_side} periods "
                "before it and 3 after it"
            )
        fake = np.arange(min_side, pos - min_side + 1)
        d_f, t_f = _shift_stats(v[:pos], fake) if fake.size else (np.array([]), np.array([]))
        d_r, t_r = _shift_stats(v, np.array([pos]))
        cand = np.concatenate([fake, [pos]])
        diff, tstat = np.concatenate([d_f, d_r]), np.concatenate([t_f, t_r])
    real = cand == pos
    t_real = float(tstat[real][0])
    p = float(np.mean(np.abs(tstat) >= abs(t_real) - 1e-12))
    table = pd.DataFrame(
        {"position": cand, "period": s.index[cand], "estimate": diff, "statistic": tstat, "real": real}
    )
    return PlaceboDateTest(estimate=float(diff[real][0]), statistic=t_real, p_value=p, placebos=table)


# --------------------------------------------------------------------------- placebo in space, event study
def placebo_in_space(panel: pd.DataFrame, treated: str, post: Any) -> pd.DataFrame:
    """Difference-in-differences of the treated unit and, in turn, of every control unit.

    ``panel`` has one column per unit and one row per period. The treated unit is
    compared with the mean of all controls; each control ``j`` (a placebo) with the
    mean of the other controls (the treated unit left out). Under no effect the
    treated unit's DiD is one draw among them.

    Args:
        panel: wide frame, index = periods, columns = units (e.g. brands' index per quarter).
        treated: column of the treated unit.
        post: boolean mask over the rows (True after the switch).

    Returns:
        DataFrame indexed by unit with ``did`` and ``treated``, sorted by ``|did|``
        (largest first), plus ``rank`` (1 = largest) and the attribute
        ``attrs["p_value"]`` = rank of the treated unit / number of units.
    """
    if treated not in panel.columns:
        raise ValueError(f"treated: {treated!r} is not a column of the panel")
    controls = [c for c in panel.columns if c != treated]
    if len(controls) < 2:
        raise ValueError("panel: need at least 2 control units for placebos in space")
    m = np.asarray(post, dtype=bool)
    if m.shape != (len(panel),) or m.all() or not m.any():
        raise ValueError("post: must be a boolean mask over the panel's rows with both pre and post periods")
    vals = panel.astype(np.float64)
    if not np.all(np.isfinite(vals.to_numpy())):
        raise ValueError("panel: has NaN or infinite values")

    def did(unit: str, ctrl: list[str]) -> float:
        gap = vals[unit] - vals[ctrl].mean(axis=1)
        return float(gap[m].mean() - gap[~m].mean())

    rows = [{"unit": treated, "did": did(treated, controls), "treated": True}]
    for j in controls:
        rows.append({"unit": j, "did": did(j, [c for c in controls if c != j]), "treated": False})
    out = pd.DataFrame(rows).set_index("unit")
    out = out.reindex(out["did"].abs().sort_values(ascending=False, kind="stable").index)
    out["rank"] = np.arange(1, len(out) + 1)
    out.attrs["p_value"] = float(out.loc[treated, "rank"] / len(out))
    return out


def event_study(gap: Any, se: Any, event_time: Any, level: float = 0.95, extra_var: float | None = 0.0) -> pd.DataFrame:
    """Leads and lags of a treated-minus-control gap, each relative to the pre-period mean.

    The coefficient for event time ``k`` is ``gap_k - mean(gap_j, j < 0)``; with
    independent sampling errors ``se_k`` per period its variance is exact:
    ``sum_i c_i^2 se_i^2`` for the weights ``c`` of that contrast. Leads (k < 0) should
    hover around zero (no anticipation, parallel trends); lags show the effect.

    Args:
        gap: treated minus control per period.
        se: sampling standard error of each period's gap.
        event_time: periods relative to the switch (0 = first period after it).
        level: coverage of the intervals.
        extra_var: variance of the gap per period beyond sampling (the brands' own deviations,
            which no comparison removes), added to every period; ``None`` estimates it from the
            leads as ``max(0, var(gap_pre) - mean(se_pre^2))``.

    Returns:
        DataFrame with ``event_time``, ``estimate``, ``se``, ``ci_low``, ``ci_high``.
    """
    g = _as_series("gap", gap).to_numpy()
    s = _as_series("se", se).to_numpy()
    k = np.asarray(event_time)
    level = _check_level(level)
    if not (g.size == s.size == k.size):
        raise ValueError("gap, se and event_time must have the same length")
    pre = k < 0
    if pre.sum() < 1 or (~pre).sum() < 1:
        raise ValueError("event_time: need periods both before (< 0) and after (>= 0) the switch")
    n_pre = pre.sum()
    if extra_var is None:
        extra_var = max(0.0, float(np.var(g[pre], ddof=1)) - float(np.mean(s[pre] ** 2))) if n_pre > 1 else 0.0
    if not (np.isfinite(extra_var) and extra_var >= 0):
        raise ValueError(f"extra_var: must be a finite number >= 0 (got {extra_var!r})")
    s = np.sqrt(s**2 + extra_var)
    est = g - g[pre].mean()
    # Var(g_k - mean_pre) = se_k^2 (1 - 2/n_pre [k pre]) + sum_pre se^2 / n_pre^2
    var_mean = np.sum(s[pre] ** 2) / n_pre**2
    var = s**2 + var_mean - np.where(pre, 2 * s**2 / n_pre, 0.0)
    z = float(stats.norm.ppf(0.5 + level / 2))
    sd = np.sqrt(np.maximum(var, 0))
    return pd.DataFrame({"event_time": k, "estimate": est, "se": sd, "ci_low": est - z * sd, "ci_high": est + z * sd})


# --------------------------------------------------------------------------- count model
@dataclass
class RateChange:
    """Relative change of an event rate after a switch.

    Attributes:
        relative_change: rate after / rate before - 1.
        ci: its interval.
        rate_before, rate_after: events per unit of exposure.
        dispersion: Pearson chi2 / residual df (1 for Poisson counts; > 1 means overdispersion).
        model: ``"quasipoisson"`` or ``"poisson"``.
        fit: the statsmodels GLM results.
    """

    relative_change: float
    ci: tuple[float, float]
    rate_before: float
    rate_after: float
    dispersion: float
    model: str
    fit: Any = field(repr=False)


def rate_change(
    counts: Any, exposure: Any, post: Any, model: str = "quasipoisson", trend: bool = False, level: float = 0.95
) -> RateChange:
    """Poisson GLM of counts with ``log(exposure)`` offset and a switch indicator.

    ``log E[count] = log(exposure) + b0 + b1 post (+ b2 t)``, so ``exp(b1) - 1`` is
    the relative change of the rate per unit of exposure (e.g. complaints per
    ticket). ``model="quasipoisson"`` scales the standard errors by the Pearson
    dispersion floored at 1 (robust to overdispersion, never narrower than Poisson);
    ``"poisson"`` assumes the Poisson variance.

    Args:
        counts: events per period (whole numbers >= 0).
        exposure: exposure per period (> 0), e.g. tickets opened.
        post: 0/1 or boolean per period.
        model: ``"quasipoisson"`` (default) or ``"poisson"``.
        trend: also fit a linear time trend ``t`` (then b1 is the level change at the switch).
        level: coverage of the interval.
    """
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    if model not in ("quasipoisson", "poisson"):
        raise ValueError(f"model: must be 'quasipoisson' or 'poisson' (got {model!r})")
    level = _check_level(level)
    k = _as_series("counts", counts).to_numpy()
    e = _as_series("exposure", exposure).to_numpy()
    p = np.asarray(post).astype(np.float64)
    if not (k.size == e.size == p.size):
        raise ValueError("counts, exposure and post must have the same length")
    if np.any(k < 0) or np.any(k != np.round(k)):
        raise ValueError("counts: must be whole numbers >= 0")
    if np.any(e <= 0):
        raise ValueError("exposure: must be > 0 in every period")
    if p.min() == p.max():
        raise ValueError("post: need periods both before and after the switch")
    d = pd.DataFrame({"k": k, "post": p, "t": np.arange(k.size, dtype=np.float64)})
    formula = "k ~ post + t" if trend else "k ~ post"
    glm = smf.glm(formula, data=d, family=sm.families.Poisson(), offset=np.log(e))
    fit = glm.fit()
    dispersion = float(fit.pearson_chi2 / fit.df_resid) if fit.df_resid > 0 else float("nan")
    if model == "quasipoisson" and np.isfinite(dispersion) and dispersion > 1:
        # the scale is floored at 1: a Pearson dispersion below 1 is noise, not under-dispersion,
        # and using it would narrow the interval below the Poisson one
        fit = glm.fit(scale=dispersion)
    lo, hi = fit.conf_int(alpha=1 - level).loc["post"]
    before = float(k[p == 0].sum() / e[p == 0].sum())
    after = float(k[p == 1].sum() / e[p == 1].sum())
    return RateChange(
        relative_change=float(np.expm1(fit.params["post"])),
        ci=(float(np.expm1(lo)), float(np.expm1(hi))),
        rate_before=before,
        rate_after=after,
        dispersion=dispersion,
        model=model,
        fit=fit,
    )


# --------------------------------------------------------------------------- shares


def weighted_share(is_member: Any, weights: Any = None, level: float = 0.95) -> tuple[float, float, float, float]:
    """Share of the total weight held by members, e.g. a brand's share of PC units sold.

    ``share = sum(w * member) / sum(w)``, one row per buyer; its standard error
    comes from linearising the ratio over buyers (each buyer an independent draw):
    ``se^2 = sum(w_i^2 (member_i - share)^2) / (sum w)^2``.

    Returns:
        ``(share, se, ci_low, ci_high)``.
    """
    level = _check_level(level)
    m = np.asarray(is_member, dtype=np.float64)
    w = np.ones_like(m) if weights is None else np.asarray(weights, dtype=np.float64)
    if m.shape != w.shape or m.ndim != 1 or m.size < 2:
        raise ValueError("is_member and weights must be 1-D of the same length (>= 2)")
    if np.any(w < 0) or w.sum() <= 0 or not np.all(np.isfinite(w)):
        raise ValueError("weights: must be finite, >= 0, with a positive total")
    tot = w.sum()
    share = float((w * m).sum() / tot)
    se = float(np.sqrt(np.sum((w * (m - share)) ** 2)) / tot)
    z = float(stats.norm.ppf(0.5 + level / 2))
    return share, se, share - z * se, share + z * se


# --------------------------------------------------------------------------- simulation
def simulate_its(
    n_periods: int = 108,
    break_pos: int = 54,
    level_change: float = -5.0,
    slope_change: float = 0.0,
    baseline: float = 79.0,
    trend: float = 0.0,
    noise_sd: float = 1.5,
    ar: float = 0.0,
    seed: Any = 0,
) -> np.ndarray:
    """A series with a planted level (and slope) change at ``break_pos`` and AR(1) noise.

    ``y_t = baseline + trend t + level_change post_t + slope_change t_post_t + e_t``,
    ``e_t = ar e_{t-1} + u_t`` with stationary standard deviation ``noise_sd``.
    """
    rng = np.random.default_rng(seed)
    d = its_design(n_periods, break_pos)
    if not -1 < ar < 1:
        raise ValueError(f"ar: must be in (-1, 1) (got {ar})")
    u = rng.standard_normal(n_periods) * noise_sd * math.sqrt(1 - ar * ar)
    e = np.empty(n_periods)
    e[0] = rng.standard_normal() * noise_sd
    for i in range(1, n_periods):  # AR(1) recursion: a short loop over periods
        e[i] = ar * e[i - 1] + u[i]
    return (
        baseline
        + trend * d["t"].to_numpy()
        + level_change * d["post"].to_numpy()
        + slope_change * d["t_post"].to_numpy()
        + e
    )


def simulate_counts(
    n_periods: int = 108,
    break_pos: int = 54,
    relative_change: float = 0.23,
    exposure: float = 400.0,
    base_rate: float = 0.02,
    seed: Any = 0,
) -> pd.DataFrame:
    """Event counts per period with a planted relative change of the rate at ``break_pos``.

    Exposure grows 1 % a period; counts are Poisson(exposure x rate).

    Returns:
        DataFrame with ``counts``, ``exposure`` and ``post``.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(n_periods)
    expo = exposure * 1.01**t
    post = (t >= break_pos).astype(np.int64)
    rate = base_rate * np.where(post == 1, 1 + relative_change, 1.0)
    return pd.DataFrame({"counts": rng.poisson(expo * rate), "exposure": expo, "post": post})


def simulate_panel(
    n_periods: int = 108,
    break_pos: int = 54,
    n_controls: int = 5,
    effect: float = -5.0,
    noise_sd: float = 1.5,
    common_sd: float = 1.0,
    seed: Any = 0,
    treated: str = "treated",
) -> pd.DataFrame:
    """Wide panel (periods x units): one treated unit with a planted step ``effect``, ``n_controls`` controls.

    All units share a common random shock per period (sd ``common_sd``) that a
    comparison removes; each has its own level and independent noise.
    """
    rng = np.random.default_rng(seed)
    common = rng.standard_normal(n_periods) * common_sd
    post = np.arange(n_periods) >= break_pos
    cols = {treated: 79 + common + effect * post + rng.standard_normal(n_periods) * noise_sd}
    for j in range(n_controls):
        cols[f"control_{j + 1}"] = 70 + 2 * j + common + rng.standard_normal(n_periods) * noise_sd
    return pd.DataFrame(cols)


# --------------------------------------------------------------------------- several breaks, AR errors
@dataclass
class MultiBreakIts:
    """An interrupted time series with level changes at several breaks and a common trend.

    Attributes:
        table: one row per break: ``name``, ``position``, ``period``, ``estimate`` (level
            change at that break), ``se``, ``ci_low``, ``ci_high``.
        errors: ``"ar1"`` (regression with AR(1) errors, Prais-Winsten FGLS) or ``"hac"``
            (OLS with Newey-West standard errors).
        maxlags: HAC lag window (``None`` for AR(1) errors).
        ar: the (bias-corrected) AR(1) coefficient of the errors (AR(1) fit) or the first-order
            autocorrelation of the OLS residuals (HAC fit).
        data: ``y``, ``fitted``, ``counterfactual`` (trend without any break) and ``resid`` per period.
        fit: the statsmodels results object.
    """

    table: pd.DataFrame
    errors: str
    maxlags: int | None
    ar: float
    data: pd.DataFrame = field(repr=False)
    fit: Any = field(repr=False)

    def interval(self, name: str) -> intervals.Interval:
        """The level change at break ``name`` as an :class:`intervals.Interval`."""
        r = self.table.set_index("name").loc[name]
        return intervals.Interval(float(r["estimate"]), float(r["ci_low"]), float(r["ci_high"]), self.method)

    @property
    def method(self) -> str:
        """The error model in words."""
        if self.errors == "ar1":
            return "ITS, level changes, AR(1) errors (Prais-Winsten FGLS)"
        return f"ITS, level changes, OLS with HAC s.e. ({self.maxlags} lags, Newey-West rule)"


def multi_break_its(
    y: Any,
    breaks: dict[str, Any],
    errors: str = "ar1",
    maxlags: int | None = None,
    level: float = 0.95,
    trend: bool = True,
) -> MultiBreakIts:
    """Level changes at several dated breaks on a common linear trend: ``y = a + b t + sum_k d_k step_k + e``.

    ``step_k`` is 1 from break ``k`` on. Errors are either AR(1) (``errors="ar1"``:
    feasible GLS, Prais-Winsten, with a small-sample bias correction of the AR coefficient) or left to OLS with Newey-West (HAC) standard
    errors (``errors="hac"``; ``maxlags=None`` uses the rule ``floor(4 (T/100)^(2/9))``).
    With persistent errors and about a hundred points HAC intervals cover too rarely
    (the unit tests measure it); the AR(1) model states the persistence and estimates it.

    Args:
        y: the series in time order (a Series keeps its index).
        breaks: name -> first period of the new regime (position or label of ``y.index``), in time order.
        errors: ``"ar1"`` or ``"hac"``.
        maxlags: HAC lag window (only for ``errors="hac"``).
        level: coverage of the intervals.
        trend: include the linear trend ``b t`` (False: level shifts only, e.g. for a
            treated-minus-control gap, where this is a difference-in-differences with AR(1) errors).
    """
    import statsmodels.api as sm

    s = _as_series("y", y)
    level = _check_level(level)
    if errors not in ("ar1", "hac"):
        raise ValueError(f"errors: must be 'ar1' or 'hac' (got {errors!r})")
    if not breaks:
        raise ValueError("breaks: need at least one break")
    n = len(s)
    pos = {k: _position(s, v, f"breaks[{k!r}]") for k, v in breaks.items()}
    p = list(pos.values())
    if p != sorted(p) or len(set(p)) != len(p) or p[0] < 3 or p[-1] > n - 2:
        raise ValueError(
            f"breaks: must be distinct, in time order, with >= 3 periods before the first (positions {p} of {n})"
        )
    t = np.arange(n, dtype=np.float64)
    X = pd.DataFrame({"const": 1.0, "t": t}, index=s.index)
    if not trend:
        X = X.drop(columns="t")
    for k, b in pos.items():
        X[k] = (t >= b).astype(np.float64)
    if errors == "ar1":
        # Prais-Winsten feasible GLS: rho from the OLS residuals, bias-corrected for a short
        # series (Kendall 1954: + (1 + 3 rho) / T for a mean, about 1 / T more for each further
        # regressor), then OLS on the quasi-differenced series; t critical values with the residual df.
        Xa, ya = X.to_numpy(), s.to_numpy()
        r0 = ya - Xa @ np.linalg.lstsq(Xa, ya, rcond=None)[0]
        rho = float((r0[1:] @ r0[:-1]) / (r0 @ r0))
        rho = float(np.clip(rho + (1 + 3 * rho + (Xa.shape[1] - 1)) / n, 0.0, 0.97))
        c = math.sqrt(1 - rho * rho)
        ys = np.concatenate([[c * ya[0]], ya[1:] - rho * ya[:-1]])
        Xs = np.vstack([c * Xa[:1], Xa[1:] - rho * Xa[:-1]])
        fit = sm.OLS(ys, Xs).fit()
        params = pd.Series(fit.params, index=X.columns)
        bse = pd.Series(fit.bse, index=X.columns)
        ar = rho
        lags = None
        crit = float(stats.t.ppf(0.5 + level / 2, fit.df_resid - 1))
    else:
        lags = newey_west_lags(n) if maxlags is None else int(maxlags)
        fit = sm.OLS(s.to_numpy(), X.to_numpy()).fit(cov_type="HAC", cov_kwds={"maxlags": lags}, use_t=True)
        params = pd.Series(fit.params, index=X.columns)
        bse = pd.Series(fit.bse, index=X.columns)
        r = s.to_numpy() - X.to_numpy() @ params.to_numpy()
        ar = float(np.corrcoef(r[:-1], r[1:])[0, 1])
        crit = float(stats.t.ppf(0.5 + level / 2, fit.df_resid))
    rows = [
        {
            "name": k,
            "position": b,
            "period": s.index[b],
            "estimate": float(params[k]),
            "se": float(bse[k]),
            "ci_low": float(params[k] - crit * bse[k]),
            "ci_high": float(params[k] + crit * bse[k]),
        }
        for k, b in pos.items()
    ]
    beta = params[list(X.columns)].to_numpy()
    fitted = X.to_numpy() @ beta
    base = beta[0] + (beta[1] * t if trend else 0.0)
    data = pd.DataFrame(
        {"y": s.to_numpy(), "fitted": fitted, "counterfactual": base, "resid": s.to_numpy() - fitted},
        index=s.index,
    )
    return MultiBreakIts(table=pd.DataFrame(rows), errors=errors, maxlags=lags, ar=ar, data=data, fit=fit)


def residual_acf(resid: Any, nlags: int = 12) -> pd.DataFrame:
    """Autocorrelation of residuals at lags 1..nlags, with the white-noise band ``±1.96 / sqrt(T)``."""
    r = _as_series("resid", resid).to_numpy()
    r = r - r.mean()
    if isinstance(nlags, bool) or not isinstance(nlags, (int, np.integer)) or not 1 <= nlags < r.size:
        raise ValueError(f"nlags: must be a whole number between 1 and {r.size - 1} (got {nlags!r})")
    den = float(r @ r)
    acf = np.array([float(r[k:] @ r[:-k]) / den for k in range(1, nlags + 1)])
    return pd.DataFrame({"lag": np.arange(1, nlags + 1), "acf": acf, "band": 1.96 / math.sqrt(r.size)})


# --------------------------------------------------------------------------- synthetic control
@dataclass
class SyntheticControl:
    """A synthetic control for one treated unit.

    Attributes:
        weights: donor -> weight (>= 0, summing to 1).
        treated: the treated unit's series.
        synthetic: the weighted donors (plus the pre-period level difference if ``demean``).
        gap: treated minus synthetic, per period.
        pre_rmspe, post_rmspe: root mean squared gap before the switch and in the post window.
        ratio: ``post_rmspe / pre_rmspe`` (Abadie 2021's test statistic).
        effect: mean gap in the post window.
        demean: whether levels were matched by an intercept (gap = 0 on average before the switch).
    """

    weights: pd.Series
    treated: pd.Series = field(repr=False)
    synthetic: pd.Series = field(repr=False)
    gap: pd.Series = field(repr=False)
    pre_rmspe: float
    post_rmspe: float
    ratio: float
    effect: float
    demean: bool


def _simplex_weights(y1: np.ndarray, Y0: np.ndarray) -> np.ndarray:
    """``argmin ||y1 - Y0 w||^2`` over ``w >= 0, sum w = 1`` (SLSQP from a uniform start)."""
    from scipy.optimize import minimize

    k = Y0.shape[1]
    scale = max(float(np.abs(Y0).max()), 1.0)
    a, b = Y0 / scale, y1 / scale

    def f(w):
        r = b - a @ w
        return float(r @ r), -2 * a.T @ r

    res = minimize(
        f,
        np.full(k, 1.0 / k),
        jac=True,
        method="SLSQP",
        bounds=[(0.0, 1.0)] * k,
        constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1.0, "jac": lambda w: np.ones_like(w)}],
        options={"maxiter": 500, "ftol": 1e-12},
    )
    w = np.clip(res.x, 0, None)
    return w / w.sum()


def synthetic_control(
    panel: pd.DataFrame, treated: str, pre: Any, post: Any = None, donors: list[str] | None = None, demean: bool = True
) -> SyntheticControl:
    """Synthetic control of ``treated`` from the other columns of ``panel`` (Abadie, Diamond & Hainmueller 2010).

    Donor weights ``w >= 0, sum w = 1`` minimise the squared pre-period gap between the
    treated unit's outcome and the weighted donors' outcomes (the pre-period outcomes are
    the only predictors). With ``demean=True`` each series is first centred on its own
    pre-period mean, so the weights match *movements* (shared shocks) rather than levels
    (an intercept-shifted synthetic control: Doudchenko & Imbens 2016; Ferman & Pinto 2021);
    the treated brand's level need not lie inside the donors' range.

    Written here with ``scipy.optimize`` rather than taken from ``pysyncon``: with the
    outcome's own pre-period path as the only predictor, the method is this one constrained
    least-squares problem (a dozen lines), and it runs in milliseconds for the placebos.

    Args:
        panel: wide frame, index = periods, columns = units.
        treated: the treated unit's column.
        pre: boolean mask of the pre-period rows (used to fit the weights).
        post: boolean mask of the post window (default: every row not in ``pre``).
        donors: donor columns (default: every other column).
        demean: match movements (True) or levels (False).
    """
    if treated not in panel.columns:
        raise ValueError(f"treated: {treated!r} is not a column of the panel")
    donors = [c for c in panel.columns if c != treated] if donors is None else list(donors)
    if treated in donors or any(d not in panel.columns for d in donors) or len(donors) < 2:
        raise ValueError("donors: need at least 2 columns of the panel other than the treated unit")
    pre_m = np.asarray(pre, dtype=bool)
    post_m = ~pre_m if post is None else np.asarray(post, dtype=bool)
    if pre_m.shape != (len(panel),) or post_m.shape != (len(panel),):
        raise ValueError("pre, post: must be boolean masks over the panel's rows")
    if pre_m.sum() < 3 or post_m.sum() < 1 or (pre_m & post_m).any():
        raise ValueError("pre, post: need >= 3 pre-period rows, >= 1 post row, and no row in both")
    vals = panel[[treated, *donors]].astype(np.float64)
    if not np.all(np.isfinite(vals.to_numpy())):
        raise ValueError("panel: has NaN or infinite values")
    y1 = vals[treated].to_numpy()
    Y0 = vals[donors].to_numpy()
    c1 = y1[pre_m].mean() if demean else 0.0
    c0 = Y0[pre_m].mean(axis=0) if demean else np.zeros(len(donors))
    w = _simplex_weights(y1[pre_m] - c1, Y0[pre_m] - c0)
    synth = (Y0 - c0) @ w + c1
    gap = y1 - synth
    pre_r = float(np.sqrt(np.mean(gap[pre_m] ** 2)))
    post_r = float(np.sqrt(np.mean(gap[post_m] ** 2)))
    return SyntheticControl(
        weights=pd.Series(w, index=donors, name="weight"),
        treated=pd.Series(y1, index=panel.index, name=treated),
        synthetic=pd.Series(synth, index=panel.index, name="synthetic"),
        gap=pd.Series(gap, index=panel.index, name="gap"),
        pre_rmspe=pre_r,
        post_rmspe=post_r,
        ratio=post_r / pre_r if pre_r > 0 else float("inf"),
        effect=float(gap[post_m].mean()),
        demean=demean,
    )


def synthetic_control_placebos(
    panel: pd.DataFrame, treated: str, pre: Any, post: Any = None, demean: bool = True
) -> pd.DataFrame:
    """In-space placebos of a synthetic control, ranked by the post/pre RMSPE ratio (Abadie 2021).

    Every unit in turn plays the treated one, with the *other untreated* units as donors
    (the real treated unit is never a donor). Under no effect the treated unit's ratio is
    one draw among them; its rank / number of units is the permutation p-value.

    Returns:
        DataFrame indexed by unit with ``effect``, ``pre_rmspe``, ``post_rmspe``, ``ratio``,
        ``treated`` and ``rank`` (1 = largest ratio), sorted by rank; ``attrs["p_value"]``.
    """
    controls = [c for c in panel.columns if c != treated]
    if len(controls) < 3:
        raise ValueError("panel: need at least 3 control units for synthetic-control placebos")
    rows = []
    for unit in [treated, *controls]:
        donors = [c for c in controls if c != unit]
        r = synthetic_control(panel, unit, pre, post, donors=donors, demean=demean)
        rows.append(
            {
                "unit": unit,
                "effect": r.effect,
                "pre_rmspe": r.pre_rmspe,
                "post_rmspe": r.post_rmspe,
                "ratio": r.ratio,
                "treated": unit == treated,
            }
        )
    out = pd.DataFrame(rows).set_index("unit").sort_values("ratio", ascending=False, kind="stable")
    out["rank"] = np.arange(1, len(out) + 1)
    out.attrs["p_value"] = float(out.loc[treated, "rank"] / len(out))
    return out


def count_growth(count: float, count_before: float, level: float = 0.95) -> intervals.Interval:
    """Relative change of a count on the period before (e.g. complaints in 2004 over 2003).

    The interval treats each count as Poisson: ``se(log ratio) = sqrt(1/a + 1/b)``.
    """
    a, b = float(count), float(count_before)
    if not (a > 0 and b > 0):
        raise ValueError(f"count, count_before: must both be > 0 (got {a}, {b})")
    iv = intervals.normal(a / b, math.sqrt(1 / a + 1 / b), level=level, method="Poisson counts, log ratio", log=True)
    return intervals.Interval(iv.estimate - 1, iv.low - 1, iv.high - 1, iv.method)
