"""grader.checks.api: messages say what is wrong without repeating what the student's result chose."""

import numpy as np
import pytest

from grader.checks.api import CheckFailed, expect_close, expect_equal, expect_shape, how_many, shape_mismatch


@pytest.mark.parametrize(("wrong", "size", "words"), [(1, 12, "one"), (3, 12, "some"), (6, 12, "most"),
                                                      (12, 12, "all 12")])
def test_counts_are_coarse_words(wrong, size, words):
    assert how_many(wrong, size) == words


def test_a_shape_mismatch_names_the_expected_shape_and_the_wrong_axes_only():
    assert shape_mismatch((0, 424242, 313131), (7, 1)) == "has more dimensions than the expected shape (7, 1)"
    assert shape_mismatch((7, 424242), (7, 1)) == "has the wrong size along axis 1: expected shape (7, 1)"


@pytest.mark.parametrize("call", [
    lambda: expect_shape(np.empty((0, 424242, 313131), np.int8), (7, 1)),
    lambda: expect_shape(np.zeros((424242,)), (7,)),
    lambda: expect_close(np.full(3, 424242.0), np.zeros(3)),
    lambda: expect_equal(424242, 7),
    lambda: expect_shape(np.array(["424242"]), (1,)),
], ids=["dimensions", "size", "values", "number", "dtype"])
def test_nothing_the_result_chose_is_repeated(call):
    with pytest.raises(CheckFailed) as failed:
        call()
    assert "424242" not in str(failed.value) and "313131" not in str(failed.value) and "int8" not in str(failed.value)
