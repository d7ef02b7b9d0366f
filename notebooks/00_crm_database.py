# %% [markdown]
# # 00 · The CRM database: one customer, every department
#
# The case's first idea of CRM is not a model but a database: one central, unified store of customer
# information (集中统一的客户信息数据库) that sales, support, marketing and manufacturing all read, so that
# whoever talks to a customer sees the same history. Every later chapter works on that database. **What is
# in it, how do its tables fit together, and how does a student answer the first questions a manager asks
# ("who are our largest customers?", "what did this customer buy and ask support?", "how many orders
# come in online?") with a few lines of SQL?** Each query is shown beside its pandas equivalent, and both
# must give the same answer.
#
# Claims reproduced (ids from the case facts): **A1** small vs large customers, here computed in SQL from
# the customer table and the order lines.
#
# The world is synthetic: a generator planted the mechanisms (who the customers are, how they buy, how
# support treats them). DuckDB reads the generated Parquet files in place; nothing is copied into a server.

# %% tags=["parameters"]
seed: int = 7  # random seed of the synthetic world
n_customers: int = 20_000  # customers in the world (classroom size)
scenario: str = "case"  # preset: "case" (the case texts) or "history" (the public record)
overrides: dict = {}  # dotted-key scenario overrides, e.g. {"channels.online_revenue_share": 0.5}
data_dir: str = "../data"  # where generated worlds are cached (relative to notebooks/)
results_path: str = "../build/results/00_crm_database.json"  # where this chapter writes its results records

# %%
import sys

import duckdb
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display

import casebook.analysis.theme
import synthetic
from casebook.analysis import intervals
from casebook.analysis.params import check_parameters
from casebook.analysis.results import Record, format_key_results, write_results
from synthetic.schema import TABLES

scenario_obj = check_parameters(seed, n_customers, scenario, overrides, data_dir, results_path)
casebook.analysis.theme.use()
PAL = casebook.analysis.theme.PALETTE
records: list[Record] = []

world = synthetic.load(scenario=scenario, seed=seed, n_customers=n_customers, overrides=overrides, data_dir=data_dir)
con = world.connect()  # a read-only DuckDB connection: one view per table, over the Parquet files
print(world)

# %% [markdown]
# ## 1 · The tables and their keys
#
# A CRM database is a set of tables joined by keys. A **primary key** names one row (one customer, one order);
# a **foreign key** in another table points at it (an order's `customer_id`). The generator declares every
# column in `synthetic/schema.py`; the keys are not written down there, so we derive them and then *check*
# them against the data: a key is a claim about the rows, and SQL can test it.
#
# Rule used below: a table's primary key is the shortest run of its leading columns whose values are unique
# (checked with `count(distinct ...)`); a column elsewhere with the name of another table's one-column key is a
# foreign key to it, and it holds if no row points at a key that does not exist (an *orphan*).

# %%
rows = {name: con.execute(f"select count(*) from {name}").fetchone()[0] for name in TABLES}


def primary_key(table: str) -> list[str]:
    """The shortest run of leading columns that is unique in ``table`` (checked in SQL)."""
    cols = [c.name for c in TABLES[table][1]]
    for k in range(1, len(cols) + 1):
        key = ", ".join(cols[:k])
        if con.execute(f"select count(distinct ({key})) from {table}").fetchone()[0] == rows[table]:
            return cols[:k]
    return cols


pk = {name: primary_key(name) for name in TABLES}
owner: dict[str, str] = {}  # key column -> the first table it identifies (later ones extend that table 1:1)
for name, key in pk.items():
    if len(key) == 1:
        owner.setdefault(key[0], name)

links = []  # (child table, column, parent table, kind)
for name, (_, cols) in TABLES.items():
    for c in cols:
        parent = owner.get(c.name)
        if parent is None or parent == name:
            continue
        kind = "1:1 extension" if pk[name] == [c.name] else "many-to-one"
        orphans = con.execute(
            f"select count(*) from {name} x anti join {parent} p on x.{c.name} = p.{c.name} where x.{c.name} is not null"
        ).fetchone()[0]
        links.append((name, c.name, parent, kind, orphans))

