"""The casebook build (`python -m casebook build`) on the tiny fixture notebooks.

One build of tests/fixtures/notebooks is shared by the module (about 10 s);
a second, with a chapter made to fail, checks that the others still build.
The data pre-generation step calls a recording stand-in for ``synthetic.load``
(the fixture chapters use no generated data).
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from casebook.book import build, cli, render

FIXTURES = Path(__file__).parent / "fixtures"
NOTEBOOKS = FIXTURES / "notebooks"
CONFIG = FIXTURES / "casebook-test.yml"


class _Recorder:
    """Stands in for ``synthetic.load``: records each call."""

    def __init__(self):
        self.calls: list[dict] = []

    def __call__(self, **kwargs):
        self.calls.append(kwargs)
        return None


def _run(argv: list[str], recorder: _Recorder | None = None) -> int:
    import synthetic

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(synthetic, "load", recorder or _Recorder(), raising=False)
        return cli.main(argv)


def _main(argv: list[str]) -> int:
    """``cli.main``, with argparse's own exits turned into a status."""
    try:
        return cli.main(argv)
    except SystemExit as exc:
        return exc.code


def _build_args(notebooks: Path, out: Path, data: Path) -> list[str]:
    return [
        "build",
        "--notebooks",
        str(notebooks),
        "--config",
        str(CONFIG),
        "--profile",
        "fixture",
        "--out",
        str(out),
        "--data-dir",
        str(data),
        "--lanes",
        "2",
        "--quiet",
    ]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A build of the fixture notebooks: (output folder, exit status, recorded synthetic.load calls)."""
    base = tmp_path_factory.getbasetemp() / "casebook-fixture-build"
    out, data = base / "out", base / "data"
    recorder = _Recorder()
    rc = _run(_build_args(NOTEBOOKS, out, data), recorder)
    return out, rc, recorder.calls


def test_build_succeeds_and_writes_every_output(built):
    out, rc, _ = built
    assert rc == 0
    for rel in [
        "index.html",
        "build.json",
        "scorecard.html",
        "scorecard.csv",
        "scorecard.json",
        "pages/01_alpha.html",
        "pages/02_beta.html",
        "slides/01_alpha.slides.html",
        "slides/02_beta.slides.html",
        "notebooks/01_alpha.ipynb",
        "notebooks/02_beta.ipynb",
        "results/01_alpha.json",
        "results/02_beta.json",
        "assets/reveal.js/dist/reveal.js",
        "assets/reveal.js/plugin/notes/notes.js",
        "assets/slides.css",
    ]:
        assert (out / rel).is_file(), rel
    figures = sorted(p.name for p in (out / "figures").glob("*.png"))
    assert figures == ["01_alpha-fig01-spend-per-customer.png", "02_beta-fig01-waiting-time.png"]
    for p in (out / "figures").glob("*.png"):
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_build_records_each_chapter_s_wall_seconds_and_kernel_peak(built):
    out, _, _ = built
    m = json.loads((out / "build.json").read_text())
    assert set(m["timings"]) == {"worlds", "chapters", "render", "pdf", "lanes", "memory_gb"}
    for c in m["chapters"]:
        assert c["run_seconds"] > 0
        assert 30 < c["kernel_peak_rss_mb"] < 4000  # a Python kernel: tens of MB at least


def test_data_generated_once_with_the_profile_parameters(built):
    out, _, calls = built
    calls = [{k: v for k, v in c.items() if k != "workers"} for c in calls]  # workers never change the bytes
    assert calls == [
        {"scenario": "case", "seed": 3, "n_customers": 1000, "overrides": {}, "data_dir": str(out.parent / "data")}
    ]


def test_chapters_ran_with_build_parameters(built):
    out, _, _ = built
    nb = nbformat.read(out / "notebooks/01_alpha.ipynb", as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    assert "seed = 3" in injected[0].source
    assert 'results_path = "results/01_alpha.json"' in injected[0].source  # relative to the output folder
    assert 'data_dir = "../data"' in injected[0].source


def test_executed_notebooks_have_no_volatile_metadata(built):
    out, _, _ = built
    for path in (out / "notebooks").glob("*.ipynb"):
        nb = json.loads(path.read_text())
        assert build.has_volatile_metadata(nb) == [], path.name


def _text(html: str) -> str:
    """Visible text of an HTML page (tags removed), so highlighted code reads as written."""
    import html as h

    return h.unescape(re.sub(r"<[^>]+>", "", re.sub(r"<style.*?</style>", "", html, flags=re.S)))


def test_pages_drop_injected_and_removed_cells(built):
    out, _, _ = built
    html = (out / "pages/01_alpha.html").read_text()
    assert "<title>Alpha: a fixture chapter</title>" in html
    assert 'src="data:image/png;base64,' in html
    page = _text(html)
    assert str(out / "results" / "01_alpha.json") not in page  # the injected-parameters cell
    assert "seed: int = 1" in page  # the notebook's own parameters cell stays, for students
    assert "REMOVED-CELL-MARKER" not in page
    assert "HIDDEN-INPUT-MARKER" not in page and "output of a hide-input cell" in page
    assert "import numpy as np" in page  # code shown to students


def test_slides_hide_code_and_split_at_headings_and_figures(built):
    out, _, _ = built
    html = (out / "slides/01_alpha.slides.html").read_text()
    deck = _text(html)
    assert "import numpy as np" not in deck and "ax.set_title" not in deck
    assert "REMOVED-CELL-MARKER" not in deck and str(out / "results") not in deck
    assert 'src="../assets/reveal.js/dist/reveal.js"' in html
    # title | "Spend per customer" with its figure | "Summary table" with its table | "Key results"
    assert html.count("<section") == 2 * 4  # each slide is a <section> holding one <section> subslide


class _Refs(HTMLParser):
    """Every URL an HTML page makes the browser load (scripts, styles, images, frames...)."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("src", "data-src"):
            if a.get(key):
                self.urls.append(a[key])
        if tag == "link" and a.get("href"):
            self.urls.append(a["href"])
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


