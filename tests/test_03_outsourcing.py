"""Chapter 03 (outsourced support vs satisfaction): unit tests of ``casebook.analysis.causal`` and the
papermill test that the notebook's estimates follow the planted outsourcing parameters.

The unit tests plant an effect in simulated data and check that each design finds it, that
its interval covers it about as often as it claims, and that it finds nothing where nothing
was planted. The two papermill runs (marked ``slow``) execute the chapter at 10,000 customers
with a larger effect than the case's (-10 index points, complaints +80 %) and with no
effect at all (0 and 0).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from casebook.analysis import causal, intervals

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "03_outsourcing_satisfaction.ipynb"


# --------------------------------------------------------------------------- helpers
def test_newey_west_lags_rule_of_thumb():
    assert causal.newey_west_lags(100) == 4
    assert causal.newey_west_lags(108) == 4
    assert causal.newey_west_lags(36) == 3
    with pytest.raises(ValueError, match="n:"):
        causal.newey_west_lags(0)


def test_its_design_columns():
    d = causal.its_design(6, 3)
    assert d["t"].tolist() == [0, 1, 2, 3, 4, 5]
    assert d["post"].tolist() == [0, 0, 0, 1, 1, 1]
    assert d["t_post"].tolist() == [0, 0, 0, 0, 1, 2]
    with pytest.raises(ValueError, match="break_pos"):
        causal.its_design(6, 5)


def test_period_index_matches_a_hand_computation():
    df = pd.DataFrame(
        {
            "d": pd.to_datetime(["2004-01-05", "2004-01-20", "2004-02-03", "2004-02-10", "2004-02-11"]),
            "score": [70.0, 80.0, 60.0, 90.0, 75.0],
        }
    )
    out = causal.period_index(df, "d")
    assert list(out.index.astype(str)) == ["2004-01", "2004-02"]
    assert out["index"].tolist() == [75.0, 75.0]
    assert out["n"].tolist() == [2, 3]
    assert out["se"].iloc[1] == pytest.approx(np.std([60, 90, 75], ddof=1) / np.sqrt(3))
    with pytest.raises(ValueError, match="not in the frame"):
        causal.period_index(df, "date")


# --------------------------------------------------------------------------- segmented ITS
def test_its_recovers_a_planted_level_and_slope_change():
    y = causal.simulate_its(108, 54, level_change=-5.0, slope_change=0.05, trend=0.02, noise_sd=1.0, seed=1)
    r = causal.segmented_its(y, 54)
    assert r.level_ci[0] <= -5.0 <= r.level_ci[1]
    assert r.slope_ci[0] <= 0.05 <= r.slope_ci[1]
    assert r.level_change == pytest.approx(-5.0, abs=4 * r.level_se)
    assert r.baseline == pytest.approx(79 + 0.02 * 54, abs=1.0)
    assert r.relative_change == pytest.approx(r.level_change / r.baseline)
    assert r.relative_ci[0] < r.relative_change < r.relative_ci[1]
    # the counterfactual is the pre-period line carried on
    assert np.allclose(r.data["counterfactual"].iloc[:54], r.data["fitted"].iloc[:54])


def test_its_interval_coverage_holds_under_autocorrelated_errors():
    """AR(0.6) errors (persistent shocks, as an index that moves with its industry): the ITS
    interval the chapter reports (AR(1) errors, Prais-Winsten) must cover the planted change at
    least 85 % of the time; OLS with Newey-West errors at the rule's lag window falls short."""
    cover_ar, cover_hac = {}, {}
    for effect in (-5.0, 0.0):
        a, h = [], []
        for s in range(150):
            y = causal.simulate_its(108, 54, level_change=effect, noise_sd=1.5, ar=0.6, seed=s)
            iv = causal.multi_break_its(y, {"switch": 54}).interval("switch")
            a.append(iv.low <= effect <= iv.high)
            iv = causal.multi_break_its(y, {"switch": 54}, errors="hac").interval("switch")
            h.append(iv.low <= effect <= iv.high)
        cover_ar[effect], cover_hac[effect] = np.mean(a), np.mean(h)
        assert 0.85 <= cover_ar[effect] <= 0.99, (effect, cover_ar[effect])
    assert np.mean(list(cover_hac.values())) < np.mean(list(cover_ar.values())), (cover_hac, cover_ar)


def test_its_interval_coverage_under_white_noise():
    cover = []
    for s in range(150):
        y = causal.simulate_its(108, 54, level_change=-5.0, noise_sd=1.5, seed=s)
        iv = causal.multi_break_its(y, {"switch": 54}).interval("switch")
        cover.append(iv.low <= -5.0 <= iv.high)
    assert 0.9 <= np.mean(cover) <= 0.99, np.mean(cover)


