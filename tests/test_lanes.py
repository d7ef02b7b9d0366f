"""casebook.book.lanes: declared worlds, lane choice, order-preserving parallel runs."""

from __future__ import annotations

import time

import nbformat
import pytest

from casebook.book import lanes


def chapter_with_worlds(tmp_path, source: str):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("seed = 7\nscenario = 'case'\noverrides = {}", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(source, metadata={"tags": ["worlds"]}),
    ]
    path = tmp_path / "03_x.ipynb"
    nbformat.write(nb, path)
    return path


PARAMS = {"scenario": "case", "seed": 7, "n_customers": 5000, "overrides": {"a.b": 1}, "data_dir": "/d"}


def test_declared_worlds_merge_over_the_chapters_own_call(tmp_path):
    path = chapter_with_worlds(
        tmp_path,
        "other = 'history' if scenario == 'case' else 'case'\n"
        "worlds = {'twin': {'overrides': overrides | {'x.y': 0.0}}, 'alt': {'scenario': other, 'overrides': {}}}",
    )
    w = lanes.declared_worlds(path, PARAMS)
    assert w["twin"] == PARAMS | {"overrides": {"a.b": 1, "x.y": 0.0}}
    assert w["alt"] == PARAMS | {"scenario": "history", "overrides": {}}
    # the build follows the chapter's parameters
    assert lanes.declared_worlds(path, PARAMS | {"scenario": "history"})["alt"]["scenario"] == "case"


def test_worlds_cell_cannot_import_or_set_unknown_keys(tmp_path):
    with pytest.raises(lanes.WorldsCellError, match="failed"):
        lanes.declared_worlds(chapter_with_worlds(tmp_path, "import os\nworlds = {}"), PARAMS)
    with pytest.raises(lanes.WorldsCellError, match="allowed"):
        lanes.declared_worlds(chapter_with_worlds(tmp_path, "worlds = {'x': {'data_dir': '/tmp'}}"), PARAMS)


def test_no_worlds_cell_means_no_extra_worlds(tmp_path):
    nb = nbformat.v4.new_notebook()
    nbformat.write(nb, tmp_path / "01_y.ipynb")
    assert lanes.declared_worlds(tmp_path / "01_y.ipynb", PARAMS) == {}


def test_choose_lanes_respects_memory_and_cores(monkeypatch):
    monkeypatch.setattr(lanes.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(lanes, "available_bytes", lambda: 20e9)
    assert lanes.choose_lanes("auto", 4, [lanes.estimated_peak_bytes(20_000)]) == 2
    monkeypatch.setattr(lanes, "available_bytes", lambda: 3e9)  # one 1M-customer chapter fits, two do not
    assert lanes.choose_lanes("auto", 4, [lanes.estimated_peak_bytes(1_000_000)]) == 1
    assert lanes.choose_lanes(3, 2, [lanes.estimated_peak_bytes(1_000_000)]) == 2


def test_run_in_lanes_returns_results_in_job_order():
    done = []
    jobs = [lambda i=i: (time.sleep(0.05 * (3 - i)), i)[1] for i in range(3)]
    assert lanes.run_in_lanes(jobs, 2, lambda i, r: done.append(i)) == [0, 1, 2]
    assert sorted(done) == [0, 1, 2]


def test_exercise_worlds_are_the_answer_keys_variants(tmp_path):
    from casebook.course.key import VARIANTS

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell('check("00.6 x", answer, expected=answer_key("00.6", ex_world))')]
    nbformat.write(nb, tmp_path / "00_x.ipynb")
    calls = lanes.chapter_worlds(tmp_path / "00_x.ipynb", PARAMS)
    assert calls == [PARAMS | {"overrides": {"a.b": 1, **VARIANTS["00.6"]}}]
    nb.cells = [nbformat.v4.new_code_cell("answer = 1")]  # no check of a variant exercise: no extra world
    nbformat.write(nb, tmp_path / "00_y.ipynb")
    assert lanes.chapter_worlds(tmp_path / "00_y.ipynb", PARAMS) == []


def test_every_chapter_s_variant_exercise_world_is_pregenerated():
    from pathlib import Path

    from casebook.course.key import VARIANTS

    found = {
        ex
        for nb in sorted((Path(__file__).parents[1] / "notebooks").glob("0*.ipynb"))
        for ex in lanes.exercise_worlds(nb, PARAMS)
    }
    assert found == set(VARIANTS)


