"""Tests for casebook.analysis.clv: recovery of planted parameters, analytic gradients,
closed forms against numerical integrals, RFM summary on a hand-made table, edge cases."""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize, stats

from casebook.analysis import clv

TRUE_BG = {"r": 0.24, "alpha": 4.41, "a": 0.79, "b": 2.43}  # CDNOW estimates (FHL 2005a)
TRUE_GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}  # CDNOW estimates (Fader & Hardie 2013)
N_SIM = 20_000


@pytest.fixture(scope="module")
def sim():
    rng = np.random.default_rng(20050101)
    T = rng.uniform(27.0, 39.0, N_SIM)  # CDNOW-like: first purchases in the first 12 of 39 weeks
    d = clv.simulate_bgnbd(N_SIM, **TRUE_BG, T=T, seed=rng)
    d["monetary_value"] = clv.simulate_gamma_gamma(d["frequency"], **TRUE_GG, seed=rng)
    return d


@pytest.fixture(scope="module")
def bg(sim):
    return clv.fit_bgnbd(sim["frequency"], sim["recency"], sim["T"])


@pytest.fixture(scope="module")
def gg(sim):
    return clv.fit_gamma_gamma(sim["frequency"], sim["monetary_value"])


# ----------------------------------------------------------------------------- simulation


def test_simulate_bgnbd_is_consistent(sim):
    assert sim["frequency"].dtype == np.int64
    assert (sim["recency"] <= sim["T"]).all() and (sim["recency"] >= 0).all()
    assert (sim.loc[sim["frequency"] == 0, "recency"] == 0).all()
    assert (sim.loc[sim["frequency"] > 0, "monetary_value"] > 0).all()
    assert (sim.loc[sim["frequency"] == 0, "monetary_value"] == 0).all()
    again = clv.simulate_bgnbd(50, **TRUE_BG, T=30.0, seed=1)
    pd.testing.assert_frame_equal(again, clv.simulate_bgnbd(50, **TRUE_BG, T=30.0, seed=1))
    grid = clv.simulate_bgnbd(2_000, **TRUE_BG, T=30.0, seed=2, recency_grid=1.0)
    assert np.array_equal(grid["recency"], np.round(grid["recency"]))


def test_expected_purchases_new_matches_simulation():
    """E[X(t)] (eq. 7) against the mean of 200,000 simulated new customers."""
    model = clv.BGNBDResult.from_params(TRUE_BG)
    t = 39.0
    d = clv.simulate_bgnbd(200_000, **TRUE_BG, T=t, seed=11)
    mean, se = d["frequency"].mean(), d["frequency"].std() / np.sqrt(len(d))
    assert abs(model.expected_purchases_new(t) - mean) < 4 * se
    assert model.expected_purchases_new(0.0) == 0.0
    curve = model.expected_purchases_new(np.array([1.0, 10.0, 50.0]))
    assert np.all(np.diff(curve) > 0)


# ----------------------------------------------------------------------------- BG/NBD fit


def test_bgnbd_recovers_planted_parameters(bg):
    assert bg.converged and bg.n == N_SIM
    for k, truth in TRUE_BG.items():
        est, se = bg.params[k], bg.se[k]
        assert 0 < se < 0.2 * est, (k, est, se)  # positive and sensible
        assert abs(est - truth) < 3 * se, (k, est, truth, se)
        # ... and the test has power: a value 50 % off is rejected
        assert abs(est - 1.5 * truth) > 3 * se, (k, est, se)
    w = np.bincount(bg._codes)
    ll_truth = clv.bgnbd_loglik(TRUE_BG, bg._xu, bg._txu, bg._Tu, weights=w)
    # likelihood-ratio check: truth inside the 99.9 % region, a 20 % shift of b far outside
    assert 0 <= 2 * (bg.loglik - ll_truth) < stats.chi2.ppf(0.999, 4)
    ll_wrong = clv.bgnbd_loglik({**TRUE_BG, "b": 1.2 * TRUE_BG["b"]}, bg._xu, bg._txu, bg._Tu, weights=w)
    assert 2 * (bg.loglik - ll_wrong) > stats.chi2.ppf(0.999, 4)
    s = bg.summary()
    assert list(s.columns) == ["parameter", "estimate", "se", "ci_low", "ci_high"]
    assert list(s["parameter"]) == ["r", "alpha", "a", "b"]
    assert (s["ci_low"] < s["estimate"]).all() and (s["estimate"] < s["ci_high"]).all()


