"""Property test: every scenario that passes validation generates a world that passes the schema checks.

Scenarios are drawn from the validated space itself: the strategy for each
parameter is built from its pydantic field (bounds, literals, fixed-key models,
the calendar span), edges included (Hypothesis favours bounds, one-hot shares,
empty lists). Each drawn input either raises :class:`ParameterError` before any
work (nothing written) or generates a small world (300-1,000 customers) whose
tables pass ``synthetic.validate`` (schema, keys, foreign keys).

CI runs ``EXAMPLES`` = 20 derandomized examples (about 40 s on one core);
``HYPOTHESIS_EXAMPLES=200 pytest tests/test_properties.py`` explores more (random).
Two volume parameters are always drawn, from capped ranges, to keep the worlds small:
``market.buyers_per_quarter`` <= 2,000 and ``satisfaction.respondents_per_quarter``
<= 100 (their full ranges only scale row counts).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import typing
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from synthetic.errors import ParameterError
from synthetic.scenario import CALENDAR, KNOWN_KEYS, PRESETS, _field_info, _Keyed, _Shares
from synthetic.store import generate

EXPLORE = "HYPOTHESIS_EXAMPLES" in os.environ
EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "20"))
VOLUME_CAPS = {"market.buyers_per_quarter": 2_000, "satisfaction.respondents_per_quarter": 100}


def _bounds(field) -> tuple[typing.Any, typing.Any, bool, bool]:
    lo = hi = None
    ex_lo = ex_hi = False
    for m in field.metadata:
        if getattr(m, "ge", None) is not None:
            lo = m.ge
        if getattr(m, "gt", None) is not None:
            lo, ex_lo = m.gt, True
        if getattr(m, "le", None) is not None:
            hi = m.le
        if getattr(m, "lt", None) is not None:
            hi, ex_hi = m.lt, True
    return lo, hi, ex_lo, ex_hi


def _number(tp, lo, hi, ex_lo, ex_hi, key: str):
    assert lo is not None and hi is not None, f"{key}: every number needs both bounds"
    if tp is int:
        return st.integers(lo + ex_lo, hi - ex_hi)
    return st.floats(lo, hi, exclude_min=ex_lo, exclude_max=ex_hi, allow_nan=False, allow_infinity=False)


def _annotated(tp):
    """``(base type, FieldInfo-like metadata list)`` of an ``Annotated[...]`` type."""
    if typing.get_origin(tp) is typing.Annotated:
        base, *meta = typing.get_args(tp)
        out = []
        for m in meta:
            out += list(getattr(m, "metadata", [m]))
        return base, out
    return tp, []


def _shares(model: type[_Shares]):
    n = len(model.model_fields)
    one_hot = st.integers(0, n - 1).map(lambda i: [1.0 if j == i else 0.0 for j in range(n)])
    weights = st.lists(st.floats(0, 1), min_size=n, max_size=n).filter(lambda w: sum(w) > 1e-3)
    vec = st.one_of(one_hot, weights.map(lambda w: [x / sum(w) for x in w]))
    return vec.map(lambda v: dict(zip(model.model_fields, v, strict=True)))


def strategy_for(key: str):
    """A Hypothesis strategy for parameter ``key``, built from its pydantic field."""
    field = _field_info(key)
    tp = field.annotation
    args = typing.get_args(tp)
    if isinstance(tp, type) and issubclass(tp, _Shares):
        return _shares(tp)
    if isinstance(tp, type) and issubclass(tp, _Keyed):
        return st.fixed_dictionaries({k: _number(float, *_bounds(f), f"{key}.{k}") for k, f in tp.model_fields.items()})
    if typing.get_origin(tp) is typing.Literal:
        return st.sampled_from(args)
    if typing.get_origin(tp) is list:
        (item,) = args
        return st.lists(st.sampled_from(typing.get_args(item)), unique=True)
    if typing.get_origin(tp) is dict:
        (k_tp, v_tp) = args
        kb, kmeta = _annotated(k_tp)
        vb, vmeta = _annotated(v_tp)
        kf = type("F", (), {"metadata": kmeta})
        vf = type("F", (), {"metadata": vmeta})
        return st.dictionaries(_number(kb, *_bounds(kf), key), _number(vb, *_bounds(vf), key), max_size=5)
    if typing.get_origin(tp) in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        inner = [a for a in args if a is not type(None)]
        (base,) = inner
        b, meta = _annotated(base)
        assert b is dt.date, f"{key}: unsupported optional type {base}"
        return st.none() | st.dates(*CALENDAR)
    if tp is dt.date:
        lo, hi, _, _ = _bounds(field)
        assert lo is not None and hi is not None, f"{key}: every date needs both bounds"
        return st.dates(lo, hi)
    if tp in (int, float):
        lo, hi, ex_lo, ex_hi = _bounds(field)
        if key in VOLUME_CAPS:
            hi, ex_hi = min(hi, VOLUME_CAPS[key]), False
        return _number(tp, lo, hi, ex_lo, ex_hi, key)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        raise AssertionError(f"{key}: model-valued parameter without a strategy")
    raise AssertionError(f"{key}: no strategy for type {tp!r}; bound it in synthetic/scenario.py")


STRATEGIES = {k: strategy_for(k) for k in KNOWN_KEYS}


@st.composite
def inputs(draw):
    """``(preset, seed, n_customers, overrides)`` from the validated space."""
    keys = draw(st.lists(st.sampled_from(KNOWN_KEYS), min_size=1, max_size=8, unique=True))
    overrides = {k: draw(STRATEGIES[k]) for k in list(VOLUME_CAPS) + keys}  # volume keys always small
    return draw(st.sampled_from(PRESETS)), draw(st.integers(0, 2**32 - 1)), draw(st.integers(300, 1000)), overrides


def test_every_parameter_has_a_bounded_strategy():
    assert set(STRATEGIES) == set(KNOWN_KEYS)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not EXPLORE,
    database=None,
    # CI: no shrinking (a failure is reported as drawn, within the time budget); exploring: shrink
    phases=list(Phase) if EXPLORE else [Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(inputs())
def test_validated_scenarios_generate_valid_worlds(case):
    preset, seed, n, overrides = case
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "world"
        try:
            generate(out, preset, seed, n, overrides, progress=False)  # validate=True: schema checks
        except ParameterError as err:
            assert "\n" not in str(err)
            assert list(Path(tmp).iterdir()) == [], "a rejected input left files behind"
            return
        assert (out / "manifest.json").is_file() and (out / "world.duckdb").is_file()
        assert [p.name for p in Path(tmp).iterdir()] == ["world"]