def test_multi_break_its_separates_three_breaks():
    rng = np.random.default_rng(3)
    t = np.arange(108)
    y = 79 + 0.01 * t - 5 * (t >= 54) - 2.4 * (t >= 66) + 4.1 * (t >= 78) + rng.normal(0, 1.0, 108)
    r = causal.multi_break_its(
        pd.Series(y, index=pd.period_range("2000-01", periods=108, freq="M")),
        {"switch": 54, "crisis": 66, "recovery": 78},
    )
    for name, truth in [("switch", -5), ("crisis", -2.4), ("recovery", 4.1)]:
        iv = r.interval(name)
        assert iv.low <= truth <= iv.high, (name, iv)
    assert list(r.table["name"]) == ["switch", "crisis", "recovery"]
    with pytest.raises(ValueError, match="breaks"):
        causal.multi_break_its(y, {"a": 66, "b": 54})
    with pytest.raises(ValueError, match="errors"):
        causal.multi_break_its(y, {"a": 54}, errors="ols")


def test_residual_acf_sees_persistence():
    white = causal.residual_acf(np.random.default_rng(1).normal(size=200), nlags=5)
    assert (white["acf"].abs() < 3 * white["band"]).all()
    ar = causal.simulate_its(200, 100, level_change=0.0, ar=0.8, seed=2)
    assert causal.residual_acf(ar, nlags=3)["acf"].iloc[0] > 0.5


def test_its_accepts_a_period_label_and_keeps_the_index():
    idx = pd.period_range("2000-01", periods=108, freq="M")
    y = pd.Series(causal.simulate_its(108, 54, level_change=-5.0, seed=2), index=idx)
    by_label = causal.segmented_its(y, pd.Period("2004-07", freq="M"))
    by_pos = causal.segmented_its(y.to_numpy(), 54)
    assert by_label.break_pos == 54
    assert by_label.level_change == pytest.approx(by_pos.level_change)
    assert by_label.data.index.equals(idx)


def test_its_rejects_bad_input():
    y = causal.simulate_its(40, 20, seed=0)
    with pytest.raises(ValueError, match="break_at"):
        causal.segmented_its(y, 1)
    with pytest.raises(ValueError, match="NaN"):
        causal.segmented_its(np.r_[y[:-1], np.nan], 20)
    with pytest.raises(ValueError, match="maxlags"):
        causal.segmented_its(y, 20, maxlags=-1)
    with pytest.raises(ValueError, match="not in the series"):
        causal.segmented_its(
            pd.Series(y, index=pd.period_range("2000-01", periods=40, freq="M")), pd.Period("1990-01", freq="M")
        )


def test_placebo_its_uses_only_the_pre_period_and_finds_nothing_there():
    y = causal.simulate_its(108, 54, level_change=-5.0, noise_sd=1.5, seed=4)
    pl = causal.placebo_its(y, 54, min_side=12)
    assert pl["position"].min() == 12 and pl["position"].max() == 42
    assert pl["covers_zero"].mean() >= 0.8
    y2 = y.copy()
    y2[54:] -= 100  # a huge post-switch change must not move any placebo
    assert np.allclose(causal.placebo_its(y2, 54, min_side=12)["level_change"], pl["level_change"])


# --------------------------------------------------------------------------- DiD and permutation inference
def test_gap_did_recovers_the_effect_and_covers_zero_without_one():
    cover_eff, cover_zero = [], []
    for s in range(150):
        p = causal.simulate_panel(effect=-5.0, seed=s)
        gap = p["treated"] - p.drop(columns="treated").mean(axis=1)
        r = causal.gap_did(gap, 54)
        assert r.estimate == pytest.approx(causal.mean_shift(gap, 54))
        cover_eff.append(r.ci[0] <= -5.0 <= r.ci[1])
        p0 = causal.simulate_panel(effect=0.0, seed=1000 + s)
        lo, hi = causal.gap_did(p0["treated"] - p0.drop(columns="treated").mean(axis=1), 54).ci
        cover_zero.append(lo <= 0 <= hi)
    assert 0.88 <= np.mean(cover_eff) <= 0.99
    assert 0.88 <= np.mean(cover_zero) <= 0.99