def test_bgnbd_standard_errors_match_finite_difference_of_loglik(bg):
    """The SE of r from the inverse Hessian vs a second difference of the log-likelihood itself."""
    args = (bg._xu, bg._txu, bg._Tu)
    w = np.bincount(bg._codes).astype(float)
    th = bg.theta
    f = lambda v: clv.bgnbd_loglik(v, *args, weights=w)  # noqa: E731
    h = 1e-3 * th
    H = np.empty((4, 4))
    for i in range(4):
        for j in range(4):
            ei, ej = np.eye(4)[i] * h[i], np.eye(4)[j] * h[j]
            H[i, j] = (f(th + ei + ej) - f(th + ei - ej) - f(th - ei + ej) + f(th - ei - ej)) / (4 * h[i] * h[j])
    se_fd = np.sqrt(np.diag(np.linalg.inv(-H)))
    np.testing.assert_allclose(se_fd, [bg.se[k] for k in clv.BGNBD_PARAMS], rtol=2e-2)


@pytest.mark.parametrize(
    "point",
    [
        TRUE_BG,
        {"r": 1.3, "alpha": 0.7, "a": 2.5, "b": 0.4},
        {"r": 0.05, "alpha": 40.0, "a": 0.2, "b": 9.0},
    ],
)
def test_bgnbd_gradient_matches_finite_differences(sim, point):
    d = sim.iloc[:400]
    args = (d["frequency"], d["recency"], d["T"])
    th = np.array([point[k] for k in clv.BGNBD_PARAMS])
    ll, g = clv.bgnbd_loglik(point, *args, gradient=True)
    assert ll == pytest.approx(clv.bgnbd_loglik(point, *args))
    g_fd = optimize.approx_fprime(th, lambda v: clv.bgnbd_loglik(v, *args), 1e-7 * th)
    np.testing.assert_allclose(g, g_fd, rtol=2e-4, atol=1e-3)


# ----------------------------------------------------------------------------- predictions


def _expected_by_quadrature(theta, x, tx, T, t):
    """E[Y(t)|x,t_x,T] = P(alive) * E[(1 - exp(-lambda p t)) / p | alive]: the posterior of
    lambda is Gamma(r+x, alpha+T), of p is Beta(a, b+x); integrate lambda out, p by quad."""
    r, alpha, a, b = theta
    pa = clv.BGNBDResult.from_params(dict(zip(clv.BGNBD_PARAMS, theta))).p_alive([x], [tx], [T])[0]
    f = lambda p: (1 - ((alpha + T) / (alpha + T + p * t)) ** (r + x)) / p * stats.beta.pdf(p, a, b + x)  # noqa: E731
    return pa * integrate.quad(f, 0, 1, limit=200, epsabs=0, epsrel=1e-10)[0]


@pytest.mark.parametrize(
    "x,tx,T,t",
    [
        (0, 0.0, 30.0, 10.0),
        (2, 10.0, 30.0, 10.0),
        (5, 29.0, 30.0, 52.0),
        (50, 29.0, 30.0, 100.0),
        (200, 30.0, 30.0, 500.0),
        (1, 1.0, 39.0, 1000.0),
    ],
)
@pytest.mark.parametrize("theta", [(0.24, 4.41, 0.79, 2.43), (2.0, 10.0, 3.0, 5.0)])
def test_conditional_expectation_matches_quadrature(theta, x, tx, T, t):
    model = clv.BGNBDResult.from_params(dict(zip(clv.BGNBD_PARAMS, theta)))
    got = model.expected_purchases(t, [x], [tx], [T])[0]
    assert got == pytest.approx(_expected_by_quadrature(theta, x, tx, T, t), rel=1e-7)


