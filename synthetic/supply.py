"""Supply-chain tables: suppliers, components, CPU launches, purchase orders, daily inventory (D1-D8).

Both pipelines face the *same* customer demand (the firm's component demand
summed from its orders), so the comparison isolates the operating model:

* ``build_to_order``: vendor-managed hubs replenish daily to hold about
  ``supply.inventory_days`` of demand (pull, D1, D2, D7);
* ``build_to_stock``: a competitor builds ahead, replenishing in monthly batches
  around ``supply.competitor_inventory_days`` of cover (push).

Component prices erode by ``supply.price_erosion_weekly`` a week within each CPU
generation; stock is booked at purchase cost, so the longer it sits the more
value it loses (D4). The day-by-day stock recursion loops over *days* (about
3,300), vectorised over categories: never over order rows.
"""

from __future__ import annotations

import numpy as np

from .orders import CPU_TIERS, PRODUCT_LINES, cpu_launch_days
from .scenario import Scenario
from .schema import CATS

SUPPLY = 4  # spawn-key table id
HUBS = np.array(["Austin TX", "Nashville TN", "Xiamen", "Limerick", "Penang"])
BASE_COST = np.array([180.0, 220.0, 90.0, 80.0, 150.0, 25.0])  # per category, at a generation's launch
CYCLE = 30  # build-to-stock replenishment cycle (days)


def unit_cost(sc: Scenario, cat: int, days: np.ndarray) -> np.ndarray:
    """Market unit cost of category ``cat`` on each day: erodes weekly, resets on each CPU generation's launch day."""
    launches = cpu_launch_days(sc)
    days = np.asarray(days, dtype=float)
    age = days - launches[np.clip(np.searchsorted(launches, np.floor(days), side="right") - 1, 0, None)]
    return BASE_COST[cat] * (1 - sc.supply.price_erosion_weekly) ** (np.maximum(age, 0) / 7.0)


def make_suppliers(rng: np.random.Generator, sc: Scenario, names: np.ndarray) -> dict:
    """The supplier base: ``supply.n_suppliers`` split over categories."""
    n = sc.supply.n_suppliers
    cat = np.arange(n) % len(CATS)
    return {
        "supplier_id": np.arange(1, n + 1, dtype=np.int64),
        "name": names[np.arange(n) % len(names)],
        "category": np.asarray(CATS)[cat],
        "hub": HUBS[rng.integers(0, len(HUBS), n)],
        "contract_lead_days": np.round(sc.supply.supplier_lead_days * rng.uniform(0.7, 1.3, n), 1),
        "_cat": cat,
        "_on_time": rng.uniform(0.85, 0.99, n),
        "_ppm": rng.uniform(200, 3000, n),
        "_cost_index": rng.uniform(0.97, 1.03, n),
    }


def make_components(sc: Scenario, suppliers: dict) -> dict:
    """The component catalogue matched by the ``order_components`` view."""
    n_gen = len(cpu_launch_days(sc))
    main = {c: int(suppliers["supplier_id"][suppliers["_cat"] == i][0]) for i, c in enumerate(CATS)}
    rows = [("chassis", p, 0) for p in PRODUCT_LINES]
    rows += [("cpu", f"{t}-gen{g}", 1) for g in range(n_gen) for t in CPU_TIERS]
    rows += [("memory", f"{256 * 2**k}MB", 2) for k in range(10)]
    rows += [("storage", f"{20 * 2**k}GB", 3) for k in range(10)]
    rows += [("display", d, 4) for d in ("lcd-14", "lcd-17")]
    rows += [("standard_kit", k, 5) for k in ("home-kit", "business-kit", "public-kit")]
    return {
        "component_id": np.arange(1, len(rows) + 1, dtype=np.int64),
        "category": np.array([r[0] for r in rows]),
        "spec": np.array([r[1] for r in rows]),
        "supplier_id": np.array([main[r[0]] for r in rows], dtype=np.int64),
        "launch_cost_usd": BASE_COST[[r[2] for r in rows]],
    }


def make_cpu_launches(sc: Scenario) -> dict:
    """Launch day and clock of every CPU generation."""
    days = cpu_launch_days(sc)
    g = np.arange(len(days))
    return {
        "cpu_generation": g.astype(np.int16),
        "launch_day": days,
        "clock_mhz": np.rint(733 * 1.3**g).astype(np.int32),
    }


