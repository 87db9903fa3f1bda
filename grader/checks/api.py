"""What a hidden check sees: the ``@check`` decorator and safe assertion helpers.

A hidden check lives in ``assignments/NAME/grading/checks.py`` and looks like::

    @check(cell="conv2d_tests", points=2)
    def matches_reference_on_random_shapes(student, rng):
        x = rng.normal(size=(2, 6, 5, 3))
        expect_close(student.call("conv2d", x, w, b), reference.conv2d(x, w, b))

``student.call`` sends plain arrays to the sandboxed student process and returns
a plain ``numpy.ndarray`` (or a JSON number).  Messages raised with
:class:`CheckFailed` go to the student's feedback, so they describe *what* is
wrong (shapes, how many values differ) and never print hidden inputs or
expected values.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np


class CheckFailed(AssertionError):
    """The student's answer is wrong; the message is shown to the student."""


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


def expect_array(actual, what: str = "the result") -> np.ndarray:
    """Fail unless ``actual`` is a real numeric array (not an object array)."""
    if not isinstance(actual, np.ndarray):
        raise CheckFailed(f"{what} should be a numpy array, got {type(actual).__name__}")
    if actual.dtype.kind not in "biuf":
        raise CheckFailed(f"{what} should hold real numbers, got dtype {actual.dtype}")
    return actual


def expect_shape(actual, shape: tuple, what: str = "the result") -> np.ndarray:
    """Fail with both shapes named unless ``actual`` is an array of ``shape``."""
    actual = expect_array(actual, what)
    if actual.shape != tuple(shape):
        raise CheckFailed(f"{what} has shape {actual.shape}, expected {tuple(shape)}")
    return actual


def expect_close(actual, expected: np.ndarray, *, rtol: float = 1e-6, atol: float = 1e-9,
                 what: str = "the result") -> None:
    """Fail unless ``actual`` matches ``expected`` elementwise within the tolerances.

    The message reports the shape, how many entries differ and the largest
    error, never the hidden values themselves.
    """
    actual = expect_shape(actual, expected.shape, what)
    if not np.all(np.isfinite(actual)):
        raise CheckFailed(f"{what} contains NaN or infinite values")
    wrong = ~np.isclose(actual, expected, rtol=rtol, atol=atol)
    if wrong.any():
        error = float(np.max(np.abs(actual.astype(np.float64) - expected)))
        raise CheckFailed(
            f"{what} differs from the expected values at {int(wrong.sum())} of {wrong.size} "
            f"positions (largest absolute error {error:.3g}; tolerance rtol={rtol:g}, atol={atol:g})"
        )


def expect_equal(actual, expected, what: str = "the result") -> None:
    """Fail unless ``actual == expected`` for plain numbers, naming both."""
    if actual != expected:
        raise CheckFailed(f"{what} is {actual!r}, expected {expected!r}")
