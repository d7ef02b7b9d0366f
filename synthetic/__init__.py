"""The synthetic Dell world: a scenario of named mechanisms -> vectorized, seeded tables.

Quick use::

    import synthetic

    world = synthetic.load(scenario="case", seed=7, n_customers=20_000, data_dir="data")
    orders = world.table("orders")  # pandas DataFrame
    world.sql("select segment, count(*) from customers group by 1")

See ``python -m synthetic --help`` and ``docs/data-dictionary.md``.
"""

from .errors import ParameterError
from .scenario import KNOWN_KEYS, PRESETS, Scenario, build_scenario

__all__ = ["ParameterError", "Scenario", "build_scenario", "PRESETS", "KNOWN_KEYS", "load", "generate", "World"]


def __getattr__(name):  # lazy: keep `import synthetic` light for the CLI's --help
    if name in ("load", "generate", "World", "open_world"):
        from . import store

        return getattr(store, name)
    raise AttributeError(name)
