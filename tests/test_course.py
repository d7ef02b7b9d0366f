"""The course: exercises checked against each student's own world, editions and the answer key.

Fast tests cover ``casebook.course`` (``check``, ``student_seed``, the answer key), the edition
transforms and the shape of every chapter's ``## Exercises`` block (tags, ids, and that the block
uses nothing from the chapter but its parameters). The ``slow`` tests execute each chapter's
exercise block on its own against a 5,000-customer world: the student edition with the
solutions pasted back (every check passes), with wrong answers (every check fails with its
hint); a ``casebook build --student`` whose lecturer edition reproduces that student's answers
while another id gets other numbers; and a papermill run of chapter 00 with a moved segment mix.
"""

from __future__ import annotations

import ast
import builtins
import json
import re
from pathlib import Path

import nbformat
import pytest

from casebook.book import editions
from casebook.course import CheckResult, answer_key, check, student_seed, student_slug
from casebook.course.check import MIME
from casebook.course.key import KEY, VARIANTS

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
CHAPTERS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
CH_IDS = [p.stem[:2] for p in CHAPTERS]
PARAMETERS = ("seed", "n_customers", "scenario", "overrides", "data_dir")
CI = {"n_customers": 5_000, "scenario": "case", "overrides": {}}


def _chapter(number: str) -> Path:
    return next(p for p in CHAPTERS if p.stem.startswith(number))


def _block(nb: nbformat.NotebookNode) -> list:
    start = editions.exercises_start(nb)
    assert start is not None, "no '## Exercises' block"
    return nb.cells[start:]


def _tagged(cells, tag: str) -> list:
    return [c for c in cells if tag in editions.cell_tags(c)]


# --------------------------------------------------------------------------- student ids
def test_student_seed_is_stable_and_normalised():
    assert student_seed("ana") == 382463586  # pinned: a lecturer rebuilds a student's world years later
    assert student_seed("  ANA ") == student_seed("ana")
    assert student_seed("ana") != student_seed("bob")
    seeds = {student_seed(f"s{i:04d}") for i in range(2000)}
    assert len(seeds) == 2000 and min(seeds) >= 1000 and max(seeds) < 2**31
    assert student_slug("Ana Silva@uni.example") == "ana-silva-uni-example"
    assert student_slug("王小明").startswith("seed-")


@pytest.mark.parametrize("bad", ["", "   ", None, 3])
def test_student_seed_rejects_a_bad_id(bad):
    with pytest.raises(ValueError, match="student_id"):
        student_seed(bad)


# --------------------------------------------------------------------------- check
def test_check_right_wrong_unanswered(capsys):
    r = check("x.1 n", 20_000, 20_000)
    assert r and r.status == "pass" and capsys.readouterr().out.startswith("✓ x.1 n: 20000")
    r = check("x.2 share", 0.31, 0.25, tol=0.01, hint="divide by all orders")
    out = capsys.readouterr().out
    assert not r and out.startswith("✗ x.2 share: 0.31 is not right") and "Hint: divide by all orders" in out
    assert "0.25" not in out  # a wrong answer never reveals the right one
    r = check("x.3", ..., 1.0, hint="h")
    assert r.status == "unanswered" and "not answered yet" in capsys.readouterr().out


def test_check_tolerances_and_types(capsys):
    import numpy as np

    assert check("a", 101.0, 100.0, rel=0.01) and not check("b", 101.5, 100.0, rel=0.01)
    assert check("c", 100.4, 100.0, tol=0.5, rel=0.001)  # the larger allowance wins
    assert check("d", np.int64(7), 7) and not check("e", 8, 7)
    assert check("f", "  south ", "South") and not check("g", "West", "South")
    assert check("h", [1, 2.0001], np.array([1.0, 2.0]), tol=0.001) and not check("i", [1, 2], [1, 2, 3])
    assert check("j", np.bool_(True), True) and not check("k", 1, True)
    assert not check("l", "12", 12) and not check("m", float("nan"), 1.0)
    out = capsys.readouterr().out
    assert "expected a number, got str" in out and "expected 3 values, got 2" in out
    with pytest.raises(ValueError, match="tol"):
        check("n", 1, 1, tol=-1)
    assert isinstance(check("o", 1, 1), CheckResult)


