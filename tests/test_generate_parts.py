"""The generator's speed-ups (issue 19) give exactly what the plain code gave.

Each test compares a fast path with the straightforward computation it replaced, on the
same inputs: the counting sort of the purchase rounds against concatenate + lexsort/argsort,
the column-wise categorical pick against the (n, k) matrix, the name pools against plain Faker.
``tests/test_generate_bytes.py`` checks the whole world's contents.
"""

from __future__ import annotations

import numpy as np
import pytest

from synthetic import calibrate, names, orders
from synthetic.block import BLOCK_SIZE, block_seed
from synthetic.customers import make_customers
from synthetic.marketing import apply_marketing
from synthetic.scenario import build_scenario
from synthetic.timeline import day_index


@pytest.fixture(scope="module")
def scenario():
    sc = build_scenario("case", {})
    return sc, calibrate.solve(sc)


def _block_inputs(sc, cal, seed=5, b=2, n=3_000):
    pools = names.make_pools(sc.world.locale, seed, size=50)
    ids = np.arange(b * BLOCK_SIZE + 1, b * BLOCK_SIZE + n + 1, dtype=np.int64)
    rng = block_seed(seed, 1, b)
    cust, lat = make_customers(rng, sc, cal, ids, pools)
    apply_marketing(block_seed(seed, 12, b), sc, seed, ids, cust, lat)
    lat["ids"] = ids
    return rng, ids, lat


def test_purchase_rounds_scatter_into_the_order_a_sort_gives(scenario, monkeypatch):
    sc, cal = scenario
    rng, ids, lat = _block_inputs(sc, cal)
    o_rounds, t_rounds = [], []
    configure, tickets_of = orders._configure, orders._tickets
    monkeypatch.setattr(orders, "_configure", lambda *a: o_rounds.append(configure(*a)) or o_rounds[-1])
    monkeypatch.setattr(orders, "_tickets", lambda *a: t_rounds.append(tickets_of(*a)) or t_rounds[-1])
    got_o, got_t, _, pos = orders.run_purchases(rng, sc, cal, ids, lat)
    assert len(o_rounds) > 5 and sum(p["_row"].size for p in t_rounds) > 1000
    # the code before issue 19: concatenate the rounds, drop late tickets, then sort
    want_o = {c: np.concatenate([p[c] for p in o_rounds]) for c in o_rounds[0]}
    want_t = {c: np.concatenate([p[c] for p in t_rounds]) for c in t_rounds[0] if c not in ("_row", "_j", "_n")}
    keep = want_t["opened_day"] <= day_index(sc.world.end, sc.world.start)
    want_t = {c: v[keep] for c, v in want_t.items()}
    assert not keep.all()  # the late-ticket cut is exercised
    rank = np.lexsort((want_o["day"], want_o["customer_id"]))
    want_pos = (want_o["customer_id"] - ids[0])[rank]
    want_o = {c: v[rank] for c, v in want_o.items()}
    want_t = {c: v[np.argsort(want_t["ticket_id"], kind="stable")] for c, v in want_t.items()}
    assert got_o.keys() == want_o.keys() and got_t.keys() == want_t.keys()
    for want, got in ((want_o, got_o), (want_t, got_t)):
        for c in want:
            assert got[c].dtype == want[c].dtype, c
            np.testing.assert_array_equal(got[c], want[c], err_msg=c)
    np.testing.assert_array_equal(pos, want_pos)


def test_pick_cum_counts_like_the_matrix():
    rng = np.random.default_rng(3)
    for cum in (orders.LINE_CUM, orders.TIER_CUM, np.cumsum(rng.random((5, 7)) * (rng.random((5, 7)) < 0.6), 1)):
        cum = cum[cum[:, -1] > 0]
        rows = rng.integers(0, len(cum), 5_000)
        got = orders._pick_cum(np.random.default_rng(9), cum, rows)
        c = cum[rows]
        want = (np.random.default_rng(9).random(len(c))[:, None] * c[:, -1:] > c).sum(axis=1)
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("locale, seed", [("en_US", 7), ("zh_CN", 11)])
def test_name_pools_are_plain_fakers(locale, seed, monkeypatch):
    fast = names.make_pools(locale, seed, size=600)
    monkeypatch.setattr(names, "cached_weights", lambda fake: None)
    plain = names.make_pools(locale, seed, size=600)
    for field in ("person", "company", "street", "city", "state", "supplier"):
        assert list(getattr(fast, field)) == list(getattr(plain, field)), field


@pytest.mark.parametrize("bad, words", [(-1.0, "minimum -1.0 is below 0"), (float("nan"), "0 null value")])
def test_float_checks_read_as_numpy_still_catch_faults(tmp_path, bad, words):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from synthetic import store
    from synthetic.validate import IntegrityError, check_tables

    orders = pq.read_table(store.generate(tmp_path / "w", "case", 5, 300, progress=False) / "orders")
    check_tables({"orders": orders})
    i = orders.column_names.index("revenue")
    values = orders.column("revenue").to_numpy().copy()
    values[len(values) // 2] = bad
    with pytest.raises(IntegrityError, match=f"orders.revenue: {words}"):
        check_tables({"orders": orders.set_column(i, "revenue", pa.array(values))})


def test_generation_lookup_is_the_search(scenario):
    sc, _ = scenario
    launches = orders.cpu_launch_days(sc)
    rng = np.random.default_rng(4)
    days = np.concatenate([rng.uniform(-400, launches[-1] + 400, 20_000), launches - 0.5, launches, launches + 0.25])
    days = np.concatenate([days, np.floor(days[:5_000])])
    want = np.maximum(np.searchsorted(launches, days, side="right") - 1, 0)
    np.testing.assert_array_equal(orders.generation_lookup(launches)(days), want)


def _side_task_fails(*args):
    raise OSError("disk full (simulated)")


@pytest.mark.parametrize("workers", [1, 2])
def test_failing_side_task_fails_the_run_and_leaves_nothing(tmp_path, monkeypatch, workers):
    from synthetic import store

    monkeypatch.setattr(store, "own_world_tables", _side_task_fails)
    with pytest.raises(OSError, match="disk full"):
        store.generate(tmp_path / "w", "case", 3, 21_000, workers=workers, progress=False)
    assert list(tmp_path.iterdir()) == []
