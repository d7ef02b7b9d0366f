"""Course editions of the built chapters: a student edition, a lecturer edition and the answer key.

Chapters end with an ``## Exercises`` block whose cells are tagged (see :mod:`casebook.course`):
``exercise`` (prompt, setup), ``student`` (``answer = ...``), ``solution`` and ``check``. From each
*executed* chapter the build writes, under ``<out>/editions/``:

- ``student/NN_name.ipynb`` and ``.html``: ``solution`` cells removed, the outputs of ``student``
  and ``check`` cells cleared (they were produced by the solutions); everything else, including
  papermill's injected parameters (the student's seed), is kept, so the student re-runs the notebook
  in their own world and the checks compare with it;
- ``lecturer/NN_name.ipynb`` and ``.html``: the executed chapter with solutions and their ✓ checks;

and ``<out>/answers.html``: every exercise's right answer in this build's world (read from the
checks' JSON outputs in the executed chapters), its tolerance, the prompt and the solution code.
With ``casebook build --student ID`` the world is that student's, so a lecturer reproduces any
student's answers from the id alone.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import nbformat

from ..course.check import MIME, fmt

EXERCISES_HEADING = "## Exercises"
TAG_EXERCISE, TAG_STUDENT, TAG_SOLUTION, TAG_CHECK = "exercise", "student", "solution", "check"
EDITIONS_DIR = "editions"
ANSWERS_PAGE = "answers.html"


def cell_tags(cell: Mapping[str, Any]) -> set[str]:
    """The cell's tags."""
    return set(cell.get("metadata", {}).get("tags", []) or [])


def exercises_start(nb: nbformat.NotebookNode) -> int | None:
    """Index of the markdown cell that opens the ``## Exercises`` block, or None."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith(EXERCISES_HEADING):
            return i
    return None


def student_edition(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of executed ``nb`` for students: no ``solution`` cells, no outputs in ``student``/``check`` cells."""
    out = copy.deepcopy(nb)
    out.cells = [c for c in out.cells if TAG_SOLUTION not in cell_tags(c)]
    for cell in out.cells:
        if cell.cell_type == "code" and cell_tags(cell) & {TAG_STUDENT, TAG_CHECK}:
            cell.outputs = []
            cell.execution_count = None
    return out


def lecturer_edition(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of executed ``nb`` for lecturers: everything, solutions and their checks included."""
    return copy.deepcopy(nb)


def answer_key_rows(nb: nbformat.NotebookNode) -> list[dict[str, Any]]:
    """Every check in executed ``nb``: name, expected value (this world), tolerance, status, prompt and solution.

    Read from the JSON each ``check`` writes beside its text (``casebook.course.check.MIME``).
    """
    rows: list[dict[str, Any]] = []
    prompt, solution = "", ""
    for cell in nb.cells:
        tags = cell_tags(cell)
        if cell.cell_type == "markdown" and TAG_EXERCISE in tags:
            prompt, solution = cell.source, ""
        elif cell.cell_type == "code" and TAG_SOLUTION in tags:
            solution = cell.source
        elif cell.cell_type == "code":
            for o in cell.get("outputs", []):
                data = o.get("data", {})
                if MIME in data:
                    c = dict(data[MIME])
                    c.update(
                        prompt=prompt,
                        solution=solution,
                        expected_text=fmt(c.get("expected")),
                        tolerance_text=_tolerance(c.get("tol"), c.get("rel")),
                    )
                    rows.append(c)
    return rows


def _tolerance(tol: float | None, rel: float | None) -> str:
    parts = ([f"±{tol:g}"] if tol else []) + ([f"±{rel:.1%} of the value"] if rel else [])
    return " or ".join(parts) if parts else "exact"


def write_editions(
    out_dir: Path,
    chapters: Iterable[Any],
    build: Mapping[str, Any],
    student: str | None = None,
) -> dict[str, Any]:
    """Write both editions of every executed chapter and the answer-key page; return the index's context.

    ``chapters`` are the build's :class:`~casebook.book.build.ChapterResult` objects (``name``,
    ``title``, ``status``, ``notebook`` relative to ``out_dir``). Chapters without an executed
    notebook are skipped.
    """
    from . import render

    out_dir = Path(out_dir)
    base = out_dir / EDITIONS_DIR
    renderer = render.Renderer(assets_href="../../assets")
    rows, key = [], []
    built_with = f"profile {build.get('profile', '')} · seed {build.get('seed_text', '')}"
    if student:
        built_with += f" · student {student}"
    for ch in chapters:
        if not getattr(ch, "notebook", None):
            continue
        nb = nbformat.read(out_dir / ch.notebook, as_version=4)
        row = {"name": ch.name, "number": ch.number, "title": ch.title, "status": ch.status}
        for edition, make in (("student", student_edition), ("lecturer", lecturer_edition)):
            ed = make(nb)
            folder = base / edition
            render.write_atomic(folder / f"{ch.name}.ipynb", nbformat.writes(ed) + "\n")
            nav = {
                "index": "../../index.html",
                "scorecard": "../../scorecard.html",
                "slides": f"../../slides/{ch.name}.slides.html",
                "built_with": f"{edition} edition · {built_with}",
            }
            render.write_atomic(folder / f"{ch.name}.html", renderer.page(ed, f"{ch.title} ({edition} edition)", nav))
            row[edition] = {
                "notebook": f"{EDITIONS_DIR}/{edition}/{ch.name}.ipynb",
                "page": f"{EDITIONS_DIR}/{edition}/{ch.name}.html",
            }
        exercises = answer_key_rows(nb)
        row["n_exercises"] = len(exercises)
        rows.append(row)
        key.append({"name": ch.name, "title": ch.title, "status": ch.status, "exercises": exercises})
    failing = [f"{ch['name']}: {e['name']}" for ch in key for e in ch["exercises"] if e.get("status") != "pass"]
    context = {
        "chapters": rows,
        "answers": ANSWERS_PAGE,
        "student": student,
        "built_with": built_with,
        "failing": failing,  # solutions that fail their own check: a broken exercise, shown on the index
    }
    render.render_site_page(
        "answers.html.j2",
        out_dir / ANSWERS_PAGE,
        title="Answer key",
        build=build,
        student=student,
        chapters=key,
        markdown=_markdown,
    )
    return context


def _markdown(text: str) -> str:
    """Markdown to HTML (nbconvert's mistune renderer), for the prompts on the answer-key page."""
    from markupsafe import Markup
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    return Markup(markdown2html_mistune(text))


def student_settings(student: str, sets: Mapping[str, Any]) -> dict[str, Any]:
    """``--set`` values with the student's seed added; :class:`~casebook.book.build.UsageError` on a bad id or ``--set seed``."""
    from ..course.students import student_seed
    from .build import UsageError

    if "seed" in sets:
        raise UsageError("--student", "sets the seed from the id; do not combine it with --set seed=...")
    try:
        return {**sets, "seed": student_seed(student)}
    except ValueError as exc:
        raise UsageError("--student", str(exc).removeprefix("student_id: ")) from None
