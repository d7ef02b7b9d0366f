# %% [markdown]
# # 01 · Customer segmentation the Dell way: small and large, T, R and key accounts
#
# Dell's CRM, as the case texts tell it, starts by sorting customers. Small customers (home users and
# small businesses) are told "here is the price and terms, take it or leave it"; larger, relationship-minded
# customers get senior staff; a few key accounts, picked by size with government and education admitted as
# special cases, get a person or a whole team, negotiated prices and their own Premier page. Customers are
# re-analysed every quarter. **Can we rebuild that segmentation from nothing but the records a CRM keeps
# (orders, discounts, channels, contacts, the sales pipeline), and do the case's numbers hold: 80 % of
# revenue from 20 % of customers, a key account worth "tens or hundreds" of ordinary ones?**
#
# Claims reproduced (ids from the case facts): **A1** small vs large customers, **A2** the key-account
# screening rule, **A3** the price × relationship 2 × 2, **A4** T-type customers, **A5** R-type customers
# (and the case texts' contradiction about them), **A6** key-account value, **A7** resources for key
# accounts, **A8** the 80/20 rule, **A9** the customers who bring the bulk of sales, **A10** quarterly
# rolling re-segmentation, **A11** the IDIC process, **A12** lifetime-value segments, purchasing power and
# share of wallet.
#
# The world is synthetic: a generator planted the mechanisms (who is price-sensitive, who wants a
# relationship, who is a key account, how concentrated spend is). We estimate everything from the
# records and open the planted truth only at the end.

# %% tags=["parameters"]
seed: int = 7  # random seed of the synthetic world
n_customers: int = 20_000  # customers in the world (classroom size)
scenario: str = "case"  # preset: "case" (the case texts) or "history" (the public record)
overrides: dict = {}  # dotted-key scenario overrides, e.g. {"spend.top20_share": 0.6}
data_dir: str = "../data"  # where generated worlds are cached (relative to notebooks/)
results_path: str = "../build/results/01_segmentation.json"  # where this chapter writes its results records

# %%
import sys

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import scipy
import seaborn as sns
import sklearn
import statsmodels
import statsmodels.formula.api as smf
from IPython.display import Markdown, display
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import StandardScaler

import casebook.analysis.theme
import synthetic
from casebook.analysis import causal, intervals, regression
from casebook.analysis import segmentation as seg
from casebook.analysis.params import check_parameters
from casebook.analysis.results import Record, format_key_results, write_results

scenario_obj = check_parameters(seed, n_customers, scenario, overrides, data_dir, results_path)
casebook.analysis.theme.use()
PAL = casebook.analysis.theme.PALETTE
TIERS = ["T", "R", "key"]
TIER_COLOR = {"T": PAL["T"], "R": PAL["R"], "key": PAL["key"], "lapsed": "#D9D9D9"}
records: list[Record] = []

world = synthetic.load(scenario=scenario, seed=seed, n_customers=n_customers, overrides=overrides, data_dir=data_dir)
START, END = pd.Timestamp(world.scenario.world.start), pd.Timestamp(world.scenario.world.end)  # the calendar
CUSTOMER_COLUMNS = [
    "customer_id",
    "company",
    "segment",
    "public_type",
    "employees",
    "acquisition_date",
    "has_premier_page",
    "crm_contacts_logged",
    "crm_contact_cost_usd",
]
customers = world.table("customers", columns=CUSTOMER_COLUMNS).sort_values("customer_id").reset_index(drop=True)
customers["company"] = customers["company"].notna()  # only whether the account names a company is used
pipeline = world.table("sales_pipeline")
# the orders stay in DuckDB (one thread: sums in a fixed order, so the same world gives the same numbers);
# pandas only ever sees per-customer (or per-customer-quarter) aggregates
con = world.connect()
con.execute("SET threads TO 1")
per_cust = world.sql("""
    select customer_id, count(*) as n_orders, sum(revenue) as revenue, sum(cost) as cogs,
           sum(units * unit_list_price - revenue) as discount_usd,
           bool_or(not promo_code_used and discount_pct > 0) as contract_buyer,
           sum((channel in ('web', 'premier'))::int) as online_orders
    from orders group by customer_id order by customer_id
""").set_index("customer_id")
tickets = world.sql(
    "select customer_id, count(*) as tickets, sum(cost_usd) as cost_usd from support_tickets group by 1 order by 1"
).set_index("customer_id")
print(
    f"{len(customers):,} customers, {int(per_cust['n_orders'].sum()):,} orders, {len(pipeline):,} pipeline "
    f"opportunities, {int(tickets['tickets'].sum()):,} support tickets, {START:%Y-%m-%d} to {END:%Y-%m-%d}"
)

# %% [markdown]
# ## 1 · Small vs large (A1) and the key-account screening rule (A2)
#
# **Question.** How does the customer base split between small customers (consumers, small businesses)
# and large ones (enterprises, public sector), by head count and by revenue? And who are the key
# accounts? A CRM does not carry a "key account" label we are allowed to trust, and discounts do not give
# them away either: every business account buys at a negotiated contract price (section 5). What a key
# account has is an account team, and account teams log upcoming purchases in the sales pipeline: a
# customer with pipeline opportunities is served as a key account.

# %%
cust = customers.set_index("customer_id")
del customers  # memory: `cust` is the one customer table from here on
cust["revenue"] = per_cust["revenue"].reindex(cust.index, fill_value=0.0)
cust["size_class"] = np.where(cust["segment"].isin(["large_enterprise", "public_sector"]), "large", "small")
cust = cust.astype({"segment": "category", "size_class": "category"})  # a byte a customer instead of a string
cust["key"] = cust.index.isin(pipeline["customer_id"])
business_ids = cust.index[cust["segment"] != "consumer"]
contract_buyers = per_cust.index[per_cust["contract_buyer"]].to_numpy()

split = cust.groupby(["size_class", "segment"], sort=True).agg(
    customers=("revenue", "size"), revenue=("revenue", "sum"), key_accounts=("key", "sum")
)
split["share_of_customers"] = split["customers"] / split["customers"].sum()
split["share_of_revenue"] = split["revenue"] / split["revenue"].sum()
print(
    f"business and public customers buying at a contract price (a discount without a promotion): "
    f"{np.isin(contract_buyers, business_ids).sum():,} of {len(business_ids):,} with orders or not; "
    f"key accounts among them: {cust.loc[np.intersect1d(contract_buyers, cust.index), 'key'].sum():,}"
)
split[["customers", "share_of_customers", "share_of_revenue", "key_accounts"]].style.format(
    {"customers": "{:,.0f}", "share_of_customers": "{:.1%}", "share_of_revenue": "{:.1%}", "key_accounts": "{:,.0f}"}
)

# %% [markdown]
# Size first, public sector as a special criterion (A2): among large customers, how does the chance of
# being a key account rise with firm size, and do government and education qualify at a smaller size?
# A logistic regression of key-account status on log firm size and a public-sector indicator answers both:
# the size coefficient, and the public sector's bonus, also expressed as "qualifies like an enterprise
# *k* times its size" (k = exp(bonus / size coefficient)).

# %%
large = cust[cust["size_class"] == "large"].assign(
    kind=lambda d: d["public_type"].fillna("enterprise"),
    log_emp=lambda d: np.log(d["employees"]),
    public=lambda d: d["public_type"].notna().astype(int),
    is_key=lambda d: d["key"].astype(int),
)
screen = smf.logit("is_key ~ log_emp + public", data=large).fit(disp=0)
screen_kinds = smf.logit("is_key ~ log_emp + C(kind, Treatment('enterprise'))", data=large).fit(disp=0)
b_size, b_pub = screen.params["log_emp"], screen.params["public"]
ci_screen = screen.conf_int()
times_size = float(np.exp(b_pub / b_size))
records.append(
    Record(
        claim="A2",
        quantity="key-account screen: log-odds per ln(employees)",
        estimate=b_size,
        ci_low=ci_screen.loc["log_emp", 0],
        ci_high=ci_screen.loc["log_emp", 1],
        planted=world.planted("segments.key_size_slope"),
        claimed=None,
        unit="log-odds per ln(employees)",
        method="logistic regression on large customers, Wald 95% CI",
    )
)
records.append(
    Record(
        claim="A2",
        quantity="key-account screen: public-sector bonus",
        estimate=b_pub,
        ci_low=ci_screen.loc["public", 0],
        ci_high=ci_screen.loc["public", 1],
        planted=world.planted("segments.public_sector_key_bonus"),
        claimed=None,
        unit="log-odds",
        method="logistic regression on large customers, Wald 95% CI",
    )
)
screen_tab = screen_kinds.summary2().tables[1].iloc[:, [0, 1, 4, 5]]
screen_tab.index = ["intercept", "government", "education", "ln(employees)"]
screen_tab.style.format("{:.2f}")

# %%
display(
    Markdown(
        f"**Screen.** Each ln-unit of size adds {b_size:.2f} log-odds [{ci_screen.loc['log_emp', 0]:.2f}, "
        f"{ci_screen.loc['log_emp', 1]:.2f}] of being a key account; a public body gets "
        f"{b_pub:+.2f} [{ci_screen.loc['public', 0]:.2f}, {ci_screen.loc['public', 1]:.2f}] on top, so it qualifies "
        f"like an enterprise {times_size:.1f} times its size. Government and education separately: "
        f"{screen_kinds.params.iloc[1]:+.2f} and {screen_kinds.params.iloc[2]:+.2f}"
        f"{' (close: one special criterion)' if abs(screen_kinds.params.iloc[1] - screen_kinds.params.iloc[2]) < 2 * max(screen_kinds.bse.iloc[1], screen_kinds.bse.iloc[2]) else ' (they differ)'}."
    )
)

n = len(cust)
share_large, lo, hi = intervals.wilson(int((cust["size_class"] == "large").sum()), n)
mix = world.planted("segments.mix")
records.append(
    Record(
        claim="A1",
        quantity="share of customers that are large",
        estimate=share_large,
        ci_low=lo,
        ci_high=hi,
        planted=mix["large_enterprise"] + mix["public_sector"],
        claimed=None,
        unit="fraction",
        method="count, Wilson 95% CI",
    )
)
# key accounts whose orders were never announced are missing: weight each found one by 1 / P(found)
won = pipeline[pipeline["status"] == "won"].groupby("customer_id").size()
n_orders_key = per_cust["n_orders"].reindex(won.index)
announce_p, ht_w = seg.detection_weights(n_orders_key.to_numpy(), won.to_numpy())
cust["key_weight"] = pd.Series(ht_w, index=won.index).reindex(cust.index).fillna(cust["key"].astype(float))
# the three ratios of sums share one set of Poisson-weight draws (one pass over the customers)
sec1 = seg.poisson_bootstrap_many(
    np.column_stack(
        [
            cust["revenue"] * (cust["size_class"] == "large"),
            cust["revenue"],
            cust["key_weight"],
            np.ones(n),
            cust["revenue"] * cust["key"],
        ]
    ),
    {
        "rev_large": (lambda t: t[..., 0] / t[..., 1], 500),
        "key_share": (lambda t: t[..., 2] / t[..., 3], 1000),
        "rev_key": (lambda t: t[..., 4] / t[..., 1], 500),
    },
    seed=seed,
)
rev_large = tuple(sec1["rev_large"])
records.append(
    Record(
        claim="A1",
        quantity="share of revenue from large customers",
        estimate=rev_large[0],
        ci_low=rev_large[1],
        ci_high=rev_large[2],
        planted=None,
        claimed=None,
        unit="fraction",
        method="sum ratio, Poisson-weight customer bootstrap",
    )
)
key_share, lo, hi = sec1["key_share"]
records.append(
    Record(
        claim="A2",
        quantity="share of customers that are key accounts",
        estimate=key_share,
        ci_low=lo,
        ci_high=hi,
        planted=world.planted("segments.key_account_share"),
        claimed=None,
        unit="fraction",
        method="sales-pipeline entries, Horvitz-Thompson for unannounced; Poisson-weight bootstrap 1000",
        extra={"found": int(cust["key"].sum()), "order_announced": announce_p},
    )
)
rev_key = tuple(sec1["rev_key"])
records.append(
    Record(
        claim="A2",
        quantity="share of revenue from key accounts",
        estimate=rev_key[0],
        ci_low=rev_key[1],
        ci_high=rev_key[2],
        planted=None,
        claimed=None,
        unit="fraction",
        method="sum ratio, customer bootstrap",
    )
)
print(
    f"large customers: {share_large:.1%} of customers, {rev_large[0]:.1%} of revenue; "
    f"key accounts: {key_share:.2%} of customers [{lo:.2%}, {hi:.2%}], {rev_key[0]:.1%} of revenue"
)

