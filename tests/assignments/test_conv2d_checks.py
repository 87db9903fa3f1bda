"""The conv2d hidden checks, run in-process (no sandbox) against known solutions.

A tiny stand-in for the sandboxed student replaces ``student.call`` (``proxy.py``): it runs the
function from a namespace built by exec-ing the notebook's locked code cells and
the solution cells (the instructor's code, or a variant's), on copies of the
arguments, and records which arguments were modified in place. The student's own
exceptions propagate unchanged here (``sandbox_errors=False``).
"""

import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from proxy import Harness, LocalStudent

from grader.assignment import Assignment
from grader.checks import CheckFailed
from grader.notebook.variants import read_variants

ASSIGNMENT = Assignment.find("conv2d")
CHECKS = ASSIGNMENT.checks
SEED = ASSIGNMENT.config.seed
SEEDS = [SEED, 0, 1, 2, 3]
VARIANTS = ASSIGNMENT.variants()
ALTERNATIVES = read_variants(Path(__file__).resolve().parents[1] / "fixtures" / "conv2d" / "alternatives")

LECTURE_X = np.array([[1, 2, 2, -2], [1, 0, 2, 4], [2, -1, -1, 3], [0, 0, -3, -2]], dtype=float)
LECTURE_W = np.array([[1, 0, 3], [2, -1, -1], [0, 1, -3]], dtype=float)

HARNESS = Harness(ASSIGNMENT, sandbox_errors=False)
program, run_checks, stub_cells = HARNESS.program, HARNESS.run_checks, HARNESS.stub_cells


# ----------------------------------------------------------------------------- structure

def test_points_of_each_cell_add_up():
    assert ASSIGNMENT.grade_cells == {"correlate2d_tests": 4.0, "conv2d_tests": 6.0}
    for cell, points in ASSIGNMENT.grade_cells.items():
        assert sum(c.points for c in CHECKS if c.cell == cell) == points, cell


def test_checks_have_unique_names_and_one_line_titles():
    names = [c.name for c in CHECKS]
    assert len(names) == len(set(names))
    for item in CHECKS:
        assert item.description and item.description != item.name.replace("_", " "), item.name
        assert item.function.__doc__.strip().count("\n") == 0, item.name


def test_solution_cells_and_seed():
    assert ASSIGNMENT.solution_ids == ["correlate2d_impl", "conv2d_impl"]
    assert 100_000_000 <= SEED <= 999_999_999


def test_variant_targets_name_real_checks():
    names = {c.name for c in CHECKS}
    assert {v.name for v in VARIANTS} >= {"flipped_kernel", "missing_bias", "off_by_one",
                                          "channels_not_summed", "nchw_mixup"}
    for variant in VARIANTS:
        assert variant.description, variant.name
        assert variant.targets, variant.name
        assert set(variant.targets) <= names, (variant.name, set(variant.targets) - names)
        assert set(variant.cells) <= set(ASSIGNMENT.solution_ids), variant.name


def test_visible_tests_pass_with_the_instructor_solution(capsys):
    program(tests=True)
    out = capsys.readouterr().out
    assert "correlate2d: visible tests passed" in out and "conv2d: visible tests passed" in out


# ----------------------------------------------------------------------------- scores

@pytest.mark.parametrize("seed", SEEDS)
def test_instructor_solution_passes_every_check(seed):
    outcomes = run_checks(program(), seed)
    assert {name: repr(error) for name, error in outcomes.items() if error} == {}


def test_instructor_solution_checks_are_fast():
    namespace = program()
    for item in CHECKS:
        start = time.perf_counter()
        item.function(LocalStudent(namespace), np.random.default_rng([SEED, zlib.crc32(item.name.encode())]))
        assert time.perf_counter() - start < 0.5, item.name


def test_stub_fails_every_check():
    outcomes = run_checks(program(stub_cells()))
    assert all(isinstance(error, NotImplementedError) for error in outcomes.values()), outcomes


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_variant_fails_its_targets(variant, seed):
    outcomes = run_checks(program(variant.cells), seed)
    passed = [name for name in variant.targets if outcomes[name] is None]
    assert passed == [], f"{variant.name} passes checks it targets"
    assert any(error is None for error in outcomes.values()) or variant.name == "off_by_one", \
        f"{variant.name} fails everything: it should be a near miss"


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_variant_runs_on_the_lecture_example(variant):
    namespace = program(variant.cells)
    assert np.shape(namespace["correlate2d"](LECTURE_X, LECTURE_W)) in {(2, 2), (1, 1)}
    namespace["conv2d"](LECTURE_X.reshape(1, 4, 4, 1), LECTURE_W.reshape(3, 3, 1, 1), np.zeros(1))


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_variant_messages_are_safe(variant):
    """Failures are CheckFailed messages or the student's own exceptions, never numpy's value dumps."""
    for name, error in run_checks(program(variant.cells)).items():
        if error is None:
            continue
        if isinstance(error, CheckFailed):
            assert "[" not in str(error), (name, str(error))
        else:
            assert not isinstance(error, AssertionError), (name, repr(error))


@pytest.mark.parametrize("alternative", ALTERNATIVES, ids=lambda v: v.name)
def test_alternative_scores_as_expected(alternative):
    namespace = program(alternative.cells, forbidden=ASSIGNMENT.config.forbidden_modules)
    outcomes = run_checks(namespace)
    if alternative.expect == "full":
        assert {name: repr(error) for name, error in outcomes.items() if error} == {}
        program(alternative.cells, tests=True, forbidden=ASSIGNMENT.config.forbidden_modules)
    else:
        assert alternative.expect == "zero"
        assert all(error is not None for error in outcomes.values()), outcomes


def test_tensorflow_alternative_is_otherwise_correct():
    """Its zero comes only from the hidden module: with TensorFlow importable it passes."""
    pytest.importorskip("tensorflow")
    alternative = next(a for a in ALTERNATIVES if a.name == "tensorflow")
    outcomes = run_checks(program(alternative.cells))
    assert {name: repr(error) for name, error in outcomes.items() if error} == {}


def test_modifying_an_input_fails_the_edge_case_checks():
    cells = {
        "correlate2d_impl": "def correlate2d(x, w):\n"
                            "    y = np.zeros((x.shape[0] - w.shape[0] + 1, x.shape[1] - w.shape[1] + 1))\n"
                            "    for u in range(w.shape[0]):\n"
                            "        for v in range(w.shape[1]):\n"
                            "            y += w[u, v] * x[u:u + y.shape[0], v:v + y.shape[1]]\n"
                            "    x[...] = 0\n"
                            "    return y\n",
    }
    outcomes = run_checks(program(cells))
    assert isinstance(outcomes["correlate2d_edge_cases"], CheckFailed)
    assert "modified its input x in place" in str(outcomes["correlate2d_edge_cases"])


def test_checks_are_deterministic_per_seed():
    """The same seed draws the same hidden inputs, so a regrade gives the same score."""
    seen = []

    class Recorder(LocalStudent):
        def call(self, name, *args):
            seen.append([np.array(a, copy=True) for a in args])
            return super().call(name, *args)

    namespace = program()
    for _ in range(2):
        for item in CHECKS:
            item.function(Recorder(namespace), np.random.default_rng([SEED, zlib.crc32(item.name.encode())]))
    half = len(seen) // 2
    for first, second in zip(seen[:half], seen[half:]):
        for a, b in zip(first, second):
            np.testing.assert_array_equal(a, b)
