"""The scenario: every mechanism of the synthetic Dell world as a named, documented parameter.

A scenario is a tree of pydantic models. Each field's description names the
case claim id(s) (see ``docs/case-facts.md``) that the parameter plants. Two presets
ship with the package (``case`` and ``history``, in ``synthetic/presets/``);
overrides are given by dotted key (``"outsourcing.satisfaction_effect": -3``)
from Python, the CLI (``--set key=value``) or a YAML/JSON file. An unknown key,
a value out of range or of the wrong type raises :class:`ParameterError`
naming the key and what is allowed.

Planted values are *expectations*: the generator adds realistic noise and an
honest estimate from the raw records lands near them, inside its interval.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import ParameterError

SEGMENTS = ("consumer", "small_business", "large_enterprise", "public_sector")
BRANDS = ("Dell", "HP", "Compaq", "Gateway", "Apple", "Other")
PRESETS = ("case", "history")
LOCALES = ("en_US", "zh_CN")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)


class World(_Section):
    """Calendar of the world."""

    start: dt.date = Field(dt.date(2000, 1, 1), description="First day of records.")
    end: dt.date = Field(dt.date(2008, 12, 31), description="Last day of records (inclusive).")
    locale: Literal["en_US", "zh_CN"] = Field("en_US", description="Faker locale for names and addresses.")

    @model_validator(mode="after")
    def _order(self):
        if self.end <= self.start:
            raise ValueError(f"world.end: must be after world.start ({self.start}); got {self.end}")
        if (self.end - self.start).days < 365:
            raise ValueError("world.end: the world must span at least one year")
        return self


class Segments(_Section):
    """Who the customers are (claims A1, A2, A5, A6)."""

    mix: dict[str, float] = Field(
        default_factory=lambda: {
            "consumer": 0.70,
            "small_business": 0.22,
            "large_enterprise": 0.05,
            "public_sector": 0.03,
        },
        description="Share of customers in each segment (A1: small = consumer + small business; large = enterprise + public). Must sum to 1.",
    )
    education_share_of_public: float = Field(
        0.5, ge=0, le=1, description="Share of public-sector customers that are education (the rest government) (A2)."
    )
    key_account_share: float = Field(
        0.01,
        gt=0,
        le=0.2,
        description="Expected share of all customers that are key accounts (A2, A6). Key accounts arise from size and relationship orientation: "
        "the largest relationship-minded enterprise and public-sector customers, with government and education admitted at a lower size bar.",
    )
    relationship_share: float = Field(
        0.35, ge=0.05, le=0.95, description="Share of customers that are relationship-minded (R axis of the 2x2, A3)."
    )
    price_sensitive_share: float = Field(
        0.55, ge=0.05, le=0.95, description="Share of customers that are price-sensitive (P axis of the 2x2, A3)."
    )
    relationship_size_link: float = Field(
        1.0,
        ge=0,
        le=3,
        description="How strongly firm size raises the chance of relationship orientation (A5: R-type are usually larger); log-odds per standard deviation of ln(employees) across all customers.",
    )
    key_size_slope: float = Field(
        1.2,
        ge=0,
        le=5,
        description="Key-account screen (A2: size is the first criterion): log-odds of becoming a key account per ln(employees), among large customers. "
        "The screen's intercept is solved for key_account_share.",
    )
    public_sector_key_bonus: float = Field(
        1.8,
        ge=0,
        le=6,
        description="Key-account screen (A2: government and education as special criteria): extra log-odds for public-sector customers at a given size. "
        "1.8 with key_size_slope 1.2 admits a public body like an enterprise exp(1.8/1.2) = 4.5 times its size.",
    )


class Spend(_Section):
    """Spend heterogeneity (A6, A8, A9)."""

    top20_share: float = Field(
        0.80,
        ge=0.35,
        le=0.95,
        description="Expected share of 2000-2008 revenue from the top 20 % of customers (A8). The generator solves for the spend heterogeneity that gives it.",
    )
    size_weight: float = Field(
        0.8,
        ge=0,
        le=1,
        description="Correlation between log spend level and log firm size: how much of spend heterogeneity size explains (A6).",
    )
    base_order_value: float = Field(
        2000.0,
        gt=0,
        le=1e7,
        description="Mean order revenue (USD) across customers; segment differences come from size through the spend heterogeneity (A6).",
    )
    margin: float = Field(
        0.26,
        gt=0,
        lt=1,
        description="Mean gross margin at list price, before discounts (cost = list value x (1 - margin) with noise), so promotions and contract discounts "
        "reduce the margin on revenue: 0.26 at list gives about 0.18 on revenue in the case world. [A7, B1, B3]",
    )
    contract_discount_base: float = Field(
        0.02,
        gt=0,
        le=0.2,
        description="Contract discount (A7: online discounted purchasing) of a one-employee business account, transactional, at tenure 0, on a one-unit order. "
        "Every business and public-sector account has a contract price (consumers pay list); ln(discount) is linear in the terms below plus an account effect.",
    )
    contract_discount_size: float = Field(
        0.10,
        ge=0,
        le=0.5,
        description="Contract discount: log-points per ln(employees) (A7: bigger accounts negotiate deeper).",
    )
    contract_discount_relationship: float = Field(
        0.25, ge=-1, le=2, description="Contract discount: log-points for relationship-minded accounts (A7)."
    )
    contract_discount_key: float = Field(
        0.35,
        ge=-1,
        le=2,
        description="Contract discount: extra log-points for key accounts (A7: resources for key accounts).",
    )
    contract_discount_tenure: float = Field(
        0.04,
        ge=-0.2,
        le=0.3,
        description="Contract discount: log-points per year since acquisition (A7: longer relationships earn more).",
    )
    contract_discount_volume: float = Field(
        0.08,
        ge=-0.2,
        le=0.5,
        description="Contract discount: log-points per ln(units) of the order (A7: volume pricing).",
    )
    contract_discount_account_sd: float = Field(
        0.15,
        ge=0,
        le=1,
        description="Contract discount: s.d. of the account's own effect in log-points (what the negotiation adds). [A7]",
    )


class Contacts(_Section):
    """CRM contact intensity and its cost (A7 cost to serve, A11 interact)."""

    rate_transactional: float = Field(
        1.0,
        gt=0,
        le=50,
        description="CRM contacts logged per active year with a small transactional (T-type) customer (A11).",
    )
    relationship_multiplier: float = Field(
        6.0,
        ge=0.1,
        le=50,
        description="Contact rate of relationship-minded customers relative to transactional ones (A11).",
    )
    key_multiplier: float = Field(
        4.0,
        ge=0.1,
        le=50,
        description="Contact rate of key accounts relative to other relationship-minded customers of their size (A7, A11).",
    )
    large_multiplier: float = Field(
        1.5, ge=0.1, le=20, description="Contact rate of large customers relative to small ones of the same type (A11)."
    )
    cost_per_contact: float = Field(
        25.0,
        gt=0,
        le=10000,
        description="Mean cost (USD) of a CRM contact with a customer that is not a key account (A7 cost to serve).",
    )
    key_cost_multiplier: float = Field(
        3.0,
        ge=0.1,
        le=50,
        description="Cost of a key-account contact (account-team time) relative to other contacts (A7).",
    )


class Wallet(_Section):
    """Customers' PC budgets across all brands and the firm's share of them (A12), with a buyer survey."""

    share_by_segment: dict[str, float] = Field(
        default_factory=lambda: {
            "consumer": 0.45,
            "small_business": 0.35,
            "large_enterprise": 0.25,
            "public_sector": 0.30,
        },
        description="Share of a transactional customer's PC budget won by the firm, by segment (A12: share of wallet). Each in (0, 0.95].",
    )
    relationship_lift: float = Field(
        1.5,
        ge=0.2,
        le=5,
        description="Share of wallet of relationship-minded customers relative to transactional ones of the same segment (capped at 0.95) (A12).",
    )
    survey_year: int = Field(
        2006, ge=2000, le=2100, description="Calendar year the buyer survey asks about (A12: annual purchasing power)."
    )
    survey_response_rate: float = Field(
        0.3,
        gt=0,
        le=1,
        description="Share of the customers active at the start of the survey year who answer it (A12).",
    )
    survey_report_sd: float = Field(
        0.25,
        ge=0,
        le=2,
        description="Log-normal reporting error of the budget a respondent states (mean-preserving). [A12]",
    )


class Purchase(_Section):
    """The repurchase process (B1, B2, B6, B7): Poisson purchases with dropout after every purchase, the first included (MBG/NBD)."""

    rate_mean: float = Field(
        1.6,
        gt=0,
        le=50,
        description="Mean purchases per year of an active customer (gamma mixing of Poisson rates). [B1, B6]",
    )
    rate_shape: float = Field(
        2.5, gt=0, le=100, description="Gamma shape r of purchase rates (smaller = more heterogeneous). [B6]"
    )
    dropout_mean: float = Field(
        0.12,
        gt=0,
        lt=1,
        description="Mean chance that a customer becomes inactive after a purchase (beta mixing: the p of the MBG/NBD, which allows dropout right after the first purchase). This is the base rate; a bad support experience raises it (see bad_support_dropout_multiplier). [B2, B5, B7]",
    )
    dropout_concentration: float = Field(
        8.0,
        gt=0.5,
        le=1000,
        description="a + b of the beta distribution of dropout chances (larger = less heterogeneous). [B2, B7]",
    )
    bad_support_dropout_multiplier: float = Field(
        1.6,
        ge=1,
        le=10,
        description="Dropout chance after a purchase whose support ticket went badly (CSAT <= 2), times the base (C2, C8: bad support loses customers).",
    )
    acquisition_growth: float = Field(
        0.10, ge=-0.5, le=1, description="Yearly growth of new-customer acquisition. [B2, B4]"
    )
    initial_share: float = Field(
        0.25, ge=0, le=0.9, description="Share of customers already active on the first day. [B2]"
    )


class Channels(_Section):
    """How orders arrive (D9, D10)."""

    online_revenue_share: float = Field(
        0.25, gt=0, lt=1, description="Expected share of revenue through the web site and Premier pages (D10)."
    )
    premier_min_employees: int = Field(
        400, ge=1, le=100000, description="Firms with at least this many employees get a Premier page (D9)."
    )
    premier_use: float = Field(
        0.6, ge=0, le=1, description="Share of an eligible firm's online orders that go through its Premier page (D9)."
    )


class Support(_Section):
    """After-sales support operations (C1, C8) before any outsourcing."""

    ticket_rate: float = Field(0.35, gt=0, le=3, description="Expected support tickets per order. [C1, C8]")
    inhouse_wait_minutes: float = Field(
        4.0, gt=0, le=120, description="Median wait (minutes) for an in-house agent. [C1, C5]"
    )
    inhouse_fcr: float = Field(0.72, ge=0, le=1, description="First-contact resolution rate in-house. [C1, C5]")
    inhouse_transfers: float = Field(0.3, ge=0, le=5, description="Mean transfers per ticket in-house. [C1, C5]")
    inhouse_cost_per_ticket: float = Field(
        28.0, gt=0, le=1000, description="Cost (USD) of a ticket handled in-house (C1: outsourcing was to cut cost)."
    )


class Outsourcing(_Section):
    """The switch to an offshore vendor (C1-C5, C8)."""

    start: dt.date = Field(
        dt.date(2004, 7, 1), description="Date support for the outsourced segments moves to the vendor (C1)."
    )
    segments: list[str] = Field(
        default_factory=lambda: ["consumer", "small_business"],
        description="Segments whose tickets the vendor handles after start (C1).",
    )
    vendor_share: float = Field(
        0.9,
        ge=0,
        le=1,
        description="Share of the outsourced segments' tickets routed to the vendor after start. [C1, C8]",
    )
    satisfaction_effect: float = Field(
        -5.0,
        ge=-30,
        le=30,
        description="Change of the firm's overall ACSI-style index caused by the switch, in index points (C5; case 79 -> 74 = -5). "
        "Carried through the support experience: survey respondents whose last contact was vendor-handled score lower by the amount that moves the firm's index by this much.",
    )
    complaint_growth: float = Field(
        0.23,
        ge=-0.9,
        le=5,
        description="Relative change of the complaint rate per support ticket caused by the switch (C4: +23 %). Complaints escalate from vendor-handled tickets with bad experiences.",
    )
    wait_multiplier: float = Field(
        2.5, ge=0.1, le=20, description="Vendor wait time relative to in-house. [C1, C5, C8]"
    )
    fcr_drop: float = Field(
        0.15, ge=0, le=1, description="Fall in first-contact resolution at the vendor (absolute). [C5, C8]"
    )
    extra_transfers: float = Field(0.5, ge=0, le=5, description="Extra mean transfers per vendor ticket. [C5, C8]")
    cost_per_ticket: float = Field(11.0, gt=0, le=1000, description="Cost (USD) of a vendor-handled ticket (C1, C8).")
    return_segments: list[str] = Field(
        default_factory=list,
        description="Segments brought back in-house at return_date (history: corporate support back onshore, Nov 2003). [C1]",
    )
    return_date: dt.date | None = Field(
        None, description="Date the return_segments come back in-house (history: 2003-11-24). [C1]"
    )


class Crisis(_Section):
    """The 2005 service crisis and the 2006-07 recovery (C6, C7)."""

    start: dt.date = Field(
        dt.date(2005, 6, 21), description="Start of the service crisis ('Dell Hell' first post, C6)."
    )
    end: dt.date = Field(dt.date(2006, 7, 10), description="End of the crisis (Direct2Dell blog live, C7).")
    wait_multiplier: float = Field(
        1.0,
        ge=0.1,
        le=20,
        description="Extra multiplier on vendor waits during the crisis (history: queue failures). [C6, C7]",
    )
    satisfaction_drop: float = Field(
        0.0,
        ge=-30,
        le=30,
        description="Extra change of the firm's index during the crisis, in points (history only; the case attributes the fall to the switch). [C5, C6]",
    )


class Satisfaction(_Section):
    """ACSI-style surveys for the firm and competitor brands (C5)."""

    firm_baseline: float = Field(79.0, ge=0, le=100, description="The firm's index absent the switch (C5: 79 in 2004).")
    firm_by_year: dict[int, float] = Field(
        default_factory=dict,
        description="Optional year -> index path of the firm absent the switch (history: the ACSI series); overrides firm_baseline. [C5]",
    )
    competitor_baseline: dict[str, float] = Field(
        default_factory=lambda: {"HP": 71.0, "Compaq": 69.0, "Gateway": 74.0, "Apple": 81.0, "Other": 74.0},
        description="Index of each competitor brand (C5 record: industry 74, Apple 81, HP 71, Compaq 69, Gateway 74).",
    )
    respondents_per_quarter: int = Field(
        250,
        ge=10,
        le=100000,
        description="Survey respondents per brand per quarter (ACSI interviews ~250 per firm). [C5]",
    )
    response_sd: float = Field(
        14.0, gt=0, le=40, description="Standard deviation of individual scores (0-100) around the brand's index. [C5]"
    )
    contact_share: float = Field(
        0.4, gt=0, le=1, description="Share of the firm's respondents whose last year included a support contact. [C5]"
    )


class Complaints(_Section):
    """BBB-style escalations (C4)."""

    base_rate: float = Field(0.02, gt=0, le=0.5, description="Complaints per support ticket before the switch. [C4]")


class Market(_Section):
    """US PC market panel: buyers' brand choices by quarter (C2, C3)."""

    share_before: float = Field(
        0.282, gt=0, lt=1, description="Expected US PC market share of the firm before the switch (C2: 28.2 %)."
    )
    share_after: float = Field(0.288, gt=0, lt=1, description="Expected share after the switch (C3: 28.8 %).")
    buyers_per_quarter: int = Field(
        20000, ge=100, le=10_000_000, description="Panel buyers sampled per quarter. [C2, C3]"
    )
    competitor_split: dict[str, float] = Field(
        default_factory=lambda: {"HP": 0.35, "Compaq": 0.15, "Gateway": 0.10, "Apple": 0.08, "Other": 0.32},
        description="How the rest of the market splits among competitors (sums to 1). [C2, C3]",
    )


