"""What a hidden check sees: the ``@check`` decorator and safe assertion helpers.

A hidden check lives in ``assignments/NAME/grading/checks.py`` and looks like::

    @check(cell="conv2d_tests", points=2)
    def matches_reference_on_random_shapes(student, rng):
        x = rng.normal(size=(2, 6, 5, 3))
        expect_close(student.call("conv2d", x, w, b), reference.conv2d(x, w, b))

``student.call`` sends plain arrays to the sandboxed student process and returns
a plain ``numpy.ndarray`` (or a JSON number).  Messages raised with
:class:`CheckFailed` go to the student's feedback, so they describe *what* is
wrong and never print hidden inputs or expected values. Nor do they repeat what
the student's result chose (its shape, dtype, values, exact counts): code that has
seen hidden inputs could write them into those. The helpers here say which axis is
wrong and how many values differ in coarse words (:func:`shape_mismatch`,
:func:`how_many`, :func:`differs`); checks that write their own messages use them too.

Every message is a whole :class:`grader.i18n.Message` (``_()``/``_n()``), read in the student's
language. What a helper checks is named by its ``what=``, a noun phrase that is a message of its
own (``_("the result for a {h}x{w} image", h=h, w=w)``; :data:`RESULT` by default), and a count
is said by one whole message per coarse case (:func:`how_many`), never built from words.

Two mistakes get their own message wherever a check uses these helpers:

- a result computed in float32 where the check asks for float64 precision (``rtol`` below
  1e-5) fails with :func:`float32_precision`, not as a wrong value: its dtype is float32 or
  less, or it misses the tolerance but is within float32's;
- a result that does not change when its input does (zeros of the right shape, a published
  answer typed in) fails :func:`expect_depends_on`: a shape or a published example earns
  points only together with behaviour on inputs the student never saw.

A check may also record, for TAs only, the figure its threshold is set on (an accuracy, a loss,
an IoU): ``measure("accuracy", accuracy)``. It lands in the check's outcome in ``result.json``
as ``"measured": {"accuracy": 0.902}`` and nowhere a student looks (the feedback page and the
formgrader annotations leave it out), so the spread of those figures can be read off real
grading runs on any device (``benchmarks/bench_gpu.py``).
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import math
from typing import Callable, Iterator

import numpy as np

from grader.i18n import Explained, Message, _, _n

#: What the helpers' messages call the value they check, unless a check names it (``what=``).
RESULT = _("the result")
#: The coarse cases of a count (:func:`how_many`): all of them, exactly one, at least half, fewer.
ALL, ONE, MOST, SOME = "all", "one", "most", "some"

# A check whose rtol is below this asks for float64 precision: float32 keeps about 7 digits.
_FLOAT64_RTOL = 1e-5
# Within these (atol times the largest expected magnitude) a result that misses float64's
# tolerance is a float32 computation, not a wrong formula: float32 sums of a few hundred terms
# stay far inside them, every mistake the variants make is far outside.
_FLOAT32_RTOL, _FLOAT32_ATOL = 1e-4, 1e-4


# A check records at most this many measurements, each name cut to this many characters.
MAX_MEASUREMENTS = 32
MEASUREMENT_NAME_CHARS = 64
# The running check's measurements (set by grader.checks.run for the check's duration; None otherwise).
_MEASURED: contextvars.ContextVar[dict | None] = contextvars.ContextVar("grader_check_measured", default=None)


class CheckFailed(Explained, AssertionError):
    """The student's answer is wrong; the message (a :class:`grader.i18n.Message`) is shown to the student."""


@dataclasses.dataclass(frozen=True)
class Check:
    """One hidden check: a function that scores part of a grade cell."""

    name: str
    cell: str
    points: float
    function: Callable
    timeout: float | None
    description: str


