"""grader.checks.run: whatever a check raises, the student sees a capped message."""

import pytest

from grader.checks.api import CheckFailed, check
from grader.checks.run import MAX_MESSAGE, run_check
from grader.sandbox.errors import StudentCodeError


@pytest.mark.parametrize("error", [CheckFailed("x" * 100000), StudentCodeError("y" * 100000)])
def test_every_message_is_capped(error):
    @check(cell="c", points=1, timeout=1)
    def too_long(student, rng):
        raise error

    outcome = run_check(too_long.__grader_check__, None, seed=0)
    assert outcome["score"] == 0 and len(outcome["message"]) == MAX_MESSAGE
