"""The padding_stride hidden checks, run in-process (no sandbox) against known solutions.

The stand-in for the sandboxed student is ``proxy.py``'s: array arguments are copied and checked
for in-place changes, ints and strings travel as JSON, numpy scalars come back as 0-d arrays, and
an exception in the student's function becomes a ``StudentCodeError``, which a property check
reports for the smallest case it finds.
"""

import contextlib
import gc
import re
import time
from pathlib import Path

import numpy as np
import pytest
from proxy import Harness, LocalStudent, check_rng

from grader.assignment import Assignment
from grader.checks import CheckFailed
from grader.notebook.variants import read_variants
from grader.sandbox.errors import StudentCodeError

ASSIGNMENT = Assignment.find("padding_stride")
CHECKS = ASSIGNMENT.checks
CHECKS_MODULE = CHECKS[0].function.__globals__
SEED = ASSIGNMENT.config.seed
SEEDS = [SEED, 0, 1, 2, 3]
VARIANTS = ASSIGNMENT.variants()
ALTERNATIVES = read_variants(Path(__file__).resolve().parents[1] / "fixtures" / "padding_stride" / "alternatives")
CALL_OVERHEAD_S = 0.002   # what one student.call costs in the real harness, beyond the student's code

HARNESS = Harness(ASSIGNMENT)
program, run_checks, stub_cells = HARNESS.program, HARNESS.run_checks, HARNESS.stub_cells

PROPERTY_CHECKS = {"zero_pad_matches_reference", "output_size_int_padding", "output_size_valid_and_same",
                   "conv2d_output_shape", "conv2d_int_padding_values", "conv2d_same_padding_values"}
CONV_CASE = re.compile(r"^fails for H=(\d+), W=(\d+), k=(\d+|\d+x\d+), stride=(\d+), "
                       r"padding=(0|1|2|'valid'|'same')(, N=2)?(, P=\d)?(, Q=\d)?: (.+)$")
SIZE_CASE = re.compile(r"^fails for n=(\d+), k=(\d+), padding=(\d|'valid'|'same'), stride=(\d): (.+)$")
PAD_CASE = re.compile(r"^fails for x of shape \((\d), (\d), (\d), (\d)\), p=(\d)(, integer x)?: (.+)$")

LECTURE_X = np.array([[3, 3, 4, 4, 7, 0], [9, 7, 6, 5, 8, 2], [6, 5, 5, 6, 9, 2],
                      [7, 1, 3, 2, 7, 8], [0, 3, 7, 1, 8, 3], [4, 0, 4, 3, 2, 2]], dtype=float).reshape(1, 6, 6, 1)
EDGE = np.array([[1, 0, -1]] * 3, dtype=float).reshape(3, 3, 1, 1)


def variant(name):
    return next(v for v in VARIANTS if v.name == name)


# ----------------------------------------------------------------------------- structure

def test_points_of_each_cell_add_up():
    assert ASSIGNMENT.grade_cells == {"zero_pad_tests": 2.0, "output_size_tests": 3.0, "conv2d_tests": 5.0}
    assert ASSIGNMENT.max_score == 10.0
    for cell, points in ASSIGNMENT.grade_cells.items():
        assert sum(c.points for c in CHECKS if c.cell == cell) == points, cell


def test_checks_have_unique_names_and_one_line_titles():
    names = [c.name for c in CHECKS]
    assert len(names) == len(set(names))
    for item in CHECKS:
        assert item.description and item.description != item.name.replace("_", " "), item.name
        assert item.function.__doc__.strip().count("\n") == 0, item.name


def test_solution_cells_seed_and_limits():
    assert ASSIGNMENT.solution_ids == ["zero_pad_impl", "output_size_impl", "conv2d_impl"]
    assert 100_000_000 <= SEED <= 999_999_999 and SEED != Assignment.find("conv2d").config.seed
    assert ASSIGNMENT.config.limits.program_timeout_s == 30


