"""Hidden checks: the API that ``assignments/*/grading/checks.py`` is written against."""

from grader.checks.api import (
    Check,
    CheckFailed,
    check,
    expect_array,
    expect_close,
    expect_depends_on,
    expect_equal,
    expect_shape,
    how_many,
    measure,
    shape_mismatch,
)
from grader.checks.properties import expect_property, smallest_failure

__all__ = ["Check", "CheckFailed", "check", "expect_array", "expect_close", "expect_depends_on", "expect_equal",
           "expect_property",
           "expect_shape", "how_many", "measure", "shape_mismatch", "smallest_failure"]
