"""Chapter 04 (supply chain and CRM integration): unit tests of casebook.analysis.supply and of the
supply-chain simulation, and papermill tests that the chapter's estimates follow the world's causes.

The unit tests simulate small systems with a known answer (an order-up-to inventory with
a planted cover, FIFO stock at a launch, pass-through vs batch ordering, a pipeline that
does or does not carry information) and check the helpers recover it, or find nothing
where nothing was planted. The papermill runs (marked ``slow``) execute the chapter at
5,000 customers: at the case preset, with other days-of-supply targets, and with causes that
are not targets moved (longer supplier lead times, larger batches, tighter capacity).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from casebook.analysis import supply as sc

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "04_supply_chain_crm.ipynb"


# --------------------------------------------------------------------------- intervals
def test_mean_ci_covers_the_mean_and_narrows_with_n():
    rng = np.random.default_rng(1)
    x = rng.normal(5.0, 2.0, 400)
    m, lo, hi = sc.mean_ci(x)
    assert lo < 5.0 < hi and lo < m < hi
    _, lo2, hi2 = sc.mean_ci(x[:40])
    assert (hi2 - lo2) > 2 * (hi - lo)
    with pytest.raises(ValueError):
        sc.mean_ci([1.0])


def test_mean_ci_coverage_is_about_95_percent():
    rng = np.random.default_rng(2)
    hits = [lo <= 0 <= hi for lo, hi in (sc.mean_ci(rng.standard_normal(30))[1:] for _ in range(2000))]
    assert 0.93 < np.mean(hits) < 0.97


def test_bootstrap_ratio_ci_recovers_a_planted_share_and_is_seeded():
    rng = np.random.default_rng(3)
    rev = rng.lognormal(0, 1.0, 3000)
    online = rev * (rng.random(3000) < 0.25)
    est, lo, hi = sc.bootstrap_ratio_ci(online, rev, n_boot=500, seed=4)
    assert lo < 0.25 < hi and lo < est < hi
    assert sc.bootstrap_ratio_ci(online, rev, n_boot=500, seed=4) == (est, lo, hi)


# --------------------------------------------------------------------------- inventory
def _order_up_to(cover: float, n_days: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Daily demand and end-of-day stock of a hub that tops up to `cover` days of mean demand."""
    rng = np.random.default_rng(seed)
    demand = rng.poisson(100, n_days).astype(float)
    stock = np.empty(n_days)
    prev = cover * 100
    for t in range(n_days):
        after = prev - demand[t]
        prev = max(cover * 100, after)
        stock[t] = prev
    idx = pd.date_range("2000-01-01", periods=n_days, freq="D")
    return pd.DataFrame({"on_hand_units": stock, "consumed_units": demand}, index=idx)


@pytest.mark.parametrize("cover", [4.0, 30.0])
def test_days_of_supply_recovers_the_planted_cover(cover):
    d = _order_up_to(cover)
    assert sc.days_of_supply(d["on_hand_units"], d["consumed_units"]) == pytest.approx(cover, rel=0.01)
    q = sc.period_days_of_supply(d, stock="mean")
    m, lo, hi = sc.mean_ci(q)
    assert lo <= cover * 1.005 and hi >= cover * 0.995


def test_quarter_end_convention_reads_high_when_demand_grows():
    n = 730
    idx = pd.date_range("2000-01-01", periods=n, freq="D")
    demand = np.linspace(100, 300, n)
    d = pd.DataFrame({"on_hand_units": 5 * demand, "consumed_units": demand}, index=idx)
    mean_conv = sc.period_days_of_supply(d, stock="mean").mean()
    end_conv = sc.period_days_of_supply(d, stock="end").mean()
    assert mean_conv == pytest.approx(5.0, rel=1e-3)
    assert end_conv > 5.1


def test_turns_and_turnover_days_are_reciprocal():
    turns = sc.inventory_turns(cogs=365_000, average_inventory=4_000)
    assert turns == pytest.approx(91.25)
    assert sc.turnover_days(cogs=365_000, average_inventory=4_000) == pytest.approx(365 / turns)
    assert sc.turnover_days(cogs=91_000, average_inventory=4_000, days=91) == pytest.approx(4.0)