def test_measured_peaks_need_every_chapter_at_that_size(tmp_path):
    import json

    chapters = [
        {"name": "00_a", "parameters": {"n_customers": 1000}, "kernel_peak_rss_mb": 500.0},
        {"name": "01_b", "parameters": {"n_customers": 1000}, "kernel_peak_rss_mb": 1000.0},
    ]
    path = tmp_path / "build.json"
    path.write_text(json.dumps({"chapters": chapters}))
    peaks = lanes.measured_peaks(path, 1000, ["00_a", "01_b"])
    assert peaks == {"00_a": 500.0 * 2**20, "01_b": 1000.0 * 2**20}
    assert max(lanes.chapter_peaks(["00_a", "01_b"], 1000, peaks)) == pytest.approx(
        lanes.MEASURED_MARGIN * 1000 * 2**20
    )
    assert lanes.measured_peaks(path, 2000, ["00_a"]) == {}  # other size
    assert lanes.measured_peaks(path, 1000, ["00_a", "02_c"]) == {}  # a chapter never measured
    assert lanes.measured_peaks(tmp_path / "none.json", 1000, ["00_a"]) == {}
    assert lanes.estimated_peak_bytes(1000) == lanes.FIXED_BYTES + lanes.BYTES_PER_CUSTOMER * 1000


def test_run_in_lanes_keeps_running_chapters_under_the_memory_budget():
    import threading
    import time

    from casebook.book.lanes import run_in_lanes

    peaks = [2.0, 2.1, 0.7, 1.4, 0.8]
    running: dict[int, float] = {}
    worst = [0.0]
    lock = threading.Lock()

    def job(i):
        def run():
            with lock:
                running[i] = peaks[i]
                worst[0] = max(worst[0], sum(running.values()))
            time.sleep(0.05 + 0.02 * i)
            with lock:
                running.pop(i)
            return i

        return run

    done = []
    out = run_in_lanes([job(i) for i in range(5)], 2, lambda i, r: done.append(i), peaks=peaks, budget=2.8)
    assert out == list(range(5)) and sorted(done) == list(range(5))
    assert worst[0] <= 2.8  # two large chapters never overlap; small ones slip in beside them
    # without a budget two lanes run side by side in order
    worst[0] = 0.0
    run_in_lanes([job(i) for i in range(5)], 2, lambda i, r: None)
    assert worst[0] > 2.8


def test_run_in_lanes_reraises_a_failed_job_after_the_running_ones_finish():
    from casebook.book.lanes import run_in_lanes

    def bad():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        run_in_lanes([bad, lambda: 1, lambda: 2], 2, lambda i, r: None, peaks=[1, 1, 1], budget=5)


def test_memory_option_is_checked_before_any_work():
    from casebook.book.build import UsageError, plan_build

    with pytest.raises(UsageError, match="--memory"):
        plan_build(memory_gb=0.1)


def test_shipped_kernel_peaks_cover_every_chapter_and_interpolate_in_customers():
    from pathlib import Path

    ref = lanes.reference_peaks()
    chapters = {p.stem for p in (Path(__file__).parents[1] / "notebooks").glob("0*.ipynb")}
    assert chapters <= set(ref), f"kernel_peaks.yml lacks {sorted(chapters - set(ref))}"
    table = {"a": {1000: 100.0, 3000: 300.0}}
    assert lanes.reference_peak_bytes("a", 2000, table) == pytest.approx(200.0)
    assert lanes.reference_peak_bytes("a", 5000, table) == pytest.approx(500.0)  # the line goes on
    assert lanes.reference_peak_bytes("a", 10, table) == 100.0  # never below the smallest measured
    assert lanes.reference_peak_bytes("b", 2000, table) is None


def test_chapter_peaks_trust_the_site_then_the_shipped_table_then_the_formula():
    table = {"a": {1000: 100.0, 3000: 300.0}}
    m = lanes.MEASURED_MARGIN
    assert lanes.chapter_peaks(["a", "b"], 1000, {"a": 50.0, "b": 60.0}, table) == pytest.approx([50 * m, 60 * m])
    assert lanes.chapter_peaks(["a", "b"], 1000, {}, table) == pytest.approx(
        [100 * m, lanes.estimated_peak_bytes(1000)]
    )


def test_lecture_profile_carries_a_memory_budget_and_memory_zero_lifts_it(tmp_path):
    from casebook.book.build import load_profiles, plan_build

    assert load_profiles()["lecture"]["memory"] is not None
    assert (
        plan_build(profile="lecture", only=["04"], out_dir=tmp_path).memory_gb == load_profiles()["lecture"]["memory"]
    )
    assert plan_build(profile="lecture", only=["04"], out_dir=tmp_path, memory_gb=0).memory_gb is None
    assert plan_build(profile="lecture", only=["04"], out_dir=tmp_path, memory_gb=5).memory_gb == 5.0
    assert plan_build(profile="classroom", only=["04"], out_dir=tmp_path).memory_gb is None


def test_a_profile_memory_out_of_range_is_one_clear_line(tmp_path):
    from casebook.book.build import UsageError, plan_build

    cfg = tmp_path / "p.yml"
    cfg.write_text("lecture:\n  memory: 0.1\n")
    with pytest.raises(UsageError, match="memory"):
        plan_build(profile="lecture", config=cfg, only=["04"], out_dir=tmp_path)
