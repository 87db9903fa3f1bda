"""The fcn hidden checks of build_fcn and its visible test, in-process, on the solution, alternatives and variants.

Models cross ``.keras`` files as through the sandbox (``keras_student.py``). Nothing is trained
here: the IoU threshold's margins are measured by training (see ``checks.py``'s docstring) and
``grader gate fcn`` trains every alternative. What is tested: every correct alternative (a
Sequential stack without skips, UpSampling2D or Conv2DTranspose decoders, a strided encoder with
no pooling layer, loss and optimizer as objects) passes the four build checks and the visible
build test; each build variant fails its targets and the visible test.
"""

from __future__ import annotations

import functools

import pytest

keras = pytest.importorskip("keras")

from keras_student import check_the_corpus, failures, outcome, program_in_folder, run_checks  # noqa: E402
from proxy import Harness  # noqa: E402

from grader.assignment import Assignment  # noqa: E402
from grader.i18n import format_number  # noqa: E402
from grader.notebook.cells import grade_id, solution_code  # noqa: E402

ASSIGNMENT = Assignment.find("fcn")
HARNESS = Harness(ASSIGNMENT, sandbox_errors=False)
ALTERNATIVES = {a.name: a for a in ASSIGNMENT.alternatives()}
VARIANTS = {v.name: v for v in ASSIGNMENT.variants()}
BUILD_CHECKS = [c.name for c in ASSIGNMENT.checks if c.cell == "build_fcn_tests"]
BUILD_VARIANTS = [name for name, v in sorted(VARIANTS.items()) if set(v.targets) & set(BUILD_CHECKS)]
pytestmark = [pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer"),
              # a model built with inputs=[tensor] and called on a bare tensor, as the checks call every model
              pytest.mark.filterwarnings("ignore:The structure of `inputs` doesn't match")]


@functools.cache
def program(build_code: str | None = None) -> dict:
    """The notebook's program up to build_fcn (no training, no test cells), with this build_fcn cell."""
    cells = {"train_impl": "model = None\n"}
    if build_code is not None:
        cells["build_fcn_impl"] = build_code
    return program_in_folder(HARNESS, cells)


def visible_build_test(namespace: dict) -> None:
    cell = next(c for c in ASSIGNMENT.source.cells if grade_id(c) == "build_fcn_tests")
    exec(compile(cell.source, "<cell build_fcn_tests>", "exec"), dict(namespace))


def test_points_add_up_and_the_corpus_is_complete():
    check_the_corpus(ASSIGNMENT, {"mean_iou_tests": 3.0, "build_fcn_tests": 4.0, "train_tests": 3.0},
                     {"upsampling_decoder", "transpose_decoder", "strided_encoder", "objects"})


def test_the_strided_encoder_has_no_pooling_layer():
    model = program(ALTERNATIVES["strided_encoder"].cells["build_fcn_impl"])["build_fcn"](11)
    names = {type(layer).__name__ for layer in model.layers}
    assert not names & {"MaxPooling2D", "AveragePooling2D"}
    convs = [layer for layer in model.layers if type(layer).__name__ == "Conv2D"]
    assert sum(tuple(layer.strides) == (2, 2) for layer in convs) == 2


@pytest.mark.parametrize("name", ["solution", *sorted(ALTERNATIVES)])
def test_correct_networks_pass_the_build_checks_and_the_visible_test(name):
    namespace = program(ALTERNATIVES[name].cells["build_fcn_impl"] if name != "solution" else None)
    visible_build_test(namespace)
    assert failures(run_checks(ASSIGNMENT, namespace, BUILD_CHECKS)) == {}


@pytest.mark.parametrize("name", BUILD_VARIANTS)
def test_build_variants_fail_their_targets_and_the_visible_test(name):
    variant = VARIANTS[name]
    namespace = program(variant.cells["build_fcn_impl"])
    failed = set(failures(run_checks(ASSIGNMENT, namespace, BUILD_CHECKS)))
    assert set(variant.targets) & set(BUILD_CHECKS) <= failed
    with pytest.raises(AssertionError):
        visible_build_test(namespace)


def test_a_fixed_input_size_fails_the_structure_check_and_the_visible_test():
    code = solution_code(next(c for c in ASSIGNMENT.source.cells if grade_id(c) == "build_fcn_impl").source)
    code = code.replace("keras.Input((None, None, 1))", "keras.Input((64, 64, 1))")
    namespace = program(code)
    outcomes = failures(run_checks(ASSIGNMENT, namespace, ["build_fcn_is_fully_convolutional"]))
    assert "any height and width" in outcomes["build_fcn_is_fully_convolutional"]
    with pytest.raises(AssertionError, match="any H and W"):
        visible_build_test(namespace)


def test_the_hidden_iou_is_measured_for_tas():
    """Run as the harness runs it, the IoU check records the IoU its bar is set on, even when it fails."""
    namespace = {**program(), "model": program()["build_fcn"](11)}  # untrained: below the bar
    result = outcome(ASSIGNMENT, namespace, "trained_model_mean_iou")
    assert result["outcome"] == "failed" and set(result["measured"]) == {"mean_iou", "pixel_accuracy"}
    iou, accuracy = (format_number(result["measured"][name], "en") for name in ("mean_iou", "pixel_accuracy"))
    assert f"is {iou} (pixel accuracy {accuracy})" in result["message"]  # the figures as the message writes them