def test_conditional_expectation_averages_to_unconditional():
    """Law of total expectation: the cohort average of E[Y(t)|x,t_x,T] equals E[X(T+t)] - E[X(T)]."""
    model = clv.BGNBDResult.from_params(TRUE_BG)
    T, t = 30.0, 20.0
    d = clv.simulate_bgnbd(100_000, **TRUE_BG, T=T, seed=5)
    cond = model.expected_purchases(t, d["frequency"], d["recency"], d["T"])
    target = model.expected_purchases_new(T + t) - model.expected_purchases_new(T)
    assert abs(cond.mean() - target) < 4 * cond.std() / np.sqrt(len(d))
    # a model with other parameters does not satisfy it
    other = clv.BGNBDResult.from_params({**TRUE_BG, "b": 1.3 * TRUE_BG["b"]})
    cond_o = other.expected_purchases(t, d["frequency"], d["recency"], d["T"])
    assert abs(cond_o.mean() - target) > 4 * cond.std() / np.sqrt(len(d))


def test_p_alive_properties(bg, sim):
    pa = bg.p_alive()
    assert pa.shape == (N_SIM,) and np.all((pa >= 0) & (pa <= 1))
    assert np.all(pa[sim["frequency"].to_numpy() == 0] == 1.0)
    Ts = np.linspace(10, 100, 10)
    curve = bg.p_alive(np.full(10, 3), np.full(10, 8.0), Ts)
    assert np.all(np.diff(curve) < 0)
    freqs = np.arange(0, 20)
    ep = bg.expected_purchases(52, freqs, np.full(20, 39.0) * (freqs > 0), np.full(20, 39.0))
    assert np.all(np.diff(ep) > 0)


def test_series_in_series_out(bg, sim):
    d = sim.iloc[:5].set_axis([11, 12, 13, 14, 15])
    pa = bg.p_alive(d["frequency"], d["recency"], d["T"])
    assert isinstance(pa, pd.Series) and list(pa.index) == [11, 12, 13, 14, 15]
    ep = bg.expected_purchases(10, d["frequency"], d["recency"], d["T"])
    np.testing.assert_allclose(ep.to_numpy(), bg.expected_purchases(10)[:5])


# ----------------------------------------------------------------------------- Gamma-Gamma


def test_gamma_gamma_recovers_planted_parameters(gg, sim):
    assert gg.converged and gg.n == int((sim["frequency"] > 0).sum())
    assert gg.n_excluded == N_SIM - gg.n
    for k, truth in TRUE_GG.items():
        est, se = gg.params[k], gg.se[k]
        assert 0 < se < 0.3 * est, (k, est, se)
        assert abs(est - truth) < 3 * se, (k, est, truth, se)
    # the planted values are jointly inside; a spend scale 30 % off is not
    assert abs(gg.params["gamma"] - 1.3 * TRUE_GG["gamma"]) > 3 * gg.se["gamma"]
    assert gg.loglik >= clv.gamma_gamma_loglik(TRUE_GG, sim["frequency"], sim["monetary_value"])


@pytest.mark.parametrize("point", [TRUE_GG, {"p": 0.7, "q": 1.2, "gamma": 200.0}])
def test_gamma_gamma_gradient_matches_finite_differences(sim, point):
    d = sim.iloc[:2000]
    th = np.array([point[k] for k in clv.GG_PARAMS])
    _, g = clv.gamma_gamma_loglik(point, d["frequency"], d["monetary_value"], gradient=True)
    f = lambda v: clv.gamma_gamma_loglik(v, d["frequency"], d["monetary_value"])  # noqa: E731
    g_fd = optimize.approx_fprime(th, f, 1e-7 * th)
    np.testing.assert_allclose(g, g_fd, rtol=2e-4, atol=1e-3)