# %%
fig, axes = plt.subplots(1, 2, figsize=(15, 5.8))
ax = axes[0]
seg_order = ["consumer", "small_business", "large_enterprise", "public_sector"]
sh = split.droplevel(0).reindex(seg_order)
x = np.arange(len(seg_order))
ax.bar(x - 0.2, 100 * sh["share_of_customers"], 0.4, label="share of customers", color=PAL["competitor"])
ax.bar(x + 0.2, 100 * sh["share_of_revenue"], 0.4, label="share of revenue", color=PAL["Dell"])
ax.set_xticks(x, ["consumer", "small\nbusiness", "large\nenterprise", "public\nsector"])
ax.set_ylabel("share (%)")
ax.set_title("A1: few large customers, much of the revenue")
ax.legend()
casebook.analysis.theme.source_note(ax)
ax = axes[1]
bins = np.exp(np.arange(np.log(10), np.log(large["employees"].max()) + 0.8, 0.8))
large["size_band"] = pd.cut(large["employees"], bins)
rate = large.groupby(["kind", "size_band"], observed=True).agg(key=("is_key", "mean"), n=("is_key", "size"))
for kind, color in (("enterprise", PAL["competitor"]), ("government", PAL["Dell"]), ("education", PAL["vendor"])):
    r = rate.loc[kind]
    r = r[r["n"] >= 10]
    mids = [np.sqrt(b.left * b.right) for b in r.index]
    ax.plot(mids, 100 * r["key"], "o-", color=color, label=kind)
ax.set_xscale("log")
ax.set_xlabel("employees (log scale)")
ax.set_ylabel("key accounts (% of customers)")
ax.set_title("A2: size first, public sector at a lower bar")
ax.legend(title="large customers")
casebook.analysis.theme.source_note(ax)
plt.tight_layout()
plt.show()

# %%
display(
    Markdown(
        f"**Reading.** Large customers are {share_large:.1%} of customers and bring {rev_large[0]:.1%} of revenue "
        f"({rev_large[0] / share_large:.0f}x their head-count share). Key accounts, found from pipeline entries, are "
        f"{key_share:.2%} of customers and {rev_key[0]:.1%} of revenue. Among large customers the chance of being key "
        f"{'rises' if b_size > 0 else 'does not rise'} with size ({b_size:.2f} log-odds per ln-employee) and public bodies qualify "
        f"like enterprises {times_size:.1f}x their size (A2)."
    )
)

# %% tags=["notes"]
n_bus_ordering = int(np.isin(business_ids, per_cust.index).sum())
n_bus_contract = int(np.isin(contract_buyers, business_ids).sum())
n_key_contract = int(cust.loc[np.intersect1d(contract_buyers, cust.index), "key"].sum())
contract_share = n_bus_contract / max(n_bus_ordering, 1)
display(
    Markdown(
        "Not every big firm is a key account: the case picks key accounts *from R-type customers*, and relationship "
        "orientation is not in the customer table. Section 3 infers it. "
        f"Of the {n_bus_ordering:,} business and public-sector customers with orders, {n_bus_contract:,} "
        f"({contract_share:.0%}) bought at a negotiated contract price (a discount without a promotion; section 5), "
        f"and {n_key_contract:,} of those are key accounts: discounts "
        f"{'do not reveal key accounts here' if contract_share > 0.5 and n_key_contract < 0.5 * n_bus_contract else 'single out key accounts only in part'}."
    )
)

# %% [markdown]
# ## 2 · Concentration: the 80/20 rule (A8) and the customers who bring the sales (A9)
#
# **Question.** What share of revenue comes from the top 20 % of customers, with what uncertainty?
# The case (002) says 80 %; measured Pareto ratios in the public record are 0.73 across consumer packaged
# goods and 0.67 across 339 other firms (Kim, Singh & Winer 2017; McCarthy & Winer 2019). The interval
# comes from resampling customers (a seeded bootstrap): it says how much the share would move for another
# customer base drawn from the same market.

# %%
rev = cust["revenue"].to_numpy()
top20, top10 = seg.bootstrap_top_shares(rev, (0.20, 0.10), n_boot=1000, seed=seed)
gini = seg.gini(rev)
lx, ly = seg.lorenz_curve(rev)
need80 = lx[np.searchsorted(ly, 0.80)]
records.append(
    Record(
        claim="A8",
        quantity="share of revenue from the top 20% of customers",
        estimate=top20[0],
        ci_low=top20[1],
        ci_high=top20[2],
        planted=world.planted("spend.top20_share"),
        claimed=0.80,
        unit="fraction",
        method="Poisson-weight customer bootstrap, 1000 draws",
    )
)
records.append(
    Record(
        claim="A9",
        quantity="share of revenue from the top 10% of customers",
        estimate=top10[0],
        ci_low=top10[1],
        ci_high=top10[2],
        planted=None,
        claimed=None,
        unit="fraction",
        method="Poisson-weight customer bootstrap, 1000 draws",
    )
)
print(f"top 20 % of customers: {top20[0]:.1%} of revenue (95 % interval {top20[1]:.1%} to {top20[2]:.1%}); case: 80 %")
print(f"top 10 % of customers: {top10[0]:.1%} of revenue; 80 % of revenue needs the top {need80:.1%} of customers")
print(f"Gini coefficient of revenue across customers: {gini:.3f}")

# %%
fig, ax = plt.subplots(figsize=(9.5, 7))
ax.plot(100 * lx, 100 * ly, color=PAL["Dell"], label=f"Lorenz curve (Gini {gini:.2f})")
ax.plot([0, 100], [0, 100], color="#999999", ls=":", label="every customer equal")
ax.errorbar(
    [20],
    [100 * top20[0]],
    yerr=[[100 * (top20[0] - top20[1])], [100 * (top20[2] - top20[0])]],
    fmt="o",
    color=PAL["estimate"],
    capsize=6,
    ms=8,
    label="top 20 %: estimate (95 % CI)",
)
ax.scatter([20], [80], marker="x", s=120, color=PAL["claim"], zorder=4, label="case: 80 % (A8)")
ax.fill_between([17, 23], 67, 73, color=PAL["planted"], alpha=0.25, label="public record: 67-73 %")
ax.set_xlabel("customers, largest first (% of all customers)")
ax.set_ylabel("cumulative revenue (% of total)")
ax.set_title("A8: how concentrated is revenue?")
ax.set_xlim(0, 100)
ax.set_ylim(0, 102)
ax.legend(loc="lower right")
casebook.analysis.theme.source_note(ax)
plt.show()

# %%
PUBLIC_RECORD = (0.67, 0.73)  # the measured Pareto ratios cited above
case_in = top20[1] <= 0.80 <= top20[2]
public_in = top20[1] <= PUBLIC_RECORD[1] and PUBLIC_RECORD[0] <= top20[2]
if case_in and public_in:
    which_world = "is too wide to tell the case's world from the public record's"
elif case_in or public_in:
    which_world = (
        f"holds {'the case' if case_in else 'the public record'}'s value and excludes "
        f"{'the public record' if case_in else 'the case'}'s, so the question is not noise but which world we are in: "
        f"this one is {'the case' if case_in else 'the public record'}'s"
    )
else:
    closer = (
        "the case's 80 %"
        if abs(top20[0] - 0.80) < abs(top20[0] - np.mean(PUBLIC_RECORD))
        else "the public record's 67-73 %"
    )
    which_world = f"holds neither value; the estimate lies {'above' if top20[0] > 0.80 else 'below'} 80 % and is closer to {closer}"
display(
    Markdown(
        f"**Reading.** The Lorenz curve bows {'far ' if gini >= 0.5 else ''}above the diagonal (Gini {gini:.2f}): revenue "
        f"is {'highly concentrated' if gini >= 0.5 else 'concentrated, but moderately'}. The top 20 % of customers bring "
        f"{top20[0]:.1%} of revenue [{top20[1]:.1%}, {top20[2]:.1%}], against the case's 80 % and the public record's "
        f'67-73 %; the interval {which_world} (re-run with `overrides={{"spend.top20_share": 0.7}}` to see a '
        f'"public record" world). A9\'s sentence ("data mining finds the customers who bring 10 %-20 % of sales") '
        + (
            'reads best as "the 10-20 % of customers who bring most sales": '
            if top20[0] > 0.5
            else 'cannot be read as "the 10-20 % of customers who bring most sales" here: '
        )
        + f"the top tenth alone brings {top10[0]:.1%} of revenue, and 80 % of revenue needs the top {need80:.1%} of customers."
    )
)

# %% [markdown]
# ## 3 · The 2 × 2: price sensitivity and relationship orientation from behaviour (A3-A5)
#
# **Question.** The case (001) sorts customers on two axes, price sensitivity and willingness to build a
# relationship. T-type = the price-only and the "business-like" (公事公办) customers; R-type = the
# relationship-minded; key accounts are picked from R. Neither axis is a column in a CRM: we infer both
# from behaviour.
#
# * **Price sensitivity**: how many of a customer's orders used a promotion code, and how many chose the
#   budget CPU.
# * **Relationship orientation**: CRM contacts logged per year the customer was active, orders outside the
#   customer's main product line (breadth), extended 3-year warranties, and offline orders placed through a
#   sales rep rather than the phone desk.
#
# The tool is a **latent class model**: each customer belongs to one of two unobserved classes; given the
# class, each behaviour is a binomial count (k of n orders) or a Poisson count over an exposure; EM
# alternates between "which class is each customer probably in" and "what does each class do". The class
# prior is a logistic regression on log firm size, so "R-type customers are usually larger" (A5) is
# estimated inside the model. Key accounts are known R-type (their class is clamped), and rates may
# differ between small, large and key customers.
#
# One subtlety: contacts accrue only while a customer is active. Up to the last order we know it was; after
# that it either left or is still buying. We weigh the two exposures by P(still active) from an MBG/NBD
# purchase model (the BG/NBD in which a customer may also leave after the first order; notebook 02 teaches
# these models).