def test_variant_targets_name_real_checks():
    names = {c.name for c in CHECKS}
    assert {v.name for v in VARIANTS} == {"true_division", "off_by_one", "pad_one_side", "pad_channels",
                                          "symmetric_same", "stride_ignored"}
    for item in VARIANTS:
        assert item.description, item.name
        assert item.targets, item.name
        assert set(item.targets) <= names, (item.name, set(item.targets) - names)
        assert set(item.cells) <= set(ASSIGNMENT.solution_ids), item.name


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
    assert CHECKS_MODULE["describe_pad"]({"n": 1, "h": 2, "w": 3, "c": 1, "p": 2, "integer": True, "seed": 1}) == \
        "x of shape (1, 2, 3, 1), p=2, integer x"


def test_visible_tests_pass_with_the_instructor_solution(capsys):
    program(tests=True)
    out = capsys.readouterr().out
    for name in ("zero_pad", "output_size", "conv2d"):
        assert f"{name}: visible tests passed" in out, name


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

@pytest.mark.parametrize("seed", SEEDS)
def test_instructor_solution_passes_every_check(seed):
    outcomes = run_checks(program(), seed)
    assert {name: repr(error) for name, error in outcomes.items() if error} == {}


@contextlib.contextmanager
def own_cpu_time():
    """CPU time of this thread, not wall time, without collecting the garbage of earlier tests.

    The checks, hypothesis and the student's functions all run in this thread, so what it measures is
    their own cost, whatever else the machine (or TensorFlow, imported by other tests) runs. Objects
    left by earlier tests are frozen first: a full collection of a large heap would be charged here.
    """
    gc.collect()
    gc.freeze()
    start = time.thread_time()
    try:
        yield lambda: time.thread_time() - start
    finally:
        gc.unfreeze()


def test_instructor_solution_checks_are_fast():
    namespace = program()
    for item in CHECKS:
        with own_cpu_time() as elapsed:
            item.function(LocalStudent(namespace), check_rng(SEED, item.name))
            seconds = elapsed()
        assert seconds < 0.5, (item.name, seconds)


def test_stub_fails_every_check():
    outcomes = run_checks(program(stub_cells()))
    assert all(error is not None and "NotImplementedError" in str(error) for error in outcomes.values()), outcomes


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("item", VARIANTS, ids=lambda v: v.name)
def test_variant_fails_its_targets(item, seed):
    outcomes = run_checks(program(item.cells), seed)
    passed = [name for name in item.targets if outcomes[name] is None]
    assert passed == [], f"{item.name} passes checks it targets"
    assert any(error is None for error in outcomes.values()), f"{item.name} fails everything: it should be a near miss"


def test_variants_fail_exactly_their_targets():
    """With the secret seed each variant loses the checks it names and keeps the others."""
    for item in VARIANTS:
        outcomes = run_checks(program(item.cells))
        assert {name for name, error in outcomes.items() if error} == set(item.targets), item.name


@pytest.mark.parametrize("item", VARIANTS, ids=lambda v: v.name)
def test_variant_messages_are_safe(item):
    """Failures are CheckFailed messages naming sizes and settings, never values, or the student's own exceptions."""
    for name, error in run_checks(program(item.cells)).items():
        if error is None:
            continue
        if isinstance(error, CheckFailed):
            assert "[" not in str(error) and "array(" not in str(error), (name, str(error))
        else:
            assert isinstance(error, StudentCodeError), (name, repr(error))


@pytest.mark.parametrize("item", [v for v in VARIANTS if PROPERTY_CHECKS & set(v.targets)], ids=lambda v: v.name)
def test_property_failures_name_a_small_case(item):
    """hypothesis shrinks the failing case: small sizes, simple settings, and no array values in the message."""
    outcomes = run_checks(program(item.cells))
    for name in sorted(PROPERTY_CHECKS & set(item.targets)):
        message = str(outcomes[name])
        assert isinstance(outcomes[name], CheckFailed), (name, message)
        assert "[" not in message and "array(" not in message, message
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
            assert (n, h, w, c) == (1, 1, 1, 1) and p == 1, message


