"""Schema and referential-integrity checks on generated tables (pandera).

Every table is checked against ``synthetic.schema`` (types, nulls, allowed
values, ranges); keys are unique; foreign keys point at existing rows.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from .schema import TABLES


def pandera_schema(table: str) -> pa.DataFrameSchema:
    """pandera schema built from the column definitions of ``table``."""
    cols = {}
    for c in TABLES[table][1]:
        checks = []
        if c.isin is not None:
            checks.append(pa.Check.isin(list(c.isin)))
        if c.ge is not None:
            checks.append(pa.Check.ge(c.ge))
        if c.le is not None:
            checks.append(pa.Check.le(c.le))
        cols[c.name] = pa.Column(nullable=c.nullable, checks=checks, coerce=False)
    return pa.DataFrameSchema(cols, strict=True)


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


def check_tables(tables: dict[str, pd.DataFrame]) -> None:
    """Validate the given tables (any subset); raise :class:`IntegrityError` on the first problem."""
    for name, df in tables.items():
        try:
            pandera_schema(name).validate(df, lazy=False)
        except pa.errors.SchemaError as exc:
            raise IntegrityError(f"{name}: {exc}") from None
        key = KEYS.get(name)
        if key and df[key].duplicated().any():
            raise IntegrityError(f"{name}.{key}: duplicate keys")
    for child, col, parent, pcol in FOREIGN:
        if child in tables and parent in tables:
            vals = tables[child][col].dropna()
            missing = ~vals.isin(tables[parent][pcol])
            if missing.any():
                raise IntegrityError(f"{child}.{col}: {int(missing.sum())} value(s) not in {parent}.{pcol}")
