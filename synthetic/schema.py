"""Every table's columns: name, Arrow type, unit and meaning.

One source for three things: the Arrow schema the Parquet files are written
with, the checks run on every generated block (``synthetic.validate``), and the data dictionary
(``python -m synthetic --dictionary`` writes ``docs/data-dictionary.md``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True)
class Col:
    """One column: Arrow type, unit, meaning, whether it may be null, allowed values or range."""

    name: str
    type: pa.DataType
    unit: str
    doc: str
    nullable: bool = False
    isin: tuple | None = None
    ge: float | None = None
    le: float | None = None


S, I8, I16, I32, I64, F, B, D = (
    pa.string(),
    pa.int8(),
    pa.int16(),
    pa.int32(),
    pa.int64(),
    pa.float64(),
    pa.bool_(),
    pa.date32(),
)
SEGS = ("consumer", "small_business", "large_enterprise", "public_sector")
BRANDS = ("Dell", "HP", "Compaq", "Gateway", "Apple", "Other")
CATS = ("chassis", "cpu", "memory", "storage", "display", "standard_kit")

TABLES: dict[str, tuple[str, list[Col]]] = {
    "customers": (
        "One row per customer (A1, A2).",
        [
            Col("customer_id", I64, "id", "Customer key."),
            Col("name", S, "", "Contact person (Faker)."),
            Col("company", S, "", "Company name; null for home consumers.", nullable=True),
            Col("street", S, "", "Street address."),
            Col("city", S, "", "City."),
            Col("state", S, "", "State (en_US) or province (zh_CN)."),
            Col("region", S, "", "US census region.", isin=("Northeast", "Midwest", "South", "West")),
            Col(
                "segment",
                S,
                "",
                "consumer / small_business (small customers) or large_enterprise / public_sector (large customers), A1.",
                isin=SEGS,
            ),
            Col(
                "public_type",
                S,
                "",
                "government or education for public-sector customers (A2 special criteria); else null.",
                nullable=True,
                isin=("government", "education"),
            ),
            Col("employees", I64, "people", "Firm size (1 for households).", ge=1),
            Col(
                "acquisition_date",
                D,
                "date",
                "First purchase ever (before 2000 for customers already active on the first day).",
            ),
            Col(
                "acquisition_channel",
                S,
                "",
                "How the customer was won.",
                isin=("web", "phone", "sales_rep", "referral"),
            ),
            Col("has_premier_page", B, "", "The firm has a Premier page (custom extranet), D9."),
            Col(
                "crm_contacts_logged",
                I32,
                "contacts",
                "Sales/account contacts logged in the CRM over the customer's life in the window (A11).",
                ge=0,
            ),
            Col(
                "crm_contact_cost_usd",
                F,
                "USD",
                "Cost of those contacts (rep and account-team time), summed (A7 cost to serve).",
                ge=0,
            ),
        ],
    ),
    "orders": (
        "One row per order of configured PCs (D13): standard items by segment plus chosen options.",
        [
            Col("order_id", I64, "id", "Order key (customer_id x 1000 + sequence)."),
            Col("customer_id", I64, "id", "Customer who ordered."),
            Col("order_date", D, "date", "Day the order was placed."),
            Col(
                "channel",
                S,
                "",
                "web, premier (Premier page), phone or sales_rep; web + premier = online (D9, D10).",
                isin=("web", "premier", "phone", "sales_rep"),
            ),
            Col(
                "product_line",
                S,
                "",
                "Product line.",
                isin=("Dimension", "Inspiron", "OptiPlex", "Latitude", "Precision", "PowerEdge"),
            ),
            Col("cpu_tier", S, "", "Chosen CPU option.", isin=("budget", "mainstream", "performance")),
            Col(
                "cpu_generation",
                I16,
                "generation",
                "CPU generation built in (a new one launches every supply.cpu_generation_months).",
                ge=0,
            ),
            Col("memory_mb", I32, "MB", "Chosen memory.", ge=1),
            Col("storage_gb", I32, "GB", "Chosen storage.", ge=1),
            Col("warranty_years", I8, "years", "Chosen warranty (1 standard, 3 extended).", isin=(1, 3)),
            Col("units", I32, "PCs", "Number of PCs in the order.", ge=1),
            Col("unit_list_price", F, "USD", "List price per PC.", ge=0),
            Col("discount_pct", F, "fraction", "Discount off list (promotion and/or contract price).", ge=0, le=0.5),
            Col("promo_code_used", B, "", "A promotion was taken up (price-sensitive behaviour, A3)."),
            Col("revenue", F, "USD", "units x unit_list_price x (1 - discount_pct).", ge=0),
            Col(
                "cost",
                F,
                "USD",
                "Cost of goods of the order, at list value: discounts come out of the margin (A7).",
                ge=0,
            ),
            Col("promised_ship_date", D, "date", "Ship date quoted to the customer (D14)."),
            Col("ship_date", D, "date", "Actual ship date (D14)."),
            Col("payment_date", D, "date", "Day the customer paid (consumers pay at order; business on terms)."),
        ],
    ),
    "support_tickets": (
        "One row per after-sales support ticket (C1, C8).",
        [
            Col("ticket_id", I64, "id", "Ticket key."),
            Col("order_id", I64, "id", "Order the ticket is about."),
            Col("customer_id", I64, "id", "Customer."),
            Col("opened_date", D, "date", "Day the ticket was opened."),
            Col("contact_channel", S, "", "phone, email or chat.", isin=("phone", "email", "chat")),
            Col("handler", S, "", "in_house or vendor (the outsourced support provider).", isin=("in_house", "vendor")),
            Col("wait_minutes", F, "minutes", "Time in queue before reaching an agent.", ge=0),
            Col("transfers", I16, "transfers", "Times the call was transferred.", ge=0),
            Col("resolved_first_contact", B, "", "Solved on the first contact."),
            Col("csat", I8, "1-5", "Post-contact satisfaction (1 worst, 5 best).", ge=1, le=5),
            Col("cost_usd", F, "USD", "Cost of handling the ticket.", ge=0),
        ],
    ),
    "complaints": (
        "BBB-style complaints escalated from tickets (C4).",
        [
            Col("complaint_id", I64, "id", "Complaint key."),
            Col("ticket_id", I64, "id", "Ticket that escalated."),
            Col("customer_id", I64, "id", "Customer."),
            Col("filed_date", D, "date", "Day the complaint was filed."),
            Col("category", S, "", "Complaint category.", isin=("service", "repair", "billing", "delivery", "product")),
        ],
    ),
    "sales_pipeline": (
        "CRM opportunities announced by key accounts ahead of ordering (D15).",
        [
            Col("opportunity_id", I64, "id", "Opportunity key (negative for opportunities that were lost)."),
            Col("customer_id", I64, "id", "Customer."),
            Col("created_date", D, "date", "Day the opportunity was logged."),
            Col("expected_close_date", D, "date", "Expected order day."),
            Col("expected_units", I32, "PCs", "Expected PCs.", ge=1),
            Col("product_line", S, "", "Expected product line."),
            Col("status", S, "", "won or lost.", isin=("won", "lost")),
            Col("order_id", I64, "id", "The order it became; null if lost.", nullable=True),
        ],
    ),
    "surveys": (
        "ACSI-style satisfaction interviews by quarter, for the firm and competitor brands (C5).",
        [
            Col("response_id", I64, "id", "Response key."),
            Col("brand", S, "", "Brand the respondent rates.", isin=BRANDS),
            Col("quarter", S, "", "Calendar quarter, e.g. 2004Q3."),
            Col("interview_date", D, "date", "Interview day."),
            Col("segment", S, "", "Respondent's segment.", isin=SEGS),
            Col("had_support_contact", B, "", "Respondent contacted the brand's support in the last year."),
            Col(
                "contact_handler",
                S,
                "",
                "Who handled that contact (firm only): in_house or vendor.",
                nullable=True,
                isin=("in_house", "vendor"),
            ),
            Col("contact_wait_minutes", F, "minutes", "Wait on that contact (firm only).", nullable=True, ge=0),
            Col("contact_resolved_first", B, "", "That contact was solved first time (firm only).", nullable=True),
            Col("score", F, "0-100", "Satisfaction score; the brand's index for a quarter is the mean.", ge=0, le=100),
        ],
    ),
    "market_panel": (
        "US PC buyers' brand choices (a panel sample) by quarter (C2, C3).",
        [
            Col("buyer_id", I64, "id", "Buyer key."),
            Col("purchase_date", D, "date", "Day of purchase."),
            Col("quarter", S, "", "Calendar quarter."),
            Col("buyer_segment", S, "", "home, business or public.", isin=("home", "business", "public")),
            Col("brand", S, "", "Brand bought.", isin=BRANDS),
            Col("units", I32, "PCs", "PCs bought.", ge=1),
        ],
    ),
    "suppliers": (
        "The few, close suppliers (D7, D8).",
        [
            Col("supplier_id", I64, "id", "Supplier key."),
            Col("name", S, "", "Supplier name (Faker)."),
            Col("category", S, "", "Component category supplied.", isin=CATS),
            Col("hub", S, "", "Vendor-managed inventory hub near the plant (D7)."),
            Col("contract_lead_days", F, "days", "Contracted delivery lead time to the hub.", ge=0),
        ],
    ),
    "components": (
        "Component catalogue: what a configured PC is built from (D2, D13).",
        [
            Col("component_id", I64, "id", "Component key."),
            Col("category", S, "", "Category.", isin=CATS),
            Col("spec", S, "", "Specification, matched by the order_components view."),
            Col("supplier_id", I64, "id", "Main supplier."),
            Col("launch_cost_usd", F, "USD", "Unit cost at launch (erodes ~supply.price_erosion_weekly a week).", ge=0),
        ],
    ),
    "cpu_launches": (
        "New CPU generations (D4).",
        [
            Col("cpu_generation", I16, "generation", "Generation number."),
            Col("launch_date", D, "date", "Day the chip maker launched it."),
            Col("clock_mhz", I32, "MHz", "Clock speed."),
        ],
    ),
    "purchase_orders": (
        "Component purchase orders: suppliers' replenishments of their VMI hubs for the build-to-order firm, and the "
        "build-to-stock competitor's batch orders (D1, D2, D8, cash).",
        [
            Col("po_id", I64, "id", "Purchase order key."),
            Col(
                "pipeline",
                S,
                "",
                "build_to_order (the firm) or build_to_stock (competitor).",
                isin=("build_to_order", "build_to_stock"),
            ),
            Col("supplier_id", I64, "id", "Supplier."),
            Col("category", S, "", "Component category.", isin=CATS),
            Col("order_date", D, "date", "Day the PO was sent."),
            Col("promised_delivery_date", D, "date", "Contracted delivery day."),
            Col("delivery_date", D, "date", "Actual delivery day."),
            Col("units", I64, "units", "Components ordered.", ge=1),
            Col("unit_cost", F, "USD", "Price paid per unit.", ge=0),
            Col("defective_units", I64, "units", "Units rejected on receipt.", ge=0),
            Col("invoice_date", D, "date", "Supplier invoice day."),
            Col("payment_date", D, "date", "Day the supplier was paid."),
        ],
    ),
    "inventory_daily": (
        "Stock at the end of each day, per stock point and category, from the supply-chain simulation (D1, D3-D5, D7, bullwhip).",
        [
            Col("date", D, "date", "Day."),
            Col(
                "pipeline",
                S,
                "",
                "build_to_order (stock the firm owns: plant + in transit from the hubs), vmi_hub (supplier-owned hub "
                "stock next to the plant) or build_to_stock (the competitor's finished goods in the channel and on the way); "
                "all face the same customer demand.",
                isin=("build_to_order", "vmi_hub", "build_to_stock"),
            ),
            Col("category", S, "", "Component category.", isin=CATS),
            Col(
                "demand_units",
                I64,
                "units",
                "Customer demand for the category that day (PCs shipped by the firm).",
                ge=0,
            ),
            Col(
                "consumed_units",
                I64,
                "units",
                "Units leaving this stock point that day (built into PCs, pulled by the plant, or sold).",
                ge=0,
            ),
            Col("ordered_units", I64, "units", "Units this stock point ordered upstream that day.", ge=0),
            Col("receipts_units", I64, "units", "Units received that day.", ge=0),
            Col(
                "on_hand_units",
                I64,
                "units",
                "Units owned at day end (for the firm and competitor incl. in transit).",
                ge=0,
            ),
            Col("shortage_units", I64, "units", "Units wanted but not available that day (stock-out).", ge=0),
            Col("market_unit_cost", F, "USD", "Replacement cost of one unit that day (erodes weekly).", ge=0),
            Col("on_hand_value", F, "USD", "Stock at day end valued at the market unit cost.", ge=0),
        ],
    ),
    "shipments_daily": (
        "PCs shipped per day and CPU generation, for the firm and the competitor: owned old-generation stock sells first (D4).",
        [
            Col("date", D, "date", "Day."),
            Col("pipeline", S, "", "build_to_order or build_to_stock.", isin=("build_to_order", "build_to_stock")),
            Col("cpu_generation", I16, "generation", "CPU generation built in."),
            Col("units", I64, "PCs", "PCs shipped.", ge=1),
        ],
    ),
    "build_queue_daily": (
        "The firm's build queue: each day's orders, the ship date quoted from backlog and capacity, and when they shipped (D14).",
        [
            Col("date", D, "date", "Day the orders arrived."),
            Col("ordered_units", I64, "PCs", "PCs ordered that day.", ge=0),
            Col("planned_capacity_units", F, "PCs", "Capacity the planner expected that day.", ge=0),
            Col("built_units", I64, "PCs", "PCs built and shipped that day.", ge=0),
            Col("backlog_units", I64, "PCs", "PCs ordered but not built at day end.", ge=0),
            Col("promised_date", D, "date", "Ship date quoted to that day's orders."),
            Col(
                "completed_date",
                D,
                "date",
                "Day the last PC of that day's orders shipped; null if not by the end.",
                nullable=True,
            ),
        ],
    ),
    "supplier_truth": (
        "Each supplier's planted performance: open only in 'check against the truth' (D8).",
        [
            Col("supplier_id", I64, "id", "Supplier key."),
            Col("on_time_rate", F, "probability", "Chance a delivery arrives by the promised day.", ge=0, le=1),
            Col("defect_ppm", F, "parts per million", "Expected defective units per million.", ge=0),
            Col("cost_index", F, "multiplier", "Price level relative to the market cost.", ge=0),
        ],
    ),
    "marketing_costs": (
        "Marketing cost records (B4, B6): acquisition-campaign spend per region and month, and relationship-programme spend per enrolled customer and calendar year.",
        [
            Col("cost_id", I64, "id", "Cost record key."),
            Col(
                "programme",
                S,
                "",
                "acquisition_campaign or relationship_programme.",
                isin=("acquisition_campaign", "relationship_programme"),
            ),
            Col(
                "month_date",
                D,
                "date",
                "Campaigns: first day of the month of spend; programme: first day of the calendar year (or of the record).",
            ),
            Col(
                "region",
                S,
                "",
                "US census region of the campaign or of the enrolled customer.",
                isin=("Northeast", "Midwest", "South", "West"),
            ),
            Col("customer_id", I64, "id", "Enrolled customer (programme rows); null for campaign rows.", nullable=True),
            Col(
                "days_covered",
                I32,
                "days",
                "Programme rows: days of the year the customer was enrolled; 0 for campaigns.",
                ge=0,
            ),
            Col("cost_usd", F, "USD", "Spend.", ge=0),
        ],
    ),
    "wallet_survey": (
        "Buyer survey (A12): customers active at the start of the survey year state their PC budget for that year, all brands.",
        [
            Col("customer_id", I64, "id", "Responding customer."),
            Col("survey_year", I16, "year", "Calendar year the budget is for."),
            Col("pc_budget_usd", F, "USD", "Stated PC spend for the year across all brands (purchasing power).", ge=0),
        ],
    ),
    "truth": (
        "Latent traits, planted: open only in 'check against the truth'.",
        [
            Col("customer_id", I64, "id", "Customer key."),
            Col("price_sensitive", B, "", "High price sensitivity (A3 axis)."),
            Col("relationship_minded", B, "", "Wants a relationship (A3 axis)."),
            Col(
                "quadrant",
                S,
                "",
                "2x2 cell of A3.",
                isin=("price_relationship", "price_only", "relationship_only", "business_like"),
            ),
            Col(
                "tier",
                S,
                "",
                "T (transactional), R (relationship) or key (key account), A4-A6.",
                isin=("T", "R", "key"),
            ),
            Col("initial_customer", B, "", "Already a customer on the first day."),
            Col("purchase_rate_per_year", F, "1/year", "Poisson purchase rate while active.", ge=0),
            Col(
                "dropout_p",
                F,
                "probability",
                "Chance of becoming inactive after a purchase (relationship-programme payoff included; bad support raises it further).",
                ge=0,
                le=1,
            ),
            Col("spend_level", F, "multiplier", "Spend level (mean 1) that sets order size.", ge=0),
            Col(
                "dropout_date", D, "date", "Day the customer became inactive; null if active at the end.", nullable=True
            ),
        ],
    ),
}

#: column name suffix ``_date`` is generated from an integer day offset ``*_day``
DERIVED_VIEWS = {
    "order_components": "The bill of materials of each order (view over orders, customers and components: standard kit by segment plus chosen options), D2, D13.",
}


def arrow_schema(table: str) -> pa.Schema:
    """Arrow schema of ``table``."""
    return pa.schema([pa.field(c.name, c.type, nullable=c.nullable) for c in TABLES[table][1]])


def data_dictionary() -> str:
    """The data dictionary as Markdown (every table, column, type, unit and meaning)."""
    out = [
        "# Data dictionary",
        "",
        "Generated from `synthetic/schema.py` by `python -m synthetic --dictionary`; do not edit by hand.",
        "",
    ]
    for name, (doc, cols) in TABLES.items():
        out += [f"## `{name}`", "", doc, "", "| column | type | unit | meaning |", "|---|---|---|---|"]
        for c in cols:
            allowed = f" Allowed: {', '.join(map(str, c.isin))}." if c.isin else ""
            null = " May be null." if c.nullable else ""
            out.append(f"| `{c.name}` | {c.type} | {c.unit} | {c.doc}{allowed}{null} |")
        out.append("")
    for name, doc in DERIVED_VIEWS.items():
        out += [
            f"## `{name}` (DuckDB view)",
            "",
            doc,
            "",
            "| column | type | unit | meaning |",
            "|---|---|---|---|",
            "| `order_id` | int64 | id | Order. |",
            "| `order_date` | date32 | date | Day of the order. |",
            "| `category` | string | | Component category. |",
            "| `spec` | string | | Specification (joins `components`). |",
            "| `component_id` | int64 | id | Component. |",
            "| `quantity` | int64 | units | Components needed for the order. |",
            "",
        ]
    return "\n".join(out)