class Supply(_Section):
    """Build-to-order supply chain vs a build-to-stock competitor (D1-D8, D13-D15)."""

    inventory_days: float = Field(
        4.0, gt=0, le=365, description="Build-to-order days of supply in inventory (D3, D5; case 4, record 3-8)."
    )
    competitor_inventory_days: float = Field(
        80.0, gt=0, le=365, description="Build-to-stock competitor's days of supply (D4: 80)."
    )
    price_erosion_weekly: float = Field(
        0.01, ge=0, le=0.2, description="Component value lost per week in inventory (D4 record: ~1 %/week)."
    )
    supplier_lead_days: float = Field(
        2.0, gt=0, le=90, description="Mean supplier delivery lead time to the VMI hub (D2, D7)."
    )
    n_suppliers: int = Field(24, ge=4, le=500, description="Number of suppliers (D8: few, close suppliers).")
    dpo_days: float = Field(
        70.0,
        ge=0,
        le=365,
        description="Mean days from supplier invoice to payment (cash conversion cycle record: 68-73). [D3]",
    )
    dso_days_business: float = Field(
        35.0,
        ge=0,
        le=365,
        description="Mean days from shipment to customer payment for business and public customers (consumers pay at order). [D3]",
    )
    build_days: float = Field(4.0, gt=0, le=60, description="Promised order-to-ship days (D14: quote a real date).")
    on_time_rate: float = Field(
        0.93, ge=0, le=1, description="Expected share of orders shipped by the promised date (D14)."
    )
    cpu_generation_months: int = Field(
        9, ge=1, le=60, description="Months between new CPU generations (D4: a new 450 MHz chip)."
    )
    forecast_signal_share: float = Field(
        0.7,
        ge=0,
        le=1,
        description="Share of key-account orders announced in the sales pipeline ahead of time (D15: CRM signals).",
    )


