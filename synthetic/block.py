"""One seeded block of customers -> Parquet parts of every per-customer table.

Blocks are the unit of work: block ``b`` holds customers ``b * BLOCK_SIZE + 1 ...``
and draws from ``SeedSequence(seed, spawn_key=(CUSTOMER_BLOCKS, b))``, so the bytes
written do not depend on how many worker processes run, and a later distributed
runner can spread blocks over machines.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .calibrate import Calibration
from .complaints import escalate
from .customers import REGIONS, make_customers
from .marketing import PROGRAMMES, apply_marketing, cost_records
from .orders import CHANNELS, CPU_TIERS, PRODUCT_LINES, run_purchases
from .pipeline import announce
from .scenario import Scenario
from .schema import CATS, TABLES, arrow_schema
from .timeline import DAYS_PER_YEAR, day_index, to_date32

BLOCK_SIZE = 20_000
CUSTOMER_BLOCKS = 1  # spawn-key table id for per-customer blocks
MARKETING_BLOCKS = 12  # spawn-key table id for the marketing draws of each block
QUADRANTS = np.array(["business_like", "relationship_only", "price_only", "price_relationship"])
PER_CUSTOMER_TABLES = (
    "customers",
    "truth",
    "orders",
    "support_tickets",
    "complaints",
    "sales_pipeline",
    "marketing_costs",
    "wallet_survey",
)


@dataclass
class Coded:
    """Integer codes plus their labels (numpy or Arrow strings): written as strings without a Python loop (``null``: rows left empty)."""

    codes: np.ndarray
    labels: np.ndarray | pa.Array
    null: np.ndarray | None = None


def to_arrow(table: str, cols: dict, start) -> pa.Table:
    """Column arrays -> Arrow table with the schema of ``table``.

    Date columns ``x_date`` are taken from integer day offsets ``x_day``.
    """
    arrays = []
    for c in TABLES[table][1]:
        if c.type == pa.date32():
            v = cols.get(c.name)
            if v is None:
                base = c.name[: -len("_date")] if c.name.endswith("_date") else c.name
                v = cols[base + "_day"]
            mask = v < -(10**8) if v.dtype.kind == "i" else None
            mask = mask if mask is not None and mask.any() else None
            arr = pa.array(
                to_date32(np.where(mask, 0, v) if mask is not None else v, start), type=pa.int32(), mask=mask
            ).cast(pa.date32())
        else:
            v = cols[c.name]
            if isinstance(v, Coded):
                labels = v.labels if isinstance(v.labels, pa.Array) else pa.array(list(v.labels), pa.string())
                arr = pa.DictionaryArray.from_arrays(pa.array(v.codes.astype(np.int32), mask=v.null), labels).cast(
                    pa.string()
                )
            elif c.nullable and v.dtype.kind == "f" and c.type != pa.float64():
                arr = pa.array(v, from_pandas=True).cast(c.type)
            elif not c.nullable and v.dtype == np.float64 and c.type == pa.float64():
                arr = pa.array(v)  # as is (no scan for NaN-as-null: a NaN stays NaN and fails validation)
            else:
                arr = pa.array(v, type=c.type, from_pandas=True)
        arrays.append(arr)
    return pa.Table.from_arrays(arrays, schema=arrow_schema(table))


def write_part(root: Path, table: str, block: int, tab: pa.Table) -> None:
    """Write one block's part of ``table`` as ``root/table/part-BBBBB.parquet``."""
    d = root / table
    d.mkdir(parents=True, exist_ok=True)
    pq.write_table(tab, d / f"part-{block:05d}.parquet", compression="zstd", write_statistics=True)


