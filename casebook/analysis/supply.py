"""Supply-chain metrics for chapter 04 (claims D1-D15): the reusable arithmetic.

The lesson (which records to join, which definition to use and why) stays in
the notebook; this module holds the small, tested pieces it leans on:

- intervals: :func:`mean_ci` (Student t across periods), :func:`bootstrap_ratio_ci` (ratio of sums, resampling units);
- inventory: :func:`days_of_supply`, :func:`period_days_of_supply`,
  :func:`inventory_turns`, :func:`turnover_days`;
- obsolescence and time to market: :func:`erosion_loss_share`,
  :func:`fifo_days_to_customer`, :func:`launch_lags`;
- working capital: :func:`weighted_days` (DSO, DPO), :func:`cash_conversion_cycle`;
- demand amplification: :func:`bullwhip_ratio`;
- promises: :func:`on_time_share`;
- forecasting with CRM signals: :func:`bucket_sums`, :func:`pipeline_due`,
  :func:`crm_backtest`, :func:`mae_reduction`, :func:`safety_stock`.

Every function takes plain arrays or pandas objects and is deterministic
(bootstraps take a ``seed``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from . import intervals

Z95 = 1.959963984540054


# --------------------------------------------------------------------------- intervals
def mean_ci(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """Mean of ``values`` (e.g. one figure per quarter) with a Student-t interval.

    Returns ``(mean, low, high)``. NaNs are dropped; at least two values are needed.
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size < 2:
        raise ValueError("mean_ci needs at least two finite values")
    m = float(x.mean())
    half = float(stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size))
    return m, m - half, m + half


def bootstrap_ratio_ci(
    num: Sequence[float], den: Sequence[float], n_boot: int = 1000, seed: int = 0, level: float = 0.95
) -> tuple[float, float, float]:
    """``sum(num) / sum(den)`` with a percentile bootstrap interval, resampling the units (rows).

    Use one row per independent unit (e.g. per customer: online revenue, all
    revenue) so that the interval respects clustering within units.
    """
    a = np.asarray(num, dtype=float)
    b = np.asarray(den, dtype=float)
    if a.shape != b.shape or a.ndim != 1 or a.size < 2:
        raise ValueError("num and den must be 1-d arrays of the same length (>= 2)")
    # each unit as one complex number num + i den: a resample is one contiguous 1-D gather and one sum
    # (both parts at once), several times faster than gathering rows of a two-column array; same draws
    z = a + 1j * b

    def ratio(v: np.ndarray) -> float:
        s = v.sum()
        return s.real / s.imag

    iv = intervals.bootstrap(z, ratio, n_boot, seed, level)
    return float(iv.estimate), float(iv.low), float(iv.high)


# --------------------------------------------------------------------------- inventory
def days_of_supply(on_hand: Sequence[float], consumed_per_day: Sequence[float]) -> float:
    """Days of supply = average stock / average daily consumption (both over the same days)."""
    oh = np.asarray(on_hand, dtype=float)
    c = np.asarray(consumed_per_day, dtype=float)
    if c.sum() <= 0:
        raise ValueError("no consumption: days of supply undefined")
    return float(oh.mean() / c.mean())


def period_days_of_supply(
    daily: pd.DataFrame,
    on_hand: str = "on_hand_units",
    consumed: str = "consumed_units",
    freq: str = "QE",
    stock: str = "mean",
) -> pd.Series:
    """Days of supply per calendar period from a daily series indexed by date.

    ``stock="mean"``: average stock over the period / average daily consumption
    (the turns convention); ``stock="end"``: stock on the period's last day /
    average daily consumption (the 10-K "days of supply in inventory" convention,
    which reads high when demand grows within the period).
    """
    if stock not in ("mean", "end"):
        raise ValueError("stock must be 'mean' or 'end'")
    g = daily[[on_hand, consumed]].resample(freq)
    inv = g[on_hand].mean() if stock == "mean" else g[on_hand].last()
    use = g[consumed].mean()
    return (inv / use.where(use > 0)).rename("days_of_supply")


