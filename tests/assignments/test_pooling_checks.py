"""The pooling hidden checks, run in-process (no sandbox) against known solutions.

``proxy.py`` stands in for the sandboxed student: it builds the program by exec-ing the
notebook's locked code cells and the solution cells (the instructor's code, or a
variant's), and calls functions the way the sandbox does: arrays are copied and checked
for in-place changes, other arguments travel as JSON (tuples stay tuples), and an
exception in the student's function becomes a ``StudentCodeError``, which a property
check reports for the smallest case.
"""

import re
import time
from pathlib import Path

import numpy as np
import pytest
from proxy import Harness, LocalStudent, check_rng

import reference
from grader.assignment import Assignment
from grader.checks import CheckFailed
from grader.notebook.variants import read_variants
from grader.sandbox.errors import StudentCodeError

ASSIGNMENT = Assignment.find("pooling")
HARNESS = Harness(ASSIGNMENT)
CHECKS = ASSIGNMENT.checks
CHECKS_MODULE = CHECKS[0].function.__globals__
SEED = ASSIGNMENT.config.seed
SEEDS = [SEED, 0, 1, 2, 3]
VARIANTS = ASSIGNMENT.variants()
ALTERNATIVES = read_variants(Path(__file__).resolve().parents[1] / "fixtures" / "pooling" / "alternatives")
CALL_OVERHEAD_S = 0.002   # what one student.call costs in the real harness, beyond the student's code

LECTURE_X = np.array([[5, 2, -3, 0], [2, -1, 4, -1], [-4, -4, -3, 0], [3, 5, 0, -1]], dtype=float).reshape(1, 4, 4, 1)
PROPERTY_CHECKS = {"max_pool2d_matches_reference", "avg_pool2d_matches_reference"}

program = HARNESS.program
run_checks = HARNESS.run_checks
stub_cells = HARNESS.stub_cells


def variant(name):
    return next(v for v in VARIANTS if v.name == name)


# ----------------------------------------------------------------------------- structure

def test_points_of_each_cell_add_up():
    assert ASSIGNMENT.grade_cells == {"max_pool2d_tests": 5.0, "avg_pool2d_tests": 5.0}
    for cell, points in ASSIGNMENT.grade_cells.items():
        assert sum(c.points for c in CHECKS if c.cell == cell) == points, cell


def test_checks_have_unique_names_and_one_line_titles():
    names = [c.name for c in CHECKS]
    assert len(names) == len(set(names))
    for item in CHECKS:
        assert item.description and item.description != item.name.replace("_", " "), item.name
        assert item.function.__doc__.strip().count("\n") == 0, item.name


def test_solution_cells_seed_and_limits():
    assert ASSIGNMENT.solution_ids == ["max_pool2d_impl", "avg_pool2d_impl"]
    assert 100_000_000 <= SEED <= 999_999_999
    assert ASSIGNMENT.config.limits.program_timeout_s == 30


def test_variant_targets_name_real_checks():
    names = {c.name for c in CHECKS}
    assert {v.name for v in VARIANTS} == {"across_channels", "stride_default_one", "average_over_padding",
                                          "max_from_zero", "off_by_one", "symmetric_same"}
    for item in VARIANTS:
        assert item.description, item.name
        assert item.targets, item.name
        assert set(item.targets) <= names, (item.name, set(item.targets) - names)
        assert set(item.cells) <= set(ASSIGNMENT.solution_ids), item.name


def test_property_checks_are_property_based():
    """The two reference checks search cases with hypothesis (expect_property), the others do not."""
    for item in CHECKS:
        uses_property = "_matches_reference" in item.function.__code__.co_names
        assert uses_property == (item.name in PROPERTY_CHECKS), item.name


def test_cases_are_described_like_keras_arguments():
    case = CHECKS_MODULE["_Case"](4, 5, 2, (2, 3), None, "same", 12345)
    assert CHECKS_MODULE["_describe_case"](case) == "H=4, W=5, C=2, pool_size=(2, 3), stride=None, padding='same'"


def test_visible_tests_pass_with_the_instructor_solution(capsys):
    program(tests=True)
    out = capsys.readouterr().out
    assert "max_pool2d: visible tests passed" in out and "avg_pool2d: visible tests passed" in out


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

@pytest.mark.parametrize("seed", SEEDS)
def test_instructor_solution_passes_every_check(seed):
    outcomes = run_checks(program(), seed)
    assert {name: repr(error) for name, error in outcomes.items() if error} == {}


def test_instructor_solution_checks_are_fast():
    """CPU time, not wall time: the grading machines run many jobs at once."""
    namespace = program()
    for item in CHECKS:
        start = time.process_time()
        item.function(LocalStudent(namespace), check_rng(SEED, item.name))
        assert time.process_time() - start < 0.5, item.name


def test_stub_fails_every_check():
    outcomes = run_checks(program(stub_cells()))
    assert all(error is not None and "NotImplementedError" in str(error) for error in outcomes.values()), outcomes


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("item", VARIANTS, ids=lambda v: v.name)
def test_variant_fails_its_targets(item, seed):
    outcomes = run_checks(program(item.cells), seed)
    passed = [name for name in item.targets if outcomes[name] is None]
    assert passed == [], f"{item.name} passes checks it targets"
    assert any(error is None for error in outcomes.values()) or item.name == "off_by_one", \
        f"{item.name} fails everything: it should be a near miss"


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


@pytest.mark.parametrize("item", VARIANTS, ids=lambda v: v.name)
def test_variant_messages_are_safe(item):
    """Failures are CheckFailed messages naming sizes and settings, never values, or the student's own exceptions."""
    for name, error in run_checks(program(item.cells)).items():
        if error is None:
            continue
        if isinstance(error, CheckFailed):
            assert "[" not in str(error), (name, str(error))
        else:
            assert isinstance(error, StudentCodeError), (name, repr(error))


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
    assert "stride=None" in stride and "expected (2, 1, 1, 1)" in stride, stride


@pytest.mark.parametrize("alternative", ALTERNATIVES, ids=lambda v: v.name)
def test_alternative_scores_as_expected(alternative):
    namespace = program(alternative.cells, forbidden=ASSIGNMENT.config.forbidden_modules)
    outcomes = run_checks(namespace)
    assert alternative.expect == "full"
    assert {name: repr(error) for name, error in outcomes.items() if error} == {}
    program(alternative.cells, tests=True, forbidden=ASSIGNMENT.config.forbidden_modules)


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


def test_checks_are_deterministic_per_seed():
    """The same seed draws the same hidden inputs, so a regrade gives the same score and message."""
    seen = []

    class Recorder(LocalStudent):
        def call(self, name, *args):
            seen.append([np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args])
            return super().call(name, *args)

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