keys = pd.DataFrame(
    {
        "rows": pd.Series(rows),
        "primary key": pd.Series({n: ", ".join(k) for n, k in pk.items()}),
        "foreign keys": pd.Series(
            {n: ", ".join(f"{col} → {par}" for ch, col, par, kind, _ in links if ch == n) for n in TABLES}
        ),
    }
)
keys.index.name = "table"
links_df = pd.DataFrame(links, columns=["table", "column", "references", "kind", "orphans"])
display(keys.style.format({"rows": "{:,}"}))

# %%
depth = {name: 0 for name in TABLES}  # column of the diagram: 1 + the deepest table it points at
for _ in TABLES:
    for child, _col, parent, _kind, _ in links:
        depth[child] = max(depth[child], depth[parent] + 1)
linked = {t for link in links for t in (link[0], link[2])}
levels: dict[int, list[str]] = {}
for name in TABLES:
    levels.setdefault(depth[name] if name in linked else max(depth.values()) + 1, []).append(name)

box_w, line_h, gap, pos, bottom = 0.4, 0.034, 0.07, {}, 1.0
fig, ax = plt.subplots(figsize=(17, 8))
for level, names in levels.items():
    y = 0.97
    for name in names:
        lines = [f"PK {', '.join(pk[name])}"] + [f"FK {col} → {par}" for ch, col, par, _k, _ in links if ch == name]
        h = line_h * (len(lines) + 1.4)
        x = 0.01 + level * (box_w + gap)
        ax.add_patch(
            plt.Rectangle(
                (x, y - h),
                box_w,
                h,
                fc="#F2F2F2" if name not in linked else "#E6F1FA",
                ec=PAL["Dell"],
                lw=1.2,
                zorder=2,
            )
        )
        ax.text(x + 0.01, y - 0.8 * line_h, f"{name}  ({rows[name]:,} rows)", fontsize=10.5, weight="bold", va="center")
        for i, text in enumerate(lines):
            ax.text(x + 0.014, y - (i + 1.9) * line_h, text, fontsize=9, va="center", family="monospace", zorder=3)
            if text.startswith("FK"):
                pos[(name, text.split()[1])] = (x, y - (i + 1.9) * line_h)
        pos[name] = (x, y - 1.9 * line_h)  # the PK line
        y -= h + 0.04
        bottom = min(bottom, y)
for child, col, parent, kind, _ in links:
    (xc, yc), (xp, yp) = pos[(child, col)], pos[parent]
    ax.annotate(
        "",
        xy=(xp + box_w, yp),
        xytext=(xc, yc),
        zorder=1,
        arrowprops={
            "arrowstyle": "-|>",
            "color": PAL["vendor"] if kind == "1:1 extension" else "#555555",
            "lw": 1.1,
            "shrinkA": 0,
            "shrinkB": 0,
            "connectionstyle": "arc3,rad=0.12",
        },
    )
ax.set_xlim(0, 0.02 + len(levels) * (box_w + gap))
ax.set_ylim(bottom - 0.06, 1.0)
ax.axis("off")
ax.set_title("The CRM database: tables, primary keys (PK) and foreign keys (FK → table)")
ax.text(
    0.01,
    bottom - 0.02,
    "Arrows run from a foreign key to the table it identifies (orange: a 1:1 extension of that table). "
    "Grey boxes join the others by date, brand or category, not by key.",
    fontsize=9.5,
)
casebook.analysis.theme.source_note(ax, "Source: synthetic/schema.py and the generated world (casebook)")
plt.show()

