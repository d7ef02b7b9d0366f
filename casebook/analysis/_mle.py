"""Maximum-likelihood machinery shared by :mod:`casebook.clv` and :mod:`casebook.retention`.

What is here
------------
- Input checks that name the argument: :func:`as_1d`, :func:`check_rfm`,
  :func:`check_positive_params`, :func:`check_nonneg`.
- :func:`compress`: group identical rows, so a likelihood is evaluated once per
  distinct history and weighted by its count; :func:`compress_histories` remembers the last
  few groupings by the arrays' content (a delta method re-scores the same customers 10-20 times).
- :func:`maximise`: multi-start L-BFGS-B over log-parameters with an analytic
  gradient, then standard errors from the observed information (the Hessian by
  central differences of the gradient, :func:`fd_hessian`, inverted by
  :func:`covariance`).
- :func:`fit_purchase_model`, :func:`purchase_loglik` and :class:`PurchaseFit`: the
  fit, the checked log-likelihood and the result plumbing of a BG/NBD-type
  purchase/drop-out model of customers' ``(frequency, recency, T)``; ``clv``'s BG/NBD
  and ``retention``'s MBG/NBD differ only in the likelihood and predictions they add.
- :func:`summary_frame`, :func:`index_of`, :func:`wrap`: results as tables and Series.
"""

from __future__ import annotations

import hashlib
import math
import warnings
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy import optimize, special

# Log-parameters are confined to [-LOG_BOUND, LOG_BOUND]: exp(+-15) spans 3e-7 .. 3e6.
LOG_BOUND = 15.0

PURCHASE_PARAMS = ("r", "alpha", "a", "b")


# --------------------------------------------------------------------------- validation


def index_of(obj: Any) -> pd.Index | None:
    return obj.index if isinstance(obj, (pd.Series, pd.DataFrame)) else None


def wrap(values: np.ndarray, index: pd.Index | None, name: str) -> np.ndarray | pd.Series:
    if index is not None and len(index) == len(values):
        return pd.Series(values, index=index, name=name)
    return values


def as_1d(name: str, value: Any) -> np.ndarray:
    """``value`` as a finite float64 1-D array (a scalar becomes length 1)."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: must be numbers ({exc})") from None
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"{name}: must be one-dimensional (got shape {arr.shape})")
    if arr.size == 0:
        raise ValueError(f"{name}: is empty; need at least one customer")
    if not np.all(np.isfinite(arr)):
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise ValueError(f"{name}: contains {bad:,} NaN or infinite value(s)")
    return arr


def check_rfm(frequency: Any, recency: Any, T: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate purchase-model summary statistics; return them as float64 arrays.

    Any of the three may be a single value standing for every customer; otherwise
    their lengths must agree (with frequency's, when frequency has more than one).
    """
    if isinstance(T, pd.DataFrame):  # df.T is the transpose: a classic slip with a column named T
        raise ValueError("T: got a DataFrame; write df['T'], not df.T (the transpose)")
    x = as_1d("frequency", frequency)
    tx = as_1d("recency", recency)
    TT = as_1d("T", T)
    ref, n = next(((k, a.size) for k, a in (("frequency", x), ("recency", tx)) if a.size > 1), ("T", TT.size))
    for name, arr in (("frequency", x), ("recency", tx), ("T", TT)):
        if arr.size not in (1, n):
            raise ValueError(f"{name}: length {arr.size:,} does not match {ref} (length {n:,})")
    x, tx, TT = (np.broadcast_to(arr, (n,)) if arr.size != n else arr for arr in (x, tx, TT))
    if np.any(x < 0):
        raise ValueError("frequency: must be >= 0 (number of repeat purchases)")
    if np.any(x != np.round(x)):
        raise ValueError("frequency: must be whole numbers (number of repeat purchases)")
    if np.any(tx < 0):
        raise ValueError("recency: must be >= 0 for every customer")
    if np.any(TT < 0):
        raise ValueError("T: must be >= 0 for every customer")
    tol = 1e-9 * np.maximum(1.0, TT)
    if np.any(tx > TT + tol):
        raise ValueError("recency: must be <= T for every customer")
    if np.any((x == 0) & (tx != 0)):
        raise ValueError("recency: must be 0 where frequency is 0 (no repeat purchase)")
    return x, np.minimum(tx, TT), TT


