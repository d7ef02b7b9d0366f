"""Calibration: the raw records give back each planted expectation within a stated tolerance.

Sizes are modest (30,000 customers), so tolerances are a few standard errors
of the simple estimators used here.
"""

import pytest

import synthetic


def firm_index_change(w):
    """Firm minus competitors' mean index, after vs before the switch, up to the crisis.

    Every brand shares an industry shock (satisfaction.industry_shock_*), and the crisis and
    the recovery (C6, C7) are later treatments, so the switch's planted change is read from
    the gap to competitors in the quarters between the switch and the crisis.
    """
    s = w.sql(
        "select quarter, avg(case when brand = 'Dell' then score end) - avg(case when brand <> 'Dell' then score end) gap "
        "from surveys group by 1"
    )
    start, crisis = w.scenario.outsourcing.start, w.scenario.crisis.start
    q = f"{start.year}Q{(start.month - 1) // 3 + 1}"
    c = f"{crisis.year}Q{(crisis.month - 1) // 3 + 1}"
    return s[(s.quarter >= q) & (s.quarter < c)].gap.mean() - s[s.quarter < q].gap.mean()


def complaint_growth(w):
    start = str(w.scenario.outsourcing.start)
    r = w.sql(f"""select s.opened_date >= DATE '{start}' post, count(c.complaint_id)::double / count(*) rate
                 from support_tickets s left join complaints c using (ticket_id) group by 1 order by 1""")
    return r.rate.iloc[1] / r.rate.iloc[0] - 1


def dsi(w, pipeline):
    r = w.sql(
        f"select sum(on_hand_units)::double / sum(consumed_units) d from inventory_daily where pipeline = '{pipeline}' and date >= DATE '2001-01-01'"
    )
    return r.d.iloc[0]


def share(w, post):
    start = str(w.scenario.outsourcing.start)
    op = ">=" if post else "<"
    return w.sql(
        f"select avg((brand = 'Dell')::int) s from market_panel where purchase_date {op} DATE '{start}'"
    ).s.iloc[0]


def top20(w):
    rev = w.sql("select sum(revenue) r from orders group by customer_id").r.sort_values(ascending=False).to_numpy()
    return rev[: int(0.2 * len(rev))].sum() / rev.sum()


def online_share(w):
    return w.sql(
        "select sum(case when channel in ('web', 'premier') then revenue end) / sum(revenue) s from orders"
    ).s.iloc[0]


def test_case_world_gives_back_every_planted_expectation(case_world):
    w = case_world
    sc = w.scenario
    assert firm_index_change(w) == pytest.approx(sc.outsourcing.satisfaction_effect, abs=1.0)
    # ~1,500 complaints at 30,000 customers: the growth's standard error is about 0.065, so +/- 0.15 (~2.3 s.e.)
    assert complaint_growth(w) == pytest.approx(sc.outsourcing.complaint_growth, abs=0.15)
    assert dsi(w, "build_to_order") == pytest.approx(sc.supply.inventory_days, abs=0.3)
    assert dsi(w, "build_to_stock") == pytest.approx(sc.supply.competitor_inventory_days, rel=0.05)
    assert share(w, False) == pytest.approx(sc.market.share_before, abs=0.004)
    assert share(w, True) == pytest.approx(sc.market.share_after, abs=0.004)
    assert top20(w) == pytest.approx(sc.spend.top20_share, abs=0.03)
    assert online_share(w) == pytest.approx(sc.channels.online_revenue_share, abs=0.03)
    key = w.sql("select avg((tier = 'key')::int) k from truth").k.iloc[0]
    assert key == pytest.approx(sc.segments.key_account_share, rel=0.25)


def test_changing_planted_values_moves_the_records(world_dir):
    w = synthetic.load(
        "case",
        seed=7,
        n_customers=30_000,
        data_dir=world_dir,
        overrides={
            "outsourcing.satisfaction_effect": 0.0,
            "outsourcing.complaint_growth": 0.6,
            "supply.inventory_days": 10,
            "spend.top20_share": 0.6,
            "market.share_after": 0.25,
            "channels.online_revenue_share": 0.4,
        },
    )
    assert abs(firm_index_change(w)) < 1.0
    assert complaint_growth(w) == pytest.approx(0.6, abs=0.15)
    assert dsi(w, "build_to_order") == pytest.approx(10, abs=0.6)
    assert top20(w) == pytest.approx(0.6, abs=0.03)
    assert share(w, True) == pytest.approx(0.25, abs=0.004)
    assert online_share(w) == pytest.approx(0.4, abs=0.03)


def test_unreachable_targets_are_refused_before_work(tmp_path):
    from synthetic import store
    from synthetic.errors import ParameterError

    with pytest.raises(ParameterError, match="spend.top20_share"):
        store.generate(tmp_path / "x", "case", 1, 500, overrides={"spend.top20_share": 0.36})
    assert not (tmp_path / "x").exists() and not list(tmp_path.iterdir())
