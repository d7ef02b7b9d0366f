"""Solve for the hidden constants that make planted *expectations* come true.

The scenario states outcomes (top-20 % revenue share, key-account share, online
revenue share, share of relationship-minded customers); the generator needs
mechanism constants (spend heterogeneity sigma, a size threshold, logistic
intercepts, a channel scale). Each is found by bisection on a fixed internal
Monte Carlo sample (seeded from the scenario alone, so it is deterministic and
independent of the user's seed). Written here rather than with a library
because each solve is a one-dimensional monotone root on a cheap vectorised
surrogate: ``scipy.optimize.brentq`` would do the same job; bisection on
common random numbers is simpler to reason about and never leaves the bracket.

The random numbers are drawn in one fixed order; the bisections that do not depend on each
other (the price-sensitive intercept, the relationship intercept, the spend and channel chain)
run side by side in threads (numpy releases the GIL in their array work), so the result is the
same as one after another and the solve, which runs before any customer block, takes less wall time.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

import numpy as np
from scipy.special import expit

from .errors import ParameterError
from .scenario import SEGMENTS, Scenario
from .timeline import DAYS_PER_YEAR

N_CAL = 200_000
BASE_ONLINE = np.array([0.45, 0.35, 0.22, 0.18])  # propensity to order online, by segment
SIZE_MU, SIZE_SD = 1.5, 2.2  # constants that standardise ln(employees)

EMPLOYEES = {  # (median, log-sd, min, max) by segment
    "consumer": (1, 0.0, 1, 1),
    "small_business": (12, 0.9, 1, 99),
    "large_enterprise": (1500, 1.3, 100, 400_000),
    "public_sector": (800, 1.4, 20, 300_000),
}


@dataclass(frozen=True)
class Calibration:
    """Mechanism constants solved from the scenario's planted expectations."""

    spend_sigma: float
    rel_intercept: float
    ps_intercept: float
    key_threshold: float  # intercept of the key-account screen (log-odds)
    online_scale: float
    size_mean: float
    size_sd: float
    u_mean: float
    u_sd: float

    def to_dict(self) -> dict:
        """Plain dict (stored in the world's manifest)."""
        return asdict(self)


def draw_employees(rng: np.random.Generator, seg: np.ndarray) -> np.ndarray:
    """Employees per customer from its segment code (households count 1)."""
    emp = np.ones(len(seg), dtype=np.int64)
    z = rng.standard_normal(len(seg))
    for i, s in enumerate(SEGMENTS):
        med, sd, lo, hi = EMPLOYEES[s]
        m = seg == i
        emp[m] = np.clip(np.rint(med * np.exp(sd * z[m])), lo, hi).astype(np.int64)
    return emp


def size_score(employees: np.ndarray) -> np.ndarray:
    """Standardised log firm size."""
    return (np.log(employees) - SIZE_MU) / SIZE_SD


def draw_segments(rng: np.random.Generator, sc: Scenario, n: int) -> np.ndarray:
    """Segment codes (index into SEGMENTS) from the scenario's mix."""
    p = np.array([sc.segments.mix[s] for s in SEGMENTS])
    return (
        np.searchsorted(np.cumsum(p), rng.random(n) * p.sum(), side="right").clip(0, len(SEGMENTS) - 1).astype(np.int8)
    )


def key_logit(sc: Scenario, employees: np.ndarray, public: np.ndarray) -> np.ndarray:
    """Key-account screening log-odds without the intercept: size first, government and education as a
    special criterion (A2). ``segments.key_size_slope`` per ln(employee), ``segments.public_sector_key_bonus`` for public."""
    return sc.segments.key_size_slope * np.log(employees) + sc.segments.public_sector_key_bonus * public


def _bisect(f, lo: float, hi: float, target: float, iters: int = 50, increasing: bool = True) -> float:
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        if (f(mid) < target) == increasing:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def top_share(values: np.ndarray, frac: float = 0.2) -> float:
    """Share of the total held by the top ``frac`` of values."""
    v = np.sort(values)[::-1]
    k = max(1, int(round(frac * len(v))))
    return float(v[:k].sum() / v.sum())


def solve(sc: Scenario) -> Calibration:
    """Solve every mechanism constant for ``sc``; raise :class:`ParameterError` if a target is out of reach."""
    with ThreadPoolExecutor(2) as side:
        return _solve(sc, side)


