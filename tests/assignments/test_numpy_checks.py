"""What every numpy assignment's hidden checks must do, run in-process against known solutions.

One parametrized module for conv2d, padding_stride and pooling: the instructor's solution
passes every check for several seeds, the stub fails every check, each known-wrong variant
fails the checks it targets and is otherwise a near miss, correct alternatives score full
marks, messages never dump hidden values, and a seed always draws the same hidden inputs.
``proxy.py`` stands in for the sandboxed student; the assignment-specific behaviour (lecture
examples, shrunk cases, ...) is tested in ``test_<assignment>_checks.py``.
"""

import dataclasses
import functools
from pathlib import Path

import numpy as np
import pytest
from proxy import Harness, LocalStudent, check_rng, own_cpu_time

from grader.assignment import Assignment
from grader.checks import CheckFailed
from grader.sandbox.errors import StudentCodeError, StudentFailure

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@dataclasses.dataclass(frozen=True)
class Expected:
    """What the instructor promised for one assignment."""

    grade_cells: dict
    variants: frozenset
    graded_functions: tuple
    may_fail_everything: frozenset = frozenset()


EXPECTED = {
    "conv2d": Expected({"correlate2d_tests": 4.0, "conv2d_tests": 6.0},
                       frozenset({"flipped_kernel", "missing_bias", "off_by_one", "channels_not_summed",
                                  "nchw_mixup"}),
                       ("correlate2d", "conv2d"), frozenset({"off_by_one", "hardcoded_example"})),
    "padding_stride": Expected({"zero_pad_tests": 2.0, "output_size_tests": 3.0, "conv2d_tests": 5.0},
                               frozenset({"true_division", "off_by_one", "pad_one_side", "pad_channels",
                                          "symmetric_same", "stride_ignored"}),
                               ("zero_pad", "output_size", "conv2d"), frozenset({"hardcoded_example"})),
    "pooling": Expected({"max_pool2d_tests": 5.0, "avg_pool2d_tests": 5.0},
                        frozenset({"across_channels", "stride_default_one", "average_over_padding",
                                   "max_from_zero", "off_by_one", "symmetric_same"}),
                        ("max_pool2d", "avg_pool2d"), frozenset({"off_by_one", "hardcoded_example", "float32"})),
}
NAMES = sorted(EXPECTED)
SEEDS = [None, 0, 1, 2, 3]   # None: the assignment's hidden seed


@functools.cache
def harness(name: str) -> Harness:
    return Harness(Assignment.find(name))


def variants(name: str):
    return harness(name).assignment.variants()


def alternatives(name: str):
    return Assignment.find(name).alternatives()


def by_assignment(items) -> list:
    """pytest params (assignment, item) for ``items(assignment)`` of every assignment, named by both."""
    return [pytest.param(name, item, id=f"{name}-{item.name}") for name in NAMES for item in items(name)]


def failures(outcomes: dict) -> dict:
    return {name: repr(error) for name, error in outcomes.items() if error}


# ----------------------------------------------------------------------------- structure

@pytest.mark.parametrize("name", NAMES)
def test_points_of_each_cell_add_up_to_ten(name):
    assignment = Assignment.find(name)
    assert assignment.grade_cells == EXPECTED[name].grade_cells
    assert assignment.max_score == 10.0
    for cell, points in assignment.grade_cells.items():
        assert sum(c.points for c in assignment.checks if c.cell == cell) == points, cell


@pytest.mark.parametrize("name", NAMES)
def test_checks_have_unique_names_and_one_line_titles(name):
    checks = Assignment.find(name).checks
    assert len({c.name for c in checks}) == len(checks)
    for item in checks:
        assert item.description and item.description != item.name.replace("_", " "), item.name
        assert item.function.__doc__.strip().count("\n") == 0, item.name


@pytest.mark.parametrize("name", NAMES)
def test_variant_targets_name_real_checks(name):
    assignment = Assignment.find(name)
    checks = {c.name for c in assignment.checks}
    assert {v.name for v in assignment.variants()} >= EXPECTED[name].variants
    for item in assignment.variants():
        assert item.description and item.targets, item.name
        assert set(item.targets) <= checks, (item.name, set(item.targets) - checks)
        assert set(item.cells) <= set(assignment.solution_ids), item.name