# --------------------------------------------------------------------------- obsolescence, time to market
def test_erosion_loss_share():
    assert sc.erosion_loss_share(0, 0.01) == 0
    assert sc.erosion_loss_share(7, 0.01) == pytest.approx(0.01)
    assert sc.erosion_loss_share(80, 0.01) == pytest.approx(1 - 0.99 ** (80 / 7))
    assert sc.erosion_loss_share(80, 0.0) == 0
    arr = sc.erosion_loss_share(np.array([4.0, 80.0]), 0.01)
    assert arr.shape == (2,) and arr[1] > 10 * arr[0]
    with pytest.raises(ValueError):
        sc.erosion_loss_share(10, 1.0)


def test_fifo_days_to_customer():
    assert sc.fifo_days_to_customer(0, [5, 5, 5]) == 0
    assert sc.fifo_days_to_customer(10, [5, 5, 5, 5]) == 2  # days 0 and 1 use the 10 old parts
    assert sc.fifo_days_to_customer(9, [5, 5, 5]) == 1
    assert np.isnan(sc.fifo_days_to_customer(100, [5, 5, 5]))


@pytest.mark.parametrize("own,rival", [(4, 80), (10, 40)])
def test_launch_lags_recover_the_gap_in_days_of_stock(own, rival):
    """Two order-up-to pipelines on the same demand: the FIFO lag at a launch is the days of stock."""
    lags = {}
    for cover in (own, rival):
        d = _order_up_to(cover, n_days=1500, seed=5)
        launches = pd.date_range("2000-06-01", periods=4, freq="250D")
        lags[cover] = sc.launch_lags(d.index, d["on_hand_units"], d["consumed_units"], launches)
    gap = lags[rival] - lags[own]
    assert np.all(np.isfinite(gap))
    assert np.mean(gap) == pytest.approx(rival - own, abs=1.5)


def test_launch_lags_outside_the_series_are_nan():
    d = _order_up_to(4, n_days=100)
    out = sc.launch_lags(d.index, d["on_hand_units"], d["consumed_units"], ["2000-01-01", "2010-01-01"])
    assert np.isnan(out).all()


# --------------------------------------------------------------------------- working capital
def test_weighted_days_dso_and_prepayment():
    ship = pd.to_datetime(["2004-01-10", "2004-01-10", "2004-01-10"])
    pay = pd.to_datetime(["2004-02-09", "2004-01-08", "2004-03-10"])  # 30 days, prepaid, 60 days
    assert sc.weighted_days(ship, pay, [1, 1, 2]) == pytest.approx((30 + 0 + 120) / 4)
    assert sc.weighted_days(ship, pay, clip_negative=False) == pytest.approx((30 - 2 + 60) / 3)
    assert sc.weighted_days([0, 10], [70, 80]) == 70


def test_cash_conversion_cycle_scalar_and_series():
    assert sc.cash_conversion_cycle(28, 3, 68) == -37  # Dell FY2003 (10-K)
    s = sc.cash_conversion_cycle(pd.Series([30.0, 32.0]), pd.Series([4.0, 4.0]), pd.Series([70.0, 73.0]))
    assert list(s) == [-36.0, -37.0]


# --------------------------------------------------------------------------- bullwhip
def test_bullwhip_pass_through_vs_batches():
    rng = np.random.default_rng(6)
    demand = 1000 + 10 * np.arange(520) + rng.normal(0, 50, 520)
    assert sc.bullwhip_ratio(demand, demand, detrend_window=13) == pytest.approx(1.0)
    batches = np.zeros_like(demand)
    batches[::4] = np.add.reduceat(demand, np.arange(0, 520, 4))  # order four weeks at once
    assert sc.bullwhip_ratio(batches, demand, detrend_window=13) > 20
    with pytest.raises(ValueError):
        sc.bullwhip_ratio([1, 2], [1, 2, 3])


# --------------------------------------------------------------------------- promises
def test_on_time_share_recovers_a_planted_rate():
    rng = np.random.default_rng(7)
    promised = np.full(20_000, 10)
    actual = np.where(rng.random(20_000) < 0.93, rng.integers(1, 11, 20_000), 11 + rng.geometric(0.4, 20_000))
    p, lo, hi = sc.on_time_share(promised, actual)
    assert lo < 0.93 < hi


