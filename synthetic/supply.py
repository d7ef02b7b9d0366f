"""Supply-chain tables from a day-by-day simulation of two supply chains facing the same customers (D1-D8, D14).

Both chains face the *same* daily customer demand (PCs shipped, from the world's orders), so the
comparison isolates the operating model. Nothing here fills a stock to a planted number of days:
stock, lateness, time to market and order swings are what the policies below produce.

* **Build-to-order firm (D1, D2, D7).** Each PC takes one component of each category. The plant
  pulls components every ``supply.firm_review_days`` from supplier-managed hubs (VMI) next to it,
  up to an order-up-to level of ``forecast x (transit + review + safety cover)``; a pull arrives
  after ``supply.hub_transit_days``. The firm owns what it has pulled until the PC is built. Each
  supplier replenishes its own hub every ``supply.supplier_review_days`` up to
  ``forecast x (lead + review) + z x sd x sqrt(lead + review)``; its deliveries take a stochastic
  lead time around ``supply.supplier_lead_days`` and arrive late with the supplier's latent chance.
  A build queue with noisy daily capacity quotes every day's orders a ship date from the backlog
  (D14); shortages of any component stop the line.
* **Build-to-stock competitor (D4).** Builds finished PCs every ``supply.competitor_batch_days`` to a
  trailing-mean forecast, up to ``forecast x (production lead + batch + safety cover)``; sells from
  channel stock first-in first-out, back-ordering what it lacks.
* **Targets calibrated in expectation.** The case gives outcomes (firm ~4 days of supply,
  competitor ~80). As :mod:`synthetic.calibrate` does for the top-20 % revenue share, the two
  *safety covers* are solved by bisection so that the policy reaches ``supply.inventory_days`` /
  ``supply.competitor_inventory_days`` in expectation on a fixed reference demand (stationary,
  gamma-distributed, seeded from the scenario alone). On the world's own demand (growth, lumpy key
  accounts, CPU launches) the realised days differ: the chapter measures them.
* **CPU launches (D4).** At each launch the old generation already owned is sold first; the
  ``shipments_daily`` table records shipped PCs by CPU generation for each chain.

The simulation loops over *days* (about 3,300) and is vectorised over categories and suppliers:
never over orders.
"""

from __future__ import annotations

import hashlib

import numpy as np
from scipy.signal import lfilter

from .errors import ParameterError
from .orders import CPU_TIERS, PRODUCT_LINES, cpu_launch_days
from .scenario import Scenario
from .schema import CATS

SUPPLY = 4  # spawn-key table id
HUBS = np.array(["Austin TX", "Nashville TN", "Xiamen", "Limerick", "Penang"])
BASE_COST = np.array([180.0, 220.0, 90.0, 80.0, 150.0, 25.0])  # per category, at a generation's launch
FORECAST_WINDOW = 28  # days in the trailing-mean demand forecast of the firm and the hubs
PAYMENT_RUN = 7  # suppliers are paid on a weekly payment run, on the first run after terms expire
REF_DAYS, REF_MEAN, REF_CV = 1500, 400.0, 0.35  # reference demand for the calibration


def unit_cost(sc: Scenario, cat: int, days: np.ndarray) -> np.ndarray:
    """Market unit cost of category ``cat`` on each day: erodes weekly, resets on each CPU generation's launch day."""
    launches = cpu_launch_days(sc)
    days = np.asarray(days, dtype=float)
    age = days - launches[np.clip(np.searchsorted(launches, np.floor(days), side="right") - 1, 0, None)]
    return BASE_COST[cat] * (1 - sc.supply.price_erosion_weekly) ** (np.maximum(age, 0) / 7.0)


