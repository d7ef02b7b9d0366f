"""Guards on the committed chapter notebooks (notebooks/*.ipynb).

nbval (``--nbval-lax``) silently skips a ``nbval-check-output`` cell whose stored
output was stripped, and papermill leaves volatile timing metadata behind: these
checks keep the committed notebooks what nbval and readers expect. Regenerate
the outputs with ``python -m casebook execute`` (``make notebooks``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from casebook.book.build import has_volatile_metadata

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []) or [])


def _code_cells(nb) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c.get("source", "")).strip()]


if not NOTEBOOKS:

    def test_notebooks_exist():
        pytest.skip("no chapter notebooks (notebooks/NN_name.ipynb) committed yet: nothing to guard")
else:

    @pytest.fixture(params=NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
    def nb(request):
        return json.loads(request.param.read_text(encoding="utf-8"))

    def test_exactly_one_parameters_cell(nb):
        tagged = [c for c in nb["cells"] if "parameters" in _tags(c)]
        assert len(tagged) == 1, f"{len(tagged)} cells tagged 'parameters' (need exactly one)"
        assert tagged[0]["cell_type"] == "code"
        assert not [c for c in nb["cells"] if "injected-parameters" in _tags(c)], (
            "papermill's injected-parameters cell is committed: re-run with `python -m casebook execute`"
        )

    def test_checked_output_cells_have_stored_output(nb):
        checked = [c for c in nb["cells"] if "nbval-check-output" in _tags(c)]
        assert checked, "no cell tagged 'nbval-check-output' (the Key results cell)"
        for c in checked:
            first = "".join(c.get("source", "")).strip().splitlines()[:1]
            assert c.get("outputs"), f"nbval-check-output cell without stored output: {first}"
            assert c.get("execution_count") is not None, f"nbval-check-output cell never executed: {first}"

    def test_clean_top_to_bottom_run(nb):
        counts = [c.get("execution_count") for c in _code_cells(nb)]
        assert counts == list(range(1, len(counts) + 1)), (
            f"execution counts {counts} are not 1..{len(counts)}: run the notebook top to bottom in a fresh kernel"
        )

    def test_no_error_outputs(nb):
        for i, c in enumerate(nb["cells"]):
            errors = [o for o in c.get("outputs", []) if o.get("output_type") == "error"]
            assert not errors, f"cell {i} has an error output: {errors[0].get('ename')}: {errors[0].get('evalue')}"

    def test_no_volatile_metadata(nb):
        assert has_volatile_metadata(nb) == []
