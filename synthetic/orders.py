"""The purchase process and configured-PC orders (claims B1-B7, A3-A7, D9-D14).

Repurchase follows an MBG/NBD-style process (Batislam, Denizel & Filiztekin 2007):
an active customer buys at Poisson rate ``lam``; after *every* purchase, the first
included, it becomes inactive with chance ``dropout``, raised when that purchase's
support ticket went badly (satisfaction -> dropout). Plain BG/NBD would not let a
customer quit right after the first purchase; chapter 02 lets the data choose.
The process runs in *rounds* (one purchase per active customer per round),
each round vectorised over the block's customers: no loop over rows.
"""

from __future__ import annotations

import numpy as np

from .calibrate import BASE_ONLINE, Calibration
from .scenario import Scenario
from .support import draw_contacts
from .timeline import DAYS_PER_YEAR, day_index

MAX_ORDERS = 999  # per customer; order_id = customer_id * 1000 + sequence
PRODUCT_LINES = np.array(["Dimension", "Inspiron", "OptiPlex", "Latitude", "Precision", "PowerEdge"])
LINE_PRICE = np.array([900.0, 1250.0, 1000.0, 1500.0, 2200.0, 3500.0])
LINE_MIX = np.array(
    [  # by segment
        [0.55, 0.45, 0.00, 0.00, 0.00, 0.00],
        [0.25, 0.25, 0.22, 0.20, 0.03, 0.05],
        [0.00, 0.00, 0.35, 0.35, 0.15, 0.15],
        [0.00, 0.00, 0.42, 0.33, 0.10, 0.15],
    ]
)
CHANNELS = np.array(["web", "premier", "phone", "sales_rep"])
CPU_TIERS = np.array(["budget", "mainstream", "performance"])


