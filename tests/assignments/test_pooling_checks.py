"""The pooling hidden checks' own cases, run in-process (no sandbox) against known solutions.

What every numpy assignment's checks must do is in ``test_numpy_checks.py``.

``proxy.py`` stands in for the sandboxed student: it builds the program by exec-ing the
notebook's locked code cells and the solution cells (the instructor's code, or a
variant's), and calls functions the way the sandbox does: arrays are copied and checked
for in-place changes, other arguments travel as JSON (tuples stay tuples), and an
exception in the student's function becomes a ``StudentCodeError``, which a property
check reports for the smallest case.
"""

import re
import time

import numpy as np
import pytest
from proxy import Harness, LocalStudent, check_rng

import reference
from grader.assignment import Assignment
from grader.checks import CheckFailed

ASSIGNMENT = Assignment.find("pooling")
HARNESS = Harness(ASSIGNMENT)
CHECKS = ASSIGNMENT.checks
CHECKS_MODULE = CHECKS[0].function.__globals__
SEED = ASSIGNMENT.config.seed
VARIANTS = ASSIGNMENT.variants()
ALTERNATIVES = Assignment.find("pooling").alternatives()
CALL_OVERHEAD_S = 0.002   # what one student.call costs in the real harness, beyond the student's code

LECTURE_X = np.array([[5, 2, -3, 0], [2, -1, 4, -1], [-4, -4, -3, 0], [3, 5, 0, -1]], dtype=float).reshape(1, 4, 4, 1)
PROPERTY_CHECKS = {"max_pool2d_matches_reference", "avg_pool2d_matches_reference"}

program = HARNESS.program
run_checks = HARNESS.run_checks


def variant(name):
    return next(v for v in VARIANTS if v.name == name)


# ----------------------------------------------------------------------------- structure


def test_solution_cells_seed_and_limits():
    assert ASSIGNMENT.solution_ids == ["max_pool2d_impl", "avg_pool2d_impl"]
    assert 100_000_000 <= SEED <= 999_999_999
    assert ASSIGNMENT.config.limits.program_timeout_s == 30


def test_property_checks_are_property_based():
    """The two reference checks search cases with hypothesis (expect_property), the others do not."""
    for item in CHECKS:
        uses_property = "_matches_reference" in item.function.__code__.co_names
        assert uses_property == (item.name in PROPERTY_CHECKS), item.name


def test_cases_are_described_like_keras_arguments():
    case = CHECKS_MODULE["_Case"](4, 5, 2, (2, 3), None, "same", 12345)
    assert CHECKS_MODULE["_describe_case"](case) == "H=4, W=5, C=2, pool_size=(2, 3), stride=None, padding='same'"


def test_instructor_solution_matches_the_reference():
    namespace = program()
    rng = np.random.default_rng(0)
    for shape, pool_size, stride, padding in [((2, 7, 6, 3), (2, 3), None, "same"), ((1, 5, 5, 2), 3, 1, "same"),
                                              ((2, 8, 9, 1), 2, (1, 3), "valid"), ((1, 2, 3, 1), 3, 2, "same")]:
        x = rng.normal(size=shape)
        for name in ("max_pool2d", "avg_pool2d"):
            np.testing.assert_allclose(namespace[name](x, pool_size, stride, padding),
                                       getattr(reference, name)(x, pool_size, stride, padding), rtol=0, atol=1e-12)


# ----------------------------------------------------------------------------- scores


def test_every_variant_is_caught_by_a_property_check():
    """Beyond the targets (the checks built to catch each mistake), the property search catches them all too."""
    for item in VARIANTS:
        outcomes = run_checks(program(item.cells))
        assert any(outcomes[name] is not None for name in PROPERTY_CHECKS), item.name


