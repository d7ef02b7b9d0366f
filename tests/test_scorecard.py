"""Verdict logic of the reproduction scorecard, on hand-made records."""

from __future__ import annotations

import csv
import json

import pytest

from casebook.analysis.results import Record
from casebook.book import scorecard as sc

TOL = sc.Tolerance(abs=1.0)


def rec(estimate=0.0, ci=(None, None), planted=None, claimed=None, claim="C5", quantity="q"):
    return Record(
        claim=claim,
        quantity=quantity,
        estimate=estimate,
        ci_low=ci[0],
        ci_high=ci[1],
        planted=planted,
        claimed=claimed,
        unit="points",
        method="test",
    )


def test_planted_inside_interval_is_reproduced():
    v, reason = sc.verdict(rec(-4.8, (-5.6, -4.0), planted=-5.0), TOL)
    assert v == sc.REPRODUCED and "inside" in reason


@pytest.mark.parametrize("planted, side", [(-7.0, "below"), (-3.0, "above")])
def test_planted_outside_interval_is_not_reproduced(planted, side):
    v, reason = sc.verdict(rec(-4.8, (-5.6, -4.0), planted=planted), TOL)
    assert v == sc.NOT_REPRODUCED
    assert side in reason and "[-5.6, -4]" in reason


def test_interval_bounds_are_inclusive():
    assert sc.verdict(rec(-4.8, (-5.0, -4.0), planted=-5.0), TOL)[0] == sc.REPRODUCED


def test_claimed_within_tolerance_is_reproduced():
    assert sc.verdict(rec(-5.6, (-6.0, -5.2), claimed=-6.3), TOL)[0] == sc.REPRODUCED


def test_claimed_outside_tolerance_is_not_reproduced():
    v, reason = sc.verdict(rec(-4.8, (-5.6, -4.0), planted=-5.0, claimed=-6.3), TOL)
    assert v == sc.NOT_REPRODUCED
    assert "1.5 from the case's -6.3" in reason and "±1" in reason


def test_both_checks_failing_give_both_reasons():
    v, reason = sc.verdict(rec(0.1, (-0.5, 0.7), planted=-5.0, claimed=-5.0), TOL)
    assert v == sc.NOT_REPRODUCED
    assert "planted -5 is below" in reason and "from the case's -5" in reason


def test_planted_without_interval_uses_the_tolerance():
    assert sc.verdict(rec(4.3, planted=4.0), sc.Tolerance(abs=0.5))[0] == sc.REPRODUCED
    v, reason = sc.verdict(rec(4.8, planted=4.0), sc.Tolerance(abs=0.5))
    assert v == sc.NOT_REPRODUCED and "no interval" in reason


def test_neither_planted_nor_claimed_is_reported():
    assert sc.verdict(rec(12.0, (10.0, 14.0)), TOL)[0] == sc.REPORTED


def test_relative_and_absolute_tolerance_take_the_larger_allowance():
    t = sc.Tolerance(abs=0.02, rel=0.10)
    assert t.allowance(0.05) == pytest.approx(0.02)
    assert t.allowance(1000) == pytest.approx(100)
    assert t.within(1099, 1000) and not t.within(1101, 1000)
    assert t.describe() == "±0.02 or ±10 %"
    with pytest.raises(ValueError, match="abs"):
        sc.Tolerance.from_mapping({"abs": -1})
    with pytest.raises(ValueError, match="allowed"):
        sc.Tolerance.from_mapping({"pct": 1})


def test_packaged_claims_cover_the_case_facts():
    claims = sc.load_claims()
    expected = (
        [f"A{i}" for i in range(1, 13)]
        + [f"B{i}" for i in range(1, 8)]
        + [f"C{i}" for i in range(1, 9)]
        + [f"D{i}" for i in range(1, 16)]
        + ["D-CCC"]
    )
    assert sorted(claims.by_id) == sorted(expected)
    for cid, c in claims.by_id.items():
        assert c.text and (c.source.endswith(".txt") or "-" in cid) and c.chapter in {"01", "02", "03", "04"}, cid
    assert claims.get("C5").case_value == -6.3 and "74 (2005)" in claims.get("C5").public_record
    assert claims.get("A8").tolerance == sc.Tolerance(abs=0.03)
    assert claims.get("D-CCC").case_value is None and "-37" in claims.get("D-CCC").public_record  # a derived metric
    assert claims.get("D3").tolerance.within(4.0, 8.0) and not claims.get("D3").tolerance.within(8.5, 8.0)  # a ceiling


def test_claims_file_is_validated(tmp_path):
    bad = tmp_path / "claims.yml"
    bad.write_text("claims:\n  X1: {text: t, case_value: lots}\n")
    with pytest.raises(ValueError, match="case_value"):
        sc.load_claims(bad)
    bad.write_text("claims:\n  X1: {text: t, colour: red}\n")
    with pytest.raises(ValueError, match="colour"):
        sc.load_claims(bad)


def test_rows_files_and_failed_chapters(tmp_path):
    claims = sc.load_claims()
    results = {
        "03_outsourcing": [
            rec(-4.9, (-5.5, -4.3), planted=-5.0, claimed=-6.3, claim="C5", quantity="ACSI change"),
            rec(0.21, (0.15, 0.27), planted=0.23, claimed=0.23, claim="C4", quantity="BBB growth"),
        ],
        "04_supply": [],
    }
    rows = sc.scorecard_rows(results, claims, failed={"04_supply": "cell 2 -> KeyError: 'x'"})
    assert [(r["claim"], r["verdict"]) for r in rows] == [
        ("C5", sc.NOT_REPRODUCED),
        ("C4", sc.REPRODUCED),
        ("", sc.CHAPTER_FAILED),
    ]
    assert rows[0]["claim_text"].startswith("University of Michigan")
    paths = sc.write_scorecard(rows, tmp_path, context={"profile": "ci", "seed_text": "7"})
    assert sorted(paths) == ["csv", "html", "json"]
    with open(paths["csv"], newline="") as fh:
        assert [r["verdict"] for r in csv.DictReader(fh)] == ["not reproduced", "reproduced", "chapter failed"]
    data = json.loads(paths["json"].read_text())
    assert data["summary"] == {"reproduced": 1, "not reproduced": 1, "reported": 0, "chapter failed": 1}
    html = paths["html"].read_text()
    assert "verdict-not-reproduced" in html and "KeyError" in html
    assert not list(tmp_path.glob(".*.tmp"))  # atomic writes leave no temporary files


def test_read_chapter_results_reports_missing_and_invalid_files(tmp_path):
    good = tmp_path / "a.json"
    good.write_text(json.dumps([rec(1.0).to_dict()]))
    bad = tmp_path / "b.json"
    bad.write_text(json.dumps([{"claim": "X", "estimate": 1}]))
    results, problems = sc.read_chapter_results({"a": good, "b": bad, "c": tmp_path / "missing.json"})
    assert len(results["a"]) == 1 and results["b"] == [] and results["c"] == []
    assert set(problems) == {"b", "c"} and "no results" in problems["c"]
