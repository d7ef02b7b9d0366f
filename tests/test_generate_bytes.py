"""The generator's output stays the same when its code is sped up, and its in-memory checks catch bad tables.

``tests/fixtures/world-case-n21500-s11.json`` holds a content digest of every table of a
two-block world (seed 11, 21,500 customers) made by generator version 6 before the speed
work of issue 19. Any change to the world's contents must bump ``GENERATOR_VERSION`` and
regenerate this fixture (``python tests/test_generate_bytes.py OUT.json``).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from synthetic import store
from synthetic.validate import IntegrityError, check_tables

FIXTURE = Path(__file__).parent / "fixtures" / "world-case-n21500-s11.json"


def content_digest(folder: Path) -> dict[str, str]:
    """SHA-256 per table over column names, types, lengths and pandas hashes of the values."""
    out = {}
    for d in sorted(p for p in Path(folder).iterdir() if p.is_dir()):
        tab = pq.read_table(d)
        h = hashlib.sha256()
        for name in tab.column_names:
            col = tab.column(name)
            h.update(f"{name}:{col.type}:{len(col)}".encode())
            h.update(pd.util.hash_pandas_object(col.to_pandas(), index=False).values.tobytes())
        out[d.name] = h.hexdigest()
    return out


def test_world_contents_unchanged_since_version_6(tmp_path):
    assert store.GENERATOR_VERSION == "6", "a new generator version needs a new fixture"
    w = store.generate(tmp_path / "w", "case", 11, 21_500, workers=2, progress=False)
    assert content_digest(w) == json.loads(FIXTURE.read_text())


@pytest.fixture(scope="module")
def block_tables(tmp_path_factory):
    w = store.generate(tmp_path_factory.mktemp("v") / "w", "case", 5, 3_000, progress=False)
    return {t: pq.read_table(w / t) for t in ("customers", "orders", "support_tickets", "suppliers", "components")}


def test_generated_tables_pass_as_arrow_and_as_pandas(block_tables):
    check_tables(block_tables)
    check_tables({k: v.to_pandas() for k, v in block_tables.items()})


def _replace(tab: pa.Table, col: str, values) -> pa.Table:
    i = tab.column_names.index(col)
    return tab.set_column(i, col, pa.array(values, type=tab.schema.field(col).type))


@pytest.mark.parametrize(
    "table, col, change, words",
    [
        ("support_tickets", "csat", lambda v: [9] + v[1:], "above"),
        ("customers", "employees", lambda v: [0] + v[1:], "below"),
        ("customers", "segment", lambda v: ["martian"] + v[1:], "martian"),
        ("customers", "name", lambda v: [None] + v[1:], "null"),
        ("orders", "order_id", lambda v: [v[1]] + v[1:], "duplicate"),
    ],
)
def test_checks_catch_each_kind_of_fault(block_tables, table, col, change, words):
    bad = _replace(block_tables[table], col, change(block_tables[table].column(col).to_pylist()))
    with pytest.raises(IntegrityError, match=f"{table}.*{words}"):
        check_tables({table: bad})


def test_checks_catch_missing_keys_and_extra_columns(block_tables):
    orders = _replace(
        block_tables["orders"], "customer_id", [10**12] + block_tables["orders"]["customer_id"].to_pylist()[1:]
    )
    with pytest.raises(IntegrityError, match="orders.customer_id: 1 value"):
        check_tables({"orders": orders, "customers": block_tables["customers"]})
    extra = block_tables["suppliers"].append_column("x", pa.array([1] * block_tables["suppliers"].num_rows))
    with pytest.raises(IntegrityError, match="extra \\['x'\\]"):
        check_tables({"suppliers": extra})


if __name__ == "__main__":  # regenerate the fixture after a deliberate GENERATOR_VERSION bump
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        w = store.generate(Path(d) / "w", "case", 11, 21_500, workers=2, progress=False)
        Path(sys.argv[1] if len(sys.argv) > 1 else FIXTURE).write_text(
            json.dumps(content_digest(w), indent=1, sort_keys=True) + "\n"
        )
