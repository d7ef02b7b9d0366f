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
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import ParameterError

SEGMENTS = ("consumer", "small_business", "large_enterprise", "public_sector")
BRANDS = ("Dell", "HP", "Compaq", "Gateway", "Apple", "Other")
PRESETS = ("case", "history")
LOCALES = ("en_US", "zh_CN")

#: Every date of a scenario lies in this span (world.end - world.start <= 21 years keeps the
#: exponential acquisition growth and the Poisson rates finite; see tests/test_properties.py).
CALENDAR = (dt.date(1995, 1, 1), dt.date(2015, 12, 31))
#: A date within :data:`CALENDAR`.
CalendarDate = Annotated[dt.date, Field(ge=CALENDAR[0], le=CALENDAR[1])]
#: A satisfaction index point (ACSI-style, 0-100).
IndexPoint = Annotated[float, Field(ge=0, le=100)]


class _Section(BaseModel):
    # allow_inf_nan=False: no float parameter accepts NaN or +-inf
    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False, allow_inf_nan=False)


class _Keyed(BaseModel):
    """A dictionary-valued parameter with fixed keys (every segment, every brand), read like a dict.

    ``mix["consumer"]``, ``mix.get("HP")``, ``dict(mix)``, ``mix.items()`` work as on the
    plain dict it replaces; a missing or unknown key is a validation error.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _known_keys_first(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = [k for k in data if k not in cls.model_fields]
            if unknown:
                raise ValueError(f"unknown key(s) {unknown}; give every key: {', '.join(cls.model_fields)}")
        return data

    def __getitem__(self, key: str) -> float:
        if key not in type(self).model_fields:
            raise KeyError(key)
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key`` (``default`` for a key the model does not have)."""
        return getattr(self, key) if key in type(self).model_fields else default

    def keys(self) -> list[str]:
        """The fixed keys, in declaration order."""
        return list(type(self).model_fields)

    def values(self) -> list[float]:
        """The values, in key order."""
        return [getattr(self, k) for k in self.keys()]

    def items(self) -> list[tuple[str, float]]:
        """``(key, value)`` pairs, in key order."""
        return [(k, getattr(self, k)) for k in self.keys()]

    def __iter__(self):  # iterate keys, like a dict
        return iter(self.keys())

    def __len__(self) -> int:
        return len(type(self).model_fields)

    def __contains__(self, key: object) -> bool:
        return key in type(self).model_fields


class _Shares(_Keyed):
    """Shares that sum to 1 (each in [0, 1])."""

    @model_validator(mode="after")
    def _sum_to_one(self):
        total = sum(self.values())
        if abs(total - 1) > 1e-6:
            raise ValueError(f"shares must sum to 1 (they sum to {total:.4f})")
        return self


def _share(description: str) -> Any:
    return Field(ge=0, le=1, description=description)


class SegmentShares(_Shares):
    """Share of customers in each segment (every segment, summing to 1)."""

    consumer: float = _share("Share of consumers.")
    small_business: float = _share("Share of small businesses.")
    large_enterprise: float = _share("Share of large enterprises.")
    public_sector: float = _share("Share of public-sector customers.")


class CompetitorShares(_Shares):
    """How the rest of the market splits among the competitor brands (every brand, summing to 1)."""

    HP: float = _share("Share of HP.")
    Compaq: float = _share("Share of Compaq.")
    Gateway: float = _share("Share of Gateway.")
    Apple: float = _share("Share of Apple.")
    Other: float = _share("Share of other brands.")


class CompetitorIndex(_Keyed):
    """Satisfaction index (0-100) of every competitor brand."""

    HP: float = Field(ge=0, le=100, description="HP's index.")
    Compaq: float = Field(ge=0, le=100, description="Compaq's index.")
    Gateway: float = Field(ge=0, le=100, description="Gateway's index.")
    Apple: float = Field(ge=0, le=100, description="Apple's index.")
    Other: float = Field(ge=0, le=100, description="Other brands' index.")


