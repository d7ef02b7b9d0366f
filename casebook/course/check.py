"""``check``: compare a student's answer with the value from their own world, print ✓ or ✗ with a hint.

The line is printed (as ``text/plain``) so it reads the same in JupyterLab, a rendered page
or a terminal; in a Jupyter kernel the same output also carries the check as JSON under
:data:`MIME` so the build can write the answer key from an executed notebook without
parsing text. A wrong answer does not raise: a student runs the notebook top to bottom and
sees every ✓ and ✗.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from numbers import Integral, Real
from typing import Any

import numpy as np

MIME = "application/vnd.casebook.check+json"
PASS, FAIL, UNANSWERED = "pass", "fail", "unanswered"


@dataclass
class CheckResult:
    """The outcome of one :func:`check`: truthy only when the answer is right."""

    name: str
    status: str  # "pass", "fail" or "unanswered"
    message: str
    answer: Any = None
    expected: Any = None
    tol: float | None = None
    rel: float | None = None
    hint: str = ""
    details: dict = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.status == PASS

    @property
    def passed(self) -> bool:
        """True when the answer is within the tolerance of the expected value."""
        return self.status == PASS

    def _ipython_display_(self) -> None:
        """Nothing: :func:`check` has already shown its line (no second ``Out[]`` echo)."""

    def to_json(self) -> dict:
        """Plain-JSON form (numbers as floats/ints, sequences as lists) for the answer key."""
        d = asdict(self)
        d["answer"], d["expected"] = _jsonable(self.answer), _jsonable(self.expected)
        return d


def _jsonable(x: Any) -> Any:
    if x is Ellipsis:
        return None
    if hasattr(x, "tolist"):  # numpy scalars and arrays, pandas Series/Index
        return x.tolist()
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, (str, int, float, bool)) or x is None:
        return x
    return str(x)


def _is_number(x: Any) -> bool:
    return isinstance(x, Real) and not isinstance(x, bool) and not _is_bool(x)


def _is_bool(x: Any) -> bool:
    return isinstance(x, (bool, np.bool_))


def _is_sequence(x: Any) -> bool:
    if isinstance(x, (str, bytes)):
        return False
    return isinstance(x, Sequence) or hasattr(x, "tolist") and not _is_number(x) and not _is_bool(x)


def fmt(x: Any) -> str:
    """A value as the check prints it (floats to 6 significant digits, sequences element by element)."""
    if _is_bool(x):
        return str(bool(x))
    if isinstance(x, Integral):
        return str(int(x))
    if _is_number(x):
        return f"{float(x):.6g}"
    if _is_sequence(x):
        return "[" + ", ".join(fmt(v) for v in _jsonable(x)) + "]"
    return repr(x)


def allowed_error(expected: float, tol: float | None, rel: float | None) -> float:
    """The larger of ``tol`` and ``rel * |expected|``; without either, float round-off only."""
    if tol is None and rel is None:
        return 0.0 if isinstance(expected, Integral) else 1e-9 * max(1.0, abs(float(expected)))
    return max(float(tol or 0.0), float(rel or 0.0) * abs(float(expected)))


def _compare(answer: Any, expected: Any, tol: float | None, rel: float | None) -> str | None:
    """``None`` if ``answer`` matches ``expected``; else a short detail ("" or a reason that does not reveal the value)."""
    if _is_bool(expected):
        if not _is_bool(answer):
            return f"expected True or False, got {type(answer).__name__}"
        return None if bool(answer) == bool(expected) else ""
    if _is_number(expected):
        if not _is_number(answer):
            return f"expected a number, got {type(answer).__name__}"
        a, e = float(answer), float(expected)
        if not math.isfinite(a):
            return "not a finite number"
        err = allowed_error(expected, tol, rel)
        if abs(a - e) <= err:
            return None
        return f"allowed error ±{err:.3g}" if err else ""
    if isinstance(expected, str):
        if not isinstance(answer, str):
            return f"expected text, got {type(answer).__name__}"
        return None if answer.strip().casefold() == expected.strip().casefold() else ""
    if _is_sequence(expected):
        if not _is_sequence(answer):
            return f"expected a list of {len(_jsonable(expected))} values, got {type(answer).__name__}"
        a, e = _jsonable(answer), _jsonable(expected)
        if len(a) != len(e):
            return f"expected {len(e)} values, got {len(a)}"
        wrong = [i + 1 for i, (x, y) in enumerate(zip(a, e, strict=True)) if _compare(x, y, tol, rel) is not None]
        return None if not wrong else f"value {', '.join(map(str, wrong))} of {len(e)} differs"
    return None if answer == expected else ""


def check(
    name: str,
    answer: Any,
    expected: Any,
    tol: float | None = None,
    rel: float | None = None,
    hint: str = "",
) -> CheckResult:
    """Compare ``answer`` with ``expected`` (computed from the student's own world); print ✓ or ✗.

    Args:
        name: the exercise, e.g. ``"01.2 key accounts"`` (the first word is its id in the answer key).
        answer: the student's answer; ``...`` (Ellipsis) means "not answered yet".
        expected: the right value for this world: a number, bool, text or a sequence of those.
        tol: allowed absolute error for numbers (in the answer's unit).
        rel: allowed relative error for numbers (fraction of ``expected``); the larger allowance wins.
            Without ``tol`` and ``rel``, integers must match exactly and floats to round-off.
        hint: shown when the answer is wrong.

    Returns a :class:`CheckResult` (truthy when right). Never raises for a wrong answer.
    Text is compared without case or surrounding blanks; sequences element by element.
    """
    for pname, v in (("tol", tol), ("rel", rel)):
        if v is not None and (not _is_number(v) or v < 0):
            raise ValueError(f"{pname}: must be a number >= 0 or None (got {v!r})")
    if answer is Ellipsis:
        status, msg = UNANSWERED, f"… {name}: not answered yet (replace `...` with your answer and run the cell again)"
    else:
        reason = _compare(answer, expected, tol, rel)
        if reason is None:
            status, msg = PASS, f"✓ {name}: {fmt(answer)} is right for your world"
        else:
            status = FAIL
            detail = f" ({reason})" if reason else ""
            msg = f"✗ {name}: {fmt(answer)} is not right for your world{detail}." + (f" Hint: {hint}" if hint else "")
    result = CheckResult(
        name=name, status=status, message=msg, answer=answer, expected=expected, tol=tol, rel=rel, hint=hint
    )
    _show(result)
    return result


def _show(result: CheckResult) -> None:
    """Print the line; in a Jupyter kernel, as one output that also carries the check as JSON."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is always there in a kernel
        get_ipython = None
    shell = get_ipython() if get_ipython else None
    if shell is None or not hasattr(shell, "kernel"):
        print(result.message)
        return
    from IPython.display import publish_display_data

    publish_display_data({"text/plain": result.message, MIME: result.to_json()})
