"""The padding_stride hidden checks' own cases, run in-process (no sandbox) against known solutions.

What every numpy assignment's checks must do is in ``test_numpy_checks.py``.

The stand-in for the sandboxed student is ``proxy.py``'s: array arguments are copied and checked
for in-place changes, ints and strings travel as JSON, numpy scalars come back as 0-d arrays, and
an exception in the student's function becomes a ``StudentCodeError``, which a property check
reports for the smallest case it finds.
"""

import re

import numpy as np
import pytest
from proxy import Harness, LocalStudent, check_rng, own_cpu_time

from grader.assignment import Assignment
from grader.checks import CheckFailed

ASSIGNMENT = Assignment.find("padding_stride")
CHECKS = ASSIGNMENT.checks
CHECKS_MODULE = CHECKS[0].function.__globals__
SEED = ASSIGNMENT.config.seed
VARIANTS = ASSIGNMENT.variants()
ALTERNATIVES = Assignment.find("padding_stride").alternatives()
CALL_OVERHEAD_S = 0.002   # what one student.call costs in the real harness, beyond the student's code

HARNESS = Harness(ASSIGNMENT)
program, run_checks = HARNESS.program, HARNESS.run_checks

PROPERTY_CHECKS = {"zero_pad_matches_reference", "output_size_int_padding", "output_size_valid_and_same",
                   "conv2d_output_shape", "conv2d_int_padding_values", "conv2d_same_padding_values"}
CONV_CASE = re.compile(r"^fails for H=(\d+), W=(\d+), k=(\d+|\d+x\d+), stride=(\d+), "
                       r"padding=(0|1|2|3|'valid'|'same')(, N=2)?(, P=\d)?(, Q=\d)?: (.+)$")
SIZE_CASE = re.compile(r"^fails for n=(\d+), k=(\d+), padding=(\d|'valid'|'same'), stride=(\d): (.+)$")
PAD_CASE = re.compile(r"^fails for x of shape \((\d), (\d), (\d), (\d)\), p=(\d)(, integer x)?: (.+)$")

LECTURE_X = np.array([[3, 3, 4, 4, 7, 0], [9, 7, 6, 5, 8, 2], [6, 5, 5, 6, 9, 2],
                      [7, 1, 3, 2, 7, 8], [0, 3, 7, 1, 8, 3], [4, 0, 4, 3, 2, 2]], dtype=float).reshape(1, 6, 6, 1)
EDGE = np.array([[1, 0, -1]] * 3, dtype=float).reshape(3, 3, 1, 1)


def variant(name):
    return next(v for v in VARIANTS if v.name == name)


# ----------------------------------------------------------------------------- structure


def test_solution_cells_seed_and_limits():
    assert ASSIGNMENT.solution_ids == ["zero_pad_impl", "output_size_impl", "conv2d_impl"]
    assert 100_000_000 <= SEED <= 999_999_999 and SEED != Assignment.find("conv2d").config.seed
    assert ASSIGNMENT.config.limits.program_timeout_s == 30


def test_property_checks_are_property_based():
    """The property checks search cases with hypothesis (expect_property), the lecture and edge checks do not."""
    for item in CHECKS:
        uses_property = "expect_property" in item.function.__code__.co_names
        assert uses_property == (item.name in PROPERTY_CHECKS), item.name


def test_cases_are_described_by_their_parameters():
    describe = CHECKS_MODULE["describe_conv"]
    case = {"h": 4, "w": 5, "u": 3, "v": 3, "stride": 2, "padding": "same", "n": 1, "p": 1, "q": 1, "seed": 7}
    assert describe(case) == "H=4, W=5, k=3, stride=2, padding='same'"
    assert describe({**case, "v": 2, "padding": 1, "n": 2, "q": 3}) == "H=4, W=5, k=3x2, stride=2, padding=1, N=2, Q=3"
    assert CHECKS_MODULE["describe_size"]({"n": 7, "k": 3, "padding": 0, "stride": 2}) == \
        "n=7, k=3, padding=0, stride=2"
    assert str(CHECKS_MODULE["describe_pad"]({"n": 1, "h": 2, "w": 3, "c": 1, "p": 2, "integer": True, "seed": 1})) == \
        "x of shape (1, 2, 3, 1), p=2, integer x"


