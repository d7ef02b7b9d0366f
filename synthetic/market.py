"""World-level tables: ACSI-style satisfaction surveys and the US PC market panel (C2, C3, C5).

Surveys: every quarter, ``satisfaction.respondents_per_quarter`` interviews per
brand. A firm respondent whose last support contact was handled by the vendor
scores lower through the experience of that contact (``q``); the slope is set
so that the firm's index (the mean score) moves by
``outsourcing.satisfaction_effect`` points in expectation. Scores are bounded
0-100; each respondent's latent mean is adjusted so that the *bounded* score
still has the intended expectation (no clipping bias).

Market panel: buyers choose a brand; the firm's chance is
``market.share_before`` before the switch and ``market.share_after`` after it.
Share is planted independently of satisfaction: that is the case's paradox.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from scipy.special import ndtr

from .errors import ParameterError
from .scenario import BRANDS, SEGMENTS, Scenario
from .schema import TABLES
from .support import draw_contacts, expected_q_gap, expected_q_inhouse, in_crisis
from .timeline import day_index, quarter_starts

SURVEYS, MARKET = 2, 3  # spawn-key table ids


def _quarters(sc: Scenario) -> tuple[np.ndarray, np.ndarray, list[str]]:
    qs = quarter_starts(sc.world.start, sc.world.end)
    starts = np.array([max(day_index(q, sc.world.start), 0) for q in qs])
    ends = np.array(
        [min(day_index(q, sc.world.start), 10**9) for q in qs[1:]] + [day_index(sc.world.end, sc.world.start) + 1]
    )
    labels = [f"{q.year}Q{(q.month - 1) // 3 + 1}" for q in qs]
    return starts, ends, labels


def firm_baseline(sc: Scenario, days: np.ndarray) -> np.ndarray:
    """The firm's index absent the switch on each day (flat, or the yearly path interpolated)."""
    by_year = sc.satisfaction.firm_by_year
    if not by_year:
        return np.full(days.shape, sc.satisfaction.firm_baseline)
    years = np.array(sorted(by_year))
    mids = np.array([day_index(dt.date(int(y), 7, 1), sc.world.start) for y in years])
    return np.interp(days, mids, np.array([by_year[y] for y in years], float))


def _clipped_mean(mu: np.ndarray, sd: float) -> np.ndarray:
    """E[min(max(X, 0), 100)] for X ~ N(mu, sd)."""
    from scipy.stats import norm

    a, b = (0 - mu) / sd, (100 - mu) / sd
    return mu * (ndtr(b) - ndtr(a)) + sd * (norm.pdf(a) - norm.pdf(b)) + 100 * (1 - ndtr(b))


def latent_mean_for(target: np.ndarray, sd: float) -> np.ndarray:
    """Latent mean whose 0-100 bounded score has expectation ``target`` (vectorised bisection)."""
    lo = np.full(target.shape, -60.0)
    hi = np.full(target.shape, 160.0)
    for _ in range(45):
        mid = 0.5 * (lo + hi)
        below = _clipped_mean(mid, sd) < target
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    return 0.5 * (lo + hi)


def satisfaction_slope(sc: Scenario) -> float:
    """Index points per unit of experience badness, solved so the switch moves the firm's index by the planted effect."""
    o, s = sc.outsourcing, sc.satisfaction
    w_out = sum(sc.segments.mix[x] for x in o.segments)
    reach = expected_q_gap(sc) * s.contact_share * o.vendor_share * w_out
    if o.satisfaction_effect == 0:
        return 0.0
    if reach <= 1e-9:
        raise ParameterError(
            "outsourcing.satisfaction_effect",
            "must be 0 when vendor support is no different from in-house (wait_multiplier 1, fcr_drop 0, extra_transfers 0) or reaches no customer",
        )
    return -o.satisfaction_effect / reach


