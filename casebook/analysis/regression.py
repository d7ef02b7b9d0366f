"""Linear regression with categorical controls on large tables: the design built with pandas, fitted by statsmodels.

``smf.ols("y ~ x + C(segment) + C(year)", data=df)`` is the readable way to write these
models, and the chapters show the formula beside each call. At a million rows, though,
patsy's formula machinery takes 4-7 times as long to build the design matrix as the fit
itself (measured in chapter 03 at 1,000,000 customers: 7.5 s against 1.1 s for the same
clustered fit). :func:`ols` builds the same treatment-coded design (levels sorted, first level
dropped, as patsy does) as one float64 array filled in place and hands it to ``statsmodels.OLS``
or ``WLS``; coefficient names follow patsy's (``C(segment)[T.level]``), so the results are
interchangeable with the formula version (tested against ``smf.ols``/``smf.wls``).

One piece is written here rather than taken from statsmodels: :func:`pinv_extended`, the same
SVD pseudo-inverse statsmodels fits with, with the scaling done in place instead of in a
temporary as large as the design (130 MB at a million rows in chapter 03). It is swapped in for
the duration of each fit only, and a test checks it equals statsmodels' bit for bit.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import pandas as pd

__all__ = ["ols"]


def ols(
    data: pd.DataFrame,
    y: str,
    x: Sequence[str] = (),
    categorical: Sequence[str] = (),
    cluster: str | None = None,
    cov_type: str = "nonrobust",
    keep_data: bool = False,
    weights: str | np.ndarray | pd.Series | None = None,
):
    """OLS of ``y`` on ``x`` plus treatment-coded ``categorical`` controls, as ``smf.ols`` would fit it.

    Equivalent to ``smf.ols(f"{y} ~ {' + '.join(x)} + C(c1) + C(c2)", data).fit(...)``.

    Args:
        data: one row per observation; no missing values in the columns used.
        y: outcome column (numeric or boolean).
        x: numeric (or boolean) regressors, entered as they are.
        categorical: columns entered as dummies, the first of their sorted levels left out.
        cluster: if given, standard errors clustered by this column (``cov_type="cluster"``).
        cov_type: statsmodels covariance type when ``cluster`` is None (e.g. ``"HC1"``).
        weights: if given (a column name or one weight per row), weighted least squares as
            ``smf.wls(..., weights=...)`` fits it.
        keep_data: keep the design and residual arrays in the result (``resid``, ``predict``).
            By default the summary numbers are evaluated and the arrays dropped with
            statsmodels' ``remove_data()``: at a million rows they hold several hundred MB.

    Returns:
        The statsmodels results object (``params``, ``bse``, ``conf_int()``, ``pvalues``, ``nobs``, ...).
    """
    import statsmodels.api as sm

    cols = [y, *x, *categorical, *([cluster] if cluster else [])]
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise ValueError(f"columns: {missing} not in data (columns: {', '.join(map(str, data.columns))})")
    if any(data[c].isna().any() for c in cols):
        raise ValueError(f"data: missing values in {', '.join(c for c in cols if data[c].isna().any())}")
    X = pd.DataFrame(design(data, x, categorical), columns=design_names(data, x, categorical), copy=False)
    X.index = data.index  # one float64 block: statsmodels takes it as a view, no copy
    if weights is None:
        model = sm.OLS(data[y].astype(np.float64), X)
    else:
        w = data[weights] if isinstance(weights, str) else weights
        model = sm.WLS(data[y].astype(np.float64), X, weights=np.asarray(w, dtype=np.float64))
    with _lean_pinv():
        if cluster:
            res = model.fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(data[cluster])[0]})
        else:
            res = model.fit(cov_type=cov_type)
    if not keep_data:
        _ = res.nobs, res.df_resid, res.bse, res.tvalues, res.pvalues, res.conf_int()  # evaluated (cached) first
        res.remove_data()
    return res


def _levels(data: pd.DataFrame, c: str) -> list:
    """The sorted levels of categorical column ``c``."""
    return sorted(pd.unique(data[c]))


def design_names(data: pd.DataFrame, x: Sequence[str], categorical: Sequence[str]) -> list[str]:
    """Column names of :func:`design`, as patsy names them (``Intercept``, ``x``, ``C(c)[T.level]``)."""
    names = ["Intercept", *x]
    for c in categorical:
        names += [f"C({c})[T.{lv}]" for lv in _levels(data, c)[1:]]
    return names


def design(data: pd.DataFrame, x: Sequence[str], categorical: Sequence[str]) -> np.ndarray:
    """The treatment-coded design matrix (intercept, ``x``, dummies) as one float64 array, filled in place.

    One allocation of ``rows x columns``: no per-column frames and no concatenated copy, so at a
    million rows the design costs its own size and nothing more.
    """
    k = 1 + len(x) + sum(len(_levels(data, c)) - 1 for c in categorical)
    X = np.zeros((len(data), k))
    X[:, 0] = 1.0
    for j, c in enumerate(x, start=1):
        X[:, j] = data[c].to_numpy(dtype=np.float64)
    j = 1 + len(x)
    rows = np.arange(len(data))
    for c in categorical:
        levels = _levels(data, c)
        codes = pd.Categorical(data[c], categories=levels).codes  # 0 = the left-out level
        hit = codes > 0
        X[rows[hit], j + codes[hit] - 1] = 1.0
        j += len(levels) - 1
    return X


def pinv_extended(x: np.ndarray, rcond: float = 1e-15) -> tuple[np.ndarray, np.ndarray]:
    """statsmodels' ``pinv_extended`` (the pseudo-inverse OLS fits with, and the singular values), one copy leaner.

    The same SVD and the same products, so the result is identical bit for bit; only the
    left singular vectors are scaled in place instead of into a transposed temporary. At a
    million rows that temporary is as large as the design matrix (130 MB in chapter 03).
    """
    x = np.asarray(x)
    u, s, vt = np.linalg.svd(x, False)
    s_orig = np.copy(s)
    cutoff = rcond * np.maximum.reduce(s)
    s = np.where(s > cutoff, 1.0 / np.where(s > cutoff, s, 1.0), 0.0)
    u *= s  # column i times s[i]: the values of np.multiply(s[:, None], u.T), in u's own memory
    return np.dot(np.transpose(vt), np.transpose(u)), s_orig


@contextmanager
def _lean_pinv() -> Iterator[None]:
    """Let statsmodels' OLS fit use :func:`pinv_extended` for the duration of one fit."""
    import statsmodels.regression.linear_model as lm

    original = lm.pinv_extended
    lm.pinv_extended = pinv_extended
    try:
        yield
    finally:
        lm.pinv_extended = original