def test_placebo_date_test_flags_a_real_break_and_not_a_fake_one():
    p = causal.simulate_panel(effect=-5.0, seed=5)
    gap = p["treated"] - p.drop(columns="treated").mean(axis=1)
    t = causal.placebo_date_test(gap, 54, min_side=12, pre_only=False)
    k = len(t.placebos)
    assert k == 108 - 2 * 12 + 1
    assert t.p_value == pytest.approx(1 / k)  # the real date has the largest |t|
    assert t.placebos["real"].sum() == 1
    ps, ps_pre = [], []
    for s in range(100):
        p0 = causal.simulate_panel(effect=0.0, seed=2000 + s)
        g0 = p0["treated"] - p0.drop(columns="treated").mean(axis=1)
        ps.append(causal.placebo_date_test(g0, 54, pre_only=False).p_value)
        ps_pre.append(causal.placebo_date_test(g0, 54).p_value)
    ps, ps_pre = np.array(ps), np.array(ps_pre)
    assert 0.3 <= ps.mean() <= 0.7  # about uniform under no effect
    assert (ps <= 0.05).mean() <= 0.12
    # pre-period-only placebos are correlated with each other but not with the real date, so the
    # test is a little liberal (measured about 0.14 at p <= 0.05 here): it is shown, not recorded
    assert 0.3 <= ps_pre.mean() <= 0.7
    assert (ps_pre <= 0.05).mean() <= 0.2
    with pytest.raises(ValueError, match="min_side"):
        causal.placebo_date_test(gap, 5, min_side=12)


def test_placebo_date_test_pre_only_never_straddles_the_switch():
    p = causal.simulate_panel(effect=-5.0, seed=5)
    gap = p["treated"] - p.drop(columns="treated").mean(axis=1)
    t = causal.placebo_date_test(gap, 54, min_side=12)
    fake = t.placebos[~t.placebos["real"]]
    assert fake["position"].max() <= 54 - 12 and len(fake) == 54 - 24 + 1
    assert t.p_value == pytest.approx(1 / len(t.placebos))
    g2 = gap.copy()
    g2.iloc[54:] += 50  # a post-switch change moves the real statistic only
    t2 = causal.placebo_date_test(g2, 54, min_side=12)
    assert np.allclose(t2.placebos.loc[~t2.placebos["real"], "statistic"], fake["statistic"])


def test_placebo_in_space_ranks_the_treated_unit_first_only_when_treated():
    p = causal.simulate_panel(effect=-5.0, n_controls=5, seed=6)
    out = causal.placebo_in_space(p, "treated", np.arange(len(p)) >= 54)
    assert out.index[0] == "treated" and out.attrs["p_value"] == pytest.approx(1 / 6)
    assert out.loc["treated", "did"] == pytest.approx(-5.0, abs=1.0)
    first = []
    for s in range(120):
        p0 = causal.simulate_panel(effect=0.0, n_controls=5, seed=3000 + s)
        first.append(
            causal.placebo_in_space(p0, "treated", np.arange(len(p0)) >= 54).attrs["p_value"] == pytest.approx(1 / 6)
        )
    assert 0.05 <= np.mean(first) <= 0.32  # 1 in 6 by chance
    with pytest.raises(ValueError, match="treated"):
        causal.placebo_in_space(p, "nobody", np.arange(len(p)) >= 54)


def test_event_study_contrasts_and_their_exact_variance():
    k = np.arange(-6, 6)
    se = np.full(k.size, 0.5)
    es = causal.event_study(np.where(k >= 0, -3.0, 0.0), se, k)
    assert np.allclose(es.loc[es["event_time"] < 0, "estimate"], 0)
    assert np.allclose(es.loc[es["event_time"] >= 0, "estimate"], -3)
    # Monte Carlo check of the variance formula (independent periods)
    rng = np.random.default_rng(0)
    sims = np.array([causal.event_study(rng.normal(0, se), se, k)["estimate"].to_numpy() for _ in range(4000)])
    assert np.allclose(sims.std(axis=0), es["se"], rtol=0.06)


# --------------------------------------------------------------------------- count model
def test_rate_change_recovers_a_planted_growth():
    d = causal.simulate_counts(relative_change=0.23, exposure=5000, seed=1)
    r = causal.rate_change(d["counts"], d["exposure"], d["post"])
    assert r.ci[0] <= 0.23 <= r.ci[1]
    assert r.relative_change == pytest.approx(r.rate_after / r.rate_before - 1, rel=1e-6)
    assert r.dispersion == pytest.approx(1.0, abs=0.4)
    r_trend = causal.rate_change(d["counts"], d["exposure"], d["post"], trend=True)
    assert r_trend.ci[0] <= 0.23 <= r_trend.ci[1]