def _solve(sc: Scenario, side: ThreadPoolExecutor) -> Calibration:
    seed = int.from_bytes(hashlib.sha256(sc.fingerprint().encode()).digest()[:8], "little")
    rng = np.random.default_rng(seed)
    n = N_CAL
    seg = draw_segments(rng, sc, n)
    emp = draw_employees(rng, seg)
    z = size_score(emp)
    # relationship orientation: logistic in standardised log size, intercept solved for the planted share
    size_mean, size_sd = float(z.mean()), float(z.std())
    zs = (z - size_mean) / size_sd
    u_rel = rng.random(n)
    link = sc.segments.relationship_size_link
    u_ps = rng.random(n)
    ps_job = side.submit(
        _bisect, lambda c: (u_ps < expit(c - 0.5 * z)).mean(), -20, 20, sc.segments.price_sensitive_share
    )
    # key accounts: a logistic screen among large customers (size first, public sector at a lower bar);
    # the intercept is solved for the planted key-account share. Key accounts are relationship-minded.
    public = seg == SEGMENTS.index("public_sector")
    large = seg >= SEGMENTS.index("large_enterprise")
    u_key = rng.random(n)
    kl = key_logit(sc, emp, public)
    target_key = sc.segments.key_account_share
    if large.mean() * 0.95 < target_key:
        raise ParameterError(
            "segments.key_account_share",
            f"{target_key} is more than the large customers can supply (at most {0.95 * large.mean():.4f} with this mix)",
        )
    thr = _bisect(lambda c: (large & (u_key < expit(c + kl))).mean(), -60, 60, target_key)
    key = large & (u_key < expit(thr + kl))
    rel_job = side.submit(
        _bisect, lambda c: ((u_rel < expit(c + link * zs)) | key).mean(), -20, 20, sc.segments.relationship_share
    )
    # spend heterogeneity: sigma solved so that the top 20 % hold the planted share of revenue
    w = sc.spend.size_weight
    eps = rng.standard_normal(n)
    u = w * zs + np.sqrt(1 - w * w) * eps + 0.5 * key
    u_mean, u_sd = float(u.mean()), float(u.std())
    u = (u - u_mean) / u_sd
    mov = sc.spend.base_order_value
    n_orders = _surrogate_orders(rng, sc, n).astype(np.int64)
    # order-size noise is drawn per order (as the generator does), then summed per customer
    owner = np.repeat(np.arange(n), n_orders)
    noise_sum = np.bincount(owner, weights=np.exp(0.25 * rng.standard_normal(owner.size) - 0.03125), minlength=n)
    base = mov * noise_sum

    def share(sig: float) -> float:
        return top_share(base * np.exp(sig * u))

    lo_share, hi_share = share(0.0), share(4.0)
    t20 = sc.spend.top20_share
    if not lo_share <= t20 <= hi_share:
        raise ParameterError(
            "spend.top20_share",
            f"{t20} is out of reach for this scenario: allowed here between {lo_share:.3f} (no extra heterogeneity) and {hi_share:.3f}",
        )
    sigma = _bisect(share, 0.0, 4.0, t20)
    # channel scale: online revenue share
    rev = base * np.exp(sigma * u - sigma**2 / 2)
    p_on = BASE_ONLINE[seg]

    def online(theta: float) -> float:
        return float((rev * np.minimum(0.98, theta * p_on)).sum() / rev.sum())

    target_on = sc.channels.online_revenue_share
    if online(100.0) < target_on:
        raise ParameterError(
            "channels.online_revenue_share", f"{target_on} is out of reach (at most {online(100.0):.3f})"
        )
    theta = _bisect(online, 0.0, 100.0, target_on)
    ps_c, rel_c = ps_job.result(), rel_job.result()
    return Calibration(
        float(sigma), float(rel_c), float(ps_c), float(thr), float(theta), size_mean, size_sd, u_mean, u_sd
    )


def _surrogate_orders(rng: np.random.Generator, sc: Scenario, n: int) -> np.ndarray:
    """Orders per customer over the window under the BG/NBD-style process (no support feedback)."""
    p = sc.purchase
    years = (sc.world.end - sc.world.start).days / DAYS_PER_YEAR
    lam = rng.gamma(p.rate_shape, p.rate_mean / p.rate_shape, n)
    a = p.dropout_mean * p.dropout_concentration
    b = (1 - p.dropout_mean) * p.dropout_concentration
    drop = rng.beta(a, b, n)
    initial = rng.random(n) < p.initial_share
    acq = acquisition_years(rng, p.acquisition_growth, years, n)
    exposure = np.where(initial, years, years - acq)
    k = rng.geometric(drop)  # purchases until dropout, counting the last
    repeats = np.minimum(rng.poisson(lam * exposure), np.where(initial, k, k - 1))
    return np.where(initial, repeats, 1 + repeats).astype(float)


def acquisition_years(rng: np.random.Generator, growth: float, years: float, n: int) -> np.ndarray:
    """Acquisition times (years from world start) with exponential growth of the acquisition rate."""
    uu = rng.random(n)
    if abs(growth) < 1e-9:
        return uu * years
    g = np.log1p(growth)
    return np.log1p(uu * np.expm1(g * years)) / g
