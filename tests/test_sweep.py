"""``python -m casebook sweep``: per-record figures across seeds, on synthetic records and the fixture chapters."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from casebook.analysis.results import Record, no_data_record
from casebook.book import cli, sweep

FIXTURES = Path(__file__).parent / "fixtures"


def rec(estimate, ci, planted=None, claim="C4", quantity="growth", claimed=None):
    return Record(
        claim=claim,
        quantity=quantity,
        estimate=estimate,
        ci_low=ci[0] if ci else None,
        ci_high=ci[1] if ci else None,
        planted=planted,
        claimed=claimed,
        unit="fraction",
        method="test",
    )


def test_summary_of_synthetic_runs():
    # four seeds: the planted 0.23 is inside three of the four intervals
    runs = {
        1: {"03": [rec(0.20, (0.15, 0.25), 0.23), rec(5.0, None, claim="C8", quantity="cost")]},
        2: {"03": [rec(0.26, (0.21, 0.31), 0.23), rec(7.0, None, claim="C8", quantity="cost")]},
        3: {"03": [rec(0.24, (0.19, 0.29), 0.23), Record(**no_data_record("C6", "links", "no web"))]},
        4: {"03": [rec(0.34, (0.29, 0.39), 0.23)]},
    }
    by = {(r["claim"], r["quantity"]): r for r in sweep.summarise_runs(runs)}
    g = by[("C4", "growth")]
    assert g["n"] == 4 and g["planted"] == pytest.approx(0.23)
    assert g["mean_estimate"] == pytest.approx(0.26) and g["bias"] == pytest.approx(0.03)
    assert g["coverage"] == pytest.approx(0.75) and g["mean_half_width"] == pytest.approx(0.05)
    assert g["bias_over_half_width"] == pytest.approx(0.6)
    assert g["holds"] == "no"  # coverage under 0.85 and bias over half the half-width
    assert g["verdicts"] == {"reproduced": 0.75, "not reproduced": 0.25}
    assert g["sd_estimate"] == pytest.approx(0.0589, abs=1e-4)
    cost = by[("C8", "cost")]
    assert cost["coverage"] is None and cost["bias"] is None and cost["holds"] == "" and cost["n"] == 2
    assert by[("C6", "links")]["verdicts"] == {"no data in this world": 1.0}
    assert "C4" in sweep.format_table(sweep.summarise_runs(runs))


def test_a_record_that_holds():
    runs = {s: {"03": [rec(0.23 + d, (0.18 + d, 0.28 + d), 0.23)]} for s, d in enumerate([-0.01, 0.0, 0.01, 0.005])}
    (r,) = sweep.summarise_runs(runs)
    assert r["coverage"] == 1.0 and r["holds"] == "yes"


@pytest.mark.parametrize(
    "args, option",
    [
        (["--seeds", "0"], "--seeds"),
        (["--seeds", "many"], "--seeds"),
        (["--first-seed", "-1"], "--first-seed"),
        (["--set", "seed=3"], "--set"),
        (["--profile", "nope"], "--profile"),
        (["--only", "07"], "--only"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, args, option):
    out = tmp_path / "out"
    argv = ["sweep", "--notebooks", str(FIXTURES / "notebooks"), "--out", str(out), "--quiet", *args]
    try:
        rc = cli.main(argv)
    except SystemExit as exc:
        rc = exc.code
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and option in err, err
    assert not (out / "sweep.json").exists()


def test_sweep_of_the_fixture_chapter(tmp_path, capsys):
    """Two seeds of the fixture chapter 01_alpha (a sample mean of a planted 2.0)."""
    import synthetic

    out = tmp_path / "sweep"
    argv = ["sweep", "--seeds", "2", "--first-seed", "5", "--notebooks", str(FIXTURES / "notebooks")]
    argv += ["--config", str(FIXTURES / "casebook-test.yml"), "--profile", "fixture", "--only", "01"]
    argv += ["--out", str(out), "--data-dir", str(tmp_path / "data"), "--quiet"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(synthetic, "load", lambda **kw: None, raising=False)  # the fixture uses no generated data
        rc = cli.main(argv)
    printed = capsys.readouterr().out
    assert rc == 0 and "mean spend" in printed and "2 seeds (5-6)" in printed
    data = json.loads((out / "sweep.json").read_text())
    assert data["sweep"]["seeds"] == [5, 6] and data["sweep"]["profile"] == "fixture"
    mean = next(r for r in data["records"] if r["quantity"] == "mean spend")
    assert mean["n"] == 2 and mean["planted"] == 2.0 and abs(mean["bias"]) < 0.2
    with open(out / "sweep.csv", newline="") as fh:
        assert {r["claim"] for r in csv.DictReader(fh)} == {"A8", "B4"}
    assert sorted(p.name for p in (out / "runs").iterdir()) == ["seed-005", "seed-006"]
    assert not list((out / "runs").rglob("*.ipynb"))  # executed notebooks kept only for failures
    # the stored runs give the same table again (after a tolerance change, say)
    assert sweep.resummarise(out) == json.loads((out / "sweep.json").read_text())["records"] == data["records"]