def test_answer_key_rejects_unknown_exercise():
    with pytest.raises(ValueError, match="no answer-key entry '99.9'"):
        answer_key("99.9 nothing", object())


# --------------------------------------------------------------------------- editions
def _toy_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    check_out = nbformat.v4.new_output(
        "display_data",
        data={
            "text/plain": "✓ 9.1 n: 5 is right for your world",
            MIME: {"name": "9.1 n", "status": "pass", "expected": 5, "answer": 5, "tol": None, "rel": 0.1},
        },
    )
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 99 · toy"),
        nbformat.v4.new_markdown_cell("## Exercises"),
        nbformat.v4.new_markdown_cell("**9.1.** How many?", metadata={"tags": ["exercise"]}),
        nbformat.v4.new_code_cell("answer = ...  # your answer", metadata={"tags": ["student"]}),
        nbformat.v4.new_code_cell("answer = 5", metadata={"tags": ["solution"]}),
        nbformat.v4.new_code_cell("check('9.1 n', answer, expected=5)", metadata={"tags": ["check"]}),
    ]
    nb.cells[-1].outputs = [check_out]
    nb.cells[-1].execution_count = 4
    return nb


def test_student_edition_removes_solutions_and_their_outputs():
    nb = _toy_notebook()
    student = editions.student_edition(nb)
    assert not _tagged(student.cells, "solution") and len(student.cells) == 5
    assert _tagged(student.cells, "check")[0].outputs == [] and _tagged(student.cells, "student")
    assert _tagged(nb.cells, "check")[0].outputs, "the source notebook is not changed"
    assert editions.lecturer_edition(nb).cells == nb.cells


def test_answer_key_page_rows_from_check_outputs():
    (row,) = editions.answer_key_rows(_toy_notebook())
    assert row["name"] == "9.1 n" and row["expected_text"] == "5" and row["tolerance_text"] == "±10.0% of the value"
    assert row["prompt"].startswith("**9.1.**") and row["solution"] == "answer = 5"


def test_build_student_option_is_checked_before_any_work(tmp_path):
    from casebook.book.build import UsageError, plan_build

    with pytest.raises(UsageError, match="--student"):
        plan_build(profile="ci", sets=["seed=3"], student="ana", out_dir=tmp_path / "o", notebooks_dir=NOTEBOOKS)
    with pytest.raises(UsageError, match="--student: must not be blank"):
        plan_build(profile="ci", student="  ", out_dir=tmp_path / "o", notebooks_dir=NOTEBOOKS)
    plan = plan_build(profile="ci", student="ana", out_dir=tmp_path / "o", notebooks_dir=NOTEBOOKS, only=["00"])
    assert plan.student == "ana" and plan.chapters[0].effective["seed"] == student_seed("ana")


# --------------------------------------------------------------------------- the exercise blocks
@pytest.mark.parametrize("path", CHAPTERS, ids=CH_IDS)
def test_exercise_block_shape(path):
    nb = nbformat.read(path, as_version=4)
    block = _block(nb)
    number = path.stem[:2]
    prompts = _tagged(block, "exercise")
    prompts = [c for c in prompts if c.cell_type == "markdown"]
    low, high = (4, 8) if number == "00" else (4, 6)
    assert low <= len(prompts) <= high, f"{len(prompts)} exercises"
    students, solutions, checks = (_tagged(block, t) for t in ("student", "solution", "check"))
    assert len(students) == len(solutions) == len(checks) == len(prompts)
    assert all(c.source.strip() == "answer = ...  # your answer" for c in students)
    ids = [re.search(r'check\(\s*"(\d\d\.\d+)', c.source).group(1) for c in checks]
    assert all(i.startswith(f"{number}.") and i in KEY for i in ids) and len(set(ids)) == len(ids)
    assert all(f'answer_key("{i}", ex_world)' in c.source for i, c in zip(ids, checks, strict=True))
    # each exercise reads prompt -> student -> solution -> check
    order = [
        next(iter(editions.cell_tags(c) & {"exercise", "student", "solution", "check"}))
        for c in block
        if editions.cell_tags(c) & {"student", "solution", "check"} or c in prompts
    ]
    assert order == ["exercise", "student", "solution", "check"] * len(prompts)
    # the block is the end of the chapter (other chapters' authors edit everything above it)
    assert block[-1] is nb.cells[-1] and "check" in editions.cell_tags(block[-1])


