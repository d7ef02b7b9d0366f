"""Shared fixtures: one modest world per test session (generated once, reused)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "agg")

# fixture notebooks (one fails on purpose) are inputs of the build tests, not chapters for nbval
collect_ignore_glob = ["fixtures/*"]
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def world_dir(tmp_path_factory) -> Path:
    """Cache folder shared by tests that need a generated world."""
    return tmp_path_factory.mktemp("worlds")


@pytest.fixture(scope="session")
def case_world(world_dir):
    """The ``case`` preset at 30,000 customers, seed 7."""
    import synthetic

    return synthetic.load("case", seed=7, n_customers=30_000, data_dir=world_dir, workers=2)