def check_positive_params(params: Any, names: tuple[str, ...]) -> np.ndarray:
    """``params`` (a dict with ``names``, or a sequence in that order) as positive finite floats."""
    if isinstance(params, dict):
        missing = [k for k in names if k not in params]
        if missing:
            raise ValueError(f"params: missing {', '.join(missing)} (need {', '.join(names)})")
        vals = [params[k] for k in names]
    else:
        vals = list(np.asarray(params, dtype=float).ravel())
        if len(vals) != len(names):
            raise ValueError(f"params: need {len(names)} values ({', '.join(names)}), got {len(vals)}")
    out = np.asarray(vals, dtype=np.float64)
    for k, v in zip(names, out):
        if not (np.isfinite(v) and v > 0):
            raise ValueError(f"{k}: must be a positive finite number (got {v!r})")
    return out


def check_nonneg(name: str, value: Any) -> float:
    """A single finite number >= 0 (a horizon, a rate, a scale)."""
    try:
        val = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: must be a single number (got {value!r})") from None
    if not (math.isfinite(val) and val >= 0):
        raise ValueError(f"{name}: must be finite and >= 0 (got {value!r})")
    return val


def compress(*cols: np.ndarray) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """Group identical rows of ``cols``.

    Returns ``codes`` (row -> group, groups numbered in order of first appearance),
    the unique rows (one array per column) and the count of each group.
    Hash-based (``pd.factorize``), O(n).
    """
    n = cols[0].size
    if n and len(cols) > 1:
        # all rows distinct already in the last column (e.g. continuous T at daily grain): nothing to group
        _, u_last = pd.factorize(cols[-1])
        if len(u_last) == n:
            return np.arange(n, dtype=np.int64), [np.array(c, copy=True) for c in cols], np.ones(n)
    key, _ = pd.factorize(cols[0])
    key = key.astype(np.int64)
    for col in cols[1:]:
        c, u = pd.factorize(col)
        key, _ = pd.factorize(key * np.int64(len(u)) + c)
        key = key.astype(np.int64)
    codes = key
    k = int(codes.max()) + 1 if n else 0
    rep = np.empty(k, dtype=np.int64)
    rep[codes] = np.arange(n, dtype=np.int64)  # any member of the group represents it
    counts = np.bincount(codes, minlength=k).astype(np.float64)
    return codes, [c[rep] for c in cols], counts


_GROUPINGS: OrderedDict = OrderedDict()
GROUPINGS_KEPT = 4  # groupings of customers' histories remembered by compress_histories


def _digest(arr: np.ndarray) -> tuple:
    a = np.ascontiguousarray(arr)
    return a.dtype.str, a.shape, hashlib.blake2b(memoryview(a).cast("B"), digest_size=16).digest()


def compress_histories(*cols: np.ndarray, with_key: bool = False) -> tuple:
    """:func:`compress`, remembering the last ``GROUPINGS_KEPT`` results by the columns' content.

    The key is a BLAKE2 digest of each column's bytes (about 30 ms for a million values, against
    about 200 ms to group them), so a changed array is never served a stale grouping. The
    returned arrays are read-only. ``with_key=True`` appends the content key (hashable) to the result.
    """
    key = tuple(_digest(c) for c in cols)
    hit = _GROUPINGS.get(key)
    if hit is not None:
        _GROUPINGS.move_to_end(key)
        return (*hit, key) if with_key else hit
    codes, uniq, counts = compress(*cols)
    for arr in (codes, *uniq, counts):
        arr.setflags(write=False)
    _GROUPINGS[key] = (codes, uniq, counts)
    while len(_GROUPINGS) > GROUPINGS_KEPT:
        _GROUPINGS.popitem(last=False)
    return (codes, uniq, counts, key) if with_key else (codes, uniq, counts)


