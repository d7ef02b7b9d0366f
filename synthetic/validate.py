"""Schema and referential-integrity checks on generated tables (Arrow compute kernels).

Every table is checked against ``synthetic.schema``: exactly the schema's columns,
no nulls (or NaN) where a column is not nullable, allowed values, ranges; keys are
unique; foreign keys point at existing rows.

Why not pandera (which this module used before): pandera validates pandas frames, so
every generated block had to be converted to pandas first, and that conversion plus
pandera's per-check overhead cost more CPU than drawing the block (1.6 of 5.3 CPU
seconds at 200,000 customers). The checks are few and simple (one ``min_max``, ``unique``,
``null_count`` or ``is_in`` kernel per constraint), so they run here directly on the
Arrow tables that are about to be written. The rules are the same as the pandera schema
had (strict columns, ``nullable``, ``isin``, ``ge``, ``le``; nulls are not checked
against values or ranges); pandas frames are accepted too and converted to Arrow.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .schema import TABLES

KEYS = {
    "customers": "customer_id",
    "truth": "customer_id",
    "orders": "order_id",
    "support_tickets": "ticket_id",
    "complaints": "complaint_id",
    "sales_pipeline": "opportunity_id",
    "surveys": "response_id",
    "market_panel": "buyer_id",
    "suppliers": "supplier_id",
    "components": "component_id",
    "cpu_launches": "cpu_generation",
    "purchase_orders": "po_id",
}
FOREIGN = [
    ("orders", "customer_id", "customers", "customer_id"),
    ("truth", "customer_id", "customers", "customer_id"),
    ("support_tickets", "order_id", "orders", "order_id"),
    ("support_tickets", "customer_id", "customers", "customer_id"),
    ("complaints", "ticket_id", "support_tickets", "ticket_id"),
    ("sales_pipeline", "customer_id", "customers", "customer_id"),
    ("sales_pipeline", "order_id", "orders", "order_id"),
    ("purchase_orders", "supplier_id", "suppliers", "supplier_id"),
    ("components", "supplier_id", "suppliers", "supplier_id"),
    ("supplier_truth", "supplier_id", "suppliers", "supplier_id"),
]


class IntegrityError(AssertionError):
    """A generated table broke its schema or a key."""


def as_arrow(table) -> pa.Table:
    """An Arrow table as is; a pandas DataFrame converted (index dropped)."""
    if isinstance(table, pa.Table):
        return table
    return pa.Table.from_pandas(table, preserve_index=False)


def check_columns(name: str, tab: pa.Table) -> None:
    """Check one table against its schema: strict column set, nulls, allowed values, ranges."""
    cols = TABLES[name][1]
    want, got = [c.name for c in cols], tab.column_names
    if sorted(want) != sorted(got):
        missing, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
        raise IntegrityError(f"{name}: columns differ from the schema (missing {missing}, extra {extra})")
    for c in cols:
        v = tab.column(c.name)
        bad_nan = pa.types.is_floating(v.type) and pc.any(pc.is_nan(v)).as_py()
        if not c.nullable and (v.null_count or bad_nan):
            raise IntegrityError(f"{name}.{c.name}: {v.null_count} null value(s) in a column that allows none")
        if c.isin is not None:
            seen = {x for x in pc.unique(v).to_pylist() if x is not None}
            wrong = seen - set(c.isin)
            if wrong:
                raise IntegrityError(f"{name}.{c.name}: value(s) {sorted(map(str, wrong))[:5]} not in {list(c.isin)}")
        if c.ge is not None or c.le is not None:
            lo, hi = _min_max(v, bad_nan)
            if lo is not None and c.ge is not None and lo < c.ge:
                raise IntegrityError(f"{name}.{c.name}: minimum {lo} is below {c.ge}")
            if hi is not None and c.le is not None and hi > c.le:
                raise IntegrityError(f"{name}.{c.name}: maximum {hi} is above {c.le}")


def _min_max(col, has_nan: bool) -> tuple:
    """Smallest and largest non-null value (``None`` if there is none).

    A float column without nulls or NaN is read as a numpy array (Arrow's ``min_max`` is about
    thirty times slower on doubles); anything else goes to ``pc.min_max``.
    """
    if pa.types.is_floating(col.type) and not col.null_count and not has_nan and len(col):
        a = col.to_numpy()
        return a.min().item(), a.max().item()
    mm = pc.min_max(col).as_py()
    return mm["min"], mm["max"]


def _increasing(col) -> np.ndarray | None:
    """The column as a numpy array if it is integer, has no nulls and strictly increases; else ``None``.

    Generated keys are written in increasing order, so uniqueness and lookups need no hash table.
    """
    if not pa.types.is_integer(col.type) or col.null_count:
        return None
    a = col.to_numpy()
    return a if a.size < 2 or bool((a[1:] > a[:-1]).all()) else None


def _unique(col) -> bool:
    """No value occurs twice (nulls count as one value)."""
    if _increasing(col) is not None:
        return True
    return pc.count_distinct(col, mode="all").as_py() == len(col)


def _n_missing(child, parent) -> int:
    """How many non-null values of ``child`` are not in ``parent``."""
    vals = child.drop_null()
    if not len(vals):
        return 0
    keys = _increasing(parent)
    if keys is not None and pa.types.is_integer(vals.type):
        v = vals.to_numpy()
        if keys.size and int(keys[-1]) - int(keys[0]) == keys.size - 1:  # increasing without gaps: a range
            return int(np.count_nonzero((v < keys[0]) | (v > keys[-1])))
        pos = np.minimum(np.searchsorted(keys, v), max(keys.size - 1, 0))
        return int(v.size - np.count_nonzero(keys[pos] == v)) if keys.size else int(v.size)
    return len(vals) - pc.sum(pc.is_in(vals, value_set=parent.combine_chunks())).as_py()


def check_tables(tables: Mapping) -> None:
    """Validate the given tables (any subset; Arrow tables or pandas DataFrames).

    Raises :class:`IntegrityError` naming the table and column of the first problem.
    """
    arrow = {name: as_arrow(t) for name, t in tables.items()}
    for name, tab in arrow.items():
        check_columns(name, tab)
        key = KEYS.get(name)
        if key and not _unique(tab.column(key)):
            raise IntegrityError(f"{name}.{key}: duplicate keys")
    for child, col, parent, pcol in FOREIGN:
        if child in arrow and parent in arrow:
            missing = _n_missing(arrow[child].column(col), arrow[parent].column(pcol))
            if missing:
                raise IntegrityError(f"{child}.{col}: {int(missing)} value(s) not in {parent}.{pcol}")
