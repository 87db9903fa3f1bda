"""Running hidden checks against a sandboxed student process: the checker's side of the boundary."""

from __future__ import annotations

import time
import traceback
import zlib

import numpy as np

from grader.checks.api import Check, CheckFailed
from grader.sandbox.errors import StudentFailure
from grader.sandbox.process import StudentProcess

INTERNAL_ERROR = "the check itself failed (an error in the grader, not in your code); your TA has the details"
# Every message a student sees is capped, whatever produced it.
MAX_MESSAGE = 500


class Student:
    """The ``student`` argument of a check: calls into the sandbox, never into student objects."""

    def __init__(self, process: StudentProcess, timeout: float):
        self._process = process
        self._timeout = timeout
        self.last_mutated: tuple[int, ...] = ()

    def call(self, name: str, *args, **kwargs):
        """``name(*args, **kwargs)`` in the student process; arrays in, a plain array or number out."""
        result, mutated = self._process.call(name, args, kwargs, self._timeout)
        self.last_mutated = tuple(mutated)
        return result

    def get(self, name: str):
        """The value of a variable the notebook program defined, e.g. a trained Keras model."""
        return self._process.get(name, self._timeout)


def check_rng(seed: int, name: str) -> np.random.Generator:
    """The hidden random generator of one check: from the secret seed and the check's name."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def run_check(check: Check, process: StudentProcess, seed: int) -> dict:
    """Run one check; returns its outcome document (message safe to show the student)."""
    start = time.perf_counter()
    outcome, message, detail = "passed", "", ""
    timeout = check.timeout if check.timeout is not None else process.limits.check_timeout_s
    try:
        check.function(Student(process, timeout), check_rng(seed, check.name))
    except StudentFailure as failure:
        outcome, message = failure.outcome, str(failure)
    except CheckFailed as failure:
        outcome, message = "failed", str(failure)
    except AssertionError:
        outcome, message = "failed", "the result is not correct"
        detail = traceback.format_exc()
    except Exception:
        outcome, message, detail = "error", INTERNAL_ERROR, traceback.format_exc()
    return {
        "name": check.name,
        "title": check.description,
        "cell": check.cell,
        "points": check.points,
        "score": check.points if outcome == "passed" else 0.0,
        "outcome": outcome,
        "message": message[:MAX_MESSAGE],
        "detail": detail[-20000:],
        "seconds": round(time.perf_counter() - start, 4),
    }


def run_checks(checks: list[Check], process: StudentProcess, seed: int) -> list[dict]:
    """Every check in order; a failure in one costs only that check."""
    return [run_check(check, process, seed) for check in checks]
