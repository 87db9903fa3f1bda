"""The lenet hidden checks and visible tests, run in-process on the solution, the alternatives and the variants.

Models cross ``.keras`` files as through the sandbox (``keras_student.py``), so a Sequential LeNet
reaches the student's functions without a defined ``model.input``, as in a grading job. Nothing is
trained here (``model`` is an untrained LeNet): the training check and the gate's full runs are
``grader gate lenet``'s part. What is tested: the notebook's ``with_input`` makes the lecture's
``model.input`` work on both model kinds; every correct alternative passes the feature-model and
filter checks and their visible tests; each variant fails what it targets; and the filter checks
hold over several hidden seeds.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from keras_student import (  # noqa: E402
    check_the_corpus,
    failures,
    outcome,
    program_in_folder,
    run_checks,
    through_a_file,
)
from proxy import Harness  # noqa: E402

import reference  # noqa: E402
from grader.assignment import Assignment  # noqa: E402
from grader.i18n import format_number  # noqa: E402
from grader.notebook.cells import grade_id  # noqa: E402
from reference.data import holdout_digits, pad_to_32  # noqa: E402

ASSIGNMENT = Assignment.find("lenet")
HARNESS = Harness(ASSIGNMENT, sandbox_errors=False)
ALTERNATIVES = {a.name: a for a in ASSIGNMENT.alternatives()}
VARIANTS = {v.name: v for v in ASSIGNMENT.variants()}
LATER_CHECKS = [c.name for c in ASSIGNMENT.checks if c.cell in ("feature_model_tests", "filter_viz_tests")]
BUILD_CHECKS = [c.name for c in ASSIGNMENT.checks if c.cell == "build_lenet_tests"]
UNTRAINED = "model = build_lenet()\n"
# A model loaded before its optimizer took a step: Keras warns that it skips the optimizer's variables.
pytestmark = pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")


@functools.cache
def program(cells: tuple = ()) -> dict:
    """The notebook's program with these solution cells, an untrained ``model`` and no test cells run."""
    return program_in_folder(HARNESS, {"train_impl": UNTRAINED, **dict(cells)})


def run_test_cell(namespace: dict, cell_id: str) -> None:
    cell = next(c for c in ASSIGNMENT.source.cells if grade_id(c) == cell_id)
    exec(compile(cell.source, f"<cell {cell_id}>", "exec"), namespace)


# ----------------------------------------------------------------------------- structure

def test_points_add_up_and_the_corpus_is_complete():
    check_the_corpus(ASSIGNMENT, {"build_lenet_tests": 4.0, "train_tests": 2.0, "feature_model_tests": 2.0,
                                  "filter_viz_tests": 2.0},
                     {"functional_input", "functional_inputs", "sequential_add", "objects"})


# ----------------------------------------------------------------------------- with_input: the lecture's model.input

@pytest.mark.parametrize("functional", [False, True], ids=["Sequential", "functional"])
def test_with_input_makes_the_lectures_model_input_work(functional):
    with_input = program()["with_input"]
    lenet = through_a_file(reference.build_lenet(functional=functional))  # as the grader hands it over
    if not functional:
        with pytest.raises(AttributeError, match="never been called"):
            lenet.input  # noqa: B018
    weights = [w.copy() for w in lenet.get_weights()]
    assert with_input(lenet) is lenet and with_input(lenet) is lenet  # the same model, twice is harmless
    conv = reference.lenet.first_conv_layer(lenet)
    lecture_style = keras.Model(inputs=[lenet.input], outputs=[lenet.layers[-1].output, conv.output])
    images = pad_to_32(holdout_digits()[0][:4])
    expected = reference.build_feature_model(lenet).predict(images, verbose=0)
    for got, want in zip(lecture_style.predict(images, verbose=0), expected):
        np.testing.assert_array_equal(got, want)
    assert all(np.array_equal(a, b) for a, b in zip(lenet.get_weights(), weights))
    assert lenet.count_params() == reference.lenet.N_PARAMETERS
    through_a_file(lenet)  # and it still saves


def test_random_lenets_of_the_visible_tests_are_the_lectures_both_ways():
    namespace = program()
    for kind in ("Sequential", "functional"):
        lenet = namespace["random_lenet"](kind, seed=1)
        assert isinstance(lenet, keras.Sequential) == (kind == "Sequential")
        assert lenet.count_params() == reference.lenet.N_PARAMETERS
        lenet.input  # noqa: B018  (through with_input)


# ----------------------------------------------------------------------------- solution and alternatives

@pytest.mark.slow
@pytest.mark.parametrize("name", ["solution", *sorted(ALTERNATIVES)])
def test_correct_solutions_pass_the_checks_and_visible_tests_that_need_no_training(name):
    cells = tuple(sorted(ALTERNATIVES[name].cells.items())) if name != "solution" else ()
    cells = tuple((k, v) for k, v in cells if k != "train_impl")
    namespace = dict(program(cells))
    for cell in ("build_lenet_tests", "feature_model_tests", "filter_viz_tests"):
        run_test_cell(namespace, cell)
    assert failures(run_checks(ASSIGNMENT, namespace, BUILD_CHECKS + LATER_CHECKS)) == {}


@pytest.mark.slow
@pytest.mark.parametrize("name", ["feature_model_by_position", "filter_first_layer_only", "filter_gradient_descent"])
def test_variants_fail_their_targets_and_a_visible_test(name):
    variant = VARIANTS[name]
    namespace = dict(program(tuple(sorted(variant.cells.items()))))
    outcomes = run_checks(ASSIGNMENT, namespace, LATER_CHECKS)
    assert set(failures(outcomes)) == set(variant.targets)
    cell = "feature_model_tests" if "feature_model_impl" in variant.cells else "filter_viz_tests"
    with pytest.raises(Exception):  # noqa: B017  (an assertion, or Keras' own error on the model)
        run_test_cell(namespace, cell)


def test_the_accuracy_and_the_filter_rises_are_measured_for_tas():
    """Run as the harness runs them, the checks record the figures their bars are set on, failed or passed."""
    accuracy = outcome(ASSIGNMENT, dict(program()), "trained_model_accuracy")  # an untrained LeNet: fails
    assert accuracy["outcome"] == "failed" and set(accuracy["measured"]) == {"accuracy"}
    percent = format_number(round(100 * accuracy["measured"]["accuracy"], 1), "en")  # as the message writes it
    assert f"{percent}% of the" in accuracy["message"]
    rises = outcome(ASSIGNMENT, dict(program()), "filter_visualization_first_layer")
    assert rises["outcome"] == "passed", rises["message"]
    measured = rises["measured"]
    assert set(measured) == {"rise_over_bar", "rise", "reference_rise"}
    assert measured["rise_over_bar"] >= 1 and measured["rise"] >= 0.05 and measured["reference_rise"] > 0


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_filter_checks_hold_over_hidden_seeds(seed):
    """The solution passes both filter checks and the first-layer-only variant fails the deeper one, seed by seed."""
    names = ["filter_visualization_first_layer", "filter_visualization_second_layer"]
    assert failures(run_checks(ASSIGNMENT, dict(program()), names, seed=seed)) == {}
    variant = VARIANTS["filter_first_layer_only"]
    wrong = run_checks(ASSIGNMENT, dict(program(tuple(variant.cells.items()))), names, seed=seed)
    assert set(failures(wrong)) == {"filter_visualization_second_layer"}