# --------------------------------------------------------------------------- Hessian / covariance


def fd_hessian(
    grad: Callable[[np.ndarray], np.ndarray], theta: np.ndarray, rel_step: float = 1e-5, abs_step: float = 0.0
) -> np.ndarray:
    """Hessian by central differences of an analytic gradient (step ``rel_step |theta_i| + abs_step``)."""
    k = theta.size
    H = np.empty((k, k))
    for i in range(k):
        h = rel_step * max(abs(theta[i]), 1e-8) + abs_step
        up = theta.copy()
        dn = theta.copy()
        up[i] += h
        dn[i] -= h
        H[:, i] = (grad(up) - grad(dn)) / (2.0 * h)
    return 0.5 * (H + H.T)


def covariance(neg_hessian: np.ndarray, names: tuple[str, ...], model: str, stacklevel: int = 3) -> np.ndarray:
    """Inverse of the observed information; NaN (with a warning) if it is not positive definite.

    ``stacklevel`` is the warning's, as seen from this function (3: its caller's caller).
    """
    try:
        L = np.linalg.cholesky(neg_hessian)
    except np.linalg.LinAlgError:
        warnings.warn(
            f"{model}: the observed information is not positive definite at the optimum; "
            "standard errors are NaN (the data do not identify every parameter)",
            RuntimeWarning,
            stacklevel=stacklevel,
        )
        return np.full((len(names), len(names)), np.nan)
    Linv = np.linalg.inv(L)
    return Linv.T @ Linv


def summary_frame(params: dict, se: dict, level: float) -> pd.DataFrame:
    """Table ``parameter, estimate, se, ci_low, ci_high`` with Wald intervals on the log scale."""
    if not 0 < level < 1:
        raise ValueError(f"level: must be between 0 and 1 (got {level!r})")
    zc = special.ndtri(0.5 + level / 2.0)
    rows = []
    for k, est in params.items():
        s = se[k]
        # Wald interval on the log scale (the parameters are positive), mapped back.
        half = zc * s / est
        rows.append(
            {
                "parameter": k,
                "estimate": est,
                "se": s,
                "ci_low": est * math.exp(-half) if np.isfinite(half) else np.nan,
                "ci_high": est * math.exp(half) if np.isfinite(half) else np.nan,
            }
        )
    return pd.DataFrame(rows, columns=["parameter", "estimate", "se", "ci_low", "ci_high"])


def warn_at_bound(z: np.ndarray, names: tuple[str, ...], model: str, stacklevel: int = 3) -> None:
    hit = [k for k, v in zip(names, z) if abs(v) >= LOG_BOUND - 1e-6]
    if hit:
        warnings.warn(
            f"{model}: {', '.join(hit)} reached the search bound exp(+-{LOG_BOUND:g}); "
            "the maximum likelihood estimate is at the edge and is not reliable",
            RuntimeWarning,
            stacklevel=stacklevel,
        )


# --------------------------------------------------------------------------- optimisation


def multistart(negll, starts, maxiter: int, error: str):
    """Minimise ``negll`` (value, gradient) over log-parameters from several starts with L-BFGS-B.

    Keeps the best finite optimum; stops early once one has a flat gradient. L-BFGS-B's own
    ``success`` flag is not trusted here: at an optimum on a flat, well-scaled surface its line
    search can end "ABNORMAL" (SciPy >= 1.15) although the gradient is zero to rounding, so
    convergence is judged by :func:`newton_polish` from the gradient and Hessian.
    Raises ``ValueError(error)`` if no start gives a finite likelihood.
    """
    best = None
    for z0 in starts:
        res = optimize.minimize(
            negll,
            z0,
            jac=True,
            method="L-BFGS-B",
            bounds=[(-LOG_BOUND, LOG_BOUND)] * len(z0),
            options={"maxiter": maxiter, "ftol": 1e-15, "gtol": 1e-9},
        )
        if np.isfinite(res.fun) and (best is None or res.fun < best.fun - 1e-12):
            best = res
        if best is not None and np.max(np.abs(best.jac)) < GRAD_TOL:
            break
    if best is None:
        raise ValueError(error)
    return best