@pytest.mark.parametrize("item", VARIANTS, ids=lambda v: v.name)
def test_variant_runs_on_the_lecture_example(item):
    namespace = program(item.cells)
    for name in ("max_pool2d", "avg_pool2d"):
        assert np.shape(namespace[name](LECTURE_X, 2)) in {(1, 2, 2, 1), (1, 3, 3, 1), (1, 1, 1, 1)}


SMALLEST = re.compile(r"^fails for H=(\d+), W=(\d+), C=(\d+), pool_size=(\d+|\(\d+, \d+\)), "
                      r"stride=(None|\d+|\(\d+, \d+\)), padding='(valid|same)': (.*)$")


@pytest.mark.parametrize("item", [v for v in VARIANTS if PROPERTY_CHECKS & set(v.targets)], ids=lambda v: v.name)
def test_property_failures_name_a_small_case(item):
    """hypothesis shrinks the failing case: small sizes, simple settings, and no array values in the message."""
    outcomes = run_checks(program(item.cells))
    for name in PROPERTY_CHECKS & set(item.targets):
        message = str(outcomes[name])
        match = SMALLEST.match(message)
        assert match, message
        h, w, c = (int(match.group(i)) for i in (1, 2, 3))
        assert h <= 4 and w <= 4 and c <= 2, message
        assert "[" not in message and "0." not in message.split(":", 1)[0], message


def test_shrunk_cases_point_at_the_mistake():
    """The smallest case says what is wrong: one extra channel, a 'same' padding, a negative 1x1 window."""
    across = str(run_checks(program(variant("across_channels").cells))["max_pool2d_matches_reference"])
    assert across.startswith("fails for H=1, W=1, C=2, pool_size=1, stride=None, padding='valid'"), across
    padded = str(run_checks(program(variant("average_over_padding").cells))["avg_pool2d_matches_reference"])
    assert "padding='same'" in padded and "C=1" in padded, padded
    zero = str(run_checks(program(variant("max_from_zero").cells))["max_pool2d_matches_reference"])
    assert zero.startswith("fails for H=1, W=1, C=1, pool_size=1, stride=None, padding='valid'"), zero
    wrong_side = str(run_checks(program(variant("symmetric_same").cells))["max_pool2d_matches_reference"])
    assert "padding='same'" in wrong_side, wrong_side
    stride = str(run_checks(program(variant("stride_default_one").cells))["max_pool2d_matches_reference"])
    assert "stride=None" in stride and "expected shape (2, 1, 1, 1)" in stride, stride


def test_plain_loop_solution_is_graded_quickly():
    """All hidden checks of a plain-loop solution (CPU time), plus the harness' cost per call, take well under 2 s."""
    namespace = program(next(a for a in ALTERNATIVES if a.name == "loops").cells)
    start, calls = time.process_time(), 0
    for item in CHECKS:
        student = LocalStudent(namespace)
        item.function(student, check_rng(SEED, item.name))
        calls += student.calls
    total = time.process_time() - start + calls * CALL_OVERHEAD_S
    assert total < 1.5, f"{total:.2f} s for {calls} calls"


def test_modifying_the_input_fails_the_edge_case_checks():
    namespace = program()
    original = namespace["max_pool2d"]

    def mutating(x, *settings):
        result = original(x, *settings)
        x[...] = 0
        return result

    namespace["max_pool2d"] = mutating
    outcomes = run_checks(namespace)
    assert isinstance(outcomes["max_pool2d_edge_cases"], CheckFailed)
    assert "max_pool2d modified its input x in place" in str(outcomes["max_pool2d_edge_cases"])
    assert "modified its input x in place" in str(outcomes["max_pool2d_matches_reference"])


def test_an_integer_result_fails_the_edge_case_checks():
    namespace = program()
    original = namespace["max_pool2d"]
    namespace["max_pool2d"] = lambda x, *settings: original(x, *settings).astype(np.asarray(x).dtype)
    outcomes = run_checks(namespace)
    assert "should be a float array" in str(outcomes["max_pool2d_edge_cases"])
    assert outcomes["max_pool2d_matches_reference"] is None