def test_instructor_solution_matches_the_reference():
    import reference
    namespace = program()
    rng = np.random.default_rng(0)
    for shape, kernel, stride, padding in [((2, 7, 6, 3), (2, 3), 2, "same"), ((1, 5, 5, 2), (3, 3), 1, "same"),
                                           ((2, 8, 9, 1), (4, 1), 3, 2), ((1, 2, 3, 1), (4, 4), 2, "same"),
                                           ((1, 6, 6, 2), (6, 6), 1, "valid")]:
        x, w, b = rng.normal(size=shape), rng.normal(size=(*kernel, shape[3], 2)), rng.normal(size=2)
        np.testing.assert_allclose(namespace["conv2d"](x, w, b, stride, padding),
                                   reference.conv2d(x, w, b, stride=stride, padding=padding), rtol=0, atol=1e-12)
        for n, k in zip(shape[1:3], kernel):
            if padding == "same" or n + 2 * (padding if isinstance(padding, int) else 0) >= k:
                assert namespace["output_size"](n, k, padding, stride) == reference.output_size(n, k, padding, stride)
    np.testing.assert_array_equal(namespace["zero_pad"](x, 2), reference.zero_pad(x, 2))


def test_the_lecture_examples_in_the_checks_are_the_slides():
    assert CHECKS_MODULE["LECTURE_X"].shape == (6, 6) and CHECKS_MODULE["EDGE"].tolist() == [[1, 0, -1]] * 3
    np.testing.assert_array_equal(CHECKS_MODULE["LECTURE_X"], LECTURE_X[0, :, :, 0])


# ----------------------------------------------------------------------------- scores


def test_variants_fail_exactly_their_targets():
    """With the secret seed each variant loses the checks it names and keeps the others."""
    for item in VARIANTS:
        outcomes = run_checks(program(item.cells))
        assert {name for name, error in outcomes.items() if error} == set(item.targets), item.name


@pytest.mark.parametrize("item", [v for v in VARIANTS if PROPERTY_CHECKS & set(v.targets)], ids=lambda v: v.name)
def test_property_failures_name_a_small_case(item):
    """hypothesis shrinks the failing case: small sizes, simple settings, and no array values in the message."""
    outcomes = run_checks(program(item.cells))
    for name in sorted(PROPERTY_CHECKS & set(item.targets)):
        message = str(outcomes[name])
        assert isinstance(outcomes[name], CheckFailed), (name, message)
        assert "[" not in message and "array(" not in message, message
        if name == "conv2d_output_shape" and "stays the same when x changes" in message:
            continue   # right shapes everywhere: what fails is the result ignoring its input (a fixed case)
        if name.startswith("conv2d"):
            match = CONV_CASE.match(message)
            assert match, message
            assert int(match.group(1)) <= 6 and int(match.group(2)) <= 6, message
        elif name.startswith("output_size"):
            match = SIZE_CASE.match(message)
            assert match, message
            assert int(match.group(1)) <= 6 and int(match.group(2)) <= 4, message
        else:
            match = PAD_CASE.match(message)
            assert match, message
            n, h, w, c, p = (int(match.group(i)) for i in range(1, 6))
            # a padding mistake shows with one zero of padding; zeros for x already with none
            assert (n, h, w, c) == (1, 1, 1, 1) and p == (0 if item.name == "hardcoded_example" else 1), message


def test_shrunk_cases_point_at_the_mistake():
    """The smallest case says what is wrong: an even kernel with 'same', a stride of 2, one zero of padding."""
    def message(name, check):
        return str(run_checks(program(variant(name).cells))[check])

    same = message("symmetric_same", "conv2d_same_padding_values")
    assert same == ("fails for H=1, W=1, k=1x2, stride=1, padding='same': "
                    "the result has the wrong size along axis 2: expected shape (1, 1, 1, 1)"), same
    same_size = message("symmetric_same", "output_size_valid_and_same")
    assert same_size == "fails for n=1, k=2, padding='same', stride=1: the result is wrong: expected 1", same_size
    stride = message("stride_ignored", "conv2d_int_padding_values")
    assert stride == ("fails for H=1, W=1, k=1, stride=2, padding=1: "
                      "the result has the wrong size along axis 1, 2: expected shape (1, 2, 2, 1)"), stride
    division = message("true_division", "output_size_int_padding")
    assert division == ("fails for n=1, k=1, padding=0, stride=1: the result is a float; "
                        "output_size must return an int (use // rather than /)"), division
    one_side = message("pad_one_side", "zero_pad_matches_reference")
    assert one_side == ("fails for x of shape (1, 1, 1, 1), p=1: "
                        "the result has the wrong size along axis 1, 2: expected shape (1, 3, 3, 1)"), one_side
    one_side = message("pad_one_side", "conv2d_int_padding_values")
    assert one_side == ("fails for H=1, W=1, k=1, stride=1, padding=1: "
                        "the result has the wrong size along axis 1, 2: expected shape (1, 3, 3, 1)")
    channels = message("pad_channels", "zero_pad_matches_reference")
    assert channels == ("fails for x of shape (1, 1, 1, 1), p=1: "
                        "the result has the wrong size along axis 0, 3: expected shape (1, 3, 3, 1)"), channels
    off = message("off_by_one", "output_size_int_padding")
    assert off == "fails for n=1, k=1, padding=0, stride=1: the result is wrong: expected 1", off


