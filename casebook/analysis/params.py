"""Validation of a chapter's ``parameters`` cell.

papermill accepts unknown names and mistyped values with only a message, so
each notebook calls :func:`check_parameters` right after its parameters cell:
a bad value stops the notebook with one line naming the parameter and what is
allowed, before any work. The checks are the generator's own
(:func:`synthetic.store.check_inputs`), plus the notebook-only ones.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from synthetic.errors import ParameterError
from synthetic.scenario import Scenario
from synthetic.store import check_inputs, check_writable


def check_parameters(
    seed: Any,
    n_customers: Any,
    scenario: Any,
    overrides: Any,
    data_dir: Any,
    results_path: Any,
    min_customers: int = 1_000,
) -> Scenario:
    """Validate the notebook contract's parameters; return the built :class:`Scenario`.

    Raises :class:`ParameterError` naming the first bad parameter and what is allowed.
    """
    if overrides is None:
        overrides = {}
    if not isinstance(overrides, Mapping):
        raise ParameterError(
            "overrides", f"must be a mapping of dotted keys to values (got {type(overrides).__name__})"
        )
    sc = check_inputs(scenario, seed, n_customers, overrides, min_customers=min_customers)
    if not isinstance(data_dir, (str, os.PathLike)) or not str(data_dir):
        raise ParameterError("data_dir", f"must be a folder path (got {data_dir!r})")
    check_writable(Path(data_dir), "data_dir")
    if not isinstance(results_path, (str, os.PathLike)) or not str(results_path).endswith(".json"):
        raise ParameterError("results_path", f"must be a path ending in .json (got {results_path!r})")
    check_writable(Path(results_path).parent, "results_path")
    return sc
