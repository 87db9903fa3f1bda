"""The conv2d hidden checks' own cases, run in-process (no sandbox) against known solutions.

What every numpy assignment's checks must do is in ``test_numpy_checks.py``. Here the student's
own exceptions propagate unchanged (``sandbox_errors=False`` in ``proxy.py``), so a test can
call the variants' functions directly on the lecture's example.
"""

from pathlib import Path

import numpy as np
import pytest
from proxy import Harness

from grader.assignment import Assignment
from grader.checks import CheckFailed
from grader.notebook.variants import read_variants

ASSIGNMENT = Assignment.find("conv2d")
SEED = ASSIGNMENT.config.seed
VARIANTS = ASSIGNMENT.variants()
ALTERNATIVES = read_variants(Path(__file__).resolve().parents[1] / "fixtures" / "conv2d" / "alternatives")

LECTURE_X = np.array([[1, 2, 2, -2], [1, 0, 2, 4], [2, -1, -1, 3], [0, 0, -3, -2]], dtype=float)
LECTURE_W = np.array([[1, 0, 3], [2, -1, -1], [0, 1, -3]], dtype=float)

HARNESS = Harness(ASSIGNMENT, sandbox_errors=False)
program, run_checks = HARNESS.program, HARNESS.run_checks


def test_solution_cells_and_seed():
    assert ASSIGNMENT.solution_ids == ["correlate2d_impl", "conv2d_impl"]
    assert 100_000_000 <= SEED <= 999_999_999


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_variant_runs_on_the_lecture_example(variant):
    namespace = program(variant.cells)
    assert np.shape(namespace["correlate2d"](LECTURE_X, LECTURE_W)) in {(2, 2), (1, 1)}
    namespace["conv2d"](LECTURE_X.reshape(1, 4, 4, 1), LECTURE_W.reshape(3, 3, 1, 1), np.zeros(1))


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
