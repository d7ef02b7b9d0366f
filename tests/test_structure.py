"""The layout keeps its promises: analysis and book apart, chapters with text twins, slim commits."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ANALYSIS = ROOT / "casebook" / "analysis"
BOOK = ROOT / "casebook" / "book"
COURSE = ROOT / "casebook" / "course"
CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

# what each side may not import (top-level module names)
FORBIDDEN = {
    "analysis": {"papermill", "nbformat", "nbconvert", "nbclient", "jinja2", "jupytext", "casebook.book"},
    "book": {"scipy", "statsmodels", "sklearn"},
    "course": {
        "scipy",
        "statsmodels",
        "sklearn",
        "papermill",
        "nbformat",
        "nbconvert",
        "nbclient",
        "jupytext",
        "casebook.book",
        "casebook.analysis",
    },
}


def imported_modules(path: Path, root: Path = ROOT) -> set[str]:
    """Every module a Python file imports (absolute names; relative imports resolved within casebook)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.relative_to(root).with_suffix("").parts[:-1])
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            names.add(mod)
            names.update(f"{mod}.{a.name}" for a in node.names)
    return names


def violations(side: str, folder: Path, root: Path = ROOT) -> list[str]:
    """`file: module` for each import on ``side`` that the layout forbids."""
    bad = []
    for py in sorted(folder.rglob("*.py")):
        for mod in imported_modules(py, root):
            if any(mod == f or mod.startswith(f + ".") for f in FORBIDDEN[side]):
                bad.append(f"{py.relative_to(root)}: {mod}")
    return bad


@pytest.mark.parametrize("side,folder", [("analysis", ANALYSIS), ("book", BOOK), ("course", COURSE)])
def test_each_side_keeps_to_its_concern(side, folder):
    assert violations(side, folder) == []


def test_boundary_check_can_fail(tmp_path):
    side = tmp_path / "casebook" / "analysis"
    side.mkdir(parents=True)
    (side / "probe.py").write_text("import nbformat\nfrom ..book import build\n")
    found = violations("analysis", side, root=tmp_path)
    assert any("nbformat" in v for v in found) and any("casebook.book" in v for v in found)


def test_chapters_import_only_the_analysis_side():
    for nb in CHAPTERS:
        src = "\n".join("".join(c["source"]) for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "code")
        assert "casebook.book" not in src and "from casebook import" not in src, nb.name


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.stem)
def test_text_twin_in_sync(nb):
    jupytext = pytest.importorskip("jupytext")
    twin = nb.with_suffix(".py")
    assert twin.exists(), f"{twin.name} missing: run `make notebooks` (or jupytext --sync)"
    a = [(c.cell_type, c.source.strip()) for c in jupytext.read(nb).cells]
    b = [(c.cell_type, c.source.strip()) for c in jupytext.read(twin).cells]
    assert a == b, f"{nb.name} and {twin.name} differ: run `jupytext --sync notebooks/*.ipynb`"


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.stem)
def test_committed_chapter_is_slim(nb):
    cells = json.loads(nb.read_text())["cells"]
    images = [
        i
        for i, c in enumerate(cells)
        for o in c.get("outputs", [])
        if any(k.startswith("image/") for k in o.get("data", {}))
    ]
    assert images == [], f"{nb.name}: figure outputs in cells {images} (commit via `make notebooks`)"
    assert nb.stat().st_size < 300_000