def test_plain_loop_solution_is_graded_quickly():
    """All hidden checks of a plain-loop solution, plus the harness' cost per call, take well under 2 s.

    CPU time (``own_cpu_time``): about 0.5 s here, plus about 0.35 s for the calls.
    """
    namespace = program(next(a for a in ALTERNATIVES if a.name == "loops").cells)
    calls = 0
    with own_cpu_time() as elapsed:
        for item in CHECKS:
            student = LocalStudent(namespace)
            item.function(student, check_rng(SEED, item.name))
            calls += student.calls
        total = elapsed() + calls * CALL_OVERHEAD_S
    assert total < 1.5, f"{total:.2f} s for {calls} calls"


# ----------------------------------------------------------------------------- single mistakes

def _patched(name, wrapper):
    namespace = program()
    namespace[name] = wrapper(namespace[name])
    return run_checks(namespace)


def test_modifying_an_input_fails_the_checks_that_call_it():
    def mutating(conv2d):
        def wrapped(x, w, b, stride=1, padding=0):
            result = conv2d(x, w, b, stride, padding)
            x[...] = 0
            return result
        return wrapped

    outcomes = _patched("conv2d", mutating)
    assert "conv2d modified its input x in place" in str(outcomes["conv2d_edge_cases"])
    assert "conv2d modified its input x in place" in str(outcomes["conv2d_int_padding_values"])
    assert str(outcomes["conv2d_int_padding_values"]).startswith("fails for H=1, W=1, k=1, stride=1, padding=1: ")

    def mutating_pad(zero_pad):
        def wrapped(x, p):
            result = zero_pad(x, p)
            x += 1
            return result
        return wrapped

    outcomes = _patched("zero_pad", mutating_pad)
    assert "zero_pad modified its input x in place" in str(outcomes["zero_pad_lecture_example"])
    assert outcomes["output_size_lecture_examples"] is None


def test_an_integer_result_fails_the_edge_case_check():
    """The result takes the input's dtype: integer inputs give a truncated integer result."""
    outcomes = _patched("conv2d", lambda conv2d: lambda x, w, b, stride=1, padding=0:
                        conv2d(x, w, b, stride, padding).astype(np.asarray(x).dtype))
    assert "should be a float array" in str(outcomes["conv2d_edge_cases"])
    assert [name for name, error in outcomes.items() if error] == ["conv2d_edge_cases"]


def test_numpy_integer_sizes_are_accepted_but_floats_are_not():
    outcomes = _patched("output_size", lambda output_size: lambda *args: np.int64(output_size(*args)))
    assert all(outcomes[c.name] is None for c in CHECKS if c.cell == "output_size_tests"), outcomes
    outcomes = _patched("output_size", lambda output_size: lambda *args: float(output_size(*args)))
    assert all("is a float" in str(outcomes[c.name]) for c in CHECKS if c.cell == "output_size_tests"), outcomes


def test_a_student_exception_names_the_smallest_case():
    def failing_for_stride_3(conv2d):
        def wrapped(x, w, b, stride=1, padding=0):
            if stride == 3:
                raise ValueError("stride 3 is not supported")
            return conv2d(x, w, b, stride, padding)
        return wrapped

    outcomes = _patched("conv2d", failing_for_stride_3)
    for name in ("conv2d_output_shape", "conv2d_int_padding_values", "conv2d_same_padding_values"):
        message = str(outcomes[name])
        assert re.match(r"fails for H=1, W=1, k=1, stride=3, padding=(1|'same'): "
                        r"conv2d raised ValueError; the message of an error on hidden inputs is not shown$",
                        message), message
        assert "stride 3 is not supported" not in message
    assert outcomes["conv2d_lecture_examples"] is None


def test_the_lecture_checks_use_the_slides():
    """The lecture example check fails a conv2d that is right everywhere except on the slide's 6x6 image."""
    def wrong_on_the_slide(conv2d):
        def wrapped(x, w, b, stride=1, padding=0):
            result = conv2d(x, w, b, stride, padding)
            if np.shape(x) == (1, 6, 6, 1) and np.array_equal(x, LECTURE_X):
                result = result + 1
            return result
        return wrapped

    outcomes = _patched("conv2d", wrong_on_the_slide)
    assert "the lecture's 6x6 image" in str(outcomes["conv2d_lecture_examples"])
    assert [name for name, error in outcomes.items() if error] == ["conv2d_lecture_examples"]


