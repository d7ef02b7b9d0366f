"""BBB-style complaints escalated from support tickets (claim C4).

Escalation follows dissatisfaction: within each regime a ticket's chance is
proportional to ``exp(0.8 q)`` (q = experience badness). Vendor-handled tickets
escalate at a higher base so that, in expectation, the complaint rate per
ticket after the switch is ``1 + outsourcing.complaint_growth`` times the rate
before it.
"""

from __future__ import annotations

import numpy as np

from .errors import ParameterError
from .scenario import Scenario
from .timeline import day_index

CATEGORIES = np.array(["service", "repair", "billing", "delivery", "product"])


def escalate(rng: np.random.Generator, sc: Scenario, tickets: dict) -> dict:
    """Draw complaints from a block's tickets; returns column arrays of the complaints table."""
    n = tickets["ticket_id"].size
    start = day_index(sc.outsourcing.start, sc.world.start)
    post = tickets["opened_day"] >= start
    vendor = tickets["vendor"]
    growth = sc.outsourcing.complaint_growth
    s = vendor[post].mean() if post.any() else 0.0
    if growth != 0 and s == 0 and post.any():
        raise ParameterError(
            "outsourcing.complaint_growth", "must be 0 when no ticket goes to the vendor (outsourcing.vendor_share = 0)"
        )
    m_vendor = 1 + growth / s if s > 0 else 1.0
    if m_vendor < 0:
        raise ParameterError(
            "outsourcing.complaint_growth", f"must be >= -{s:.2f} (the vendor's share of tickets after the switch)"
        )
    w = np.exp(0.8 * tickets["q"])
    rate = np.full(n, sc.complaints.base_rate)
    for grp in (vendor, ~vendor & post, ~post):
        if grp.any():
            wg = w[grp]
            rate[grp] *= wg / wg.mean()
    rate[vendor] *= m_vendor
    hit = rng.random(n) < np.minimum(rate, 1.0)
    k = int(hit.sum())
    cat = np.where(tickets["fcr"][hit], rng.integers(1, 5, k), 0)
    return {
        "complaint_id": tickets["ticket_id"][hit],
        "ticket_id": tickets["ticket_id"][hit],
        "customer_id": tickets["customer_id"][hit],
        "filed_day": tickets["opened_day"][hit] + np.floor(rng.exponential(10.0, k)).astype(np.int64),
        "category": CATEGORIES[cat],
    }
