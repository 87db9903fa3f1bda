"""The numpy assignments' feedback for issue 12's mistakes, on real notebooks graded through the sandbox.

Each submission is the released notebook with its solution cells filled in (a known-wrong variant's
code, or code written here), graded by ``grader.grade`` exactly as a student's notebook is: the
student program runs in the sandbox, the hidden checks call into it, and the visible test cells'
outcomes come back with the result. One module-scoped batch grades them all; each test reads one
message a student gets:

- computing in float32: every check it fails, and the visible test, say
  "matches only to float32 precision: compute in float64" (not "no kernel flip" or a wrong value);
- zeros of the right shape plus the lecture's published answers: 0 points, and the messages say
  why (hidden values of the lecture's sizes, a result that stays the same when x changes);
- a flipped correlate2d with a correct conv2d: only correlate2d loses points, and conv2d's
  visible test passes (it no longer builds its expected value from the student's correlate2d).
"""

from __future__ import annotations

import concurrent.futures
import tempfile
from pathlib import Path

import pytest

from grader.assignment import Assignment
from grader.checks.api import float32_precision
from grader.grade import GradingJob, grade
from grader.notebook.variants import Variant
from grader.sampleclass import submission, write_submission

NAMES = ("conv2d", "padding_stride", "pooling")
FLOAT32_PRECISION = "matches only to float32 precision: compute in float64"
VISIBLE_PRECISION = f"AssertionError: {float32_precision()}"

# float32 arithmetic whose result is handed back as float64: only the values show the precision
FLOAT32_INSIDE = Variant("float32_inside", "computes in float32, returns float64", (), "", {
    "correlate2d_impl": (
        "def correlate2d(x, w):\n"
        "    x, w = np.asarray(x, dtype=np.float32), np.asarray(w, dtype=np.float32)\n"
        "    U, V = w.shape\n"
        "    y = np.zeros((x.shape[0] - U + 1, x.shape[1] - V + 1), dtype=np.float32)\n"
        "    for u in range(U):\n"
        "        for v in range(V):\n"
        "            y += w[u, v] * x[u:u + y.shape[0], v:v + y.shape[1]]\n"
        "    return y.astype(np.float64)\n"),
    "conv2d_impl": (
        "def conv2d(x, w, b):\n"
        "    x, w, b = (np.asarray(a, dtype=np.float32) for a in (x, w, b))\n"
        "    U, V = w.shape[:2]\n"
        "    y = np.zeros((x.shape[0], x.shape[1] - U + 1, x.shape[2] - V + 1, w.shape[3]), dtype=np.float32)\n"
        "    for u in range(U):\n"
        "        for v in range(V):\n"
        "            y += x[:, u:u + y.shape[1], v:v + y.shape[2], :] @ w[u, v]\n"
        "    return (y + b).astype(np.float64)\n"),
})


def _variant(name: str, variant: str) -> Variant:
    return next(v for v in Assignment.find(name).variants() if v.name == variant)


def _flipped_correlate2d_only() -> Variant:
    """The flipped_kernel variant's correlate2d with the instructor's conv2d (which does not call it)."""
    flipped = _variant("conv2d", "flipped_kernel")
    return Variant("flipped_correlate2d_only", "", (), "", {"correlate2d_impl": flipped.cells["correlate2d_impl"]})


SUBMISSIONS = {
    **{(name, kind): (name, _variant(name, kind)) for name in NAMES for kind in ("float32", "hardcoded_example")},
    ("conv2d", "float32_inside"): ("conv2d", FLOAT32_INSIDE),
    ("conv2d", "flipped_correlate2d_only"): ("conv2d", _flipped_correlate2d_only()),
}


@pytest.fixture(scope="module")
def results():
    """Every submission above graded through the sandbox, by (assignment, kind)."""
    with tempfile.TemporaryDirectory(prefix="numpy-feedback-") as course:
        jobs = {}
        for (name, kind), (assignment_name, variant) in SUBMISSIONS.items():
            assignment = Assignment.find(assignment_name)
            path = write_submission(Path(course), f"{name}-{kind}", name, submission(assignment, variant))
            jobs[name, kind] = GradingJob(f"{name}-{kind}", name, str(path), str(assignment.root.parent))
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            return dict(zip(jobs, pool.map(grade, jobs.values())))


def failed(result: dict) -> dict[str, str]:
    return {c["name"]: c["message"] for c in result["checks"] if c["outcome"] != "passed"}