def test_conditional_expected_spend(gg):
    p, q, g = gg.theta
    out = gg.conditional_expected_spend([0, 1, 10, 1000], [0.0, 30.0, 30.0, 30.0])
    assert out[0] == pytest.approx(gg.expected_spend_new()) == pytest.approx(g * p / (q - 1))
    assert out[1] == pytest.approx((g + 30.0) * p / (p + q - 1))
    # shrinkage: from the population mean toward the customer's own mean as x grows
    gap = out - 30.0
    assert np.all(np.sign(gap) == np.sign(gg.expected_spend_new() - 30.0))
    assert np.all(np.diff(np.abs(gap)) < 0) and abs(gap[3]) < 0.1
    with pytest.raises(ValueError, match="^frequency: q = "):
        clv.GammaGammaResult.from_params({"p": 2.0, "q": 0.8, "gamma": 10.0}).conditional_expected_spend([0], [0.0])


# ----------------------------------------------------------------------------- CLV, bootstrap


def test_clv_telescopes_without_discount(bg, gg, sim):
    d = sim.iloc[:1000]
    args = (d["frequency"], d["recency"], d["T"], d["monetary_value"])
    v0 = clv.customer_lifetime_value(
        bg, gg, *args, horizon_periods=52, margin=0.3, discount_rate_per_period=0.0, step=4.0
    )
    expect = (
        bg.expected_purchases(52, d["frequency"], d["recency"], d["T"])
        * gg.conditional_expected_spend(d["frequency"], d["monetary_value"])
        * 0.3
    )
    np.testing.assert_allclose(v0, expect, rtol=1e-10)
    v1 = clv.customer_lifetime_value(bg, gg, *args, horizon_periods=52, margin=0.3, discount_rate_per_period=0.002)
    assert np.all(v1 < v0) and np.all(v1 > 0.9 * v0)
    assert isinstance(v1, pd.Series)
    v2 = clv.customer_lifetime_value(bg, gg, *args, horizon_periods=104, margin=0.3, discount_rate_per_period=0.002)
    assert np.all(v2 > v1)
    assert clv.customer_equity(v1) == pytest.approx(float(v1.sum()))


def test_bootstrap_interval():
    rng = np.random.default_rng(0)
    v = rng.exponential(10.0, 5_000)
    lo, hi = clv.bootstrap_interval(v, n_boot=400, seed=1, max_elements=100_000)  # 20 resamples a chunk
    half = 1.96 * v.std() * np.sqrt(v.size)
    assert lo < v.sum() < hi
    assert 0.8 * half < (hi - lo) / 2 < 1.2 * half
    assert clv.bootstrap_interval(v, n_boot=400, seed=1, max_elements=100_000) == (lo, hi)
    lo_m, hi_m = clv.bootstrap_interval(v, stat=np.median, n_boot=200, seed=2)
    assert lo_m < np.median(v) < hi_m
    assert clv.bootstrap_interval([5.0], n_boot=10) == (5.0, 5.0)


# ----------------------------------------------------------------------------- rfm_summary


@pytest.fixture()
def orders():
    rows = [
        (1, "2024-01-01", 10.0),
        (1, "2024-01-01", 5.0),
        (1, "2024-01-15", 20.0),
        (1, "2024-01-29", 30.0),
        (1, "2024-02-10", 7.0),
        (1, "2024-02-10", 3.0),
        (1, "2024-02-20", 1.0),
        (1, "2024-03-05", 9.0),
        (2, "2024-01-10", 50.0),
        (3, "2024-02-05", 8.0),  # first purchase after calibration: excluded
        (4, "2024-01-31", 12.0),
        (4, "2024-02-01", 4.0),
        (5, "2024-01-03 09:00", 6.0),
        (5, "2024-01-03 17:30", 4.0),
        (5, "2024-01-04", 40.0),
    ]
    df = pd.DataFrame(rows, columns=["customer_id", "order_date", "revenue"])
    df["customer_id"] = df["customer_id"].astype("int64")
    df["order_date"] = pd.to_datetime(df["order_date"], format="ISO8601")
    return df.sample(frac=1.0, random_state=3)  # order of rows must not matter