# %%
n_orphans = int(links_df["orphans"].sum())
standalone = [n for n in TABLES if n not in linked]
display(
    Markdown(
        f"**Reading.** The world holds {len(TABLES)} tables and {sum(rows.values()):,} rows. "
        f"{len(links)} foreign keys join them, and "
        + (
            "every one holds: no row points at a key that does not exist."
            if n_orphans == 0
            else f"{n_orphans:,} rows point at keys that do not exist: those joins lose rows."
        )
        + f" `customers` is the hub ({sum(par == 'customers' for _, _, par, _, _ in links)} tables point at it); "
        f"{', '.join(f'`{n}`' for n in standalone)} stand alone and are joined by date, brand or category."
    )
)

# %% [markdown]
# ## 2 · The customer 360: one row per customer, from every department
#
# The "single view of the customer" is one SQL query: aggregate each department's table per customer *first*,
# then join the aggregates to `customers`. Joining the raw tables first is the classic mistake: a customer with
# 5 orders and 3 tickets becomes 15 rows, and every sum is inflated (the *fan-out* trap, measured below).
# We keep its result as a temporary table: a SQL *view* would re-run every aggregate each time a later query
# reads it, a table is computed once (DuckDB keeps it in memory until the connection closes).
#
# Each pandas twin reads only the columns and rows it needs (`pd.read_parquet(..., filters=...)` pushes the row
# filter into the Parquet scan). Above 200,000 customers the twins run on the first 200,000 customers only, and are
# compared with SQL run on those same customers; the SQL tables and figures always cover every customer.

# %%
CUSTOMER_360 = """
create or replace temp table customer_360 as
with o as (
    select customer_id, count(*) as orders, sum(units) as pcs, sum(revenue) as revenue,
           min(order_date) as first_order, max(order_date) as last_order,
           avg(case when channel in ('web', 'premier') then 1.0 else 0.0 end) as online_share
    from orders group by customer_id),
t as (
    select customer_id, count(*) as tickets, avg(csat) as mean_csat,
           avg(case when handler = 'vendor' then 1.0 else 0.0 end) as vendor_share
    from support_tickets group by customer_id),
c as (select customer_id, count(*) as complaints from complaints group by customer_id),
p as (select customer_id, count(*) as opportunities from sales_pipeline group by customer_id)
select cu.customer_id, cu.company, cu.segment, cu.region, cu.employees, cu.has_premier_page,
       cu.crm_contacts_logged,
       coalesce(o.orders, 0) as orders, coalesce(o.pcs, 0) as pcs, coalesce(o.revenue, 0) as revenue,
       o.first_order, o.last_order, o.online_share,
       coalesce(t.tickets, 0) as tickets, t.mean_csat, t.vendor_share,
       coalesce(c.complaints, 0) as complaints, coalesce(p.opportunities, 0) as opportunities
from customers cu
left join o using (customer_id) left join t using (customer_id)
left join c using (customer_id) left join p using (customer_id)
"""
con.execute(CUSTOMER_360)
c360 = con.execute("select * from customer_360 order by customer_id").df()
naive = con.execute("select sum(o.revenue) from orders o left join support_tickets t using (customer_id)").fetchone()[0]
true_rev = con.execute("select sum(revenue) from orders").fetchone()[0]

# the same view in pandas: read only the columns (and rows) it needs, aggregate per customer, then merge. Above
# PANDAS_CUSTOMERS customers the pandas twins run on the first PANDAS_CUSTOMERS customers (a Parquet filter on
# customer_id, so the other rows are never loaded) and are compared with SQL on those same customers.
PANDAS_CUSTOMERS = 200_000
last_id = int(c360["customer_id"].iloc[min(len(c360), PANDAS_CUSTOMERS) - 1])
pandas_scope = (
    ""
    if last_id == int(c360["customer_id"].iloc[-1])
    else f" (pandas ran on the first {PANDAS_CUSTOMERS:,} customers and is compared with SQL on the same customers)"
)


def read(table: str, columns: list[str], filters: list[tuple]) -> pd.DataFrame:
    """Read ``columns`` of ``table`` from its Parquet files, only the rows that pass ``filters`` (dates as datetime64)."""
    return pd.read_parquet(
        world.path / table, columns=columns, filters=filters, to_pandas_kwargs={"date_as_object": False}
    )


