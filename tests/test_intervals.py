"""casebook.analysis.intervals: one interval type, helpers that cover at their nominal rate."""

import numpy as np
import pytest

from casebook.analysis import intervals as iv


def test_interval_unpacks_and_scales():
    i = iv.wilson(30, 100)
    est, lo, hi = i
    assert est == 0.3 and lo < 0.3 < hi and i.covers(0.3) and not i.covers(0.5)
    p = i.scaled(100)
    assert p.estimate == pytest.approx(30) and p.half_width == pytest.approx(100 * i.half_width)


def test_wilson_edges_and_errors():
    assert iv.wilson(0, 10).low == 0.0 and iv.wilson(10, 10).high == 1.0
    with pytest.raises(ValueError, match="k <= n"):
        iv.wilson(11, 10)


@pytest.mark.parametrize("helper", ["bootstrap", "poisson"])
def test_bootstrap_mean_covers_at_nominal_rate(helper):
    rng = np.random.default_rng(1)
    hits = 0
    for s in range(200):
        x = rng.exponential(2.0, 300)
        if helper == "bootstrap":
            i = iv.bootstrap(x, np.mean, n_boot=300, seed=s)
        else:
            i = iv.poisson_bootstrap_sums(
                np.column_stack([x, np.ones_like(x)]), lambda t: t[..., 0] / t[..., 1], 300, s
            )
        hits += i.covers(2.0)
    assert 0.88 <= hits / 200 <= 0.99


def test_normal_log_scale():
    i = iv.normal(2.0, 0.1, log=True)
    assert i.low == pytest.approx(2 * np.exp(-1.959964 * 0.1), rel=1e-5) and i.high > 2.0
