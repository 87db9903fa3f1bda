"""How a call into the student process can fail; each maps to a check outcome."""

from __future__ import annotations

from grader.i18n import Explained, Message, _

# How feedback replaces the message of a student exception raised after the process saw hidden inputs.
MESSAGE_WITHHELD = _("the message of an error on hidden inputs is not shown")


class StudentFailure(Explained):
    """Base class: the student's code did not produce an answer. The message is shown to the student.

    Besides the message (a :class:`grader.i18n.Message`), what it says that code may need to match on:
    ``raised``, the class name of the student exception the message names ("" when it names none), and
    ``calling``, the student function whose call was running under its own time limit when the process
    timed out or died ("" when it was starting, reading a variable, or the submission's time budget ran out).
    """

    outcome = "error"

    def __init__(self, message: Message | str = "", *, raised: str = "", calling: str = ""):
        super().__init__(message)
        self.raised, self.calling = raised, calling


class StudentCodeError(StudentFailure):
    """The student's function raised an exception."""


class StudentMissing(StudentFailure):
    """The student's function is not defined (not implemented, or its cell failed)."""


class StudentTimeout(StudentFailure):
    """The student process ran past its wall-clock limit and was killed."""

    outcome = "timeout"


class StudentCrashed(StudentFailure):
    """The student process died (exit, signal, memory cap) or broke the protocol."""

    outcome = "crashed"


class StudentUnavailable(StudentFailure):
    """The student process could not be (re)started for this check."""

    outcome = "crashed"
