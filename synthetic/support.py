"""Support experience: who handles a contact, and how it goes (claims C1, C4, C5, C6, C7, C8).

One function draws the operational record of a support contact (wait, transfers,
first-contact resolution, CSAT) from who handles it and when. Tickets and the
survey respondents' last contacts use the same function, so the satisfaction
index and the ticket records tell one story. Vendor waits are multiplied during the
crisis (queue failures, C6) and after it (service investment, C7).

Experience *badness* ``q`` (higher = worse) is::

    q = 0.5 ln(wait / in-house median wait) + 0.8 (1 - first-contact resolution) + 0.3 transfers

It drives ticket CSAT, complaint escalation, dropout after a bad ticket, and the
survey score of respondents with a recent contact.
"""

from __future__ import annotations

import numpy as np

from .scenario import SEGMENTS, Scenario
from .timeline import day_index

WAIT_SIGMA = 0.6  # log-sd of wait minutes
Q_WAIT, Q_FCR, Q_TRANSFER = 0.5, 0.8, 0.3
SEG_INDEX = {s: i for i, s in enumerate(SEGMENTS)}


def vendor_handles(sc: Scenario, seg_codes: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Whether each contact (segment code, day offset) falls under the outsourcing regime."""
    o = sc.outsourcing
    start = day_index(o.start, sc.world.start)
    covered = segment_mask(o.segments)[seg_codes] & (days >= start)
    if o.return_segments:
        ret = day_index(o.return_date, sc.world.start)
        covered &= ~(segment_mask(o.return_segments)[seg_codes] & (days >= ret))
    return covered


def segment_mask(names) -> np.ndarray:
    """Boolean per segment code: whether that segment is one of ``names`` (a lookup table for codes)."""
    wanted = set(names)
    return np.array([s in wanted for s in SEGMENTS])


def in_crisis(sc: Scenario, days: np.ndarray) -> np.ndarray:
    """Whether each day offset lies in the crisis window."""
    c = sc.crisis
    return (days >= day_index(c.start, sc.world.start)) & (days < day_index(c.end, sc.world.start))


def after_recovery(sc: Scenario, days: np.ndarray) -> np.ndarray:
    """Whether each day offset lies after the crisis, when the service investment is in place (C7)."""
    return days >= day_index(sc.crisis.end, sc.world.start)


def vendor_wait_multiplier(sc: Scenario, days: np.ndarray) -> np.ndarray:
    """Multiplier on a vendor contact's median wait on each day: the contract's, times the crisis queues (C6), times the recovery (C7)."""
    c = sc.crisis
    return (
        sc.outsourcing.wait_multiplier
        * np.where(in_crisis(sc, days), c.wait_multiplier, 1.0)
        * np.where(after_recovery(sc, days), c.recovery_wait_multiplier, 1.0)
    )


def draw_contacts(
    rng: np.random.Generator, sc: Scenario, seg_codes: np.ndarray, days: np.ndarray
) -> dict[str, np.ndarray]:
    """Draw the operational record of support contacts.

    Returns arrays ``vendor`` (bool), ``wait_minutes``, ``transfers``, ``fcr`` (bool),
    ``q`` (experience badness), ``csat`` (1-5) and ``cost_usd``.
    """
    n = len(days)
    s, o = sc.support, sc.outsourcing
    vendor = vendor_handles(sc, seg_codes, days) & (rng.random(n) < o.vendor_share)
    mult = np.where(vendor, vendor_wait_multiplier(sc, days), 1.0)
    wait = s.inhouse_wait_minutes * mult * np.exp(WAIT_SIGMA * rng.standard_normal(n))
    transfers = rng.poisson(s.inhouse_transfers + np.where(vendor, o.extra_transfers, 0.0))
    fcr = rng.random(n) < np.clip(s.inhouse_fcr - np.where(vendor, o.fcr_drop, 0.0), 0, 1)
    q = Q_WAIT * np.log(wait / s.inhouse_wait_minutes) + Q_FCR * (~fcr) + Q_TRANSFER * transfers
    csat = np.clip(np.rint(4.4 - 1.0 * q + 0.7 * rng.standard_normal(n)), 1, 5).astype(np.int8)
    cost = np.where(vendor, o.cost_per_ticket, s.inhouse_cost_per_ticket) * (1 + 0.25 * transfers)
    return {
        "vendor": vendor,
        "wait_minutes": np.round(wait, 1),
        "transfers": transfers.astype(np.int16),
        "fcr": fcr,
        "q": q,
        "csat": csat,
        "cost_usd": np.round(cost, 2),
    }


def expected_q_gap(sc: Scenario) -> float:
    """Expected badness of a vendor contact minus an in-house one (outside the crisis)."""
    o = sc.outsourcing
    return (
        Q_WAIT * np.log(o.wait_multiplier)
        + Q_FCR * min(o.fcr_drop, sc.support.inhouse_fcr)
        + Q_TRANSFER * o.extra_transfers
    )


def expected_q_inhouse(sc: Scenario) -> float:
    """Expected badness of an in-house contact."""
    s = sc.support
    return Q_FCR * (1 - s.inhouse_fcr) + Q_TRANSFER * s.inhouse_transfers