def make_suppliers(rng: np.random.Generator, sc: Scenario, names: np.ndarray) -> dict:
    """The supplier base: ``supply.n_suppliers`` split over categories, each with latent performance (D8)."""
    n = sc.supply.n_suppliers
    cat = np.arange(n) % len(CATS)
    lead = np.maximum(1, np.round(sc.supply.supplier_lead_days * rng.uniform(0.6, 1.4, n)))
    share = np.zeros(n)
    for c in range(len(CATS)):  # loop over six categories
        ids = np.flatnonzero(cat == c)
        share[ids] = rng.dirichlet(np.full(ids.size, 4.0))
    return {
        "supplier_id": np.arange(1, n + 1, dtype=np.int64),
        "name": names[np.arange(n) % len(names)],
        "category": np.asarray(CATS)[cat],
        "hub": HUBS[rng.integers(0, len(HUBS), n)],
        "contract_lead_days": lead.astype(float),
        "_cat": cat,
        "_share": share,
        "_lead": lead.astype(np.int64),
        "_on_time": rng.uniform(0.80, 0.99, n),
        "_ppm": rng.uniform(200, 3000, n),
        "_cost_index": rng.uniform(0.96, 1.04, n),
        "_terms": np.rint(sc.supply.dpo_days * rng.uniform(0.8, 1.2, n)).astype(np.int64),
        "_offset": rng.integers(0, 1000, n),
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


def trailing_mean(x: np.ndarray, w: int) -> np.ndarray:
    """Mean of ``x`` over the ``w`` days *before* each day (what a planner knows that morning); day 0 uses day 0."""
    c = np.concatenate([[0.0], np.cumsum(x, dtype=float)])
    t = np.arange(x.size)
    lo = np.maximum(t - w, 0)
    hi = np.maximum(t, 1)
    return (c[hi] - c[lo]) / (hi - lo)


def simulate(
    rng: np.random.Generator,
    sc: Scenario,
    demand: np.ndarray,
    sup: dict,
    firm_safety: float,
    comp_safety: float,
    detail: bool = True,
) -> dict:
    """Run both chains over the days of ``demand`` (PCs wanted per day); returns daily series and order logs.

    ``firm_safety`` / ``comp_safety`` are the safety covers (days of forecast demand) in the two
    order-up-to levels. With ``detail=False`` only the days-of-supply series are kept (calibration).
    """
    p = sc.supply
    a = np.asarray(demand, dtype=float)
    n = a.size
    n_cat, n_sup = len(CATS), sup["supplier_id"].size
    cat, share, lead, on_time = sup["_cat"], sup["_share"], sup["_lead"], sup["_on_time"]
    R_f, L_h, R_s = int(p.firm_review_days), int(p.hub_transit_days), int(p.supplier_review_days)
    B, L_c = int(p.competitor_batch_days), int(p.competitor_production_days)
    pad = n + 400
    f = np.maximum(trailing_mean(a, FORECAST_WINDOW), 1.0)  # at least one PC a day: quotes stay finite
    f_c = np.maximum(trailing_mean(a, B), 1.0)
    # capacity shocks last a few days (AR(1), phi 0.7): breakdowns, absence, ramp-ups
    shock = lfilter([np.sqrt(1 - 0.49)], [1, -0.7], rng.standard_normal(n))
    cap_noise = np.exp(p.capacity_sd * shock - p.capacity_sd**2 / 2)
    plan_cap = p.capacity_factor * f
    cap = plan_cap * cap_noise
    late_extra = 1 + rng.geometric(0.35, (n, n_sup))
    is_late = rng.random((n, n_sup)) > on_time[None, :]
    z = 1.6448536269514722
    # state
    plant = np.full(n_cat, f[0] * (firm_safety + 1))
    transit = np.zeros((n_cat, pad))
    hub = share * f[0] * (lead + R_s)
    hub_bo = np.zeros(n_sup)
    hub_arr = np.zeros((n_sup, pad))
    hub_on_order = np.zeros(n_sup)
    fh = share * f[0]
    vh = (0.5 * fh) ** 2
    backlog = 0.0
    ch = f_c[0] * (comp_safety + B / 2)
    ch_arr = np.zeros(pad)
    ch_bo = 0.0
    out = {
        k: np.zeros((n_cat, n))
        for k in ("firm_own", "firm_pull", "firm_recv", "hub_stock", "hub_order", "hub_recv", "hub_short")
    }
    prod = np.zeros(n)
    comp_own = np.zeros(n)
    comp_order = np.zeros(n)
    comp_recv = np.zeros(n)
    comp_sales = np.zeros(n)
    comp_short = np.zeros(n)
    firm_short = np.zeros(n)
    queue_before = np.zeros(n)
    po_rows = []
    t_sup = sup["_offset"]
    for t in range(n):  # loop over days; vectorised over categories and suppliers
        hub += hub_arr[:, t]
        hub_on_order -= hub_arr[:, t]
        plant += transit[:, t]
        # build: what is ordered and waiting, within capacity and the scarcest component
        queue_before[t] = backlog
        pending = backlog + a[t]
        made = min(pending, cap[t], plant.min())
        plant -= made
        backlog = pending - made
        prod[t] = made
        firm_short[t] = max(0.0, min(pending, cap[t]) - made)
        # plant pulls from the hubs (VMI): order-up-to on owned stock + what is in transit or owed
        pulls = np.zeros(n_cat)
        if t % R_f == 0:
            owed = np.bincount(cat, weights=hub_bo, minlength=n_cat)
            pos = plant + transit[:, t + 1 : t + L_h + 1].sum(axis=1) + owed
            pulls = np.maximum(0.0, f[t] * (L_h + R_f + firm_safety) - pos)
            hub_bo += pulls[cat] * share
        ship = np.minimum(hub, hub_bo)
        hub -= ship
        hub_bo -= ship
        transit[:, t + L_h] += np.bincount(cat, weights=ship, minlength=n_cat)
        # suppliers replenish their hubs: order-up-to with safety stock against lead-time demand
        req = pulls[cat] * share
        fh += (req - fh) / FORECAST_WINDOW
        vh += ((req - fh) ** 2 - vh) / FORECAST_WINDOW
        rev = (t + t_sup) % R_s == 0
        cover = lead + R_s
        target = fh * cover + z * np.sqrt(vh * cover)
        order = np.where(rev, np.maximum(0.0, target - (hub - hub_bo + hub_on_order)), 0.0)
        arrive = t + lead + np.where(is_late[t], late_extra[t], 0)
        hub_arr[np.arange(n_sup), np.minimum(arrive, pad - 1)] += order
        hub_on_order += order
        # competitor: batches to a trailing-mean forecast, sells first-in first-out
        ch += ch_arr[t]
        want = ch_bo + a[t]
        sold = min(want, ch)
        ch -= sold
        ch_bo = want - sold
        comp_sales[t] = sold
        comp_short[t] = max(0.0, a[t] - sold)
        if t % B == 0:
            in_pipe = ch_arr[t + 1 : t + L_c + 1].sum()
            q = max(0.0, f_c[t] * (L_c + B + comp_safety) - (ch + in_pipe - ch_bo))
            ch_arr[t + L_c] += q
            comp_order[t] = q
        comp_recv[t] = ch_arr[t]
        comp_own[t] = ch + ch_arr[t + 1 : t + L_c + 1].sum()
        out["firm_own"][:, t] = plant + transit[:, t + 1 : t + L_h + 1].sum(axis=1)
        if detail:
            out["firm_pull"][:, t] = pulls
            out["firm_recv"][:, t] = transit[:, t]
            out["hub_stock"][:, t] = np.bincount(cat, weights=hub, minlength=n_cat)
            out["hub_order"][:, t] = np.bincount(cat, weights=order, minlength=n_cat)
            out["hub_recv"][:, t] = np.bincount(cat, weights=hub_arr[:, t], minlength=n_cat)
            out["hub_short"][:, t] = np.bincount(cat, weights=hub_bo, minlength=n_cat)
            k = np.flatnonzero(order >= 0.5)
            if k.size:
                po_rows.append((np.full(k.size, t), k, order[k], arrive[k]))
    out.update(
        prod=prod,
        firm_short=firm_short,
        comp_own=comp_own,
        comp_order=comp_order,
        comp_recv=comp_recv,
        comp_sales=comp_sales,
        comp_short=comp_short,
        queue_before=queue_before,
        plan_cap=plan_cap,
        po_rows=po_rows,
    )
    return out


def _reference_demand(sc: Scenario) -> np.ndarray:
    """A stationary reference demand (gamma, fixed mean and CV) seeded from the scenario alone."""
    h = int.from_bytes(hashlib.sha256(sc.model_dump_json().encode()).digest()[:8], "little")
    rng = np.random.default_rng(h)
    k = 1 / REF_CV**2
    return rng.gamma(k, REF_MEAN / k, REF_DAYS)


def calibrate_safety(sc: Scenario, sup: dict) -> tuple[float, float]:
    """Safety covers (days) that make the two policies reach the target days of supply in expectation.

    Regula falsi on the reference demand (common random numbers): mean owned stock / mean demand,
    after a 90-day warm-up, equals ``supply.inventory_days`` (firm) and
    ``supply.competitor_inventory_days`` (competitor). Raises ParameterError for unreachable targets.
    """
    ref = _reference_demand(sc)
    lo = np.array([-3.0, -60.0])
    hi = np.array([365.0, 400.0])
    targets = np.array([sc.supply.inventory_days, sc.supply.competitor_inventory_days])

    def days(x):
        r = simulate(np.random.default_rng(0), sc, ref, sup, x[0], x[1], detail=False)
        m = ref[90:].mean()
        return np.array([r["firm_own"][0, 90:].mean() / m, r["comp_own"][90:].mean() / m])

    d_lo, d_hi = days(lo), days(hi)
    for i, name in enumerate(("supply.inventory_days", "supply.competitor_inventory_days")):
        if not d_lo[i] <= targets[i] <= d_hi[i]:
            raise ParameterError(
                name,
                f"must lie between {d_lo[i]:.1f} and {d_hi[i]:.1f} days, what the policy can reach (got {targets[i]})",
            )
    # days of supply is close to linear in the cover: regula falsi on the bracket converges in a few runs
    f_lo, f_hi = d_lo - targets, d_hi - targets
    x = lo.copy()
    for _ in range(12):
        x = lo - f_lo * (hi - lo) / (f_hi - f_lo)
        fx = days(x) - targets
        if np.all(np.abs(fx) < 0.002 * np.maximum(targets, 1)):
            break
        below = fx < 0
        lo, f_lo = np.where(below, x, lo), np.where(below, fx, f_lo)
        hi, f_hi = np.where(below, hi, x), np.where(below, f_hi, fx)
    return float(x[0]), float(x[1])


def _fifo_generations(sc: Scenario, own_before: np.ndarray, sold: np.ndarray, pipeline: str) -> dict:
    """Shipped PCs per day and CPU generation: the stock owned at a launch (old chips) is sold first."""
    n = sold.size
    launches = cpu_launch_days(sc)
    gen_now = np.clip(np.searchsorted(launches, np.arange(n), side="right") - 1, 0, None)
    old = np.zeros(n)
    for k, d in enumerate(launches):  # loop over launches (about a dozen)
        if k == 0 or d >= n:
            continue
        nxt = launches[k + 1] if k + 1 < len(launches) else n
        seg = sold[d : min(nxt, n)]
        cum_before = np.concatenate([[0.0], np.cumsum(seg)[:-1]])
        old[d : d + seg.size] = np.clip(own_before[d - 1] - cum_before, 0, seg)
    new = sold - old
    day = np.arange(n)
    dd = np.concatenate([day, day])
    gg = np.concatenate([np.maximum(gen_now - 1, 0), gen_now])
    uu = np.rint(np.concatenate([old, new])).astype(np.int64)
    keep = uu > 0
    o = np.lexsort((gg[keep], dd[keep]))
    return {
        "date_day": dd[keep][o],
        "pipeline": np.full(int(keep.sum()), pipeline),
        "cpu_generation": gg[keep][o].astype(np.int16),
        "units": uu[keep][o],
    }


def prepare_supply(rng: np.random.Generator, sc: Scenario, supplier_names: np.ndarray) -> dict:
    """What the supply chain needs before any demand: the supplier base (drawn from ``rng``), the
    component catalogue and the two safety covers (calibrated on the reference demand).

    :func:`make_supply` continues with the same ``rng``, so this can run while the customer blocks
    still run (the generator does) and the tables are the same as in one call.
    """
    sup = make_suppliers(rng, sc, supplier_names)
    return {"suppliers": sup, "components": make_components(sc, sup), "safety": calibrate_safety(sc, sup)}


def make_supply(
    rng: np.random.Generator,
    sc: Scenario,
    demand: np.ndarray,
    supplier_names: np.ndarray,
    prepared: dict | None = None,
) -> dict[str, dict]:
    """All supply-chain tables from the world's daily customer demand (PCs per ship day).

    ``prepared``: what :func:`prepare_supply` returned for this ``rng`` (which it advanced); without
    it the preparation runs here first.
    """
    n_cat, n_days = demand.shape
    prepared = prepared if prepared is not None else prepare_supply(rng, sc, supplier_names)
    sup, comps = prepared["suppliers"], prepared["components"]
    firm_safety, comp_safety = prepared["safety"]
    a = demand[0].astype(float)
    r = simulate(rng, sc, a, sup, firm_safety, comp_safety)
    days = np.arange(n_days)
    price = np.stack([unit_cost(sc, c, days) for c in range(n_cat)])
    cost_level = np.bincount(sup["_cat"], weights=sup["_share"] * sup["_cost_index"], minlength=n_cat)
    inv = []
    series = {
        "build_to_order": (r["firm_own"], r["prod"], r["firm_recv"], r["firm_pull"], r["firm_short"]),
        "vmi_hub": (r["hub_stock"], r["firm_pull"], r["hub_recv"], r["hub_order"], r["hub_short"]),
        "build_to_stock": (r["comp_own"], r["comp_sales"], r["comp_recv"], r["comp_order"], r["comp_short"]),
    }
    for pipeline, (own, used, recv, ordered, short) in series.items():
        for c in range(n_cat):  # six categories

            def row(x, c=c):
                """Category ``c`` of a category x day array; a chain-level series as is."""
                return x[c] if np.ndim(x) == 2 else x

            units = np.rint(row(own)).astype(np.int64)
            inv.append(
                {
                    "date_day": days,
                    "pipeline": np.full(n_days, pipeline),
                    "category": np.full(n_days, CATS[c]),
                    "demand_units": demand[c].astype(np.int64),
                    "consumed_units": np.rint(row(used)).astype(np.int64),
                    "ordered_units": np.rint(row(ordered)).astype(np.int64),
                    "receipts_units": np.rint(row(recv)).astype(np.int64),
                    "on_hand_units": units,
                    "shortage_units": np.rint(row(short)).astype(np.int64),
                    "market_unit_cost": np.round(price[c] * cost_level[c], 4),
                    "on_hand_value": np.round(units * price[c] * cost_level[c], 2),
                }
            )
    inventory = {k: np.concatenate([x[k] for x in inv]) for k in inv[0]}
    po = _purchase_orders(rng, sc, sup, r, price)
    own_cpu = r["firm_own"][1]
    shipments = [
        _fifo_generations(sc, own_cpu, r["prod"], "build_to_order"),
        _fifo_generations(sc, r["comp_own"], r["comp_sales"], "build_to_stock"),
    ]
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
        "shipments_daily": {k: np.concatenate([s[k] for s in shipments]) for k in shipments[0]},
        "build_queue_daily": _build_queue(sc, a, r),
        "_suppliers_private": sup,
        "_calibration": {"firm_safety_days": firm_safety, "competitor_safety_days": comp_safety},
    }