def test_rfm_summary_known_answers(orders):
    out = clv.rfm_summary(orders, calibration_end="2024-01-31", holdout_end="2024-02-29")
    assert list(out.index) == [1, 2, 4, 5] and out.index.name == "customer_id"
    assert list(out.columns) == ["frequency", "recency", "T", "monetary_value", "holdout_purchases", "holdout_length"]
    exp = pd.DataFrame(
        {
            "frequency": [2, 0, 0, 1],
            "recency": [28 / 7, 0.0, 0.0, 1 / 7],
            "T": [30 / 7, 21 / 7, 0.0, 28 / 7],
            "monetary_value": [25.0, 0.0, 0.0, 40.0],
            "holdout_purchases": [2, 0, 1, 0],
            "holdout_length": [29 / 7] * 4,
        },
        index=pd.Index([1, 2, 4, 5], name="customer_id"),
    )
    pd.testing.assert_frame_equal(out, exp, check_dtype=False)
    assert out["frequency"].dtype == np.int64 and out["holdout_purchases"].dtype == np.int64


def test_rfm_summary_options(orders):
    days = clv.rfm_summary(orders, calibration_end=dt.date(2024, 1, 31), unit_days=1)
    assert days.loc[1, "recency"] == 28 and days.loc[1, "T"] == 30 and "holdout_purchases" not in days
    cohort = clv.rfm_summary(orders, calibration_end="2024-01-31", observation_start="2024-01-05")
    assert list(cohort.index) == [2, 4]
    # Python dates (object column), as pyarrow date32 arrives via to_pandas(), give the same answer
    as_dates = orders.assign(order_date=orders["order_date"].dt.date)
    pd.testing.assert_frame_equal(
        clv.rfm_summary(as_dates, calibration_end="2024-01-31"), clv.rfm_summary(orders, calibration_end="2024-01-31")
    )
    pa = pytest.importorskip("pyarrow")
    arrow = orders.assign(order_date=orders["order_date"].dt.date.astype(pd.ArrowDtype(pa.date32())))
    pd.testing.assert_frame_equal(
        clv.rfm_summary(arrow, calibration_end="2024-01-31"), clv.rfm_summary(orders, calibration_end="2024-01-31")
    )
    # default calibration end = last order date
    default = clv.rfm_summary(orders)
    assert default.loc[3, "T"] == 29 / 7 and default.loc[1, "T"] == 64 / 7


def test_rfm_summary_errors(orders):
    with pytest.raises(ValueError, match="^value_col:"):
        clv.rfm_summary(orders.assign(revenue=np.nan), calibration_end="2024-01-31")
    with pytest.raises(ValueError, match="^value_col:.*negative"):
        clv.rfm_summary(orders.assign(revenue=-1.0), calibration_end="2024-01-31")
    with pytest.raises(ValueError, match="^date_col:"):
        clv.rfm_summary(orders, date_col="when", calibration_end="2024-01-31")
    with pytest.raises(ValueError, match="^holdout_end:"):
        clv.rfm_summary(orders, calibration_end="2024-01-31", holdout_end="2024-01-01")
    with pytest.raises(ValueError, match="^calibration_end:"):
        clv.rfm_summary(orders, calibration_end="2023-01-01")
    with pytest.raises(ValueError, match="^unit_days:"):
        clv.rfm_summary(orders, calibration_end="2024-01-31", unit_days=0)