# %%
# per-customer behaviour, aggregated in DuckDB next to the Parquet files (no second copy of the orders)
beh = world.sql("""
    with per_line as (
        select customer_id, max(n) as main_line from (
            select customer_id, product_line, count(*) as n from orders group by 1, 2
        ) group by 1
    )
    select customer_id, count(*) as n_orders, sum(promo_code_used::int) as promo,
           sum((cpu_tier = 'budget')::int) as budget_cpu, sum((warranty_years = 3)::int) as warranty_3y,
           sum((channel in ('phone', 'sales_rep'))::int) as offline, sum((channel = 'sales_rep')::int) as via_rep,
           sum(units) as units, min(order_date) as first_order, max(order_date) as last_order,
           count(*) - any_value(main_line) as other_line
    from orders join per_line using (customer_id)
    group by customer_id order by customer_id
""").set_index("customer_id")
beh[["first_order", "last_order"]] = beh[["first_order", "last_order"]].astype(cust["acquisition_date"].dtype)
cust = cust.join(beh)
del beh  # memory: joined into `cust`
counts = ["n_orders", "promo", "budget_cpu", "warranty_3y", "offline", "via_rep", "units", "other_line"]
cust[counts] = cust[counts].fillna(0).astype(int)

# years in which contacts could accrue: from the first active day to the last order, or to the end if still active
first_active = cust["acquisition_date"].clip(lower=START)
last_seen = cust["last_order"].fillna(first_active)
years_to_last = (last_seen - first_active).dt.days / 365.25
years_to_end = (END - first_active).dt.days / 365.25
first = cust["first_order"].fillna(first_active)
p_alive, mbg = seg.fit_p_alive(
    np.maximum(cust["n_orders"] - 1, 0), (last_seen - first).dt.days / 365.25, (END - first).dt.days / 365.25
)
cust["p_alive"] = p_alive
log_emp = np.log(cust["employees"].to_numpy())
group = np.where(cust["key"], 2, np.where(cust["size_class"] == "large", 1, 0))  # small / large / key
known_R = np.where(cust["key"], 1.0, np.nan)

price_ind = [
    seg.Binomial(cust["promo"], cust["n_orders"], name="promotion used"),
    seg.Binomial(cust["budget_cpu"], cust["n_orders"], name="budget CPU chosen"),
]
rel_ind = [
    seg.Poisson(
        cust["crm_contacts_logged"],
        years_to_last,
        group,
        "CRM contacts per active year",
        exposure_alt=years_to_end,
        p_alt=cust["p_alive"],
    ),
    seg.Binomial(cust["other_line"], np.maximum(cust["n_orders"] - 1, 0), group, "order outside main line"),
    seg.Binomial(cust["warranty_3y"], cust["n_orders"], group, "3-year warranty"),
    seg.Binomial(cust["via_rep"], cust["offline"], group, "offline order via a sales rep"),
]
price_fit = seg.fit_latent_class(price_ind, covariates=log_emp)
rel_fit = seg.fit_latent_class(rel_ind, covariates=log_emp, known=known_R)
bic1 = {"price": seg.one_class_bic(price_ind), "relationship": seg.one_class_bic(rel_ind)}  # no latent structure
print(
    "purchase model for P(still active): "
    + ", ".join(f"{k}={v:.3g}" for k, v in mbg.items())
    + f"; mean P(still active) {cust['p_alive'].mean():.2f}"
)
print(
    f"price model: EM converged={price_fit.converged} in {price_fit.n_iter} iterations; BIC (up to a constant) 2 classes "
    f"{price_fit.bic:,.0f} vs 1 class {bic1['price']:,.0f}"
)
print(
    f"relationship model: EM converged={rel_fit.converged} in {rel_fit.n_iter} iterations; BIC (up to a constant) 2 classes "
    f"{rel_fit.bic:,.0f} vs 1 class {bic1['relationship']:,.0f}"
)
for fit, inds, classes in (
    (price_fit, price_ind, ["not price-sensitive", "price-sensitive"]),
    (rel_fit, rel_ind, ["transactional", "relationship-minded"]),
):
    rows = {}
    for ind, par in zip(inds, fit.params):
        for gi, gname in enumerate(["small", "large", "key"] if par.shape[1] == 3 else ["all"]):
            rows[(ind.name, gname)] = [np.nan if gname == "key" else par[0, gi], par[1, gi]]  # key accounts are all R
    print("\n" + pd.DataFrame(rows, index=classes).T.rename_axis(["indicator", "customers"]).round(3).to_string())

# %% [markdown]
# The class profiles above are what the model *learned*: chances per order (binomial indicators) and
# contacts per active year (Poisson), by class. Now the quantities the case talks about, with intervals
# from refitting the models on customer-resampled data (a seeded bootstrap, warm-started; customers with
# identical records are refitted as one weighted row). Above 100,000 customers the relationship model's
# refits draw 100,000 customers each (an *m-out-of-n* bootstrap) and the replicates' spread is rescaled by
# sqrt(m / n) to the full sample; the price model has few distinct patterns and resamples all customers.


# %%
def rel_stats(f, w):
    """Share relationship-minded, the size link in log-odds per s.d. of log employees, and the contact-rate
    ratios of the CRM-contacts indicator (classes T/R x groups small/large/key): R/T among small customers,
    large/small among T-type, key/R among large customers (A11). ``w``: how often each customer counts
    (1 for the fit itself, the resampling counts in the bootstrap)."""
    c = f.params[0]
    mean = np.average(log_emp, weights=w)
    sd = np.sqrt(np.average((log_emp - mean) ** 2, weights=w))
    return [f.share, f.coef[1] * sd, c[1, 0] / c[0, 0], c[0, 1] / c[0, 0], c[1, 2] / c[1, 1]]


boot_m = min(n, 100_000)  # customers per relationship-model refit (m-out-of-n above 100,000)
boot_note = "" if boot_m == n else f", {boot_m:,}-out-of-n rescaled"
rel_ci = seg.bootstrap_latent_class(
    rel_fit, rel_ind, rel_stats, covariates=log_emp, known=known_R, n_boot=100, seed=seed, m=boot_m
)
price_ci = seg.bootstrap_latent_class(
    price_fit, price_ind, lambda f, w: [f.share], covariates=log_emp, n_boot=100, seed=seed
)
rel_share, size_link, *contact_ratios = rel_stats(rel_fit, np.ones(n))
# memory: the indicators and their exposures are not needed after the bootstrap
del price_ind, rel_ind, inds, ind, years_to_last, years_to_end, last_seen, first, group, known_R
CONTACT_TERMS = (
    ("R / T, small customers", "contacts.relationship_multiplier"),
    ("large / small, T-type customers", "contacts.large_multiplier"),
    ("key / other R-type, large customers", "contacts.key_multiplier"),
)
for (what, key), est, (lo_, hi_) in zip(CONTACT_TERMS, contact_ratios, rel_ci[2:]):
    records.append(
        Record(
            claim="A11",
            quantity=f"CRM contacts per active year, {what}",
            estimate=est,
            ci_low=lo_,
            ci_high=hi_,
            planted=world.planted(key),
            claimed=None,
            unit="ratio of rates",
            method="latent class Poisson rates (EM), bootstrap 100" + boot_note,
        )
    )
records.append(
    Record(
        claim="A3",
        quantity="share of customers that are price-sensitive",
        estimate=price_fit.share,
        ci_low=price_ci[0][0],
        ci_high=price_ci[0][1],
        planted=world.planted("segments.price_sensitive_share"),
        claimed=None,
        unit="fraction",
        method="latent class model (EM), bootstrap 100",
    )
)
records.append(
    Record(
        claim="A3",
        quantity="share of customers relationship-minded",
        estimate=rel_share,
        ci_low=rel_ci[0][0],
        ci_high=rel_ci[0][1],
        planted=world.planted("segments.relationship_share"),
        claimed=None,
        unit="fraction",
        method="latent class model (EM), bootstrap 100" + boot_note,
    )
)
records.append(
    Record(
        claim="A5",
        quantity="R-type log-odds per s.d. of log employees",
        estimate=size_link,
        ci_low=rel_ci[1][0],
        ci_high=rel_ci[1][1],
        planted=world.planted("segments.relationship_size_link"),
        claimed=None,
        unit="log-odds per s.d.",
        method="latent class regression, bootstrap 100" + boot_note,
    )
)

cust["p_price"], cust["p_rel"] = price_fit.posterior, rel_fit.posterior
cust["price_sensitive"], cust["relationship"] = price_fit.classify(), rel_fit.classify()
cust["tier"] = np.where(cust["key"], "key", np.where(cust["relationship"], "R", "T"))
cust["quadrant"] = np.select(
    [
        cust["price_sensitive"] & cust["relationship"],
        cust["price_sensitive"] & ~cust["relationship"],
        ~cust["price_sensitive"] & cust["relationship"],
    ],
    ["price_relationship", "price_only", "relationship_only"],
    "business_like",
)
ps_given_R = float((cust["p_price"] * cust["p_rel"]).sum() / cust["p_rel"].sum())
ps_given_T = float((cust["p_price"] * (1 - cust["p_rel"])).sum() / (1 - cust["p_rel"]).sum())
records.append(
    Record(
        claim="A5",
        quantity="share of R-type that are price-sensitive",
        estimate=ps_given_R,
        ci_low=None,
        ci_high=None,
        planted=None,
        claimed=None,
        unit="fraction",
        method="posterior-weighted share",
    )
)
print(
    f"price-sensitive: {price_fit.share:.1%} [{price_ci[0, 0]:.1%}, {price_ci[0, 1]:.1%}]; "
    f"relationship-minded: {rel_share:.1%} [{rel_ci[0, 0]:.1%}, {rel_ci[0, 1]:.1%}]"
)
print(f"size link: {size_link:.2f} log-odds per s.d. of log employees [{rel_ci[1, 0]:.2f}, {rel_ci[1, 1]:.2f}]")
print(f"share price-sensitive among R-type: {ps_given_R:.1%}; among T-type: {ps_given_T:.1%}")
print(cust["tier"].value_counts().reindex(TIERS).rename("customers").to_string())

# %%
fig, axes = plt.subplots(1, 2, figsize=(15, 6))
ax = axes[0]
grid = pd.crosstab(cust["relationship"], cust["price_sensitive"], normalize="all").reindex(
    index=[True, False], columns=[False, True]
)
sns.heatmap(
    100 * grid,
    annot=True,
    fmt=".1f",
    cmap="Blues",
    cbar_kws={"label": "share of customers (%)"},
    ax=ax,
    xticklabels=["low", "high"],
    yticklabels=["high", "low"],
    annot_kws={"size": 16},
)
for (r, c), text in {
    (0, 0): "R: relationship only",
    (0, 1): "R: relationship + price",
    (1, 0): "T: business-like",
    (1, 1): "T: price only",
}.items():
    dark = grid.iloc[r, c] > 0.6 * grid.to_numpy().max()
    ax.text(c + 0.5, r + 0.78, text, ha="center", va="center", fontsize=12, color="white" if dark else "#333333")