REMOTE = re.compile(r"^(?:https?:)?//", re.IGNORECASE)
CSS_REMOTE = re.compile(r"(?:@import\s+(?:url\()?|url\()\s*['\"]?(?:https?:)?//", re.IGNORECASE)


def test_no_html_loads_anything_from_the_network(built):
    out, _, _ = built
    pages = list(out.rglob("*.html"))
    assert len(pages) >= 6
    for page in pages:
        parser = _Refs()
        parser.feed(page.read_text())
        remote = [u for u in parser.urls if REMOTE.match(u)]
        assert not remote, f"{page.relative_to(out)} loads {remote}"
        assert not [s for s in parser.styles if CSS_REMOTE.search(s)], page
        for url in parser.urls:  # local references resolve to shipped files
            if not url.startswith(("data:", "#")):
                assert (page.parent / url.split("#")[0]).exists(), f"{page.relative_to(out)}: {url}"
    for css in (out / "assets").rglob("*.css"):
        assert not CSS_REMOTE.search(css.read_text()), css


def test_index_links_everything_and_names_profile_and_seed(built):
    out, _, _ = built
    index = (out / "index.html").read_text()
    assert "fixture" in index and re.search(r'id="seed">3<', index)
    for href in [
        "pages/01_alpha.html",
        "pages/02_beta.html",
        "slides/01_alpha.slides.html",
        "slides/02_beta.slides.html",
        "scorecard.html",
        "scorecard.csv",
        "scorecard.json",
    ]:
        assert f'href="{href}"' in index
        assert (out / href).is_file()