def test_rate_change_coverage_and_no_effect():
    cover, cover0 = [], []
    for s in range(150):
        d = causal.simulate_counts(relative_change=0.23, exposure=400, seed=s)
        lo, hi = causal.rate_change(d["counts"], d["exposure"], d["post"]).ci
        cover.append(lo <= 0.23 <= hi)
        d0 = causal.simulate_counts(relative_change=0.0, exposure=400, seed=500 + s)
        lo, hi = causal.rate_change(d0["counts"], d0["exposure"], d0["post"], model="poisson").ci
        cover0.append(lo <= 0 <= hi)
    assert 0.88 <= np.mean(cover) <= 0.99
    assert 0.88 <= np.mean(cover0) <= 0.99


def test_rate_change_rejects_bad_input():
    with pytest.raises(ValueError, match="exposure"):
        causal.rate_change([1, 2, 3, 4], [1, 0, 1, 1], [0, 0, 1, 1])
    with pytest.raises(ValueError, match="counts"):
        causal.rate_change([1, 2.5, 3, 4], [1, 1, 1, 1], [0, 0, 1, 1])
    with pytest.raises(ValueError, match="post"):
        causal.rate_change([1, 2, 3, 4], [1, 1, 1, 1], [1, 1, 1, 1])
    with pytest.raises(ValueError, match="model"):
        causal.rate_change([1, 2, 3, 4], [1, 1, 1, 1], [0, 0, 1, 1], model="negbin")


def test_rate_change_dispersion_is_floored_at_one():
    rng = np.random.default_rng(0)
    k = np.r_[np.full(20, 100), np.full(20, 120)] + rng.integers(-1, 2, 40)  # far less spread than Poisson
    e = np.full(40, 5000.0)
    post = np.r_[np.zeros(20), np.ones(20)]
    q = causal.rate_change(k, e, post)
    p = causal.rate_change(k, e, post, model="poisson")
    assert q.dispersion < 1
    assert q.ci == pytest.approx(p.ci)


def test_count_growth_interval():
    iv = causal.count_growth(123, 100)
    assert iv.estimate == pytest.approx(0.23)
    assert iv.low < 0.23 < iv.high and iv.low > -0.1
    with pytest.raises(ValueError, match="count"):
        causal.count_growth(0, 100)


# --------------------------------------------------------------------------- synthetic control
def _sc_panel(seed: int, effect: float, n: int = 36, start: int = 18):
    """Donors with different loadings on a shared AR(1) shock; the firm loads like donors 1 and 2."""
    rng = np.random.default_rng(seed)
    shock = np.zeros(n)
    for t in range(1, n):
        shock[t] = 0.6 * shock[t - 1] + rng.normal(0, 1.5)
    load = np.array([0.4, 1.0, 1.6, 0.7, 1.3])
    donors = {f"d{j}": 70 + 2 * j + load[j] * shock + rng.normal(0, 0.4, n) for j in range(5)}
    firm = 79 + 0.5 * (donors["d1"] - 72) + 0.5 * (donors["d2"] - 74) + effect * (np.arange(n) >= start)
    return pd.DataFrame({"firm": firm + rng.normal(0, 0.3, n), **donors}), np.arange(n) < start


def test_synthetic_control_recovers_weights_and_effect():
    panel, pre = _sc_panel(1, -5.0)
    r = causal.synthetic_control(panel, "firm", pre)
    assert r.weights.sum() == pytest.approx(1.0)
    assert (r.weights >= 0).all()
    assert r.weights[["d1", "d2"]].sum() > 0.7
    assert r.effect == pytest.approx(-5.0, abs=1.0)
    assert r.ratio > 3
    pl = causal.synthetic_control_placebos(panel, "firm", pre)
    assert pl.index[0] == "firm" and pl.attrs["p_value"] == pytest.approx(1 / 6)
    with pytest.raises(ValueError, match="treated"):
        causal.synthetic_control(panel, "nobody", pre)
    with pytest.raises(ValueError, match="pre"):
        causal.synthetic_control(panel, "firm", np.ones(len(panel), bool))


def test_synthetic_control_gap_interval_covers_zero_without_an_effect():
    cover = []
    for s in range(60):
        panel, pre = _sc_panel(100 + s, 0.0)
        r = causal.synthetic_control(panel, "firm", pre)
        iv = causal.multi_break_its(r.gap, {"switch": int(pre.sum())}, trend=False).interval("switch")
        cover.append(iv.low <= 0 <= iv.high)
    assert np.mean(cover) >= 0.85, np.mean(cover)


def test_event_study_extra_variance_widens_intervals():
    gap = np.array([0.5, -0.8, 1.1, -0.4, 0.2, -3.0, -3.5])
    se = np.full(7, 0.1)
    k = np.arange(-5, 2)
    plain = causal.event_study(gap, se, k)
    wide = causal.event_study(gap, se, k, extra_var=None)
    assert (wide["se"] > plain["se"]).all()
    assert np.allclose(wide["estimate"], plain["estimate"])


