"""Hidden checks: the API that ``assignments/*/grading/checks.py`` is written against."""

from grader.checks.api import (
    Check,
    CheckFailed,
    check,
    expect_array,
    expect_close,
    expect_equal,
    expect_shape,
)

__all__ = ["Check", "CheckFailed", "check", "expect_array", "expect_close", "expect_equal", "expect_shape"]