first_customers = [("customer_id", "<=", last_id)]
customers = read(
    "customers",
    ["customer_id", "company", "segment", "region", "employees", "has_premier_page", "crm_contacts_logged"],
    first_customers,
)
orders = read("orders", ["order_id", "customer_id", "order_date", "channel", "units", "revenue"], first_customers)
tickets = read("support_tickets", ["ticket_id", "customer_id", "handler", "csat"], first_customers)
complaints = read("complaints", ["ticket_id", "customer_id", "category"], first_customers)
pipeline = read("sales_pipeline", ["customer_id"], first_customers)
o = (
    orders.assign(online=orders["channel"].isin(["web", "premier"]).astype(float))
    .groupby("customer_id")
    .agg(
        orders=("order_id", "size"),
        pcs=("units", "sum"),
        revenue=("revenue", "sum"),
        first_order=("order_date", "min"),
        last_order=("order_date", "max"),
        online_share=("online", "mean"),
    )
)
t = (
    tickets.assign(vendor=(tickets["handler"] == "vendor").astype(float))
    .groupby("customer_id")
    .agg(tickets=("ticket_id", "size"), mean_csat=("csat", "mean"), vendor_share=("vendor", "mean"))
)
c360_pd = (
    customers.merge(o, on="customer_id", how="left")
    .merge(t, on="customer_id", how="left")
    .merge(complaints.groupby("customer_id").size().rename("complaints"), on="customer_id", how="left")
    .merge(pipeline.groupby("customer_id").size().rename("opportunities"), on="customer_id", how="left")
    .fillna({"orders": 0, "pcs": 0, "revenue": 0.0, "tickets": 0, "complaints": 0, "opportunities": 0})
    .sort_values("customer_id", ignore_index=True)
)
del customers, o, t, tickets, complaints, pipeline
numeric = ["orders", "pcs", "revenue", "tickets", "mean_csat", "complaints", "opportunities"]
c360_first = c360[c360["customer_id"] <= last_id]
same_360 = len(c360_first) == len(c360_pd) and np.allclose(
    c360_first[numeric].astype(float), c360_pd[numeric].astype(float), equal_nan=True
)
del c360_first

top_id = int(c360.sort_values(["revenue", "customer_id"], ascending=[False, True])["customer_id"].iloc[0])
display(
    c360.set_index("customer_id")
    .loc[[top_id]]
    .T.style.set_caption(f"Customer 360 of customer {top_id}, the largest by revenue")
)

# %%
display(
    Markdown(
        f"**Reading.** The view has one row for each of the {len(c360):,} customers, and the pandas version{pandas_scope} "
        + ("gives the same numbers." if same_360 else "**differs** from it: look for a join that lost or doubled rows.")
        + f" Joining orders to tickets *before* aggregating would have reported revenue of USD {naive / 1e6:,.1f} M "
        f"instead of USD {true_rev / 1e6:,.1f} M ({naive / true_rev:.1f} times too much): the fan-out trap. "
        f"Customer {top_id} is shown above as every department would see them."
    )
)

# %% [markdown]
# ## 3 · First questions in SQL, with the pandas equivalent
#
# **Who are our largest customers?** Revenue 2000–2008 per customer, from the 360 view. In pandas the same
# question is `nlargest` on the merged frame.

# %%
top_sql = con.execute(
    """
    select customer_id, company, segment, employees, orders, revenue, tickets, complaints
    from customer_360 order by revenue desc, customer_id limit 10
    """
).df()
top_pd = c360_pd.sort_values(["revenue", "customer_id"], ascending=[False, True]).head(10)
top_sql_first = con.execute(  # the same query on the customers pandas read
    "select customer_id from customer_360 where customer_id <= ? order by revenue desc, customer_id limit 10", [last_id]
).df()
same_top = top_sql_first["customer_id"].tolist() == top_pd["customer_id"].tolist()
top_share = top_sql["revenue"].sum() / true_rev
display(
    top_sql.style.format({"revenue": "USD {:,.0f}", "employees": "{:,}"}).set_caption(
        "The ten largest customers, 2000-2008 (SQL)"
    )
)
display(
    Markdown(
        f"**Reading.** The ten largest customers ({', '.join(sorted(set(top_sql['segment'])))}) bought "
        f"{top_share:.1%} of all revenue. SQL and pandas{pandas_scope} "
        + ("list the same ten customers in the same order." if same_top else "**disagree** on the list.")
    )
)

