"""Running hidden checks against a sandboxed student process: the checker's side of the boundary.

A failure that is about one of the student's functions rather than about one check (not implemented
yet, an endless loop, a name it uses that is not defined, a notebook program that could not run) is
tagged with the ``function`` and a ``cause`` (the constants below), so that the feedback page says it
once for all the checks it cost. Once a call to a function has run past its time limit, the later
checks that call it are not run: they could only wait as long again.
"""

from __future__ import annotations

import dataclasses
import time
import traceback
import zlib

import numpy as np

from grader.checks.api import Check, CheckFailed, measurements
from grader.i18n import Message, _
from grader.sandbox.errors import (
    StudentCodeError,
    StudentCrashed,
    StudentFailure,
    StudentMissing,
    StudentTimeout,
    StudentUnavailable,
)
from grader.sandbox.process import StudentProcess

INTERNAL_ERROR = _("the check itself failed (an error in the grader, not in your code); your TA has the details")
# Every message a student sees is capped, whatever produced it.
MAX_MESSAGE = 500
NOT_RUN = "not run"  # the outcome of a check skipped because of an earlier failure that it could only repeat
# Causes: why a check failed, when the reason is about the student's function or program, not the check.
NOT_IMPLEMENTED = "not_implemented"
ENDLESS_LOOP = "endless_loop"
NAME_ERROR = "name_error"
NOT_DEFINED = "not_defined"
PROGRAM = "program"
GAVE_UP = "gave_up"


class NotRun(StudentFailure):
    """The check was not run: an earlier failure already says why it could not pass."""

    outcome = NOT_RUN


@dataclasses.dataclass
class Session:
    """What the checks of one submission learn about the student process, shared from check to check."""

    start_failure: StudentFailure | None = None  # how the notebook program failed on its first start
    looped: dict[str, float] = dataclasses.field(default_factory=dict)  # function -> the limit it ran past
    ended: list[str] = dataclasses.field(default_factory=list)  # how each check that ended the process failed


def _blame(failure: StudentFailure, function: str, cause: str = "") -> StudentFailure:
    """``failure`` tagged with the student function it came from and its cause (see the module docstring)."""
    failure.function, failure.cause = function, cause
    return failure


class Student:
    """The ``student`` argument of a check: calls into the sandbox, never into student objects.

    ``failure`` is the last failure a call raised (tagged), ``answered`` whether any call answered.
    """

    def __init__(self, process: StudentProcess, timeout: float, session: Session | None = None):
        self._process = process
        self._timeout = timeout
        self._session = session or Session()
        self.last_mutated: tuple[int, ...] = ()
        self.failure: StudentFailure | None = None
        self.answered = False

    def call(self, name: str, *args, **kwargs):
        """``name(*args, **kwargs)`` in the student process; arrays in, a plain array or number out."""
        result, mutated = self._ask(name, True, lambda: self._process.call(name, args, kwargs, self._timeout))
        self.last_mutated = tuple(mutated)
        return result

    def get(self, name: str):
        """The value of a variable the notebook program defined, e.g. a trained Keras model."""
        return self._ask(name, False, lambda: self._process.get(name, self._timeout))

    def _ask(self, name: str, calling: bool, request):
        """``request()``; a failure is tagged and said in words a student can act on."""
        session = self._session
        try:
            if name in session.looped:
                raise _blame(NotRun(_("not run: {function} did not finish within {seconds} s in an earlier check",
                                      function=name, seconds=session.looped[name])), name, ENDLESS_LOOP)
            answer = request()
        except StudentFailure as failure:
            self.failure = failure if hasattr(failure, "cause") else self._explained(failure, name, calling)
            raise self.failure from None
        self.answered = True
        return answer

    def _explained(self, failure: StudentFailure, name: str, calling: bool) -> StudentFailure:
        session, text = self._session, str(failure)
        if isinstance(failure, (StudentTimeout, StudentCrashed)):
            session.ended.append(failure.outcome)  # the process was killed, or died
        if session.start_failure is not None:
            return _blame(failure, "", PROGRAM)
        # "timed out after 10 s while calling conv2d": a loop; not when the submission's time budget ran out
        if isinstance(failure, StudentTimeout) and calling and text.endswith(f" while calling {name}"):
            session.looped[name] = self._timeout
            session.ended[-1] = ENDLESS_LOOP
            return _blame(StudentTimeout(_("{function} did not finish within {seconds} s (an endless loop?)",
                                           function=name, seconds=self._timeout)), name, ENDLESS_LOOP)
        if isinstance(failure, StudentUnavailable) and session.looped and set(session.ended) == {ENDLESS_LOOP}:
            return _blame(NotRun(_("not run: the grader stopped restarting your code after {functions} did not finish",
                                   functions=list(session.looped))), "", GAVE_UP)
        if isinstance(failure, StudentMissing) and "raised NotImplementedError" in text:  # a stub's cell
            return _blame(StudentMissing(_("not implemented yet: {reason}", reason=failure.message)),
                          name, NOT_IMPLEMENTED)
        if isinstance(failure, StudentMissing):
            return _blame(failure, name, NAME_ERROR if "raised NameError" in text else NOT_DEFINED)
        if isinstance(failure, StudentCodeError) and text.startswith(f"{name} raised NotImplementedError"):
            return _blame(StudentCodeError(_("{function} is not implemented yet (it raises NotImplementedError)",
                                             function=name)), name, NOT_IMPLEMENTED)
        if isinstance(failure, StudentCodeError) and text.startswith(f"{name} raised NameError"):
            return _blame(failure, name, NAME_ERROR)
        return _blame(failure, name)


