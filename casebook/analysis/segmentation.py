"""Customer segmentation helpers for chapter 01 (claims A1-A12).

What is here
------------
- Concentration: :func:`top_share`, :func:`lorenz_curve`, :func:`gini`.
- Intervals (shares and single statistics: :mod:`casebook.analysis.intervals`):
  :func:`bootstrap_ratio_of_sums` (e.g. revenue per customer-year of one group
  over another's), :func:`poisson_bootstrap_many` (several statistics of column sums from
  one set of Poisson-weight draws: one pass over a million customers serves them all),
  :func:`bootstrap_top_share` / :func:`bootstrap_top_shares`.
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
  EM works on *patterns*: customers with identical data collapse to one row weighted by
  their count (exactly the same fit), rows sorted by group so per-group sums are slices;
  a bootstrap refit is the same weighted EM with the resampling counts as weights, so its
  work grows with the distinct patterns drawn, not with the customers. Hand-written because
  no library fits latent class regressions with binomial/Poisson (two-exposure) indicators,
  groups, clamped classes and frequency weights (poLCA and depmixS4 are R; scikit-learn's
  mixtures are Gaussian).
- Exposure: :func:`fit_p_alive` (MBG/NBD chance that a customer is still active),
  to weigh how long CRM contacts could accrue.
- Quarterly re-segmentation: :func:`cumulative_counts` (each customer's running
  totals per period), :func:`migration_matrix` / :func:`migration_counts` (counts of tier moves
  between consecutive periods, from labels or integer codes) and :func:`active_share_by_period` with
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

import functools
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import expit, xlogy
from threadpoolctl import threadpool_limits

from .intervals import Interval
from .intervals import from_draws as _from_draws
from .retention import fit_mbgnbd


def _one_blas_thread(fn):
    """Run ``fn`` with BLAS and OpenMP on one thread: its products are many short dot products (or
    small k-means steps), which multithreading slows down several times on a busy machine (two
    chapters on two cores)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with threadpool_limits(limits=1):
            return fn(*args, **kwargs)

    return wrapper


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
    "bootstrap_top_shares",
    "migration_counts",
    "poisson_bootstrap_many",
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
        weights: None (one row per customer) or, for a refit on weighted rows (see
            :func:`bootstrap_latent_class`), how many customers each row stands for.
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
    weights: np.ndarray | None = None

    @property
    def share(self) -> float:
        """Estimated share of customers in class 1 (mean prior = mean posterior at the optimum)."""
        return float(np.average(self.prior, weights=self.weights))

    @property
    def bic(self) -> float:
        """Bayesian information criterion (smaller is better)."""
        n = self.posterior.size if self.weights is None else self.weights.sum()
        return float(-2 * self.loglik + self.n_params * np.log(n))

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