ax.set_xlabel("price sensitivity (inferred)")
ax.set_ylabel("relationship orientation (inferred)")
ax.set_title("A3: the 2 × 2 from behaviour")
casebook.analysis.theme.source_note(ax, "Source: synthetic Dell world (casebook); key accounts counted as R")
ax = axes[1]
band = pd.cut(
    cust["employees"],
    [0, 1, 10, 50, 200, 1000, 5000, np.inf],
    labels=["1", "2-10", "11-50", "51-200", "201-1k", "1k-5k", ">5k"],
)
byband = cust.groupby(band, observed=True).agg(
    p_rel=("p_rel", "mean"), p_price=("p_price", "mean"), emp=("employees", "median")
)
ax.plot(range(len(byband)), 100 * byband["p_rel"], "o-", color=PAL["R"], label="relationship-minded (R axis)")
ax.plot(range(len(byband)), 100 * byband["p_price"], "s--", color=PAL["vendor"], label="price-sensitive (P axis)")
ax.set_xticks(range(len(byband)), byband.index)
ax.set_xlabel("firm size (employees; 1 = a household)")
ax.set_ylabel("customers (%, posterior mean)")
ax.set_ylim(0, 100)
ax.set_title("A5: R-type customers are larger")
ax.legend(loc="upper left")
casebook.analysis.theme.source_note(ax)
plt.tight_layout()
plt.show()

# %%
d_bic = {  # BIC of one class minus BIC of two (smaller is better): above 10 is very strong evidence for two
    "price": bic1["price"] - price_fit.bic,
    "relationship": bic1["relationship"] - rel_fit.bic,
}


def bic_words(d):
    return "by a wide margin" if d > 10 else "narrowly" if d > 0 else "not at all (it prefers one class)"


def band_label(b):
    return f"{b} employee{'' if b == '1' else 's'}"


by_size = cust.groupby("size_class")[["p_rel", "p_price"]].mean()
rel_trend = "rises" if rel_ci[1, 0] > 0 else "falls" if rel_ci[1, 1] < 0 else "shows no clear link"
price_trend = "falls" if byband["p_price"].iloc[-1] < byband["p_price"].iloc[0] else "rises"
both_clean = min(d_bic.values()) > 10
if ps_given_R >= 0.2:
    arbiter = (
        f"{'about half' if 0.4 <= ps_given_R <= 0.6 else 'far from zero'}: R-type customers come in both price "
        "flavours, as the first passage (and the 2 × 2 of A3) says"
    )
elif ps_given_R < 0.05:
    arbiter = "near zero: the second passage's definition fits this world"
else:
    arbiter = "a minority but not zero: neither passage fits cleanly"
display(
    Markdown(
        f"**Reading.** {'Both axes separate cleanly in behaviour' if both_clean else 'The two axes do not both separate cleanly in behaviour'}: "
        f"the BIC prefers two classes to one {bic_words(d_bic['price'])} for price sensitivity (by {d_bic['price']:,.0f}) and "
        f"{bic_words(d_bic['relationship'])} for relationship orientation (by {d_bic['relationship']:,.0f}). "
        f"{price_fit.share:.1%} [{price_ci[0, 0]:.1%}, {price_ci[0, 1]:.1%}] of customers are price-sensitive and "
        f"{rel_share:.1%} [{rel_ci[0, 0]:.1%}, {rel_ci[0, 1]:.1%}] relationship-minded. The share of R-type customers "
        f"{rel_trend} with firm size ({size_link:+.2f} log-odds per s.d. of log employees [{rel_ci[1, 0]:.2f}, {rel_ci[1, 1]:.2f}]; "
        f"{byband['p_rel'].iloc[0]:.0%} in the smallest size band ({band_label(byband.index[0])}), "
        f"{byband['p_rel'].iloc[-1]:.0%} in the largest ({band_label(byband.index[-1])})"
        + ('; A5: "usually larger"' if rel_trend == "rises" else "")
        + f"), and price sensitivity {price_trend} with size "
        f"({byband['p_price'].iloc[0]:.0%} to {byband['p_price'].iloc[-1]:.0%}). Large customers are "
        f"{by_size.loc['large', 'p_rel']:.0%} relationship-minded and {by_size.loc['large', 'p_price']:.0%} price-sensitive, "
        f"small ones {by_size.loc['small', 'p_rel']:.0%} and {by_size.loc['small', 'p_price']:.0%}.\n\n"
        "**The case texts contradict themselves on R-type customers (A5).** One passage of 001 says R-type customers "
        "care about relationship *as well as* price; a later passage defines R-type as relationship-minded and *not* "
        "price-sensitive, and even calls the business-like customers T-type. The data can arbitrate: if R meant "
        '"not price-sensitive", the price-sensitive share among R-type customers would be near zero. It is '
        f"{ps_given_R:.0%}, {arbiter}. It is {'lower' if ps_given_R < ps_given_T else 'higher'} than among T-type customers "
        f"({ps_given_T:.0%})"
        + (
            ", as expected when larger firms are both more often R-type and less often price-sensitive"
            if ps_given_R < ps_given_T and rel_trend == "rises" and price_trend == "falls"
            else ""
        )
        + ". Whom to invest in follows the relationship axis, not the price axis."
    )
)

# %% [markdown]
# ## 4 · RFM scores and k-means clusters
#
# **Question.** A data-mining team without the case's theory would start from recency, frequency and
# monetary value (RFM) and let a clustering algorithm find groups. Which groups does k-means find (k chosen
# by the silhouette), and do they line up with T, R and key accounts?

# %%
# the RFM table (what seg.rfm_table computes from an orders frame) from the per-customer aggregates
bought = cust["n_orders"] > 0
rfm = pd.DataFrame(
    {
        "recency_days": (END - cust.loc[bought, "last_order"]).dt.days.astype(float),
        "frequency": cust.loc[bought, "n_orders"].astype(float),
        "monetary": cust.loc[bought, "revenue"] / cust.loc[bought, "n_orders"],
    }
)
rfm_s = seg.rfm_scores(rfm)
X = StandardScaler().fit_transform(
    np.column_stack([np.log1p(rfm["recency_days"]), np.log(rfm["frequency"]), np.log(rfm["monetary"])])
)
best_k, silhouette = seg.choose_k_by_silhouette(X, range(2, 9), random_state=seed, n_init=2)
km = KMeans(n_clusters=best_k, n_init=4, random_state=seed).fit(X)
rfm["cluster"] = km.labels_
rfm = rfm.join(cust[["tier", "revenue"]])
# name clusters by their median monetary value (1 = highest)
rank = rfm.groupby("cluster")["monetary"].median().rank(ascending=False).astype(int)
rfm["cluster"] = rfm["cluster"].map(rank)
profile = rfm.groupby("cluster").agg(
    customers=("tier", "size"),
    recency_days=("recency_days", "median"),
    orders=("frequency", "median"),
    order_value_usd=("monetary", "median"),
    revenue=("revenue", "sum"),
)
profile["share_of_revenue"] = profile.pop("revenue") / rfm["revenue"].sum()
mixes = pd.crosstab(rfm["cluster"], rfm["tier"], normalize="index").reindex(columns=TIERS, fill_value=0)
ari_clusters = adjusted_rand_score(rfm["tier"], rfm["cluster"])
print("silhouette by k:", ", ".join(f"{k}: {s:.3f}" for k, s in silhouette.items()), f"-> k = {best_k}")
print(profile.join(mixes.add_prefix("share ")).round(3).to_string())
print(
    f"RFM score of the median key account: {rfm_s.loc[cust.index[cust['key']].intersection(rfm_s.index), 'RFM'].median():.0f}; "
    f"adjusted Rand index clusters vs inferred tiers: {ari_clusters:.2f}"
)

# %%
fig, axes = plt.subplots(1, 2, figsize=(15, 5.8))
ax = axes[0]
ax.plot(silhouette.index, silhouette.values, "o-", color=PAL["Dell"])
ax.axvline(best_k, color=PAL["claim"], ls="--", label=f"chosen k = {best_k}")
ax.set_xlabel("number of clusters k")
ax.set_ylabel("mean silhouette (unitless)")
ax.set_title("Choosing k by the silhouette")
ax.legend()
casebook.analysis.theme.source_note(ax)
ax = axes[1]
sample = rfm.sample(min(4000, len(rfm)), random_state=seed)
pal = sns.color_palette("colorblind", best_k)
for cl in sorted(sample["cluster"].unique()):
    d = sample[sample["cluster"] == cl]
    ax.scatter(
        d["frequency"] * np.exp(0.15 * np.random.default_rng(cl).standard_normal(len(d))),
        d["monetary"],
        s=10,
        alpha=0.5,
        color=pal[cl - 1],
        label=f"cluster {cl}",
    )
k = sample[sample["tier"] == "key"]
ax.scatter(k["frequency"], k["monetary"], s=60, facecolors="none", edgecolors=PAL["key"], lw=1.5, label="key accounts")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("orders 2000-2008 (log scale, jittered)")
ax.set_ylabel("mean order value (USD, log scale)")
ax.set_title("RFM clusters (sample of customers)")
ax.legend(markerscale=2, loc="upper right", fontsize=10)
casebook.analysis.theme.source_note(ax)
plt.tight_layout()
plt.show()

# %%
tier_spread = pd.crosstab(rfm["tier"], rfm["cluster"], normalize="index").reindex(index=TIERS).fillna(0)
n_used = (tier_spread >= 0.05).sum(axis=1)  # clusters holding at least 5 % of a tier


def clusters_of(t):
    return f"all {best_k} clusters" if n_used[t] == best_k else f"{n_used[t]} of the {best_k} clusters"


key_in_top = float(tier_spread.loc["key", 1]) if (rfm["tier"] == "key").any() else float("nan")
del rfm, rfm_s, X, sample  # memory: the RFM tables are summarised
display(
    Markdown(
        f"**Reading.** k-means on RFM finds {best_k} value-and-activity groups. Cluster 1, the one with the largest "
        f"orders (median {profile.loc[1, 'order_value_usd']:,.0f} USD), holds {key_in_top:.0%} of the key accounts with "
        f"orders and {profile.loc[1, 'share_of_revenue']:.0%} of revenue, but key accounts are only "
        f"{mixes.loc[1, 'key']:.0%} of its customers"
        f"{': it mixes them with other big spenders' if mixes.loc[1, 'key'] < 0.5 else ''}. T-type customers fall into "
        f"{clusters_of('T')} and R-type into {clusters_of('R')} (counting a cluster that holds at least 5 % of the tier; "
        f"no cluster holds more than {tier_spread.loc['T'].max():.0%} of the T-type or {tier_spread.loc['R'].max():.0%} of "
        "the R-type customers), and the "
        f"adjusted Rand index between clusters and tiers is {ari_clusters:.2f}: clusters and tiers "
        f"{'barely line up' if ari_clusters < 0.2 else 'line up in part' if ari_clusters < 0.5 else 'largely line up'}. "
        "RFM sees *how much and how recently* a customer buys, not *how it wants to be served*"
        + (
            ": the T/R split needs behavioural signals that RFM throws away. "
            if ari_clusters < 0.5
            else "; here value happens to track the tiers closely. "
        )
        + "Clusters are a good start for a value tier; the case's T/R/key split is a service model."
    )
)