# --------------------------------------------------------------------------- world and chapter helpers
def test_regimes_dates_switch_and_crisis_from_vendor_waits():
    from casebook.analysis import outsourcing

    days = pd.date_range("2003-01-01", "2007-12-31", freq="D")
    rng = np.random.default_rng(0)
    vendor = days >= "2004-07-01"
    wait = 4 * np.where(vendor, 2.5, 1.0) * np.where((days >= "2005-07-01") & (days < "2006-07-01"), 2.0, 1.0)
    tk = pd.DataFrame(
        {
            "opened_date": days,
            "handler": np.where(vendor, "vendor", "in_house"),
            "wait_minutes": wait * np.exp(0.3 * rng.standard_normal(days.size)),
            "segment": "consumer",
        }
    )
    reg = outsourcing.regimes(tk)
    assert reg.switch == pd.Timestamp("2004-07-01") and reg.outsourced == ["consumer"]
    assert str(reg.crisis_start) == "2005-07" and str(reg.crisis_end) == "2006-07"
    assert str(reg.window_end) == "2005-06" and str(reg.switch_quarter) == "2004Q3"


def test_brand_paths_share_an_industry_shock_and_planted_shifts_add_up():
    import datetime as dt

    from synthetic.market import brand_paths, expected_index_shift
    from synthetic.scenario import build_scenario
    from synthetic.timeline import day_index

    sc = build_scenario("case", {})
    paths = brand_paths(np.random.default_rng(np.random.SeedSequence(7, spawn_key=(2, 0))), sc)
    assert paths.shape[0] == 6 and paths.shape[1] == 36
    assert np.corrcoef(paths)[0, 1:].mean() > 0.3  # the shared shock
    quiet = build_scenario(
        "case",
        {"satisfaction.industry_shock_sd": 0, "satisfaction.brand_trend_sd": 0, "satisfaction.brand_deviation_sd": 0},
    )
    assert np.allclose(brand_paths(np.random.default_rng(np.random.SeedSequence(7, spawn_key=(2, 0))), quiet), 0)

    def at(d):
        return float(expected_index_shift(sc, np.array([day_index(d, sc.world.start)]))[0])

    assert at(dt.date(2004, 6, 30)) == 0.0
    assert at(dt.date(2004, 7, 1)) == pytest.approx(sc.outsourcing.satisfaction_effect)
    assert at(dt.date(2005, 8, 1)) < at(dt.date(2004, 8, 1)) < at(dt.date(2006, 8, 1)) < 0


# --------------------------------------------------------------------------- shares
def test_weighted_share_equals_a_proportion_with_unit_weights():
    m = np.r_[np.ones(282), np.zeros(718)]
    share, se, lo, hi = causal.weighted_share(m)
    assert share == pytest.approx(0.282)
    assert se == pytest.approx(np.sqrt(0.282 * 0.718 / 1000), rel=1e-3)
    assert lo < share < hi


def test_weighted_share_covers_a_planted_unit_share():
    rng = np.random.default_rng(0)
    cover = []
    for _ in range(300):
        firm = rng.random(4000) < 0.282
        units = np.where(rng.random(4000) < 0.5, 1, rng.geometric(0.3, 4000))
        _, _, lo, hi = causal.weighted_share(firm, units)
        cover.append(lo <= 0.282 <= hi)
    assert 0.91 <= np.mean(cover) <= 0.98


def test_wilson_interval_edges():
    _, lo, hi = intervals.wilson(0, 50)
    assert lo == 0 and 0 < hi < 0.1
    _, lo, hi = intervals.wilson(50, 50)
    assert hi == 1 and 0.9 < lo < 1
    _, lo, hi = intervals.wilson(900, 1000)
    assert lo < 0.9 < hi and hi - lo == pytest.approx(2 * 1.96 * np.sqrt(0.09 / 1000), rel=0.02)
    p, lo, hi = intervals.wilson(93, 100)
    assert p == 0.93 and lo == pytest.approx(0.8625, abs=2e-3) and hi == pytest.approx(0.9657, abs=2e-3)
    with pytest.raises(ValueError):
        intervals.wilson(5, 0)
    with pytest.raises(ValueError):
        intervals.wilson(5, 3)


