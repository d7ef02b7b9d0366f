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

from casebook.analysis import causal

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


def test_its_interval_coverage_is_near_nominal_with_and_without_an_effect():
    """Over 200 simulated series the 95 % interval covers the planted change about 95 % of the time."""
    for effect in (-5.0, 0.0):
        cover = []
        for s in range(200):
            y = causal.simulate_its(108, 54, level_change=effect, noise_sd=1.5, seed=s)
            lo, hi = causal.segmented_its(y, 54).level_ci
            cover.append(lo <= effect <= hi)
        assert 0.88 <= np.mean(cover) <= 0.99, (effect, np.mean(cover))


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
    t = causal.placebo_date_test(gap, 54, min_side=12)
    k = len(t.placebos)
    assert k == 108 - 2 * 12 + 1
    assert t.p_value == pytest.approx(1 / k)  # the real date has the largest |t|
    assert t.placebos["real"].sum() == 1
    ps = []
    for s in range(100):
        p0 = causal.simulate_panel(effect=0.0, seed=2000 + s)
        ps.append(causal.placebo_date_test(p0["treated"] - p0.drop(columns="treated").mean(axis=1), 54).p_value)
    ps = np.array(ps)
    assert 0.3 <= ps.mean() <= 0.7  # about uniform under no effect
    assert (ps <= 0.05).mean() <= 0.12
    with pytest.raises(ValueError, match="min_side"):
        causal.placebo_date_test(gap, 5, min_side=12)


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
    lo, hi = causal.wilson_interval(0, 50)
    assert lo == 0 and 0 < hi < 0.1
    lo, hi = causal.wilson_interval(50, 50)
    assert hi == 1 and 0.9 < lo < 1
    lo, hi = causal.wilson_interval(900, 1000)
    assert lo < 0.9 < hi and hi - lo == pytest.approx(2 * 1.96 * np.sqrt(0.09 / 1000), rel=0.02)
    with pytest.raises(ValueError):
        causal.wilson_interval(5, 0)


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
    assert {"C1", "C2", "C3", "C4", "C5", "C8"} <= claims
    for claim in ("C2", "C3", "C4", "C5"):
        for r in (x for x in big if x["claim"] == claim):
            assert r["ci_low"] is not None and r["ci_low"] <= r["estimate"] <= r["ci_high"], r
            assert r["planted"] is not None and r["claimed"] is not None and r["method"], r
    c5 = _rec(big, "C5", "index change at the switch (ITS), points")
    assert c5["planted"] == -10.0 and c5["unit"] == "index points" and c5["claimed"] == -6.3
    c4 = _rec(big, "C4", "change of complaints per ticket")
    assert c4["planted"] == 0.8 and c4["claimed"] == 0.23


@pytest.mark.slow
def test_estimates_follow_a_bigger_planted_effect(chapter_runs):
    big, _ = chapter_runs
    for q in ("index change at the switch (ITS), points", "index change vs competitor brands (DiD)"):
        r = _rec(big, "C5", q)
        assert r["ci_low"] <= -10.0 <= r["ci_high"], r
        assert r["ci_high"] < -5.0, r  # the case's default (-5) is excluded: the estimate moved with the world
    pct = _rec(big, "C5", "index change at the switch (ITS), percent")
    assert pct["ci_low"] <= pct["planted"] <= pct["ci_high"], pct
    c4 = _rec(big, "C4", "change of complaints per ticket")
    assert c4["ci_low"] <= 0.8 <= c4["ci_high"], c4
    assert c4["ci_low"] > 0.23, c4  # the case's default growth is excluded
    for q in ("firm unit share, year before", "firm unit share, year after"):
        r = _rec(big, "C2" if "before" in q else "C3", q)
        assert r["ci_low"] <= r["planted"] <= r["ci_high"], r


@pytest.mark.slow
def test_no_planted_effect_is_estimated_as_indistinguishable_from_zero(chapter_runs):
    _, none = chapter_runs
    for q in ("index change at the switch (ITS), points", "index change vs competitor brands (DiD)"):
        r = _rec(none, "C5", q)
        assert r["planted"] == 0.0
        assert r["ci_low"] <= 0.0 <= r["ci_high"], r
        assert abs(r["estimate"]) < 1.5, r
    c4 = _rec(none, "C4", "change of complaints per ticket")
    assert c4["planted"] == 0.0 and c4["ci_low"] <= 0.0 <= c4["ci_high"], c4