@pytest.mark.parametrize("name", NAMES)
def test_visible_tests_pass_with_the_instructor_solution(name, capsys):
    harness(name).program(tests=True)
    out = capsys.readouterr().out
    for function in EXPECTED[name].graded_functions:
        assert f"{function}: visible tests passed" in out, function


# ----------------------------------------------------------------------------- scores

@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", NAMES)
def test_instructor_solution_passes_every_check(name, seed):
    grader = harness(name)
    assert failures(grader.run_checks(grader.program(), seed)) == {}


@pytest.mark.parametrize("name", NAMES)
def test_instructor_solution_checks_are_fast(name):
    """CPU time, not wall time: the grading machines run many jobs at once."""
    grader = harness(name)
    namespace = grader.program()
    for item in grader.assignment.checks:
        with own_cpu_time() as elapsed:
            item.function(LocalStudent(namespace), check_rng(grader.assignment.config.seed, item.name))
            seconds = elapsed()
        assert seconds < 0.5, (item.name, seconds)


@pytest.mark.parametrize("name", NAMES)
def test_stub_fails_every_check(name):
    grader = harness(name)
    outcomes = grader.run_checks(grader.program(grader.stub_cells()))
    assert all(error is not None and "NotImplementedError" in repr(error) for error in outcomes.values()), outcomes


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("name", "item"), by_assignment(variants))
def test_variant_fails_its_targets_and_is_a_near_miss(name, item, seed):
    grader = harness(name)
    outcomes = grader.run_checks(grader.program(item.cells), seed)
    assert [check for check in item.targets if outcomes[check] is None] == [], f"{item.name} passes checks it targets"
    assert any(error is None for error in outcomes.values()) or item.name in EXPECTED[name].may_fail_everything, \
        f"{item.name} fails everything: it should be a near miss"


@pytest.mark.parametrize(("name", "item"), by_assignment(variants))
def test_variant_messages_name_sizes_never_values(name, item):
    """Failures are CheckFailed messages without array dumps, or the student's own exceptions."""
    grader = harness(name)
    for check, error in grader.run_checks(grader.program(item.cells)).items():
        if isinstance(error, CheckFailed):
            assert "[" not in str(error) and "array(" not in str(error), (check, str(error))
        elif error is not None:
            assert isinstance(error, StudentFailure), (check, repr(error))


@pytest.mark.parametrize(("name", "item"), by_assignment(alternatives))
def test_alternative_scores_as_expected(name, item):
    grader = harness(name)
    forbidden = grader.assignment.config.forbidden_modules
    outcomes = grader.run_checks(grader.program(item.cells, forbidden=forbidden))
    if item.expect == "zero":
        assert all(error is not None for error in outcomes.values()), outcomes
    else:
        assert item.expect == "full"
        assert failures(outcomes) == {}
        grader.program(item.cells, tests=True, forbidden=forbidden)


@pytest.mark.parametrize(("name", "item"), [pytest.param(n, variants(n)[0], id=n) for n in NAMES])
def test_a_seed_always_draws_the_same_inputs_and_messages(name, item):
    """A regrade gives the same score and the same message (shown with a wrong variant)."""
    grader, seen, messages = harness(name), [], []

    class Recorder(LocalStudent):
        def call(self, function, *args, **kwargs):
            seen.append([np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]
                        + sorted(kwargs.items()))
            return super().call(function, *args, **kwargs)

    namespace = grader.program(item.cells)
    checks = grader.assignment.checks
    for _ in range(2):
        for check in checks:
            try:
                check.function(Recorder(namespace), check_rng(grader.assignment.config.seed, check.name))
                messages.append(None)
            except (CheckFailed, StudentCodeError) as failure:
                messages.append(str(failure))
    half = len(seen) // 2
    assert len(seen) == 2 * half and messages[:len(checks)] == messages[len(checks):]
    assert any(messages), "the variant should fail at least one check"
    for first, second in zip(seen[:half], seen[half:]):
        for a, b in zip(first, second):
            if isinstance(a, np.ndarray):
                np.testing.assert_array_equal(a, b)
            else:
                assert a == b
