"""How a call into the student process can fail; each maps to a check outcome."""


# How feedback replaces the message of a student exception raised after the process saw hidden inputs.
MESSAGE_WITHHELD = "the message of an error on hidden inputs is not shown"


class StudentFailure(Exception):
    """Base class: the student's code did not produce an answer. The message is shown to the student."""

    outcome = "error"


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
