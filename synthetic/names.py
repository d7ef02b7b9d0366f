"""Pools of fake names, companies and addresses (Faker), drawn once per world.

Faker is slow row by row (tens of microseconds a call), so the generator fills
small pools once and every row samples an index into them: vectorised, and a
million customers cost no more Faker calls than a thousand.

Most of the pools' own time went into Faker's weighted picks: on every call
``random_elements`` copies the weights of the whole word list (thousands of names) and
``random.choices`` sums them again. :func:`make_pools` gives its Faker instance a
``random_elements`` that sums each list's weights once and passes them as
``cum_weights``; ``random.choices`` with ``weights`` computes exactly those cumulative
weights itself and then draws the same way, so the pools are identical (tested).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from itertools import accumulate

import numpy as np
import pyarrow as pa

POOL_SIZE = 4000


@dataclass
class NamePools:
    """Arrays of fake values to sample from.

    The customer pools are Arrow string arrays: they become the dictionaries of the customers'
    text columns as they are, and travel to every block's worker as a few buffers. ``supplier``
    is a numpy array (the supply tables index it).
    """

    person: pa.StringArray
    company: pa.StringArray
    street: pa.StringArray
    city: pa.StringArray
    state: pa.StringArray
    supplier: np.ndarray


def make_pools(locale: str, seed: int, size: int = POOL_SIZE) -> NamePools:
    """Fill the pools with Faker for ``locale`` (``en_US`` or ``zh_CN``), seeded by ``seed``."""
    from faker import Faker

    fake = Faker(locale)
    fake.seed_instance(seed)
    cached_weights(fake)
    state_fn = getattr(fake, "state_abbr", None) or fake.province
    person = pa.array([fake.name() for _ in range(size)], pa.string())
    company = pa.array([fake.company() for _ in range(size)], pa.string())
    street = pa.array([fake.street_address() for _ in range(size)], pa.string())
    city = pa.array([fake.city() for _ in range(size)], pa.string())
    state = pa.array([state_fn() for _ in range(size)], pa.string())
    supplier = np.array([fake.company() for _ in range(200)], dtype=object)
    return NamePools(person, company, street, city, state, supplier)


def cached_weights(fake) -> None:
    """Give every provider of ``fake`` a ``random_elements`` that reuses each weighted list's cumulative weights.

    Only Faker's weighted draw with replacement changes (an ``OrderedDict`` of weights, weighting on,
    not unique): ``rng.choices(keys, cum_weights=cum, k=length)`` with ``cum`` summed once per list is
    what ``rng.choices(keys, weights=w, k=length)`` computes (CPython sums ``w`` with
    ``itertools.accumulate`` and draws by bisection either way). Every other call goes to Faker's own method.
    """
    cum: dict[int, tuple] = {}  # id(list) -> (list, keys, cumulative weights); the list is kept alive

    def random_elements(self, elements=("a", "b", "c"), length=None, unique=False, use_weighting=None):
        weighted = use_weighting if use_weighting is not None else self.__use_weighting__
        if unique or not weighted or not isinstance(elements, OrderedDict):
            return type(self).random_elements(self, elements, length, unique, use_weighting)
        rng = self.generator.random
        if length is None:
            length = rng.randint(1, len(elements))
        hit = cum.get(id(elements))
        if hit is None or hit[0] is not elements:
            hit = cum[id(elements)] = (elements, tuple(elements.keys()), list(accumulate(elements.values())))
        return rng.choices(hit[1], cum_weights=hit[2], k=length)

    for provider in fake.providers:
        provider.random_elements = random_elements.__get__(provider)