class Scenario(_Section):
    """A whole synthetic Dell world: every mechanism the case describes, as a named parameter."""

    preset: str = Field("case", description="Name of the preset this scenario started from.")
    world: World = Field(default_factory=World)
    segments: Segments = Field(default_factory=Segments)
    spend: Spend = Field(default_factory=Spend)
    contacts: Contacts = Field(default_factory=Contacts)
    wallet: Wallet = Field(default_factory=Wallet)
    purchase: Purchase = Field(default_factory=Purchase)
    channels: Channels = Field(default_factory=Channels)
    support: Support = Field(default_factory=Support)
    outsourcing: Outsourcing = Field(default_factory=Outsourcing)
    crisis: Crisis = Field(default_factory=Crisis)
    satisfaction: Satisfaction = Field(default_factory=Satisfaction)
    complaints: Complaints = Field(default_factory=Complaints)
    market: Market = Field(default_factory=Market)
    supply: Supply = Field(default_factory=Supply)

    @model_validator(mode="after")
    def _cross_checks(self):
        _check_shares("segments.mix", self.segments.mix, SEGMENTS)
        _check_shares("market.competitor_split", self.market.competitor_split, BRANDS[1:])
        _check_wallet(self.wallet.share_by_segment, self.world, self.wallet.survey_year)
        for key in ("outsourcing.segments", "outsourcing.return_segments"):
            sec, name = key.split(".")
            bad = [s for s in getattr(getattr(self, sec), name) if s not in SEGMENTS]
            if bad:
                raise ValueError(f"{key}: unknown segment(s) {bad}; allowed: {list(SEGMENTS)}")
        if not (self.world.start < self.outsourcing.start < self.world.end):
            raise ValueError(
                f"outsourcing.start: must lie between world.start ({self.world.start}) and world.end ({self.world.end})"
            )
        if self.crisis.end <= self.crisis.start:
            raise ValueError(f"crisis.end ({self.crisis.end}) must be after crisis.start ({self.crisis.start})")
        large = self.segments.mix["large_enterprise"] + self.segments.mix["public_sector"]
        if self.segments.key_account_share > 0.8 * large:
            raise ValueError(
                f"segments.key_account_share: {self.segments.key_account_share} must be at most 0.8 x the large-customer share ({0.8 * large:.3f})"
            )
        if self.outsourcing.return_segments and self.outsourcing.return_date is None:
            raise ValueError("outsourcing.return_date: required when outsourcing.return_segments is set")
        return self

    # ------------------------------------------------------------------ helpers
    def get(self, key: str) -> Any:
        """Value of a dotted key, e.g. ``scenario.get("market.share_before")``."""
        obj: Any = self
        for part in key.split("."):
            obj = getattr(obj, part)
        return obj

    def to_dict(self) -> dict:
        """JSON-safe dict of every parameter (dates as ISO strings)."""
        return json.loads(self.model_dump_json())

    def fingerprint(self) -> str:
        """Stable text of every parameter, used in cache keys."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))


def _check_wallet(shares: Mapping[str, float], world: World, year: int) -> None:
    if set(shares) != set(SEGMENTS):
        raise ValueError(f"wallet.share_by_segment: needs exactly the segments {list(SEGMENTS)}; got {sorted(shares)}")
    if any(not (0 < v <= 0.95) for v in shares.values()):
        raise ValueError("wallet.share_by_segment: every share must be in (0, 0.95]")
    if not world.start.year < year <= world.end.year:
        raise ValueError(
            f"wallet.survey_year: must lie after the first year and within the world ({world.start.year + 1}-{world.end.year}); got {year}"
        )


def _check_shares(name: str, shares: Mapping[str, float], allowed: tuple[str, ...]) -> None:
    unknown = set(shares) - set(allowed)
    if unknown:
        raise ValueError(f"{name}: unknown key(s) {sorted(unknown)}; allowed: {list(allowed)}")
    if any(not (0 <= v <= 1) for v in shares.values()):
        raise ValueError(f"{name}: every share must be in [0, 1]")
    total = sum(shares.values())
    if abs(total - 1) > 1e-6:
        raise ValueError(f"{name}: shares must sum to 1 (they sum to {total:.4f})")


# ---------------------------------------------------------------------- presets and overrides
def preset_overrides(name: str) -> dict[str, Any]:
    """Dotted-key overrides that define a preset (``case`` is the model defaults)."""
    if name not in PRESETS:
        raise ParameterError("scenario", f"unknown preset {name!r}; allowed: {', '.join(PRESETS)}")
    text = resources.files("synthetic").joinpath("presets", f"{name}.yml").read_text(encoding="utf-8")
    data = yaml.safe_load(text) or {}
    return flatten(data)


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mapping -> dotted keys. Leaves dict-valued parameters (e.g. ``segments.mix``) whole."""
    out: dict[str, Any] = {}
    for k, v in data.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping) and _is_section(key):
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