# --------------------------------------------------------------------------- the notebook (slow)
def _run_chapter(tmp: Path, data_dir: Path, name: str, overrides: dict) -> list[dict]:
    import papermill as pm

    from casebook.book.build import inline_matplotlib_env

    out = tmp / f"{name}.json"
    with inline_matplotlib_env():
        pm.execute_notebook(
            str(NOTEBOOK),
            str(tmp / f"{name}.ipynb"),
            kernel_name="python3",
            progress_bar=False,
            cwd=str(NOTEBOOK.parent),
            parameters=dict(
                seed=7,
                n_customers=10_000,
                scenario="case",
                overrides=overrides,
                data_dir=str(data_dir),
                results_path=str(out),
            ),
        )
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def chapter_runs(tmp_path_factory, world_dir):
    """Two runs of the chapter: a bigger planted effect than the case's, and none at all."""
    tmp = tmp_path_factory.mktemp("ch03")
    big = _run_chapter(
        tmp, world_dir, "big", {"outsourcing.satisfaction_effect": -10.0, "outsourcing.complaint_growth": 0.8}
    )
    none = _run_chapter(
        tmp, world_dir, "none", {"outsourcing.satisfaction_effect": 0.0, "outsourcing.complaint_growth": 0.0}
    )
    return big, none


def _rec(records: list[dict], claim: str, starts: str) -> dict:
    hits = [r for r in records if r["claim"] == claim and r["quantity"].startswith(starts)]
    assert len(hits) == 1, f"expected one {claim} record starting {starts!r}, got {len(hits)}"
    return hits[0]


@pytest.mark.slow
def test_notebook_writes_the_required_records(chapter_runs):
    big, _ = chapter_runs
    claims = {r["claim"] for r in big}
    assert {"C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8"} <= claims
    for claim in ("C2", "C3", "C4", "C5"):
        for r in (x for x in big if x["claim"] == claim):
            assert r["ci_low"] is not None and r["ci_low"] <= r["estimate"] <= r["ci_high"], r
            assert r["claimed"] is not None and r["method"], r
            # the case's year-over-year count has no planted value: the world plants the rate per ticket
            assert (r["planted"] is None) == r["quantity"].startswith("complaint count"), r
    c5 = _rec(big, "C5", "index change at the switch (ITS), points")
    assert c5["planted"] == -10.0 and c5["unit"] == "index points" and c5["claimed"] == -6.3
    c4 = _rec(big, "C4", "change of complaints per ticket")
    assert c4["planted"] == 0.8 and c4["claimed"] == 0.23
    assert _rec(big, "C4", "complaint count, 2004 over 2003")["claimed"] == 0.23
    sc = _rec(big, "C5", "index change vs synthetic control")
    assert sc["planted"] == -10.0 and "synthetic control" in sc["method"]
    for claim in ("C6", "C7"):
        r = [x for x in big if x["claim"] == claim]
        assert len(r) == 1 and r[0]["planted"] is not None and r[0]["ci_low"] < r[0]["ci_high"], r
    # the crisis' planted change scales with the switch's (both act through vendor contacts): -10 doubles the case's
    assert _rec(big, "C6", "index change when")["planted"] < -4


@pytest.mark.slow
def test_estimates_follow_a_bigger_planted_effect(chapter_runs):
    big, _ = chapter_runs
    for q in (
        "index change vs competitor brands (DiD)",
        "index change vs synthetic control",
        "index change vs the twin world",
    ):
        r = _rec(big, "C5", q)
        assert r["ci_low"] <= -10.0 <= r["ci_high"], r
        assert r["ci_high"] < -5.0, r  # the case's default (-5) is excluded: the estimate moved with the world
    # the single series carries the industry shock of the switch's quarters (at seed 7 a large one), so it
    # is not asked to cover here (the seed sweep measures its coverage); the same seed's shock cancels
    # between the two runs, so the ITS moves by the planted difference
    _, none = chapter_runs
    its_big = _rec(big, "C5", "index change at the switch (ITS), points")["estimate"]
    its_none = _rec(none, "C5", "index change at the switch (ITS), points")["estimate"]
    assert its_big - its_none == pytest.approx(-10.0, abs=2.0)
    c4 = _rec(big, "C4", "change of complaints per ticket")
    assert c4["ci_low"] <= 0.8 <= c4["ci_high"], c4
    assert c4["ci_low"] > 0.23, c4  # the case's default growth is excluded
    for q in ("firm unit share, year before", "firm unit share, year after"):
        r = _rec(big, "C2" if "before" in q else "C3", q)
        assert r["ci_low"] <= r["planted"] <= r["ci_high"], r


@pytest.mark.slow
def test_no_planted_effect_is_estimated_as_indistinguishable_from_zero(chapter_runs):
    _, none = chapter_runs
    for q in (
        "index change vs competitor brands (DiD)",
        "index change vs synthetic control",
        "index change vs the twin world",
    ):
        r = _rec(none, "C5", q)
        assert r["planted"] == 0.0
        assert r["ci_low"] <= 0.0 <= r["ci_high"], r
        assert abs(r["estimate"]) < 3.0, r
    for claim in ("C6", "C7"):  # no switch effect: the queues reach no score (the slope is 0)
        r = [x for x in none if x["claim"] == claim][0]
        assert r["planted"] == 0.0 and r["ci_low"] <= 0.0 <= r["ci_high"], r
    c4 = _rec(none, "C4", "change of complaints per ticket")
    assert c4["planted"] == 0.0 and c4["ci_low"] <= 0.0 <= c4["ci_high"], c4


