"""Pools of fake names, companies and addresses (Faker), drawn once per world.

Faker is slow row by row (tens of microseconds a call), so the generator fills
small pools once and every row samples an index into them: vectorised, and a
million customers cost no more Faker calls than a thousand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

POOL_SIZE = 4000


@dataclass
class NamePools:
    """Arrays of fake values to sample from."""

    person: np.ndarray
    company: np.ndarray
    street: np.ndarray
    city: np.ndarray
    state: np.ndarray
    supplier: np.ndarray


def make_pools(locale: str, seed: int, size: int = POOL_SIZE) -> NamePools:
    """Fill the pools with Faker for ``locale`` (``en_US`` or ``zh_CN``), seeded by ``seed``."""
    from faker import Faker

    fake = Faker(locale)
    fake.seed_instance(seed)
    state_fn = getattr(fake, "state_abbr", None) or fake.province
    person = np.array([fake.name() for _ in range(size)], dtype=object)
    company = np.array([fake.company() for _ in range(size)], dtype=object)
    street = np.array([fake.street_address() for _ in range(size)], dtype=object)
    city = np.array([fake.city() for _ in range(size)], dtype=object)
    state = np.array([state_fn() for _ in range(size)], dtype=object)
    supplier = np.array([fake.company() for _ in range(200)], dtype=object)
    return NamePools(person, company, street, city, state, supplier)