def test_rfm_summary_feeds_the_models(orders):
    """Larger random order table: summary is internally consistent and fits run."""
    rng = np.random.default_rng(4)
    n_cust, n = 3_000, 30_000
    # heterogeneous buying rates, acquisition days and lifetimes (so buyers also drop out)
    weight = rng.gamma(0.5, 1.0, n_cust)
    born = rng.integers(0, 540, n_cust)
    life = rng.exponential(200.0, n_cust)
    c = rng.choice(n_cust, size=n, p=weight / weight.sum())
    day = born[c] + np.floor(rng.uniform(0, 1, n) * life[c]).astype(int)
    o = pd.DataFrame(
        {
            "customer_id": c.astype("int64"),
            "order_date": pd.Timestamp("2023-01-01") + pd.to_timedelta(day, "D"),
            "revenue": rng.gamma(2.0, 50.0, n),
        }
    )
    s = clv.rfm_summary(o, calibration_end="2024-06-30", holdout_end="2024-12-31")
    assert (s["recency"] <= s["T"]).all() and (s.loc[s["frequency"] == 0, "recency"] == 0).all()
    first = o.groupby("customer_id")["order_date"].min()
    assert set(s.index) == set(first[first <= "2024-06-30"].index)
    m = clv.fit_bgnbd(s["frequency"], s["recency"], s["T"])
    assert np.all(np.isfinite(list(m.params.values())))
    g = clv.fit_gamma_gamma(s["frequency"], s["monetary_value"])
    assert np.all(np.isfinite(list(g.params.values())))


# ----------------------------------------------------------------------------- edge cases


def test_bad_inputs_name_the_argument():
    with pytest.raises(ValueError, match="^recency: must be <= T for every customer"):
        clv.fit_bgnbd([1, 2], [5.0, 3.0], [4.0, 10.0])
    with pytest.raises(ValueError, match="^frequency: contains 1 NaN"):
        clv.fit_bgnbd([1, np.nan], [1.0, 0.0], [4.0, 10.0])
    with pytest.raises(ValueError, match="^frequency: must be >= 0"):
        clv.fit_bgnbd([1, -1], [1.0, 0.0], [4.0, 10.0])
    with pytest.raises(ValueError, match="^frequency: must be whole"):
        clv.fit_bgnbd([1.5, 1], [1.0, 0.0], [4.0, 10.0])
    with pytest.raises(ValueError, match="^T: must be >= 0"):
        clv.fit_bgnbd([0, 1], [0.0, 0.0], [-4.0, 10.0])
    with pytest.raises(ValueError, match="^recency: must be 0 where frequency is 0"):
        clv.fit_bgnbd([0, 1], [2.0, 1.0], [4.0, 10.0])
    with pytest.raises(ValueError, match="^T: length"):
        clv.fit_bgnbd([0, 1], [0.0, 1.0], [4.0, 10.0, 3.0])
    with pytest.raises(ValueError, match="^frequency: is empty"):
        clv.fit_bgnbd([], [], [])
    with pytest.raises(ValueError, match="^monetary_value: must be > 0 where frequency > 0"):
        clv.fit_gamma_gamma([1, 2], [0.0, 3.0])
    with pytest.raises(ValueError, match="^monetary_value: contains"):
        clv.fit_gamma_gamma([1, 2], [np.nan, 3.0])
    with pytest.raises(ValueError, match="^alpha: must be a positive"):
        clv.simulate_bgnbd(10, 0.2, -1.0, 0.8, 2.4, T=10.0, seed=0)
    with pytest.raises(ValueError, match="^margin:"):
        clv.customer_lifetime_value(
            clv.BGNBDResult.from_params(TRUE_BG),
            clv.GammaGammaResult.from_params(TRUE_GG),
            [1],
            [1.0],
            [2.0],
            [10.0],
            horizon_periods=10,
            margin=1.5,
            discount_rate_per_period=0.0,
        )
    with pytest.raises(ValueError, match="^n_boot:"):
        clv.bootstrap_interval([1.0, 2.0], n_boot=0)


