"""World-level tables: ACSI-style satisfaction surveys and the US PC market panel (C2, C3, C5).

Surveys: every quarter, ``satisfaction.respondents_per_quarter`` interviews per
brand. A firm respondent whose last support contact was handled by the vendor
scores lower through the experience of that contact (``q``); the slope is set
so that the firm's index (the mean score) moves by
``outsourcing.satisfaction_effect`` points in expectation. Scores are bounded
0-100; each respondent's latent mean is adjusted so that the *bounded* score
still has the intended expectation (no clipping bias).

Every brand's index also moves with a quarterly path (:func:`brand_paths`): a shared
industry shock (AR(1), ``satisfaction.industry_shock_*``) times a brand loading
(the firm's is 1), a competitor's own linear trend, and each brand's own AR(1)
deviation (the firm's included). The paths are zero-mean, so the planted effects
stay the expected changes; they make comparisons with competitors fail-able
(competitors are not a constant plus noise) and the firm's series autocorrelated.

Market panel: buyers choose a brand; the firm's chance is
``market.share_before`` before the switch and ``market.share_after`` after it.
Share is planted independently of satisfaction: that is the case's paradox.
Competitors split the rest of the market by ``market.competitor_split``, tilted
each quarter by their own satisfaction path (``market.competitor_satisfaction_sensitivity``),
so competitor shares respond to the same shocks as their indices.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from scipy.special import ndtr

from .errors import ParameterError
from .scenario import BRANDS, SEGMENTS, Scenario
from .schema import TABLES
from .support import (
    Q_FCR,
    Q_TRANSFER,
    Q_WAIT,
    SEG_INDEX,
    draw_contacts,
    expected_q_gap,
    expected_q_inhouse,
    in_crisis,
    vendor_handles,
    vendor_wait_multiplier,
)
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


def _path_rng(rng: np.random.Generator) -> np.random.Generator:
    """The generator of the brand paths: derived from the world seed, so surveys and market panel share the paths."""
    ss = rng.bit_generator.seed_seq
    return np.random.default_rng(np.random.SeedSequence(ss.entropy, spawn_key=(SURVEYS, 1)))


def _ar1(rng: np.random.Generator, shape: tuple[int, int], sd: float, ar: float) -> np.ndarray:
    """Stationary AR(1) paths along the last axis (stationary sd ``sd``, coefficient ``ar``)."""
    u = rng.standard_normal(shape)
    x = np.empty(shape)
    x[:, 0] = u[:, 0] * sd
    innov = sd * np.sqrt(1 - ar * ar)
    for t in range(1, shape[1]):  # recursion over quarters (36 steps), vectorised over brands
        x[:, t] = ar * x[:, t - 1] + innov * u[:, t]
    return x


def brand_paths(rng: np.random.Generator, sc: Scenario) -> np.ndarray:
    """Each brand's zero-mean satisfaction path by quarter (brands x quarters, index points).

    ``loading_b x industry_t + trend_b x (years from mid-world) + own_b,t``: the industry
    shock and each brand's own deviation are stationary AR(1) over quarters; the firm
    (row 0) has loading 1 and no trend. ``rng`` is the surveys' or the market panel's
    generator: the paths come from a child of the world seed, the same for both.
    """
    s = sc.satisfaction
    starts, _, _ = _quarters(sc)
    nq, nb = len(starts), len(BRANDS)
    g = _path_rng(rng)
    industry = _ar1(g, (1, nq), s.industry_shock_sd, s.industry_shock_ar)[0]
    loading = np.maximum(0.0, 1 + s.shock_loading_sd * g.standard_normal(nb))
    loading[0] = 1.0
    trend = s.brand_trend_sd * g.standard_normal(nb)
    trend[0] = 0.0
    own = _ar1(g, (nb, nq), s.brand_deviation_sd, s.brand_deviation_ar)
    years = (starts - starts.mean()) / 365.25
    return loading[:, None] * industry[None, :] + trend[:, None] * years[None, :] + own


def expected_index_shift(sc: Scenario, days: np.ndarray) -> np.ndarray:
    """Expected change of the firm's index caused by support on each day (points): the switch, the crisis, the recovery.

    ``-slope x contact share x P(a respondent's contact is vendor-handled) x E[extra badness of a vendor contact]``
    plus ``crisis.satisfaction_drop`` inside the crisis window: the planted truth behind C5, C6 and C7,
    computed from the mechanism (not used to draw anything).
    """
    o, s = sc.outsourcing, sc.satisfaction
    days = np.asarray(days)
    mix = np.array([sc.segments.mix[x] for x in SEGMENTS], float)
    covered = np.stack([vendor_handles(sc, np.full(days.shape, SEG_INDEX[x]), days) for x in SEGMENTS])
    p_vendor = o.vendor_share * (mix[:, None] * covered).sum(axis=0) / mix.sum()
    dq = (
        Q_WAIT * np.log(vendor_wait_multiplier(sc, days))
        + Q_FCR * min(o.fcr_drop, sc.support.inhouse_fcr)
        + Q_TRANSFER * o.extra_transfers
    )
    kappa = satisfaction_slope(sc)
    return -kappa * s.contact_share * p_vendor * dq + np.where(in_crisis(sc, days), sc.crisis.satisfaction_drop, 0.0)


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
    target = np.where(firm, target, comp[brand]) + brand_paths(rng, sc)[brand, qi]
    # experience term: zero-mean for in-house contacts, -effect/reach per unit for vendor contacts
    exp_term = np.where(firm & contact, -kappa * (ops["q"] - expected_q_inhouse(sc)), 0.0)
    crisis = np.where(firm & in_crisis(sc, day), sc.crisis.satisfaction_drop, 0.0)
    target = np.clip(target + exp_term + crisis, 0.5, 99.5)
    score = np.clip(latent_mean_for(target, s.response_sd) + s.response_sd * rng.standard_normal(m), 0, 100)
    handler = np.where(firm & contact, np.where(ops["vendor"], 1, 0), -1)
    from .block import Coded  # text columns as codes into their labels: Arrow builds the strings

    return {
        "response_id": np.arange(1, m + 1, dtype=np.int64),
        "brand": Coded(brand, np.asarray(BRANDS)),
        "quarter": Coded(qi, np.asarray(labels)),
        "interview_day": day,
        "segment": Coded(seg, np.asarray(SEGMENTS)),
        "had_support_contact": contact,
        "contact_handler": Coded(np.maximum(handler, 0), np.array(["in_house", "vendor"]), null=handler < 0),
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
    tilt = comp[:, None] * np.exp(
        mk.competitor_satisfaction_sensitivity * brand_paths(rng, sc)[1:]
    )  # competitors x quarters
    cum = np.cumsum(tilt, axis=0).T  # quarters x competitors
    u = rng.random(m)
    is_firm = u < p_firm
    v = (u - p_firm) / (1 - p_firm)  # uniform on the rest of the market
    # competitors whose cumulative weight lies below v x total (one column at a time: no buyers x brands matrix)
    x = v * cum[:, -1][qi]
    below = np.zeros(m, np.intp)
    for j in range(cum.shape[1]):
        below += cum[:, j][qi] < x
    other = 1 + below.clip(0, len(comp) - 1)
    brand = np.where(is_firm, 0, other)
    seg = np.searchsorted([0.55, 0.92], rng.random(m)).astype(np.int8)
    units = np.where(seg == 0, 1, 1 + rng.geometric(0.3, m) - 1).astype(np.int32)
    from .block import Coded  # text columns as codes into their labels: Arrow builds the strings

    return {
        "buyer_id": np.arange(1, m + 1, dtype=np.int64),
        "purchase_day": day,
        "quarter": Coded(qi, np.asarray(labels)),
        "buyer_segment": Coded(seg, np.array(["home", "business", "public"])),
        "brand": Coded(brand, np.asarray(BRANDS)),
        "units": units,
    }


assert "surveys" in TABLES and "market_panel" in TABLES