def _pick_cum(rng, cum: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """One categorical draw per element of ``rows``, from row ``rows[i]`` of the cumulative probabilities ``cum``.

    The draw is the count of thresholds below ``u x total`` (u uniform): the same value as
    ``(u[:, None] * cum[rows][:, -1:] > cum[rows]).sum(axis=1)``, counted one column at a time so
    that no (n, k) matrix is built. The last column (the total) is never below ``u x total``.
    """
    x = rng.random(len(rows)) * cum[:, -1][rows]
    out = np.zeros(len(rows), np.intp)
    for j in range(cum.shape[1] - 1):
        out += x > cum[:, j][rows]
    return out


TICKET_UNITS = np.arange(21, dtype=np.int32) ** 0.35  # units ** 0.35 for 0 ... 20 units (more count as 20)
LINE_CUM = np.cumsum(LINE_MIX, axis=1)  # per segment, for _pick_cum
TIER_CUM = np.cumsum([[0.20, 0.50, 0.30], [0.55, 0.35, 0.10]], axis=1)  # not / price-sensitive


def cpu_launch_days(sc: Scenario) -> np.ndarray:
    """Day offsets of CPU generation launches (generation 0 launched before the world starts)."""
    step = sc.supply.cpu_generation_months * 30.4375
    n = int(((sc.world.end - sc.world.start).days) // step) + 1
    return np.floor(np.arange(n) * step).astype(np.int64)


def generation_lookup(launches: np.ndarray):
    """A function: day offsets -> the CPU generation on sale (the last launched on or before the day, at least 0).

    The same as ``max(np.searchsorted(launches, days, side="right") - 1, 0)``: launch days are whole
    days, so a launch is on or before ``d`` exactly when it is on or before ``floor(d)``, and one
    table over the whole days between the first and the last launch answers every day.
    """
    lo, hi = int(launches[0]) - 1, int(launches[-1])
    table = np.maximum(np.searchsorted(launches, np.arange(lo, hi + 1), side="right") - 1, 0)

    def generation_on(days: np.ndarray) -> np.ndarray:
        return table[np.clip(np.floor(days), lo, hi).astype(np.intp) - lo]

    return generation_on


def run_purchases(
    rng: np.random.Generator, sc: Scenario, cal: Calibration, ids: np.ndarray, lat: dict
) -> tuple[dict, dict, np.ndarray, np.ndarray]:
    """Simulate every purchase of a block; returns (orders, tickets, dropout_day, customer position of each order).

    Orders come sorted by (customer, day) and tickets by ``ticket_id``; tickets opened after the
    world's end are dropped. Rounds produce orders round-major, but in every round a customer buys
    at most once, its rounds are 0, 1, ... with days that never decrease, and ``order_id`` is
    ``customer_id * 1000 + round``. So the sorted position of customer ``i``'s round-``k`` order is
    (orders of the customers before ``i``) + ``k``, and each round's rows are scattered straight
    there: a counting sort, in the order a stable sort by (customer, day) and by ticket id gives.
    """
    end = day_index(sc.world.end, sc.world.start)
    n = len(ids)
    lat = dict(lat, seg=lat["seg"].astype(np.intp))  # segment codes index arrays: intp indexes fastest
    gap = DAYS_PER_YEAR / lat["lam"]  # mean days between purchases
    t = np.where(lat["initial"], rng.exponential(gap), lat["acq_day"].astype(float))
    alive = np.ones(n, bool)
    drop_day = np.full(n, -1, np.int64)
    n_orders = np.zeros(n, np.int64)
    main_line = _pick_cum(rng, LINE_CUM, lat["seg"])
    generation_on = generation_lookup(cpu_launch_days(sc))
    # price erosion by order day (0 ... end; earlier days as day 0): the same 0.93 ** years as per order, once a day
    erosion = 0.93 ** np.maximum(np.arange(end + 1) / DAYS_PER_YEAR, 0)
    rounds, o_parts, t_parts = [], [], []
    mult = sc.purchase.bad_support_dropout_multiplier
    for k in range(MAX_ORDERS):
        idx = np.flatnonzero(alive & (t <= end))
        if idx.size == 0:
            break
        day = np.floor(t[idx]).astype(np.int64)
        orders = _configure(rng, sc, cal, ids, lat, idx, day, k, main_line, generation_on, erosion)
        tickets = _tickets(rng, sc, orders, lat["seg"][idx])
        rounds.append(idx)
        o_parts.append(orders)
        t_parts.append(tickets)
        n_orders[idx] += 1
        bad = np.zeros(idx.size, bool)
        if tickets["csat"].size:
            bad[tickets["_row"][tickets["csat"] <= 2]] = True
        p_drop = np.minimum(lat["dropout"][idx] * np.where(bad, mult, 1.0), 1.0)
        gone = rng.random(idx.size) < p_drop
        alive[idx[gone]] = False
        drop_day[idx[gone]] = day[gone]
        t[idx] += rng.exponential(gap[idx])
    if not o_parts:
        return {}, {}, drop_day, np.zeros(0, np.intp)
    # sorted position of each round's orders: the customer's first order's position + the round
    first = np.cumsum(n_orders) - n_orders
    o_dest = [first[idx] + k for k, idx in enumerate(rounds)]
    n_total = int(n_orders.sum())
    # tickets: the same within orders (an order's tickets j = 0, 1, ... follow each other); late ones dropped
    n_tickets = np.zeros(n_total, np.int64)
    kept = np.zeros(sum(p["_row"].size for p in t_parts), bool)
    for d, p in zip(o_dest, t_parts):
        n_tickets[d] = p["_n"]
    t_first = np.cumsum(n_tickets) - n_tickets
    t_dest = [t_first[d[p["_row"]]] + p["_j"] for d, p in zip(o_dest, t_parts)]
    for d, p in zip(t_dest, t_parts):
        kept[d] = p["opened_day"] <= end
    rank = np.cumsum(kept) - 1
    n_kept = int(kept.sum())
    # a dropped ticket goes to a spare last slot, cut off below
    t_dest = [np.where(kept[d], rank[d], n_kept) for d in t_dest]
    orders = _scatter(o_parts, o_dest, n_total)
    tickets = _scatter(t_parts, t_dest, n_kept + 1, skip=("_row", "_j", "_n"))
    tickets = {c: v[:n_kept] for c, v in tickets.items()}
    return orders, tickets, drop_day, np.repeat(np.arange(n), n_orders)


def _scatter(parts: list[dict], dest: list[np.ndarray], size: int, skip: tuple = ()) -> dict:
    """Columns of length ``size`` with ``parts[r][c]`` written at rows ``dest[r]`` (the rounds' rows, placed)."""
    rows = np.concatenate(dest)
    out = {}
    for c in parts[0]:
        if c in skip:
            continue
        a = np.empty(size, np.result_type(*[p[c] for p in parts]))
        a[rows] = np.concatenate([p[c] for p in parts])
        out[c] = a
    return out


def _configure(rng, sc: Scenario, cal: Calibration, ids, lat, idx, day, k, main_line, generation_on, erosion) -> dict:
    """Configure one order per purchasing customer (standard items + chosen options, D13)."""
    m = idx.size
    seg, ps, rel = lat["seg"][idx], lat["ps"][idx], lat["rel"][idx]
    year = day / DAYS_PER_YEAR
    # product line: transactional customers stick to one line, relationship customers range wider
    stick = rng.random(m) < np.where(rel, 0.35, 0.75)
    line = np.where(stick, main_line[idx], _pick_cum(rng, LINE_CUM, seg))
    cpu = _pick_cum(rng, TIER_CUM, ps.astype(np.intp))
    avail = day - sc.supply.inventory_days - rng.integers(0, 2, m)  # old stock sells through first (D4)
    gen = generation_on(avail)
    mem_step = np.floor(np.maximum(year, 0) / 2).astype(int)
    doublings = mem_step + cpu // 2  # >= 0: 256 << d == 256 * 2**d
    memory = (256 << doublings).astype(np.int32)
    storage = (20 << doublings).astype(np.int32)
    warranty = np.where(rng.random(m) < np.where(rel | (seg >= 2), 0.7, 0.3), 3, 1).astype(np.int8)
    # discounts: price-sensitive customers take promotions; business accounts have contract prices (A7)
    promo = rng.random(m) < np.where(ps, 0.6, 0.15)
    # revenue: the customer's spend level times order noise (concentration, A8)
    revenue = sc.spend.base_order_value * lat["spend"][idx] * np.exp(0.25 * rng.standard_normal(m) - 0.03125)
    ref_price = (
        LINE_PRICE[line] * np.array([0.85, 1.0, 1.3])[cpu] * (1 + 0.08 * (warranty == 3)) * erosion[np.maximum(day, 0)]
    )
    units = np.maximum(1, np.rint(revenue / ref_price)).astype(np.int32)
    tenure = (day - lat["acq_day"][idx]) / DAYS_PER_YEAR
    contract = contract_discount(sc, lat["contract"][idx], tenure, units)
    discount = np.where(promo, rng.uniform(0.05, 0.15, m), 0.0) + contract
    discount = np.round(np.minimum(discount, 0.5), 4)
    unit_price = np.round(revenue / (units * (1 - discount)), 2)
    revenue = np.round(units * unit_price * (1 - discount), 2)
    # cost at list value: every point of discount comes out of the margin (A7 cost to serve)
    cost = np.round(units * unit_price * (1 - sc.spend.margin) * np.exp(0.06 * rng.standard_normal(m) - 0.0018), 2)
    # channel (D9, D10): online share of revenue solved in calibration
    online = rng.random(m) < np.minimum(0.98, cal.online_scale * BASE_ONLINE[seg])
    premier = online & lat["premier"][idx] & (rng.random(m) < sc.channels.premier_use)
    rep = ~online & ((seg >= 2) | (rel & (rng.random(m) < 0.5)))
    channel = np.where(online, np.where(premier, 1, 0), np.where(rep, 3, 2)).astype(np.int8)
    # promise and delivery (D14)
    lead = np.rint(sc.supply.build_days + 2 * (units > 50)).astype(np.int64)
    on_time = rng.random(m) < sc.supply.on_time_rate
    ship = day + np.where(on_time, rng.integers(1, lead + 1), lead + 1 + rng.geometric(0.4, m) - 1)
    business = seg >= 1
    pay = np.where(business, ship + np.rint(rng.gamma(4.0, sc.supply.dso_days_business / 4.0, m)), day).astype(np.int64)
    return {
        "order_id": ids[idx] * 1000 + k,
        "customer_id": ids[idx],
        "day": day,
        "channel": channel,
        "product_line": line.astype(np.int8),
        "cpu_tier": cpu.astype(np.int8),
        "cpu_generation": gen.astype(np.int16),
        "memory_mb": memory,
        "storage_gb": storage,
        "warranty_years": warranty,
        "units": units,
        "unit_list_price": unit_price,
        "discount_pct": discount,
        "promo_code_used": promo,
        "revenue": revenue,
        "cost": cost,
        "promised_day": day + lead,
        "ship_day": ship,
        "payment_day": pay,
    }


def contract_discount(sc: Scenario, level: np.ndarray, tenure: np.ndarray, units: np.ndarray) -> np.ndarray:
    """Contract discount of each order (A7): the account's level plus tenure and volume terms, capped at 0.45.

    ``level`` is ln(discount) of the account (NaN = no contract, list price); tenure in years since
    acquisition; units of the order.
    """
    s = sc.spend
    ln_d = level + s.contract_discount_tenure * np.maximum(tenure, 0) + s.contract_discount_volume * np.log(units)
    nan = np.isnan(ln_d)  # ln_d is never infinite: where(nan, -50, x) is nan_to_num(x, nan=-50)
    return np.where(nan, 0.0, np.minimum(np.exp(np.where(nan, -50.0, ln_d)), 0.45))


def _tickets(rng, sc: Scenario, orders: dict, seg: np.ndarray) -> dict:
    """Support tickets of a round's orders (0-3 per order), with their operational record."""
    n_t = np.minimum(rng.poisson(sc.support.ticket_rate * TICKET_UNITS[np.minimum(orders["units"], 20)]), 3)
    row = np.repeat(np.arange(n_t.size), n_t)
    j = np.arange(row.size) - np.repeat(np.cumsum(n_t) - n_t, n_t)
    opened = orders["ship_day"][row] + np.floor(rng.exponential(25.0, row.size)).astype(np.int64)
    ops = draw_contacts(rng, sc, seg[row], opened)
    u = rng.random(row.size)
    contact = ((u > 0.7).astype(np.int8) + (u > 0.9)).astype(np.int8)  # np.searchsorted([0.7, 0.9], u)
    out = {
        "ticket_id": orders["order_id"][row] * 4 + j,
        "order_id": orders["order_id"][row],
        "customer_id": orders["customer_id"][row],
        "opened_day": opened,
        "contact_channel": contact,
        "_row": row,
        "_j": j,
        "_n": n_t,
    }
    out.update(ops)
    return out
