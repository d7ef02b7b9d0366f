"""The answer key: for each exercise id, the right answer computed from a world.

Each entry is a function ``world -> value`` written in DuckDB SQL over the world's tables
(``world.sql``), while the chapters' solution cells use pandas: two routes to the same
number, and ``tests/test_course.py`` checks that they agree in every chapter. A check cell
calls ``answer_key("01.2", ex_world)`` with the student's own world, so the expected value
is never typed into a notebook and every student's key is different.

Exercises that ask for a re-run with an override (the "open" ones) compute their answer in
the same world with that override added (:func:`variant`), from the same cache folder.
The key lives here rather than in the student's notebook so the student edition does not
print the solution; it is a teaching aid, not an exam lock (anyone can read this file).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

KEY: dict[str, Callable[[Any], Any]] = {}

#: overrides of the "re-run with an override" exercises, by exercise id (shown in the prompts too)
VARIANTS: dict[str, dict[str, Any]] = {
    "00.6": {"channels.online_revenue_share": 0.5},
    "01.5": {"spend.top20_share": 0.6},
    "02.5": {"purchase.dropout_mean": 0.24},
    "03.5": {"outsourcing.satisfaction_effect": 0.0},
    "04.5": {"supply.on_time_rate": 0.8},
}


def entry(exercise: str) -> Callable[[Callable[[Any], Any]], Callable[[Any], Any]]:
    """Register ``func(world)`` as the key of ``exercise`` (e.g. ``"01.2"``)."""

    def register(func: Callable[[Any], Any]) -> Callable[[Any], Any]:
        KEY[exercise] = func
        return func

    return register


def answer_key(exercise: str, world: Any) -> Any:
    """The right answer to ``exercise`` (``"NN.k"``, or a check name starting with it) in ``world``."""
    ex = str(exercise).split()[0]
    if ex not in KEY:
        raise ValueError(f"exercise: no answer-key entry {ex!r}; known: {', '.join(sorted(KEY))}")
    return KEY[ex](world)


def variant(world: Any, overrides: Mapping[str, Any]) -> Any:
    """The same world (preset, seed, size, overrides, cache folder) with ``overrides`` added."""
    import synthetic

    m = world.manifest
    return synthetic.load(
        scenario=m["preset"],
        seed=m["seed"],
        n_customers=m["n_customers"],
        overrides={**m.get("overrides", {}), **overrides},
        data_dir=world.path.parent,
    )


def _one(world: Any, query: str) -> Any:
    """The single value a query returns, as a plain Python value."""
    value = world.sql(query).iloc[0, 0]
    return value.item() if hasattr(value, "item") else value


# --------------------------------------------------------------------------- 00 the CRM database
@entry("00.1")
def customers_count(world: Any) -> int:
    """Customers in the world."""
    return int(_one(world, "select count(*) from customers"))


@entry("00.2")
def largest_customer(world: Any) -> int:
    """customer_id with the highest 2000-2008 revenue."""
    return int(_one(world, "select customer_id from orders group by 1 order by sum(revenue) desc, 1 limit 1"))


@entry("00.3")
def online_order_share_2008(world: Any) -> float:
    """Share of 2008 orders placed online (web or Premier page)."""
    return float(
        _one(
            world,
            "select avg(case when channel in ('web', 'premier') then 1.0 else 0.0 end) "
            "from orders where year(order_date) = 2008",
        )
    )


@entry("00.4")
def largest_customer_tickets(world: Any) -> int:
    """Support tickets opened by the customer with the highest revenue."""
    return int(
        _one(
            world,
            "with top as (select customer_id from orders group by 1 order by sum(revenue) desc, 1 limit 1) "
            "select count(t.ticket_id) from top left join support_tickets t using (customer_id)",
        )
    )


@entry("00.5")
def premier_region(world: Any) -> str:
    """Region with the most customers that have a Premier page."""
    return str(
        _one(
            world,
            "select region from customers where has_premier_page group by 1 order by count(*) desc, 1 limit 1",
        )
    )


def _online_revenue_share_2008(world: Any) -> float:
    return float(
        _one(
            world,
            "select sum(case when channel in ('web', 'premier') then revenue else 0 end) / sum(revenue) "
            "from orders where year(order_date) = 2008",
        )
    )


@entry("00.6")
def online_revenue_share_2008_variant(world: Any) -> float:
    """Online share of 2008 revenue in the world with half the revenue planted online."""
    return _online_revenue_share_2008(variant(world, VARIANTS["00.6"]))


# --------------------------------------------------------------------------- 01 segmentation
@entry("01.1")
def large_share(world: Any) -> float:
    """Share of customers that are large (large_enterprise or public_sector)."""
    return float(
        _one(
            world,
            "select avg(case when segment in ('large_enterprise', 'public_sector') then 1.0 else 0 end) from customers",
        )
    )


def _top20_share(world: Any) -> float:
    return float(
        _one(
            world,
            "with r as (select c.customer_id, coalesce(sum(o.revenue), 0) as rev from customers c "
            "left join orders o using (customer_id) group by 1), "
            "k as (select rev, row_number() over (order by rev desc) as rk, count(*) over () as n from r) "
            "select sum(case when rk <= floor(0.2 * n) then rev else 0 end) / sum(rev) from k",
        )
    )


@entry("01.2")
def top20_share(world: Any) -> float:
    """Share of 2000-2008 revenue from the top 20 % of customers (customers without orders count as 0)."""
    return _top20_share(world)


@entry("01.3")
def contract_price_customers(world: Any) -> int:
    """Customers with at least one order discounted without a promotion code."""
    return int(
        _one(world, "select count(distinct customer_id) from orders where not promo_code_used and discount_pct > 0")
    )


@entry("01.4")
def large_to_small_revenue_ratio(world: Any) -> float:
    """Mean revenue per large customer / mean revenue per small customer (all customers, 0 without orders)."""
    return float(
        _one(
            world,
            "with r as (select c.customer_id, c.segment in ('large_enterprise', 'public_sector') as large, "
            "coalesce(sum(o.revenue), 0) as rev from customers c left join orders o using (customer_id) group by 1, 2) "
            "select avg(case when large then rev end) / avg(case when not large then rev end) from r",
        )
    )


@entry("01.5")
def top20_share_variant(world: Any) -> float:
    """The top-20 % revenue share in the world planted with a 60 % share."""
    return _top20_share(variant(world, VARIANTS["01.5"]))


# --------------------------------------------------------------------------- 02 lifetime value
@entry("02.1")
def repeat_buyer_share(world: Any) -> float:
    """Among customers with at least one order in 2000-2008, the share with two or more."""
    return float(
        _one(
            world,
            "select avg(case when n >= 2 then 1.0 else 0 end) from (select count(*) as n from orders group by customer_id)",
        )
    )


@entry("02.2")
def mean_order_value(world: Any) -> float:
    """Mean revenue per order (USD)."""
    return float(_one(world, "select avg(revenue) from orders"))


@entry("02.3")
def lapsed_share(world: Any) -> float:
    """Among customers with orders, the share whose last order was before 2007-01-01."""
    return float(
        _one(
            world,
            "select avg(case when last < date '2007-01-01' then 1.0 else 0 end) "
            "from (select max(order_date) as last from orders group by customer_id)",
        )
    )


def _retention(world: Any, year: int) -> float:
    return float(
        _one(
            world,
            f"with a as (select distinct customer_id from orders where year(order_date) = {year}), "
            f"b as (select distinct customer_id from orders where year(order_date) = {year + 1}) "
            "select avg(case when b.customer_id is null then 0.0 else 1.0 end) from a left join b using (customer_id)",
        )
    )


@entry("02.4")
def retention_2005(world: Any) -> float:
    """Of the customers who ordered in 2005, the share who ordered again in 2006."""
    return _retention(world, 2005)


@entry("02.5")
def retention_2005_variant(world: Any) -> float:
    """2005 -> 2006 retention in the world with the mean dropout chance doubled."""
    return _retention(variant(world, VARIANTS["02.5"]), 2005)


# --------------------------------------------------------------------------- 03 outsourcing and satisfaction
@entry("03.1")
def vendor_share_2005(world: Any) -> float:
    """Share of 2005 support tickets handled by the vendor."""
    return float(
        _one(
            world,
            "select avg(case when handler = 'vendor' then 1.0 else 0 end) from support_tickets "
            "where year(opened_date) = 2005",
        )
    )


@entry("03.2")
def vendor_wait_ratio_2005(world: Any) -> float:
    """Mean wait of vendor-handled 2005 tickets / mean wait of in-house 2005 tickets."""
    return float(
        _one(
            world,
            "select avg(case when handler = 'vendor' then wait_minutes end) / "
            "avg(case when handler = 'in_house' then wait_minutes end) "
            "from support_tickets where year(opened_date) = 2005",
        )
    )


@entry("03.3")
def complaint_rate_change(world: Any) -> float:
    """Complaints per ticket for tickets opened in 2005 / in 2003, minus 1."""
    return float(
        _one(
            world,
            "with t as (select t.ticket_id, year(t.opened_date) as y, c.complaint_id is not null as complained "
            "from support_tickets t left join (select distinct ticket_id, 1 as complaint_id from complaints) c "
            "using (ticket_id) where year(t.opened_date) in (2003, 2005)) "
            "select avg(case when y = 2005 then complained::double end) / "
            "avg(case when y = 2003 then complained::double end) - 1 from t",
        )
    )


def _firm_score_change(world: Any) -> float:
    return float(
        _one(
            world,
            "select avg(case when year(interview_date) = 2005 then score end) - "
            "avg(case when year(interview_date) = 2003 then score end) from surveys where brand = 'Dell'",
        )
    )


@entry("03.4")
def firm_score_change(world: Any) -> float:
    """The firm's mean survey score in 2005 minus 2003 (index points)."""
    return _firm_score_change(world)


