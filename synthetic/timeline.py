"""Calendar helpers: the world counts time in whole days since ``world.start``."""

from __future__ import annotations

import datetime as dt

import numpy as np

EPOCH = dt.date(1970, 1, 1)
DAYS_PER_YEAR = 365.25


def day_index(when: dt.date, start: dt.date) -> int:
    """Days from ``start`` to ``when``."""
    return (when - start).days


def to_date32(days: np.ndarray, start: dt.date) -> np.ndarray:
    """Day offsets from ``start`` -> days since 1970-01-01 (int32), the Parquet ``date32`` encoding."""
    return (np.asarray(days, dtype=np.int64) + (start - EPOCH).days).astype(np.int32)


def quarter_starts(start: dt.date, end: dt.date) -> list[dt.date]:
    """First day of every calendar quarter that overlaps [start, end]."""
    q = dt.date(start.year, 3 * ((start.month - 1) // 3) + 1, 1)
    out = []
    while q <= end:
        out.append(q)
        m = q.month + 3
        q = dt.date(q.year + (m > 12), (m - 1) % 12 + 1, 1)
    return out
