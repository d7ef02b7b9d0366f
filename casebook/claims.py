"""The case's claims, their sources and their numbers: one pydantic model of ``casebook/claims.yml``.

``claims.yml`` is the one place the case's numbers live. It holds

- ``sources``: a short bibliography of the (Chinese) source texts, by title, author and year
  where known; claims cite a source by its key and the scorecard shows the title;
- ``claims``: per claim id (A1-A12, B1-B7, C1-C8, D1-D15, plus derived metrics such as
  ``D-CCC``) the text, the chapter, the case's number with its unit and tolerance, the
  public record, and where a scenario parameter of the ``case`` preset states the same
  number, which one (``preset``; checked by ``tests/test_claims.py``).

Shared by the analysis and the book side: no scipy, no papermill, no HTML.
"""

from __future__ import annotations

import math
import os
import re
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

#: The claim ids of the case facts, sections A-D, in order.
CASE_CLAIM_IDS: tuple[str, ...] = (
    tuple(f"A{i}" for i in range(1, 13))
    + tuple(f"B{i}" for i in range(1, 8))
    + tuple(f"C{i}" for i in range(1, 9))
    + tuple(f"D{i}" for i in range(1, 16))
)
CHAPTERS = ("01", "02", "03", "04")
_ID = r"[A-D]\d{1,2}"
_RANGE_RE = re.compile(rf"\b({_ID})\s*(?:–|-|—|to)\s*({_ID})\b")
_ID_RE = re.compile(rf"(?<![\w-])({_ID})(?![\w-])")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _fmt(x: float) -> str:
    return f"{x:g}"


class Tolerance(_Strict):
    """How close two numbers must be: ``abs`` in the record's unit and/or ``rel`` (fraction of the reference).

    The larger of the two allowances applies. ``bound`` makes the claim one-sided:
    ``upper`` for a ceiling ("under 8 days"), ``lower`` for a floor ("tens or hundreds").
    """

    abs: float | None = Field(None, ge=0, allow_inf_nan=False)
    rel: float | None = Field(None, ge=0, allow_inf_nan=False)
    bound: Literal["upper", "lower"] | None = None

    def allowance(self, reference: float) -> float:
        """Largest allowed distance from ``reference``."""
        return max(self.abs or 0.0, (self.rel or 0.0) * abs(reference))

    def within(self, value: float, reference: float) -> bool:
        """True if ``value`` is within the allowance of ``reference`` (with a hair of float slack)."""
        return self.reaches(value, value, reference)

    def reaches(self, low: float, high: float, reference: float) -> bool:
        """True if some value in ``[low, high]`` is within the allowance of ``reference`` (respecting ``bound``)."""
        slack = 1e-9 * max(1.0, abs(reference))
        allow = self.allowance(reference) + slack
        if self.bound == "upper":
            return low <= reference + allow
        if self.bound == "lower":
            return high >= reference - allow
        return low <= reference + allow and high >= reference - allow

    def describe(self) -> str:
        """Human text, e.g. ``"±10 %"``, ``"±0.5 or ±10 %"`` or ``"the ceiling (at most the case's number)"``."""
        if self.bound:
            extra = f", {self.describe_plain()}" if (self.abs or self.rel) else ""
            word = {"upper": "the ceiling (at most", "lower": "the floor (at least"}[self.bound]
            return f"{word} the case's number{extra})"
        parts = []
        if self.abs is not None:
            parts.append(f"±{_fmt(self.abs)}")
        if self.rel is not None:
            parts.append(f"±{_fmt(self.rel * 100)} %")
        return " or ".join(parts) if parts else "exact"

    def describe_plain(self) -> str:
        """The allowance alone, without the bound."""
        return Tolerance(abs=self.abs, rel=self.rel).describe()

    @classmethod
    def from_mapping(cls, data: dict | None, where: str = "tolerance") -> Tolerance:
        """Build from ``{abs: x, rel: y, bound: upper|lower}``; a bad value is a one-line ``ValueError``."""
        try:
            return cls.model_validate(data or {})
        except ValidationError as exc:
            raise ValueError(one_line_error(exc, where)) from None


class Source(_Strict):
    """One source text of the case, for the bibliography."""

    title: str  # in the original language
    title_en: str = ""  # English rendering of the title
    author: str = ""  # "" where not known
    year: int | None = None
    kind: str = ""  # e.g. "journal article", "student case report"
    file: str = ""  # file name of the scraped text the claims were transcribed from
    note: str = ""

    def citation(self) -> str:
        """``Author (year), Title [English title]`` with what is known."""
        who = self.author or "author unknown"
        when = str(self.year) if self.year else "n.d."
        en = f" [{self.title_en}]" if self.title_en else ""
        return f"{who} ({when}), {self.title}{en}"


class PresetLink(_Strict):
    """Which parameter of the ``case`` preset states the claim's number, and how.

    The case's number equals ``value + offset``, or ``100 × value / <percent_of>``
    when ``percent_of`` names the reference parameter (a change stated in percent).
    """

    key: str = Field(pattern=r"^[a-z_]+(\.[a-z_0-9]+)+$")
    percent_of: str | None = Field(None, pattern=r"^[a-z_]+(\.[a-z_0-9]+)+$")
    offset: float = 0.0
    note: str = ""

    def case_number(self, value: float, reference: float | None = None) -> float:
        """The case's number implied by the preset's ``value`` (and ``reference`` for ``percent_of``)."""
        if self.percent_of:
            if reference is None:
                raise ValueError(f"{self.key}: percent_of {self.percent_of} needs its reference value")
            return 100.0 * value / reference + self.offset
        return value + self.offset


