"""The fast paths of the CLV machinery give the numbers of the slow ones (issue 19).

Each speed-up is checked against the method it replaced, on the same data:

- the MBG/NBD fitted by trust-region Newton with its analytic Hessian vs the former L-BFGS-B fit
  with a finite-difference Hessian (parameters and standard errors), and the Hessian itself;
- the BG/NBD started from a subsample fit vs started from the defaults (1,000,000-style data,
  all histories distinct), and the grouping shortcut for all-distinct histories;
- the AUC and its customer bootstrap by rank counts vs ``sklearn.metrics.roc_auc_score`` on the
  same resamples (ties included);
- ``rfm_summary``, ``log_spend_summary`` and ``yearly_activity`` by runs over sorted orders vs the
  pandas group-bys they replaced (sorted and shuffled orders, same-day orders, string ids);
- the in-place quadrature and the remembered groupings / results: identical values, and a changed
  array is never served a stale result;
- ``supply.bootstrap_ratio_ci`` on complex numbers vs the two-column bootstrap (same draws).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from casebook.analysis import _mle, clv, intervals
from casebook.analysis import retention as rt
from casebook.analysis import supply as sc

TRUE = {"r": 2.5, "alpha": 80.0, "a": 0.96, "b": 7.04}


@pytest.fixture(scope="module")
def mbg_sim():
    rng = np.random.default_rng(19)
    T = np.round(rng.uniform(0, 364, 8_000))
    return rt.simulate_mbgnbd(8_000, **TRUE, T=T, seed=rng)


# --------------------------------------------------------------------------- MBG/NBD: Newton with the analytic Hessian
def test_mbg_analytic_gradient_and_hessian_match_the_likelihood(mbg_sim):
    x, tx, T = (mbg_sim[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    w = np.ones_like(x)
    th = np.array([2.2, 75.0, 1.1, 6.0])
    ll, g, H = clv._MBGNBDData(x, tx, T, w).evaluate(th)
    ll0, g0 = rt._mbg_ll_grad(th, x, tx, T, w)
    assert ll == pytest.approx(ll0, rel=1e-12)
    np.testing.assert_allclose(g, g0, rtol=1e-9, atol=1e-9)
    H_fd = _mle.fd_hessian(lambda t: rt._mbg_ll_grad(t, x, tx, T, w)[1], th)
    np.testing.assert_allclose(H, H_fd, rtol=1e-5, atol=1e-6 * np.abs(H_fd).max())


def test_mbg_newton_fit_equals_the_former_lbfgs_fit(mbg_sim):
    f, r, T = mbg_sim["frequency"], mbg_sim["recency"], mbg_sim["T"]
    new = rt.fit_mbgnbd(f, r, T)
    old = rt.MBGNBDResult(
        **_mle.fit_purchase_model(
            rt._mbg_ll_grad,
            f,
            r,
            T,
            initial=None,
            maxiter=2000,
            model="MBG/NBD",
            fit_name="fit_mbgnbd",
            b_starts=(1.0, 2.0, 10.0),
        )
    )
    assert new.converged and old.converged
    for k in new.params:
        assert round(new.params[k], 4) == round(old.params[k], 4)
        assert new.params[k] == pytest.approx(old.params[k], rel=1e-6)
        assert new.se[k] == pytest.approx(old.se[k], rel=1e-4)  # analytic vs finite-difference information
    assert new.loglik == pytest.approx(old.loglik, rel=1e-12)


# --------------------------------------------------------------------------- BG/NBD: subsample start, distinct histories
def test_bgnbd_subsample_start_reaches_the_same_optimum(monkeypatch):
    rng = np.random.default_rng(7)
    n = 60_000
    sim = clv.simulate_bgnbd(n, r=0.24, alpha=4.41, a=0.79, b=2.43, T=rng.uniform(1, 470, n), seed=rng)
    x, tx, T = sim["frequency"], sim["recency"], sim["T"]
    monkeypatch.setattr(_mle, "SUBSAMPLE_ABOVE", 10_000)
    monkeypatch.setattr(_mle, "SUBSAMPLE_ROWS", 5_000)
    fast = clv.fit_bgnbd(x, tx, T)
    monkeypatch.setattr(_mle, "SUBSAMPLE_ABOVE", 2**62)
    full = clv.fit_bgnbd(x, tx, T)
    assert fast.n_unique == n and fast.converged and full.converged
    for k in fast.params:
        assert round(fast.params[k], 4) == round(full.params[k], 4)
        assert fast.params[k] == pytest.approx(full.params[k], rel=1e-6)
        assert fast.se[k] == pytest.approx(full.se[k], rel=1e-5)


def test_compress_shortcut_for_distinct_rows_matches_the_general_grouping():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 5, 1000).astype(float)
    tx, T = rng.uniform(0, 1, 1000), rng.uniform(1, 2, 1000)
    codes, (xu, txu, Tu), counts = _mle.compress(x, tx, T)
    np.testing.assert_array_equal(codes, np.arange(1000))
    np.testing.assert_array_equal(counts, np.ones(1000))
    for a, b in ((xu, x), (txu, tx), (Tu, T)):
        np.testing.assert_array_equal(a, b)
    T2 = np.round(T, 1)  # duplicates: the general path
    codes, (xu, txu, Tu), counts = _mle.compress(x, tx, T2)
    np.testing.assert_array_equal(xu[codes], x)
    np.testing.assert_array_equal(Tu[codes], T2)
    assert counts.sum() == 1000


def test_remembered_groupings_and_results_follow_the_content():
    rng = np.random.default_rng(5)
    T = np.round(rng.uniform(1, 300, 5000))
    sim = rt.simulate_mbgnbd(5000, **TRUE, T=T, seed=rng)
    x, tx, TT = (np.array(sim[c], dtype=float) for c in ("frequency", "recency", "T"))  # writable copies
    m = rt.MBGNBDResult.from_params(TRUE)
    first = np.asarray(rt.discounted_purchases(m, x, tx, TT, 520, 0.002))
    again = np.asarray(rt.discounted_purchases(m, x, tx, TT, 520, 0.002))
    np.testing.assert_array_equal(first, again)
    TT[:10] += 50  # the same array object, new content: recomputed, not served from memory
    changed = np.asarray(rt.discounted_purchases(m, x, tx, TT, 520, 0.002))
    fresh = rt._expectation(m.theta, "mbgnbd", x, tx, TT, "purchases", 520, np.log1p(0.002), 1.0)
    np.testing.assert_allclose(changed, fresh, rtol=1e-13)
    assert not np.allclose(changed[:10], first[:10])
    base = rt.base_churn_rate(m, x, tx, TT, 52)
    assert rt.base_churn_rate(m, x, tx, TT, 52) == base
    TT[:10] += 50
    assert rt.base_churn_rate(m, x, tx, TT, 52) != base


def test_quadrature_at_zero_rate_is_the_horizon():
    # no discount and no drop-out: the expected purchases are E[lambda] H, the alive time is H
    m = rt.MBGNBDResult.from_params(TRUE)
    x, tx, T = np.array([0.0, 3.0]), np.array([0.0, 20.0]), np.array([30.0, 30.0])
    alive = np.asarray(rt.discounted_alive_time(m, x, tx, T, 100.0, 0.0, dropout_scale=0.0))
    np.testing.assert_allclose(alive, 100.0 * np.asarray(m.p_alive(x, tx, T)), rtol=1e-12)
    buys = np.asarray(rt.discounted_purchases(m, x, tx, T, 100.0, 0.0, dropout_scale=0.0))
    rate = (TRUE["r"] + x) / (TRUE["alpha"] + T)
    np.testing.assert_allclose(buys, 100.0 * rate * np.asarray(m.p_alive(x, tx, T)), rtol=1e-10)


# --------------------------------------------------------------------------- AUC by rank counts
def test_auc_equals_roc_auc_score_with_ties():
    rng = np.random.default_rng(11)
    y = rng.random(3000) < 0.3
    for score in (rng.random(3000) + 0.3 * y, np.round(rng.random(3000) * 8) + y):
        assert rt.auc(y, score) == pytest.approx(roc_auc_score(y, score), rel=1e-12)


def test_bootstrap_auc_gives_the_draws_of_a_roc_auc_score_loop():
    rng = np.random.default_rng(12)
    n = 2000
    y = rng.random(n) < 0.4
    s1, s2 = rng.random(n) + 0.2 * y, np.round(rng.random(n) * 20) + y  # the second with many ties
    est, draws = rt.bootstrap_auc(y, [s1, s2], n_boot=25, seed=7)
    loop = np.random.default_rng(7)
    for j in range(25):
        i = loop.integers(0, n, n)
        assert draws[j, 0] == pytest.approx(roc_auc_score(y[i], s1[i]), rel=1e-12)
        assert draws[j, 1] == pytest.approx(roc_auc_score(y[i], s2[i]), rel=1e-12)
    assert est[0] == pytest.approx(roc_auc_score(y, s1), rel=1e-12)


# --------------------------------------------------------------------------- per-customer summaries by runs
def _orders(n=4000, seed=0, ids=None):
    rng = np.random.default_rng(seed)
    cust = rng.integers(0, 400, n)
    day = pd.Timestamp("2000-01-01") + pd.to_timedelta(rng.integers(0, 3000, n), unit="D")
    day = day + pd.to_timedelta(rng.integers(0, 86_400, n), unit="s")  # times of day: same-day orders
    o = pd.DataFrame({"customer_id": cust, "order_date": day, "revenue": rng.lognormal(6, 1, n)})
    o.loc[o.index[:50], "revenue"] = 0.0  # zero-value days are left out of the log-spend summary
    if ids == "str":
        o["customer_id"] = "c" + o["customer_id"].astype(str).str.zfill(4)
    return o


def _rfm_reference(orders, calibration_end, holdout_end=None, unit_days=7):
    """The former pandas implementation of rfm_summary (groupby over (customer, day))."""
    day = pd.to_datetime(orders["order_date"]).dt.normalize()
    daily = (
        pd.DataFrame({"c": orders["customer_id"].to_numpy(), "d": day.to_numpy(), "v": orders["revenue"].to_numpy()})
        .groupby(["c", "d"], sort=True)["v"]
        .sum()
        .reset_index()
    )
    cal_end = pd.Timestamp(calibration_end)
    daily = daily[daily.groupby("c")["d"].transform("min") <= cal_end]
    g = daily[daily["d"] <= cal_end].groupby("c", sort=True)
    first, last, n_days, total, first_value = g["d"].min(), g["d"].max(), g["d"].size(), g["v"].sum(), g["v"].first()
    unit = pd.Timedelta(days=unit_days)
    freq = (n_days - 1).astype(np.int64)
    out = pd.DataFrame(
        {
            "frequency": freq,
            "recency": (last - first) / unit,
            "T": (cal_end - first) / unit,
            "monetary_value": np.where(freq > 0, (total - first_value) / freq.clip(lower=1), 0.0),
        }
    )
    if holdout_end is not None:
        hold = daily[(daily["d"] > cal_end) & (daily["d"] <= pd.Timestamp(holdout_end))]
        out["holdout_purchases"] = hold.groupby("c")["d"].size().reindex(out.index, fill_value=0).astype(np.int64)
    return out


@pytest.mark.parametrize("ids", ["int", "str"])
@pytest.mark.parametrize("shuffled", [False, True])
def test_summaries_by_runs_equal_the_pandas_groupbys(ids, shuffled):
    o = _orders(ids=ids)
    o = o.sort_values(["customer_id", "order_date"], ignore_index=True)
    if shuffled:
        o = o.sample(frac=1.0, random_state=1, ignore_index=True)
    new = clv.rfm_summary(o, calibration_end="2006-06-30", holdout_end="2008-03-31")
    ref = _rfm_reference(o, "2006-06-30", "2008-03-31")
    assert list(new.index) == list(ref.index)
    for c in ("frequency", "recency", "T", "holdout_purchases"):
        np.testing.assert_array_equal(new[c].to_numpy(), ref[c].to_numpy())
    np.testing.assert_allclose(new["monetary_value"], ref["monetary_value"], rtol=1e-12)

    ls = clv.log_spend_summary(o, calibration_end="2006-06-30")
    day = o["order_date"].dt.normalize()
    daily = o.assign(d=day).groupby(["customer_id", "d"])["revenue"].sum()
    daily = daily[(daily > 0) & (daily.index.get_level_values("d") <= "2006-06-30")]
    y = np.log(daily)
    g = y.groupby(level="customer_id")
    assert list(ls.index) == list(g.size().index)
    np.testing.assert_array_equal(ls["n_purchases"].to_numpy(), g.size().to_numpy())
    np.testing.assert_allclose(ls["mean_log"].to_numpy(), g.mean().to_numpy(), rtol=1e-12)
    ss = g.apply(lambda s: float(((s - s.mean()) ** 2).sum())).to_numpy()
    np.testing.assert_allclose(ls["ss_log"].to_numpy(), ss, rtol=1e-8, atol=1e-9)

    act = rt.yearly_activity(o)
    ref_act = (
        pd.DataFrame({"customer_id": o["customer_id"], "year": o["order_date"].dt.year.astype(np.int64)})
        .drop_duplicates()
        .sort_values(["customer_id", "year"], ignore_index=True)
    )
    pd.testing.assert_frame_equal(act, ref_act, check_dtype=False)


# --------------------------------------------------------------------------- chapter 04's ratio bootstrap
def test_bootstrap_ratio_ci_equals_the_two_column_bootstrap():
    rng = np.random.default_rng(4)
    rev = rng.lognormal(7, 1, 5000)
    online = rev * rng.uniform(0, 1, 5000) * (rng.random(5000) < 0.6)
    new = sc.bootstrap_ratio_ci(online, rev, n_boot=300, seed=9)
    old = intervals.bootstrap(np.column_stack([online, rev]), lambda m: m[:, 0].sum() / m[:, 1].sum(), 300, 9, 0.95)
    np.testing.assert_allclose(new, (old.estimate, old.low, old.high), rtol=1e-12)


def test_ratio_interval_on_counts_equals_the_floating_point_resamples():
    rng = np.random.default_rng(8)
    den = rng.integers(0, 9, 20_000).astype(float)
    num = np.minimum(den, rng.integers(0, 9, 20_000))
    est, lo, hi = rt.ratio_interval(num, den, n_boot=200, seed=3)  # whole numbers: the 1-byte integer path
    draws = np.random.default_rng(3)
    ref = []
    for _ in range(200 // 200):  # one chunk of 200 resamples (max_elements allows it at this size)
        idx = draws.integers(0, num.size, size=(200, num.size))
        ref.extend(num[idx].sum(axis=1) / den[idx].sum(axis=1))
    _, lo_ref, hi_ref = intervals.from_draws(num.sum() / den.sum(), np.array(ref), level=0.95)
    assert (lo, hi) == (lo_ref, hi_ref)
    assert est == num.sum() / den.sum()
