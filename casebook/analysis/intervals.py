"""One interval type and the interval helpers every chapter and analysis module uses.

An :class:`Interval` is ``(estimate, low, high, method)``; it unpacks as
``est, lo, hi = interval`` so call sites stay short. Helpers:

- :func:`wilson`        a proportion ``k / n`` with its Wilson score interval
- :func:`normal`        ``estimate ± z · se`` (Wald), optionally on the log scale
- :func:`from_draws`    percentile interval from bootstrap / simulation draws
- :func:`bootstrap`     percentile bootstrap of a statistic over resampled units
- :func:`poisson_bootstrap_sums`  Poisson-weight bootstrap of a statistic of column sums
  (one pass over aggregates; fast at 1,000,000 units)

Written here rather than taken from ``scipy.stats.bootstrap`` because the chapters
need seeded, vectorised resampling of *aggregates* (sums per unit) at a million
units, with the same return type as the closed-form intervals.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

__all__ = ["Interval", "z_value", "wilson", "normal", "from_draws", "bootstrap", "poisson_bootstrap_sums"]


@dataclass(frozen=True)
class Interval:
    """An estimate with its (two-sided) interval and the method that produced it."""

    estimate: float
    low: float | None
    high: float | None
    method: str = ""

    def __iter__(self) -> Iterator[float | None]:
        """Unpack as ``estimate, low, high``."""
        return iter((self.estimate, self.low, self.high))

    @property
    def half_width(self) -> float | None:
        """Half the interval's width (None without an interval)."""
        return None if self.low is None or self.high is None else (self.high - self.low) / 2

    def covers(self, value: float) -> bool | None:
        """True if ``value`` lies inside ``[low, high]``; None without an interval."""
        return None if self.low is None or self.high is None else bool(self.low <= value <= self.high)

    def scaled(self, factor: float) -> Interval:
        """The same interval in other units (``factor`` > 0), e.g. fraction -> percent."""
        if factor <= 0:
            raise ValueError(f"factor: must be positive (got {factor!r})")
        f = float(factor)
        return Interval(
            self.estimate * f,
            None if self.low is None else self.low * f,
            None if self.high is None else self.high * f,
            self.method,
        )


def _check_level(level: float) -> float:
    if not (isinstance(level, (int, float)) and 0 < level < 1):
        raise ValueError(f"level: must be between 0 and 1 (got {level!r})")
    return float(level)


def z_value(level: float = 0.95) -> float:
    """Two-sided normal quantile for ``level`` (1.96 for 0.95)."""
    return float(stats.norm.ppf(0.5 + _check_level(level) / 2))


def wilson(k: Any, n: Any, level: float = 0.95) -> Interval:
    """Share ``k / n`` with its Wilson score interval (good at small ``n`` and shares near 0 or 1)."""
    z = z_value(level)
    k, n = float(k), float(n)
    if n <= 0 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n and n > 0 (got k={k}, n={n})")
    ph = k / n
    den = 1 + z * z / n
    centre = (ph + z * z / (2 * n)) / den
    half = z * math.sqrt(ph * (1 - ph) / n + z * z / (4 * n * n)) / den
    lo = 0.0 if k == 0 else max(0.0, centre - half)
    hi = 1.0 if k == n else min(1.0, centre + half)
    return Interval(ph, lo, hi, "Wilson score interval")


def normal(estimate: float, se: float, level: float = 0.95, method: str = "Wald", log: bool = False) -> Interval:
    """``estimate ± z·se``; with ``log=True`` ``se`` is of ``log(estimate)`` and the interval is ``exp``-ed."""
    z = z_value(level)
    est, se = float(estimate), float(se)
    if not (math.isfinite(se) and se >= 0):
        raise ValueError(f"se: must be a finite number >= 0 (got {se!r})")
    if log:
        if est <= 0:
            raise ValueError(f"estimate: must be positive on the log scale (got {est!r})")
        return Interval(est, est * math.exp(-z * se), est * math.exp(z * se), method)
    return Interval(est, est - z * se, est + z * se, method)


def from_draws(estimate: float, draws: Any, level: float = 0.95, method: str = "percentile bootstrap") -> Interval:
    """Percentile interval of ``draws`` (bootstrap or simulation replicates) around ``estimate``."""
    a = (1 - _check_level(level)) / 2
    d = np.asarray(draws, float)
    d = d[np.isfinite(d)]
    if d.size < 2:
        raise ValueError("draws: need at least two finite replicates")
    lo, hi = np.quantile(d, [a, 1 - a])
    return Interval(float(estimate), float(lo), float(hi), method)


def bootstrap(
    values: Any,
    stat: Callable[[np.ndarray], float],
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> Interval:
    """Statistic of ``values`` with a percentile bootstrap interval (rows resampled with replacement).

    ``values`` is 1-d (one value per unit) or 2-d (one row per unit). Seeded: the same call
    gives the same interval.
    """
    v = np.asarray(values)
    m = len(v)
    if m < 2:
        raise ValueError("values: need at least two units")
    rng = np.random.default_rng(seed)
    reps = np.array([stat(v[rng.integers(0, m, m)]) for _ in range(n_boot)])
    return from_draws(float(stat(v)), reps, level)


def poisson_bootstrap_sums(
    columns: Any,
    stat: Callable[[np.ndarray], Any],
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    chunk: int = 100,
) -> Interval:
    """Poisson-weight bootstrap of ``stat`` applied to weighted column sums.

    ``columns`` is ``(units, k)``: per-unit aggregates (e.g. revenue and a group flag × revenue).
    Each replicate weights every unit by an independent Poisson(1) count — the large-sample
    equivalent of resampling units — so a replicate costs one matrix product, not a resample.
    ``stat`` maps an array of sums ``(..., k)`` to the statistic (vectorised over replicates).
    """
    x = np.asarray(columns, float)
    if x.ndim == 1:
        x = x[:, None]
    rng = np.random.default_rng(seed)
    est = float(stat(x.sum(axis=0)))
    reps = []
    for start in range(0, n_boot, chunk):
        w = rng.poisson(1.0, size=(min(chunk, n_boot - start), x.shape[0])).astype(np.float32)
        reps.append(np.asarray(stat(w @ x.astype(np.float32)), float))
    return from_draws(est, np.concatenate(reps), level, "Poisson-weight bootstrap")