def _patterns(columns: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Exact compression of rows: ``(code, first)`` with ``code[i]`` the pattern of row ``i`` and ``first[p]``
    a row of pattern ``p``. Rows are the same pattern only when every column is bitwise equal.

    The rows are hashed (one pass per column) and the hash is factorised; a check that every row equals its
    pattern's first row guards against hash collisions (then the slower exact ``np.unique`` is used).
    """
    cols = [
        np.ascontiguousarray(c)
        if np.asarray(c).dtype == np.uint64
        else np.ascontiguousarray(np.asarray(c, np.float64)).view(np.uint64)
        for c in columns
    ]
    n = cols[0].size
    h = np.full(n, 1469598103934665603, np.uint64)
    for c in cols:
        h = (h ^ c) * np.uint64(1099511628211)
        h ^= h >> np.uint64(29)
    code, _ = pd.factorize(h)
    code = code.astype(np.int64)
    seen = np.maximum.accumulate(np.concatenate([[-1], code[:-1]]))
    first = np.flatnonzero(code > seen)  # codes are numbered in order of first appearance
    if all(np.array_equal(c[first[code]], c) for c in cols):
        return code, first
    _, first, code = np.unique(np.column_stack(cols), axis=0, return_index=True, return_inverse=True)
    return code.ravel().astype(np.int64), first


@dataclass
class _Ind:
    """A checked indicator prepared for EM: data, group codes (``bounds`` when rows are sorted by group)
    and the parameter-free parts of its log-likelihood (computed once, not per EM step)."""

    kind: str  # "b" binomial, "p" Poisson, "m" Poisson with two candidate exposures
    a: np.ndarray  # successes / counts
    b: np.ndarray | tuple  # trials / exposure / (exposure, exposure_alt, p_alt)
    g: np.ndarray
    G: int
    pre: tuple = ()
    bounds: np.ndarray | None = None

    def take(self, rows: np.ndarray) -> _Ind:
        """The indicator on a subset of rows (kept in order)."""
        b = tuple(x[rows] for x in self.b) if self.kind == "m" else self.b[rows]
        return _Ind(self.kind, self.a[rows], b, self.g[rows], self.G, tuple(x[rows] for x in self.pre)).sorted()

    def sorted(self) -> _Ind:
        """Record group boundaries when the rows are sorted by group (sums become slices)."""
        if self.G > 1 and (np.diff(self.g) >= 0).all():
            self.bounds = np.searchsorted(self.g, np.arange(self.G + 1))
        return self

    def expand(self, vals: np.ndarray) -> np.ndarray:
        """Per-group values ``vals`` (G,) as one value per row."""
        if self.G == 1:
            return np.full(self.a.size, vals[0])
        return np.repeat(vals, np.diff(self.bounds)) if self.bounds is not None else vals[self.g]

    def group_sums(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """(G,) sums of ``x * y`` within each group."""
        if self.G == 1:
            return np.array([x @ y])
        if self.bounds is not None:
            return np.array([x[s:e] @ y[s:e] for s, e in zip(self.bounds[:-1], self.bounds[1:])])
        return np.bincount(self.g, weights=x * y, minlength=self.G)


def _prepare(ind: tuple) -> _Ind:
    kind, a, b, g, G = ind
    if kind == "b":
        return _Ind(kind, a, b, g, G, (b - a,)).sorted()
    e_list = (b,) if kind == "p" else (b[0], b[1])
    pre = []
    for j, e in enumerate(e_list):
        pos = e > 0  # a zero exposure: the floor mu = 1e-300 makes the term parameter-free
        const = np.where(pos, xlogy(a, np.where(pos, e, 1.0)), a * np.log(1e-300))
        if kind == "m":
            pa = b[2]
            const = const + (np.log1p(-np.minimum(pa, 1 - 1e-15)) if j == 0 else np.log(np.maximum(pa, 1e-300)))
        pre += [np.where(pos, a, 0.0), const]
    if kind == "m":
        pre.append(b[1] - b[0])
    return _Ind(kind, a, b, g, G, tuple(pre)).sorted()


@dataclass
class _Design:
    """The data of a latent class fit as EM uses it: one row per distinct pattern, with a weight."""

    inds: list[_Ind]
    X: np.ndarray
    kn: np.ndarray | None
    w: np.ndarray

    def rows(self, keep: np.ndarray, w: np.ndarray) -> _Design:
        """The design restricted to rows ``keep`` (ascending) with new weights ``w`` (one per kept row)."""
        return _Design([i.take(keep) for i in self.inds], self.X[keep], None if self.kn is None else self.kn[keep], w)


def _design(inds: list[tuple], covariates, known, n: int) -> tuple[_Design, np.ndarray | None, np.ndarray | None]:
    """Compressed design of checked indicators: customers with identical data (indicators, groups,
    covariates, known class) collapse to one row weighted by their count, rows sorted by group.
    Returns ``(design, code, first)``: ``code`` maps customers to rows and ``first`` rows to a customer
    (both None when the rows are the customers, in their order)."""
    X = np.ones((n, 1)) if covariates is None else np.column_stack([np.ones(n), np.asarray(covariates, float)])
    if X.shape[0] != n:
        raise ValueError("covariates need one row per customer")
    kn = None if known is None else np.asarray(known, float)
    cols = [X[:, j] for j in range(1, X.shape[1])] + ([] if kn is None else [kn])
    for kind, a, b, g, _ in inds:
        cols += [a, g.astype(float)] + (list(b) if kind == "m" else [b])
    code, first = _patterns(cols)
    if first.size > 0.9 * n:  # hardly any repeats: keep one row per customer
        code, first = np.arange(n), np.arange(n)
    groups = [g for _, _, _, g, G in inds if G > 1]
    if groups:  # rows sorted by group: per-group sums become slices
        order = np.lexsort([g[first] for g in groups[::-1]])
        first = first[order]
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        code = rank[code]
    if first.size == n and (first == np.arange(n)).all():
        code = first = None
        sub = [(k, a, b, g, G) for k, a, b, g, G in inds]
        w = np.ones(n)
    else:
        sub = [
            (k, a[first], tuple(x[first] for x in b) if k == "m" else b[first], g[first], G) for k, a, b, g, G in inds
        ]
        X, kn = X[first], None if kn is None else kn[first]
        w = np.bincount(code, minlength=first.size).astype(float)
    return _Design([_prepare(i) for i in sub], X, kn, w), code, first


def _class_loglik_fast(ind: _Ind, par: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """(2, n) log-likelihood of one indicator under each class and, for the two-exposure mixture, the
    (2, n) chance that the alternative exposure applies (given class and count); else None."""
    n = ind.a.size
    ll = np.empty((2, n))
    if ind.kind == "b":
        th = np.clip(par, 1e-9, 1 - 1e-9)
        lt, l1 = np.log(th), np.log1p(-th)
        for c in (0, 1):
            ll[c] = ind.a * ind.expand(lt[c]) + ind.pre[0] * ind.expand(l1[c])
        return ll, None
    th = np.maximum(par, 1e-12)
    lth = np.log(th)
    if ind.kind == "p":
        c1, const = ind.pre
        for c in (0, 1):
            ll[c] = const + c1 * ind.expand(lth[c]) - ind.expand(th[c]) * ind.b
        return ll, None
    c1, k1, c2, k2, _ = ind.pre
    e1, e2, _ = ind.b
    q = np.empty((2, n))
    for c in (0, 1):
        lt_r, t_r = ind.expand(lth[c]), ind.expand(th[c])
        l1 = k1 + c1 * lt_r - t_r * e1
        l2 = k2 + c2 * lt_r - t_r * e2
        ll[c] = np.logaddexp(l1, l2)
        q[c] = np.exp(l2 - ll[c])
    return ll, q


def _m_step_w(ind: _Ind, wpost: tuple[np.ndarray, np.ndarray], q: np.ndarray | None) -> np.ndarray:
    """Weighted maximum-likelihood rates per (class, group) (``wpost``: weight x P(class) per row); empty cells
    fall back to the class's pooled rate. ``q``: the mixture's P(alternative exposure | class, count) at the
    previous parameters (one EM step for the exposure's latent choice), or None (then ``p_alt``)."""
    par = np.empty((2, ind.G))
    for c, wc in enumerate(wpost):
        num = ind.group_sums(wc, ind.a)
        if ind.kind == "m":
            e1, _, pa = ind.b
            den = ind.group_sums(wc, e1) + ind.group_sums(wc * (pa if q is None else q[c]), ind.pre[4])
        else:
            den = ind.group_sums(wc, ind.b)
        pooled = num.sum() / max(den.sum(), 1e-12)
        par[c] = np.where(den > 1e-9, num / np.maximum(den, 1e-12), pooled)
    return par


def _logistic_step_w(Xt: np.ndarray, y: np.ndarray, beta: np.ndarray, w: np.ndarray, steps: int = 2) -> np.ndarray:
    """A few Newton steps of a weighted logistic regression with fractional targets ``y`` (``Xt``: (p, n))."""
    for _ in range(steps):
        p = expit(beta @ Xt)
        grad = Xt @ (w * (y - p))
        hess = (Xt * (w * p * (1 - p))) @ Xt.T + 1e-8 * np.eye(Xt.shape[0])
        beta = beta + np.linalg.solve(hess, grad)
    return beta


def _em(d: _Design, post, beta, params, max_iter, tol, relabel=True):
    """EM on a prepared design, from a posterior (and optionally coefficients and class profiles)."""
    Xt, w, kn = np.ascontiguousarray(d.X.T), d.w, d.kn
    clamp = None if kn is None else ~np.isnan(kn)
    post = post.copy()
    if clamp is not None:
        post[clamp] = kn[clamp]
        is1, is0 = clamp & (kn == 1), clamp & (kn == 0)
    ntot = float(w.sum())
    qs = [None] * len(d.inds)
    if params is not None:  # warm start: the mixture's exposure chance at the previous profiles
        qs = [_class_loglik_fast(i, p)[1] if i.kind == "m" else None for i, p in zip(d.inds, params)]
    ll_old, converged = -np.inf, False
    for it in range(1, max_iter + 1):  # noqa: B007 (read after the loop)
        wp1 = w * post
        params = [_m_step_w(ind, (w - wp1, wp1), q) for ind, q in zip(d.inds, qs)]
        beta = _logistic_step_w(Xt, post, beta, w)
        prior = np.clip(expit(beta @ Xt), 1e-12, 1 - 1e-12)
        lc = np.stack([np.log1p(-prior), np.log(prior)])
        for j, (ind, par) in enumerate(zip(d.inds, params)):
            ll_j, qs[j] = _class_loglik_fast(ind, par)
            lc += ll_j
        if clamp is not None:
            lc[0, is1] = -np.inf
            lc[1, is0] = -np.inf
        ll_i = np.logaddexp(lc[0], lc[1])
        post = np.exp(lc[1] - ll_i)
        ll = float(w @ ll_i)
        if ll - ll_old < tol * ntot:
            converged = True
            break
        ll_old = ll
    if relabel and params[0][1].mean() < params[0][0].mean() and clamp is None:
        params = [p[::-1].copy() for p in params]
        post, beta, prior = 1 - post, -beta, 1 - prior
    return post, prior, beta, params, ll, it, converged


@_one_blas_thread
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

    Customers with identical data (every indicator, group, covariate and known class) are one row of
    the EM with their count as weight: the same fit, with work that grows with the number of distinct
    patterns. Returns a :class:`LatentClassFit`; class 1 is the class whose first indicator rate
    (averaged over groups) is higher.
    """
    if not indicators:
        raise ValueError("give at least one indicator")
    n = _n_of(indicators[0])
    inds = _check(indicators, n)
    if isinstance(init, LatentClassFit):
        post0, beta, params = init.posterior, init.coef.copy(), [p.copy() for p in init.params]
    else:
        if init is None:
            kind, a, b, _, _ = inds[0]
            if kind == "m":
                b = (1 - b[2]) * b[0] + b[2] * b[1]
            rate = np.where(b > 0, a / np.where(b > 0, b, 1), np.nan)
            med = np.nanmedian(rate)
            post0 = np.where(np.isnan(rate), 0.5, np.where(rate > med, 0.75, 0.25))
        else:
            post0 = np.asarray(init, float)
        beta, params = None, None
    d, code, _ = _design(inds, covariates, known, n)
    if beta is None:
        beta = np.zeros(d.X.shape[1])
    post = post0.copy() if code is None else np.bincount(code, weights=post0, minlength=d.w.size) / d.w
    post, prior, beta, params, ll, it, converged = _em(d, post, beta, params, max_iter, tol)
    if code is not None:
        post, prior = post[code], prior[code]
    return LatentClassFit(
        coef=beta,
        params=params,
        posterior=post,
        prior=prior,
        loglik=ll,
        n_params=d.X.shape[1] + sum(2 * ind[4] for ind in inds),
        n_iter=it,
        converged=converged,
        names=[i.name for i in indicators],
    )


@_one_blas_thread
def one_class_bic(indicators: Sequence[Binomial | Poisson]) -> float:
    """BIC of the one-class model (no latent structure), comparable with :attr:`LatentClassFit.bic`."""
    n = _n_of(indicators[0])
    d, _, _ = _design(_check(indicators, n), None, None, n)
    ll, k = 0.0, 0
    zero = np.zeros_like(d.w)
    for ind in d.inds:
        par, q = None, None
        for _ in range(200 if ind.kind == "m" else 1):  # the mixture's exposure choice: EM to its fixed point
            new = _m_step_w(ind, (d.w, zero), q)
            new[1] = new[0]
            if par is not None and np.allclose(new, par, rtol=1e-13, atol=0):
                break
            par = new
            q = _class_loglik_fast(ind, par)[1]
        ll += float(d.w @ _class_loglik_fast(ind, par)[0][0])
        k += ind.G
    return float(-2 * ll + k * np.log(n))


@_one_blas_thread
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
    m: int | None = None,
) -> np.ndarray:
    """Percentile intervals of ``stats(refit, counts)`` over customer-resampled refits.

    Each replicate resamples ``m`` customers with replacement (default ``m`` = n, the ordinary
    bootstrap); ``counts`` (one per customer, summing to ``m``) says how often each was drawn.
    The refit is a weighted EM on the distinct data patterns, warm-started from ``fit`` (its
    posterior, class profiles and prior coefficients, so a refit needs a few EM steps), and the
    same as refitting on the resampled rows. ``refit.share`` and ``refit.bic`` use the counts; a
    statistic of customer data should weigh it by ``counts`` (e.g. a weighted standard deviation).

    With ``m`` < n (an m-out-of-n bootstrap, for very large n), the spread of the replicates is
    rescaled to n: replicate ``t`` counts as ``t0 + sqrt(m / n) (t - t0)`` with ``t0`` the statistic
    of ``fit`` (valid for smooth statistics of root-n-consistent estimates; Bickel, Götze &
    van Zwet 1997). Returns an array (n_stats, 2) of (low, high).
    """
    n = fit.posterior.size
    m = n if m is None else int(m)
    if not 1 <= m <= n:
        raise ValueError(f"m: must be between 1 and the number of customers (got {m})")
    d, code, first = _design(_check(indicators, n), covariates, known, n)
    post_rows = fit.posterior if code is None else fit.posterior[first]
    rng = np.random.default_rng(seed)
    reps = []
    for _ in range(n_boot):
        counts = np.bincount(rng.integers(0, n, m), minlength=n).astype(float)
        w = counts if code is None else np.bincount(code, weights=counts, minlength=d.w.size)
        keep = np.flatnonzero(w)
        dk = d.rows(keep, w[keep])
        post, prior, beta, params, ll, it, conv = _em(
            dk, post_rows[keep], fit.coef.copy(), [p.copy() for p in fit.params], max_iter, tol
        )
        f = LatentClassFit(beta, params, post, prior, ll, fit.n_params, it, conv, fit.names, weights=dk.w)
        reps.append(np.asarray(stats(f, counts), float))
    reps = np.array(reps)
    if m < n:
        t0 = np.asarray(stats(fit, np.ones(n)), float)
        reps = t0 + np.sqrt(m / n) * (reps - t0)
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


def migration_counts(codes: np.ndarray, labels: Sequence[str]) -> pd.DataFrame:
    """:func:`migration_matrix` for integer-coded tiers: ``codes`` is (customers, periods) with values
    indexing ``labels`` and -1 where a customer is not tiered that period. Returns a square DataFrame
    ``from`` x ``to`` of moves between consecutive periods, pooled over periods."""
    c = np.asarray(codes)
    k = len(labels)
    m = np.zeros(k * k, np.int64)
    for j in range(c.shape[1] - 1):  # one pair of periods at a time: no (customers x periods) temporaries
        frm, to = c[:, j].astype(np.int64), c[:, j + 1].astype(np.int64)
        ok = (frm >= 0) & (to >= 0)
        m += np.bincount(frm[ok] * k + to[ok], minlength=k * k)
    m = m.reshape(k, k)
    out = pd.DataFrame(m, index=pd.Index(list(labels), name="from"), columns=pd.Index(list(labels), name="to"))
    return out


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
    A = np.asarray(active)
    f = np.asarray(flag)
    f = f[:, None] if f.ndim == 1 else f
    if A.dtype == bool and f.dtype == bool:  # counts, without (customers x periods) float copies
        return (f & A).sum(0) / A.sum(0)
    A = A.astype(float)
    return (np.broadcast_to(f, A.shape) * A).sum(0) / A.sum(0)


@_one_blas_thread
def bootstrap_period_share(
    active: np.ndarray, flag: np.ndarray, n_boot: int = 500, seed: int = 0, level: float = 0.95
) -> tuple[float, float, float]:
    """Mean over periods of :func:`active_share_by_period`, with a customer-bootstrap interval.

    Customers are resampled keeping each customer's whole history, by Poisson(1) weights (the
    large-sample equivalent of resampling with replacement). Customers with the same history (active
    and flagged in the same periods) are one pattern with a count, and the sum of their weights is a
    Poisson(count) draw, so a replicate costs work in proportion to the distinct histories, not the
    customers.
    Returns ``(estimate, low, high)``.
    """
    A = np.asarray(active, bool)
    f = np.asarray(flag, bool)
    F = np.broadcast_to(f[:, None] if f.ndim == 1 else f, A.shape) & A
    if (A.sum(0) == 0).any():
        raise ValueError("every period needs at least one active customer")
    est = float(active_share_by_period(A, F).mean())
    bits = np.packbits(np.concatenate([A, F], axis=1), axis=1)
    bits = np.pad(bits, ((0, 0), (0, -bits.shape[1] % 8)))
    code, first = _patterns(list(np.ascontiguousarray(bits).view(np.uint64).T))
    counts = np.bincount(code, minlength=first.size)
    order = np.argsort(counts > 1, kind="stable")  # single customers first: their weights come from the table
    counts, first = counts[order], first[order]
    n1 = int((counts == 1).sum())
    Ap = A[first].astype(np.float32)
    flagged = np.flatnonzero(F[first].any(axis=1))  # the numerator needs only histories ever flagged
    Fp = F[first[flagged]].astype(np.float32)
    rng = np.random.default_rng(seed)
    chunk = max(1, min(n_boot, 4_000_000 // first.size))
    reps = []
    for start in range(0, n_boot, chunk):
        m = min(chunk, n_boot - start)
        w = np.empty((m, counts.size), np.float32)
        w[:, :n1] = _poisson1_weights(rng, m, n1, raw=True)
        w[:, n1:] = rng.poisson(counts[n1:], size=(m, counts.size - n1))
        den = (w @ Ap).astype(float)
        num = (w[:, flagged] @ Fp).astype(float)
        reps.append(np.nanmean(num / np.where(den > 0, den, np.nan), axis=1))
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


@_one_blas_thread
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


_POISSON1_CUTS = np.searchsorted(_POISSON1_TABLE, np.arange(1, int(_POISSON1_TABLE.max()) + 1)).astype(np.uint16)


def _poisson1_weights(rng: np.random.Generator, rows: int, n: int, raw: bool = False) -> np.ndarray:
    """(rows, n) Poisson(1) weights as uint8: the quantile table at uniform 16-bit draws, evaluated as
    the number of the table's steps at or below each draw (the same values as indexing the table, several
    times faster). ``raw``: take the 16-bit draws straight from the generator's bits (faster still;
    a different stream from ``rng.integers``)."""
    if raw:
        u = rng.bit_generator.random_raw(-(-rows * n // 4)).view(np.uint16)[: rows * n].reshape(rows, n)
    else:
        u = rng.integers(0, _POISSON1_TABLE.size, size=(rows, n), dtype=np.uint16)
    w = np.zeros((rows, n), np.uint8)
    for cut in _POISSON1_CUTS:
        w += u >= cut
    return w


def bootstrap_top_share(
    values: np.ndarray, frac: float = 0.2, n_boot: int = 1000, seed: int = 0, level: float = 0.95, chunk: int = 50
) -> tuple[float, float, float]:
    """:func:`top_share` with a Poisson-weight bootstrap interval: ``(estimate, low, high)``.

    Each replicate weights every customer by a Poisson(1) count (the large-sample equivalent of
    resampling customers), drawn from a quantile table; the values are sorted once, so a replicate is
    an integer cumulative sum of the weights, a binary search for the cut and two dot products. The top
    ``frac`` of a replicate are the largest customers up to ``frac`` of its total weight.
    """
    return bootstrap_top_shares(values, (frac,), n_boot, seed, level, chunk)[0]


@_one_blas_thread
def bootstrap_top_shares(
    values: np.ndarray, fracs: Sequence[float], n_boot: int = 1000, seed: int = 0, level: float = 0.95, chunk: int = 50
) -> list[tuple[float, float, float]]:
    """:func:`bootstrap_top_share` for several ``fracs`` from the same draws (one pass over the customers).

    The first fraction's interval is exactly :func:`bootstrap_top_share` with the same ``seed``.
    Returns one ``(estimate, low, high)`` per fraction.
    """
    v = np.sort(np.asarray(values, float))[::-1].copy()
    rng = np.random.default_rng(seed)
    reps = np.empty((len(fracs), n_boot))
    for start in range(0, n_boot, chunk):
        w8 = _poisson1_weights(rng, min(chunk, n_boot - start), v.size)
        for r in range(w8.shape[0]):
            cw = np.cumsum(w8[r], dtype=np.int64)
            w = w8[r].astype(float)
            total = w @ v
            for j, frac in enumerate(fracs):
                k = int(np.searchsorted(cw, frac * cw[-1], side="right"))
                reps[j, start + r] = (w[:k] @ v[:k]) / total
    out = []
    for j, frac in enumerate(fracs):
        iv = _from_draws(top_share(v, frac), reps[j], level)
        out.append((iv.estimate, iv.low, iv.high))
    return out


@_one_blas_thread
def poisson_bootstrap_many(
    columns: np.ndarray,
    stats: Mapping[str, tuple[Callable[[np.ndarray], np.ndarray], int]],
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, Interval]:
    """Several statistics of weighted column sums from one set of Poisson(1) weight draws.

    ``columns`` is ``(units, k)`` per-unit aggregates; ``stats`` maps a name to ``(stat, n_boot)``
    with ``stat`` a function of sums ``(..., k)`` (vectorised over replicates). Each replicate weights
    every unit by an independent Poisson(1) count (the large-sample equivalent of resampling units,
    as :func:`casebook.analysis.intervals.poisson_bootstrap_sums`); a statistic with ``n_boot`` draws
    uses the first ``n_boot`` replicates, so the statistics of one call share their draws (their
    intervals are each a plain Poisson-weight bootstrap; only their errors are correlated). One pass
    over the units serves every statistic. Returns ``{name: Interval}``.
    """
    x = np.asarray(columns, float)
    if x.ndim == 1:
        x = x[:, None]
    n = x.shape[0]
    n_max = max(nb for _, nb in stats.values())
    rng = np.random.default_rng(seed)
    chunk = max(1, min(n_max, 8_000_000 // max(1, n)))
    x32 = x.astype(np.float32)
    sums = np.concatenate(
        [
            (_poisson1_weights(rng, min(chunk, n_max - s), n, raw=True).astype(np.float32) @ x32).astype(float)
            for s in range(0, n_max, chunk)
        ]
    )
    total = x.sum(axis=0)
    return {
        name: _from_draws(float(stat(total)), np.asarray(stat(sums[:nb]), float), level, "Poisson-weight bootstrap")
        for name, (stat, nb) in stats.items()
    }


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
