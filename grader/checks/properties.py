"""Property-based hidden checks: search many cases, report the smallest one that fails.

Built on hypothesis' ``find``: cases are drawn from a strategy with a seed taken
from the check's hidden ``rng`` (so students cannot replay them), and a failing
case is shrunk to the simplest one before it is reported, e.g.
``fails for H=4, W=5, k=3, stride=2, padding='same': the result has the wrong size along axis 1, 2: expected
shape (1, 2, 3, 1)``: one message (:class:`grader.i18n.Message`) with the case, described in code-like
terms that need no translation, and the case's own message as its placeholders.
"""

from __future__ import annotations

import random
from typing import Callable

import numpy as np
from hypothesis import HealthCheck, Phase, find, settings
from hypothesis.errors import NoSuchExample
from hypothesis.strategies import SearchStrategy

from grader.checks.api import CheckFailed
from grader.i18n import Message, _, as_message
from grader.sandbox.errors import StudentCodeError, StudentMissing


def _message(fails: Callable, case) -> Message | None:
    try:
        message = fails(case)
    except CheckFailed as failure:
        return failure.message
    except StudentMissing:
        raise
    except StudentCodeError as failure:
        return failure.message
    return None if message is None else as_message(message)


def smallest_failure(cases: SearchStrategy, fails: Callable, rng: np.random.Generator, *,
                     max_examples: int = 60) -> tuple[object, Message | None] | None:
    """The simplest case for which ``fails(case)`` returns a message (or raises CheckFailed), if any.

    With the case comes its message: None only if ``fails`` did not fail the case again when asked
    for it (a student's answer that changes from call to call).

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
    return case, _message(fails, case)


def expect_property(cases: SearchStrategy, fails: Callable, rng: np.random.Generator,
                    describe: Callable[[object], str] = repr, *, max_examples: int = 60) -> None:
    """Fail the check with the smallest failing case, described by ``describe(case)``.

    ``describe`` gives code-like text (``"H=1, W=1, k=1x2, stride=1, padding='same'"``), shown as it is
    in every language.
    """
    found = smallest_failure(cases, fails, rng, max_examples=max_examples)
    if found is not None:
        case, message = found
        if message is None or not str(message):
            raise CheckFailed(_("fails for {case}", case=describe(case)))
        raise CheckFailed(_("fails for {case}: {message}", case=describe(case), message=message))