def inventory_turns(cogs: float, average_inventory: float, days: float = 365.0) -> float:
    """Inventory turns per year: cost of goods over ``days``, annualised, / average inventory (same units)."""
    if average_inventory <= 0:
        raise ValueError("average inventory must be positive")
    return float(cogs * (365.0 / days) / average_inventory)


def turnover_days(cogs: float, average_inventory: float, days: float = 365.0) -> float:
    """Days for the inventory to turn over once: average inventory / cost of goods per day."""
    if cogs <= 0:
        raise ValueError("cost of goods must be positive")
    return float(average_inventory / (cogs / days))


# --------------------------------------------------------------------------- obsolescence, time to market
def erosion_loss_share(days_held, weekly_erosion: float):
    """Share of a component's value lost while it waits ``days_held`` days, prices falling ``weekly_erosion`` a week."""
    if not 0 <= weekly_erosion < 1:
        raise ValueError("weekly_erosion must be in [0, 1)")
    d = np.asarray(days_held, dtype=float)
    out = 1.0 - (1.0 - weekly_erosion) ** (d / 7.0)
    return float(out) if out.ndim == 0 else out


def fifo_days_to_customer(stock_before: float, consumption_from_launch: Sequence[float]) -> float:
    """Days after a launch until the first new part reaches a customer, first-in first-out.

    The ``stock_before`` old parts on hand at the launch are used first; the
    first new part is used on the day cumulative consumption (from the launch
    day, index 0) first exceeds that stock. Returns that day's index (0 = on
    launch day), or NaN if the old stock outlasts the series.
    """
    cum = np.cumsum(np.asarray(consumption_from_launch, dtype=float))
    k = int(np.searchsorted(cum, float(stock_before), side="right"))
    return float(k) if k < cum.size else float("nan")


def launch_lags(
    dates: pd.DatetimeIndex | Sequence, on_hand: Sequence[float], consumed: Sequence[float], launch_dates: Sequence
) -> np.ndarray:
    """:func:`fifo_days_to_customer` at each launch, from one pipeline's daily stock and consumption.

    ``dates`` must be consecutive days (sorted). The stock before a launch is the
    end-of-day stock of the day before it. Launches on the first day or outside
    the series give NaN.
    """
    idx = pd.DatetimeIndex(dates)
    oh = np.asarray(on_hand, dtype=float)
    c = np.asarray(consumed, dtype=float)
    out = []
    for d in pd.DatetimeIndex(launch_dates):  # loop over launches (a dozen), not rows
        i = idx.searchsorted(d)
        if i <= 0 or i >= idx.size or idx[i] != d:
            out.append(np.nan)
            continue
        out.append(fifo_days_to_customer(oh[i - 1], c[i:]))
    return np.array(out, dtype=float)


# --------------------------------------------------------------------------- working capital
def weighted_days(start, end, weights=None, clip_negative: bool = True) -> float:
    """Average days from ``start`` to ``end`` (dates or day numbers), weighted by ``weights``.

    With revenue weights and start = ship date, end = payment date this is days
    sales outstanding (average receivables / revenue per day, by Little's law);
    with invoice value weights and invoice -> payment dates it is days payables
    outstanding. ``clip_negative`` counts payments made before ``start``
    (prepayment) as zero days outstanding.
    """
    s = pd.Series(start)
    e = pd.Series(end)
    if pd.api.types.is_datetime64_any_dtype(s):
        d = (e.to_numpy() - s.to_numpy()) / np.timedelta64(1, "D")
    else:
        d = e.to_numpy(dtype=float) - s.to_numpy(dtype=float)
    d = np.asarray(d, dtype=float)
    if clip_negative:
        d = np.maximum(d, 0.0)
    w = np.ones_like(d) if weights is None else np.asarray(weights, dtype=float)
    return float(np.average(d, weights=w))