# %% [markdown]
# ## 5 · What a key account is worth (A6) and what it costs to serve (A7)
#
# **Question.** The case says one key account is worth "tens or hundreds" of T- or R-type customers (A6),
# and that Dell puts most resources into them (A7: top sales team, custom installs, inventory tracking,
# online discounted purchasing). We compare revenue per customer-year (a customer counts from its first
# day in the window to its end) and the cost to serve, all from the records: discounts given (list value
# minus revenue; the cost of goods is booked at list value, so every point of discount is a point of
# margin), support tickets' cost, and CRM contacts' cost.

# %%
cust["years"] = ((END - first_active).dt.days + 1) / 365.25
cust["support_cost"] = tickets["cost_usd"].reindex(cust.index, fill_value=0.0)
cust["discount_usd"] = per_cust["discount_usd"].reindex(cust.index, fill_value=0.0)
cust["cogs"] = per_cust["cogs"].reindex(cust.index, fill_value=0.0)
online_orders = per_cust["online_orders"]  # for section 7; the rest of the per-customer sums are in `cust` now
del per_cust
tier_tab = (
    cust.groupby("tier")
    .agg(
        customers=("revenue", "size"),
        revenue=("revenue", "sum"),
        years=("years", "sum"),
        support=("support_cost", "sum"),
        contacts=("crm_contacts_logged", "sum"),
        contact_cost=("crm_contact_cost_usd", "sum"),
        cogs=("cogs", "sum"),
        discount=("discount_usd", "sum"),
        orders=("n_orders", "sum"),
        rep_orders=("via_rep", "sum"),
    )
    .reindex(TIERS)
)
per_year = tier_tab.div(tier_tab["years"], axis=0)
value = pd.DataFrame(
    {
        "revenue per customer-year (USD)": per_year["revenue"],
        "discounts given (USD/yr)": per_year["discount"],
        "gross margin (USD/yr)": per_year["revenue"] - per_year["cogs"],
        "support cost (USD/yr)": per_year["support"],
        "CRM contact cost (USD/yr)": per_year["contact_cost"],
        "margin after cost to serve (USD/yr)": per_year["revenue"]
        - per_year["cogs"]
        - per_year["support"]
        - per_year["contact_cost"],
        "CRM contacts per customer-year": per_year["contacts"],
        "orders via a sales rep (%)": 100 * tier_tab["rep_orders"] / tier_tab["orders"],
    }
)
# every ratio of sums of this section (value by tier, cost to serve) from one set of Poisson-weight draws
kflag = cust["key"].to_numpy()
small = (cust["size_class"] == "small").to_numpy()
cc = np.column_stack(
    [
        cust["crm_contact_cost_usd"] * small,
        cust["revenue"] * small,
        cust["crm_contact_cost_usd"] * kflag,
        cust["revenue"] * kflag,
        cust["crm_contacts_logged"] * small,
        cust["crm_contacts_logged"] * kflag,
    ]
)
tier_cols = np.column_stack(
    [cust[v] * (cust["tier"] == t) for t in TIERS for v in ("revenue", "years")]
)  # T, R, key: revenue and years


def per_year(t, i):
    """Revenue per customer-year of tier number ``i`` (T, R, key) from bootstrap sums ``t``."""
    return t[..., 2 * i] / t[..., 2 * i + 1]


sec5 = seg.poisson_bootstrap_many(
    np.column_stack([tier_cols, cc]),
    {
        "ratio": (lambda t: per_year(t, 2) / ((t[..., 0] + t[..., 2]) / (t[..., 1] + t[..., 3])), 1000),
        "vs_T": (lambda t: per_year(t, 2) / per_year(t, 0), 500),
        "vs_R": (lambda t: per_year(t, 2) / per_year(t, 1), 500),
        "serve_small": (lambda t: t[..., 6] / t[..., 7], 500),
        "serve_key": (lambda t: t[..., 8] / t[..., 9], 500),
        "serve_ratio": (lambda t: (t[..., 8] / t[..., 9]) / (t[..., 6] / t[..., 7]), 500),
        **{f"per_year_{t}": (lambda s, i=i: per_year(s, i), 300) for i, t in enumerate(TIERS)},
    },
    seed=seed,
)
ratio, vs_T, vs_R = (tuple(sec5[k]) for k in ("ratio", "vs_T", "vs_R"))
booked = cc.sum(axis=0)
del cc, tier_cols  # memory: the bootstrap columns are summed
records.append(
    Record(
        claim="A6",
        quantity="key-account annual value / T and R mean",
        estimate=ratio[0],
        ci_low=ratio[1],
        ci_high=ratio[2],
        planted=None,
        claimed=10.0,
        unit="ratio of mean value",
        method="revenue per customer-year, Poisson-weight customer bootstrap",
    )
)
# contract discounts (A7): ln(discount) of business orders without a promotion, regressed on what a
# negotiation would use; relationship orientation enters as the posterior P(R) of section 3
bo = world.sql("""
    select o.customer_id, o.order_date, o.discount_pct, o.units
    from orders o join customers c using (customer_id)
    where not o.promo_code_used and o.discount_pct > 0 and c.segment <> 'consumer'
    order by o.order_id
""")
bo = bo.assign(
    ln_disc=np.log(bo["discount_pct"]),
    log_emp=np.log(cust["employees"].reindex(bo["customer_id"]).to_numpy()),
    p_rel=cust["p_rel"].reindex(bo["customer_id"]).to_numpy(),
    key=cust["key"].reindex(bo["customer_id"]).to_numpy().astype(int),
    tenure=(bo["order_date"] - cust["acquisition_date"].reindex(bo["customer_id"]).to_numpy()).dt.days / 365.25,
    ln_units=np.log(bo["units"]),
)
# each account weighs the same (its orders share one negotiated effect), s.e. clustered by account
acct_w = 1.0 / bo.groupby("customer_id")["customer_id"].transform("size")
# = smf.wls("ln_disc ~ log_emp + p_rel + key + tenure + ln_units", data=bo, weights=acct_w), clustered by
# account; the design is built without patsy's formula machinery (a fraction of the memory at a million customers)
disc_fit = regression.ols(
    bo, "ln_disc", ["log_emp", "p_rel", "key", "tenure", "ln_units"], weights=acct_w, cluster="customer_id"
)
disc_ci = disc_fit.conf_int()
DISC_TERMS = {
    "log_emp": ("per ln(employees)", "spend.contract_discount_size"),
    "p_rel": ("relationship-minded", "spend.contract_discount_relationship"),
    "key": ("key account", "spend.contract_discount_key"),
    "tenure": ("per year of tenure", "spend.contract_discount_tenure"),
    "ln_units": ("per ln(units) of the order", "spend.contract_discount_volume"),
}
for term, (what, key) in DISC_TERMS.items():
    records.append(
        Record(
            claim="A7",
            quantity=f"contract discount, {what}",
            estimate=disc_fit.params[term],
            ci_low=disc_ci.loc[term, 0],
            ci_high=disc_ci.loc[term, 1],
            planted=world.planted(key),
            claimed=None,
            unit="log-points",
            method="WLS of ln(discount), accounts weighted equally, s.e. clustered by account",
        )
    )
# cost to serve (A7): CRM contact cost per USD of revenue, key accounts against small customers. The booked
# cost per contact is an accounting input (printed, not a record); what the firm's choices produce is how
# many contacts each customer draws and how much it buys, so the cost per USD of revenue is an outcome.
serve_small, serve_key, serve_ratio = sec5["serve_small"], sec5["serve_key"], sec5["serve_ratio"]
for what, iv in (("small customers", serve_small), ("key accounts", serve_key)):
    records.append(
        Record(
            claim="A7",
            quantity=f"cost to serve: CRM contact cost per USD of revenue, {what}",
            estimate=iv.estimate,
            ci_low=iv.low,
            ci_high=iv.high,
            planted=None,
            claimed=None,
            unit="USD per USD",
            method="ratio of sums over customers, Poisson-weight bootstrap 500",
        )
    )
records.append(
    Record(
        claim="A7",
        quantity="cost to serve per USD of revenue, key accounts / small customers",
        estimate=serve_ratio.estimate,
        ci_low=serve_ratio.low,
        ci_high=serve_ratio.high,
        planted=None,
        claimed=None,
        unit="ratio",
        method="ratio of sums over customers, Poisson-weight bootstrap 500",
    )
)
print(
    f"booked cost per CRM contact (accounting input): small customers {booked[0] / booked[4]:,.1f} USD, "
    f"key accounts {booked[2] / booked[5]:,.1f} USD; cost to serve per USD of revenue: small "
    f"{serve_small.estimate:.4f}, key {serve_key.estimate:.4f} ({serve_ratio.estimate:.2f}x)"
)
disc_tab = pd.DataFrame({"log-points": disc_fit.params, "95% low": disc_ci[0], "95% high": disc_ci[1]}).rename(
    index={"Intercept": "intercept", **{k: v[0] for k, v in DISC_TERMS.items()}}
)
print(
    f"a key account brings {ratio[0]:.1f}x the revenue per year of a T- or R-type customer "
    f"(95 % interval {ratio[1]:.1f} to {ratio[2]:.1f}); {vs_T[0]:.1f}x a T-type [{vs_T[1]:.1f}, {vs_T[2]:.1f}], "
    f"{vs_R[0]:.1f}x an R-type [{vs_R[1]:.1f}, {vs_R[2]:.1f}]"
)
print(f"contract-discount regression: {len(bo):,} orders of {bo['customer_id'].nunique():,} business accounts")
del bo, acct_w  # the order-level rows are no longer needed
value.style.format("{:,.1f}")