def make_surveys(rng: np.random.Generator, sc: Scenario) -> dict:
    """Survey responses for every brand and quarter."""
    s = sc.satisfaction
    starts, ends, labels = _quarters(sc)
    nq, n = len(starts), s.respondents_per_quarter
    qi = np.repeat(np.arange(nq), n * len(BRANDS))
    brand = np.tile(np.repeat(np.arange(len(BRANDS)), n), nq)
    m = qi.size
    day = starts[qi] + np.floor(rng.random(m) * (ends[qi] - starts[qi])).astype(np.int64)
    mix = np.array([sc.segments.mix[x] for x in SEGMENTS])
    seg = np.searchsorted(np.cumsum(mix), rng.random(m) * mix.sum(), side="right").clip(0, 3).astype(np.int8)
    contact = rng.random(m) < s.contact_share
    firm = brand == 0
    ops = draw_contacts(rng, sc, seg, day)
    kappa = satisfaction_slope(sc)
    target = np.where(firm, firm_baseline(sc, day), 0.0)
    comp = np.array([0.0] + [s.competitor_baseline.get(b, 74.0) for b in BRANDS[1:]])
    target = np.where(firm, target, comp[brand])
    # experience term: zero-mean for in-house contacts, -effect/reach per unit for vendor contacts
    exp_term = np.where(firm & contact, -kappa * (ops["q"] - expected_q_inhouse(sc)), 0.0)
    crisis = np.where(firm & in_crisis(sc, day), sc.crisis.satisfaction_drop, 0.0)
    target = np.clip(target + exp_term + crisis, 0.5, 99.5)
    score = np.clip(latent_mean_for(target, s.response_sd) + s.response_sd * rng.standard_normal(m), 0, 100)
    handler = np.where(firm & contact, np.where(ops["vendor"], 1, 0), -1)
    return {
        "response_id": np.arange(1, m + 1, dtype=np.int64),
        "brand": np.asarray(BRANDS)[brand],
        "quarter": np.asarray(labels)[qi],
        "interview_day": day,
        "segment": np.asarray(SEGMENTS)[seg],
        "had_support_contact": contact,
        "contact_handler": np.where(handler < 0, None, np.where(handler == 1, "vendor", "in_house")),
        "contact_wait_minutes": np.where(firm & contact, ops["wait_minutes"], np.nan),
        "contact_resolved_first": np.where(firm & contact, ops["fcr"], None),
        "score": np.round(score, 1),
    }


def make_market_panel(rng: np.random.Generator, sc: Scenario) -> dict:
    """Buyers' brand choices by quarter."""
    mk = sc.market
    starts, ends, labels = _quarters(sc)
    nq, n = len(starts), mk.buyers_per_quarter
    qi = np.repeat(np.arange(nq), n)
    m = qi.size
    day = starts[qi] + np.floor(rng.random(m) * (ends[qi] - starts[qi])).astype(np.int64)
    switch = day_index(sc.outsourcing.start, sc.world.start)
    p_firm = np.where(day < switch, mk.share_before, mk.share_after)
    comp = np.array([mk.competitor_split[b] for b in BRANDS[1:]])
    u = rng.random(m)
    is_firm = u < p_firm
    v = (u - p_firm) / (1 - p_firm)  # uniform on the rest of the market
    other = 1 + np.searchsorted(np.cumsum(comp), v * comp.sum(), side="right").clip(0, len(comp) - 1)
    brand = np.where(is_firm, 0, other)
    seg = np.searchsorted([0.55, 0.92], rng.random(m)).astype(np.int8)
    units = np.where(seg == 0, 1, 1 + rng.geometric(0.3, m) - 1).astype(np.int32)
    return {
        "buyer_id": np.arange(1, m + 1, dtype=np.int64),
        "purchase_day": day,
        "quarter": np.asarray(labels)[qi],
        "buyer_segment": np.array(["home", "business", "public"])[seg],
        "brand": np.asarray(BRANDS)[brand],
        "units": units,
    }


assert "surveys" in TABLES and "market_panel" in TABLES