# %% [markdown]
# **What did one customer buy, and what did they ask support?** The largest customer's orders per year and
# their support tickets, each ticket with the complaint it escalated into, if any (a left join keeps tickets
# without complaints).

# %%
bought_sql = con.execute(
    """
    select year(order_date) as year, count(*) as orders, sum(units) as pcs, sum(revenue) as revenue,
           string_agg(distinct product_line, ', ' order by product_line) as product_lines
    from orders where customer_id = ? group by 1 order by 1
    """,
    [top_id],
).df()
asked_sql = con.execute(
    """
    select t.opened_date, t.contact_channel, t.handler, t.wait_minutes, t.resolved_first_contact, t.csat,
           c.category as complaint
    from support_tickets t left join complaints c using (ticket_id)
    where t.customer_id = ? order by t.opened_date, t.ticket_id
    """,
    [top_id],
).df()
mine = read("orders", ["order_id", "order_date", "units", "revenue"], [("customer_id", "==", top_id)])
bought_pd = mine.groupby(mine["order_date"].dt.year).agg(
    orders=("order_id", "size"), pcs=("units", "sum"), revenue=("revenue", "sum")
)
mine_tickets = read("support_tickets", ["ticket_id", "handler"], [("customer_id", "==", top_id)])
asked_pd = mine_tickets.merge(
    read("complaints", ["ticket_id", "category"], [("ticket_id", "in", mine_tickets["ticket_id"].tolist())]),
    on="ticket_id",
    how="left",
)
same_one = np.allclose(bought_sql["revenue"], bought_pd["revenue"]) and len(asked_sql) == len(asked_pd)
display(bought_sql.style.format({"revenue": "USD {:,.0f}"}).set_caption(f"Customer {top_id}: orders per year (SQL)"))
display(
    asked_sql.head(8)
    .style.format({"wait_minutes": "{:.1f}", "opened_date": "{:%Y-%m-%d}"}, na_rep="")
    .set_caption(f"Customer {top_id}: the first 8 of {len(asked_sql)} support tickets (SQL)")
)
display(
    Markdown(
        f"**Reading.** Customer {top_id} placed {int(bought_sql['orders'].sum()):,} orders for "
        f"{int(bought_sql['pcs'].sum()):,} PCs in {len(bought_sql)} years and opened {len(asked_sql)} support tickets, "
        f"{asked_sql['complaint'].notna().sum()} of which became complaints; "
        f"{(asked_sql['handler'] == 'vendor').mean():.0%} were handled by the outsourced vendor. SQL and pandas "
        + ("agree." if same_one else "**disagree**.")
    )
)

# %% [markdown]
# **How many orders went online each year?** Online = the public web site or a Premier page (the firm's
# extranet for large customers). A `group by` on the year; in pandas a `groupby` on `dt.year`.

# %%
online_sql = con.execute(
    """
    select year(order_date) as year, count(*) as orders,
           count(*) filter (where channel in ('web', 'premier')) as online_orders,
           sum(revenue) filter (where channel in ('web', 'premier')) / sum(revenue) as online_revenue_share
    from orders group by 1 order by 1
    """
).df()
online_sql["online_share"] = online_sql["online_orders"] / online_sql["orders"]
online_pd = (
    orders.assign(year=orders["order_date"].dt.year, online=orders["channel"].isin(["web", "premier"]))
    .groupby("year")
    .agg(orders=("order_id", "size"), online_orders=("online", "sum"))
)
online_sql_first = con.execute(  # the same count on the customers pandas read
    """
    select count(*) filter (where channel in ('web', 'premier')) as online_orders
    from orders where customer_id <= ? group by year(order_date) order by year(order_date)
    """,
    [last_id],
).df()
same_online = len(online_pd) == len(online_sql_first) and bool(
    (online_pd["online_orders"].to_numpy() == online_sql_first["online_orders"].to_numpy()).all()
)
del orders