# %%
disc_tab.style.format("{:+.3f}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(15, 5.8))
ax = axes[0]
cis = {t: tuple(sec5[f"per_year_{t}"]) for t in TIERS}
est = np.array([cis[t][0] for t in TIERS])
err = np.array([[cis[t][0] - cis[t][1] for t in TIERS], [cis[t][2] - cis[t][0] for t in TIERS]])
ax.bar(TIERS, est, yerr=err, capsize=8, color=[TIER_COLOR[t] for t in TIERS])
ax.set_yscale("log")
ax.set_ylabel("revenue per customer-year (USD, log scale)")
ax.set_xlabel("tier (inferred)")
ax.set_title(f"A6: a key account ≈ {ratio[0]:.0f} T/R customers")
for i, t in enumerate(TIERS):
    ax.annotate(f"${est[i]:,.0f}", (i, cis[t][2]), xytext=(0, 6), textcoords="offset points", ha="center", fontsize=12)
ax.set_ylim(top=cis["key"][2] * 2)
ax.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
casebook.analysis.theme.source_note(ax)
ax = axes[1]
cost = value[["discounts given (USD/yr)", "support cost (USD/yr)", "CRM contact cost (USD/yr)"]]
xx = np.arange(len(TIERS))
for j, (col, color) in enumerate(zip(cost.columns, [PAL["vendor"], PAL["competitor"], PAL["Dell"]])):
    ax.bar(xx + 0.27 * (j - 1), cost[col], 0.27, color=color, label=col.split(" (")[0])
ax.set_xticks(xx, TIERS)
ax.set_yscale("log")
ax.set_xlabel("tier (inferred)")
ax.set_ylabel("USD per customer-year (log scale)")
ax.set_title("A7: cost to serve by tier")
ax.legend()
casebook.analysis.theme.source_note(ax)
plt.tight_layout()
plt.show()

# %%
biggest = cost.loc["key"].idxmax().split(" (")[0]
display(
    Markdown(
        f"**Reading.** A key account brings {ratio[0]:.1f}x [{ratio[1]:.1f}, {ratio[2]:.1f}] an ordinary customer's revenue "
        f'per year: {"hundreds" if ratio[0] >= 100 else "tens" if ratio[0] >= 10 else "less than ten"} (case: "tens or hundreds"). '
        f"Its contract discount is {np.expm1(disc_fit.params['key']):+.0%} deeper than a comparable account's, "
        f"{np.expm1(disc_fit.params['log_emp']):+.1%} per ln-unit of size and {np.expm1(disc_fit.params['tenure']):+.1%} per year "
        f"of tenure. Per customer-year a key account costs {cost.loc['key'].sum():,.0f} USD to serve against "
        f"{cost.loc['T'].sum():,.0f} USD for a T-type; the biggest line is {biggest}, and its margin after cost to serve "
        f"is {value.loc['key', 'margin after cost to serve (USD/yr)'] / max(value.loc['T', 'margin after cost to serve (USD/yr)'], 1e-9):.0f}x a T-type's."
    )
)

# %% [markdown]
# ## 6 · Quarterly rolling re-segmentation (A10)
#
# **Question.** Dell re-analyses customers every quarter (每个季度滚动分析客户). If we tier every customer at
# the end of each quarter using only what was known then, how many move between tiers, and what stays
# stable? Each quarter: customers with an order in the trailing four quarters are *active*; those who have
# bought before but not in the last year are *lapsed*. Active customers are tiered with the same rules:
# key if they appear in the sales pipeline by then, otherwise R or T by the
# relationship model refitted on their order history to date. (This world's CRM contact count is a
# lifetime total without dates, so the quarterly model uses order behaviour only.)

# %%
quarters = pd.period_range(START, END, freq="Q")
nq = len(quarters)
# each order's customer, quarter, product line and flags: narrow columns straight into numpy (no orders frame)
oq = con.execute(f"""
    with lines as (select product_line, (row_number() over (order by product_line) - 1)::tinyint as line
                   from (select distinct product_line from orders))
    select customer_id, ((year(order_date) - {START.year}) * 4 + quarter(order_date) - 1)::smallint as q, line,
           (warranty_years = 3) as warranty_3y, (channel in ('phone', 'sales_rep')) as offline,
           (channel = 'sales_rep') as via_rep
    from orders join lines using (product_line)
""").fetchnumpy()
q_order = np.argsort(oq["q"], kind="stable")  # orders quarter by quarter
q_start = np.searchsorted(oq["q"][q_order], np.arange(nq + 1))
q_pos = np.searchsorted(cust.index.to_numpy(), oq["customer_id"])[q_order]
q_line = oq["line"][q_order]  # int8: each order's product line
q_vals = {c: oq[c][q_order] for c in ("warranty_3y", "offline", "via_rep")}
n_lines = int(q_line.max()) + 1
del oq, q_order
pq_ = (
    (pipeline["created_date"].clip(lower=START).dt.year - START.year) * 4
    + pipeline["created_date"].clip(lower=START).dt.quarter
    - 1
)
pipe_pos, pipe_q = cust.index.get_indexer(pipeline["customer_id"]), np.minimum(pq_.to_numpy(), nq - 1)
large_grp = (cust["size_class"] == "large").to_numpy()

STATES = ["T", "R", "key", "lapsed"]
run = {c: np.zeros(n) for c in ("orders", *q_vals)}  # each customer's totals up to the current quarter
run_line = np.zeros(n * n_lines)  # orders per customer and product line, to find the main line
run_pipe = np.zeros(n)
orders_before = []  # running order totals of past quarters (for the trailing year)
# one column per quarter with a full trailing year, filled in place (no list of columns to stack)
tier_codes = np.empty((n, nq - 3), np.int8)
active_q, key_q, qlabels = np.empty((n, nq - 3), bool), np.empty((n, nq - 3), bool), []
post_prev = np.full(n, 0.25)  # warm start: each quarter's EM starts from the last quarter's posteriors
for q in range(nq):
    rows = slice(q_start[q], q_start[q + 1])
    run["orders"] += np.bincount(q_pos[rows], minlength=n)
    for c, v in q_vals.items():
        run[c] += np.bincount(q_pos[rows], weights=v[rows], minlength=n)
    run_line += np.bincount(q_pos[rows] * n_lines + q_line[rows], minlength=n * n_lines)
    run_pipe += np.bincount(pipe_pos[pipe_q == q], minlength=n)
    orders_before.append(run["orders"].copy())
    if q < 3:  # from the first quarter with a full trailing year
        continue
    active = (run["orders"] - (orders_before[q - 4] if q >= 4 else 0)) > 0
    is_key = run_pipe > 0
    a = np.flatnonzero(active)
    g = np.where(is_key[a], 2, large_grp[a].astype(int))
    nord = run["orders"][a]
    fit_q = seg.fit_latent_class(
        [
            seg.Binomial(
                nord - run_line.reshape(n, n_lines)[a].max(axis=1),
                np.maximum(nord - 1, 0),
                g,
                "order outside main line",
            ),
            seg.Binomial(run["warranty_3y"][a], nord, g, "3-year warranty"),
            seg.Binomial(run["via_rep"][a], run["offline"][a], g, "offline order via a sales rep"),
        ],
        covariates=log_emp[a],
        known=np.where(is_key[a], 1.0, np.nan),
        init=post_prev[a],
    )
    post_prev[a] = fit_q.posterior
    t = np.full(n, -1, np.int8)  # codes into STATES; -1: not yet a customer
    t[(run["orders"] > 0) & ~active] = 3
    t[a] = np.where(is_key[a], 2, np.where(fit_q.classify(), 1, 0))
    tier_codes[:, q - 3], active_q[:, q - 3], key_q[:, q - 3] = t, active, is_key & active
    qlabels.append(str(quarters[q]))
    if q >= 4:
        orders_before[q - 4] = None  # no longer needed
del q_pos, q_line, q_vals, run, run_line, orders_before
moves = seg.migration_counts(tier_codes, STATES)
moves_pct = 100 * moves.div(moves.sum(axis=1), axis=0)
rolling_key = seg.bootstrap_period_share(active_q, key_q, n_boot=500, seed=seed)
records.append(
    Record(
        claim="A10",
        quantity="key share of active base, mean of quarters",
        estimate=rolling_key[0],
        ci_low=rolling_key[1],
        ci_high=rolling_key[2],
        planted=None,
        claimed=None,
        unit="fraction",
        method="quarterly re-tiering, customer bootstrap",
    )
)
stay = moves.loc[TIERS, TIERS]
kept = float(np.trace(stay.to_numpy()) / stay.to_numpy().sum())
records.append(
    Record(
        claim="A10",
        quantity="active customers keeping tier next quarter",
        estimate=kept,
        ci_low=None,
        ci_high=None,
        planted=None,
        claimed=None,
        unit="fraction",
        method="pooled migration matrix",
    )
)
last_tier = np.array(STATES)[tier_codes[active_q[:, -1], -1]]
final_agree = float((last_tier == cust.loc[active_q[:, -1], "tier"].to_numpy()).mean())
print(f"{len(qlabels)} quarterly segmentations, {qlabels[0]} to {qlabels[-1]}")
print(
    f"key accounts among active customers, mean of quarters: {rolling_key[0]:.2%} [{rolling_key[1]:.2%}, {rolling_key[2]:.2%}]"
)
print(
    f"active customers (T, R, key) keeping their tier from one quarter to the next: {kept:.1%}; "
    f"last quarter's tiers agree with the full-history tiers for {final_agree:.1%} of active customers"
)
print("moves from one quarter to the next (% of row):")
print(moves_pct.round(1).to_string())

# %%
fig, axes = plt.subplots(1, 2, figsize=(15, 6), gridspec_kw={"width_ratios": [1.3, 1]})
ax = axes[0]
counts_q = pd.DataFrame({s: (tier_codes == k).sum(axis=0) for k, s in enumerate(STATES)}, index=qlabels)
xq = pd.PeriodIndex(counts_q.index, freq="Q").to_timestamp()
for s in STATES:
    ax.plot(
        xq, counts_q[s], color=TIER_COLOR[s] if s != "lapsed" else "#999999", label=s, ls="--" if s == "lapsed" else "-"
    )
ax.set_yscale("log")
ax.set_xlabel("quarter end")
ax.set_ylabel("customers (log scale)")
ax.set_title("A10: tiers re-estimated every quarter")
ax.legend(ncol=2)
casebook.analysis.theme.source_note(ax)
ax = axes[1]
sns.heatmap(
    moves_pct,
    annot=True,
    fmt=".0f",
    cmap="Blues",
    vmin=0,
    vmax=100,
    ax=ax,
    cbar_kws={"label": "% of customers in the row's tier"},
    annot_kws={"size": 14},
)
ax.set_xlabel("tier next quarter")
ax.set_ylabel("tier this quarter")
ax.set_title("Quarter-to-quarter migration")
casebook.analysis.theme.source_note(ax)
plt.tight_layout()
plt.show()

# %%
tr_flip = float((moves.loc["T", "R"] + moves.loc["R", "T"]) / (moves.loc["T"].sum() + moves.loc["R"].sum()))
to_lapsed = float(moves.loc[TIERS, "lapsed"].sum() / moves.loc[TIERS].to_numpy().sum())
key_left = float(moves.loc["key", ["T", "R"]].sum() / moves.loc["key"].sum())
display(
    Markdown(
        f"**Reading.** The key-account share of the active base averages {rolling_key[0]:.2%} "
        f"[{rolling_key[1]:.2%}, {rolling_key[2]:.2%}] over quarters; key accounts move to T or R in {key_left:.1%} of "
        f"quarter-to-quarter steps. Only {tr_flip:.1%} of T- and R-type customers switch between T and R from one quarter "
        f"to the next, while {to_lapsed:.1%} of active customers lapse: a quarterly rolling analysis (A10) mostly tracks "
        f"{'whether a customer is still buying' if to_lapsed > tr_flip else 'who a customer is'}. The last quarter's tiers "
        f"agree with the full-history tiers for {final_agree:.1%} of active customers."
    )
)

# %% [markdown] tags=["notes"]
# Part of the disagreement with the full-history tiers is by design: the full-history model also reads the CRM
# contacts, a lifetime total without dates that the quarterly model cannot use, so a customer whose relationship
# orientation shows mainly in its contacts can be tiered differently.

# %% [markdown]
# ## 7 · IDIC and lifetime-value segments: purchasing power and share of wallet (A11, A12)
#
# **Question.** Where does each IDIC step (Peppers, Rogers & Dorf 1999: identify, differentiate, interact,
# customize) show up in the records? And what can the records say about A12's two sales-planning numbers,
# a customer's **annual purchasing power** (客户年度购买力) and Dell's **share of wallet** (客户购买力占有率)?
# A CRM sees what a customer buys *from Dell*; what it buys from HP or Compaq is not in Dell's records. We
# therefore measure (i) annual purchases from Dell per customer, (ii) how many PCs per 100 employees a
# business customer buys from Dell a year (penetration: the lever behind share of wallet), and (iii) Dell's
# share of all PC units in the market panel, the one place where the whole wallet is visible.

# %%
variety = world.sql("""
    select customer_id, sum(n) as option_variety from (
        select customer_id, count(distinct product_line) as n from orders group by 1
        union all select customer_id, count(distinct cpu_tier) from orders group by 1
        union all select customer_id, count(distinct memory_mb) from orders group by 1
        union all select customer_id, count(distinct warranty_years) from orders group by 1
    ) group by 1 order by 1
""").set_index("customer_id")["option_variety"]
cust["option_variety"] = variety.reindex(cust.index, fill_value=0).astype(int)
cust["online_orders"] = online_orders.reindex(cust.index, fill_value=0)
del variety, online_orders
g = cust.groupby("tier")
idic = pd.DataFrame(
    {
        "Identify: named company (%)": 100 * g["company"].mean(),
        "Differentiate: revenue per year (USD)": g["revenue"].sum() / g["years"].sum(),
        "Interact: CRM contacts per year": g["crm_contacts_logged"].sum() / g["years"].sum(),
        "Interact: online orders (%)": 100 * g["online_orders"].sum() / g["n_orders"].sum(),
        "Customize: Premier page (%)": 100 * g["has_premier_page"].mean(),
        "Customize: option variety": g["option_variety"].mean(),
        "Dell PCs per year": g["units"].sum() / g["years"].sum(),
    }
).reindex(TIERS)
business = cust.loc[cust["segment"] != "consumer", ["employees", "units", "years"]]  # the columns used below
business["size_band"] = pd.cut(
    business["employees"],
    [0, 10, 50, 200, 1000, 5000, np.inf],
    labels=["1-10", "11-50", "51-200", "201-1k", "1k-5k", ">5k"],
)
bb = business.groupby("size_band", observed=True)
penetration = pd.DataFrame(
    {
        "customers": bb.size(),
        "Dell PCs per customer-year": bb["units"].sum() / bb["years"].sum(),
        "Dell PCs per 100 employees a year": 100
        * bb["units"].sum()
        / (business["employees"] * business["years"]).groupby(business["size_band"], observed=True).sum(),
    }
)
panel = world.table("market_panel", columns=["buyer_segment", "brand", "units"])
panel_share = (panel["units"] * (panel["brand"] == "Dell")).groupby(panel["buyer_segment"]).sum() / panel.groupby(
    "buyer_segment"
)["units"].sum()
# one row per panel purchase: linearised standard error of a ratio of sums (causal.weighted_share)
dell_units, _, dell_lo, dell_hi = causal.weighted_share(panel["brand"].eq("Dell").to_numpy(), panel["units"].to_numpy())
records.append(
    Record(
        claim="A12",
        quantity="Dell share of PC units bought (market panel)",
        estimate=dell_units,
        ci_low=dell_lo,
        ci_high=dell_hi,
        planted=None,
        claimed=None,
        unit="fraction",
        method="panel of PC buyers, 2000-2008; linearised (delta-method) interval",
    )
)
# share of wallet (A12): the buyer survey's stated PC budgets against the firm's revenue from the same
# customers in the survey year. Respondents were customers at the start of that year, so the share
# includes those who stopped buying from the firm during it (share of wallet 0 from then on).
survey = world.table("wallet_survey").set_index("customer_id")
SURVEY_YEAR = int(survey["survey_year"].iloc[0]) if len(survey) else END.year
rev_y = world.sql(
    f"select customer_id, sum(revenue) as revenue from orders where year(order_date) = {SURVEY_YEAR} "
    "group by 1 order by 1"
).set_index("customer_id")["revenue"]
survey = survey.assign(
    firm_revenue=rev_y.reindex(survey.index, fill_value=0.0),
    segment=cust["segment"].reindex(survey.index),
    p_rel=cust["p_rel"].reindex(survey.index),
)
# every share of wallet, and the R-over-T ratio (the same ratio weighted by P(R) and P(T)), from one set of
# Poisson-weight draws over the respondents
sow_segments = [s_name for s_name in seg_order if (survey["segment"] == s_name).sum() >= 20]
wallet_cols = [survey["firm_revenue"] * survey["p_rel"], survey["pc_budget_usd"] * survey["p_rel"]]
wallet_cols += [survey["firm_revenue"] * (1 - survey["p_rel"]), survey["pc_budget_usd"] * (1 - survey["p_rel"])]
for s_name in sow_segments:
    m = (survey["segment"] == s_name).to_numpy()
    wallet_cols += [survey["firm_revenue"] * m, survey["pc_budget_usd"] * m]
wallet_boot = seg.poisson_bootstrap_many(
    np.column_stack(wallet_cols),
    {
        "rt": (lambda t: (t[..., 0] / t[..., 1]) / (t[..., 2] / t[..., 3]), 500),
        **{s_name: (lambda t, j=4 + 2 * i: t[..., j] / t[..., j + 1], 500) for i, s_name in enumerate(sow_segments)},
    },
    seed=seed,
)
rt = wallet_boot["rt"]
sow = {s_name: wallet_boot[s_name] for s_name in sow_segments}
for s_name in sow_segments:
    records.append(
        Record(
            claim="A12",
            quantity=f"share of wallet, {s_name} (buyer survey {SURVEY_YEAR})",
            estimate=sow[s_name].estimate,
            ci_low=sow[s_name].low,
            ci_high=sow[s_name].high,
            planted=None,
            claimed=None,
            unit="fraction",
            method="firm revenue / stated PC budget, ratio of sums, Poisson-weight bootstrap 500",
            extra={"mechanism": "wallet.share_by_segment x wallet.relationship_lift, less churn within the year"},
        )
    )
wallet_tab = pd.DataFrame(
    {
        "respondents": survey.groupby("segment").size(),
        "median PC budget (USD/yr)": survey.groupby("segment")["pc_budget_usd"].median(),
        "share of wallet": pd.Series({k: v.estimate for k, v in sow.items()}),
        "95% low": pd.Series({k: v.low for k, v in sow.items()}),
        "95% high": pd.Series({k: v.high for k, v in sow.items()}),
    }
).reindex(seg_order)
print(idic.round(2).to_string())
print("\nbusiness and public customers by size:")
print(penetration.round(2).to_string())
print(
    "\nDell's share of PC units in the market panel: "
    + ", ".join(f"{k} {v:.1%}" for k, v in panel_share.items())
    + f"; all buyers {dell_units:.1%}"
)

# %%
fig, axes = plt.subplots(1, 2, figsize=(15, 5.8))
ax = axes[0]
ax.plot(range(len(penetration)), penetration["Dell PCs per 100 employees a year"], "o-", color=PAL["Dell"])
for i, v in enumerate(penetration["Dell PCs per customer-year"]):
    ax.annotate(
        f"{v:.0f} PCs/yr" if v >= 10 else f"{v:.1f} PCs/yr",
        (i, penetration.iloc[i, 2]),
        xytext=(6, 6),
        textcoords="offset points",
        fontsize=11,
        color="#444444",
    )
ax.set_xticks(range(len(penetration)), penetration.index)
ax.set_yscale("log")
ax.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:g}"))
ax.set_xlabel("firm size (employees)")
ax.set_ylabel("Dell PCs per 100 employees a year (log)")
ax.set_title("A12: Dell's penetration falls with firm size")
casebook.analysis.theme.source_note(ax, "Source: synthetic Dell world (casebook); business and public-sector customers")
ax = axes[1]
steps = idic[
    [
        "Interact: CRM contacts per year",
        "Interact: online orders (%)",
        "Customize: Premier page (%)",
        "Customize: option variety",
    ]
]
(steps / steps.max()).T.plot.barh(ax=ax, color=[TIER_COLOR[t] for t in TIERS])
ax.set_xlabel("relative to the highest tier (1 = highest)")
ax.set_title("A11: IDIC steps by tier")
ax.legend(title="tier", loc="upper left", bbox_to_anchor=(1.0, 1.0))
casebook.analysis.theme.source_note(ax)
plt.tight_layout()
plt.show()