def visible(result: dict) -> dict[str, str]:
    """Visible test cell -> its error ('' when it passed)."""
    return {t["cell"]: t["error"] for t in result["visible_tests"]}


# ----------------------------------------------------------------------------- precision

@pytest.mark.parametrize("name", NAMES)
def test_float32_gets_the_precision_message_from_every_check_it_fails(name, results):
    result = results[name, "float32"]
    assert result["status"] == "graded"
    messages = failed(result)
    assert set(messages) == set(_variant(name, "float32").targets)
    wrong = {check: message for check, message in messages.items() if not message.endswith(FLOAT32_PRECISION)}
    assert wrong == {}
    assert "no kernel flip" not in " ".join(messages.values()) and "differs" not in " ".join(messages.values())


@pytest.mark.parametrize("name", NAMES)
def test_a_visible_test_catches_float32_with_the_same_message(name, results):
    result = results[name, "float32"]
    cells = {c.split("_impl")[0] + "_tests" for c in _variant(name, "float32").cells}
    errors = visible(result)
    assert {cell: errors[cell] for cell in cells} == {cell: VISIBLE_PRECISION for cell in cells}


def test_float32_arithmetic_returned_as_float64_gets_the_precision_message_too(results):
    result = results["conv2d", "float32_inside"]
    messages = failed(result)
    assert messages, "float32 arithmetic should miss the float64 tolerance somewhere"
    assert all(message.endswith(FLOAT32_PRECISION) for message in messages.values()), messages
    assert visible(result) == {"correlate2d_tests": VISIBLE_PRECISION, "conv2d_tests": VISIBLE_PRECISION}


# ----------------------------------------------------------------------------- no points without the skill

@pytest.mark.parametrize("name", NAMES)
def test_the_published_example_typed_in_scores_zero(name, results):
    result = results[name, "hardcoded_example"]
    assert result["status"] == "graded" and result["score"] == 0, failed(result)
    assert set(failed(result)) == {c.name for c in Assignment.find(name).checks}


@pytest.mark.parametrize(("name", "check", "words"), [
    ("conv2d", "correlate2d_lecture_example", "for a 4x4 image and a 3x3 kernel with hidden values (the lecture's "
                                              "sizes) differs from the expected values"),
    ("conv2d", "conv2d_lecture_example", "for one 4x4 image and one 3x3 filter with hidden values (the lecture's "
                                         "sizes) differs from the expected values"),
    ("padding_stride", "zero_pad_lecture_example", "for a 6x6 image with hidden values and p=1 (the lecture's "
                                                   "sizes) differs from the expected values"),
    ("padding_stride", "output_size_lecture_examples", "on a hidden n is wrong: expected"),
    ("pooling", "max_pool2d_lecture_example", "for a 4x4 image with hidden values and pool_size=2 (the lecture's "
                                              "sizes) differs from the expected values"),
    ("pooling", "avg_pool2d_lecture_example", "for a 4x4 image with hidden values and pool_size=2 (the lecture's "
                                              "sizes) differs from the expected values"),
])
def test_a_lecture_example_check_says_the_hidden_values_of_its_sizes_are_wrong(name, check, words, results):
    assert words in failed(results[name, "hardcoded_example"])[check]


@pytest.mark.parametrize(("name", "check"), [("conv2d", "correlate2d_output_shape"),
                                             ("conv2d", "conv2d_output_shape"),
                                             ("padding_stride", "conv2d_output_shape")])
def test_a_shape_check_says_a_result_that_ignores_its_input_earns_nothing(name, check, results):
    message = failed(results[name, "hardcoded_example"])[check]
    assert message.endswith("stays the same when x changes: compute it from the inputs "
                            "(the right shape alone earns nothing)"), message


# ----------------------------------------------------------------------------- visible tests stand alone

def test_conv2d_visible_test_does_not_depend_on_the_students_correlate2d(results):
    """A flipped correlate2d and a correct conv2d: the conv2d test passes, as do conv2d's hidden checks."""
    result = results["conv2d", "flipped_correlate2d_only"]
    assert visible(result)["conv2d_tests"] == ""
    assert visible(result)["correlate2d_tests"] != ""
    assert set(failed(result)) == {"correlate2d_lecture_example", "correlate2d_does_not_flip_kernel",
                                   "correlate2d_edge_cases"}
    assert result["cells"]["conv2d_tests"]["score"] == 6