# --------------------------------------------------------------------------- CRM signals in the forecast
def _demand_with_pipeline(informative: bool, seed: int = 8):
    """Steady small orders plus lumpy key-account orders announced (or not) in a pipeline."""
    rng = np.random.default_rng(seed)
    n_days = 3000
    small_day = rng.integers(0, n_days, 60_000)
    small_units = np.ones(small_day.size)
    key_day = rng.integers(0, n_days, 400)
    key_units = rng.integers(50, 400, 400).astype(float)
    created = key_day - rng.integers(14, 61, 400)
    if informative:
        expected = key_day + np.rint(rng.normal(0, 2, 400)).astype(int)
        units = key_units
    else:  # a pipeline of the same size that says nothing about when or how much
        expected = rng.integers(0, n_days, 400)
        units = rng.permutation(key_units)
    day = np.concatenate([small_day, key_day])
    u = np.concatenate([small_units, key_units])
    announced = np.concatenate([np.zeros(small_day.size, bool), np.ones(key_day.size, bool)])
    return day, u, announced, created, expected, units


def test_crm_backtest_finds_the_value_of_an_informative_pipeline():
    day, u, ann, created, expected, units = _demand_with_pipeline(True)
    bt = sc.crm_backtest(day, u, ann, created, expected, units, width=28, history=2, first_target=4)
    assert list(bt.columns) == ["bucket", "actual", "without_crm", "with_crm", "pipeline_units"]
    cut, lo, hi = sc.mae_reduction(bt["actual"], bt["without_crm"], bt["with_crm"], n_boot=500, seed=0)
    assert lo > 0.2 and cut > 0.3


def test_crm_backtest_finds_no_value_in_an_uninformative_pipeline():
    day, u, ann, created, expected, units = _demand_with_pipeline(False)
    bt = sc.crm_backtest(day, u, ann, created, expected, units, width=28, history=2, first_target=4)
    cut, lo, hi = sc.mae_reduction(bt["actual"], bt["without_crm"], bt["with_crm"], n_boot=500, seed=0)
    assert lo < 0.0  # no significant improvement
    assert cut < 0.1


def test_crm_backtest_uses_only_what_is_known_at_the_origin():
    # one opportunity created after the forecast origin must not enter the forecast
    day = np.array([0, 30, 60, 90])
    u = np.ones(4)
    ann = np.zeros(4, bool)
    bt = sc.crm_backtest(day, u, ann, opp_created_day=[70], opp_expected_day=[80], opp_units=[500], width=28, history=1)
    row = bt.set_index("bucket").loc[2]  # target days 56-83, origin = day 55
    assert row["pipeline_units"] == 0
    assert sc.pipeline_due([50], [80], [500], origin_day=55, lo=56, hi=84) == 500


def test_safety_stock():
    assert sc.safety_stock(100) == pytest.approx(164.485, abs=1e-3)
    assert sc.safety_stock(100, z=2) == 200


# --------------------------------------------------------------------------- new helpers
def test_time_to_market_reads_the_first_day_the_new_chip_dominates():
    # launch at day 10; old chips sell out on day 14 (firm), new chip is the majority from then on
    day = np.r_[np.arange(0, 14), np.arange(14, 30)]
    gen = np.r_[np.zeros(14, int), np.ones(16, int)]
    units = np.ones(30)
    ttm = sc.time_to_market(day, gen, units, [0, 10])
    assert np.isnan(ttm[0]) and ttm[1] == 4


def test_erosion_loss_is_stock_times_price_fall():
    lost, used = sc.erosion_loss([10, 10, 10], [100.0, 99.0, 120.0], [1, 1, 1])
    assert lost == pytest.approx(10.0)  # the rise at a launch is not a gain
    assert used == pytest.approx(319.0)


def test_block_bootstrap_var_ratio_pass_through_and_batches():
    rng = np.random.default_rng(5)
    d = rng.poisson(100, 2000).astype(float)
    iv = sc.block_bootstrap_var_ratio(d, d, 7, n_boot=200)
    assert iv.estimate == pytest.approx(1.0) and iv.low <= 1.0 <= iv.high
    batch = np.zeros_like(d)
    batch[::30] = np.add.reduceat(d, np.arange(0, d.size, 30))
    daily = sc.block_bootstrap_var_ratio(batch, d, 1, n_boot=200)
    monthly = sc.block_bootstrap_var_ratio(batch, d, 30, n_boot=200)
    assert daily.estimate > 10 * monthly.estimate  # the ratio depends on the bucket


