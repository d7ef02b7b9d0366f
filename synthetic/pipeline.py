"""The CRM sales pipeline: key accounts announce purchases ahead of time (claim D15).

Each key-account order is announced as an opportunity with chance
``supply.forecast_signal_share``, 14-60 days before it is placed, with a noisy
expected size; a further tenth of opportunities never close. These are the CRM
signals the supply-chain chapter feeds into its component forecast.
"""

from __future__ import annotations

import numpy as np

from .scenario import Scenario


def announce(rng: np.random.Generator, sc: Scenario, orders: dict, key_of_order: np.ndarray) -> dict:
    """Opportunities (won and lost) for a block's key-account orders."""
    sel = np.flatnonzero(key_of_order & (rng.random(key_of_order.size) < sc.supply.forecast_signal_share))
    won = {
        "opportunity_id": orders["order_id"][sel],
        "customer_id": orders["customer_id"][sel],
        "created_day": orders["day"][sel] - rng.integers(14, 61, sel.size),
        "expected_day": orders["day"][sel] + np.rint(rng.normal(0, 5, sel.size)).astype(np.int64),
        "expected_units": np.maximum(
            1, np.rint(orders["units"][sel] * np.exp(0.2 * rng.standard_normal(sel.size)))
        ).astype(np.int32),
        "product_line": orders["product_line"][sel],
        "status": np.full(sel.size, "won", dtype=object),
        "order_id": orders["order_id"][sel].astype(float),
    }
    lost = np.flatnonzero(rng.random(sel.size) < 0.11)
    src = sel[lost]
    lost_rec = {
        "opportunity_id": -orders["order_id"][src],  # negative ids: never became an order
        "customer_id": orders["customer_id"][src],
        "created_day": orders["day"][src] - rng.integers(30, 91, src.size),
        "expected_day": orders["day"][src] + rng.integers(-20, 21, src.size),
        "expected_units": np.maximum(
            1, np.rint(orders["units"][src] * np.exp(0.3 * rng.standard_normal(src.size)))
        ).astype(np.int32),
        "product_line": orders["product_line"][src],
        "status": np.full(src.size, "lost", dtype=object),
        "order_id": np.full(src.size, np.nan),
    }
    return {c: np.concatenate([won[c], lost_rec[c]]) for c in won}