# --------------------------------------------------------------------------- placebo calibration
def _industry_panel(seed: int, effects=(-5.0, -2.4, 4.1), breaks=(18, 22, 26), n: int = 36, n_comp: int = 5):
    """The chapter's design in miniature: quarterly indices of a firm and competitors sharing an AR(0.6)
    industry shock (sd 1.2), each with its own AR(0.6) deviation (sd 0.6) and white survey noise (sd 1),
    competitors with loadings 1 ± 0.3 and small trends; the firm's level changes at three breaks."""
    rng = np.random.default_rng(seed)

    def ar1(sd, k):
        u = rng.standard_normal((k, n))
        x = np.empty((k, n))
        x[:, 0] = u[:, 0] * sd
        for t in range(1, n):  # 36 steps, vectorised over brands
            x[:, t] = 0.6 * x[:, t - 1] + sd * np.sqrt(1 - 0.36) * u[:, t]
        return x

    k = n_comp + 1
    load = np.maximum(0.0, 1 + 0.3 * rng.standard_normal(k))
    load[0] = 1.0
    trend = 0.1 * rng.standard_normal(k)
    trend[0] = 0.0
    t = np.arange(n)
    y = 79 + load[:, None] * ar1(1.2, 1) + trend[:, None] * (t - n / 2) / 4 + ar1(0.6, k) + rng.standard_normal((k, n))
    for e, b in zip(effects, breaks):
        y[0] += e * (t >= b)
    return pd.DataFrame(y.T, columns=["firm"] + [f"c{j}" for j in range(n_comp)])


@pytest.mark.slow
def test_placebo_calibrated_its_covers_under_autocorrelated_shared_shocks():
    """Coverage of the chapter's reported ITS interval under AR(0.6) industry shocks and brand deviations
    plus survey noise, 36 quarters, three breaks: measured over 120 simulated worlds, it must reach 0.85
    at every break (0.95 nominal); the AR(1) model's own t interval is measured beside it and is lower."""
    from casebook.analysis import placebo

    breaks = {"switch": 18, "crisis": 22, "recovery": 26}
    truth = {"switch": -5.0, "crisis": -2.4, "recovery": 4.1}
    cal_cover, model_cover = [], []
    for s in range(120):
        panel = _industry_panel(s)
        its = causal.multi_break_its(panel["firm"], breaks)
        cal = placebo.its_placebos(panel.drop(columns="firm"), breaks)
        tab = its.table.set_index("name")
        cal_cover.append(
            [
                cal.interval(tab.at[k, "estimate"], tab.at[k, "se"], k, model=its.interval(k)).covers(v)
                for k, v in truth.items()
            ]
        )
        model_cover.append([its.interval(k).covers(v) for k, v in truth.items()])
    cal_rate, model_rate = np.mean(cal_cover, axis=0), np.mean(model_cover, axis=0)
    print(f"coverage, placebo-calibrated {cal_rate.round(3)}, AR(1) model t {model_rate.round(3)}")
    assert (cal_rate >= 0.85).all() and (cal_rate <= 0.995).all(), cal_rate
    assert cal_rate.mean() > model_rate.mean(), (cal_rate, model_rate)


def test_placebo_calibration_covers_zero_and_finds_a_large_effect():
    from casebook.analysis import placebo

    breaks = {"switch": 18, "crisis": 22, "recovery": 26}
    null = _industry_panel(3, effects=(0.0, 0.0, 0.0))
    its = causal.multi_break_its(null["firm"], breaks)
    cal = placebo.its_placebos(null.drop(columns="firm"), breaks)
    row = its.table.set_index("name").loc["switch"]
    assert cal.interval(row["estimate"], row["se"]).covers(0.0)
    assert len(cal.draws) == 5 * (36 - 2 - 8 - placebo.MIN_PRE + 1) * 3
    big = _industry_panel(3, effects=(-15.0, 0.0, 0.0))
    its = causal.multi_break_its(big["firm"], breaks)
    row = its.table.set_index("name").loc["switch"]
    iv = cal.interval(row["estimate"], row["se"])
    assert iv.high < 0 and not iv.covers(0.0)
    # gap placebos: leave-one-out gaps of untreated units, one draw per unit and fake date
    gaps = placebo.leave_one_out_gaps(null.drop(columns="firm"))
    g = placebo.gap_placebos(gaps, length=4)
    assert set(g.draws["unit"]) == set(gaps.columns) and g.draws["start"].min() == placebo.MIN_PRE
    with pytest.raises(ValueError, match="length"):
        placebo.gap_placebos(gaps, length=40)