def test_unidentified_fits_raise():
    with pytest.raises(ValueError, match="^frequency: need at least 2 customers"):
        clv.fit_bgnbd([3], [20.0], [30.0])
    with pytest.raises(ValueError, match="^frequency: every customer has 0 repeat purchases"):
        clv.fit_bgnbd([0, 0, 0], [0.0, 0.0, 0.0], [5.0, 10.0, 30.0])
    with pytest.raises(ValueError, match="^frequency: every customer has the same"):
        clv.fit_bgnbd([2] * 50, [7.0] * 50, [30.0] * 50)
    with pytest.raises(ValueError, match="^frequency: no customer has frequency > 0"):
        clv.fit_gamma_gamma([0, 0], [0.0, 0.0])
    with pytest.raises(ValueError, match="^monetary_value: need at least 2 repeat buyers with different"):
        clv.fit_gamma_gamma([1, 3, 2, 0], [20.0, 20.0, 20.0, 0.0])


def test_predictions_finite_at_edges(bg, gg):
    # a single customer, zero repeat purchases, T = 0, a heavy buyer, scalars
    assert bg.p_alive(0, 0, 0)[0] == 1.0
    assert bg.expected_purchases(10, 0, 0, 0)[0] == pytest.approx(bg.expected_purchases_new(10))
    for x, tx, T in [(0, 0.0, 0.0), (0, 0.0, 39.0), (1, 0.0, 39.0), (500, 39.0, 39.0), (3, 39.0, 39.0)]:
        assert np.isfinite(bg.expected_purchases(52, [x], [tx], [T])[0])
        assert 0 <= bg.p_alive([x], [tx], [T])[0] <= 1
    assert bg.expected_purchases(0, [4], [10.0], [30.0])[0] == 0.0
    with pytest.raises(ValueError, match="^t: must be finite and >= 0"):
        bg.expected_purchases(-1.0)
    with pytest.raises(ValueError, match="^t: must be a single number"):
        bg.expected_purchases([1.0, 2.0])
    same = bg.expected_purchases(10, [2] * 3, [5.0] * 3, [9.0] * 3)
    assert np.ptp(same) == 0 and np.all(np.isfinite(same))
    v = clv.customer_lifetime_value(
        bg, gg, [0], [0.0], [3.0], [0.0], horizon_periods=26, margin=0.2, discount_rate_per_period=0.001
    )
    assert v.shape == (1,) and np.isfinite(v[0]) and v[0] > 0
    near_one = clv.BGNBDResult.from_params({**TRUE_BG, "a": 1.0})
    e1 = near_one.expected_purchases(20, [2], [10.0], [30.0])[0]
    e2 = clv.BGNBDResult.from_params({**TRUE_BG, "a": 1.001}).expected_purchases(20, [2], [10.0], [30.0])[0]
    assert np.isfinite(e1) and e1 == pytest.approx(e2, rel=1e-2)