def cash_conversion_cycle(dso: float, dsi: float, dpo: float) -> float:
    """Cash conversion cycle in days: DSO + DSI - DPO (negative: suppliers finance the business).

    Works on numbers (returns a float) or on aligned arrays/Series (one cycle per period).
    """
    out = dso + dsi - dpo
    return float(out) if np.ndim(out) == 0 else out


# --------------------------------------------------------------------------- bullwhip
def bullwhip_ratio(upstream: Sequence[float], demand: Sequence[float], detrend_window: int | None = None) -> float:
    """Variance of upstream orders / variance of customer demand over the same periods.

    ``detrend_window`` (odd number of periods): subtract a centred moving average
    from both series first, so growth does not count as variability. 1 means
    orders pass demand straight through; above 1 the supply chain amplifies it.
    """
    u = pd.Series(np.asarray(upstream, dtype=float))
    d = pd.Series(np.asarray(demand, dtype=float))
    if u.size != d.size:
        raise ValueError("upstream and demand must have the same length")
    if detrend_window:
        u = u - u.rolling(detrend_window, center=True).mean()
        d = d - d.rolling(detrend_window, center=True).mean()
    ok = u.notna() & d.notna()
    vd = d[ok].var()
    if not vd > 0:
        raise ValueError("demand has no variance")
    return float(u[ok].var() / vd)


# --------------------------------------------------------------------------- promises
def on_time_share(promised, actual) -> tuple[float, float, float]:
    """Share of orders delivered on or before the promised date, with a Wilson interval."""
    p = pd.Series(promised).to_numpy()
    a = pd.Series(actual).to_numpy()
    ok = a <= p
    return tuple(intervals.wilson(int(ok.sum()), int(ok.size)))


# --------------------------------------------------------------------------- forecasting with CRM signals
def bucket_sums(day: Sequence[int], values: Sequence[float], width: int, n_buckets: int) -> np.ndarray:
    """Totals of ``values`` in consecutive buckets of ``width`` days (day 0 starts bucket 0)."""
    b = np.asarray(day, dtype=np.int64) // width
    v = np.asarray(values, dtype=float)
    keep = (b >= 0) & (b < n_buckets)
    return np.bincount(b[keep], weights=v[keep], minlength=n_buckets)


def pipeline_due(
    created_day: Sequence[int],
    expected_day: Sequence[int],
    expected_units: Sequence[float],
    origin_day: int,
    lo: int,
    hi: int,
) -> float:
    """Units of opportunities known at ``origin_day`` (created on or before it) expected in days [lo, hi)."""
    c = np.asarray(created_day)
    e = np.asarray(expected_day)
    u = np.asarray(expected_units, dtype=float)
    return float(u[(c <= origin_day) & (e >= lo) & (e < hi)].sum())


