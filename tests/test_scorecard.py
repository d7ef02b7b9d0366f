"""The reproduction scorecard: verdicts, read-backs, claims without records, on hand-made records.

The last two tests read a built casebook's results folder (``build/results``, ``build/ci/results``
or ``$CASEBOOK_RESULTS``) and FAIL while any chapter writes a read-back or lists a claim it
writes no record for; their messages name the records. They are skipped when nothing is built.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from casebook.analysis.results import Record, no_data_record, read_results, write_results
from casebook.book import scorecard as sc

ROOT = Path(__file__).resolve().parents[1]
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


# --------------------------------------------------------------------------- verdicts
def test_planted_inside_interval_is_reproduced():
    j = sc.judge(rec(-4.8, (-5.6, -4.0), planted=-5.0), TOL)
    assert j.verdict == sc.REPRODUCED and "inside" in j.reason
    assert j.recovers_planted == "yes" and j.agrees_with_case == ""


@pytest.mark.parametrize("planted, side", [(-7.0, "below"), (-3.0, "above")])
def test_planted_outside_interval_is_not_reproduced(planted, side):
    v, reason = sc.verdict(rec(-4.8, (-5.6, -4.0), planted=planted), TOL)
    assert v == sc.NOT_REPRODUCED
    assert side in reason and "[-5.6, -4]" in reason


def test_interval_bounds_are_inclusive():
    assert sc.verdict(rec(-4.8, (-5.0, -4.0), planted=-5.0), TOL)[0] == sc.REPRODUCED


def test_case_number_is_judged_against_the_interval_with_the_tolerance():
    # the case's -6.3 is 0.7 below the interval: within the tolerance of 1
    j = sc.judge(rec(-4.8, (-5.6, -4.0), planted=-5.0, claimed=-6.3), TOL)
    assert (j.verdict, j.recovers_planted, j.agrees_with_case) == (sc.REPRODUCED, "yes", "yes")
    # ... but 1.5 below a narrower one
    j = sc.judge(rec(-4.8, (-5.0, -4.6), planted=-4.9, claimed=-6.5), TOL)
    assert (j.verdict, j.recovers_planted, j.agrees_with_case) == (sc.NOT_REPRODUCED, "yes", "no")
    assert "the case's -6.5 is 1.5 from the 95 % interval [-5, -4.6]" in j.reason and "±1" in j.reason


def test_the_two_columns_answer_different_questions():
    # the method misses the planted value, yet the world agrees with the case
    j = sc.judge(rec(0.30, (0.25, 0.35), planted=0.2, claimed=0.3), sc.Tolerance(abs=0.05))
    assert (j.recovers_planted, j.agrees_with_case, j.verdict) == ("no", "yes", sc.NOT_REPRODUCED)
    assert "planted 0.2 is below" in j.planted_check and "within ±0.05" in j.case_check


def test_both_checks_failing_give_both_reasons():
    v, reason = sc.verdict(rec(0.1, (-0.5, 0.7), planted=-5.0, claimed=-5.0), TOL)
    assert v == sc.NOT_REPRODUCED
    assert "planted -5 is below" in reason and "the case's -5" in reason


def test_planted_without_interval_uses_the_tolerance():
    assert sc.verdict(rec(4.3, planted=4.0), sc.Tolerance(abs=0.5))[0] == sc.REPRODUCED
    v, reason = sc.verdict(rec(4.8, planted=4.0), sc.Tolerance(abs=0.5))
    assert v == sc.NOT_REPRODUCED and "no interval" in reason


def test_neither_planted_nor_claimed_is_reported():
    assert sc.verdict(rec(12.0, (10.0, 14.0)), TOL)[0] == sc.REPORTED


def test_one_sided_claims():
    ceiling = sc.Tolerance(bound="upper")
    assert sc.judge(rec(4.0, (3.9, 4.1), claimed=8.0), ceiling).agrees_with_case == "yes"
    assert sc.judge(rec(9.0, (8.5, 9.5), claimed=8.0), ceiling).agrees_with_case == "no"
    floor = sc.Tolerance(bound="lower")
    assert sc.judge(rec(24.0, (15.0, 34.0), claimed=10.0), floor).agrees_with_case == "yes"


# --------------------------------------------------------------------------- read-backs
@pytest.mark.parametrize(
    "record, why",
    [
        (rec(0.12, (0.12, 0.12000000000000004), planted=0.12), "zero-width"),  # a constant read back
        (rec(0.12, (0.12, 0.12), planted=None, claimed=0.12), "zero-width"),
        (rec(400.0, planted=400.0, claimed=400.0), "equals the planted"),  # no interval, equal to planted
        (rec(0.3 + 1e-15, (0.2, 0.4), planted=0.3), "equals the planted"),
    ],
)
def test_read_backs_are_flagged_never_reproduced(record, why):
    j = sc.judge(record, TOL)
    assert j.verdict == sc.READ_BACK and why in j.reason
    assert j.recovers_planted == ""


def test_a_real_estimate_near_the_planted_value_is_not_a_read_back():
    assert sc.judge(rec(0.3001, (0.29, 0.31), planted=0.3), TOL).verdict == sc.REPRODUCED
    assert sc.judge(rec(4.00005, (4.0, 4.0001), planted=4.00001), TOL).verdict == sc.REPRODUCED


# --------------------------------------------------------------------------- no data, no record
def test_no_data_records_round_trip_and_show_their_reason(tmp_path):
    path = write_results(
        tmp_path / "r.json",
        [rec(1.0, claim="C6"), no_data_record("C7", "Michael Dell's return", "the world has no CEO", unit="date")],
    )
    back = read_results(path)
    assert back[1].no_data and back[1].estimate is None and back[1].extra["reason"] == "the world has no CEO"
    j = sc.judge(back[1], TOL)
    assert j.verdict == sc.NO_DATA and j.reason == "the world has no CEO"
    with pytest.raises(ValueError, match="reason"):
        Record(**(no_data_record("C7", "q", "") | {}))
    with pytest.raises(ValueError, match="estimate"):
        Record(claim="C7", quantity="q", estimate=None, ci_low=None, ci_high=None, planted=None, claimed=None,
               unit="", method="m")  # fmt: skip


def test_record_takes_keywords_only():
    with pytest.raises(TypeError):
        Record("C5", "q", 1.0, None, None, None, None, "u", "m")  # the positional form is gone


def test_every_claim_of_a_built_chapter_has_a_row():
    claims = sc.load_claims()
    results = {
        "01_seg": [rec(0.8, (0.78, 0.82), planted=0.8001, claim="A8")],
        "03_out": [Record(**no_data_record("C6", "search results", "no web in this world"))],
    }
    rows = sc.scorecard_rows(results, claims)
    by_claim = {}
    for r in rows:
        by_claim.setdefault(r["claim"], []).append(r["verdict"])
    assert set(by_claim) == set(claims.for_chapter("01")) | set(claims.for_chapter("03"))
    assert by_claim["A8"] == [sc.REPRODUCED] and by_claim["C6"] == [sc.NO_DATA]
    assert by_claim["A1"] == [sc.NO_RECORD] and by_claim["C5"] == [sc.NO_RECORD]
    a1 = next(r for r in rows if r["claim"] == "A1")
    assert a1["chapter"] == "01_seg" and a1["claim_text"] and "no chapter wrote a record for A1" in a1["reason"]
    summary = sc.summarize(rows)
    assert set(summary) == set(sc.VERDICTS)
    assert summary[sc.NO_RECORD] == 12 - 1 + 8 - 1 and summary[sc.NO_DATA] == 1


def test_missing_listed_claims():
    results = {"02_clv": [rec(1.0, claim="B1")], "03_out": []}
    listed = {"02_clv": ["B1", "B4", "A12"], "03_out": ["C1"]}
    assert sc.missing_listed(results, listed) == {"02_clv": ["B4", "A12"], "03_out": ["C1"]}


def test_source_is_cited_by_title():
    claims = sc.load_claims()
    rows = sc.scorecard_rows({"03_out": [rec(-5.0, (-6.0, -4.0), claim="C5")]}, claims)
    c5 = next(r for r in rows if r["claim"] == "C5")
    assert "戴尔公司客户关系管理" in c5["source"] and "2022" in c5["source"] and ".txt" not in c5["source"]


# --------------------------------------------------------------------------- files
def test_rows_files_and_failed_chapters(tmp_path):
    claims = sc.load_claims()
    results = {
        "03_outsourcing": [
            rec(-4.9, (-5.2, -4.6), planted=-5.0, claimed=-6.3, claim="C5", quantity="ACSI change"),
            rec(0.21, (0.15, 0.27), planted=0.23, claimed=0.23, claim="C4", quantity="BBB growth"),
            rec(0.12, (0.12, 0.12), planted=0.12, claim="C1", quantity="a constant"),
        ],
        "04_supply": [],
    }
    rows = sc.scorecard_rows(results, claims, failed={"04_supply": "cell 2 -> KeyError: 'x'"})
    head = [(r["claim"], r["verdict"]) for r in rows[:4]]
    assert head == [("C5", sc.NOT_REPRODUCED), ("C4", sc.REPRODUCED), ("C1", sc.READ_BACK), ("", sc.CHAPTER_FAILED)]
    d1 = next(r for r in rows if r["claim"] == "D1")
    assert d1["verdict"] == sc.NO_RECORD and "failed before writing" in d1["reason"]
    assert rows[0]["claim_text"].startswith("University of Michigan")
    paths = sc.write_scorecard(rows, tmp_path, context={"profile": "ci", "seed_text": "7"})
    assert sorted(paths) == ["csv", "html", "json"]
    with open(paths["csv"], newline="") as fh:
        got = list(csv.DictReader(fh))
    assert [r["verdict"] for r in got[:4]] == ["not reproduced", "reproduced", "read-back", "chapter failed"]
    assert got[0]["recovers_planted"] == "yes" and got[0]["agrees_with_case"] == "no"
    data = json.loads(paths["json"].read_text())
    assert data["summary"]["reproduced"] == 1 and data["summary"]["read-back"] == 1
    assert data["summary"]["no record"] == len(rows) - 4
    html = paths["html"].read_text()
    assert "verdict-not-reproduced" in html and "KeyError" in html
    assert 'data-chapter="03_outsourcing" data-claim="C1" data-verdict="read-back"' in html
    assert "World agrees with the case" in html and "Method recovers planted" in html
    assert not list(tmp_path.glob(".*.tmp"))  # atomic writes leave no temporary files


def test_sweep_figures_sit_beside_rows(tmp_path):
    sweep = tmp_path / "sweep" / "sweep.json"
    sweep.parent.mkdir()
    stat = {"chapter": "03_out", "claim": "C4", "quantity": "BBB growth", "n": 10, "mean_estimate": 0.235,
            "bias": 0.005, "coverage": 0.9, "verdicts": {"reproduced": 0.7, "not reproduced": 0.3}}  # fmt: skip
    sweep.write_text(json.dumps({"sweep": {"profile": "ci", "n_seeds": 10}, "records": [stat]}))
    assert sc.find_sweep(tmp_path / "ci") == sweep  # build/ci finds build/sweep
    stats, info = sc.load_sweep(sc.find_sweep(tmp_path))
    rows = sc.scorecard_rows({"03_out": [rec(0.21, (0.15, 0.27), planted=0.23, claim="C4", quantity="BBB growth")]},
                             sc.load_claims(), sweep=stats)  # fmt: skip
    assert rows[0]["sweep_seeds"] == 10 and rows[0]["sweep_verdicts"] == "reproduced 70%, not reproduced 30%"
    html = sc.write_scorecard(rows, tmp_path / "out", sweep_info=info)["html"].read_text()
    assert "Across seeds" in html and "coverage 0.9" in html


def test_read_chapter_results_reports_missing_and_invalid_files(tmp_path):
    good = tmp_path / "a.json"
    good.write_text(json.dumps([rec(1.0).to_dict()]))
    bad = tmp_path / "b.json"
    bad.write_text(json.dumps([{"claim": "X", "estimate": 1}]))
    results, problems = sc.read_chapter_results({"a": good, "b": bad, "c": tmp_path / "missing.json"})
    assert len(results["a"]) == 1 and results["b"] == [] and results["c"] == []
    assert set(problems) == {"b", "c"} and "no results" in problems["c"]


# --------------------------------------------------------------------------- a built casebook
def _built_results() -> list[Path]:
    env = os.environ.get("CASEBOOK_RESULTS")
    cands = [Path(env)] if env else [ROOT / "build" / "results", ROOT / "build" / "ci" / "results"]
    return [p for p in cands if p.is_dir() and any(p.glob("*.json"))]


@pytest.mark.parametrize("folder", _built_results() or [None], ids=lambda p: str(p) if p else "nothing-built")
def test_built_casebook_has_no_read_backs(folder):
    """FAILS while a chapter reads a planted constant back (the message lists the records)."""
    if folder is None:
        pytest.skip("no built results folder (build/results, build/ci/results or $CASEBOOK_RESULTS)")
    results, problems = sc.read_chapter_results({p.stem: p for p in sorted(folder.glob("*.json"))})
    sweep, _ = sc.load_sweep(sc.find_sweep(folder.parent))  # as the build's scorecard does
    rows = sc.scorecard_rows(results, sc.load_claims(), sweep=sweep)
    found = sc.read_backs(rows)
    assert not found, f"{len(found)} read-back record(s) in {folder}:\n" + "\n".join(found)


@pytest.mark.parametrize("folder", _built_results() or [None], ids=lambda p: str(p) if p else "nothing-built")
def test_built_casebook_writes_a_record_for_every_listed_claim(folder):
    """FAILS while a chapter lists a claim in its opening but writes no record for it."""
    if folder is None:
        pytest.skip("no built results folder (build/results, build/ci/results or $CASEBOOK_RESULTS)")
    results, _ = sc.read_chapter_results({p.stem: p for p in sorted(folder.glob("*.json"))})
    listed = {p.stem: sc.opening_claims(p) for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))}
    missing = sc.missing_listed(results, {k: v for k, v in listed.items() if k in results})
    assert not missing, "claims listed in a chapter's opening without a record: " + "; ".join(
        f"{k}: {', '.join(v)}" for k, v in missing.items()
    )


def test_an_estimate_that_varies_across_seeds_is_not_a_read_back_by_coincidence():
    """50 of 5,000 customers is exactly the planted 0.01 at some seeds; a sweep shows the estimate moves."""
    r = rec(0.01, (0.0076, 0.0132), planted=0.01, claim="A2", quantity="key share")
    assert sc.judge(r, TOL).verdict == sc.READ_BACK  # one build alone cannot tell
    stats = {"01|A2|key share": {"n": 10, "mean_estimate": 0.0092, "sd_estimate": 0.001, "verdicts": {}}}
    assert sc.scorecard_rows({"01": [r]}, sc.load_claims(), sweep=stats)[0]["verdict"] == sc.REPRODUCED
    flat = rec(0.12, (0.12, 0.12), planted=0.12, claim="A7", quantity="discount")  # zero width: always
    assert sc.judge(flat, TOL, varies_across_seeds=True).verdict == sc.READ_BACK