@entry("03.5")
def firm_score_change_variant(world: Any) -> float:
    """The same change in the world where the switch has no planted effect on satisfaction."""
    return _firm_score_change(variant(world, VARIANTS["03.5"]))


# --------------------------------------------------------------------------- 04 supply chain
@entry("04.1")
def days_to_ship_2004(world: Any) -> float:
    """Mean days from order to shipment, orders placed in 2004."""
    return float(
        _one(world, "select avg(date_diff('day', order_date, ship_date)) from orders where year(order_date) = 2004")
    )


def _on_time_ship(world: Any) -> float:
    return float(_one(world, "select avg(case when ship_date <= promised_ship_date then 1.0 else 0 end) from orders"))


@entry("04.2")
def on_time_ship_share(world: Any) -> float:
    """Share of orders shipped by the promised date."""
    return _on_time_ship(world)


@entry("04.3")
def cpu_days_of_supply_2005(world: Any) -> float:
    """Build-to-order CPUs in 2005: mean units on hand / mean units consumed a day (days of supply)."""
    return float(
        _one(
            world,
            "select avg(on_hand_units) / avg(consumed_units) from inventory_daily "
            "where pipeline = 'build_to_order' and category = 'cpu' and year(date) = 2005",
        )
    )


@entry("04.4")
def po_on_time_share(world: Any) -> float:
    """Share of the firm's (build-to-order) purchase orders delivered by the promised day."""
    return float(
        _one(
            world,
            "select avg(case when delivery_date <= promised_delivery_date then 1.0 else 0 end) "
            "from purchase_orders where pipeline = 'build_to_order'",
        )
    )


@entry("04.5")
def on_time_ship_share_variant(world: Any) -> float:
    """Share shipped on time in the world planted with an 80 % on-time rate."""
    return _on_time_ship(variant(world, VARIANTS["04.5"]))