def check(*, cell: str, points: float, timeout: float | None = None) -> Callable[[Callable], Callable]:
    """Register the decorated function as a hidden check worth ``points`` of ``cell``.

    ``timeout`` bounds the wall time of each ``student.call`` made by the check
    (default: the assignment's ``check_timeout_s`` limit).
    The function's first docstring line is shown to students as the check's title.
    """

    def register(function: Callable) -> Callable:
        doc = (function.__doc__ or function.__name__.replace("_", " ")).strip()
        function.__grader_check__ = Check(
            name=function.__name__,
            cell=cell,
            points=float(points),
            function=function,
            timeout=None if timeout is None else float(timeout),
            description=doc.splitlines()[0],
        )
        return function

    return register


def how_many(wrong: int, size: int) -> str:
    """Which coarse case ``wrong`` of ``size`` is: :data:`ALL`, :data:`ONE`, :data:`MOST` or :data:`SOME`.

    Never the exact count: a check says each case with its own whole message (see :func:`expect_close`).
    """
    if wrong >= size:
        return ALL
    if wrong == 1:
        return ONE
    return MOST if 2 * wrong >= size else SOME


def shape_mismatch(actual: tuple, expected: tuple, what: Message | str = RESULT) -> Message:
    """How the shape of ``what`` differs from ``expected``, naming only the expected shape and the wrong axes."""
    expected = tuple(expected)
    if len(actual) < len(expected):
        return _("{what} has fewer dimensions than the expected shape {shape}", what=what, shape=expected)
    if len(actual) > len(expected):
        return _("{what} has more dimensions than the expected shape {shape}", what=what, shape=expected)
    axes = [str(i) for i, (a, e) in enumerate(zip(actual, expected)) if a != e]
    return _n("{what} has the wrong size along axis {axes}: expected shape {shape}",
              "{what} has the wrong size along axis {axes}: expected shape {shape}",
              len(axes), what=what, axes=", ".join(axes), shape=expected)


def float32_precision(what: Message | str = RESULT) -> Message:
    """The message of a result ``what`` that is right only to float32 precision."""
    return _("{what} matches only to float32 precision: compute in float64", what=what)


def expect_array(actual, what: Message | str = RESULT) -> np.ndarray:
    """Fail unless ``actual`` is a real numeric array (not an object array)."""
    if not isinstance(actual, np.ndarray):
        raise CheckFailed(_("{what} should be a numpy array", what=what))
    if actual.dtype.kind not in "biuf":
        raise CheckFailed(_("{what} should hold real numbers (an integer or float dtype)", what=what))
    return actual


def expect_shape(actual, shape: tuple, what: Message | str = RESULT) -> np.ndarray:
    """Fail, naming the expected shape and the wrong axes, unless ``actual`` is an array of ``shape``."""
    actual = expect_array(actual, what)
    if actual.shape != tuple(shape):
        raise CheckFailed(shape_mismatch(actual.shape, shape, what))
    return actual


def _asks_for_float64(expected: np.ndarray, rtol: float) -> bool:
    return expected.dtype.kind == "f" and expected.dtype.itemsize >= 8 and rtol < _FLOAT64_RTOL


def _within_float32(actual: np.ndarray, expected: np.ndarray) -> bool:
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    return bool(np.all(np.isclose(actual, expected, rtol=_FLOAT32_RTOL, atol=_FLOAT32_ATOL * scale)))


def differs(wrong: int, size: int, rtol: float, atol: float, what: Message | str = RESULT) -> Message:
    """``what`` differs from the expected values at ``wrong`` of ``size`` positions, in coarse words."""
    tolerance = {"what": what, "rtol": f"{rtol:g}", "atol": f"{atol:g}"}
    case = how_many(wrong, size)
    if case == ALL:
        return _n("{what} differs from the expected value at its only position (tolerance rtol={rtol}, atol={atol})",
                  "{what} differs from the expected values at all {count} positions "
                  "(tolerance rtol={rtol}, atol={atol})", size, **tolerance)
    if case == ONE:  # size is at least 2 here, as for SOME and MOST
        return _n("{what} differs from the expected values at one of {count} positions "
                  "(tolerance rtol={rtol}, atol={atol})",
                  "{what} differs from the expected values at one of {count} positions "
                  "(tolerance rtol={rtol}, atol={atol})", size, **tolerance)
    if case == MOST:
        return _n("{what} differs from the expected values at most of {count} positions "
                  "(tolerance rtol={rtol}, atol={atol})",
                  "{what} differs from the expected values at most of {count} positions "
                  "(tolerance rtol={rtol}, atol={atol})", size, **tolerance)
    return _n("{what} differs from the expected values at some of {count} positions "
              "(tolerance rtol={rtol}, atol={atol})",
              "{what} differs from the expected values at some of {count} positions "
              "(tolerance rtol={rtol}, atol={atol})", size, **tolerance)


