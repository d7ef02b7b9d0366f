"""Retention, churn and customer-equity what-ifs for chapter 02 (claims B1-B7).

What is here
------------
Counting (the retention formulas themselves stay in the notebook):

- :func:`yearly_activity`: one row per (customer, calendar year with a purchase).
- :func:`retention_table`: per year, customers at the start (buyers of the year before),
  at the end (buyers of the year), new, retained and returning customers.
- :func:`retention_contributions` and :func:`ratio_interval`: a customer-level bootstrap
  interval for a pooled retention rate (a ratio of sums).

A second purchase/drop-out model, beside :mod:`casebook.clv`'s BG/NBD:

- :func:`fit_mbgnbd` fits the MBG/NBD (Batislam, Denizel & Filiztekin 2007): the BG/NBD
  with one change, a customer may also drop out right after the *first* purchase. The
  BG/NBD assumes the opposite (every customer survives the first purchase: "no one-off
  customers", claim B6), so comparing the two likelihoods tests that assumption.
  Returns an :class:`MBGNBDResult` with the same interface as ``clv.BGNBDResult``
  (``params``, ``se``, ``cov``, ``loglik``, ``p_alive``, ``expected_purchases``, ``summary``).
- :func:`simulate_mbgnbd` draws data from it.

Forward-looking quantities for either model (``clv.BGNBDResult`` or :class:`MBGNBDResult`):

- :func:`discounted_purchases`: expected (continuously) discounted purchases in the next
  ``horizon`` periods, optionally with the future drop-out chance scaled (a retention what-if).
- :func:`discounted_alive_time`: expected discounted periods a customer stays active
  (the cost base of a retention programme).
- :func:`churn_within`, :func:`base_churn_rate` and :func:`dropout_scale_for_churn_cut`:
  the chance that an active customer quits within a year, and the drop-out scaling that
  cuts it by a given number of points (claim B5).
- :func:`oracle_discounted_purchases`: the same expectation for known latent traits
  (rate, drop-out chance, alive or not): the "truth" a notebook checks against.
- :func:`delta_method`: standard error of a smooth function of fitted parameters.
- :func:`auc` and :func:`bootstrap_auc`: the AUC of churn scores (Mann-Whitney, ties count one
  half, as ``sklearn.metrics.roc_auc_score``) and its customer bootstrap, each resample one
  ``bincount`` over score ranks instead of a sort: a million customers x 200 resamples in seconds.

How the expectations are computed
---------------------------------
Given a customer's history ``(x, t_x, T)`` and that the customer is alive at ``T``, the
purchase rate is ``lambda ~ Gamma(r + x, rate alpha + T)`` and the drop-out chance is
``p ~ Beta(a, b + x)`` (BG/NBD) or ``Beta(a, b + x + 1)`` (MBG/NBD: one more purchase
survived). In the future both models behave alike: purchases at rate lambda, each followed
by drop-out with chance ``p`` (times a what-if scale ``k``), so an alive customer's
drop-out hazard is ``lambda k p`` and, with continuous discount rate ``delta``,

    E[discounted purchases in (0, H]] = lambda (1 - exp(-(lambda k p + delta) H)) / (lambda k p + delta).

The expectation over (lambda, p) is a two-dimensional Gauss quadrature (generalised
Gauss-Laguerre in lambda, Gauss-Jacobi in p; nodes by the Golub-Welsch eigenvalue method,
so very large shapes cannot overflow), multiplied by P(alive). It is vectorised over
customers and computed once per distinct ``x``; without discounting it reproduces the
closed forms (FHL 2005a eq. 10; Batislam et al. 2007) to about 1e-8 (see the tests).

Units: ``recency``, ``T``, ``horizon`` and ``alpha`` in the same period (weeks in the
notebook); ``discount_rate`` is per period (``1.10 ** (1 / 52.18) - 1`` for 10 % a year).

References
----------
- Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the easy
  way: an alternative to the Pareto/NBD model. *Marketing Science* 24(2), 275-284.
- Batislam, E. P., Denizel, M. & Filiztekin, A. (2007). Empirical validation and comparison
  of models for customer base analysis. *International Journal of Research in Marketing*
  24(3), 201-209 (the MBG/NBD).
- Reichheld, F. F. & Sasser, W. E. (1990). Zero defections: quality comes to services.
  *Harvard Business Review* 68(5), 105-111.
- Golub, G. H. & Welsch, J. H. (1969). Calculation of Gauss quadrature rules.
  *Mathematics of Computation* 23, 221-230.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from scipy import special
from scipy.linalg import eigh_tridiagonal
from scipy.special import betaln, digamma, gammaln

from ._mle import (
    PURCHASE_PARAMS,
    PurchaseFit,
    as_1d,
    check_nonneg,
    check_rfm,
    compress_histories,
    fit_purchase_model,
    index_of,
    purchase_loglik,
    wrap,
)
from .clv import BGNBDResult, _MBGNBDData, _purchase_days, _simulate_histories
from .clv import _p_alive_arrays as _bg_p_alive
from .intervals import from_draws

__all__ = [
    "MBGNBDResult",
    "auc",
    "base_churn_rate",
    "bootstrap_auc",
    "churn_within",
    "delta_method",
    "discounted_alive_time",
    "discounted_purchases",
    "dropout_scale_for_churn_cut",
    "fit_mbgnbd",
    "mbgnbd_loglik",
    "oracle_discounted_purchases",
    "ratio_interval",
    "retention_contributions",
    "retention_table",
    "simulate_mbgnbd",
    "yearly_activity",
]

PARAMS = PURCHASE_PARAMS  # ("r", "alpha", "a", "b")
N_RATE_NODES = 24  # Gauss-Laguerre nodes over the purchase rate
N_DROP_NODES = 16  # Gauss-Jacobi nodes over the drop-out chance
N_CHURN_NODES = (16, 12)  # (rate, drop-out) nodes for churn chances: a smoother integrand


# =========================================================================== counting
def yearly_activity(
    orders: pd.DataFrame, customer_col: str = "customer_id", date_col: str = "order_date"
) -> pd.DataFrame:
    """One row per (customer, calendar year) in which the customer bought at least once.

    Args:
        orders: one row per order.
        customer_col: customer id column.
        date_col: order date column (datetime64).

    Returns:
        DataFrame with columns ``customer_col`` and ``year`` (int), sorted, no duplicates.
    """
    for col in (customer_col, date_col):
        if col not in orders.columns:
            raise ValueError(f"orders: no column {col!r} (columns: {', '.join(map(str, orders.columns))})")
    years = pd.to_datetime(orders[date_col]).dt.year.to_numpy().astype(np.int64)
    # orders sorted by customer and date (as the world stores them) need no sort: keep each run's first row
    cust, years, _ = _purchase_days(orders[customer_col].to_numpy(), years, np.zeros(years.size))
    return pd.DataFrame({customer_col: cust, "year": years})


def retention_table(
    active: pd.DataFrame, acquisition_year: pd.Series, customer_col: str = "customer_id"
) -> pd.DataFrame:
    """Customer counts behind the annual retention formulas, one row per year ``y``.

    A customer "is a customer in year y" if they bought in y. Columns:

    - ``customers_start``: customers in y - 1 (the base at the start of y);
    - ``customers_end``: customers in y;
    - ``new``: customers in y whose first purchase ever (acquisition) was in y;
    - ``retained``: customers in both y - 1 and y;
    - ``returning``: customers in y, not new, who did not buy in y - 1 (lapsed, came back).

    So ``customers_end = retained + returning + new``. The first year of ``active`` has
    no start base and is left out.

    Args:
        active: output of :func:`yearly_activity`.
        acquisition_year: acquisition year per customer (Series indexed by customer id).
        customer_col: customer id column of ``active``.

    Returns:
        DataFrame indexed by ``year`` with the five integer columns.
    """
    if active.empty:
        raise ValueError("active: no purchases")
    acq = active[customer_col].map(acquisition_year)
    if acq.isna().any():
        raise ValueError("acquisition_year: missing for some customers in active")
    a = active.assign(_new=(acq.to_numpy() == active["year"].to_numpy()))
    a = a.sort_values([customer_col, "year"], ignore_index=True)
    c = a[customer_col].to_numpy()
    y = a["year"].to_numpy()
    prev = np.zeros(len(a), dtype=bool)  # the same customer also bought the year before
    prev[1:] = (c[1:] == c[:-1]) & (y[1:] == y[:-1] + 1)
    a = a.assign(_retained=prev, _returning=~prev & ~a["_new"])
    g = a.groupby("year", sort=True)
    end = g.size()
    years = end.index.to_numpy()
    out = pd.DataFrame(
        {
            "customers_start": end.reindex(years - 1).to_numpy(),
            "customers_end": end.to_numpy(),
            "new": g["_new"].sum().to_numpy(),
            "retained": g["_retained"].sum().to_numpy(),
            "returning": g["_returning"].sum().to_numpy(),
        },
        index=pd.Index(years, name="year"),
    )
    out = out.iloc[1:].astype(np.int64)
    return out


def retention_contributions(
    active: pd.DataFrame, acquisition_year: pd.Series, years: Any, customer_col: str = "customer_id"
) -> pd.DataFrame:
    """Each customer's share of the pooled standard retention rate over ``years``.

    The pooled standard rate is ``sum_y (customers_end_y - new_y) / sum_y customers_start_y``.
    Per customer: ``numerator`` = years y in ``years`` with a purchase, not the acquisition
    year; ``denominator`` = years y in ``years`` with a purchase in y - 1. Summing the
    columns over customers gives the rate's numerator and denominator, so resampling
    customers (:func:`ratio_interval`) gives its interval.

    Returns:
        DataFrame indexed by customer with ``numerator`` and ``denominator`` (ints).
    """
    years = np.asarray(list(years), dtype=np.int64)
    if years.size == 0:
        raise ValueError("years: give at least one year")
    acq = active[customer_col].map(acquisition_year)
    if acq.isna().any():
        raise ValueError("acquisition_year: missing for some customers in active")
    y = active["year"].to_numpy()
    num = np.isin(y, years) & (acq.to_numpy() < y)
    den = np.isin(y + 1, years)
    d = pd.DataFrame(
        {
            customer_col: active[customer_col].to_numpy(),
            "numerator": num.astype(np.int64),
            "denominator": den.astype(np.int64),
        }
    )
    return d.groupby(customer_col, sort=True)[["numerator", "denominator"]].sum()


def ratio_interval(
    numerator: Any,
    denominator: Any,
    n_boot: int = 1000,
    seed: Any = 0,
    level: float = 0.95,
    max_elements: int = 4_000_000,
) -> tuple[float, float, float]:
    """``sum(numerator) / sum(denominator)`` with a percentile-bootstrap interval over units.

    Units (customers) are resampled with replacement, ``max_elements`` array entries at a
    time; deterministic for a given ``seed``.

    Returns:
        ``(estimate, low, high)``.
    """
    num = np.asarray(numerator, dtype=np.float64)
    den = np.asarray(denominator, dtype=np.float64)
    if num.ndim != 1 or num.shape != den.shape or num.size == 0:
        raise ValueError("numerator: must be a non-empty 1-D array the same length as denominator")
    if not (np.all(np.isfinite(num)) and np.all(np.isfinite(den))):
        raise ValueError("numerator: NaN or infinite values")
    if den.sum() <= 0:
        raise ValueError("denominator: sums to zero; the ratio is undefined")
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise ValueError(f"n_boot: must be a whole number >= 1 (got {n_boot!r})")
    if not 0 < level < 1:
        raise ValueError(f"level: must be between 0 and 1 (got {level!r})")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    n = num.size
    rows = max(1, int(max_elements) // n)
    out = np.empty(n_boot)
    # counts per unit (years, purchases) are small whole numbers: gathered from 1-byte copies (cache-resident at a
    # million units) and summed exactly as integers, the same sums as in floating point, several times faster
    num_g, den_g, acc = num, den, np.float64
    if all(np.all(a == np.round(a)) and np.abs(a).max() < 128 for a in (num, den)):
        num_g, den_g, acc = num.astype(np.int8), den.astype(np.int8), np.int64
    done = 0
    while done < n_boot:
        k = min(rows, n_boot - done)
        idx = rng.integers(0, n, size=(k, n))
        d = den_g[idx].sum(axis=1, dtype=acc).astype(np.float64)
        nn = num_g[idx].sum(axis=1, dtype=acc).astype(np.float64)
        out[done : done + k] = np.where(d > 0, nn / np.where(d > 0, d, 1.0), np.nan)
        done += k
    est, lo, hi = from_draws(num.sum() / den.sum(), out, level=level)  # percentile step: casebook.analysis.intervals
    return float(est), float(lo), float(hi)


# =========================================================================== MBG/NBD
def _mbg_ll_grad(
    theta: np.ndarray, x: np.ndarray, tx: np.ndarray, T: np.ndarray, w: np.ndarray, want_grad: bool = True
) -> tuple[float, np.ndarray | None]:
    """Weighted MBG/NBD log-likelihood and gradient in (r, alpha, a, b).

    Per customer (Batislam et al. 2007):
        L = B(a, b+x+1)/B(a,b) G(r+x) a^r / (G(r) (alpha+T)^(r+x))
          + B(a+1, b+x)/B(a,b) G(r+x) a^r / (G(r) (alpha+t_x)^(r+x)),
    written with B(a, b+x+1) = B(a, b+x) (b+x)/(a+b+x) and B(a+1, b+x) = B(a, b+x) a/(a+b+x).
    """
    r, alpha, a, b = theta
    rx = r + x
    log_aT = np.log(alpha + T)
    log_atx = np.log(alpha + tx)
    abx = a + b + x
    lb = betaln(a, b + x) - betaln(a, b) - np.log(abx)
    A1 = gammaln(rx) - gammaln(r) + r * np.log(alpha)
    A2 = lb + np.log(b + x) - rx * log_aT  # alive at T
    A3 = lb + np.log(a) - rx * log_atx  # dropped out right after the last purchase
    m = np.maximum(A2, A3)
    e2, e3 = np.exp(A2 - m), np.exp(A3 - m)
    s = e2 + e3
    ll = float(np.dot(w, A1 + m + np.log(s)))
    if not want_grad:
        return ll, None
    w2, w3 = e2 / s, e3 / s
    d_ab = digamma(a + b)
    d_abx = digamma(abx)
    lb_a = d_ab - d_abx - 1.0 / abx
    lb_b = digamma(b + x) - d_abx - digamma(b) + d_ab - 1.0 / abx
    g_r = digamma(rx) - digamma(r) + np.log(alpha) - w2 * log_aT - w3 * log_atx
    g_alpha = r / alpha - rx * (w2 / (alpha + T) + w3 / (alpha + tx))
    g_a = lb_a + w3 / a
    g_b = lb_b + w2 / (b + x)
    grad = np.array([np.dot(w, g_r), np.dot(w, g_alpha), np.dot(w, g_a), np.dot(w, g_b)])
    return ll, grad


def mbgnbd_loglik(
    params: Any, frequency: Any, recency: Any, T: Any, *, weights: Any = None, gradient: bool = False
) -> float | tuple[float, np.ndarray]:
    """Total MBG/NBD log-likelihood (and optionally its gradient in r, alpha, a, b).

    Args:
        params: dict ``r, alpha, a, b`` (or a sequence in that order), all > 0.
        frequency, recency, T: customers' histories (periods), as for the BG/NBD.
        weights: optional weight per row (e.g. counts of identical rows).
        gradient: also return the gradient.
    """
    return purchase_loglik(_mbg_ll_grad, params, frequency, recency, T, weights, gradient)


def _mbg_p_alive(theta: np.ndarray, x: np.ndarray, tx: np.ndarray, T: np.ndarray) -> np.ndarray:
    r, alpha, a, b = theta
    with np.errstate(all="ignore"):
        log_odds_dead = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
        return special.expit(-log_odds_dead)


class MBGNBDResult(PurchaseFit):
    """A fitted MBG/NBD model (same interface as ``casebook.clv.BGNBDResult``).

    Attributes:
        params: maximum-likelihood estimates ``{"r", "alpha", "a", "b"}`` (alpha in periods).
        se: standard errors (same keys), from the inverse observed information.
        cov: 4x4 covariance of (r, alpha, a, b).
        loglik: log-likelihood at the optimum.
        n: customers fitted; n_unique: distinct (x, t_x, T) rows evaluated.
        converged, message: the optimiser's report.

    ``theta``, ``summary`` and the fields come from :class:`casebook._mle.PurchaseFit`.
    """

    @classmethod
    def from_params(cls, params: dict) -> MBGNBDResult:
        """A model with given parameters and no data (for what-ifs, delta methods and simulation checks)."""
        return cls._unfitted(params)

    def p_alive(self, frequency: Any = None, recency: Any = None, T: Any = None):
        """P(alive | x, t_x, T) = 1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x)); below 1 even when x = 0."""
        codes, xu, txu, Tu, index = self._customers(frequency, recency, T)
        return wrap(_mbg_p_alive(self.theta, xu, txu, Tu)[codes], index, "p_alive")

    def expected_purchases(self, t: float, frequency: Any = None, recency: Any = None, T: Any = None):
        """Expected purchases in the next ``t`` periods given the history (undiscounted)."""
        t = check_nonneg("t", t)
        codes, xu, txu, Tu, index = self._customers(frequency, recency, T)
        vals = _expectation(self.theta, "mbgnbd", xu, txu, Tu, "purchases", t, 0.0, 1.0)
        return wrap(vals[codes], index, "expected_purchases")


def fit_mbgnbd(
    frequency: Any, recency: Any, T: Any, *, initial: dict | None = None, maxiter: int = 2000
) -> MBGNBDResult:
    """Fit the MBG/NBD by maximum likelihood.

    Identical (x, t_x, T) rows are grouped and weighted; the log-likelihood is maximised
    over log-parameters by trust-region Newton steps with its analytic gradient and Hessian
    (special functions once per distinct ``x``, shared with the BG/NBD's code) from several
    starts. Standard errors: inverse observed information (the analytic Hessian).
    Overflow-safe: the two likelihood terms are combined with a log-sum-exp, and a start
    that gives NaN is skipped.

    Raises:
        ValueError: bad input (naming the argument), fewer than 2 customers, no repeat
            purchase at all, or a single distinct history.
    """
    return MBGNBDResult(
        **fit_purchase_model(
            _mbg_ll_grad,
            frequency,
            recency,
            T,
            initial=initial,
            maxiter=maxiter,
            model="MBG/NBD",
            fit_name="fit_mbgnbd",
            b_starts=(1.0, 2.0, 10.0),
            data_class=_MBGNBDData,
        )
    )


def simulate_mbgnbd(n: int, r: float, alpha: float, a: float, b: float, T: Any, seed: Any = 0) -> pd.DataFrame:
    """Draw (frequency, recency, T) from the MBG/NBD.

    Each customer: ``lambda ~ Gamma(r, rate alpha)``, ``p ~ Beta(a, b)``; after *every*
    purchase, the first one at time 0 included, they drop out with chance p, so the number
    of repeat purchases they would ever make is ``J ~ Geometric(p) - 1``; purchases follow
    a Poisson process of rate lambda. Vectorised, exact.
    """
    x, tx, TT = _simulate_histories(n, r, alpha, a, b, T, seed, one_off=True, rng_of=np.random.default_rng)
    return pd.DataFrame({"frequency": x.astype(np.int64), "recency": tx, "T": TT})


# =========================================================================== quadrature
def _gauss_gamma(shape: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes/weights for E[f(U)], U ~ Gamma(shape, 1) (generalised Gauss-Laguerre, Golub-Welsch)."""
    al = shape - 1.0
    i = np.arange(n, dtype=np.float64)
    diag = 2 * i + al + 1
    off = np.sqrt((i[1:]) * (i[1:] + al))
    nodes, vecs = eigh_tridiagonal(diag, off)
    w = vecs[0] ** 2
    return nodes, w / w.sum()


def _gauss_beta(a: float, b: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes/weights for E[f(P)], P ~ Beta(a, b) (Gauss-Jacobi on [0, 1], Golub-Welsch)."""
    al, be = b - 1.0, a - 1.0  # Jacobi weight (1-x)^al (1+x)^be on [-1, 1], p = (1+x)/2
    k = np.arange(n, dtype=np.float64)
    s = 2 * k + al + be
    with np.errstate(all="ignore"):  # k = 0 is replaced below (s may be 0 there)
        diag = (be**2 - al**2) / (s * (s + 2))
    diag[0] = (be - al) / (al + be + 2)
    kk = k[1:]
    s1 = 2 * kk + al + be
    off2 = 4 * kk * (kk + al) * (kk + be) * (kk + al + be) / (s1**2 * (s1 + 1) * (s1 - 1))
    off2[0] = 4 * (1 + al) * (1 + be) / ((2 + al + be) ** 2 * (3 + al + be))
    nodes, vecs = eigh_tridiagonal(diag, np.sqrt(off2))
    w = vecs[0] ** 2
    return (1 + nodes) / 2, w / w.sum()


def _kind(model: Any) -> str:
    if isinstance(model, MBGNBDResult):
        return "mbgnbd"
    if isinstance(model, BGNBDResult):
        return "bgnbd"
    raise ValueError(f"model: must be a clv.BGNBDResult or a retention.MBGNBDResult (got {type(model).__name__})")


def _p_alive_kind(theta: np.ndarray, kind: str, x, tx, T) -> np.ndarray:
    return _mbg_p_alive(theta, x, tx, T) if kind == "mbgnbd" else _bg_p_alive(theta, x, tx, T)


def _expectation(
    theta: np.ndarray,
    kind: str,
    x: np.ndarray,
    tx: np.ndarray,
    T: np.ndarray,
    what: str,
    horizon: float,
    delta: float,
    scale: float,
) -> np.ndarray:
    """P(alive) x E[g(lambda, p) | alive, history] for each row, by Gauss quadrature.

    ``what``: "purchases" (discounted purchases in (0, horizon]), "alive_time" (discounted
    time alive in (0, horizon]) or "churn" (chance of dropping out within ``horizon``;
    *not* multiplied by P(alive)).
    """
    r, alpha, a, b = theta
    # the posterior of (lambda, p) given "alive" depends on (x, T) only: compute once per distinct pair
    inv, (px, pT), _ = compress_histories(x, T)
    vals = np.empty(px.size)
    extra = 1.0 if kind == "mbgnbd" else 0.0
    n_rate, n_drop = N_CHURN_NODES if what == "churn" else (N_RATE_NODES, N_DROP_NODES)
    order = np.argsort(px, kind="stable")
    xs, starts = np.unique(px[order], return_index=True)
    bounds = np.append(starts, px.size)
    for j, xv in enumerate(xs):
        rows = order[bounds[j] : bounds[j + 1]]
        u, wu = _gauss_gamma(r + xv, n_rate)
        p, wp = _gauss_beta(a, b + xv + extra, n_drop)
        lam = u[None, :] / (alpha + pT[rows])[:, None]  # rows x rate nodes
        wts = np.outer(wu, wp).ravel()  # product rule weights, rate x drop-out nodes
        t = lam[:, :, None] * (scale * p)[None, None, :]  # drop-out hazard per period, rows x rate x drop-out nodes
        if what == "churn":  # 1 - exp(-hazard horizon), in place
            t *= -horizon
            np.expm1(t, out=t)
            vals[rows] = -np.einsum("ij,j->i", t.reshape(rows.size, -1), wts)
            continue
        # (1 - exp(-rate H)) / rate with rate = hazard + delta, in place (rate 0: the limit H)
        t += delta
        rate = t.copy()
        t *= -horizon
        np.expm1(t, out=t)
        with np.errstate(invalid="ignore", divide="ignore"):
            t /= rate
        t *= -1.0
        if delta <= 0:
            t[rate <= 0] = horizon
        if what == "purchases":
            t *= lam[:, :, None]
        vals[rows] = np.einsum("ij,j->i", t.reshape(rows.size, -1), wts)
    out = vals[inv]
    if what == "churn":
        return out
    return out * _p_alive_kind(theta, kind, x, tx, T)


def _forward(
    model: Any, frequency, recency, T, what: str, horizon: float, discount_rate: float, dropout_scale: float, name: str
):
    kind = _kind(model)
    horizon = check_nonneg("horizon", horizon)
    d = check_nonneg("discount_rate", discount_rate)
    k = check_nonneg("dropout_scale", dropout_scale)
    x, tx, TT = check_rfm(frequency, recency, T)
    codes, (xu, txu, Tu), _, key = compress_histories(x, tx, TT, with_key=True)
    theta = model.theta
    # a delta method perturbs one parameter at a time, and many leave a given model unchanged (the spend model's,
    # another group's): the same expectation is then served from memory instead of recomputed
    memo_key = (kind, theta.tobytes(), key, what, horizon, d, k)
    vals = _RESULTS.get(memo_key)
    if vals is None:
        vals = _expectation(theta, kind, xu, txu, Tu, what, horizon, math.log1p(d), k)
        vals.setflags(write=False)
        _RESULTS[memo_key] = vals
        while len(_RESULTS) > RESULTS_KEPT:
            _RESULTS.popitem(last=False)
    else:
        _RESULTS.move_to_end(memo_key)
    return wrap(vals[codes], index_of(frequency), name)


_RESULTS: OrderedDict = OrderedDict()
RESULTS_KEPT = 6  # per-history expectations remembered by _forward (by parameters, histories and arguments)


def discounted_purchases(
    model: Any,
    frequency: Any,
    recency: Any,
    T: Any,
    horizon: float,
    discount_rate: float = 0.0,
    dropout_scale: float = 1.0,
):
    """Expected discounted repeat purchases in the next ``horizon`` periods, per customer.

    ``P(alive) E[ integral_0^H exp(-delta s) lambda exp(-lambda k p s) ds | alive ]`` with
    ``delta = log(1 + discount_rate)`` (continuous discounting at the per-period rate) and
    ``k = dropout_scale`` (1 = as estimated; 0.8 = every future drop-out chance cut by 20 %).
    Multiply by expected spend and margin for a margin-based CLV.

    Args:
        model: a fitted ``clv.BGNBDResult`` or :class:`MBGNBDResult` (or ``from_params``).
        frequency, recency, T: histories at the evaluation date (periods).
        horizon: periods ahead (>= 0).
        discount_rate: per period (>= 0).
        dropout_scale: multiplier on future drop-out chances (>= 0).
    """
    return _forward(
        model, frequency, recency, T, "purchases", horizon, discount_rate, dropout_scale, "discounted_purchases"
    )


def discounted_alive_time(
    model: Any,
    frequency: Any,
    recency: Any,
    T: Any,
    horizon: float,
    discount_rate: float = 0.0,
    dropout_scale: float = 1.0,
):
    """Expected discounted number of periods each customer stays active in the next ``horizon``.

    Same model and arguments as :func:`discounted_purchases`; the integrand is the survival
    ``exp(-lambda k p s)`` instead of the purchase rate.
    """
    return _forward(
        model, frequency, recency, T, "alive_time", horizon, discount_rate, dropout_scale, "discounted_alive_time"
    )


def churn_within(model: Any, frequency: Any, recency: Any, T: Any, within: float, dropout_scale: float = 1.0):
    """Chance that a customer who is alive now drops out within ``within`` periods.

    ``E[1 - exp(-lambda k p w) | alive, history]``: conditional on being alive (not
    multiplied by P(alive)).
    """
    return _forward(model, frequency, recency, T, "churn", within, 0.0, dropout_scale, "churn")


def _alive_base(model: Any, frequency: Any, recency: Any, T: Any):
    """Distinct histories, their counts and P(alive): what the churn functions sum over."""
    kind = _kind(model)
    x, tx, TT = check_rfm(frequency, recency, T)
    _, (xu, txu, Tu), w = compress_histories(x, tx, TT)
    pa = _p_alive_kind(model.theta, kind, xu, txu, Tu) * w
    if pa.sum() <= 0:
        raise ValueError("frequency: no customer is alive with positive probability")
    return kind, xu, txu, Tu, pa


# Largest number of (history, node) terms kept in memory for the churn what-if (8 bytes each).
CHURN_CACHE_TERMS = 20_000_000


class _ChurnBase:
    """The active base's churn within ``within`` as a function of the drop-out scale ``k``.

    ``churn(k) = sum_i A_i (1 - exp(-k c_i)) / sum(P(alive))`` over (distinct (x, T), quadrature
    node) terms: ``A`` = P(alive) of the histories times the quadrature weight of the node (kept as
    its two factors), ``c = lambda p within`` at the node. ``c`` is computed once per distinct ``x``
    (and kept when it fits in ``CHURN_CACHE_TERMS``), so each evaluation is one vectorised pass with its derivative
    ``sum A c exp(-k c)``: the function is increasing and concave in k, so Newton's method
    from the right converges monotonically.
    """

    def __init__(self, model: Any, frequency: Any, recency: Any, T: Any, within: float):
        kind, xu, _txu, Tu, pa = _alive_base(model, frequency, recency, T)
        r, alpha, a, b = model.theta
        codes, (px, pT), _ = compress_histories(xu, Tu)  # churn depends on (x, T) only: sum P(alive) over t_x
        self.pa_total = float(pa.sum())
        ppa = np.bincount(codes, weights=pa, minlength=px.size)
        extra = 1.0 if kind == "mbgnbd" else 0.0
        n_rate, n_drop = N_CHURN_NODES
        order = np.argsort(px, kind="stable")
        xs, starts = np.unique(px[order], return_index=True)
        bounds = np.append(starts, px.size)
        self.groups = []
        for j, xv in enumerate(xs):
            rows = order[bounds[j] : bounds[j + 1]]
            u, wu = _gauss_gamma(r + xv, n_rate)
            p, wp = _gauss_beta(a, b + xv + extra, n_drop)
            self.groups.append((rows, u, wu, p, wp))
        self.pT, self.ppa, self.alpha, self.within = pT, ppa, alpha, within
        self.cache = None
        if px.size * n_rate * n_drop <= CHURN_CACHE_TERMS:
            self.cache = [self._terms(g) for g in self.groups]

    def _terms(self, g):
        rows, u, wu, p, wp = g
        c = (u[None, :, None] / (self.alpha + self.pT[rows])[:, None, None]) * p[None, None, :] * self.within
        wts = np.outer(wu, wp).ravel()  # rate x drop-out node weights
        ppa = self.ppa[rows]
        return ppa, wts, float(ppa.sum() * wts.sum()), c.reshape(rows.size, -1)

    def __call__(self, k: float) -> tuple[float, float]:
        """``(churn(k), d churn / dk)``."""
        val = der = 0.0
        for t in self.cache if self.cache is not None else map(self._terms, self.groups):
            ppa, wts, Asum, c = t
            e = np.multiply(c, -k)
            np.exp(e, out=e)
            # sums over nodes by einsum, then over histories: no BLAS threads to wake on a busy machine
            val += Asum - float(np.dot(ppa, np.einsum("ij,j->i", e, wts)))
            e *= c
            der += float(np.dot(ppa, np.einsum("ij,j->i", e, wts)))
        return val / self.pa_total, der / self.pa_total


def _base_churn(model, kind, xu, txu, Tu, pa, within: float, k: float) -> float:
    ch = _expectation(model.theta, kind, xu, txu, Tu, "churn", within, 0.0, k)
    return float(np.dot(pa, ch) / pa.sum())


def base_churn_rate(
    model: Any, frequency: Any, recency: Any, T: Any, within: float, dropout_scale: float = 1.0
) -> float:
    """Churn rate of the active base: ``sum_i P(alive_i) churn_i / sum_i P(alive_i)``.

    The expected share of today's active customers who quit within ``within`` periods
    (``churn_i`` from :func:`churn_within`).
    """
    within = check_nonneg("within", within)
    k = check_nonneg("dropout_scale", dropout_scale)
    x, tx, TT = check_rfm(frequency, recency, T)
    memo_key = (
        "churn",
        _kind(model),
        model.theta.tobytes(),
        compress_histories(x, tx, TT, with_key=True)[3],
        within,
        k,
    )
    if memo_key not in _RESULTS:
        kind, xu, txu, Tu, pa = _alive_base(model, x, tx, TT)
        _RESULTS[memo_key] = _base_churn(model, kind, xu, txu, Tu, pa, within, k)
        while len(_RESULTS) > RESULTS_KEPT:
            _RESULTS.popitem(last=False)
    return _RESULTS[memo_key]


def dropout_scale_for_churn_cut(model: Any, frequency: Any, recency: Any, T: Any, cut: float, within: float) -> float:
    """The drop-out scale ``k`` that lowers the base's churn rate by ``cut`` (e.g. 0.05 = 5 points).

    Solves ``base_churn_rate(k) = base_churn_rate(1) - cut`` by Newton's method on the
    quadrature terms computed once (:class:`_ChurnBase`), warm-started at ``target / churn(1)``;
    churn is increasing and concave in ``k``, so after the first step the iterates approach the
    root monotonically from the left; a bisection step is taken whenever an iterate leaves the bracket.

    Raises:
        ValueError: if ``cut`` is not between 0 and the current churn rate.
    """
    within = check_nonneg("within", within)
    f = _ChurnBase(model, frequency, recency, T, within)
    base, der = f(1.0)
    if not (0 < cut < base):
        raise ValueError(f"cut: must be between 0 and the current churn rate {base:.4f} (got {cut!r})")
    target = base - cut
    lo, hi = 0.0, 1.0  # churn(0) = 0 < target < churn(1)
    # warm start: churn is concave with churn(0) = 0, so churn(k) >= k churn(1) and k0 = target / churn(1)
    # lies at or right of the root, close to it when churn is nearly linear in k
    k = target / base
    val, der = f(k)
    for _ in range(100):
        gap = val - target
        if gap > 0:
            hi = k
        else:
            lo = k
        if abs(gap) < 1e-12 or hi - lo < 1e-12:
            break
        k_new = k - gap / der if der > 0 else 0.5 * (lo + hi)
        if not (lo < k_new < hi):
            k_new = 0.5 * (lo + hi)
        if abs(k_new - k) < 1e-10 * max(k, 1e-12):
            k = k_new
            break
        k = k_new
        val, der = f(k)
    return float(k)


def oracle_discounted_purchases(
    rate: Any, dropout: Any, alive: Any, horizon: float, discount_rate: float = 0.0
) -> np.ndarray:
    """Expected discounted purchases for customers whose latent traits are known.

    ``alive * rate (1 - exp(-(rate p + delta) H)) / (rate p + delta)``: a customer who is
    alive now, buys at ``rate`` per period and drops out with chance ``dropout`` after each
    purchase. The yardstick for a model's forecast in a notebook's truth check.
    """
    lam = as_1d("rate", rate)
    p = as_1d("dropout", dropout)
    al = as_1d("alive", alive)
    if not (lam.size == p.size == al.size):
        raise ValueError("rate: rate, dropout and alive must have the same length")
    if np.any(lam < 0) or np.any((p < 0) | (p > 1)):
        raise ValueError("rate: rates must be >= 0 and drop-out chances in [0, 1]")
    H = check_nonneg("horizon", horizon)
    delta = math.log1p(check_nonneg("discount_rate", discount_rate))
    rt = lam * p + delta
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(rt * H < 1e-12, H, -np.expm1(-rt * H) / np.where(rt > 0, rt, 1.0))
    return al * lam * frac


# =========================================================================== delta method
def delta_method(
    fun: Callable[[np.ndarray], float], theta: Any, cov: Any, rel_step: float = 1e-4
) -> tuple[float, float]:
    """Value and delta-method standard error of ``fun(theta)``.

    The gradient is taken by central differences (step ``rel_step * |theta_i|``);
    ``se = sqrt(g' cov g)``.

    Returns:
        ``(fun(theta), se)``.
    """
    th = as_1d("theta", theta)
    C = np.asarray(cov, dtype=np.float64)
    if C.shape != (th.size, th.size):
        raise ValueError(f"cov: must be {th.size}x{th.size} (got {C.shape})")
    val = float(fun(th))
    g = np.empty(th.size)
    for i in range(th.size):
        h = rel_step * max(abs(th[i]), 1e-8)
        up, dn = th.copy(), th.copy()
        up[i] += h
        dn[i] -= h
        g[i] = (fun(up) - fun(dn)) / (2 * h)
    var = float(g @ C @ g)
    return val, math.sqrt(max(var, 0.0))


# =========================================================================== AUC of a churn score
def _rank_codes(labels: np.ndarray, score: Any) -> tuple[np.ndarray, int]:
    """Per unit ``2 * (dense rank of its score) + label`` (int32 where it fits), and the number of distinct scores."""
    s = as_1d("scores", score)
    if s.size != labels.size:
        raise ValueError(f"scores: length {s.size:,} does not match labels (length {labels.size:,})")
    uniq, rank = np.unique(s, return_inverse=True)
    dtype = np.int32 if 2 * uniq.size < 2**31 else np.int64
    return (2 * rank.astype(dtype) + labels.astype(dtype)).astype(dtype), uniq.size


def _auc_from_counts(counts: np.ndarray) -> float:
    """AUC from interleaved (negatives, positives) integer counts per score rank, ascending.

    ``sum_g pos_g (2 negatives below g + neg_g) / (2 n_pos n_neg)`` in exact integer arithmetic.
    """
    neg, pos = counts[0::2], counts[1::2]
    n_pos, n_neg = int(pos.sum()), int(neg.sum())
    if n_pos == 0 or n_neg == 0:
        return math.nan
    twice_below = np.cumsum(neg)
    twice_below *= 2
    twice_below -= neg  # twice the negatives with a lower score, ties counted one half
    return int(np.dot(pos, twice_below)) / (2 * n_pos * n_neg)


def _labels(labels: Any) -> np.ndarray:
    y = np.asarray(labels)
    if y.ndim != 1 or y.size < 2:
        raise ValueError("labels: must be a 1-D array of at least 2 units")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("labels: must be 0/1 or booleans")
    return y.astype(np.int64)


def auc(labels: Any, score: Any) -> float:
    """Area under the ROC curve of ``score`` for binary ``labels`` (1 = the event, e.g. churned).

    The Mann-Whitney form: the chance that a random positive scores above a random negative,
    ties counted one half; equal to ``sklearn.metrics.roc_auc_score(labels, score)`` (NaN when one
    class is empty). One ``unique`` and one ``bincount``.
    """
    y = _labels(labels)
    codes, k = _rank_codes(y, score)
    return _auc_from_counts(np.bincount(codes, minlength=2 * k))


def bootstrap_auc(labels: Any, scores: list, n_boot: int = 200, seed: Any = 0) -> tuple[np.ndarray, np.ndarray]:
    """AUC of each score in ``scores`` and their customer-bootstrap draws (paired: one resample for all).

    Resample ``j`` is ``rng.integers(0, n, n)`` from ``numpy.random.default_rng(seed)``, drawn in
    order, so the draws are those of a loop calling ``roc_auc_score(labels[i], score[i])`` per
    resample. Each score's ranks are computed once; a resample is then one gather of the units'
    (rank, label) codes and one ``bincount``, instead of a sort.

    Returns:
        ``(estimates, draws)``: ``estimates`` has one AUC per score, ``draws`` is ``(n_boot, len(scores))``.
    """
    y = _labels(labels)
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise ValueError(f"n_boot: must be a whole number >= 1 (got {n_boot!r})")
    ranked = [_rank_codes(y, s) for s in scores]
    est = np.array([_auc_from_counts(np.bincount(c, minlength=2 * k)) for c, k in ranked])
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    n = y.size
    draws = np.empty((int(n_boot), len(ranked)))
    buf = [np.empty(n, dtype=c.dtype) for c, _ in ranked]
    for j in range(int(n_boot)):
        i = rng.integers(0, n, n)
        for s, (c, k) in enumerate(ranked):
            draws[j, s] = _auc_from_counts(np.bincount(np.take(c, i, out=buf[s]), minlength=2 * k))
    return est, draws