class Claim(_Strict):
    """One claim of the case, as transcribed in ``claims.yml``."""

    id: str
    chapter: Literal["01", "02", "03", "04"]
    text: str = Field(min_length=1)
    source: str = ""  # key into the bibliography (``sources``), or a short free citation
    case_value: float | None = Field(None, allow_inf_nan=False)
    case_text: str = ""
    unit: str = ""
    public_record: str = ""
    public_source: str = ""
    notes: str = ""
    tolerance: Tolerance | None = None  # None: the file's default_tolerance
    preset: PresetLink | None = None

    @field_validator("case_value", mode="before")
    @classmethod
    def _number_or_null(cls, v):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
            raise ValueError(f"must be a number or null (got {v!r})")
        return v

    @property
    def case_display(self) -> str:
        """The case's number as the case puts it (``case_text``), else the formatted ``case_value``."""
        if self.case_text:
            return self.case_text
        return "" if self.case_value is None else f"{self.case_value:,.6g}"


class Claims(_Strict):
    """The whole ``claims.yml``: bibliography, default tolerance and every claim by id."""

    default_tolerance: Tolerance = Tolerance(rel=0.10)
    sources: dict[str, Source] = Field(default_factory=dict)
    claims: dict[str, Claim]

    @model_validator(mode="before")
    @classmethod
    def _ids_from_keys(cls, data):
        if isinstance(data, dict) and isinstance(data.get("claims"), dict):
            data = dict(data)
            data["claims"] = {
                str(k): ({"id": str(k), **v} if isinstance(v, dict) else v) for k, v in data["claims"].items()
            }
        return data

    @model_validator(mode="after")
    def _cross_checks(self):
        for cid, claim in self.claims.items():
            if claim.source and re.fullmatch(r"[a-z0-9-]+", claim.source) and claim.source not in self.sources:
                raise ValueError(
                    f"claims.{cid}.source: {claim.source!r} is not in sources (allowed: {', '.join(self.sources)})"
                )
            if claim.preset is not None and claim.case_value is None:
                raise ValueError(f"claims.{cid}.preset: a preset link needs a case_value")
        return self

    @property
    def by_id(self) -> dict[str, Claim]:
        """Every claim by id (case claims and derived metrics)."""
        return self.claims

    def get(self, claim_id: str) -> Claim | None:
        """The claim ``claim_id``, or ``None`` for an id not in the file."""
        return self.claims.get(claim_id)

    def tolerance(self, claim_id: str) -> Tolerance:
        """The claim's tolerance, else the file's default."""
        claim = self.claims.get(claim_id)
        return (claim.tolerance if claim is not None else None) or self.default_tolerance

    def case_ids(self) -> list[str]:
        """Ids of the case's claims (A1 ... D15), in file order; derived metrics like ``D-CCC`` left out."""
        return [cid for cid in self.claims if re.fullmatch(_ID, cid)]

    def for_chapter(self, number: str) -> list[str]:
        """Case claim ids that chapter ``number`` (``"03"``) reproduces, per the file."""
        return [cid for cid in self.case_ids() if self.claims[cid].chapter == number]

    def source_title(self, claim_id: str) -> str:
        """The claim's source as a citation (bibliography entry), or its free text."""
        claim = self.claims.get(claim_id)
        if claim is None or not claim.source:
            return ""
        src = self.sources.get(claim.source)
        return src.citation() if src else claim.source


def one_line_error(exc: ValidationError, where: str) -> str:
    """The first pydantic error as one line naming the file and the key: ``file: claims.C4.tolerance.abs: ...``."""
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err.get("loc", ()))
    msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    if err.get("type") == "extra_forbidden":
        msg = "unknown key"
    got = err.get("input")
    shown = "" if err.get("type") in ("missing", "value_error") or isinstance(got, dict) else f" (got {got!r})"
    more = f" (+{len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    return f"{where}: {loc + ': ' if loc else ''}{msg}{shown}{more}"


def load_claims(path: str | os.PathLike | None = None) -> Claims:
    """Read ``claims.yml`` (the packaged one unless ``path`` is given) and validate it.

    Raises ``ValueError`` with one line naming the file and the key.
    """
    if path is None:
        text = resources.files("casebook").joinpath("claims.yml").read_text(encoding="utf-8")
        where = "casebook/claims.yml"
    else:
        text = Path(path).read_text(encoding="utf-8")
        where = str(path)
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{where}: must hold a mapping with sources:, default_tolerance: and claims:")
    try:
        return Claims.model_validate(data)
    except ValidationError as exc:
        raise ValueError(one_line_error(exc, where)) from None


def listed_claim_ids(text: str) -> list[str]:
    """Claim ids a chapter's opening lists (``A1``, ``D1 … D15`` and ``B1–B7`` ranges expanded), in order.

    Only the paragraph that starts "Claims reproduced" is read when there is one,
    else the whole text.
    """
    paras = re.split(r"\n\s*\n", text)
    chosen = [p for p in paras if re.search(r"claims\s+reproduced", p, re.I)]
    body = "\n".join(chosen) if chosen else text
    ids: list[str] = []
    for a, b in _RANGE_RE.findall(body.replace("…", "-")):
        if a[0] == b[0] and int(a[1:]) <= int(b[1:]):
            ids.extend(f"{a[0]}{i}" for i in range(int(a[1:]), int(b[1:]) + 1))
    ids.extend(_ID_RE.findall(body))
    return list(dict.fromkeys(ids))


def is_close(a: float, b: float) -> bool:
    """Equal up to floating-point error (relative 1e-9, absolute 1e-12)."""
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