def test_synthetic_control_placebo_t_refits_weights_at_each_fake_date():
    from casebook.analysis import placebo

    panel = _industry_panel(5, effects=(0.0, 0.0, 0.0)).drop(columns="firm")
    cal = placebo.synthetic_control_placebo_t(panel, length=4)
    assert cal.draws["unit"].nunique() == 5
    assert np.isfinite(cal.draws["t"]).all()
    lo, hi = cal.t_quantiles()
    assert lo < 0 < hi


def test_regression_lean_pinv_is_statsmodels_pinv_bit_for_bit():
    """``regression.pinv_extended`` (one copy leaner) gives exactly statsmodels' pseudo-inverse and singular values."""
    from statsmodels.tools.tools import pinv_extended as reference

    from casebook.analysis import regression

    rng = np.random.default_rng(11)
    df = pd.DataFrame(
        {
            "bad": rng.integers(0, 2, 20_000),
            "segment": rng.choice(["consumer", "small_business", "public"], 20_000),
            "year": rng.choice([2003, 2004, 2005, 2006], 20_000),
        }
    )
    X = regression.design(df, ["bad"], ["segment", "year"])
    assert X.shape == (20_000, 1 + 1 + 2 + 3) and (X[:, 0] == 1).all()
    for x in (X, np.asfortranarray(X), np.column_stack([X, X[:, 1]])):  # the last one rank-deficient
        mine, s_mine = regression.pinv_extended(x)
        ref, s_ref = reference(x)
        assert np.array_equal(mine, ref) and np.array_equal(s_mine, s_ref)


def test_regression_wls_equals_the_formula_version():
    """``regression.ols(..., weights=...)`` is ``smf.wls``: same coefficients and clustered errors (chapter 01's A7)."""
    import statsmodels.formula.api as smf

    from casebook.analysis import regression

    rng = np.random.default_rng(5)
    n = 4000
    df = pd.DataFrame({"y": rng.normal(size=n), "a": rng.normal(size=n), "k": rng.integers(0, 2, n)})
    df["g"] = rng.integers(0, 500, n)
    w = 1.0 / df.groupby("g")["g"].transform("size")
    mine = regression.ols(df, "y", ["a", "k"], weights=w, cluster="g")
    ref = smf.wls("y ~ a + k", data=df, weights=w).fit(cov_type="cluster", cov_kwds={"groups": df["g"].to_numpy()})
    assert list(mine.params.index) == list(ref.params.index)
    assert np.allclose(mine.params, ref.params, rtol=1e-12) and np.allclose(mine.bse, ref.bse, rtol=1e-12)


def test_regression_ols_equals_the_formula_version():
    """``regression.ols`` builds the design with pandas; coefficients and clustered errors equal smf.ols's."""
    import statsmodels.formula.api as smf

    from casebook.analysis import regression

    rng = np.random.default_rng(4)
    n = 3000
    df = pd.DataFrame(
        {
            "y": rng.random(n),
            "bad": rng.integers(0, 2, n),
            "segment": rng.choice(["consumer", "small_business", "public"], n),
            "year": rng.choice([2003, 2004, 2005], n),
            "customer_id": rng.integers(0, 800, n),
        }
    )
    mine = regression.ols(df, "y", ["bad"], categorical=["segment", "year"], cluster="customer_id")
    ref = smf.ols("y ~ bad + C(segment) + C(year)", data=df).fit(
        cov_type="cluster", cov_kwds={"groups": df["customer_id"]}
    )
    assert sorted(mine.params.index) == sorted(ref.params.index)  # same names (patsy puts categoricals first)
    names = ref.params.index
    assert np.allclose(mine.params[names], ref.params) and np.allclose(mine.bse[names], ref.bse)
    plain = regression.ols(df, "y", ["bad"], categorical=["segment"])
    ref_plain = smf.ols("y ~ bad + C(segment)", data=df).fit()
    assert np.allclose(plain.bse[ref_plain.bse.index], ref_plain.bse)
    assert mine.model.wexog is None and np.allclose(mine.conf_int().loc["bad"], ref.conf_int().loc["bad"])
    assert regression.ols(df, "y", ["bad"], keep_data=True).resid.shape == (n,)
    with pytest.raises(ValueError, match="columns"):
        regression.ols(df, "y", ["nope"])
