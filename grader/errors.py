"""Errors a user can fix. The ``grader`` command prints them as one line, ``grader COMMAND: MESSAGE``."""


class UserError(ValueError):
    """A mistake the user can fix (a missing assignment, a file that is not what it should be).

    The message names the file at fault first, when there is one, and says what to do.
    """