def _build_queue(sc: Scenario, a: np.ndarray, r: dict) -> dict:
    """Each day's orders (a cohort) with the ship date quoted from the backlog and the day its last PC shipped (D14)."""
    n = a.size
    ahead = r["queue_before"] + a
    # quoted: the day the backlog ahead of (and including) the cohort should clear at planned capacity, plus a buffer
    quoted = np.rint(ahead / r["plan_cap"]).astype(np.int64) - 1 + int(sc.supply.quote_buffer_days)
    cum_in = np.cumsum(a)
    cum_out = np.cumsum(r["prod"])
    done = np.searchsorted(cum_out, cum_in - 1e-6, side="left")
    done = np.where(done >= n, -(10**9), done)  # not finished by the end: null
    return {
        "date_day": np.arange(n),
        "ordered_units": np.rint(a).astype(np.int64),
        "planned_capacity_units": np.round(r["plan_cap"], 1),
        "built_units": np.rint(r["prod"]).astype(np.int64),
        "backlog_units": np.rint(ahead - r["prod"]).astype(np.int64),
        "promised_day": np.arange(n) + quoted,
        "completed_day": done.astype(np.int64),
    }


def _purchase_orders(rng, sc: Scenario, sup: dict, r: dict, price: np.ndarray) -> dict:
    """Supplier replenishments of the VMI hubs (firm) and the competitor's batch component orders."""
    t = np.concatenate([x[0] for x in r["po_rows"]])
    s = np.concatenate([x[1] for x in r["po_rows"]])
    u = np.rint(np.concatenate([x[2] for x in r["po_rows"]])).astype(np.int64)
    arr = np.concatenate([x[3] for x in r["po_rows"]])
    # the competitor buys one batch of every category from the category's main supplier
    bd = np.flatnonzero(r["comp_order"] >= 0.5)
    main = np.array([np.flatnonzero(sup["_cat"] == c)[0] for c in range(len(CATS))])
    bt = np.repeat(bd, len(CATS))
    bs = np.tile(main, bd.size)
    bu = np.rint(np.repeat(r["comp_order"][bd], len(CATS))).astype(np.int64)
    b_arr = bt + sup["_lead"][bs] + (rng.random(bt.size) > sup["_on_time"][bs]) * (1 + rng.geometric(0.35, bt.size))
    day = np.concatenate([t, bt])
    si = np.concatenate([s, bs])
    units = np.concatenate([u, bu])
    delivery = np.concatenate([arr, b_arr])
    keep = units > 0
    day, si, units, delivery = day[keep], si[keep], units[keep], delivery[keep]
    pipe = np.concatenate([np.full(t.size, "build_to_order"), np.full(bt.size, "build_to_stock")])[keep]
    c = sup["_cat"][si]
    n_days = price.shape[1]
    cost = price[c, np.clip(day, 0, n_days - 1)] * sup["_cost_index"][si] * np.exp(0.01 * rng.standard_normal(day.size))
    terms_end = delivery + sup["_terms"][si]
    pay = terms_end + (-terms_end) % PAYMENT_RUN  # first weekly payment run on or after the terms
    o = np.lexsort((si, day))
    out = {
        "pipeline": pipe,
        "supplier_id": sup["supplier_id"][si],
        "category": np.asarray(CATS)[c],
        "order_day": day,
        "promised_delivery_day": day + sup["_lead"][si],
        "delivery_day": delivery,
        "units": units,
        "unit_cost": np.round(cost, 2),
        "defective_units": rng.binomial(units, sup["_ppm"][si] / 1e6),
        "invoice_day": delivery,
        "payment_day": pay,
    }
    out = {k: v[o] for k, v in out.items()}
    out["po_id"] = np.arange(1, units.size + 1, dtype=np.int64)
    return out
