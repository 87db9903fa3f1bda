"""grader.checks.api: messages say what is wrong without repeating what the student's result chose."""

import numpy as np
import pytest

from grader.checks.api import (
    MAX_MEASUREMENTS,
    CheckFailed,
    expect_close,
    expect_depends_on,
    expect_equal,
    expect_shape,
    float32_precision,
    how_many,
    measure,
    measurements,
    shape_mismatch,
)
from grader.i18n import Message, _

PRECISION = "matches only to float32 precision: compute in float64"


@pytest.mark.parametrize(("wrong", "size", "case"), [(1, 12, "one"), (3, 12, "some"), (6, 12, "most"),
                                                     (12, 12, "all")])
def test_counts_are_coarse_cases(wrong, size, case):
    assert how_many(wrong, size) == case


@pytest.mark.parametrize(("wrong", "size", "words"), [
    (1, 12, "at one of 12 positions"), (3, 12, "at some of 12 positions"), (6, 12, "at most of 12 positions"),
    (12, 12, "at all 12 positions"), (1, 1, "at its only position")])
def test_a_value_mismatch_is_one_whole_message_per_case(wrong, size, words):
    values = np.arange(size, dtype=float)
    actual = values.copy()
    actual[:wrong] += 424242
    with pytest.raises(CheckFailed) as failed:
        expect_close(actual, values)
    assert isinstance(failed.value.message, Message)
    value = "value" if size == 1 else "values"
    assert str(failed.value) == (f"the result differs from the expected {value} {words} "
                                 "(tolerance rtol=1e-06, atol=1e-09)")


def test_a_shape_mismatch_names_the_expected_shape_and_the_wrong_axes_only():
    assert str(shape_mismatch((0, 424242, 313131), (7, 1))) == \
        "the result has more dimensions than the expected shape (7, 1)"
    assert str(shape_mismatch((424242,), (7, 1))) == "the result has fewer dimensions than the expected shape (7, 1)"
    assert str(shape_mismatch((7, 424242), (7, 1), _("the output"))) == \
        "the output has the wrong size along axis 1: expected shape (7, 1)"
    assert str(shape_mismatch((8, 424242), (7, 1))) == \
        "the result has the wrong size along axis 0, 1: expected shape (7, 1)"


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


# ----------------------------------------------------------------------------- precision

def _sums(dtype):
    """Sums of many random products computed in ``dtype``, and the float64 truth."""
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(50, 300)), rng.normal(size=(300, 40))
    return (a.astype(dtype) @ b.astype(dtype)), a @ b


def test_a_float32_result_is_told_to_compute_in_float64():
    result, expected = _sums(np.float32)
    with pytest.raises(CheckFailed) as failed:
        expect_close(result, expected)
    assert failed.value.message == float32_precision()
    assert str(failed.value) == f"the result {PRECISION}"


def test_float32_arithmetic_returned_as_float64_is_a_precision_failure_too():
    result, expected = _sums(np.float32)
    with pytest.raises(CheckFailed, match="only to float32 precision: compute in float64"):
        expect_close(result.astype(np.float64), expected, what="the result for a 5x6 image")


def test_a_float32_result_fails_even_where_its_values_happen_to_be_exact():
    """Small integers are exact in float32: the dtype alone says the computation was float32."""
    with pytest.raises(CheckFailed, match=PRECISION):
        expect_close(np.array([[9, -20], [22, 11]], np.float32), np.array([[9.0, -20.0], [22.0, 11.0]]))
    with pytest.raises(CheckFailed, match=PRECISION):
        expect_close(np.ones(3, np.float16), np.ones(3))


def test_float64_and_integer_results_pass_and_wrong_float32_results_are_wrong_values():
    result, expected = _sums(np.float64)
    expect_close(result, expected)
    expect_close(np.array([1, 2, 3]), np.array([1.0, 2.0, 3.0]))
    wrong, expected = _sums(np.float32)
    with pytest.raises(CheckFailed, match="differs from the expected values"):
        expect_close(wrong + 0.5, expected)


def test_checks_with_float32_tolerances_accept_float32():
    """A Keras model computes in float32: a check with rtol=1e-4 compares float32 with float32 or float64."""
    result, expected = _sums(np.float32)
    expect_close(result, expected, rtol=1e-4, atol=1e-4)
    expect_close(np.ones(3, np.float32), np.ones(3, np.float32))   # float32 expected: float32 is what is asked


# ----------------------------------------------------------------------------- output that ignores its input

def test_a_result_that_does_not_change_with_its_input_fails():
    with pytest.raises(CheckFailed) as failed:
        expect_depends_on(np.zeros((2, 3)), np.zeros((2, 3)), "x", what="the result for a 4x5 image")
    assert str(failed.value) == ("the result for a 4x5 image stays the same when x changes: compute it from the "
                                 "inputs (the right shape alone earns nothing)")
    with pytest.raises(CheckFailed, match="stays the same when w changes"):
        expect_depends_on(np.full(3, np.nan), np.full(3, np.nan), "w")


def test_a_result_that_changes_with_its_input_passes():
    expect_depends_on(np.zeros((2, 3)), np.ones((2, 3)), "x")
    expect_depends_on(np.zeros((2, 3)), np.zeros((3, 2)), "x")


# ----------------------------------------------------------------------------- TA-only measurements


def test_measure_records_floats_for_the_running_check_and_returns_the_value_unchanged():
    value = np.float32(0.25)
    with measurements() as measured:
        assert measure("accuracy", value) is value
        measure("gap", np.array(0.5))
        measure("gap", 0.75)  # measured again: the last figure counts
    assert measured == {"accuracy": 0.25, "gap": 0.75} and all(type(v) is float for v in measured.values())
    with measurements() as later:
        pass
    assert later == {}


def test_a_measurement_never_raises():
    """Not a number, not finite, too many: recorded as None or dropped; the check goes on as if unmeasured."""
    with measurements() as measured:
        measure("nan", float("nan"))
        measure("inf", np.inf)
        measure("array", np.zeros(3))
        measure("text", "0.5x")
        measure("x" * 1000, 1)
        for number in range(2 * MAX_MEASUREMENTS):
            measure(f"m{number}", number)
    assert measured["nan"] is None and measured["inf"] is None and measured["array"] is None
    assert measured["text"] is None and len(measured) == MAX_MEASUREMENTS
    assert max(len(name) for name in measured) == 64


def test_outside_a_check_nothing_is_recorded():
    assert measure("accuracy", 0.5) == 0.5