def check_rng(seed: int, name: str) -> np.random.Generator:
    """The hidden random generator of one check: from the secret seed and the check's name."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def run_check(check: Check, process: StudentProcess, seed: int, session: Session | None = None) -> dict:
    """Run one check; returns its outcome document (message safe to show the student).

    ``function`` and ``cause`` are set when the check failed because of one of the student's
    functions, or its whole program, rather than the check itself (see the module docstring).
    ``measured``, present when the check recorded any (:func:`grader.checks.measure`), holds its
    TA-only figures, kept whether it passed or not; no student view shows them.
    """
    start = time.perf_counter()
    outcome, message, detail, blamed, measured = "passed", Message(""), "", None, {}
    timeout = check.timeout if check.timeout is not None else process.limits.check_timeout_s
    student = Student(process, timeout, session)
    try:
        with measurements() as measured:
            check.function(student, check_rng(seed, check.name))
    except StudentFailure as failure:
        outcome, message, blamed = failure.outcome, failure.message, failure
    except CheckFailed as failure:
        outcome, message = "failed", failure.message
        if student.failure is not None and not student.answered and str(message).endswith(str(student.failure)):
            # every call failed, and the check says so in its words ("fails for H=1, ...: conv2d raised ..."):
            # the student's failure is the reason, whatever the case
            blamed = student.failure
            outcome, message = blamed.outcome, blamed.message
    except AssertionError:
        outcome, message = "failed", _("the result is not correct")
        detail = traceback.format_exc()
    except Exception:
        outcome, message, detail = "error", INTERNAL_ERROR, traceback.format_exc()
    document = {
        "name": check.name,
        "title": check.description,
        "cell": check.cell,
        "points": check.points,
        "score": check.points if outcome == "passed" else 0.0,
        "outcome": outcome,
        "message": str(message)[:MAX_MESSAGE],
        "message_i18n": message.to_json(),
        "detail": detail[-20000:],
        "seconds": round(time.perf_counter() - start, 4),
        "function": getattr(blamed, "function", ""),
        "cause": getattr(blamed, "cause", ""),
    }
    if measured:
        document["measured"] = dict(measured)
    return document


def run_checks(checks: list[Check], process: StudentProcess, seed: int,
               start_failure: StudentFailure | None = None) -> list[dict]:
    """Every check in order; a failure in one costs only that check.

    ``start_failure``: how the notebook program failed when it was first started, if it did. Every
    check then fails the same way, tagged as the program's failure; an endless loop in the program
    is said as such.
    """
    session = Session(start_failure=start_failure)
    outcomes = [run_check(check, process, seed, session) for check in checks]
    if isinstance(start_failure, StudentTimeout):
        limit = process.limits.program_timeout_s
        for outcome in outcomes:
            if outcome["cause"] == PROGRAM:
                message = _("your notebook did not finish running within {seconds} s (an endless loop in a solution "
                            "cell?), so no hidden check could run", seconds=limit)
                outcome.update(message=str(message), message_i18n=message.to_json())
    return outcomes