def test_scorecard_rows(built):
    out, _, _ = built
    with open(out / "scorecard.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    recorded = [r for r in rows if r["verdict"] != "no record"]
    assert [(r["chapter"], r["claim"], r["verdict"]) for r in recorded] == [
        ("01_alpha", "A8", "reproduced"),
        ("01_alpha", "B4", "reproduced"),
        ("02_beta", "X1", "reported"),
    ]
    # every claim of a built chapter (01: A1-A12, 02: B1-B7) has a row, with or without a record
    assert {r["claim"] for r in rows} >= {f"A{i}" for i in range(1, 13)} | {f"B{i}" for i in range(1, 8)}
    data = json.loads((out / "scorecard.json").read_text())
    assert data["summary"]["reproduced"] == 2 and data["summary"]["no record"] == len(rows) - 3
    assert data["build"]["profile"] == "fixture"
    html = (out / "scorecard.html").read_text()
    assert html.count('<tr class="row-') == len(rows) and html.count('data-verdict="no-record"') == len(rows) - 3


def test_failing_chapter_does_not_stop_the_others(tmp_path, capsys):
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    shutil.copy(NOTEBOOKS / "01_alpha.ipynb", nbs)
    shutil.copy(FIXTURES / "failing" / "02_broken.ipynb", nbs)
    out = tmp_path / "out"
    rc = _run(_build_args(nbs, out, tmp_path / "data"))
    err = capsys.readouterr().err
    assert rc == 1
    line = next(ln for ln in err.splitlines() if ln.strip().startswith("02_broken:"))
    assert "cell 3" in line and 'raise ValueError("planted failure' in line
    assert "ValueError: planted failure for the build test" in line
    assert (out / "pages/01_alpha.html").is_file() and (out / "slides/01_alpha.slides.html").is_file()
    assert (out / "notebooks/02_broken.ipynb").is_file()  # kept, with the error
    assert "planted failure" in (out / "pages/02_broken.html").read_text()  # still rendered
    manifest = json.loads((out / "build.json").read_text())
    assert [f["chapter"] for f in manifest["failed"]] == ["02_broken"]
    rows = list(csv.DictReader(open(out / "scorecard.csv", newline="")))
    assert ("02_broken", "chapter failed") in {(r["chapter"], r["verdict"]) for r in rows}


@pytest.mark.parametrize(
    "args, option",
    [
        (["--profile", "nope"], "--profile"),
        (["--set", "seed"], "--set"),
        (["--set", "=3"], "--set"),
        (["--set", "sead=3"], "--set"),
        (["--set", "results_path=x.json"], "--set"),
        (["--set", "n_customers=lots"], "n_customers"),
        (["--set", "overrides.outsourcing.no_such_key=1"], "outsourcing.no_such_key"),
        (["--only", "07"], "--only"),
        (["--notebooks", "/nonexistent/notebooks"], "--notebooks"),
        (["--config", "/nonexistent/config.yml"], "--config"),
        (["--frobnicate"], "--frobnicate"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, args, option):
    out = tmp_path / "out"
    argv = [
        "build",
        "--notebooks",
        str(NOTEBOOKS),
        "--out",
        str(out),
        "--data-dir",
        str(tmp_path / "d"),
        "--quiet",
        *args,
    ]
    rc = _main(argv)
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert len(err.splitlines()) == 1 and option in err, err
    assert not out.exists()  # nothing was done


def test_unwritable_out_dir(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    rc = _main(["build", "--notebooks", str(NOTEBOOKS), "--out", str(blocker / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and "--out" in err and "not a folder" in err


def test_set_and_profiles_resolve_in_order(tmp_path):
    plan = build.plan_build(
        profile="ci",
        sets=["seed=5", "overrides.outsourcing.satisfaction_effect=0"],
        out_dir=tmp_path / "out",
        notebooks_dir=NOTEBOOKS,
        data_dir=tmp_path / "data",
    )
    p = plan.chapters[0].parameters
    assert p["seed"] == 5 and p["n_customers"] == 5000  # --set over profile
    assert p["overrides"] == {"outsourcing.satisfaction_effect": 0}
    assert p["results_path"] == "results/01_alpha.json"  # relative to the output folder (the chapters' cwd)
    assert p["data_dir"] == "../data"
    classroom = build.plan_build(
        profile="classroom", out_dir=tmp_path / "out", notebooks_dir=NOTEBOOKS, data_dir=tmp_path / "data"
    )
    assert "seed" not in classroom.chapters[0].parameters  # the notebook's own default is used
    assert classroom.chapters[0].effective["seed"] == 1
    calls = build.datasets(classroom)
    assert calls == [
        {"scenario": "case", "seed": 1, "n_customers": 2000, "overrides": {}, "data_dir": str(tmp_path / "data")}
    ]


def test_config_file_overlays_a_profile(tmp_path):
    cfg = tmp_path / "my.yml"
    cfg.write_text("parameters:\n  seed: 11\n  overrides: {outsourcing: {satisfaction_effect: -2.5}}\n")
    plan = build.plan_build(
        profile="ci", config=cfg, out_dir=tmp_path / "o", notebooks_dir=NOTEBOOKS, data_dir=tmp_path / "d", only=["2"]
    )
    assert [c.chapter.name for c in plan.chapters] == ["02_beta"]
    p = plan.chapters[0].parameters
    assert (p["seed"], p["n_customers"], p["overrides"]) == (11, 5000, {"outsourcing.satisfaction_effect": -2.5})


def test_pregenerate_data_calls_load_per_data_set(monkeypatch):
    import synthetic

    rec = _Recorder()
    monkeypatch.setattr(synthetic, "load", rec, raising=False)
    call = {"scenario": "case", "seed": 1, "n_customers": 2000, "overrides": {}, "data_dir": "/d"}
    assert build.pregenerate_data([call], log=lambda m: None) == 1
    assert rec.calls == [call]

    def boom(**kw):
        raise RuntimeError("disk full")

    monkeypatch.setattr(synthetic, "load", boom, raising=False)
    with pytest.raises(build.BuildError, match="disk full"):
        build.pregenerate_data([call], log=lambda m: None)


def test_strip_volatile_metadata():
    nb = nbformat.v4.new_notebook()
    nb.metadata["papermill"] = {
        "start_time": "t",
        "end_time": "t",
        "duration": 1.0,
        "parameters": {"seed": 1},
        "input_path": "/x.ipynb",
        "output_path": "/y.ipynb",
    }
    cell = nbformat.v4.new_code_cell("1")
    cell.metadata["papermill"] = {"start_time": "t", "end_time": "t", "duration": 0.1, "status": "completed"}
    cell.metadata["execution"] = {"iopub.status.busy": "t"}
    nb.cells.append(cell)
    assert len(build.has_volatile_metadata(nb)) == 7
    build.strip_volatile_metadata(nb)
    assert build.has_volatile_metadata(nb) == []
    assert nb.metadata.papermill == {"parameters": {"seed": 1}} and cell.metadata.papermill == {"status": "completed"}
    build.strip_volatile_metadata(nb, drop_papermill=True)
    assert "papermill" not in nb.metadata and "papermill" not in cell.metadata


def _out(**data):
    return nbformat.v4.new_output("display_data", data=data)


@pytest.mark.parametrize(
    "cell, expected",
    [
        (nbformat.v4.new_markdown_cell("## A section\ntext"), "slide"),
        (nbformat.v4.new_markdown_cell("Just a paragraph."), "notes"),
        (nbformat.v4.new_code_cell("x = 1"), "skip"),
        (
            nbformat.v4.new_code_cell("plot()", outputs=[_out(**{"image/png": "iVBO", "text/plain": "<Figure>"})]),
            "slide",
        ),
        (
            nbformat.v4.new_code_cell("df", outputs=[_out(**{"text/html": "<table></table>", "text/plain": "df"})]),
            "slide",
        ),
        (
            nbformat.v4.new_code_cell("print(1)", outputs=[nbformat.v4.new_output("stream", name="stdout", text="1")]),
            "-",
        ),
        (
            nbformat.v4.new_code_cell("warn()", outputs=[nbformat.v4.new_output("stream", name="stderr", text="w")]),
            "skip",
        ),
    ],
)
def test_slide_type(cell, expected):
    """Headings open slides, prose goes to speaker notes, figures and tables get their own slide."""
    assert render.slide_type(cell) == expected


def test_figure_names_use_the_plot_title_or_the_heading(tmp_path):
    png = "iVBORw0KGgo="
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("## Cohort retention"),
            nbformat.v4.new_code_cell("plt.plot(x)", outputs=[_out(**{"image/png": png})]),
            nbformat.v4.new_code_cell('ax.set_title("Churn, by Segment (2005)")', outputs=[_out(**{"image/png": png})]),
        ]
    )
    nb.cells[2].metadata["tags"] = []
    paths = render.extract_figures(nb, "02_clv", tmp_path)
    assert [p.name for p in paths] == ["02_clv-fig01-cohort-retention.png", "02_clv-fig02-churn-by-segment-2005.png"]


def test_slides_keep_headings_and_move_prose_to_notes():
    from casebook.book.render import prepare_slides

    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("## 2 · Days of supply\n\n**Question.** A long reading.")]
    )
    out = prepare_slides(nb)
    kinds = [(c.source.splitlines()[0], c.metadata.slideshow["slide_type"]) for c in out.cells]
    assert kinds == [("## 2 · Days of supply", "slide"), ("**Question.** A long reading.", "notes")]


def test_chapters_in_threads_each_run_in_their_own_folder(tmp_path):
    """Build lanes run chapters in threads: each kernel starts in its own working folder and the
    build process's folder never changes (papermill's ``cwd`` would chdir the whole process)."""
    import threading

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import os, pathlib\npathlib.Path('where.txt').write_text(os.getcwd())")]
    src = tmp_path / "where.ipynb"
    nbformat.write(nb, src)
    here = os.getcwd()
    folders = [tmp_path / f"lane{i}" for i in range(3)]
    failures = []

    def run(folder):
        folder.mkdir()
        failures.append(build.execute_notebook(src, folder / "out.ipynb", None, 120, False, cwd=folder))

    threads = [threading.Thread(target=run, args=(f,)) for f in folders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == [None, None, None] and os.getcwd() == here
    for f in folders:
        assert (f / "where.txt").read_text() == str(f.resolve())


def test_usage_reads_memory_of_a_process_and_its_children():
    import subprocess
    import sys

    from casebook.book import usage

    me = os.getpid()
    assert usage.high_water_mark(me) >= usage.own_rss(me) > 10 * usage.MB
    child = subprocess.Popen([sys.executable, "-c", "import time; b = bytearray(200 * 2**20); time.sleep(5)"])
    try:
        import time

        deadline = time.time() + 4
        while usage.tree_rss(me) - usage.own_rss(me) < 150 * usage.MB and time.time() < deadline:
            time.sleep(0.1)
        assert usage.tree_rss(me) - usage.own_rss(me) >= 150 * usage.MB  # the child's 200 MB counted
    finally:
        child.kill()
        child.wait()
    assert usage.tree_rss(child.pid) == 0 and usage.own_rss(child.pid) == 0  # gone: zero, no error


def test_kernel_threads_env_sets_unset_thread_variables_and_restores_them(monkeypatch):
    import os

    from casebook.book import build

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")  # the user's choice is kept
    with build.kernel_threads_env(1):
        assert os.environ["OMP_NUM_THREADS"] == "1" and os.environ["OPENBLAS_NUM_THREADS"] == "3"
    assert "OMP_NUM_THREADS" not in os.environ and os.environ["OPENBLAS_NUM_THREADS"] == "3"