def block_seed(seed: int, table_id: int, block: int) -> np.random.Generator:
    """Generator for (table, block), independent of worker count."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(table_id, block)))


def generate_block(args: tuple) -> dict:
    """Generate and write block ``b``; return small aggregates for the world-level tables.

    ``args`` = (root, sc_json, cal_dict, seed, block, n_in_block, pools[, validate]). With ``validate``
    (the default) every table is checked against its schema in memory before it is written, so
    the world never has to be read back for validation.
    """
    import time

    clock = time.perf_counter
    tm: dict[str, float] = {}
    t0 = clock()
    root, sc_json, cal_dict, seed, b, n_b, pools = args[:7]
    validate = args[7] if len(args) > 7 else True
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sc = Scenario.model_validate_json(sc_json)
    cal = Calibration(**cal_dict)
    rng = block_seed(seed, CUSTOMER_BLOCKS, b)
    ids = np.arange(b * BLOCK_SIZE + 1, b * BLOCK_SIZE + n_b + 1, dtype=np.int64)
    cust, lat = make_customers(rng, sc, cal, ids, pools)
    # campaigns move acquisitions; the programme's payoff lowers drop-out (own stream: the customer draws stay as they were)
    campaign_spend = apply_marketing(block_seed(seed, MARKETING_BLOCKS, b), sc, seed, ids, cust, lat)
    lat["ids"] = ids
    tm["customers"] = clock() - t0
    t0 = clock()
    # orders sorted by (customer, day), tickets by id, late tickets dropped; order_pos: customer of each order
    orders, tickets, drop_day, order_pos = run_purchases(rng, sc, cal, ids, lat)
    end = day_index(sc.world.end, sc.world.start)
    tm["orders+support_tickets"] = clock() - t0
    t0 = clock()
    complaints = escalate(rng, sc, tickets)
    complaints = {k: v[complaints["filed_day"] <= end] for k, v in complaints.items()}
    pipe = announce(rng, sc, orders, lat["key"][order_pos])
    pipe_rank = np.argsort(np.abs(pipe["opportunity_id"]) * 2 + (pipe["opportunity_id"] < 0), kind="stable")
    pipe = {k: v[pipe_rank] for k, v in pipe.items()}
    # CRM contacts logged while the customer was active in the window
    last = np.where(drop_day >= 0, drop_day, end)
    first = np.maximum(lat["acq_day"], 0)
    active_years = np.maximum(last - first, 0) / DAYS_PER_YEAR
    cust["crm_contacts_logged"] = rng.poisson(lat["contact_rate"] * active_years).astype(np.int32)
    cust["crm_contact_cost_usd"] = contact_costs(rng, sc, cust["crm_contacts_logged"], lat["key"])
    survey = wallet_survey(rng, sc, lat, drop_day)
    start = sc.world.start
    truth = {
        "customer_id": ids,
        "price_sensitive": lat["ps"],
        "relationship_minded": lat["rel"],
        "quadrant": Coded(lat["ps"].astype(np.int32) * 2 + lat["rel"].astype(np.int32), QUADRANTS),
        "tier": Coded(lat["tier"], np.array(["T", "R", "key"])),
        "initial_customer": lat["initial"],
        "purchase_rate_per_year": lat["lam"],
        "dropout_p": lat["dropout"],
        "spend_level": lat["spend"],
        "dropout_day": np.where(drop_day >= 0, drop_day, -(10**9)),
    }
    orders_out = dict(orders)
    orders_out.update(
        channel=Coded(orders["channel"], CHANNELS),
        product_line=Coded(orders["product_line"], PRODUCT_LINES),
        cpu_tier=Coded(orders["cpu_tier"], CPU_TIERS),
        order_day=orders["day"],
        promised_ship_day=orders["promised_day"],
    )
    tickets_out = dict(tickets)
    tickets_out.update(
        contact_channel=Coded(tickets["contact_channel"], np.array(["phone", "email", "chat"])),
        handler=Coded(tickets["vendor"].astype(np.int8), np.array(["in_house", "vendor"])),
        resolved_first_contact=tickets["fcr"],
    )
    pipe_out = dict(pipe)
    pipe_out.update(product_line=Coded(pipe["product_line"], PRODUCT_LINES), expected_close_day=pipe["expected_day"])
    cust["acquisition_day"] = lat["acq_day"]
    mkt = cost_records(sc, ids, lat, orders, campaign_spend, b, seed)
    mkt_out = dict(mkt, programme=Coded(mkt["programme"], PROGRAMMES), region=Coded(mkt["region"], REGIONS))
    parts = {
        "customers": cust,
        "truth": truth,
        "orders": orders_out,
        "support_tickets": tickets_out,
        "complaints": complaints,
        "sales_pipeline": pipe_out,
        "marketing_costs": mkt_out,
        "wallet_survey": survey,
    }
    root = Path(root)
    rows = {}
    tables = {}
    tm["complaints+pipeline"] = clock() - t0
    for name in PER_CUSTOMER_TABLES:
        t0 = clock()
        tab = to_arrow(name, parts[name], start)
        tables[name] = tab
        tm[f"arrow {name}"] = clock() - t0
    if validate:
        from .validate import check_tables

        t0 = clock()
        check_tables(tables)
        tm["validate (in memory)"] = clock() - t0
    for name, tab in tables.items():
        t0 = clock()
        write_part(root, name, b, tab)
        rows[name] = tab.num_rows
        tm[f"write {name}"] = clock() - t0
    return {"block": b, "rows": rows, "demand": component_demand(sc, orders, lat["seg"][order_pos]), "seconds": tm}


def contact_costs(rng: np.random.Generator, sc: Scenario, contacts: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Total cost of each customer's CRM contacts (A7): each contact's cost is gamma(4) around the mean,
    ``contacts.cost_per_contact`` (times ``contacts.key_cost_multiplier`` for key accounts)."""
    mean = sc.contacts.cost_per_contact * np.where(key, sc.contacts.key_cost_multiplier, 1.0)
    shape = 4.0 * contacts
    out = np.zeros(contacts.size)
    pos = shape > 0
    out[pos] = rng.gamma(shape[pos], mean[pos] / 4.0)
    return np.round(out, 2)


