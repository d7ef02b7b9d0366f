"""Validation of a chapter's ``parameters`` cell.

papermill accepts unknown names and mistyped values with only a message, so
each notebook calls :func:`check_parameters` right after its parameters cell:
a bad value stops the notebook with one line naming the parameter and what is
allowed, before any work.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from synthetic.errors import ParameterError
from synthetic.scenario import PRESETS, Scenario, build_scenario

MAX_CUSTOMERS = 5_000_000


def check_int(name: str, value: Any, lo: int, hi: int) -> int:
    """``value`` as an int in [lo, hi], else :class:`ParameterError`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParameterError(name, f"must be a whole number from {lo:,} to {hi:,} (got {value!r})")
    if not lo <= value <= hi:
        raise ParameterError(name, f"must be from {lo:,} to {hi:,} (got {value:,})")
    return value


def check_writable_dir(name: str, path: str | os.PathLike) -> Path:
    """The folder ``path`` (created if missing) must be writable."""
    p = Path(path)
    probe = p
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK):
        raise ParameterError(name, f"folder {str(p)!r} is not writable")
    return p


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
    check_int("seed", seed, 0, 2**32 - 1)
    check_int("n_customers", n_customers, min_customers, MAX_CUSTOMERS)
    if scenario not in PRESETS:
        raise ParameterError("scenario", f"unknown preset {scenario!r}; allowed: {', '.join(PRESETS)}")
    if overrides is None:
        overrides = {}
    if not isinstance(overrides, Mapping):
        raise ParameterError("overrides", f"must be a mapping of dotted keys to values (got {type(overrides).__name__})")
    check_writable_dir("data_dir", data_dir)
    if not isinstance(results_path, (str, os.PathLike)) or not str(results_path).endswith(".json"):
        raise ParameterError("results_path", f"must be a path ending in .json (got {results_path!r})")
    check_writable_dir("results_path", Path(results_path).parent)
    return build_scenario(scenario, overrides)