def test_small_fit_is_finite():
    """A tiny but varied data set fits with finite estimates (a boundary warning is allowed)."""
    d = clv.simulate_bgnbd(30, **TRUE_BG, T=30.0, seed=8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        m = clv.fit_bgnbd(d["frequency"], d["recency"], d["T"])
    assert np.isfinite(m.loglik) and all(np.isfinite(v) and v > 0 for v in m.params.values())
    assert np.all(np.isfinite(m.expected_purchases(10))) and np.all(np.isfinite(m.p_alive()))


@pytest.mark.parametrize("point", [TRUE_BG, {"r": 2.0, "alpha": 50.0, "a": 3.0, "b": 0.5}])
def test_bgnbd_analytic_hessian_matches_finite_differences(sim, point):
    """The exact observed information (per-x special functions) equals central differences of the gradient."""
    from casebook.analysis._mle import fd_hessian

    d = sim.iloc[:3000]
    x, tx, T = (d[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    w = np.random.default_rng(3).integers(1, 4, x.size).astype(float)
    th = np.array([point[k] for k in clv.BGNBD_PARAMS])
    ll, g, H = clv._BGNBDData(x, tx, T, w).evaluate(th)
    ll0, g0 = clv._bgnbd_ll_grad(th, x, tx, T, w)
    assert ll == pytest.approx(ll0, rel=1e-12) and np.allclose(g, g0, rtol=1e-10)
    H_fd = fd_hessian(lambda t: clv._bgnbd_ll_grad(t, x, tx, T, w)[1], th)
    np.testing.assert_allclose(H, H_fd, rtol=1e-6, atol=1e-6 * np.abs(H_fd).max())


def test_fits_report_convergence_from_the_gradient(bg, gg):
    """Converged means a flat per-customer gradient, whatever the optimiser's own flag said (SciPy 1.17 'ABNORMAL')."""
    for fit in (bg, gg):
        assert fit.converged and fit.message.startswith("converged: max |gradient| per customer")


def test_lognormal_spend_recovers_planted_levels():
    """Every purchase, first included: the lognormal-lognormal fit recovers mu, tau, sigma and shrinks."""
    rng = np.random.default_rng(5)
    n = 20_000
    mu_i = 7.0 + 1.0 * rng.standard_normal(n)
    k = rng.integers(1, 6, n)
    cust = np.repeat(np.arange(n), k)
    y = mu_i[cust] + 0.3 * rng.standard_normal(cust.size)
    orders = pd.DataFrame(
        {
            "customer_id": cust,
            "order_date": pd.Timestamp("2001-01-01") + pd.to_timedelta(np.arange(cust.size) % 3000, "D"),
            "revenue": np.exp(y),
        }
    )
    s = clv.log_spend_summary(orders)
    fit = clv.fit_lognormal_spend(s["n_purchases"], s["mean_log"], s["ss_log"])
    truth = {"mu": 7.0, "log_tau": 0.0, "log_sigma": np.log(0.3)}
    for key, v in truth.items():
        assert abs(fit.params[key] - v) < 4 * fit.se[key], (key, fit.params[key], fit.se[key])
    e = np.asarray(fit.conditional_expected_spend([0, 1, 50], [0.0, 9.0, 9.0]))
    assert e[0] == pytest.approx(fit.expected_spend_new())
    assert e[0] < e[1] < e[2] < np.exp(9.0 + 0.3**2)  # shrinkage toward the mean, less with more purchases


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 30), st.integers(0, 400), st.floats(0.0, 500.0, allow_nan=False)),
        min_size=1,
        max_size=200,
    ),
    st.integers(1, 17),
    st.booleans(),
)
def test_rfm_and_log_spend_in_slices_equal_one_piece(rows, chunk, shuffle):
    """Slicing the orders by whole customers (to bound memory) gives exactly the one-piece summaries."""
    df = pd.DataFrame(rows, columns=["customer_id", "day", "revenue"])
    df["order_date"] = pd.Timestamp("2000-01-01") + pd.to_timedelta(df.pop("day"), unit="D")
    df = df.sort_values(["customer_id", "order_date"], kind="stable", ignore_index=True)
    if shuffle:
        df = df.sample(frac=1, random_state=0, ignore_index=True)
    cal = df["order_date"].min() + pd.Timedelta(days=200)
    kw = {"calibration_end": cal} if df["order_date"].min() <= cal else {}

    def both(fn, **extra):
        old = clv.CHUNK_ORDERS
        try:
            clv.CHUNK_ORDERS = 10**9
            whole = fn(df, **extra)
            clv.CHUNK_ORDERS = chunk
            sliced = fn(df, **extra)
        finally:
            clv.CHUNK_ORDERS = old
        pd.testing.assert_frame_equal(sliced, whole, check_exact=True)

    both(clv.rfm_summary, **kw, holdout_end=cal + pd.Timedelta(days=100))
    both(clv.rfm_summary)
    both(clv.log_spend_summary, **kw)
