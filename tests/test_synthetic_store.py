"""Determinism, integrity, caching and atomic writes of generated worlds."""

import hashlib

import pandas as pd
import pytest

import synthetic
from synthetic import store
from synthetic.validate import IntegrityError, check_tables


def digest(folder):
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*.parquet"))
    } | {"manifest.json": hashlib.sha256((folder / "manifest.json").read_bytes()).hexdigest()}


def test_identical_bytes_for_repeat_runs_and_any_worker_count(tmp_path):
    n = 2 * store.BLOCK_SIZE + 1_500  # three blocks
    a = store.generate(tmp_path / "a", "case", 11, n, workers=1, progress=False)
    b = store.generate(tmp_path / "b", "case", 11, n, workers=2, progress=False)
    da, db = digest(a), digest(b)
    assert len(list((a / "orders").glob("*.parquet"))) == 3
    assert da == db
    c = store.generate(tmp_path / "c", "case", 12, n, workers=2, progress=False)
    assert digest(c)["orders/part-00000.parquet"] != da["orders/part-00000.parquet"]


def test_every_table_passes_schema_and_integrity(case_world):
    tables = {t: case_world.table(t) for t in case_world.tables}
    check_tables(tables)  # raises on any problem
    assert len(tables["customers"]) == 30_000
    bom = case_world.sql("select category, count(*) n, count(component_id) matched from order_components group by 1")
    assert (bom.n == bom.matched).all() and len(bom) == 6


def test_integrity_checks_can_fail(case_world):
    orders = case_world.table("orders").head(100).copy()
    customers = case_world.table("customers")
    orders.loc[0, "customer_id"] = 10**12
    with pytest.raises(IntegrityError, match="orders.customer_id"):
        check_tables({"orders": orders, "customers": customers})
    bad = case_world.table("support_tickets").head(10).copy()
    bad.loc[0, "csat"] = 9
    with pytest.raises(IntegrityError, match="support_tickets"):
        check_tables({"support_tickets": bad})


def test_load_caches_under_a_key_of_all_inputs(world_dir, case_world):
    again = synthetic.load("case", seed=7, n_customers=30_000, data_dir=world_dir)
    assert again.path == case_world.path
    other = store.world_folder(world_dir, synthetic.build_scenario("case", {"spend.top20_share": 0.7}), 7, 30_000)
    assert other != case_world.path


def test_killed_run_leaves_the_earlier_world_intact(tmp_path, monkeypatch):
    out = store.generate(tmp_path / "w", "case", 3, 800, progress=False)
    before = digest(out)

    def boom(*a, **k):
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(store, "make_supply", boom)
    with pytest.raises(KeyboardInterrupt):
        store.generate(tmp_path / "w", "case", 4, 800, progress=False)
    assert digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w"]


def test_locale_zh_cn(tmp_path):
    w = synthetic.World(store.generate(tmp_path / "zh", "case", 1, 300, locale="zh_CN", progress=False))
    names = w.table("customers", ["name"]).name
    assert names.str.contains(r"[\u4e00-\u9fff]").mean() > 0.9


def test_duckdb_views_match_parquet(case_world):
    n = case_world.sql("select count(*) n from orders").n.iloc[0]
    assert n == len(case_world.table("orders", ["order_id"])) == case_world.manifest["rows"]["orders"]
    assert isinstance(case_world.table("orders").order_date.iloc[0], pd.Timestamp)