def _is_section(key: str) -> bool:
    obj: Any = Scenario
    for part in key.split("."):
        fields = getattr(obj, "model_fields", None)
        if fields is None or part not in fields:
            return False
        ann = fields[part].annotation
        obj = ann
    return isinstance(obj, type) and issubclass(obj, BaseModel)


def _known_keys() -> list[str]:
    keys = []
    for sec, f in Scenario.model_fields.items():
        ann = f.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            keys += [f"{sec}.{k}" for k in ann.model_fields]
        else:
            keys.append(sec)
    return keys


KNOWN_KEYS = tuple(_known_keys())


def parse_value(text: str) -> Any:
    """Parse a CLI ``--set`` value: YAML scalars/lists/maps (``0.6``, ``2004-07-01``, ``[a, b]``)."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ParameterError("--set", f"cannot parse value {text!r}: {exc.problem}") from None


def read_override_file(path: str | Path) -> dict[str, Any]:
    """Overrides from a YAML or JSON file (nested sections or dotted keys)."""
    p = Path(path)
    if not p.is_file():
        raise ParameterError("--config", f"file not found: {p}")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))  # YAML is a superset of JSON
    except yaml.YAMLError as exc:
        raise ParameterError("--config", f"{p} is not valid YAML/JSON: {getattr(exc, 'problem', exc)}") from None
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ParameterError("--config", f"{p} must hold a mapping of parameter keys to values")
    return flatten(data)


def build_scenario(preset: str = "case", overrides: Mapping[str, Any] | None = None) -> Scenario:
    """The scenario of a preset with dotted-key overrides applied, validated.

    Raises :class:`ParameterError` (one line, naming the key and what is allowed)
    for an unknown preset or key, or a value of the wrong type or out of range.
    """
    merged = preset_overrides(preset)
    for key, value in dict(overrides or {}).items():
        if not isinstance(key, str):
            raise ParameterError("overrides", f"keys must be dotted strings, got {key!r}")
        if key not in KNOWN_KEYS:
            close = [k for k in KNOWN_KEYS if k.split(".")[-1] == key.split(".")[-1]]
            hint = f"; did you mean {close[0]}?" if close else "; see `python -m synthetic --list-keys`"
            raise ParameterError(key, f"unknown parameter{hint}")
        merged[key] = value
    tree: dict[str, Any] = {"preset": preset}
    for key, value in merged.items():
        sec, _, name = key.partition(".")
        tree.setdefault(sec, {})[name] = value
    try:
        return Scenario.model_validate(tree)
    except ValidationError as exc:
        raise _to_parameter_error(exc) from None


def _to_parameter_error(exc: ValidationError) -> ParameterError:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-after"))
    msg = err["msg"]
    ctx = err.get("ctx") or {}
    if err["type"] in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        f = _field_info(loc)
        if f is not None:
            lo = hi = None
            lo_op = hi_op = ""
            for m in f.metadata:
                for attr, op in (("ge", ">="), ("gt", ">")):
                    if getattr(m, attr, None) is not None:
                        lo, lo_op = getattr(m, attr), op
                for attr, op in (("le", "<="), ("lt", "<")):
                    if getattr(m, attr, None) is not None:
                        hi, hi_op = getattr(m, attr), op
            rng = " and ".join(
                x for x in (f"{lo_op} {lo}" if lo is not None else "", f"{hi_op} {hi}" if hi is not None else "") if x
            )
            msg = f"got {err.get('input')!r}; allowed: {rng}"
    elif err["type"] == "value_error":
        msg = str(ctx.get("error", msg))
        if ":" in msg.split(" ")[0]:
            key, _, rest = msg.partition(": ")
            return ParameterError(key, rest)
    else:
        msg = f"{msg} (got {err.get('input')!r})"
    return ParameterError(loc or "scenario", msg)


def _field_info(key: str):
    sec, _, name = key.partition(".")
    f = Scenario.model_fields.get(sec)
    if f is None:
        return None
    ann = f.annotation
    if not name:
        return f
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann.model_fields.get(name)
    return None


def describe_parameters() -> list[dict[str, str]]:
    """Every parameter: dotted key, type, default (``case``) and description (with claim ids)."""
    rows = []
    default = Scenario()
    for key in KNOWN_KEYS:
        f = _field_info(key)
        rows.append(
            {
                "key": key,
                "default": json.dumps(
                    default.to_dict()[key.split(".")[0]].get(key.split(".")[1])
                    if "." in key
                    else default.to_dict()[key]
                ),
                "description": f.description or "",
            }
        )
    return rows