# --------------------------------------------------------------------------- the simulation (fast)
def _simulate(**over):
    from synthetic.scenario import build_scenario
    from synthetic.supply import make_supply

    sc_ = build_scenario("case", {f"supply.{k}": v for k, v in over.items()})
    n_days = (sc_.world.end - sc_.world.start).days + 1
    rng = np.random.default_rng(11)
    mean = 80 * np.exp(np.linspace(0, 1.2, n_days))
    d = rng.negative_binomial(3, 3 / (3 + mean))
    out = make_supply(np.random.default_rng(3), sc_, np.tile(d, (6, 1)), np.array(["A", "B"]))
    inv = pd.DataFrame(out["inventory_daily"])
    cpu = inv[inv["category"] == "cpu"]
    res = {}
    for p, g in cpu.groupby("pipeline"):
        res[p] = {
            "days": g["on_hand_units"].mean() / g["demand_units"].mean(),
            "short": g["shortage_units"].sum() / g["demand_units"].sum(),
            "bw28": sc.block_bootstrap_var_ratio(
                g["ordered_units"].to_numpy()[90:], g["demand_units"].to_numpy()[90:], 28, n_boot=50
            ).estimate,
        }
    q = out["build_queue_daily"]
    ok = q["completed_day"] >= 0
    res["comp_safety"] = out["_calibration"]["competitor_safety_days"]
    res["on_time"] = float(
        ((q["completed_day"] <= q["promised_day"]) * q["ordered_units"])[ok].sum() / q["ordered_units"][ok].sum()
    )
    return res


def test_simulation_days_are_outcomes_not_the_target():
    r = _simulate()
    assert r["build_to_order"]["days"] != 4.0 and 3.0 < r["build_to_order"]["days"] < 5.0
    assert 70 < r["build_to_stock"]["days"] < 90
    assert r["vmi_hub"]["days"] > 0


def test_simulation_causes_move_outcomes_as_operations_theory_predicts():
    base = _simulate()
    # a larger batch at the same days target: cycle stock is half a batch, so the safety cover shrinks by
    # about (60 - 30) / 2 = 15 days, and orders get lumpier
    big = _simulate(competitor_batch_days=60)
    assert 10 < base["comp_safety"] - big["comp_safety"] < 20
    assert big["build_to_stock"]["bw28"] > base["build_to_stock"]["bw28"]
    # longer supplier lead times: the suppliers (VMI) carry more stock; the firm's own days barely move
    slow = _simulate(supplier_lead_days=8)
    assert slow["vmi_hub"]["days"] > base["vmi_hub"]["days"] + 0.3
    assert abs(slow["build_to_order"]["days"] - base["build_to_order"]["days"]) < 0.5
    # less capacity slack: more orders miss their quoted date
    tight = _simulate(capacity_factor=1.03)
    assert tight["on_time"] < base["on_time"]


# --------------------------------------------------------------------------- the notebook (slow)
def _run_chapter(tmp_path: Path, data_dir: Path, name: str, overrides: dict) -> dict:
    import json

    import papermill as pm

    out = tmp_path / f"{name}.ipynb"
    res = tmp_path / f"{name}.json"
    pm.execute_notebook(
        str(NOTEBOOK),
        str(out),
        kernel_name="python3",
        cwd=str(NOTEBOOK.parent),
        progress_bar=False,
        parameters=dict(
            seed=7,
            n_customers=5_000,
            scenario="case",
            overrides=overrides,
            data_dir=str(data_dir),
            results_path=str(res),
        ),
    )
    return {(r["claim"], r["quantity"]): r for r in json.loads(res.read_text())}


def _find(recs: dict, claim: str, starts: str) -> dict:
    hits = [r for (c, q), r in recs.items() if c == claim and q.startswith(starts)]
    assert len(hits) == 1, f"{claim} {starts!r}: {len(hits)} records"
    return hits[0]