fig, ax = plt.subplots(figsize=(10, 4.8))
ax.bar(online_sql["year"], online_sql["orders"], color="#D9D9D9", label="all orders")
ax.bar(online_sql["year"], online_sql["online_orders"], color=PAL["Dell"], label="online (web + Premier)")
for _, r in online_sql.iterrows():
    ax.text(r["year"], r["orders"], f"{r['online_share']:.0%}", ha="center", va="bottom", fontsize=10)
ax.set_xlabel("year")
ax.set_ylabel("orders")
ax.set_title("Orders per year, and the share placed online")
ax.legend(loc="upper left")
casebook.analysis.theme.source_note(ax)
plt.show()

# %%
first, last = online_sql.iloc[0], online_sql.iloc[-1]
trend = (
    "rose"
    if last["online_share"] > first["online_share"] + 0.02
    else "fell"
    if last["online_share"] < first["online_share"] - 0.02
    else "stayed about level"
)
display(
    Markdown(
        f"**Reading.** The online share of orders {trend}, from {first['online_share']:.1%} in {int(first['year'])} "
        f"to {last['online_share']:.1%} in {int(last['year'])}; by revenue it was {last['online_revenue_share']:.1%} in "
        f"{int(last['year'])} (online orders are smaller than sales-rep orders). SQL and pandas{pandas_scope} "
        + ("count the same online orders in every year." if same_online else "**disagree**.")
    )
)

# %% [markdown]
# ## 4 · Small vs large customers from SQL (A1)
#
# The case says Dell builds its whole management system on one split: small customers (home consumers, small
# businesses) and large ones (enterprises, the public sector). Head count and revenue by size class are one
# `group by` over the 360 view. The share of small customers gets a Wilson interval (a share of independent
# customers); the revenue share of large customers an interval that resamples customers (Poisson-weight
# bootstrap), because a few very large customers move it. The bootstrap draws one Poisson weight per customer and
# replicate: 1,000 replicates up to 200,000 customers, then as many as 200 million weights allow (at least 200),
# which keeps a lecture-size world to seconds; its interval is narrow there.