def crm_backtest(
    order_day: Sequence[int],
    units: Sequence[float],
    announced: Sequence[bool],
    opp_created_day: Sequence[int],
    opp_expected_day: Sequence[int],
    opp_units: Sequence[float],
    width: int = 28,
    history: int = 2,
    horizon: int = 1,
    first_target: int | None = None,
) -> pd.DataFrame:
    """Rolling-origin backtest of a demand forecast without and with CRM pipeline signals.

    Demand (``units`` ordered on ``order_day``) is summed in buckets of ``width``
    days. At the end of bucket ``T`` each forecast targets bucket ``T + horizon``:

    - ``without_crm``: mean of the last ``history`` buckets of all demand (SCM alone);
    - ``with_crm``: mean of the last ``history`` buckets of demand that was *not*
      announced, plus the units of opportunities already in the pipeline
      (created by the forecast origin) whose expected close falls in the target
      bucket (CRM + SCM).

    ``announced`` flags orders that had an opportunity (known once the order
    arrives). Returns one row per target bucket (``first_target`` onward) with
    the actual and both forecasts. Only the past and the open pipeline are used.
    """
    od = np.asarray(order_day, dtype=np.int64)
    u = np.asarray(units, dtype=float)
    ann = np.asarray(announced, dtype=bool)
    n_buckets = int(od.max() // width) + 1
    if (od.max() + 1) % width:
        n_buckets -= 1  # drop a last partial bucket
    total = bucket_sums(od, u, width, n_buckets)
    quiet = bucket_sums(od[~ann], u[~ann], width, n_buckets)
    start = history - 1 + horizon if first_target is None else max(first_target, history - 1 + horizon)
    rows = []
    for tgt in range(start, n_buckets):  # loop over forecast origins (a hundred or so)
        t = tgt - horizon
        past = slice(t - history + 1, t + 1)
        origin = width * (t + 1) - 1
        due = pipeline_due(opp_created_day, opp_expected_day, opp_units, origin, width * tgt, width * (tgt + 1))
        rows.append((tgt, total[tgt], total[past].mean(), quiet[past].mean() + due, due))
    return pd.DataFrame(rows, columns=["bucket", "actual", "without_crm", "with_crm", "pipeline_units"])


def mae_reduction(
    actual, base, better, n_boot: int = 2000, seed: int = 0, level: float = 0.95
) -> tuple[float, float, float]:
    """Relative cut in mean absolute error from ``base`` to ``better`` forecasts, 1 - MAE_better / MAE_base.

    The interval is a paired percentile bootstrap over forecast periods.
    """
    y = np.asarray(actual, dtype=float)
    e0 = np.abs(y - np.asarray(base, dtype=float))
    e1 = np.abs(y - np.asarray(better, dtype=float))
    est = 1 - e1.mean() / e0.mean()
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, y.size, (n_boot, y.size))
    reps = 1 - e1[idx].mean(axis=1) / e0[idx].mean(axis=1)
    lo, hi = np.quantile(reps, [(1 - level) / 2, (1 + level) / 2])
    return float(est), float(lo), float(hi)


def safety_stock(error_sd: float, z: float = 1.6448536269514722) -> float:
    """Safety stock that covers forecast errors of standard deviation ``error_sd`` (z = 1.645: 95 % cycle service)."""
    return float(z * error_sd)


# --------------------------------------------------------------------------- simulated chains (issue 13)
def time_to_market(day, generation, units, launch_days, share: float = 0.5) -> np.ndarray:
    """Days from each CPU launch until the new generation is ``share`` or more of a day's shipments.

    ``day``, ``generation``, ``units``: shipment records (one row per day and generation).
    Generation ``g`` launches on ``launch_days[g]``; launch 0 (before the records) gives NaN,
    as does a launch whose new chip never reaches ``share`` before the next launch.
    """
    df = pd.DataFrame({"day": np.asarray(day), "gen": np.asarray(generation), "units": np.asarray(units, float)})
    tot = df.groupby("day")["units"].sum()
    out = np.full(len(launch_days), np.nan)
    for g, d0 in enumerate(launch_days):  # loop over launches (about a dozen)
        if g == 0:
            continue
        end = launch_days[g + 1] if g + 1 < len(launch_days) else df["day"].max() + 1
        new = df[(df["gen"] >= g) & (df["day"] >= d0) & (df["day"] < end)].groupby("day")["units"].sum()
        frac = (new / tot.reindex(new.index)).loc[lambda s: s >= share]
        if frac.size:
            out[g] = float(frac.index.min() - d0)
    return out