@pytest.mark.parametrize("path", CHAPTERS, ids=CH_IDS)
def test_exercise_block_is_self_contained(path):
    """The block uses only the parameters cell's names: it survives any rewrite of the chapter above it."""
    block = _block(nbformat.read(path, as_version=4))
    tree = ast.parse("\n".join(c.source for c in block if c.cell_type == "code"))
    defined = set(PARAMETERS) | set(dir(builtins))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            defined |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            defined.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.arg)):
            defined.add(node.name if isinstance(node, ast.FunctionDef) else node.arg)
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    assert used - defined == set()


def test_every_key_entry_is_used_and_variants_are_keyed():
    used = set()
    for path in CHAPTERS:
        source = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
        used |= set(re.findall(r'answer_key\("(\d\d\.\d+)"', source))
    assert used == set(KEY)
    assert set(VARIANTS) <= set(KEY)


# --------------------------------------------------------------------------- running the blocks (slow)
def _run_block(cells: list, params: dict, prelude: str = "") -> nbformat.NotebookNode:
    """Execute a parameters cell, an optional prelude and ``cells`` in a fresh kernel (cwd notebooks/)."""
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    src = "\n".join(f"{k} = {v!r}" for k, v in params.items())
    nb.cells = [nbformat.v4.new_code_cell(src, metadata={"tags": ["parameters"]})]
    if prelude:
        nb.cells.append(nbformat.v4.new_code_cell(prelude))
    nb.cells += [nbformat.from_dict(json.loads(json.dumps(c))) for c in cells]
    for c in nb.cells:
        if c.cell_type == "code":
            c.outputs, c.execution_count = [], None
    NotebookClient(nb, kernel_name="python3", timeout=900, resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    return nb


def _checks(nb: nbformat.NotebookNode) -> list[dict]:
    found = []
    for c in _tagged(nb.cells, "check"):
        outs = [o["data"] for o in c.outputs if MIME in o.get("data", {})]
        assert len(outs) == 1, f"check cell without its check output: {c.source[:60]}"
        found.append({**outs[0][MIME], "text": outs[0]["text/plain"]})
    return found


def _student_block_with(path: Path, student_source) -> tuple[list, list]:
    """The student edition's exercise block, each student cell's source replaced by ``student_source(solution)``."""
    nb = nbformat.read(path, as_version=4)
    solutions = [c.source for c in _tagged(_block(nb), "solution")]
    block = _block(editions.student_edition(nb))
    assert not _tagged(block, "solution")
    for cell, sol in zip(_tagged(block, "student"), solutions, strict=True):
        cell.source = student_source(sol)
    return block, solutions


WRONG = '''
def _wrong(x):
    """An answer that is wrong for sure: numbers moved well outside any tolerance, text changed."""
    import numbers

    if isinstance(x, str):
        return x + " (not this)"
    if isinstance(x, numbers.Integral):
        return int(x) * 2 + 1
    return float(x) * 1.5 + 0.1
'''


@pytest.fixture(scope="session")
def course_data(tmp_path_factory) -> Path:
    """World cache for the course tests (the ci-size worlds and their 're-run' variants)."""
    return tmp_path_factory.mktemp("course-worlds")


@pytest.mark.slow
@pytest.mark.parametrize("number", CH_IDS)
def test_student_edition_with_solutions_passes_and_wrong_answers_fail(number, course_data):
    path = _chapter(number)
    params = {"seed": 7, **CI, "data_dir": str(course_data)}
    block, _ = _student_block_with(path, lambda sol: sol)
    right = _checks(_run_block(block, params))
    assert right and all(c["status"] == "pass" for c in right), [c["text"] for c in right if c["status"] != "pass"]
    assert all(c["text"].startswith("✓") for c in right)

    block, _ = _student_block_with(path, lambda sol: sol + "\nanswer = _wrong(answer)")
    wrong = _checks(_run_block(block, params, prelude=WRONG))
    assert len(wrong) == len(right)
    for c in wrong:
        assert c["status"] == "fail" and c["text"].startswith("✗"), c["text"]
        assert c["hint"] and c["text"].endswith(f"Hint: {c['hint']}")


@pytest.mark.slow
def test_student_build_lecturer_edition_reproduces_the_students_answers(tmp_path, course_data):
    import synthetic
    from casebook.book.build import plan_build, run_build

    plan = plan_build(
        profile="ci",
        student="ana",
        out_dir=tmp_path / "ana",
        notebooks_dir=NOTEBOOKS,
        only=["00"],
        data_dir=course_data,
    )
    report = run_build(plan, progress=False, log=lambda m: None)
    assert not report.failed, [c.error for c in report.failed]
    out = report.out_dir
    lecturer = nbformat.read(out / "editions/lecturer/00_crm_database.ipynb", as_version=4)
    student = nbformat.read(out / "editions/student/00_crm_database.ipynb", as_version=4)
    assert not _tagged(student.cells, "solution") and _tagged(lecturer.cells, "solution")
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "editions/student/00_crm_database.html" in index and "editions/lecturer/00_crm_database.html" in index
    assert 'href="answers.html"' in index and "ana" in index
    assert (out / "answers.html").is_file() and (out / "editions/student/00_crm_database.html").is_file()
    assert (
        "failing-exercises" not in index and json.loads((out / "build.json").read_text())["editions"]["failing"] == []
    )

    key = {c["name"].split()[0]: c for c in editions.answer_key_rows(lecturer)}
    assert key and all(c["status"] == "pass" for c in key.values())
    ana = synthetic.load(seed=student_seed("ana"), data_dir=course_data, **CI)
    bob = synthetic.load(seed=student_seed("bob"), data_dir=course_data, **CI)
    differ = []
    for ex, c in key.items():
        assert c["expected"] == pytest.approx(answer_key(ex, ana)), ex  # the lecturer reproduces ana's answer
        if ex not in VARIANTS and answer_key(ex, bob) != answer_key(ex, ana):
            differ.append(ex)
    assert {"00.2", "00.3", "00.4"} <= set(differ), differ  # another student, other numbers in the same exercise


@pytest.mark.slow
@pytest.mark.parametrize("number", [n for n in CH_IDS if n != "00"])
def test_two_students_get_different_numbers(number, course_data):
    import synthetic

    worlds = [synthetic.load(seed=student_seed(s), data_dir=course_data, **CI) for s in ("ana", "bob")]
    exercises = [k for k in KEY if k.startswith(f"{number}.") and k not in VARIANTS]
    differ = [k for k in exercises if answer_key(k, worlds[0]) != answer_key(k, worlds[1])]
    assert differ == exercises


@pytest.mark.slow
def test_chapter_00_follows_the_planted_segment_mix(tmp_path, course_data):
    """Rule 2: move the planted share of small customers; chapter 00's SQL estimate follows and covers it."""
    import papermill

    mix = {"consumer": 0.55, "small_business": 0.25, "large_enterprise": 0.12, "public_sector": 0.08}
    results = tmp_path / "00.json"
    papermill.execute_notebook(
        str(_chapter("00")),
        str(tmp_path / "00.ipynb"),
        parameters={
            "seed": 11,
            **CI,
            "overrides": {"segments.mix": mix},
            "data_dir": str(course_data),
            "results_path": str(results),
        },
        kernel_name="python3",
        cwd=str(NOTEBOOKS),
        progress_bar=False,
    )
    recs = {r["quantity"]: r for r in json.loads(results.read_text())}
    small = recs["share of customers that are small (SQL)"]
    assert small["planted"] == pytest.approx(0.80)
    assert small["ci_low"] <= 0.80 <= small["ci_high"] and abs(small["estimate"] - 0.80) < 0.03
    assert recs["share of revenue from large customers (SQL)"]["estimate"] > 0.6