def expect_close(actual, expected: np.ndarray, *, rtol: float = 1e-6, atol: float = 1e-9,
                 what: Message | str = RESULT) -> None:
    """Fail unless ``actual`` matches ``expected`` elementwise within the tolerances.

    The message says in coarse words how many entries differ (:func:`differs`), never the hidden
    values, the student's values or the exact count. Where the tolerances ask for
    float64 precision, a float32 (or float16) result, or one that misses them but is
    right to float32 precision, fails with :func:`float32_precision` instead.
    """
    expected = np.asarray(expected)
    actual = expect_shape(actual, expected.shape, what)
    if not np.all(np.isfinite(actual)):
        raise CheckFailed(_("{what} contains NaN or infinite values", what=what))
    float64 = _asks_for_float64(expected, rtol)
    wrong = ~np.isclose(actual, expected, rtol=rtol, atol=atol)
    if wrong.any():
        if float64 and _within_float32(actual, expected):
            raise CheckFailed(float32_precision(what))
        raise CheckFailed(differs(int(wrong.sum()), wrong.size, rtol, atol, what))
    if float64 and actual.dtype.kind == "f" and actual.dtype.itemsize < 8:
        raise CheckFailed(float32_precision(what))


def expect_depends_on(actual, other, changed: str, what: Message | str = RESULT) -> None:
    """Fail when ``actual`` and ``other``, results for inputs that differ in ``changed``, are identical.

    A check that gives a point for a shape (or for a published example) calls this too, on
    hidden inputs whose expected results differ: output that ignores its input (zeros of
    the right shape, an answer typed in) earns nothing. ``changed`` names an argument (``"x"``).
    """
    actual, other = expect_array(actual, what), expect_array(other, what)
    if actual.shape == other.shape and np.array_equal(actual, other, equal_nan=True):
        raise CheckFailed(_("{what} stays the same when {changed} changes: compute it from the inputs "
                            "(the right shape alone earns nothing)", what=what, changed=changed))


def expect_equal(actual, expected, what: Message | str = RESULT) -> None:
    """Fail unless ``actual == expected`` for plain numbers, naming the expected one."""
    if actual != expected:
        raise CheckFailed(_("{what} is wrong: expected {expected}", what=what, expected=repr(expected)))


def measure(name: str, value):
    """Record ``value`` as the running check's TA-only measurement ``name``; returns ``value`` unchanged.

    It goes into the check's outcome as ``"measured": {name: float}`` (see the module
    docstring); measuring the same name again replaces the figure. It never raises and never
    changes what the check does: a value that is not a finite real number is recorded as None,
    names past :data:`MAX_MEASUREMENTS` are dropped, and outside a check run by the harness (a
    test calling a check function directly) nothing is recorded.
    """
    measured = _MEASURED.get()
    if measured is None:
        return value
    key = str(name)[:MEASUREMENT_NAME_CHARS]
    if key in measured or len(measured) < MAX_MEASUREMENTS:
        try:
            number = float(value)
        except Exception:  # noqa: BLE001  (a measurement must never change the check's outcome)
            number = None
        measured[key] = number if number is not None and math.isfinite(number) else None
    return value


@contextlib.contextmanager
def measurements() -> Iterator[dict]:
    """The dict that :func:`measure` fills while the ``with`` block runs one check (this thread only)."""
    measured: dict = {}
    token = _MEASURED.set(measured)
    try:
        yield measured
    finally:
        _MEASURED.reset(token)