def _centred_mean(x: np.ndarray, w: int) -> np.ndarray:
    """Mean of each row over a window of ``w`` days centred on each day (shorter at the edges).

    The hubs plan stock from a demand forecast; a centred mean stands in for a good one
    (a trailing mean would lag growing demand and hold less than the planted cover).
    """
    n_days = x.shape[1]
    c = np.concatenate([np.zeros((x.shape[0], 1)), np.cumsum(x, axis=1)], axis=1)
    lo = np.clip(np.arange(n_days) - w // 2, 0, n_days)
    hi = np.clip(np.arange(n_days) + w - w // 2, 0, n_days)
    return (c[:, hi] - c[:, lo]) / (hi - lo)


def simulate_stock(
    rng: np.random.Generator, sc: Scenario, demand: np.ndarray, pipeline: str
) -> tuple[np.ndarray, np.ndarray]:
    """Daily receipts and end-of-day stock (units) for a pipeline facing ``demand`` (category x day)."""
    n_cat, n_days = demand.shape
    level = _centred_mean(demand.astype(float), 28)
    if pipeline == "build_to_order":
        # persistent (AR(1), about ten days' memory) noise on the hubs' cover: independent day-to-day
        # swings could not be undone (a hub never sends stock back) and would bias stock above target
        from scipy.signal import lfilter

        phi = 0.9
        z = lfilter([np.sqrt(1 - phi**2)], [1, -phi], rng.standard_normal((n_cat, n_days)), axis=1)
        cover = sc.supply.inventory_days * np.exp(0.15 * z - 0.01125)
    else:
        d = sc.supply.competitor_inventory_days
        phase = (np.arange(n_days) % CYCLE) / CYCLE
        amp = min(15.0, 0.5 * d)
        cover = (d + amp * (1 - 2 * phase - 1 / CYCLE))[None, :] * np.exp(
            0.05 * rng.standard_normal((n_cat, n_days)) - 0.00125
        )
    target = np.rint(level * cover)
    receipts = np.zeros((n_cat, n_days))
    stock = np.zeros((n_cat, n_days))
    prev = target[:, 0]
    for t in range(n_days):  # loop over days, vectorised over categories
        after_use = prev - demand[:, t]
        r = np.maximum(0, target[:, t] - after_use)
        if pipeline == "build_to_stock" and t % CYCLE != 0:
            r = np.maximum(0, -after_use)  # between batches only emergency top-ups
        receipts[:, t] = r
        prev = after_use + r
        stock[:, t] = prev
    return receipts.astype(np.int64), stock.astype(np.int64)


def make_supply(
    rng: np.random.Generator, sc: Scenario, demand: np.ndarray, supplier_names: np.ndarray
) -> dict[str, dict]:
    """All supply-chain tables from the firm's daily component demand."""
    n_cat, n_days = demand.shape
    sup = make_suppliers(rng, sc, supplier_names)
    comps = make_components(sc, sup)
    days = np.arange(n_days)
    inv, pos = [], []
    for p_i, pipeline in enumerate(("build_to_order", "build_to_stock")):
        receipts, stock = simulate_stock(rng, sc, demand, pipeline)
        d_cover = sc.supply.inventory_days if p_i == 0 else sc.supply.competitor_inventory_days
        for c in range(n_cat):
            po_c = _purchase_orders(rng, sc, sup, c, receipts[c], pipeline)
            pos.append(po_c)
            # stock is booked at what was paid: the market cost ~cover/2 ago (FIFO) times the
            # category's purchase-weighted supplier price level
            paid_index = float(
                po_c["unit_cost"].dot(po_c["units"])
                / max((unit_cost(sc, c, np.maximum(po_c["order_day"], 0)) * po_c["units"]).sum(), 1e-9)
            )
            cost_now = unit_cost(sc, c, days)
            book = np.maximum(unit_cost(sc, c, np.maximum(days - d_cover / 2.0, 0)), cost_now) * paid_index
            inv.append(
                {
                    "date_day": days,
                    "pipeline": np.full(n_days, pipeline),
                    "category": np.full(n_days, CATS[c]),
                    "consumed_units": demand[c],
                    "receipts_units": receipts[c],
                    "on_hand_units": stock[c],
                    "on_hand_value": np.round(stock[c] * book, 2),
                }
            )
    inventory = {k: np.concatenate([x[k] for x in inv]) for k in inv[0]}
    po = {k: np.concatenate([x[k] for x in pos]) for k in pos[0]}
    po["po_id"] = np.arange(1, po["units"].size + 1, dtype=np.int64)
    return {
        "suppliers": {k: v for k, v in sup.items() if not k.startswith("_")},
        "supplier_truth": {
            "supplier_id": sup["supplier_id"],
            "on_time_rate": sup["_on_time"],
            "defect_ppm": sup["_ppm"],
            "cost_index": sup["_cost_index"],
        },
        "components": comps,
        "cpu_launches": make_cpu_launches(sc),
        "inventory_daily": inventory,
        "purchase_orders": po,
        "_suppliers_private": sup,
    }


def _purchase_orders(rng, sc: Scenario, sup: dict, c: int, receipts: np.ndarray, pipeline: str) -> dict:
    """Purchase orders that deliver a category's receipts, split over its suppliers."""
    ids = np.flatnonzero(sup["_cat"] == c)
    share = rng.dirichlet(np.full(ids.size, 4.0))
    day = np.flatnonzero(receipts > 0)
    units = np.rint(receipts[day][:, None] * share[None, :]).astype(np.int64)
    dd, ss = np.nonzero(units > 0)
    u = units[dd, ss]
    delivery = day[dd]
    s_idx = ids[ss]
    lead = 1 + rng.poisson(max(sc.supply.supplier_lead_days - 1, 0), u.size)
    order = delivery - lead
    on_time = rng.random(u.size) < sup["_on_time"][s_idx]
    promised = np.where(on_time, delivery + rng.integers(0, 2, u.size), delivery - rng.integers(1, 4, u.size))
    cost = (
        unit_cost(sc, c, np.maximum(order, 0)) * sup["_cost_index"][s_idx] * np.exp(0.01 * rng.standard_normal(u.size))
    )
    defects = rng.binomial(u, sup["_ppm"][s_idx] / 1e6)
    pay = delivery + np.maximum(0, np.rint(rng.normal(sc.supply.dpo_days, 8, u.size))).astype(np.int64)
    return {
        "pipeline": np.full(u.size, pipeline),
        "supplier_id": sup["supplier_id"][s_idx],
        "category": np.full(u.size, CATS[c]),
        "order_day": order,
        "promised_delivery_day": promised,
        "delivery_day": delivery,
        "units": u,
        "unit_cost": np.round(cost, 2),
        "defective_units": defects,
        "invoice_day": delivery,
        "payment_day": pay,
    }