def wallet_survey(rng: np.random.Generator, sc: Scenario, lat: dict, drop_day: np.ndarray) -> dict:
    """Buyer survey of the survey year (A12): customers active at its start, sampled at the response rate,
    state their yearly PC budget across brands (``customers.category_budget``) with log-normal reporting error."""
    from .customers import category_budget

    w = sc.wallet
    y0 = day_index(dt.date(w.survey_year, 1, 1), sc.world.start)
    active = (lat["acq_day"] < y0) & ((drop_day < 0) | (drop_day >= y0))
    answer = active & (rng.random(active.size) < w.survey_response_rate)
    yearly = sc.spend.base_order_value * lat["spend"] * lat["lam"]  # expected yearly spend with the firm while active
    budget = category_budget(sc, lat["seg"], lat["rel"], yearly)
    sd = w.survey_report_sd
    stated = budget * np.exp(sd * rng.standard_normal(active.size) - 0.5 * sd * sd)
    return {
        "customer_id": lat["ids"][answer],
        "survey_year": np.full(int(answer.sum()), w.survey_year, np.int16),
        "pc_budget_usd": np.round(stated[answer], 2),
    }


def component_demand(sc: Scenario, orders: dict, seg: np.ndarray) -> np.ndarray:
    """Components consumed per (category, ship day): the bill of materials, summed (D2)."""
    n_days = day_index(sc.world.end, sc.world.start) + 1
    day = np.clip(orders["ship_day"], 0, n_days - 1)
    u = orders["units"].astype(np.float64)
    per_unit = {"chassis": 1, "cpu": 1, "memory": 1, "storage": 1, "display": 1, "standard_kit": 1}
    out = np.zeros((len(CATS), n_days), dtype=np.int64)
    by_multiple: dict[int, np.ndarray] = {}  # categories with the same units per PC share one sum
    for i, cat in enumerate(CATS):
        k = per_unit[cat]
        if k not in by_multiple:
            by_multiple[k] = np.rint(np.bincount(day, weights=u * k, minlength=n_days)).astype(np.int64)
        out[i] = by_multiple[k]
    return out
