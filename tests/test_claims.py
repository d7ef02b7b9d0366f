"""casebook/claims.yml: the one source of the case's numbers, validated, with a bibliography, agreeing with the preset."""

from __future__ import annotations

from decimal import Decimal

import pytest

from casebook.claims import CASE_CLAIM_IDS, Claims, Tolerance, listed_claim_ids, load_claims
from synthetic.scenario import build_scenario, preset_overrides

#: Keys of synthetic/presets/case.yml that state no number of the case (so no claim links them).
NOT_CASE_NUMBERS = {
    "outsourcing.start": "a date the case gives only as 'early 2000s' (C1)",
    "supply.price_erosion_weekly": "the public record's ~1 % a week (D4), not the case's",
    "crisis.wait_multiplier": "a calibrated cause of C6's crisis (the case gives an outcome: 3 million links)",
    "crisis.recovery_wait_multiplier": "a calibrated cause of C7's recovery (the case gives no number)",
}


@pytest.fixture(scope="module")
def claims() -> Claims:
    return load_claims()


def test_every_claim_of_the_case_is_listed(claims):
    assert claims.case_ids() == list(CASE_CLAIM_IDS)  # A1-A12, B1-B7, C1-C8, D1-D15, in order
    assert set(claims.by_id) - set(CASE_CLAIM_IDS) == {"D-CCC"}  # plus one derived metric
    for cid in CASE_CLAIM_IDS:
        c = claims.get(cid)
        assert c.text and c.chapter == {"A": "01", "B": "02", "C": "03", "D": "04"}[cid[0]], cid
        assert c.source in claims.sources, cid  # every case claim cites the bibliography
    assert claims.get("C5").case_value == -6.3 and "74 (2005)" in claims.get("C5").public_record
    assert claims.tolerance("D-CCC") == claims.default_tolerance


def test_bibliography_cites_titles_not_file_names(claims):
    assert len(claims.sources) == 5
    for key, src in claims.sources.items():
        assert src.title and src.title_en and src.file.endswith(".txt"), key
        assert ".txt" not in src.citation() and src.title in src.citation()
    assert claims.sources["dell-crm"].year == 2022
    assert ".txt" not in claims.source_title("C4") and "戴尔公司客户关系管理" in claims.source_title("C4")


def _decimals(x: float) -> int:
    return max(0, -Decimal(repr(x)).normalize().as_tuple().exponent)


def test_case_numbers_agree_with_the_case_preset(claims):
    """claims.yml and synthetic/presets/case.yml state the same numbers (to the case's own rounding)."""
    scenario = build_scenario("case")
    linked = {}
    for cid, c in claims.by_id.items():
        if c.preset is None:
            continue
        value = float(scenario.get(c.preset.key))
        ref = float(scenario.get(c.preset.percent_of)) if c.preset.percent_of else None
        implied = c.preset.case_number(value, ref)
        tol = c.tolerance or claims.default_tolerance
        if tol.bound == "upper":
            assert implied <= c.case_value, f"{cid}: preset {c.preset.key}={value} is not under {c.case_value}"
        elif tol.bound == "lower":
            assert implied >= c.case_value, f"{cid}: preset {c.preset.key}={value} is not over {c.case_value}"
        else:
            half_digit = 0.5 * 10 ** -_decimals(c.case_value)  # the case rounds: -6.3 stands for [-6.35, -6.25]
            assert abs(implied - c.case_value) <= half_digit + 1e-12, (
                f"{cid}: claims.yml says {c.case_value}, the case preset's {c.preset.key}={value} implies {implied}"
            )
        linked[c.preset.key] = cid
    # every number the preset file states for the case is linked to a claim (or explicitly not the case's)
    preset_keys = set(preset_overrides("case"))
    unlinked = preset_keys - set(linked) - set(NOT_CASE_NUMBERS)
    assert not unlinked, f"case.yml keys without a claim in claims.yml (add a `preset:` link): {sorted(unlinked)}"
    assert {"C2", "C3", "C4", "C5", "A8", "D4", "D5", "D10"} <= set(linked.values())


def test_a_changed_number_is_caught(claims):
    c4 = claims.get("C4")
    wrong = c4.model_copy(update={"case_value": 0.25})
    implied = wrong.preset.case_number(float(build_scenario("case").get(wrong.preset.key)))
    assert abs(implied - wrong.case_value) > 0.005


@pytest.mark.parametrize(
    "body, where",
    [
        ("claims:\n  A1: {chapter: '01', text: t, case_value: lots}\n", "claims.A1.case_value"),
        ("claims:\n  A1: {chapter: '01', text: t, colour: red}\n", "claims.A1.colour: unknown key"),
        ("claims:\n  A1: {chapter: '01', text: t, tolerance: {abs: -1}}\n", "claims.A1.tolerance.abs"),
        ("claims:\n  A1: {chapter: '01', text: t, tolerance: {pct: 1}}\n", "claims.A1.tolerance.pct"),
        ("claims:\n  A1: {chapter: '07', text: t}\n", "claims.A1.chapter"),
        ("claims:\n  A1: {chapter: '01', text: t, source: nosuch}\n", "claims.A1.source"),
        (
            "claims:\n  A1: {chapter: '01', text: t, preset: {key: spend.top20_share}}\n",
            "preset link needs a case_value",
        ),
        ("sources:\n  s: {year: 2000}\nclaims: {}\n", "sources.s.title"),
        ("claims: [1, 2]\n", "claims"),
    ],
)
def test_a_bad_claims_file_is_one_line_naming_file_and_key(tmp_path, body, where):
    bad = tmp_path / "claims.yml"
    bad.write_text(body, encoding="utf-8")
    with pytest.raises(ValueError) as info:
        load_claims(bad)
    msg = str(info.value)
    assert len(msg.splitlines()) == 1 and str(bad) in msg and where in msg, msg


def test_tolerance_allowances():
    t = Tolerance(abs=0.02, rel=0.10)
    assert t.allowance(0.05) == pytest.approx(0.02) and t.allowance(1000) == pytest.approx(100)
    assert t.within(1099, 1000) and not t.within(1101, 1000)
    assert t.reaches(800, 905, 1000) and not t.reaches(800, 895, 1000)
    assert t.describe() == "±0.02 or ±10 %"
    assert Tolerance(bound="upper").within(4.0, 8.0) and not Tolerance(bound="upper").within(8.5, 8.0)
    with pytest.raises(ValueError, match="abs"):
        Tolerance.from_mapping({"abs": -1})


def test_listed_claim_ids():
    text = (
        "# 04 · Supply\n\nIntro mentions D99 nowhere.\n\n"
        "Claims reproduced (ids from the case facts): **D1** pull, **D3** under 8, D5–D7, and B2 - B3; "
        "plus the cash conversion cycle (D-CCC is derived)."
    )
    assert listed_claim_ids(text) == ["D5", "D6", "D7", "B2", "B3", "D1", "D3"]
    assert listed_claim_ids("the chapter reproduces D1 … D3") == ["D1", "D2", "D3"]