class SegmentWalletShares(_Keyed):
    """Share of a transactional customer's PC budget the firm wins, by segment (each in [0.01, 0.95])."""

    consumer: float = Field(ge=0.01, le=0.95, description="Consumers' share of wallet.")
    small_business: float = Field(ge=0.01, le=0.95, description="Small businesses' share of wallet.")
    large_enterprise: float = Field(ge=0.01, le=0.95, description="Large enterprises' share of wallet.")
    public_sector: float = Field(ge=0.01, le=0.95, description="Public-sector customers' share of wallet.")


class World(_Section):
    """Calendar of the world."""

    start: CalendarDate = Field(dt.date(2000, 1, 1), description="First day of records (1995-01-01 to 2015-12-31).")
    end: CalendarDate = Field(
        dt.date(2008, 12, 31), description="Last day of records (inclusive; 1995-01-01 to 2015-12-31)."
    )
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

    mix: SegmentShares = Field(
        default_factory=lambda: SegmentShares(
            consumer=0.70, small_business=0.22, large_enterprise=0.05, public_sector=0.03
        ),
        description="Share of customers in each segment (A1: small = consumer + small business; large = enterprise + public). Must sum to 1.",
    )
    education_share_of_public: float = Field(
        0.5, ge=0, le=1, description="Share of public-sector customers that are education (the rest government) (A2)."
    )
    key_account_share: float = Field(
        0.01,
        ge=0.001,
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
        ge=1,
        le=1e7,
        description="Mean order revenue (USD) across customers; segment differences come from size through the spend heterogeneity (A6).",
    )
    margin: float = Field(
        0.26,
        ge=0.01,
        le=0.9,
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

    share_by_segment: SegmentWalletShares = Field(
        default_factory=lambda: SegmentWalletShares(
            consumer=0.45, small_business=0.35, large_enterprise=0.25, public_sector=0.30
        ),
        description="Share of a transactional customer's PC budget won by the firm, by segment (A12: share of wallet). Each in [0.01, 0.95].",
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
        ge=0.05,
        le=50,
        description="Mean purchases per year of an active customer (gamma mixing of Poisson rates). [B1, B6]",
    )
    rate_shape: float = Field(
        2.5, ge=0.1, le=100, description="Gamma shape r of purchase rates (smaller = more heterogeneous). [B6]"
    )
    dropout_mean: float = Field(
        0.12,
        ge=0.001,
        le=0.99,
        description="Mean chance that a customer becomes inactive after a purchase (beta mixing: the p of the MBG/NBD, which allows dropout right after the first purchase). This is the base rate outside the relationship programme (marketing.relationship_dropout_ratio scales it for enrolled customers); a bad support experience raises it (see bad_support_dropout_multiplier). [B2, B5, B7]",
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


class Marketing(_Section):
    """Marketing costs and the relationship programme (B4, B6): acquisition campaigns and the payoff of invested relationships."""

    campaign_share: float = Field(
        0.5,
        ge=0.05,
        le=0.95,
        description="Share of each year's new customers won by acquisition campaigns (the rest arrive organically). [B4]",
    )
    campaign_budget_dispersion: float = Field(
        0.6,
        ge=0.05,
        le=2,
        description="Log-sd of the campaign budget across (region, month) cells within a year: the variation chapter 02 uses to estimate the cost per acquired customer. [B4]",
    )
    acquisition_cost_per_customer: float = Field(
        1500.0,
        gt=0,
        le=1e6,
        description="Campaign spend (USD) per customer it wins: each cell's new customers rise by one per this much spend. Chapter 02 estimates it by regression across cells. [B4]",
    )
    relationship_programme_reach: float = Field(
        0.6,
        ge=0,
        le=1,
        description="Share of relationship-minded customers (besides key accounts, who are all enrolled) that the firm enrols in its relationship programme. [B6, B4]",
    )
    relationship_programme_mistarget: float = Field(
        0.05,
        ge=0,
        le=1,
        description="Share of transactional customers enrolled in the relationship programme by mistake. [B6]",
    )
    relationship_dropout_ratio: float = Field(
        0.6,
        ge=0.05,
        le=3,
        description="The relationship payoff: an enrolled customer's drop-out chance after each purchase, relative to what it would be outside the programme (1 = no payoff). [B6, B4]",
    )
    relationship_cost_per_year: float = Field(
        12.0,
        ge=0,
        le=1e6,
        description="Programme spend (USD) per enrolled customer-year, from enrolment to two years after the last purchase. "
        "The default is set so that, with the default payoff, acquiring a customer costs about 5x what keeping one costs (B4), in expectation. [B4]",
    )


class Channels(_Section):
    """How orders arrive (D9, D10)."""

    online_revenue_share: float = Field(
        0.25, ge=0.01, le=0.99, description="Expected share of revenue through the web site and Premier pages (D10)."
    )
    premier_min_employees: int = Field(
        400, ge=1, le=100000, description="Firms with at least this many employees get a Premier page (D9)."
    )
    premier_use: float = Field(
        0.6, ge=0, le=1, description="Share of an eligible firm's online orders that go through its Premier page (D9)."
    )


class Support(_Section):
    """After-sales support operations (C1, C8) before any outsourcing."""

    ticket_rate: float = Field(0.35, ge=0.01, le=3, description="Expected support tickets per order. [C1, C8]")
    inhouse_wait_minutes: float = Field(
        4.0, ge=0.1, le=120, description="Median wait (minutes) for an in-house agent. [C1, C5]"
    )
    inhouse_fcr: float = Field(0.72, ge=0, le=1, description="First-contact resolution rate in-house. [C1, C5]")
    inhouse_transfers: float = Field(0.3, ge=0, le=5, description="Mean transfers per ticket in-house. [C1, C5]")
    inhouse_cost_per_ticket: float = Field(
        28.0, ge=0.1, le=1000, description="Cost (USD) of a ticket handled in-house (C1: outsourcing was to cut cost)."
    )


class Outsourcing(_Section):
    """The switch to an offshore vendor (C1-C5, C8)."""

    start: CalendarDate = Field(
        dt.date(2004, 7, 1), description="Date support for the outsourced segments moves to the vendor (C1)."
    )
    segments: list[Literal["consumer", "small_business", "large_enterprise", "public_sector"]] = Field(
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
    cost_per_ticket: float = Field(11.0, ge=0.1, le=1000, description="Cost (USD) of a vendor-handled ticket (C1, C8).")
    return_segments: list[Literal["consumer", "small_business", "large_enterprise", "public_sector"]] = Field(
        default_factory=list,
        description="Segments brought back in-house at return_date (history: corporate support back onshore, Nov 2003). [C1]",
    )
    return_date: CalendarDate | None = Field(
        None, description="Date the return_segments come back in-house (history: 2003-11-24). [C1]"
    )


class Crisis(_Section):
    """The 2005 service crisis and the 2006-07 recovery (C6, C7)."""

    start: CalendarDate = Field(
        dt.date(2005, 6, 21), description="Start of the service crisis ('Dell Hell' first post, C6)."
    )
    end: CalendarDate = Field(dt.date(2006, 7, 10), description="End of the crisis (Direct2Dell blog live, C7).")
    wait_multiplier: float = Field(
        2.0,
        ge=0.1,
        le=20,
        description="Extra multiplier on vendor waits during the crisis: queue failures (C6; history: 20 % of calls answered in 4 minutes, Nov 2005). "
        "It reaches the index through respondents' vendor contacts, at the same points per unit of experience as the switch (so it moves the index only when outsourcing.satisfaction_effect != 0). [C6, C7]",
    )
    recovery_wait_multiplier: float = Field(
        0.6,
        ge=0.1,
        le=20,
        description="Multiplier on vendor waits from crisis.end on: service investment and listening programmes after the crisis (C7; history: USD 100-150M, 80 % of calls answered in 4 minutes by mid-2006). "
        "1 = no recovery beyond the end of the crisis. [C7]",
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
    firm_by_year: dict[Annotated[int, Field(ge=CALENDAR[0].year, le=CALENDAR[1].year)], IndexPoint] = Field(
        default_factory=dict,
        description="Optional year (1995-2015) -> index (0-100) path of the firm absent the switch (history: the ACSI series); overrides firm_baseline. [C5]",
    )

    @field_validator("firm_by_year", mode="before")
    @classmethod
    def _years_in_calendar(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            lo, hi = CALENDAR[0].year, CALENDAR[1].year
            bad = [y for y in value if isinstance(y, int) and not lo <= y <= hi]
            if bad:
                raise ValueError(f"years must be from {lo} to {hi} (got {bad})")
        return value

    competitor_baseline: CompetitorIndex = Field(
        default_factory=lambda: CompetitorIndex(HP=71.0, Compaq=69.0, Gateway=74.0, Apple=81.0, Other=74.0),
        description="Index of each competitor brand (C5 record: industry 74, Apple 81, HP 71, Compaq 69, Gateway 74).",
    )
    respondents_per_quarter: int = Field(
        250,
        ge=10,
        le=5_000,
        description="Survey respondents per brand per quarter (ACSI interviews ~250 per firm; at most 5,000). [C5]",
    )
    response_sd: float = Field(
        14.0,
        ge=0.5,
        le=40,
        description="Standard deviation of individual scores (0-100) around the brand's index. [C5]",
    )
    contact_share: float = Field(
        0.4,
        ge=0.01,
        le=1,
        description="Share of the firm's respondents whose last year included a support contact. [C5]",
    )
    industry_shock_sd: float = Field(
        1.2,
        ge=0,
        le=10,
        description="Standard deviation (index points) of the quarterly industry shock every brand's index shares (AR(1) over quarters). "
        "Makes a single-series comparison fail-able: the firm's index moves with the industry. [C5, C6, C7]",
    )
    industry_shock_ar: float = Field(
        0.6, ge=0, lt=1, description="Quarter-to-quarter persistence (AR(1) coefficient) of the industry shock. [C5]"
    )
    shock_loading_sd: float = Field(
        0.3,
        ge=0,
        le=2,
        description="Spread of competitor brands' loadings on the industry shock (loading = max(0, 1 + sd N(0,1)); the firm's is 1). "
        "Brands that co-move with the firm make better donors for a synthetic control. [C5]",
    )
    brand_trend_sd: float = Field(
        0.1,
        ge=0,
        le=2,
        description="Standard deviation of each competitor brand's own linear trend (index points per year, centred mid-world; the firm has none). [C5]",
    )
    brand_deviation_sd: float = Field(
        0.6,
        ge=0,
        le=10,
        description="Stationary standard deviation (points) of each brand's own AR(1) quarterly deviation, the firm's included: "
        "autocorrelated errors that no comparison removes. [C5, C6, C7]",
    )
    brand_deviation_ar: float = Field(
        0.6,
        ge=0,
        lt=1,
        description="Quarter-to-quarter persistence (AR(1) coefficient) of each brand's own deviation. [C5]",
    )


class Complaints(_Section):
    """BBB-style escalations (C4)."""

    base_rate: float = Field(
        0.02, ge=0.0001, le=0.5, description="Complaints per support ticket before the switch. [C4]"
    )


class Market(_Section):
    """US PC market panel: buyers' brand choices by quarter (C2, C3)."""

    share_before: float = Field(
        0.282, ge=0.01, le=0.99, description="Expected US PC market share of the firm before the switch (C2: 28.2 %)."
    )
    share_after: float = Field(0.288, ge=0.01, le=0.99, description="Expected share after the switch (C3: 28.8 %).")
    buyers_per_quarter: int = Field(
        20000,
        ge=100,
        le=200_000,
        description="Panel buyers sampled per quarter (at most 200,000: 17 M rows over the longest calendar). [C2, C3]",
    )
    competitor_split: CompetitorShares = Field(
        default_factory=lambda: CompetitorShares(HP=0.35, Compaq=0.15, Gateway=0.10, Apple=0.08, Other=0.32),
        description="How the rest of the market splits among competitors (sums to 1). [C2, C3]",
    )
    competitor_satisfaction_sensitivity: float = Field(
        0.03,
        ge=0,
        le=1,
        description="How competitors' shares of the rest of the market respond to their satisfaction path (industry shock x loading + trend + own deviation): "
        "weight x exp(sensitivity x deviation in points). The firm's share stays as planted (C2, C3). [C2, C3, C5]",
    )


class Supply(_Section):
    """Build-to-order supply chain vs a build-to-stock competitor (D1-D8, D13-D15)."""

    inventory_days: float = Field(
        4.0,
        ge=0.1,
        le=365,
        description="Target: the firm's days of supply (D3, D5; case 4). Not planted as stock: the plant's safety "
        "cover is calibrated so its pull policy reaches this in expectation on a reference demand; the realised "
        "days on the world's demand are an outcome.",
    )
    competitor_inventory_days: float = Field(
        80.0,
        ge=0.1,
        le=365,
        description="Target: the build-to-stock competitor's days of supply (D4: 80). Its safety cover is calibrated "
        "to reach this in expectation on a reference demand; realised days are an outcome.",
    )
    firm_review_days: int = Field(
        1, ge=1, le=30, description="Days between the plant's pulls from the VMI hubs (D1, D7)."
    )
    hub_transit_days: int = Field(
        1, ge=1, le=14, description="Days from a hub to the plant (D7: hubs next to the plant)."
    )
    supplier_review_days: int = Field(
        3, ge=1, le=60, description="Days between a supplier's replenishments of its hub (order-up-to policy, D2, D7)."
    )
    competitor_batch_days: int = Field(
        30, ge=1, le=120, description="Days between the build-to-stock competitor's production batches (D4, bullwhip)."
    )
    competitor_production_days: int = Field(
        14, ge=1, le=90, description="Days from the competitor's batch order to stock in the channel (D4)."
    )
    capacity_factor: float = Field(
        1.15, gt=1, le=3, description="Planned daily build capacity as a multiple of the forecast demand (D14)."
    )
    capacity_sd: float = Field(
        0.15, ge=0, le=1, description="Day-to-day log-sd of realised build capacity around the plan (D14)."
    )
    quote_buffer_days: int = Field(
        1, ge=0, le=30, description="Days added to the backlog-based ship-date quote (D14: quote a real date)."
    )
    price_erosion_weekly: float = Field(
        0.01, ge=0, le=0.2, description="Component value lost per week in inventory (D4 record: ~1 %/week)."
    )
    supplier_lead_days: float = Field(
        2.0,
        ge=0.1,
        le=90,
        description="Typical contracted supplier lead time to the VMI hub; each supplier's is 0.6-1.4x this, and late "
        "deliveries (each supplier's latent on-time chance) add days (D2, D7).",
    )
    n_suppliers: int = Field(24, ge=4, le=500, description="Number of suppliers (D8: few, close suppliers).")
    dpo_days: float = Field(
        70.0,
        ge=0,
        le=365,
        description="Typical net payment terms with suppliers (each supplier 0.8-1.2x this), paid on a weekly "
        "payment run after the terms expire (cash conversion cycle record: DPO 68-73). [D3]",
    )
    dso_days_business: float = Field(
        35.0,
        ge=0,
        le=365,
        description="Mean days from shipment to customer payment for business and public customers (consumers pay at order). [D3]",
    )
    build_days: float = Field(4.0, ge=1, le=60, description="Promised order-to-ship days (D14: quote a real date).")
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

    preset: Literal["case", "history"] = Field(
        "case",
        description="Name of the preset this scenario started from (chosen by --preset / scenario=, not an override).",
    )
    world: World = Field(default_factory=World)
    segments: Segments = Field(default_factory=Segments)
    spend: Spend = Field(default_factory=Spend)
    contacts: Contacts = Field(default_factory=Contacts)
    wallet: Wallet = Field(default_factory=Wallet)
    purchase: Purchase = Field(default_factory=Purchase)
    marketing: Marketing = Field(default_factory=Marketing)
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
        _check_wallet(self.world, self.wallet.survey_year)
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
        p = self.purchase
        a, b = p.dropout_mean * p.dropout_concentration, (1 - p.dropout_mean) * p.dropout_concentration
        if min(a, b) < 0.1:  # a smaller beta parameter draws dropout chances of exactly 0 or 1 (found by Hypothesis)
            raise ValueError(
                f"purchase.dropout_concentration: {p.dropout_concentration} with dropout_mean {p.dropout_mean} gives a beta "
                f"parameter {min(a, b):.3g}; each of mean x concentration and (1 - mean) x concentration must be >= 0.1 "
                f"(concentration >= {0.1 / min(p.dropout_mean, 1 - p.dropout_mean):.3g})"
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


def _check_wallet(world: World, year: int) -> None:
    if not world.start.year < year <= world.end.year:
        raise ValueError(
            f"wallet.survey_year: must lie after the first year and within the world ({world.start.year + 1}-{world.end.year}); got {year}"
        )


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
    """Whether ``key`` names a section of the scenario (``world``, ``segments`` ...), not a parameter."""
    f = Scenario.model_fields.get(key)
    return f is not None and isinstance(f.annotation, type) and issubclass(f.annotation, _Section)


def _known_keys() -> list[str]:
    """Dotted keys of every mechanism parameter (``preset`` is chosen separately, never overridden)."""
    keys = []
    for sec, f in Scenario.model_fields.items():
        ann = f.annotation
        if isinstance(ann, type) and issubclass(ann, _Section):
            keys += [f"{sec}.{k}" for k in ann.model_fields]
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
        if key == "preset":
            raise ParameterError(
                key, "not a mechanism parameter; choose the preset with --preset (python -m synthetic) or scenario="
            )
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
    """The first validation error as one line naming the dotted key the user typed and what is allowed."""
    err = exc.errors()[0]
    parts = [str(p) for p in err["loc"] if not str(p).startswith("function-after")]
    key = ".".join(parts[:2])  # section.parameter: what the user typed
    inner = ".".join(parts[2:])  # a key inside a dictionary-valued parameter, if any
    where = f"[{inner}] " if inner else ""
    msg = err["msg"]
    ctx = err.get("ctx") or {}
    f = _field_info(".".join(parts))
    if err["type"] in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        rng = _range_text(f) if f is not None else ""
        if not rng:
            rng = " and ".join(
                f"{op} {ctx[a]}" for a, op in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")) if a in ctx
            )
        msg = f"{where}got {err.get('input')!r}; allowed: {rng}"
    elif err["type"] == "finite_number":
        rng = _range_text(f) if f is not None else ""
        msg = f"{where}got {err.get('input')!r}; allowed: a finite number" + (f" {rng}" if rng else "")
    elif err["type"] == "literal_error":
        msg = f"{where}unknown value {err.get('input')!r}; allowed: {ctx.get('expected', '')}"
    elif err["type"] == "missing" and inner:
        model = _field_info(key)
        allowed = ", ".join(model.annotation.model_fields) if model is not None else inner
        msg = f"missing key {inner!r}; give every key: {allowed}"
    elif err["type"] == "extra_forbidden" and inner:
        model = _field_info(key)
        allowed = ", ".join(model.annotation.model_fields) if model is not None else ""
        msg = f"unknown key {inner!r}; allowed keys: {allowed}"
    elif err["type"] == "value_error":
        msg = str(ctx.get("error", msg))
        first = msg.split(" ")[0]
        if first.endswith(":") and "." in first:  # the message names its own key (cross-checks)
            k, _, rest = msg.partition(": ")
            return ParameterError(k, rest)
    else:
        msg = f"{where}{msg} (got {err.get('input')!r})"
    return ParameterError(key or "scenario", msg)


def _range_text(f) -> str:
    """``>= lo and <= hi`` from a field's bounds ('' if none)."""
    lo = hi = None
    lo_op = hi_op = ""
    for m in f.metadata:
        for attr, op in (("ge", ">="), ("gt", ">")):
            if getattr(m, attr, None) is not None:
                lo, lo_op = getattr(m, attr), op
        for attr, op in (("le", "<="), ("lt", "<")):
            if getattr(m, attr, None) is not None:
                hi, hi_op = getattr(m, attr), op
    return " and ".join(
        x for x in (f"{lo_op} {lo}" if lo is not None else "", f"{hi_op} {hi}" if hi is not None else "") if x
    )


def _field_info(key: str):
    """The pydantic field of a dotted key (``section.name`` or ``section.name.inner``), or None."""
    obj: Any = Scenario
    f = None
    for part in key.split("."):
        fields = getattr(obj, "model_fields", None) if isinstance(obj, type) else None
        if fields is None or part not in fields:
            return None
        f = fields[part]
        obj = f.annotation
    return f


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