@pytest.fixture(scope="module")
def chapter_runs(tmp_path_factory, world_dir):
    """The chapter at the case preset, with other days targets, and with non-target causes moved."""
    tmp = tmp_path_factory.mktemp("ch04")
    base = _run_chapter(tmp, world_dir, "case", {})
    alt = _run_chapter(tmp, world_dir, "alt", {"supply.inventory_days": 10, "supply.competitor_inventory_days": 40})
    cause = _run_chapter(
        tmp,
        world_dir,
        "cause",
        {
            "supply.supplier_lead_days": 20,
            "supply.competitor_batch_days": 60,
            "supply.capacity_factor": 1.03,
            "supply.forecast_signal_share": 0.0,
        },
    )
    return base, alt, cause


@pytest.mark.slow
def test_every_claim_has_a_record_and_none_is_a_read_back(chapter_runs):
    base, _, _ = chapter_runs
    claims = {c for c, _ in base}
    assert {f"D{i}" for i in range(1, 16)} | {"D-CCC"} <= claims
    for (c, q), r in base.items():
        if r.get("extra", {}).get("verdict") == "no-data":
            assert r["extra"]["reason"], c
            continue
        assert r["ci_low"] is not None and r["ci_high"] > r["ci_low"], f"{c} {q}: zero-width or no interval"
        if r["planted"] is not None:
            assert abs(r["estimate"] - r["planted"]) > 1e-9 * max(1.0, abs(r["planted"])), f"{c} {q}: read-back"


@pytest.mark.slow
def test_days_of_supply_and_time_to_market_follow_the_targets(chapter_runs):
    base, alt, _ = chapter_runs
    for recs, own, rival in ((base, 4, 80), (alt, 10, 40)):
        dos = _find(recs, "D3", "firm's days of supply")
        comp = _find(recs, "D4", "competitor's days of supply")
        assert dos["estimate"] == pytest.approx(own, rel=0.15)
        assert comp["estimate"] == pytest.approx(rival, rel=0.1)
        gap = _find(recs, "D4", "time-to-market gap")
        # the head start follows the difference of the two chains' days of supply
        assert gap["ci_low"] <= rival - own <= gap["ci_high"]
    assert _find(alt, "D3", "firm's days")["estimate"] - _find(base, "D3", "firm's days")["estimate"] > 4


@pytest.mark.slow
def test_causes_that_are_not_targets_move_outcomes_as_theory_predicts(chapter_runs):
    base, _, cause = chapter_runs
    # longer supplier lead times: safety stock grows with sqrt(lead + review), and in a VMI chain the suppliers
    # hold it: their share of the chain's stock rises
    assert (
        _find(cause, "D7", "share of the chain's stock")["ci_low"]
        > _find(base, "D7", "share of the chain's stock")["ci_high"]
    )
    # a 60-day batch: the competitor's orders swing more against demand in four-week buckets
    key = "bullwhip ratio, build-to-stock orders vs demand, 28"
    assert _find(cause, "D4", key)["estimate"] > _find(base, "D4", key)["ci_high"]
    # less capacity slack (and more part shortages): fewer orders ship by the quoted date
    assert _find(cause, "D14", "share of PCs")["ci_high"] < _find(base, "D14", "share of PCs")["ci_low"]
    # no pipeline signals: the CRM forecast is the plain one, so its gain and the stock it saves are zero
    for starts in ("forecast MAE cut", "stock at bucket end saved"):
        r = _find(cause, "D15", starts)
        assert r["ci_low"] <= 0 <= r["ci_high"], starts
    assert _find(base, "D15", "forecast MAE cut")["ci_low"] > 0
    # the days-of-supply targets are held, so the firm's own days stay near 4 despite slower suppliers
    assert _find(cause, "D3", "firm's days")["estimate"] == pytest.approx(4, rel=0.15)


def test_unreachable_days_target_is_one_clear_parameter_error():
    from synthetic.errors import ParameterError
    from synthetic.scenario import build_scenario
    from synthetic.supply import calibrate_safety, make_suppliers

    sc_ = build_scenario("case", {"supply.competitor_inventory_days": 2})
    sup = make_suppliers(np.random.default_rng(0), sc_, np.array(["A"]))
    with pytest.raises(ParameterError, match="supply.competitor_inventory_days: must lie between"):
        calibrate_safety(sc_, sup)