def test_shrunk_cases_point_at_the_mistake():
    """The smallest case says what is wrong: an even kernel with 'same', a stride of 2, one zero of padding."""
    def message(name, check):
        return str(run_checks(program(variant(name).cells))[check])

    same = message("symmetric_same", "conv2d_same_padding_values")
    assert same == ("fails for H=1, W=1, k=1x2, stride=1, padding='same': "
                    "expected shape (1, 1, 1, 1), got (1, 1, 2, 1)"), same
    same_size = message("symmetric_same", "output_size_valid_and_same")
    assert same_size == "fails for n=1, k=2, padding='same', stride=1: the result is 2, expected 1", same_size
    stride = message("stride_ignored", "conv2d_int_padding_values")
    assert stride == ("fails for H=1, W=1, k=1, stride=2, padding=1: "
                      "expected shape (1, 2, 2, 1), got (1, 3, 3, 1)"), stride
    division = message("true_division", "output_size_int_padding")
    assert division == ("fails for n=1, k=1, padding=0, stride=1: the result is the float 1.0; "
                        "output_size must return an int (use // rather than /)"), division
    one_side = message("pad_one_side", "zero_pad_matches_reference")
    assert one_side == "fails for x of shape (1, 1, 1, 1), p=1: expected shape (1, 3, 3, 1), got (1, 2, 2, 1)", one_side
    one_side = message("pad_one_side", "conv2d_int_padding_values")
    assert one_side == "fails for H=1, W=1, k=1, stride=1, padding=1: expected shape (1, 3, 3, 1), got (1, 2, 2, 1)"
    channels = message("pad_channels", "zero_pad_matches_reference")
    assert channels == "fails for x of shape (1, 1, 1, 1), p=1: expected shape (1, 3, 3, 1), got (3, 3, 3, 3)", channels
    off = message("off_by_one", "output_size_int_padding")
    assert off == "fails for n=1, k=1, padding=0, stride=1: the result is 0, expected 1", off


@pytest.mark.parametrize("alternative", ALTERNATIVES, ids=lambda v: v.name)
def test_alternative_scores_as_expected(alternative):
    namespace = program(alternative.cells, forbidden=ASSIGNMENT.config.forbidden_modules)
    outcomes = run_checks(namespace)
    assert alternative.expect == "full"
    assert {name: repr(error) for name, error in outcomes.items() if error} == {}
    program(alternative.cells, tests=True, forbidden=ASSIGNMENT.config.forbidden_modules)


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
    assert all("is the float" in str(outcomes[c.name]) for c in CHECKS if c.cell == "output_size_tests"), outcomes


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
                        r"conv2d raised ValueError: stride 3 is not supported$", message), message
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


def test_checks_are_deterministic_per_seed():
    """The same seed draws the same hidden inputs, so a regrade gives the same score and message."""
    seen = []

    class Recorder(LocalStudent):
        def call(self, name, *args, **kwargs):
            seen.append([np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]
                        + sorted(kwargs.items()))
            return super().call(name, *args, **kwargs)

    namespace = program(variant("symmetric_same").cells)
    messages = []
    for _ in range(2):
        for item in CHECKS:
            try:
                item.function(Recorder(namespace), check_rng(SEED, item.name))
                messages.append(None)
            except CheckFailed as failure:
                messages.append(str(failure))
    half = len(seen) // 2
    assert len(seen) == 2 * half and messages[:len(CHECKS)] == messages[len(CHECKS):]
    for first, second in zip(seen[:half], seen[half:]):
        for a, b in zip(first, second):
            if isinstance(a, np.ndarray):
                np.testing.assert_array_equal(a, b)
            else:
                assert a == b