def erosion_loss(on_hand_units, market_cost, consumed_units) -> tuple[float, float]:
    """Value lost to falling prices on stock actually held, and the material cost of what was used.

    Each day the stock held overnight loses ``market_cost[t] - market_cost[t + 1]`` a unit when
    prices fall (increases at a new generation's launch are not gains on old stock and count zero).
    Returns ``(value lost, material cost used)`` over the series, both in currency.
    """
    q = np.asarray(on_hand_units, dtype=float)[:-1]
    p = np.asarray(market_cost, dtype=float)
    drop = np.maximum(p[:-1] - p[1:], 0.0)
    used = np.asarray(consumed_units, dtype=float)
    return float((q * drop).sum()), float((used * p).sum())


def block_bootstrap_var_ratio(
    upstream, demand, period: int, block_periods: int = 4, n_boot: int = 500, seed: int = 0, detrend: int = 0
):
    """Bullwhip ratio var(upstream) / var(demand) after summing daily series into ``period``-day buckets.

    ``detrend`` (odd number of buckets, 0 = none) removes a centred moving average from both series
    first. The interval is a moving-block bootstrap over buckets (blocks of ``block_periods``), which keeps
    the serial dependence a batch policy creates. Returns an :class:`~casebook.analysis.intervals.Interval`.
    """
    from .intervals import from_draws

    u = np.asarray(upstream, dtype=float)
    d = np.asarray(demand, dtype=float)
    n = (u.size // period) * period
    u = u[:n].reshape(-1, period).sum(axis=1)
    d = d[:n].reshape(-1, period).sum(axis=1)
    if detrend:
        u = (pd.Series(u) - pd.Series(u).rolling(detrend, center=True).mean()).dropna().to_numpy()
        d = (pd.Series(d) - pd.Series(d).rolling(detrend, center=True).mean()).dropna().to_numpy()
    est = u.var(ddof=1) / d.var(ddof=1)
    m = u.size
    b = max(1, min(block_periods, m // 2))
    rng = np.random.default_rng(seed)
    k = -(-m // b)
    starts = rng.integers(0, m - b + 1, (n_boot, k))
    idx = (starts[:, :, None] + np.arange(b)[None, None, :]).reshape(n_boot, -1)[:, :m]
    reps = u[idx].var(axis=1, ddof=1) / d[idx].var(axis=1, ddof=1)
    return from_draws(float(est), reps, method=f"moving-block bootstrap ({b} x {period}-day buckets)")


def replenishment_whatif(
    actual, forecasts: dict, per_day: float, z: float = 1.6448536269514722, n_boot: int = 2000, seed: int = 0
):
    """Stock and stock-outs of an order-up-to policy driven by each forecast, one planning bucket at a time.

    For every bucket the policy stocks ``forecast + z x RMSE`` (RMSE of that forecast over the back-test),
    so a sharper forecast needs less safety stock. Per forecast: the average stock left at the bucket's end
    (in days of demand, ``per_day`` units a day) and the share of buckets that ran out. Returns a DataFrame
    (one row per forecast) and a dict of paired-bootstrap draws over buckets of both, for differences.
    """
    y = np.asarray(actual, dtype=float)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, y.size, (n_boot, y.size))
    rows, draws = [], {}
    for name, f in forecasts.items():  # loop over a few forecasts
        f = np.asarray(f, dtype=float)
        err = y - f
        rmse = np.sqrt((err**2).mean())
        left = np.maximum(f + z * rmse - y, 0.0)
        out = (y > f + z * rmse).astype(float)
        # bootstrap: resample buckets, re-estimating the RMSE (and so the safety stock) in each replicate
        rmse_b = np.sqrt((err[idx] ** 2).mean(axis=1, keepdims=True))
        left_b = np.maximum(f[idx] + z * rmse_b - y[idx], 0.0).mean(axis=1) / per_day
        out_b = (y[idx] > f[idx] + z * rmse_b).mean(axis=1)
        rows.append({"forecast": name, "stock_days": left.mean() / per_day, "stockout_share": out.mean()})
        draws[name] = (left_b, out_b)
    return pd.DataFrame(rows).set_index("forecast"), draws