# %%
wallet_tab.style.format(
    {
        "respondents": "{:,.0f}",
        "median PC budget (USD/yr)": "{:,.0f}",
        "share of wallet": "{:.1%}",
        "95% low": "{:.1%}",
        "95% high": "{:.1%}",
    }
)

# %%
lo_seg, hi_seg = min(sow, key=lambda k: sow[k].estimate), max(sow, key=lambda k: sow[k].estimate)
display(
    Markdown(
        f"**Reading.** Contacts per active year: R-type {contact_ratios[0]:.1f}x T-type, large {contact_ratios[1]:.1f}x small, "
        f"key accounts {contact_ratios[2]:.1f}x other large R-type customers (A11 *interact*). "
        f"In the {SURVEY_YEAR} buyer survey the firm's share of wallet is highest among {hi_seg.replace('_', ' ')} "
        f"({sow[hi_seg].estimate:.0%}) and lowest among {lo_seg.replace('_', ' ')} ({sow[lo_seg].estimate:.0%}); "
        f"relationship-minded customers give it {rt.estimate:.2f}x [{rt.low:.2f}, {rt.high:.2f}] the share transactional ones do"
        f"{' (no difference)' if rt.low <= 1 <= rt.high else ''}. "
        f"Purchasing power grows with size, so the {lo_seg.replace('_', ' ')} gap is where the growth is (A12)."
    )
)

# %% [markdown]
# ## 8 · Check against the truth
#
# Now, and only now, we open the planted truth: every customer's latent price sensitivity, relationship
# orientation and tier, and the scenario's planted values. How well did behaviour recover the tiers, and does a
# simple size rule (large customers = R, the largest = key, as many as we found) do as well?

# %%
TRUTH_COLUMNS = ["customer_id", "tier", "price_sensitive", "relationship_minded", "quadrant"]  # the ones used here
truth = world.table("truth", columns=TRUTH_COLUMNS).set_index("customer_id").reindex(cust.index)
ari = adjusted_rand_score(truth["tier"], cust["tier"])
n_key = int(cust["key"].sum())
size_rank = cust["employees"].rank(ascending=False, method="first")
size_tier = np.where(size_rank <= n_key, "key", np.where(cust["size_class"] == "large", "R", "T"))
ari_size = adjusted_rand_score(truth["tier"], size_tier)
acc = {
    "tier": float((truth["tier"] == cust["tier"]).mean()),
    "price": float((truth["price_sensitive"] == cust["price_sensitive"]).mean()),
    "relationship": float((truth["relationship_minded"] == cust["relationship"]).mean()),
    "quadrant": float((truth["quadrant"] == cust["quadrant"]).mean()),
}
records.append(
    Record(
        claim="A4",
        quantity="adjusted Rand index, inferred tiers vs truth",
        estimate=ari,
        ci_low=None,
        ci_high=None,
        planted=None,
        claimed=None,
        unit="index",
        method="latent classes + sales pipeline",
    )
)
records.append(
    Record(
        claim="A4",
        quantity="adjusted Rand index, size-only rule vs truth",
        estimate=ari_size,
        ci_low=None,
        ci_high=None,
        planted=None,
        claimed=None,
        unit="index",
        method="large = R, largest = key",
    )
)
print(f"adjusted Rand index vs planted tiers: inferred {ari:.3f}, size-only rule {ari_size:.3f}")
print("accuracy of the inferred labels: " + ", ".join(f"{k} {v:.1%}" for k, v in acc.items()))
check = pd.DataFrame(
    [
        {
            "claim": r.claim,
            "quantity": r.quantity,
            "estimate": r.estimate,
            "ci_low": r.ci_low,
            "ci_high": r.ci_high,
            "planted": r.planted,
            "inside": r.planted_inside,
        }
        for r in records
        if r.planted is not None
    ]
)
n_out = int((check["inside"] == False).sum())  # noqa: E712
realised = {
    "key-account share": float((truth["tier"] == "key").mean()),
    "relationship-minded share": float(truth["relationship_minded"].mean()),
    "price-sensitive share": float(truth["price_sensitive"].mean()),
}
print("realised in this world's truth table: " + ", ".join(f"{k} {v:.2%}" for k, v in realised.items()))
key_found = float((truth.loc[cust["key"], "tier"] == "key").mean()) if cust["key"].any() else float("nan")
key_recall = float(cust.loc[truth["tier"] == "key", "key"].mean())
misses = check.loc[check["inside"] == False, ["claim", "quantity", "estimate", "ci_low", "ci_high", "planted"]]  # noqa: E712
print(f"planted values outside their 95 % intervals: {len(misses)} of {len(check)}")
misses.style.format({"estimate": "{:.4g}", "ci_low": "{:.4g}", "ci_high": "{:.4g}", "planted": "{:.4g}"})

