"""The 15 reliability findings of issue 11, one test each (numbered as in the issue).

Bad input: the command, exit status 2, one line on stderr naming the parameter,
nothing left behind. Kills and concurrency: the scenario itself, with tiny worlds.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

import synthetic
from synthetic import atomic
from synthetic.errors import ParameterError

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
#: a tiny, quick world: few customers, small survey and market panels
SMALL = [
    "-n",
    "300",
    "--set",
    "market.buyers_per_quarter=100",
    "--set",
    "satisfaction.respondents_per_quarter=10",
    "--no-progress",
]
SMALL_OV = {"market.buyers_per_quarter": 100, "satisfaction.respondents_per_quarter": 10}


def _run(args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=cwd, env=ENV, capture_output=True, text=True, timeout=timeout)


def _one_line_exit_2(r: subprocess.CompletedProcess, *words: str) -> None:
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    for w in words:
        assert w in lines[0], lines[0]


def _synthetic(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """``python -m synthetic`` in an empty folder; asserts the folder stays empty."""
    work = tmp_path / "cwd"
    work.mkdir()
    r = _run(["-m", "synthetic", "--data-dir", "data", *args], work)
    assert list(work.iterdir()) == [], f"left behind: {list(work.iterdir())}"
    return r


def _casebook(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """``python -m casebook build`` of the real chapters into an empty folder; asserts nothing is written."""
    work = tmp_path / "cwd"
    work.mkdir()
    r = _run(
        ["-m", "casebook", "build", "--notebooks", str(ROOT / "notebooks"), "--out", "out", "--data-dir", "data"]
        + ["--quiet", *args],
        work,
    )
    assert list(work.iterdir()) == [], f"left behind: {list(work.iterdir())}"
    return r


# 1 ------------------------------------------------------------------------------------------
def test_01_preset_is_not_an_override(tmp_path):
    _one_line_exit_2(_synthetic(tmp_path, "-n", "2000", "--set", "preset=history"), "preset", "--preset")


def test_01_preset_is_not_an_override_in_a_build(tmp_path):
    _one_line_exit_2(_casebook(tmp_path, "--set", "overrides.preset=history"), "preset")


# 2 ------------------------------------------------------------------------------------------
def test_02_segment_mix_needs_every_segment(tmp_path):
    r = _synthetic(tmp_path, "-n", "2000", "--set", "segments.mix={consumer: 1.0}")
    _one_line_exit_2(r, "segments.mix", "small_business")
    with pytest.raises(ParameterError) as err:
        synthetic.load(n_customers=2000, overrides={"segments.mix": {"consumer": 1.0}}, data_dir=tmp_path / "d")
    assert err.value.parameter == "segments.mix" and not (tmp_path / "d").exists()


def test_02_segment_mix_in_a_build(tmp_path):
    _one_line_exit_2(_casebook(tmp_path, "--set", "overrides.segments.mix={consumer: 1.0}"), "segments.mix")


# 3 ------------------------------------------------------------------------------------------
def test_03_competitor_split_needs_every_brand_before_any_work(tmp_path):
    t0 = time.perf_counter()
    r = _synthetic(tmp_path, "-n", "2000", "--set", "market.competitor_split={HP: 1.0}")
    _one_line_exit_2(r, "market.competitor_split", "Compaq")
    assert time.perf_counter() - t0 < 30  # rejected at start-up, not after generating


# 4 ------------------------------------------------------------------------------------------
def test_04_nan_is_rejected(tmp_path):
    r = _synthetic(tmp_path, "-n", "2000", "--set", "satisfaction.firm_by_year={2004: .nan}")
    _one_line_exit_2(r, "satisfaction.firm_by_year", "finite")


# 5 ------------------------------------------------------------------------------------------
def test_05_calendar_is_bounded(tmp_path):
    _one_line_exit_2(_synthetic(tmp_path, "--set", "world.end=2999-12-31"), "world.end", "2015-12-31")


# 6 ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value, words",
    [
        ("{Foo: 50}", ["Foo"]),
        ("{HP: 1e9, Compaq: 69, Gateway: 74, Apple: 81, Other: 74}", ["HP", "<= 100"]),
    ],
)
def test_06_competitor_baseline_keys_and_range(tmp_path, value, words):
    r = _synthetic(tmp_path, "--set", f"satisfaction.competitor_baseline={value}")
    _one_line_exit_2(r, "satisfaction.competitor_baseline", *words)


# 7 ------------------------------------------------------------------------------------------
def test_07_dictionary_to_an_impossible_path(tmp_path):
    _one_line_exit_2(_synthetic(tmp_path, "--dictionary", "/proc/version/x"), "--dictionary")


# 8 ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["abc", 5])
def test_08_overrides_must_be_a_mapping(tmp_path, bad):
    with pytest.raises(ParameterError) as err:
        synthetic.load(overrides=bad, data_dir=tmp_path / "d")
    assert err.value.parameter == "overrides" and "mapping" in str(err.value)
    assert not (tmp_path / "d").exists()


# 9 ------------------------------------------------------------------------------------------
def test_09_data_dir_that_is_a_file_is_named_data_dir(tmp_path):
    f = tmp_path / "a-file"
    f.write_text("x")
    with pytest.raises(ParameterError) as err:
        synthetic.load(n_customers=300, data_dir=f)
    assert err.value.parameter == "data_dir"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


# 10 -----------------------------------------------------------------------------------------
def test_10_build_gives_the_chapters_range(tmp_path):
    r = _casebook(tmp_path, "--set", "n_customers=-5")
    _one_line_exit_2(r, "n_customers", "1,000 to 5,000,000")
    assert "100 to" not in r.stderr


# 11 -----------------------------------------------------------------------------------------
def _wait_for(pred, timeout: float = 60.0, step: float = 0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return None


def _temp_folders(data: Path) -> list[Path]:
    return [p for p in data.glob(".*.tmp-*")] if data.is_dir() else []


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


def _gone(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")  # a zombie has exited


def _start(tmp_path: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "synthetic", "--data-dir", "data", "--no-progress", *args],
        cwd=tmp_path,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc")
def test_11_sigkill_leaves_a_temp_folder_that_the_next_run_removes(tmp_path):
    p = _start(tmp_path, "-n", "60000")
    assert _wait_for(lambda: _temp_folders(tmp_path / "data")), "the run never started writing"
    p.kill()
    p.wait()
    stale = _temp_folders(tmp_path / "data")
    assert stale  # SIGKILL runs no clean-up...
    r = _run(["-m", "synthetic", "--data-dir", "data", *SMALL], tmp_path)
    assert r.returncode == 0, r.stderr
    assert not any(p.exists() for p in stale)  # ...the next run removes it
    assert _temp_folders(tmp_path / "data") == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc")
def test_11_sigterm_removes_its_own_temp_folder(tmp_path):
    p = _start(tmp_path, "-n", "60000")
    assert _wait_for(lambda: _temp_folders(tmp_path / "data"))
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=60) != 0
    assert _temp_folders(tmp_path / "data") == [] and list((tmp_path / "data").iterdir()) == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc and prctl")
def test_11_workers_exit_when_the_main_process_is_killed(tmp_path):
    p = _start(tmp_path, "-n", "100000", "-w", "2")
    workers = _wait_for(lambda: len(_children(p.pid)) >= 2 and _children(p.pid), timeout=120)
    assert workers, "no worker processes appeared"
    p.kill()
    p.wait()
    assert _wait_for(lambda: all(_gone(w) for w in workers), timeout=20), "workers outlived their parent"


# 12 -----------------------------------------------------------------------------------------
def _fixture_build(out: Path, data: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "casebook", "build", "--notebooks", "notebooks"]
        + ["--config", str(FIXTURES / "casebook-test.yml"), "--profile", "fixture"]
        + ["--out", str(out), "--data-dir", str(data), "--quiet"],
        cwd=out.parent,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def fixture_site(tmp_path_factory):
    """A complete build of the fixture chapters: (project folder, output folder)."""
    base = tmp_path_factory.mktemp("site")  # a project: notebooks/, data/, build/
    shutil.copytree(FIXTURES / "notebooks", base / "notebooks")
    out, data = base / "build", base / "data"
    p = _fixture_build(out, data)
    _, err = p.communicate(timeout=600)
    assert p.returncode == 0, err
    return base, out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses renameat2")
def test_12_killed_build_leaves_the_old_site(fixture_site):
    base, out = fixture_site
    nested = out / "ci"
    nested.mkdir(exist_ok=True)
    (nested / "keep.txt").write_text("a nested build stays")
    before = _snapshot(out)
    p = _fixture_build(out, base / "data")
    started = _wait_for(lambda: [t for t in base.glob(".build.tmp-*") if (t / "notebooks").is_dir()], timeout=120)
    assert started, "the build never started"
    time.sleep(1.0)  # let it get into the first chapter
    p.kill()
    p.communicate()
    assert _snapshot(out) == before  # the old complete site, untouched
    assert list(base.glob(".build.tmp-*"))  # the killed build's folder...
    removed = atomic.remove_stale(base, "build", salvage=None)  # ...is what the next build sweeps first
    assert removed and not list(base.glob(".build.tmp-*"))


def test_12_swap_site_keeps_nested_folders(tmp_path):
    from casebook.book.build import swap_site

    out = tmp_path / "build"
    (out / "ci").mkdir(parents=True)
    (out / "index.html").write_text("old")
    (out / "pages").mkdir()
    (out / "pages" / "gone.html").write_text("old page")
    work = atomic.temp_beside(out)
    work.mkdir()
    (work / "index.html").write_text("new")
    swap_site(work, out)
    assert (out / "index.html").read_text() == "new" and (out / "ci").is_dir()
    assert not (out / "pages" / "gone.html").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build"]


# 13 -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("det")
    a = synthetic.generate(base / "a", n_customers=300, seed=11, overrides=SMALL_OV, progress=False)
    b = synthetic.generate(base / "b", n_customers=300, seed=11, overrides=SMALL_OV, progress=False)
    return a, b


def test_13_parquet_and_manifest_are_byte_identical(two_runs):
    a, b = two_runs
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file() and p.name != "world.duckdb")
    assert any(f.suffix == ".parquet" for f in files) and Path("manifest.json") in files
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file() and p.name != "world.duckdb")
    for f in files:
        assert (a / f).read_bytes() == (b / f).read_bytes(), f


def test_13_duckdb_is_identical_in_content(two_runs):
    def content(folder: Path):
        con = duckdb.connect(str(folder / "world.duckdb"), read_only=True)
        try:
            con.execute(f"SET file_search_path = '{folder}'")
            views = con.execute(
                "select view_name, sql from duckdb_views() where not internal order by view_name"
            ).fetchall()
            counts = {v: con.execute(f"select count(*) from {v}").fetchone()[0] for v, _ in views}
            return views, counts
        finally:
            con.close()

    a, b = two_runs
    assert content(a) == content(b)
    assert str(a) not in json.dumps(content(a)[0])  # views name relative paths only


# 14 -----------------------------------------------------------------------------------------
def test_14_outputs_carry_no_machine_paths(fixture_site):
    base, out = fixture_site
    machine = [str(base), str(ROOT), str(Path.home()), sys.prefix]
    texts = {
        "build.json": (out / "build.json").read_text(),
        "scorecard.json": (out / "scorecard.json").read_text(),
    }
    texts.update({f"notebooks/{p.name}": p.read_text() for p in (out / "notebooks").glob("*.ipynb")})
    for name, text in texts.items():
        for m in machine:
            assert m not in text, f"{name} holds the machine path {m}"
    info = json.loads(texts["build.json"])["build"]
    assert info["data_dir"] == "../data" and info["notebooks_dir"] == "../notebooks"


# 15 -----------------------------------------------------------------------------------------
def test_15_two_generations_of_the_same_world_at_once(tmp_path):
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "synthetic", "--data-dir", "data", *SMALL],
            cwd=tmp_path,
            env=ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    worlds = list((tmp_path / "data").iterdir())
    assert len(worlds) == 1 and (worlds[0] / "manifest.json").is_file()
    synthetic.open_world(worlds[0]).table("orders")


def test_15_force_never_removes_a_world_from_under_a_reader(tmp_path):
    r = _run(["-m", "synthetic", "--data-dir", "data", *SMALL], tmp_path)
    assert r.returncode == 0, r.stderr
    (folder,) = list((tmp_path / "data").iterdir())
    world = synthetic.open_world(folder)
    n = len(world.table("orders"))
    errors: list[BaseException] = []
    reads = 0
    stop = threading.Event()

    def reader():
        nonlocal reads
        while not stop.is_set():
            try:
                assert len(synthetic.open_world(folder).table("orders")) == n
                assert world.sql("select count(*) as k from orders")["k"][0] == n
                reads += 1
            except BaseException as exc:  # noqa: BLE001 - any failure is the finding
                errors.append(exc)
                return

    t = threading.Thread(target=reader)
    t.start()
    try:
        r = _run(["-m", "synthetic", "--data-dir", "data", "--force", *SMALL], tmp_path)
        assert r.returncode == 0, r.stderr
    finally:
        stop.set()
        t.join()
    assert errors == [] and reads > 0
    assert [p.name for p in (tmp_path / "data").iterdir()] == [folder.name]


def test_14_portable_paths_never_name_the_machine():
    from casebook.book.build import portable_path

    assert portable_path(Path("/p/data"), Path("/p/build")) == "../data"
    assert portable_path(Path("/p/data"), Path("/p/build/ci")) == "../../data"
    assert portable_path(Path("/elsewhere/notebooks"), Path("/p/build")) == "notebooks"
