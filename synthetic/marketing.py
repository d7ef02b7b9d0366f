"""Marketing costs: acquisition campaigns and a relationship programme (claims B4, B6).

Two mechanisms, both causes rather than outcomes:

- **Acquisition campaigns.** Each (region, month) cell of each year gets a share
  ``w`` of that year's campaign budget (log-normal weights: budgets move around).
  A share ``marketing.campaign_share`` of each year's new customers is won by
  campaigns and lands in a cell with chance ``w``; the rest arrive organically
  (region by the census mix, date as drawn). A cell's spend is
  ``acquisition_cost_per_customer x`` its expected campaign customers, so new customers
  per cell rise by one per ``acquisition_cost_per_customer`` USD of spend: chapter 02
  estimates that slope by regression across cells (year x region fixed effects absorb
  the organic inflow) and never sees the constant.
- **Relationship programme.** The firm invests in relationships (an account manager,
  regular reviews): every key account, a share ``relationship_programme_reach`` of the
  other relationship-minded customers and a share ``relationship_programme_mistarget``
  of transactional ones are enrolled from their first purchase. An enrolled customer's
  drop-out chance after each purchase is multiplied by ``relationship_dropout_ratio``
  (the payoff; 1 = none). Enrolment does not otherwise depend on purchase or drop-out
  traits, so comparing enrolled and other customers' drop-out estimates the payoff. The
  programme costs ``relationship_cost_per_year`` USD per enrolled customer-year, from
  enrolment until two years after the customer's last purchase (the firm only notices
  silence) or the end of the record, booked per calendar year.

Rows are written per customer block (campaign spend for the block's share of new
customers), so the table sums over blocks to the world's spend; vectorised, no row loop.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from .customers import REGIONS
from .scenario import Scenario
from .timeline import DAYS_PER_YEAR, day_index

N_REGIONS = 4
REGION_P = np.array([0.18, 0.21, 0.37, 0.24])  # the census mix of customers.REGIONS
MARKETING_ID = 11  # spawn-key table id of the world-level marketing plan
STOP_AFTER_SILENT_DAYS = 730  # the programme drops a customer two years after the last purchase
PROGRAMMES = np.array(["acquisition_campaign", "relationship_programme"])


def _months(sc: Scenario) -> np.ndarray:
    """Day offsets of the first day of every calendar month of the world, plus the day after the end."""
    start, end = sc.world.start, sc.world.end
    m0 = start.year * 12 + start.month - 1
    m1 = end.year * 12 + end.month
    idx = np.arange(m0, m1 + 1)
    firsts = np.array(
        [np.datetime64(f"{i // 12:04d}-{i % 12 + 1:02d}-01") for i in idx], dtype="datetime64[D]"
    ) - np.datetime64(start, "D")
    out = firsts.astype(np.int64)
    out[0] = 0
    out[-1] = day_index(end, start) + 1
    return out


def budget_weights(sc: Scenario, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The marketing plan: per month and region, the share of its year's campaign budget.

    Returns ``(month_first_day, weights)``: month start offsets (length M + 1, the last
    the day after the record) and an (M, 4) array whose rows of one calendar year sum to 1
    over months and regions. Drawn from ``SeedSequence(seed, spawn_key=(MARKETING_ID,))``:
    the same plan in every block.
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(MARKETING_ID,)))
    firsts = _months(sc)
    n_m = firsts.size - 1
    w = REGION_P[None, :] * np.exp(sc.marketing.campaign_budget_dispersion * rng.standard_normal((n_m, N_REGIONS)))
    year = _month_year(sc, firsts)
    tot = np.bincount(year, weights=w.sum(axis=1))
    return firsts, w / tot[year][:, None]


def _month_year(sc: Scenario, firsts: np.ndarray) -> np.ndarray:
    """Index of the calendar year (0 = the first year of the world) of each month."""
    n_m = firsts.size - 1
    return (sc.world.start.month - 1 + np.arange(n_m)) // 12


def apply_marketing(
    rng: np.random.Generator, sc: Scenario, seed: int, ids: np.ndarray, cust: dict, lat: dict
) -> np.ndarray:
    """Campaign acquisitions and relationship-programme enrolment for one block.

    Moves campaign-won customers to the (region, month) their campaign ran in (updates
    ``cust["region"]`` and ``lat["acq_day"]``), scales enrolled customers' drop-out chance
    by the payoff (``lat["dropout"]``) and records enrolment in ``lat["programme"]``.

    Returns the block's campaign spend per (month, region): an (M, 4) array in USD.
    """
    mk = sc.marketing
    n = ids.size
    firsts, w = budget_weights(sc, seed)
    n_m = firsts.size - 1
    year_of_month = _month_year(sc, firsts)
    end = day_index(sc.world.end, sc.world.start)
    new = ~lat["initial"]
    acq = lat["acq_day"]
    month_of = np.clip(np.searchsorted(firsts, acq, side="right") - 1, 0, n_m - 1)
    year = np.where(new, year_of_month[month_of], -1)
    campaign = new & (rng.random(n) < mk.campaign_share)
    # a campaign customer of year y lands in cell (month, region) with chance w within y
    n_years = int(year_of_month.max()) + 1
    cells_of_year = [np.flatnonzero(year_of_month == y) for y in range(n_years)]
    u = rng.random(n)
    region = cust["region"].codes.astype(np.int64)  # a copy: codes into REGIONS
    new_day = acq.copy()
    for y in range(n_years):  # a handful of years; vectorised over customers
        sel = np.flatnonzero(campaign & (year == y))
        if sel.size == 0:
            continue
        months = cells_of_year[y]
        cw = w[months].ravel()
        cum = np.cumsum(cw)
        cell = np.minimum(np.searchsorted(cum, u[sel] * cum[-1], side="right"), cw.size - 1)
        mo = months[cell // N_REGIONS]
        region[sel] = cell % N_REGIONS
        lo, hi = firsts[mo], np.minimum(firsts[mo + 1], end + 1)
        new_day[sel] = lo + np.floor(rng.random(sel.size) * (hi - lo)).astype(np.int64)
    from .block import Coded  # region as codes into REGIONS: Arrow builds the strings

    cust["region"] = Coded(region, REGIONS)
    lat["region_code"] = region
    lat["acq_day"] = new_day
    # the plan's spend: cost per customer x expected campaign customers of the block's realised yearly intake
    new_per_year = np.bincount(year[new], minlength=n_years).astype(np.float64)
    spend = mk.acquisition_cost_per_customer * mk.campaign_share * new_per_year[year_of_month][:, None] * w
    # relationship programme: key accounts always, relationship-minded by reach, a few transactional by mistake
    r = rng.random(n)
    enrolled = lat["key"] | (lat["rel"] & (r < mk.relationship_programme_reach))
    enrolled |= ~lat["rel"] & (r < mk.relationship_programme_mistarget)
    lat["programme"] = enrolled
    lat["dropout"] = np.where(enrolled, np.minimum(lat["dropout"] * mk.relationship_dropout_ratio, 1.0), lat["dropout"])
    return spend


def cost_records(
    sc: Scenario, ids: np.ndarray, lat: dict, orders: dict, spend: np.ndarray, block: int, seed: int
) -> dict:
    """Rows of the ``marketing_costs`` table for one block (column arrays).

    Campaign rows: one per (month, region) with spend > 0, ``customer_id`` null. Programme
    rows: one per enrolled customer and calendar year of enrolment, the cost pro rata to
    the days enrolled (from the first purchase in the record to two years after the last
    purchase, or the end of the record).
    """
    mk = sc.marketing
    firsts, _ = budget_weights(sc, seed)
    end = day_index(sc.world.end, sc.world.start)
    # campaigns
    mi, ri = np.nonzero(spend > 0)
    camp = {
        "month_day": firsts[mi],
        "region": ri.astype(np.int8),
        "customer_id": np.full(mi.size, np.nan),
        "programme": np.zeros(mi.size, np.int8),
        "cost_usd": np.round(spend[mi, ri], 2),
    }
    # programme: enrolled from max(acquisition, 0) to min(end, last purchase + 2 years)
    pos = orders["customer_id"] - ids[0]
    last = np.full(ids.size, -1, np.int64)
    np.maximum.at(last, pos, orders["day"])
    enr = np.flatnonzero(lat["programme"] & (last >= 0))
    a = np.maximum(lat["acq_day"][enr], 0)
    b = np.minimum(last[enr] + STOP_AFTER_SILENT_DAYS, end + 1)
    ok = b > a
    enr, a, b = enr[ok], a[ok], b[ok]
    y0, y1 = sc.world.start.year, sc.world.end.year
    year_bounds = np.array(
        [max(day_index(dt.date(y, 1, 1), sc.world.start), 0) for y in range(y0, y1 + 1)] + [end + 1], np.int64
    )
    ya = np.searchsorted(year_bounds, a, side="right") - 1
    yb = np.searchsorted(year_bounds, b - 1, side="right") - 1
    k = yb - ya + 1
    row = np.repeat(np.arange(enr.size), k)
    yy = ya[row] + (np.arange(row.size) - np.repeat(np.cumsum(k) - k, k))
    lo = np.maximum(a[row], year_bounds[yy])
    hi = np.minimum(b[row], year_bounds[yy + 1])
    cost = mk.relationship_cost_per_year * (hi - lo) / DAYS_PER_YEAR
    prog = {
        "month_day": year_bounds[yy],
        "region": np.asarray(lat["region_code"])[enr[row]].astype(np.int8),
        "customer_id": ids[enr[row]].astype(np.float64),
        "programme": np.ones(row.size, np.int8),
        "cost_usd": np.round(cost, 2),
    }
    out = {c: np.concatenate([camp[c], prog[c]]) for c in camp}
    out["days_covered"] = np.concatenate([np.zeros(mi.size, np.int32), (hi - lo).astype(np.int32)])
    out["cost_id"] = (np.int64(block) << 32) + np.arange(out["cost_usd"].size, dtype=np.int64)
    return out