# %%
split = con.execute(
    """
    select case when segment in ('large_enterprise', 'public_sector') then 'large' else 'small' end as size_class,
           count(*) as customers, sum(revenue) as revenue, avg(revenue) as mean_revenue
    from customer_360 group by 1 order by 1 desc
    """
).df()
split["share_of_customers"] = split["customers"] / split["customers"].sum()
split["share_of_revenue"] = split["revenue"] / split["revenue"].sum()
n_small = int(split.loc[split["size_class"] == "small", "customers"].iloc[0])
small = intervals.wilson(n_small, len(c360))
large_flag = c360["segment"].isin(["large_enterprise", "public_sector"]).to_numpy()
rev = c360["revenue"].to_numpy()
n_boot = int(min(1000, max(200, 200_000_000 // len(rev))))  # 1,000 replicates up to 200,000 customers
large_rev = intervals.poisson_bootstrap_sums(
    np.column_stack([rev, rev * large_flag]), lambda s: s[..., 1] / s[..., 0], n_boot=n_boot, seed=seed, chunk=20
)
mix = world.planted("segments.mix")
planted_small = mix["consumer"] + mix["small_business"]
records.append(
    Record(
        claim="A1",
        quantity="share of customers that are small (SQL)",
        estimate=small.estimate,
        ci_low=small.low,
        ci_high=small.high,
        planted=planted_small,
        claimed=None,
        unit="fraction",
        method="SQL count, Wilson 95% CI",
    )
)
records.append(
    Record(
        claim="A1",
        quantity="share of revenue from large customers (SQL)",
        estimate=large_rev.estimate,
        ci_low=large_rev.low,
        ci_high=large_rev.high,
        planted=None,
        claimed=None,
        unit="fraction",
        method="SQL sums, Poisson-weight bootstrap over customers",
    )
)
display(
    split.style.format(
        {
            "customers": "{:,}",
            "revenue": "USD {:,.0f}",
            "mean_revenue": "USD {:,.0f}",
            "share_of_customers": "{:.1%}",
            "share_of_revenue": "{:.1%}",
        }
    ).set_caption("Small vs large customers, 2000-2008 (SQL over the customer 360)")
)
ratio = split.set_index("size_class")["mean_revenue"]
display(
    Markdown(
        f"**Reading.** Small customers are {small.estimate:.1%} of customers (95 % CI {small.low:.1%}–{small.high:.1%}), "
        f"but large customers bring {large_rev.estimate:.1%} of revenue ({large_rev.low:.1%}–{large_rev.high:.1%}): "
        f"a large customer spends {ratio['large'] / ratio['small']:.0f} times as much as a small one on average. "
        + (
            "The split the case builds on is the split that matters for revenue."
            if large_rev.estimate > 1 - small.estimate
            else "Here large customers bring less revenue than their head count suggests."
        )
    )
)

# %% [markdown]
# ## Check against the truth
#
# The generator drew each customer's segment from a planted mix. The interval should cover it in about 95 % of
# worlds.

# %%
covers = small.covers(planted_small)
display(
    Markdown(
        f"Planted share of small customers: **{planted_small:.1%}**; estimated from SQL: {small.estimate:.1%} "
        f"({small.low:.1%}–{small.high:.1%}), which "
        + (
            "covers the planted value."
            if covers
            else "**misses** the planted value (it should, in about 1 world in 20)."
        )
    )
)

# %% [markdown]
# ## Key results

# %% tags=["nbval-check-output"]
write_results(results_path, records)
print(format_key_results(records))

# %%
print(f"python {sys.version.split()[0]}")
for mod in (np, pd, duckdb, matplotlib, synthetic):
    print(f"{mod.__name__} {getattr(mod, '__version__', 'n/a')}")

# %% [markdown]
# ## Exercises
#
# Each exercise is checked against **your** world: replace `...` with your answer, run the cell, then run the
# check below it. It prints ✓ when your answer is right for the world these parameters load, or ✗ with a hint.
# Answers are numbers (fractions as `0.25`, not `25 %`), ids or text. To work in your own world, build your
# edition with `python -m casebook build --student YOUR_ID`, or set `seed` in the parameters cell to
# `casebook.course.student_seed("YOUR_ID")`.

# %% tags=["exercise"]
import synthetic
from casebook.course import answer_key, check

ex_world = synthetic.load(scenario=scenario, seed=seed, n_customers=n_customers, overrides=overrides, data_dir=data_dir)
print(f"exercises use the world: scenario {scenario}, seed {seed}, {n_customers:,} customers, overrides {overrides}")

# %% [markdown] tags=["exercise"]
# **00.1 (quick).** How many customers does your world hold? Read it off the table of keys in section 1, or count
# the rows of `customers` in SQL.

# %% tags=["student"]
answer = ...  # your answer

# %% tags=["solution"]
answer = len(ex_world.table("customers", columns=["customer_id"]))

# %% tags=["check"]
check(
    "00.1 customers",
    answer,
    expected=answer_key("00.1", ex_world),
    hint="count the rows of the customers table: select count(*) from customers",
)

# %% [markdown] tags=["exercise"]
# **00.2.** Which `customer_id` brought the most revenue in 2000–2008? Write the SQL yourself
# (`ex_world.sql("...")` returns a DataFrame).

# %% tags=["student"]
answer = ...  # your answer

# %% tags=["solution"]
answer = ex_world.sql(
    "select customer_id, sum(revenue) as revenue from orders group by customer_id order by revenue desc limit 1"
)["customer_id"].iloc[0]

# %% tags=["check"]
check(
    "00.2 largest customer",
    answer,
    expected=answer_key("00.2", ex_world),
    hint="sum revenue per customer_id in orders, sort it descending and take the first row",
)

# %% [markdown] tags=["exercise"]
# **00.3.** What share of the orders placed in 2008 went online (the web site or a Premier page)? Answer as a
# fraction.

# %% tags=["student"]
answer = ...  # your answer

# %% tags=["solution"]
answer = ex_world.sql(
    """
    select count(*) filter (where channel = 'web' or channel = 'premier') / count(*) as share
    from orders where order_date between date '2008-01-01' and date '2008-12-31'
    """
)["share"].iloc[0]

# %% tags=["check"]
check(
    "00.3 online orders 2008",
    answer,
    expected=answer_key("00.3", ex_world),
    tol=0.002,
    hint="online means channel 'web' or 'premier'; divide by all orders of 2008 and give a fraction, not a percent",
)

# %% [markdown] tags=["exercise"]
# **00.4.** How many support tickets did your largest customer (00.2) open? One query with a subquery, or two
# steps.

# %% tags=["student"]
answer = ...  # your answer

# %% tags=["solution"]
top = ex_world.sql("select customer_id from orders group by customer_id order by sum(revenue) desc limit 1").iloc[0, 0]
answer = ex_world.sql(f"select count(*) as n from support_tickets where customer_id = {top}")["n"].iloc[0]

# %% tags=["check"]
check(
    "00.4 tickets of the largest customer",
    answer,
    expected=answer_key("00.4", ex_world),
    hint="find the largest customer first (00.2), then count their rows in support_tickets",
)

# %% [markdown] tags=["exercise"]
# **00.5.** In which region do most customers with a Premier page sit? Answer with the region's name; try it in
# pandas this time (`ex_world.table("customers")`).

# %% tags=["student"]
answer = ...  # your answer

# %% tags=["solution"]
cust = ex_world.table("customers", columns=["region", "has_premier_page"])
answer = cust.loc[cust["has_premier_page"], "region"].value_counts().idxmax()

# %% tags=["check"]
check(
    "00.5 Premier-page region",
    answer,
    expected=answer_key("00.5", ex_world),
    hint="keep the customers whose has_premier_page is true, then count them by region",
)

# %% [markdown] tags=["exercise"]
# **00.6 (open).** Load your world again with `overrides={**overrides, "channels.online_revenue_share": 0.5}`
# (`synthetic.load(...)` with the same other parameters). What share of 2008 *revenue* goes online there? Compare
# it with your world: which mechanism did the override move, and why are online orders a larger share by count
# than by revenue?

# %% tags=["student"]
answer = ...  # your answer

# %% tags=["solution"]
ONLINE_2008 = """
    select sum(revenue) filter (where channel in ('web', 'premier')) / sum(revenue) as share
    from orders where year(order_date) = 2008
"""
world_b = synthetic.load(
    scenario=scenario,
    seed=seed,
    n_customers=n_customers,
    overrides={**overrides, "channels.online_revenue_share": 0.5},
    data_dir=data_dir,
)
answer = world_b.sql(ONLINE_2008)["share"].iloc[0]
base = ex_world.sql(ONLINE_2008)["share"].iloc[0]
print(
    f"online share of 2008 revenue: {base:.1%} in your world, {answer:.1%} with half the revenue planted online. "
    "The override moves the channel choice of each order (a cause), not the revenue total; online orders are "
    "smaller than sales-rep orders, so their share by count is larger than by revenue."
)

# %% tags=["check"]
check(
    "00.6 online revenue share, re-run",
    answer,
    expected=answer_key("00.6", ex_world),
    tol=0.005,
    hint="load the world with the override, then divide the 2008 revenue of web + premier orders by all 2008 revenue",
)
