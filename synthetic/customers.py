"""Customers and their latent traits (claims A1-A7).

Observable attributes go to ``customers``; latent traits (price sensitivity,
relationship orientation, tier, purchase rate, dropout chance, spend level) go
to ``truth``, which notebooks open only in their final "check against the truth".
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from .calibrate import Calibration, acquisition_years, draw_employees, draw_segments, key_logit, size_score
from .names import NamePools
from .scenario import SEGMENTS, Scenario
from .timeline import DAYS_PER_YEAR

REGIONS = np.array(["Northeast", "Midwest", "South", "West"])
REGION_P = np.array([0.18, 0.21, 0.37, 0.24])
ACQ_CHANNELS = np.array(["web", "phone", "sales_rep", "referral"])
TIERS = np.array(["T", "R", "key"])


def make_customers(
    rng: np.random.Generator, sc: Scenario, cal: Calibration, ids: np.ndarray, pools: NamePools
) -> tuple[dict, dict]:
    """Draw one block of customers.

    Returns ``(customers, latent)``: column arrays of the observable table, and
    latent per-customer arrays used by the purchase process and the truth table.
    """
    n = len(ids)
    seg = draw_segments(rng, sc, n)
    emp = draw_employees(rng, seg)
    z = size_score(emp)
    public = seg == SEGMENTS.index("public_sector")
    education = public & (rng.random(n) < sc.segments.education_share_of_public)
    zs = (z - cal.size_mean) / cal.size_sd  # standardised log size
    u_rel = rng.random(n)
    ps = rng.random(n) < expit(cal.ps_intercept - 0.5 * z)
    # key accounts (A2): a logistic screen among large customers on size, with government and education
    # admitted at a lower bar; key accounts are picked from (and so are) relationship-minded customers
    large = seg >= SEGMENTS.index("large_enterprise")
    key = large & (rng.random(n) < expit(cal.key_threshold + key_logit(sc, emp, public)))
    rel = (u_rel < expit(cal.rel_intercept + sc.segments.relationship_size_link * zs)) | key
    tier = np.where(key, 2, np.where(rel, 1, 0)).astype(np.int8)
    # spend level (mean 1): size explains part of it; key accounts get a boost (A6, A7)
    w = sc.spend.size_weight
    u = w * zs + np.sqrt(1 - w * w) * rng.standard_normal(n) + 0.5 * key
    u = (u - cal.u_mean) / cal.u_sd
    sigma = cal.spend_sigma
    spend = np.exp(sigma * u - 0.5 * sigma**2)
    p = sc.purchase
    lam = rng.gamma(p.rate_shape, p.rate_mean / p.rate_shape, n)
    a = p.dropout_mean * p.dropout_concentration
    b = (1 - p.dropout_mean) * p.dropout_concentration
    dropout = rng.beta(a, b, n)
    years = (sc.world.end - sc.world.start).days / DAYS_PER_YEAR
    initial = rng.random(n) < p.initial_share
    acq_years = acquisition_years(rng, p.acquisition_growth, years, n)
    acq_day = np.where(
        initial, -np.floor(rng.random(n) * 5 * DAYS_PER_YEAR) - 1, np.floor(acq_years * DAYS_PER_YEAR)
    ).astype(np.int64)
    acq_channel = np.where(
        seg >= 2, np.where(rng.random(n) < 0.7, 2, 3), np.searchsorted([0.5, 0.85, 0.9], rng.random(n))
    ).astype(np.int8)
    premier = (emp >= sc.channels.premier_min_employees) & (rng.random(n) < 0.8)
    contact_rate = contact_rates(sc, rel, key, large)
    contract = contract_discount_level(rng, sc, emp, rel, key, seg)
    person = rng.integers(0, len(pools.person), n)
    company = rng.integers(0, len(pools.company), n)
    addr = rng.integers(0, len(pools.street), n)
    from .block import Coded  # text columns as codes into their labels: Arrow builds the strings

    customers = {
        "customer_id": ids,
        "name": Coded(person, pools.person),
        "company": Coded(company, pools.company, null=seg == 0),
        "street": Coded(addr, pools.street),
        "city": Coded(addr, pools.city),
        "state": Coded(addr, pools.state),
        "region": Coded(np.searchsorted(np.cumsum(REGION_P), rng.random(n) * REGION_P.sum()).clip(0, 3), REGIONS),
        "segment": Coded(seg, np.asarray(SEGMENTS)),
        "public_type": Coded(education.astype(np.int8), np.array(["government", "education"]), null=~public),
        "employees": emp,
        "acquisition_day": acq_day,
        "acquisition_channel": Coded(acq_channel, ACQ_CHANNELS),
        "has_premier_page": premier,
    }
    latent = {
        "seg": seg,
        "emp": emp,
        "rel": rel,
        "ps": ps,
        "key": key,
        "tier": tier,
        "spend": spend,
        "lam": lam,
        "dropout": dropout,
        "initial": initial,
        "acq_day": acq_day,
        "premier": premier,
        "contact_rate": contact_rate,
        "contract": contract,
    }
    return customers, latent


def contact_rates(sc: Scenario, rel: np.ndarray, key: np.ndarray, large: np.ndarray) -> np.ndarray:
    """CRM contacts logged per active year (A11: reps rewarded for logging contacts).

    ``contacts.rate_transactional`` times the relationship, key-account and large-customer multipliers.
    """
    c = sc.contacts
    return (
        c.rate_transactional
        * np.where(rel, c.relationship_multiplier, 1.0)
        * np.where(key, c.key_multiplier, 1.0)
        * np.where(large, c.large_multiplier, 1.0)
    )


def contract_discount_level(
    rng: np.random.Generator, sc: Scenario, emp: np.ndarray, rel: np.ndarray, key: np.ndarray, seg: np.ndarray
) -> np.ndarray:
    """Log contract-discount level of each account at tenure 0 and one unit (A7); NaN for consumers (list price).

    ln d = ln(base) + size x ln(employees) + relationship x R + key x key + account effect; the order adds
    tenure and volume terms (``synthetic.orders.contract_discount``).
    """
    s = sc.spend
    lvl = (
        np.log(s.contract_discount_base)
        + s.contract_discount_size * np.log(emp)
        + s.contract_discount_relationship * rel
        + s.contract_discount_key * key
        + s.contract_discount_account_sd * rng.standard_normal(len(emp))
    )
    return np.where(seg >= SEGMENTS.index("small_business"), lvl, np.nan)


def category_budget(sc: Scenario, seg: np.ndarray, rel: np.ndarray, annual_firm_spend: np.ndarray) -> np.ndarray:
    """Each customer's yearly PC budget across all brands (A12: purchasing power).

    The firm wins a share of it (``wallet.share_by_segment``, times ``wallet.relationship_lift`` for
    relationship-minded customers, at most 0.95); the budget is the firm's expected yearly spend of the
    customer divided by that share, so it grows with firm size through the spend level.
    """
    w = sc.wallet
    base = np.array([w.share_by_segment[s] for s in SEGMENTS])[seg]
    share = np.minimum(base * np.where(rel, w.relationship_lift, 1.0), 0.95)
    return annual_firm_spend / share
