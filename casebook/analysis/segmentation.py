"""Customer segmentation helpers for chapter 01 (claims A1-A12).

What is here
------------
- Concentration: :func:`top_share`, :func:`lorenz_curve`, :func:`gini`.
- Intervals (shares and single statistics: :mod:`casebook.analysis.intervals`):
  :func:`bootstrap_ratio_of_sums` (e.g. revenue per customer-year of one group
  over another's).
- Latent classes: :func:`fit_latent_class` fits a two-class model to observed
  behaviour by EM. Each indicator is a :class:`Binomial` count (``k`` of ``n``
  orders took a promotion) or a :class:`Poisson` count with an exposure
  (CRM contacts over the years a customer was active); parameters may differ by
  ``groups`` (e.g. small vs large customers). The class prior may depend on
  covariates through a logistic regression (a *latent class regression*), so
  "R-type customers are usually larger" is estimated inside the model rather
  than after a noisy hard assignment. Customers whose class is known can be
  clamped (``known``). :func:`bootstrap_latent_class` gives percentile intervals
  for any function of the fit (warm-started from the full-sample fit).
- Exposure: :func:`fit_p_alive` (MBG/NBD chance that a customer is still active),
  to weigh how long CRM contacts could accrue.
- Quarterly re-segmentation: :func:`cumulative_counts` (each customer's running
  totals per period), :func:`migration_matrix` (counts of tier moves
  between consecutive periods) and :func:`active_share_by_period` with
  :func:`bootstrap_period_share` (a share among each period's active customers,
  averaged over periods, customers resampled).
- Detection: :func:`detection_weights` (Horvitz-Thompson weights for accounts found
  only when at least one of their orders was announced, e.g. in a sales pipeline).
- Clustering: :func:`rfm_table`, :func:`rfm_scores`, :func:`choose_k_by_silhouette`.

Everything is deterministic given its ``seed`` / ``random_state``.

References
----------
- Goodman, L. A. (1974). Exploratory latent structure analysis using both
  identifiable and unidentifiable models. *Biometrika* 61(2), 215-231.
- Dayton, C. M. & Macready, G. B. (1988). Concomitant-variable latent-class
  models. *JASA* 83(401), 173-178 (the logistic class prior).
- Batislam, E. P., Denizel, M. & Filiztekin, A. (2007). Empirical validation and
  comparison of models for customer base analysis. *International Journal of
  Research in Marketing* 24(3), 201-209 (the MBG/NBD).
- Hubert, L. & Arabie, P. (1985). Comparing partitions. *Journal of
  Classification* 2, 193-218 (adjusted Rand index).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import expit, xlogy

from .intervals import from_draws as _from_draws
from .retention import fit_mbgnbd

__all__ = [
    "top_share",
    "lorenz_curve",
    "gini",
    "bootstrap_ratio_of_sums",
    "Binomial",
    "Poisson",
    "LatentClassFit",
    "fit_latent_class",
    "bootstrap_latent_class",
    "fit_p_alive",
    "one_class_bic",
    "migration_matrix",
    "cumulative_counts",
    "active_share_by_period",
    "bootstrap_period_share",
    "rfm_table",
    "rfm_scores",
    "choose_k_by_silhouette",
    "detection_weights",
    "bootstrap_top_share",
]


# --------------------------------------------------------------------------- concentration
def top_share(values: np.ndarray, frac: float = 0.2) -> float:
    """Share of the total held by the top ``frac`` of units (e.g. revenue of the top 20 % of customers).

    Units with zero value count in the base: the top 20 % of 1,000 customers is
    200 customers whatever their spend. ``frac`` in (0, 1].
    """
    v = np.asarray(values, float)
    if v.ndim != 1 or v.size == 0:
        raise ValueError("values must be a non-empty 1-d array")
    if not 0 < frac <= 1:
        raise ValueError(f"frac must be in (0, 1] (got {frac})")
    if (v < 0).any():
        raise ValueError("values must be non-negative")
    total = v.sum()
    if total <= 0:
        raise ValueError("values sum to zero")
    k = max(1, int(round(frac * v.size)))
    return float(np.partition(v, v.size - k)[v.size - k :].sum() / total)


def lorenz_curve(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lorenz curve, largest units first: (share of units, share of the total they hold), from (0, 0)."""
    v = np.sort(np.asarray(values, float))[::-1]
    x = np.arange(v.size + 1) / v.size
    y = np.concatenate([[0.0], np.cumsum(v) / v.sum()])
    return x, y


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0: everyone equal; near 1: one unit holds everything)."""
    v = np.sort(np.asarray(values, float))
    n = v.size
    if n == 0 or v.sum() <= 0:
        raise ValueError("values must be non-empty with a positive sum")
    i = np.arange(1, n + 1)
    return float((2 * (i * v).sum()) / (n * v.sum()) - (n + 1) / n)


# --------------------------------------------------------------------------- intervals


def _boot_weights(n: int, n_boot: int, rng: np.random.Generator, chunk: int) -> np.ndarray:
    """``chunk`` rows of bootstrap resampling counts (each row sums to ``n``)."""
    idx = rng.integers(0, n, size=(chunk, n)) + (np.arange(chunk) * n)[:, None]
    return np.bincount(idx.ravel(), minlength=chunk * n).reshape(chunk, n).astype(np.float32)


def bootstrap_ratio_of_sums(
    num: np.ndarray,
    den: np.ndarray,
    group_a: np.ndarray,
    group_b: np.ndarray,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float, float]:
    """Ratio ``(sum num / sum den over group a) / (sum num / sum den over group b)`` with a bootstrap interval.

    E.g. revenue per customer-year of key accounts over that of all other customers:
    ``num`` = revenue, ``den`` = years observed, ``group_a`` = key, ``group_b`` = not key.
    Customers are resampled with replacement. Returns ``(estimate, low, high)``.
    """
    num, den = np.asarray(num, float), np.asarray(den, float)
    a, b = np.asarray(group_a, bool), np.asarray(group_b, bool)
    cols = np.column_stack([num * a, den * a, num * b, den * b])

    def ratio(s):
        return (s[..., 0] / s[..., 1]) / (s[..., 2] / s[..., 3])

    est = float(ratio(cols.sum(0)))
    rng = np.random.default_rng(seed)
    reps = []
    chunk = max(1, min(n_boot, 2_000_000 // max(1, num.size)))
    done = 0
    while done < n_boot:
        m = min(chunk, n_boot - done)
        w = _boot_weights(num.size, m, rng, m)
        reps.append(ratio(w @ cols))
        done += m
    reps = np.concatenate(reps)
    q = (1 - level) / 2
    lo, hi = np.quantile(reps, [q, 1 - q])
    return est, float(lo), float(hi)


# --------------------------------------------------------------------------- latent classes
@dataclass
class Binomial:
    """Indicator: ``k`` successes out of ``n`` trials per customer (``n`` may be 0: no information).

    ``groups`` (optional, integer codes 0..G-1) lets the success chance differ by group
    as well as by class.
    """

    k: np.ndarray
    n: np.ndarray
    groups: np.ndarray | None = None
    name: str = "binomial"


@dataclass
class Poisson:
    """Indicator: a ``count`` per customer over an ``exposure`` (e.g. contacts over active years).

    Rates differ by class and, optionally, by ``groups``. When the exposure itself is
    uncertain, give a second candidate ``exposure_alt`` and the chance ``p_alt`` that it is
    the right one (e.g. contacts accrue until the last order if the customer has left, or
    until the end of the window with probability P(alive)): the count's likelihood is then
    the two-point mixture ``(1 - p_alt) Pois(rate x exposure) + p_alt Pois(rate x exposure_alt)``.
    """

    count: np.ndarray
    exposure: np.ndarray
    groups: np.ndarray | None = None
    name: str = "poisson"
    exposure_alt: np.ndarray | None = None
    p_alt: np.ndarray | None = None


@dataclass
class LatentClassFit:
    """Result of :func:`fit_latent_class` (class 1 is the class with the higher first-indicator rate).

    Attributes:
        coef: logistic coefficients of P(class 1 | covariates) (intercept first).
        params: per indicator, an array (2, G) of success chances (Binomial) or rates (Poisson), class 0 row first.
        posterior: P(class 1 | a customer's data) for every customer.
        prior: P(class 1 | covariates) for every customer.
        loglik: log-likelihood at the optimum (without terms that do not depend on parameters).
        n_params: number of free parameters (for :attr:`bic`).
        n_iter, converged: EM iterations and whether the tolerance was met.
    """

    coef: np.ndarray
    params: list[np.ndarray]
    posterior: np.ndarray
    prior: np.ndarray
    loglik: float
    n_params: int
    n_iter: int
    converged: bool
    names: list[str] = field(default_factory=list)

    @property
    def share(self) -> float:
        """Estimated share of customers in class 1 (mean prior = mean posterior at the optimum)."""
        return float(self.prior.mean())

    @property
    def bic(self) -> float:
        """Bayesian information criterion (smaller is better)."""
        return float(-2 * self.loglik + self.n_params * np.log(self.posterior.size))

    def classify(self, threshold: float = 0.5) -> np.ndarray:
        """Hard assignment: True where P(class 1 | data) > threshold."""
        return self.posterior > threshold


def _n_of(ind) -> int:
    """Number of customers an indicator describes."""
    if isinstance(ind, Binomial):
        return np.asarray(ind.k).size
    if isinstance(ind, Poisson):
        return np.asarray(ind.count).size
    raise TypeError(f"indicator must be Binomial or Poisson (got {type(ind).__name__})")


def _groups(ind, n: int) -> tuple[np.ndarray, int]:
    g = np.zeros(n, np.int64) if ind.groups is None else np.asarray(ind.groups, np.int64)
    if g.shape != (n,) or (g < 0).any():
        raise ValueError(f"{ind.name}: groups must be non-negative integer codes, one per customer")
    return g, int(g.max()) + 1


def _check(indicators: Sequence, n: int) -> list[tuple]:
    out = []
    for ind in indicators:
        _n_of(ind)  # type check
        g, G = _groups(ind, n)
        if isinstance(ind, Binomial):
            k, t = np.asarray(ind.k, float), np.asarray(ind.n, float)
            if k.shape != (n,) or t.shape != (n,) or (k < 0).any() or (k > t).any():
                raise ValueError(f"{ind.name}: need 0 <= k <= n, one value per customer")
            out.append(("b", k, t, g, G))
        elif isinstance(ind, Poisson):
            c, e = np.asarray(ind.count, float), np.asarray(ind.exposure, float)
            if c.shape != (n,) or e.shape != (n,) or (c < 0).any() or (e < 0).any():
                raise ValueError(f"{ind.name}: counts and exposures must be non-negative, one per customer")
            if (ind.exposure_alt is None) != (ind.p_alt is None):
                raise ValueError(f"{ind.name}: give both exposure_alt and p_alt, or neither")
            if ind.exposure_alt is None:
                out.append(("p", c, e, g, G))
            else:
                e2, pa = np.asarray(ind.exposure_alt, float), np.asarray(ind.p_alt, float)
                if e2.shape != (n,) or pa.shape != (n,) or (e2 < 0).any() or (pa < 0).any() or (pa > 1).any():
                    raise ValueError(
                        f"{ind.name}: exposure_alt must be non-negative and p_alt in [0, 1], one per customer"
                    )
                out.append(("m", c, (e, e2, pa), g, G))
        else:
            raise TypeError(f"indicator must be Binomial or Poisson (got {type(ind).__name__})")
    return out


def _pois_ll(count: np.ndarray, mu: np.ndarray) -> np.ndarray:
    return xlogy(count, np.maximum(mu, 1e-300)) - mu


def _mix_parts(ind: tuple, par: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For a two-exposure Poisson: (n, 2) log-likelihood per class and (n, 2) P(exposure_alt | class, count)."""
    _, c, (e1, e2, pa), g, _ = ind
    th = np.maximum(par[:, g].T, 1e-12)
    l1 = np.log1p(-np.minimum(pa, 1 - 1e-15))[:, None] + _pois_ll(c[:, None], th * e1[:, None])
    l2 = np.log(np.maximum(pa, 1e-300))[:, None] + _pois_ll(c[:, None], th * e2[:, None])
    mx = np.maximum(l1, l2)
    ll = mx + np.log(np.exp(l1 - mx) + np.exp(l2 - mx))
    return ll, np.exp(l2 - ll)


def _class_loglik(ind: tuple, par: np.ndarray) -> np.ndarray:
    """(n, 2) log-likelihood of one indicator under each class."""
    kind, a, b, g, _ = ind
    if kind == "m":
        return _mix_parts(ind, par)[0]
    th = par[:, g].T  # (n, 2)
    if kind == "b":
        th = np.clip(th, 1e-9, 1 - 1e-9)
        return xlogy(a[:, None], th) + xlogy((b - a)[:, None], 1 - th)
    th = np.maximum(th, 1e-12)
    return _pois_ll(a[:, None], th * b[:, None])


def _m_step(ind: tuple, post: np.ndarray, par_old: np.ndarray | None = None) -> np.ndarray:
    """Weighted maximum-likelihood rates per (class, group); empty cells fall back to the class's pooled rate.

    For a two-exposure Poisson the expected exposure (given class and count, at ``par_old``)
    replaces the exposure: one EM step for the exposure's latent choice.
    """
    kind, a, b, g, G = ind
    if kind == "m":
        e1, e2, pa = b
        if par_old is None:
            q = np.column_stack([pa, pa])
        else:
            q = _mix_parts(ind, par_old)[1]
        expo = [(1 - q[:, c]) * e1 + q[:, c] * e2 for c in (0, 1)]
    else:
        expo = [b, b]
    par = np.empty((2, G))
    for c, w in enumerate((1 - post, post)):
        num = np.bincount(g, weights=w * a, minlength=G)
        den = np.bincount(g, weights=w * expo[c], minlength=G)
        pooled = (w * a).sum() / max((w * expo[c]).sum(), 1e-12)
        par[c] = np.where(den > 1e-9, num / np.maximum(den, 1e-12), pooled)
    return par


def _logistic_step(X: np.ndarray, y: np.ndarray, beta: np.ndarray, steps: int = 2) -> np.ndarray:
    """A few Newton steps of a logistic regression with fractional targets ``y``."""
    for _ in range(steps):
        p = expit(X @ beta)
        grad = X.T @ (y - p)
        hess = (X * (p * (1 - p))[:, None]).T @ X + 1e-8 * np.eye(X.shape[1])
        beta = beta + np.linalg.solve(hess, grad)
    return beta


def fit_latent_class(
    indicators: Sequence[Binomial | Poisson],
    covariates: np.ndarray | None = None,
    known: np.ndarray | None = None,
    init: LatentClassFit | np.ndarray | None = None,
    max_iter: int = 500,
    tol: float = 1e-8,
) -> LatentClassFit:
    """Two-class latent class (regression) model fitted by EM.

    Args:
        indicators: observed behaviours, each a :class:`Binomial` or :class:`Poisson`,
            assumed independent given the class (and group).
        covariates: optional (n, p) array; the class prior is logistic in an intercept plus these.
        known: optional array of 0/1 with NaN where unknown: customers whose class is known
            (their posterior is clamped; they still inform the prior and, through their groups, the rates).
        init: a previous fit (warm start) or an initial posterior P(class 1) per customer.
            By default customers start in class 1 when their first indicator's rate is above its median.
        max_iter, tol: EM stops when the log-likelihood gains less than ``tol`` per customer.

    Returns a :class:`LatentClassFit`; class 1 is the class whose first indicator rate
    (averaged over groups) is higher.
    """
    if not indicators:
        raise ValueError("give at least one indicator")
    n = _n_of(indicators[0])
    inds = _check(indicators, n)
    X = np.ones((n, 1)) if covariates is None else np.column_stack([np.ones(n), np.asarray(covariates, float)])
    if X.shape[0] != n:
        raise ValueError("covariates need one row per customer")
    kn = None if known is None else np.asarray(known, float)
    clamp = None if kn is None else ~np.isnan(kn)
    # starting posterior
    if isinstance(init, LatentClassFit):
        post = init.posterior.copy()
        beta = init.coef.copy()
    else:
        if init is None:
            kind, a, b, _, _ = inds[0]
            if kind == "m":
                b = (1 - b[2]) * b[0] + b[2] * b[1]
            rate = np.where(b > 0, a / np.where(b > 0, b, 1), np.nan)
            med = np.nanmedian(rate)
            post = np.where(np.isnan(rate), 0.5, np.where(rate > med, 0.75, 0.25))
        else:
            post = np.asarray(init, float).copy()
        beta = np.zeros(X.shape[1])
    if clamp is not None:
        post[clamp] = kn[clamp]
    ll_old = -np.inf
    converged = False
    params = [init.params[j].copy() if isinstance(init, LatentClassFit) else None for j in range(len(inds))]
    for it in range(1, max_iter + 1):  # noqa: B007 (read after the loop)
        params = [_m_step(ind, post, old) for ind, old in zip(inds, params)]
        beta = _logistic_step(X, post, beta)
        prior = np.clip(expit(X @ beta), 1e-12, 1 - 1e-12)
        lc = np.column_stack([np.log1p(-prior), np.log(prior)])
        for ind, par in zip(inds, params):
            lc = lc + _class_loglik(ind, par)
        if clamp is not None:
            lc[clamp & (kn == 1), 0] = -np.inf
            lc[clamp & (kn == 0), 1] = -np.inf
        mx = lc.max(1)
        ll_i = mx + np.log(np.exp(lc[:, 0] - mx) + np.exp(lc[:, 1] - mx))
        post = np.exp(lc[:, 1] - ll_i)
        ll = float(ll_i.sum())
        if ll - ll_old < tol * n:
            converged = True
            break
        ll_old = ll
    # label classes: class 1 has the higher first-indicator rate
    if params[0][1].mean() < params[0][0].mean() and clamp is None:
        params = [p[::-1].copy() for p in params]
        post = 1 - post
        beta = -beta
        prior = 1 - prior
    n_params = X.shape[1] + sum(2 * ind[4] for ind in inds)
    return LatentClassFit(
        coef=beta,
        params=params,
        posterior=post,
        prior=prior,
        loglik=ll,
        n_params=n_params,
        n_iter=it,
        converged=converged,
        names=[i.name for i in indicators],
    )


def one_class_bic(indicators: Sequence[Binomial | Poisson]) -> float:
    """BIC of the one-class model (no latent structure), comparable with :attr:`LatentClassFit.bic`."""
    n = _n_of(indicators[0])
    inds = _check(indicators, n)
    ll, k = 0.0, 0
    for ind in inds:
        par = None
        for _ in range(200 if ind[0] == "m" else 1):
            par = _m_step(ind, np.zeros(n), par)
            par[1] = par[0]
        ll += float(_class_loglik(ind, par)[:, 0].sum())
        k += ind[4]
    return float(-2 * ll + k * np.log(n))


def _take(ind, idx):
    g = None if ind.groups is None else np.asarray(ind.groups)[idx]
    if isinstance(ind, Binomial):
        return Binomial(np.asarray(ind.k)[idx], np.asarray(ind.n)[idx], g, ind.name)
    alt = None if ind.exposure_alt is None else np.asarray(ind.exposure_alt)[idx]
    pa = None if ind.p_alt is None else np.asarray(ind.p_alt)[idx]
    return Poisson(np.asarray(ind.count)[idx], np.asarray(ind.exposure)[idx], g, ind.name, alt, pa)


def bootstrap_latent_class(
    fit: LatentClassFit,
    indicators: Sequence[Binomial | Poisson],
    stats: Callable[[LatentClassFit, np.ndarray], Sequence[float]],
    covariates: np.ndarray | None = None,
    known: np.ndarray | None = None,
    n_boot: int = 100,
    seed: int = 0,
    level: float = 0.95,
    max_iter: int = 200,
    tol: float = 1e-7,
) -> np.ndarray:
    """Percentile intervals of ``stats(fit, idx)`` over customer-resampled refits.

    Each replicate resamples customers (index array ``idx``), refits warm-started from
    ``fit`` (its posterior, class profiles and prior coefficients, so a refit needs a few EM
    steps, not a cold start) and calls ``stats(refit, idx)``. Returns an array (n_stats, 2) of
    (low, high).
    """
    from dataclasses import replace

    rng = np.random.default_rng(seed)
    n = fit.posterior.size
    reps = []
    for _ in range(n_boot):
        idx = rng.integers(0, n, n)
        inds = [_take(i, idx) for i in indicators]
        cov = None if covariates is None else np.asarray(covariates)[idx]
        kn = None if known is None else np.asarray(known, float)[idx]
        warm = replace(fit, posterior=fit.posterior[idx], prior=fit.prior[idx])
        f = fit_latent_class(inds, cov, kn, init=warm, max_iter=max_iter, tol=tol)
        reps.append(np.asarray(stats(f, idx), float))
    reps = np.array(reps)
    q = (1 - level) / 2
    return np.quantile(reps, [q, 1 - q], axis=0).T


# --------------------------------------------------------------------------- quarterly re-segmentation
def migration_matrix(tiers: pd.DataFrame, order: Sequence[str] | None = None) -> pd.DataFrame:
    """Counts of moves from each tier to each tier between consecutive periods, pooled over periods.

    ``tiers``: one row per customer, one column per period (in time order), tier labels as values
    (NaN where the customer is not tiered that period: moves from or to NaN are not counted).
    Returns a square DataFrame ``from`` x ``to``.
    """
    labels = list(order) if order is not None else sorted(pd.unique(tiers.stack().dropna()))
    cols = list(tiers.columns)
    frm = pd.concat([tiers[a] for a in cols[:-1]], ignore_index=True)
    to = pd.concat([tiers[b] for b in cols[1:]], ignore_index=True)
    ok = frm.notna() & to.notna()
    m = pd.crosstab(pd.Categorical(frm[ok], labels), pd.Categorical(to[ok], labels), dropna=False)
    m.index.name, m.columns.name = "from", "to"
    return m.reindex(index=labels, columns=labels, fill_value=0)


def cumulative_counts(
    customer_pos: np.ndarray,
    period_pos: np.ndarray,
    n_customers: int,
    n_periods: int,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """(n_customers, n_periods) running totals: events (or ``weights``) of each customer up to each period.

    ``customer_pos`` and ``period_pos`` are integer positions (0-based) of each event, e.g. each
    order's customer row and quarter; events before period 0 should be clipped to 0 by the caller.
    """
    c = np.asarray(customer_pos, np.int64)
    p = np.asarray(period_pos, np.int64)
    if c.shape != p.shape or (c < 0).any() or (c >= n_customers).any() or (p < 0).any() or (p >= n_periods).any():
        raise ValueError("positions out of range")
    flat = np.bincount(c * n_periods + p, weights=weights, minlength=n_customers * n_periods)
    return np.cumsum(flat.reshape(n_customers, n_periods), axis=1)


def active_share_by_period(active: np.ndarray, flag: np.ndarray) -> np.ndarray:
    """Share of flagged customers among each period's active customers.

    ``active``: (n_customers, n_periods) booleans; ``flag``: (n_customers,) booleans, or
    (n_customers, n_periods) when the flag is re-assessed every period.
    """
    A = np.asarray(active, float)
    f = np.asarray(flag, float)
    f = np.broadcast_to(f[:, None] if f.ndim == 1 else f, A.shape)
    return (f * A).sum(0) / A.sum(0)


def bootstrap_period_share(
    active: np.ndarray, flag: np.ndarray, n_boot: int = 500, seed: int = 0, level: float = 0.95
) -> tuple[float, float, float]:
    """Mean over periods of :func:`active_share_by_period`, with a customer-bootstrap interval.

    Customers (rows) are resampled with replacement, keeping each customer's whole history.
    Returns ``(estimate, low, high)``.
    """
    A = np.asarray(active, np.float32)
    f = np.asarray(flag, np.float32)
    FA = (np.broadcast_to(f[:, None] if f.ndim == 1 else f, A.shape) * A).astype(np.float32)
    if (A.sum(0) == 0).any():
        raise ValueError("every period needs at least one active customer")
    est = float(active_share_by_period(A, f).mean())
    rng = np.random.default_rng(seed)
    n = A.shape[0]
    reps = []
    chunk = max(1, min(n_boot, 2_000_000 // max(1, n)))
    done = 0
    while done < n_boot:
        m = min(chunk, n_boot - done)
        w = _boot_weights(n, m, rng, m)
        den = w @ A
        reps.append(np.nanmean((w @ FA) / np.where(den > 0, den, np.nan), axis=1))
        done += m
    reps = np.concatenate(reps)
    q = (1 - level) / 2
    lo, hi = np.quantile(reps, [q, 1 - q])
    return est, float(lo), float(hi)


# --------------------------------------------------------------------------- RFM and clustering
def rfm_table(
    orders: pd.DataFrame,
    asof: pd.Timestamp,
    customer: str = "customer_id",
    date: str = "order_date",
    value: str = "revenue",
) -> pd.DataFrame:
    """Recency (days since the last order at ``asof``), frequency (orders) and monetary value (mean order value).

    One row per customer with at least one order on or before ``asof``, indexed by customer.
    """
    o = orders.loc[orders[date] <= asof]
    g = o.groupby(customer, sort=True)
    out = pd.DataFrame(
        {
            "recency_days": (asof - g[date].max()).dt.days.astype(float),
            "frequency": g.size().astype(float),
            "monetary": g[value].mean(),
        }
    )
    return out


def rfm_scores(rfm: pd.DataFrame, q: int = 5) -> pd.DataFrame:
    """Quintile scores 1..q (q best): recent, frequent and high-value customers score high.

    Ties are broken by rank order (``method="first"``) so every score is used.
    """

    def score(s, best_high=True):
        r = s.rank(method="first", ascending=best_high)
        return pd.qcut(r, q, labels=False).astype(int) + 1

    out = pd.DataFrame(
        {
            "R": score(rfm["recency_days"], best_high=False),
            "F": score(rfm["frequency"]),
            "M": score(rfm["monetary"]),
        },
        index=rfm.index,
    )
    out["RFM"] = out["R"] * 100 + out["F"] * 10 + out["M"]
    return out


def choose_k_by_silhouette(
    X: np.ndarray, ks: Sequence[int] = range(2, 9), random_state: int = 0, sample_size: int = 3000, n_init: int = 4
) -> tuple[int, pd.Series]:
    """Fit k-means for each k and score it by the silhouette (on a seeded sample of ``sample_size`` points).

    Returns ``(best_k, silhouette by k)``.
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    scores = {}
    for k in ks:
        km = KMeans(n_clusters=k, n_init=n_init, random_state=random_state).fit(X)
        scores[k] = silhouette_score(X, km.labels_, sample_size=min(sample_size, len(X)), random_state=random_state)
    s = pd.Series(scores, name="silhouette")
    s.index.name = "k"
    return int(s.idxmax()), s


# --------------------------------------------------------------------------- still active? (for exposures)
def fit_p_alive(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> tuple[np.ndarray, dict]:
    """P(still active at the end) per customer from a MBG/NBD purchase model, fitted by maximum likelihood.

    The MBG/NBD (Batislam, Denizel & Filiztekin 2007) is the BG/NBD with one change: a
    customer may leave right after *any* purchase, the first one included, so a one-order
    customer is not certain to be active (in the BG/NBD they are). Customers buy at a
    Poisson rate while active (rates gamma(r, alpha) across customers) and leave after a
    purchase with chance p (beta(a, b) across customers). The fit is
    :func:`casebook.retention.fit_mbgnbd` (chapter 02's model); its standard errors are
    not needed here, so a warning that they are undefined is not passed on.

    Args:
        x: repeat purchases (orders after the first), t_x: time of the last purchase after
        the first, T: time from the first purchase to the end of the window (same unit).

    Returns ``(p_alive, params)`` with params ``{"r", "alpha", "a", "b"}``.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="fit_mbgnbd: the observed information", category=RuntimeWarning)
        fit = fit_mbgnbd(x, t_x, T)
    return np.asarray(fit.p_alive(), dtype=float), dict(fit.params)


def _poisson1_table(bits: int = 16) -> np.ndarray:
    """Poisson(1) quantiles at 2**bits equally spaced probabilities: indexing it with uniform integers draws
    Poisson(1) weights (to within 2**-bits in probability) several times faster than ``Generator.poisson``."""
    from scipy.stats import poisson

    u = (np.arange(2**bits) + 0.5) / 2**bits
    return poisson.ppf(u, 1.0).astype(np.float32)


_POISSON1_TABLE = _poisson1_table()


def bootstrap_top_share(
    values: np.ndarray, frac: float = 0.2, n_boot: int = 1000, seed: int = 0, level: float = 0.95, chunk: int = 50
) -> tuple[float, float, float]:
    """:func:`top_share` with a Poisson-weight bootstrap interval: ``(estimate, low, high)``.

    Each replicate weights every customer by a Poisson(1) count (the large-sample equivalent of
    resampling customers), drawn from a quantile table; the values are sorted once, so a replicate is
    two cumulative sums, not a sort. The top ``frac`` of a replicate are the largest customers up to ``frac`` of its total weight.
    """
    v = np.sort(np.asarray(values, float))[::-1]
    est = top_share(v, frac)
    rng = np.random.default_rng(seed)
    reps = []
    for start in range(0, n_boot, chunk):
        w = _POISSON1_TABLE[
            rng.integers(0, _POISSON1_TABLE.size, size=(min(chunk, n_boot - start), v.size), dtype=np.uint16)
        ]
        cw = np.cumsum(w, axis=1)
        top = cw <= frac * cw[:, -1:]
        wv = w * v.astype(np.float32)
        reps.append((wv * top).sum(axis=1, dtype=np.float64) / wv.sum(axis=1, dtype=np.float64))
    iv = _from_draws(est, np.concatenate(reps), level)
    return iv.estimate, iv.low, iv.high


# --------------------------------------------------------------------------- detection by announced orders
def detection_weights(orders: np.ndarray, announced: np.ndarray) -> tuple[float, np.ndarray]:
    """Chance ``f`` that an order is announced, and Horvitz-Thompson weights of the detected accounts.

    An account is *detected* when at least one of its ``orders`` was announced (``announced`` >= 1 of
    them). Given detection the announced count is a zero-truncated binomial; ``f`` is its maximum-likelihood
    estimate, and each detected account stands for ``1 / (1 - (1 - f) ** orders)`` accounts (the ones whose
    orders all went unannounced are missing). Returns ``(f, weights)``.
    """
    from scipy.optimize import minimize_scalar

    k = np.asarray(orders, float)
    a = np.asarray(announced, float)
    if k.shape != a.shape or k.size == 0:
        raise ValueError("orders, announced: need two non-empty arrays of the same length")
    if np.any(a < 1) or np.any(a > k):
        raise ValueError("announced: every detected account needs 1 <= announced <= orders")

    def nll(f: float) -> float:
        return -float(np.sum(xlogy(a, f) + xlogy(k - a, 1 - f) - np.log1p(-((1 - f) ** k))))

    f = float(minimize_scalar(nll, bounds=(1e-6, 1 - 1e-9), method="bounded").x)
    return f, 1.0 / (1.0 - (1.0 - f) ** k)
