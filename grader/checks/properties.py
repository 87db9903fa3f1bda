"""Property-based hidden checks: search many cases, report the smallest one that fails.

Built on hypothesis' ``find``: cases are drawn from a strategy with a seed taken
from the check's hidden ``rng`` (so students cannot replay them), and a failing
case is shrunk to the simplest one before it is reported, e.g.
``fails for H=4, W=5, k=3, stride=2, padding='same': expected shape (2, 3), got (1, 2)``.
"""

from __future__ import annotations

import random
from typing import Callable

import numpy as np
from hypothesis import HealthCheck, Phase, find, settings
from hypothesis.errors import NoSuchExample
from hypothesis.strategies import SearchStrategy

from grader.checks.api import CheckFailed
from grader.sandbox.errors import StudentCodeError, StudentMissing


def _message(fails: Callable, case) -> str | None:
    try:
        return fails(case)
    except CheckFailed as failure:
        return str(failure)
    except StudentMissing:
        raise
    except StudentCodeError as failure:
        return str(failure)


def smallest_failure(cases: SearchStrategy, fails: Callable, rng: np.random.Generator, *,
                     max_examples: int = 60) -> tuple[object, str] | None:
    """The simplest case for which ``fails(case)`` returns a message (or raises CheckFailed), if any.

    ``fails`` returns None when the student's answer for ``case`` is right. A
    student exception counts as a wrong answer for that case; a timeout or crash
    ends the search and costs the whole check.
    """
    config = settings(max_examples=max_examples, database=None, deadline=None, derandomize=False,
                      phases=[Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck))
    try:
        case = find(cases, lambda c: _message(fails, c) is not None, settings=config,
                    random=random.Random(int(rng.integers(2**63))))
    except NoSuchExample:
        return None
    return case, _message(fails, case) or "fails"


def expect_property(cases: SearchStrategy, fails: Callable, rng: np.random.Generator,
                    describe: Callable[[object], str] = repr, *, max_examples: int = 60) -> None:
    """Fail the check with the smallest failing case, described by ``describe(case)``."""
    found = smallest_failure(cases, fails, rng, max_examples=max_examples)
    if found is not None:
        case, message = found
        raise CheckFailed(f"fails for {describe(case)}: {message}")