def trust_newton(negll, hess, starts, error: str):
    """Minimise ``negll`` over log-parameters by trust-region Newton steps with an exact Hessian.

    ``negll(z)`` gives (value, gradient), ``hess(z)`` the Hessian. Keeps the best finite
    optimum over ``starts``; stops once one has a flat gradient. SciPy's ``trust-exact``
    handles indefinite Hessians far from the optimum.
    """
    best = None
    for z0 in starts:
        with np.errstate(all="ignore"):
            res = optimize.minimize(
                lambda z: negll(z)[0],
                z0,
                jac=lambda z: negll(z)[1],
                hess=hess,
                method="trust-exact",
                options={"gtol": GRAD_TOL / 10, "maxiter": 200},
            )
        if np.isfinite(res.fun) and (best is None or res.fun < best.fun - 1e-12):
            best = res
        if best is not None and np.max(np.abs(best.jac)) < GRAD_TOL:
            break
    if best is None:
        raise ValueError(error)
    return best


# Fits with more distinct histories than SUBSAMPLE_ABOVE start from a fit to about SUBSAMPLE_ROWS of them.
SUBSAMPLE_ABOVE = 200_000
SUBSAMPLE_ROWS = 50_000

# Convergence: the gradient of the *mean* negative log-likelihood with respect to the
# log-parameters (scale-free, per customer) must be below this in every coordinate.
GRAD_TOL = 1e-6


def newton_polish(
    negll: Callable[[np.ndarray], tuple[float, np.ndarray]],
    z: np.ndarray,
    hess: Callable[[np.ndarray], np.ndarray] | None = None,
    max_steps: int = 8,
) -> tuple[np.ndarray, float, np.ndarray, bool]:
    """Newton steps on ``negll`` (mean negative log-likelihood, its gradient) from ``z``.

    ``hess(z)`` is the Hessian of ``negll`` in ``z`` (default: central differences of the
    gradient). A step is halved until the objective does not rise; the iteration stops when
    ``max|gradient| < GRAD_TOL`` with a positive-definite Hessian (converged) or after
    ``max_steps``. Returns ``(z, value, gradient, converged)``.
    """
    if hess is None:

        def hess(zz: np.ndarray) -> np.ndarray:
            return fd_hessian(lambda v: negll(v)[1], zz, rel_step=0.0, abs_step=1e-5)

    f, g = negll(z)
    for _ in range(max_steps + 1):
        H = hess(z)
        pd_ok = bool(np.all(np.isfinite(H))) and np.all(np.linalg.eigvalsh(0.5 * (H + H.T)) > 0)
        if pd_ok and np.max(np.abs(g)) < GRAD_TOL:
            return z, f, g, True
        if not pd_ok:
            break
        step = -np.linalg.solve(H, g)
        t = 1.0
        while t > 1e-4:
            zn = np.clip(z + t * step, -LOG_BOUND, LOG_BOUND)
            fn, gn = negll(zn)
            if np.isfinite(fn) and fn <= f + 1e-15 * max(1.0, abs(f)):
                break
            t *= 0.5
        else:
            break
        z, f, g = zn, fn, gn
    return z, f, g, False


class Optimum(NamedTuple):
    """What :func:`maximise` returns (natural parameters, in the order of ``names``)."""

    theta: np.ndarray
    se: np.ndarray
    cov: np.ndarray
    loglik: float
    converged: bool
    message: str