# %% tags=["notes"]
# every planted value beside its estimate (the slide shows the misses)
print(check.to_string(index=False, float_format=lambda v: f"{v:.4g}"))

# %%
fig, axes = plt.subplots(1, 2, figsize=(15, 5.8))
for ax, labels, title in (
    (axes[0], cust["tier"], f"inferred from behaviour (ARI {ari:.2f})"),
    (axes[1], pd.Series(size_tier, index=cust.index), f"size-only rule (ARI {ari_size:.2f})"),
):
    cm = pd.crosstab(truth["tier"], labels, normalize="index").reindex(index=TIERS, columns=TIERS, fill_value=0)
    sns.heatmap(
        100 * cm,
        annot=True,
        fmt=".0f",
        cmap="Blues",
        vmin=0,
        vmax=100,
        ax=ax,
        cbar_kws={"label": "% of the planted tier"},
        annot_kws={"size": 15},
    )
    ax.set_xlabel("assigned tier")
    ax.set_ylabel("planted tier")
    ax.set_title(title)
    casebook.analysis.theme.source_note(ax)
plt.tight_layout()
plt.show()

# %%
display(
    Markdown(
        f"**Reading.** Behaviour recovers the planted tiers "
        f"{'better' if ari > ari_size else 'no better'} than firm size does (adjusted Rand index {ari:.2f} against {ari_size:.2f}). "
        f"Pipeline entries find {key_recall:.0%} of the planted key accounts, and {key_found:.0%} of the customers they flag are key. "
        f"{len(check) - n_out} of {len(check)} planted values lie inside their 95 % intervals"
        + (
            "."
            if n_out == 0
            else "; the others ("
            + ", ".join(check.loc[check["inside"] == False, "quantity"])  # noqa: E712
            + ") are worth a discussion: estimator or generator?"
        )
    )
)

# %% [markdown] tags=["notes"]
# A planted value is an *expectation* of the generator: this world's realised shares (printed above) differ
# from it by sampling noise, which the intervals account for. The size link of A5 is planted per standard
# deviation of ln(employees) across customers, the unit the chapter estimates it in. The top-20 % share is
# calibrated with one spend-noise draw per order, as the orders are generated.

# %% [markdown]
# ## Key results

# %% tags=["nbval-check-output"]
write_results(results_path, records)
print(format_key_results(records))

# %% [markdown]
# ## Questions for students
#
# 1. The key accounts were found from the sales pipeline, not from discounts (every business account has a
#    contract price). What would go wrong if account teams logged opportunities for other large customers
#    too? Which other records (contacts, contact cost, Premier pages) could then reveal key accounts?
# 2. Re-run with `overrides={"segments.relationship_size_link": 0}`. Does the size-only rule get better or
#    worse at recovering tiers? What does that say about using firm size as a proxy for relationship orientation?
# 3. The case says a key account is worth "tens or hundreds" of ordinary customers. Which planted parameter
#    would you change to reach "hundreds", and what would that do to the top-20 % share?
# 4. The two passages of the case define R-type differently (A5). Using the 2 × 2, say which customers each
#    definition would invest in, and which customers the second definition leaves unserved.
# 5. The migration matrix shows how many active customers switch between T and R from one quarter to the next.
#    If that share were large, what rule would you propose (e.g. hysteresis: move only after two quarters of
#    evidence), and how would you test it on these records? If it is small, what moves instead?
# 6. A true share of wallet needs each customer's purchases from every brand. Which records or surveys would
#    Dell need, and how would you combine them with the market panel?

# %%
print(f"python {sys.version.split()[0]}")
for mod in (np, pd, scipy, statsmodels, sklearn, matplotlib, sns, synthetic):
    print(f"{mod.__name__} {getattr(mod, '__version__', 'n/a')}")
# the exercises below load the world themselves: the chapter's customer-level tables can go
del cust, tickets, truth, business, large, survey, panel, g, bb, band, bought, size_rank, size_tier
del tier_codes, active_q, key_q, lx, ly, rev, last_tier, first_active, p_alive
del price_fit, rel_fit, fit_q, post_prev, run_pipe, pipe_pos, large_grp, kflag, small, t, active, is_key, a, nord
del rev_y, km

# %% [markdown]
# ## Exercises
#
# Each exercise is checked against **your** world: replace `...` with your answer, run the cell, then run the
# check below it. It prints ✓ when your answer is right for the world these parameters load, or ✗ with a hint.
# The exercises load the world themselves (`ex_world`), so they run on their own after the parameters cell.
# Fractions are answered as `0.25`, not `25 %`. Work in your own world with
# `python -m casebook build --student YOUR_ID`, or set `seed` to `casebook.course.student_seed("YOUR_ID")`.

# %% tags=["exercise"]
import synthetic
from casebook.course import answer_key, check

ex_world = synthetic.load(scenario=scenario, seed=seed, n_customers=n_customers, overrides=overrides, data_dir=data_dir)
print(f"exercises use the world: scenario {scenario}, seed {seed}, {n_customers:,} customers, overrides {overrides}")

# %% [markdown] tags=["exercise"]
# **01.1 (quick).** What share of your customers are *large* (segment `large_enterprise` or
# `public_sector`)? It is in the Key results (A1); check it with one line of pandas.

# %% tags=["student"]
answer = ...  # your answer

# %% tags=["solution"]
seg = ex_world.table("customers", columns=["segment"])["segment"]
answer = seg.isin(["large_enterprise", "public_sector"]).mean()

# %% tags=["check"]
check(
    "01.1 large customers",
    answer,
    expected=answer_key("01.1", ex_world),
    tol=0.002,
    hint="large = segment large_enterprise or public_sector; divide by all customers (a fraction)",
)

# %% [markdown] tags=["exercise"]
# **01.2.** What share of 2000–2008 revenue came from the top 20 % of customers? Rank *all* customers by
# their revenue (customers who never ordered count with 0) and take the first 20 % of them (rounded down).

# %% tags=["student"]
answer = ...  # your answer

# %% tags=["solution"]
cust = ex_world.table("customers", columns=["customer_id"])
rev = ex_world.table("orders", columns=["customer_id", "revenue"]).groupby("customer_id")["revenue"].sum()
rev = rev.reindex(cust["customer_id"], fill_value=0.0).sort_values(ascending=False)
answer = rev.iloc[: int(0.2 * len(rev))].sum() / rev.sum()

# %% tags=["check"]
check(
    "01.2 top-20 % revenue share",
    answer,
    expected=answer_key("01.2", ex_world),
    tol=0.005,
    hint="sum revenue per customer (0 for customers without orders), sort descending, divide the top 20 % by the total",
)

# %% [markdown] tags=["exercise"]
# **01.3.** Key accounts buy at negotiated contract prices: a discount on an order *without* a promotion
# code. How many customers have at least one such order?

# %% tags=["student"]
answer = ...  # your answer

# %% tags=["solution"]
o = ex_world.table("orders", columns=["customer_id", "promo_code_used", "discount_pct"])
answer = o.loc[~o["promo_code_used"] & (o["discount_pct"] > 0), "customer_id"].nunique()

# %% tags=["check"]
check(
    "01.3 contract-price customers",
    answer,
    expected=answer_key("01.3", ex_world),
    hint="keep orders with promo_code_used false and discount_pct above 0, then count distinct customer_id",
)

# %% [markdown] tags=["exercise"]
# **01.4.** How many times as much revenue does the average large customer bring as the average small
# one (2000–2008, all customers, 0 for those without orders)?

# %% tags=["student"]
answer = ...  # your answer

# %% tags=["solution"]
cust = ex_world.table("customers", columns=["customer_id", "segment"]).set_index("customer_id")
cust["revenue"] = ex_world.table("orders", columns=["customer_id", "revenue"]).groupby("customer_id")["revenue"].sum()
cust["revenue"] = cust["revenue"].fillna(0.0)
mean_rev = cust.groupby(cust["segment"].isin(["large_enterprise", "public_sector"]))["revenue"].mean()
answer = mean_rev[True] / mean_rev[False]

# %% tags=["check"]
check(
    "01.4 large vs small revenue",
    answer,
    expected=answer_key("01.4", ex_world),
    rel=0.01,
    hint="mean revenue per customer within each size class (customers without orders count as 0), then divide large by small",
)

# %% [markdown] tags=["exercise"]
# **01.5 (open).** Load your world again with `overrides={**overrides, "spend.top20_share": 0.6}`. What is the
# top-20 % revenue share there (as in 01.2)? The override changes no revenue number directly: which mechanism
# does the generator change to reach it, and what happens to the key accounts' value (A6)?

# %% tags=["student"]
answer = ...  # your answer

# %% tags=["solution"]
world_b = synthetic.load(
    scenario=scenario,
    seed=seed,
    n_customers=n_customers,
    overrides={**overrides, "spend.top20_share": 0.6},
    data_dir=data_dir,
)


def top20(w):
    ids = w.table("customers", columns=["customer_id"])["customer_id"]
    r = w.table("orders", columns=["customer_id", "revenue"]).groupby("customer_id")["revenue"].sum()
    r = r.reindex(ids, fill_value=0.0).sort_values(ascending=False)
    return r.iloc[: int(0.2 * len(r))].sum() / r.sum()


answer = top20(world_b)
mine = top20(ex_world)
less = answer < mine
print(
    f"top-20 % share: {mine:.1%} in your world, {answer:.1%} in the re-run. The generator solves for "
    f"a {'less' if less else 'more'} dispersed spend level per customer (the cause), so revenue is "
    f"{'less' if less else 'more'} concentrated and a key account should be worth {'fewer' if less else 'more'} "
    "ordinary customers."
)

# %% tags=["check"]
check(
    "01.5 top-20 % share, re-run",
    answer,
    expected=answer_key("01.5", ex_world),
    tol=0.005,
    hint="load the world with the override, then repeat 01.2 on it",
)