def maximise(
    ll_grad: Callable[..., tuple[float, np.ndarray | None]],
    starts: list[np.ndarray],
    n: int,
    maxiter: int,
    names: tuple[str, ...],
    model: str,
    error: str,
    stacklevel: int = 2,
    ll_hess: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Optimum:
    """Maximum likelihood over log-parameters, with standard errors.

    ``ll_grad(theta, want_grad=True)`` returns the total log-likelihood and its gradient
    in the natural parameters. The mean negative log-likelihood (total / ``n``) is
    minimised by :func:`multistart` from ``starts`` (log-parameters), then polished by
    Newton steps (:func:`newton_polish`); the fit counts as converged when the gradient
    per customer in the log-parameters is below ``GRAD_TOL`` and the Hessian is positive
    definite there, whatever L-BFGS-B's own flag said. A parameter at the search bound
    gives a warning. Standard errors come from the inverse observed information: the
    analytic Hessian ``ll_hess(theta)`` (natural parameters) when given, else central
    differences of the analytic gradient. Warnings name ``model``; ``stacklevel`` is theirs
    as seen from the function that calls this one (2: its caller).
    """
    k = len(names)

    def negll(z: np.ndarray) -> tuple[float, np.ndarray]:
        th = np.exp(np.clip(z, -LOG_BOUND, LOG_BOUND))
        with np.errstate(all="ignore"):
            ll, g = ll_grad(th)
        if not (np.isfinite(ll) and np.all(np.isfinite(g))):
            return np.inf, np.zeros(k)
        return -ll / n, -(g * th) / n

    def grad_total(th: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return ll_grad(th)[1]

    cache: dict[bytes, np.ndarray] = {}

    def hess_natural(th: np.ndarray) -> np.ndarray:
        key = th.tobytes()
        if key not in cache:
            if ll_hess is not None:
                with np.errstate(all="ignore"):
                    cache[key] = ll_hess(th)
            else:
                cache[key] = fd_hessian(grad_total, th)
        return cache[key]

    def hess_z(z: np.ndarray) -> np.ndarray:
        # d2(-ll/n)/dz dz' = -(diag(th) H diag(th) + diag(th * g)) / n, theta = exp(z)
        th = np.exp(z)
        H = hess_natural(th)
        g = grad_total(th)
        return -(th[:, None] * H * th[None, :] + np.diag(th * g)) / n

    best = multistart(negll, starts, maxiter, error) if ll_hess is None else trust_newton(negll, hess_z, starts, error)
    z, _, gz, converged = newton_polish(negll, best.x, hess=hess_z)
    warn_at_bound(z, names, model, stacklevel=stacklevel + 2)
    theta = np.exp(z)
    H = hess_natural(theta)
    cov = covariance(-H, names, model, stacklevel=stacklevel + 2)
    se = np.sqrt(np.diag(cov))
    with np.errstate(all="ignore"):
        ll, _ = ll_grad(theta, want_grad=False)
    message = (
        f"converged: max |gradient| per customer {np.max(np.abs(gz)):.1e} (optimiser: {best.message})"
        if converged
        else f"not converged: max |gradient| per customer {np.max(np.abs(gz)):.1e} (optimiser: {best.message})"
    )
    return Optimum(theta=theta, se=se, cov=cov, loglik=float(ll), converged=converged, message=message)


def fit_purchase_model(
    ll_grad: Callable[..., tuple[float, np.ndarray | None]],
    frequency: Any,
    recency: Any,
    T: Any,
    *,
    initial: dict | None,
    maxiter: int,
    model: str,
    fit_name: str,
    b_starts: tuple[float, float, float],
    data_class: Any = None,
) -> dict[str, Any]:
    """Fit a BG/NBD-type model of (frequency, recency, T) by maximum likelihood.

    ``ll_grad(theta, x, t_x, T, w, want_grad=True)`` is the weighted log-likelihood and its
    gradient in (r, alpha, a, b). With ``data_class`` (built from the grouped histories, with
    ``evaluate(theta, order)`` returning the log-likelihood, gradient and analytic Hessian), the
    fit uses that instead: Newton-type trust-region steps and an exact observed information. Identical ``(frequency, recency, T)`` rows are grouped
    and weighted by their count, then :func:`maximise` runs from ``initial`` or from three
    default starts (``b_starts``: their values of ``b``).

    Returns:
        The fields of a fitted result (``params``, ``se``, ``cov``, ``loglik``, ``n``,
        ``n_unique``, ``converged``, ``message`` and the grouped customers) as a dict.

    Raises:
        ValueError: on bad input (naming the argument), fewer than 2 customers, no
            repeat purchase at all, or a single distinct history (parameters not identified).
    """
    x, tx, TT = check_rfm(frequency, recency, T)
    n = x.size
    if n < 2:
        raise ValueError(f"frequency: need at least 2 customers to fit the {model} (got {n})")
    if not np.any(x > 0):
        raise ValueError(f"frequency: every customer has 0 repeat purchases; the {model} is not identified")
    codes, (xu, txu, Tu), w = compress(x, tx, TT)
    if w.size < 2:
        raise ValueError(
            f"frequency: every customer has the same (frequency, recency, T); the {model} is not identified"
        )

    if initial is not None:
        starts = [np.log(check_positive_params(initial, PURCHASE_PARAMS))]
    else:
        scale = max(float(np.mean(TT)), 1e-3)
        b1, b2, b3 = b_starts
        starts = [
            np.log([1.0, scale, 1.0, b1]),
            np.log([0.5, scale / 4.0, 0.5, b2]),
            np.log([2.0, scale * 4.0, 2.0, b3]),
        ]
    if data_class is not None:
        data = data_class(xu, txu, Tu, w)
        if initial is None and w.size > SUBSAMPLE_ABOVE:
            # a start near the optimum from every k-th distinct history (counts scaled by k): the full data then
            # need two or three Newton steps instead of ten; the optimum is still the full data's (same test)
            k = -(-w.size // SUBSAMPLE_ROWS)
            sub = data_class(xu[::k], txu[::k], Tu[::k], w[::k])
            n_sub = float(np.sum(w[::k]))

            def sub_negll(z):
                th = np.exp(np.clip(z, -LOG_BOUND, LOG_BOUND))
                with np.errstate(all="ignore"):
                    ll, g, _ = sub.evaluate(th, 2)
                if not (np.isfinite(ll) and np.all(np.isfinite(g))):
                    return np.inf, np.zeros(len(th))
                return -ll / n_sub, -(g * th) / n_sub

            def sub_hess(z):
                th = np.exp(z)
                with np.errstate(all="ignore"):
                    _, g, H = sub.evaluate(th, 2)
                return -(th[:, None] * H * th[None, :] + np.diag(th * g)) / n_sub

            try:
                z_sub = trust_newton(sub_negll, sub_hess, starts, "subsample").x
                starts = [z_sub, *starts]
            except ValueError:
                pass

        def ll_fn(th, want_grad=True):
            # one pass gives value, gradient and Hessian: the trust-region method asks for all three at
            # each accepted point, so computing them together saves two passes over the histories
            return data.evaluate(th, 2)[:2]

        def hess_fn(th):
            return data.evaluate(th, 2)[2]
    else:

        def ll_fn(th, want_grad=True):
            return ll_grad(th, xu, txu, Tu, w, want_grad=want_grad)

        hess_fn = None
    opt = maximise(
        ll_fn,
        starts,
        n,
        maxiter,
        PURCHASE_PARAMS,
        fit_name,
        f"frequency: the {model} likelihood could not be evaluated for these data",
        stacklevel=3,
        ll_hess=hess_fn,
    )
    return dict(
        params={k: float(v) for k, v in zip(PURCHASE_PARAMS, opt.theta)},
        se={k: float(v) for k, v in zip(PURCHASE_PARAMS, opt.se)},
        cov=opt.cov,
        loglik=opt.loglik,
        n=int(n),
        n_unique=int(w.size),
        converged=opt.converged,
        message=opt.message,
        _codes=codes,
        _xu=xu,
        _txu=txu,
        _Tu=Tu,
        _index=index_of(frequency),
    )


def purchase_loglik(
    ll_grad: Callable[..., tuple[float, np.ndarray | None]],
    params: Any,
    frequency: Any,
    recency: Any,
    T: Any,
    weights: Any,
    gradient: bool,
) -> float | tuple[float, np.ndarray]:
    """``ll_grad`` (as for :func:`fit_purchase_model`) at checked ``params`` and customers' histories."""
    theta = check_positive_params(params, PURCHASE_PARAMS)
    x, tx, TT = check_rfm(frequency, recency, T)
    w = np.ones_like(x) if weights is None else as_1d("weights", weights)
    if w.size != x.size:
        raise ValueError(f"weights: length {w.size:,} does not match frequency (length {x.size:,})")
    if np.any(w < 0):
        raise ValueError("weights: must be >= 0")
    with np.errstate(all="ignore"):
        ll, g = ll_grad(theta, x, tx, TT, w, want_grad=gradient)
    return (ll, g) if gradient else ll


@dataclass
class PurchaseFit:
    """Fields and plumbing shared by ``clv.BGNBDResult`` and ``retention.MBGNBDResult``.

    The public fields are described on those classes. The private ones hold the fitted
    customers, grouped (:func:`compress`): ``_codes`` (customer -> group), the distinct
    ``_xu``, ``_txu``, ``_Tu`` and the customers' ``_index``; None when not fitted to data.
    """

    params: dict[str, float]
    se: dict[str, float]
    cov: np.ndarray = field(repr=False)
    loglik: float
    n: int
    n_unique: int
    converged: bool
    message: str
    _codes: np.ndarray | None = field(default=None, repr=False)
    _xu: np.ndarray | None = field(default=None, repr=False)
    _txu: np.ndarray | None = field(default=None, repr=False)
    _Tu: np.ndarray | None = field(default=None, repr=False)
    _index: pd.Index | None = field(default=None, repr=False)

    @classmethod
    def _unfitted(cls, params: Any, **customers: Any):
        """A model with given parameters: ``se``, ``cov`` and ``loglik`` NaN, ``customers`` as given."""
        theta = check_positive_params(params, PURCHASE_PARAMS)
        return cls(
            params={k: float(v) for k, v in zip(PURCHASE_PARAMS, theta)},
            se={k: math.nan for k in PURCHASE_PARAMS},
            cov=np.full((4, 4), np.nan),
            loglik=math.nan,
            n=0,
            n_unique=0,
            converged=False,
            message="parameters given, not fitted",
            **customers,
        )

    @property
    def theta(self) -> np.ndarray:
        """The estimates as an array in the order (r, alpha, a, b)."""
        return np.array([self.params[k] for k in PURCHASE_PARAMS])

    def _customers(self, frequency, recency, T):
        """Compressed customers: either the fitted ones or new arrays."""
        if frequency is None and recency is None and T is None:
            if self._codes is None:
                raise ValueError("frequency: this model was not fitted to data; pass frequency, recency and T")
            return self._codes, self._xu, self._txu, self._Tu, self._index
        if frequency is None or recency is None or T is None:
            raise ValueError("frequency: give frequency, recency and T together (or none for the fitted customers)")
        x, tx, TT = check_rfm(frequency, recency, T)
        codes, (xu, txu, Tu), _ = compress_histories(x, tx, TT)
        return codes, xu, txu, Tu, index_of(frequency)

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """Table of estimates: ``parameter, estimate, se, ci_low, ci_high``.

        The interval is a Wald interval on the log scale (keeps it positive) at ``level``.
        """
        return summary_frame(self.params, self.se, level)
