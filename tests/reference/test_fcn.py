"""reference.fcn: mean IoU (hand examples, properties, Keras' MeanIoU) and the reference FCN."""

import inspect
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import pytest
import tensorflow
from hypothesis import given, settings
from hypothesis import strategies as st

import reference
from grader.paths import project_root
from reference import data
from reference.fcn import build_fcn, mean_iou, per_class_iou

ROOT = project_root()


# ----------------------------------------------------------------------------- mean_iou by hand

def test_exported_from_the_package():
    assert reference.mean_iou is mean_iou and reference.build_fcn is build_fcn


def test_perfect_prediction_scores_one():
    y = np.array([[0, 1, 2], [2, 2, 0]])
    assert mean_iou(y, y.copy(), 3) == 1.0
    assert mean_iou(y, y.copy(), 11) == 1.0  # classes 3..10 appear nowhere: left out, not counted as 0


def test_disjoint_prediction_scores_zero():
    assert mean_iou(np.zeros((2, 3), int), np.ones((2, 3), int), 2) == 0.0
    y_true = np.array([0, 0, 1, 1])
    assert mean_iou(y_true, 1 - y_true, 2) == 0.0


def test_hand_computed_example():
    # class 0: TP 1, FP 0, FN 1 -> 1/2;  class 1: TP 2, FP 1, FN 0 -> 2/3
    y_true = np.array([[0, 0], [1, 1]])
    y_pred = np.array([[0, 1], [1, 1]])
    assert mean_iou(y_true, y_pred, 2) == pytest.approx((1 / 2 + 2 / 3) / 2, abs=1e-15)


def test_classes_absent_from_both_maps_are_excluded():
    y_true = np.array([[0, 0], [1, 1]])
    y_pred = np.array([[0, 1], [1, 1]])
    expected = (1 / 2 + 2 / 3) / 2
    assert mean_iou(y_true, y_pred, 5) == pytest.approx(expected, abs=1e-15)   # not (1/2 + 2/3) / 5
    np.testing.assert_array_equal(np.isnan(per_class_iou(y_true, y_pred, 5)), [False, False, True, True, True])


def test_a_class_only_predicted_counts_as_zero():
    # class 0: TP 1, FN 1 -> 1/2; class 2 is in y_pred only: TP 0, FP 1 -> 0; class 1 absent from both
    assert mean_iou(np.array([0, 0]), np.array([0, 2]), 3) == pytest.approx(0.25, abs=1e-15)
    # and a class only in y_true counts as 0 too
    assert mean_iou(np.array([0, 2]), np.array([0, 0]), 3) == pytest.approx(0.25, abs=1e-15)


def test_shape_agnostic():
    rng = np.random.default_rng(3)
    y_true, y_pred = rng.integers(0, 4, size=24), rng.integers(0, 4, size=24)
    flat = mean_iou(y_true, y_pred, 4)
    for shape in [(24,), (4, 6), (2, 3, 4), (2, 3, 2, 2)]:
        assert mean_iou(y_true.reshape(shape), y_pred.reshape(shape), 4) == flat


def test_counted_over_the_whole_set_not_image_by_image():
    y_true = np.array([[[1, 1, 1, 1]], [[0, 0, 0, 1]]])  # (2 images, 1, 4)
    y_pred = np.array([[[1, 1, 1, 1]], [[0, 0, 0, 0]]])
    # whole set: class 0 -> 3/4, class 1 -> 4/5; image by image: (1 + (3/4 + 0) / 2) / 2 = 0.6875
    assert mean_iou(y_true, y_pred, 2) == pytest.approx((3 / 4 + 4 / 5) / 2, abs=1e-15)


def test_returns_a_float_and_accepts_lists_and_integral_floats():
    value = mean_iou([[0, 1]], np.array([[0.0, 1.0]]), 2)
    assert type(value) is float and value == 1.0


@pytest.mark.parametrize("y_true, y_pred, num_classes, message", [
    (np.zeros((2, 3), int), np.zeros((3, 2), int), 2, "same shape"),
    (np.array([0, 3]), np.array([0, 1]), 3, "outside"),
    (np.array([0, -1]), np.array([0, 1]), 3, "outside"),
    (np.array([0.5]), np.array([0]), 2, "integer"),
    (np.array([0]), np.array([0]), 0, "positive"),
    (np.zeros((0,), int), np.zeros((0,), int), 2, "at least one pixel"),
])
def test_bad_input_is_refused(y_true, y_pred, num_classes, message):
    with pytest.raises(ValueError, match=message):
        mean_iou(y_true, y_pred, num_classes)


def test_inputs_are_not_modified():
    y_true, y_pred = np.array([[0, 1], [2, 2]]), np.array([[0, 2], [2, 1]])
    before = y_true.copy(), y_pred.copy()
    mean_iou(y_true, y_pred, 3)
    assert np.array_equal(y_true, before[0]) and np.array_equal(y_pred, before[1])


# ----------------------------------------------------------------------------- mean_iou properties

@st.composite
def label_maps(draw, max_classes=6):
    num_classes = draw(st.integers(1, max_classes))
    shape = tuple(draw(st.lists(st.integers(1, 5), min_size=1, max_size=3)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    used = rng.choice(num_classes, size=draw(st.integers(1, num_classes)), replace=False)
    y_true = rng.choice(used, size=shape)
    y_pred = np.where(rng.random(shape) < 0.5, y_true, rng.integers(0, num_classes, size=shape))
    return y_true, y_pred, num_classes


def naive_mean_iou(y_true, y_pred, num_classes):
    """The definition, one class at a time with Python loops."""
    t, p = list(np.ravel(y_true)), list(np.ravel(y_pred))
    ious = []
    for c in range(num_classes):
        tp = sum(a == c and b == c for a, b in zip(t, p))
        fp = sum(a != c and b == c for a, b in zip(t, p))
        fn = sum(a == c and b != c for a, b in zip(t, p))
        if tp + fp + fn:
            ious.append(tp / (tp + fp + fn))
    return sum(ious) / len(ious)


@settings(max_examples=200, deadline=None)
@given(label_maps())
def test_matches_the_definition(case):
    y_true, y_pred, num_classes = case
    assert mean_iou(y_true, y_pred, num_classes) == pytest.approx(naive_mean_iou(y_true, y_pred, num_classes),
                                                                  abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(label_maps())
def test_bounded_and_one_exactly_for_a_perfect_prediction(case):
    y_true, y_pred, num_classes = case
    value = mean_iou(y_true, y_pred, num_classes)
    assert 0.0 <= value <= 1.0
    assert (value == 1.0) == np.array_equal(y_true, y_pred)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 1), min_size=1, max_size=30), st.integers(0, 2**32 - 1))
def test_symmetric_in_the_two_class_case(labels, seed):
    y_true = np.array(labels)
    y_pred = np.random.default_rng(seed).integers(0, 2, size=y_true.shape)
    assert mean_iou(y_true, y_pred, 2) == mean_iou(y_pred, y_true, 2)


@settings(max_examples=100, deadline=None)
@given(label_maps())
def test_symmetric_and_permutation_invariant(case):
    y_true, y_pred, num_classes = case
    value = mean_iou(y_true, y_pred, num_classes)
    assert mean_iou(y_pred, y_true, num_classes) == pytest.approx(value, abs=1e-12)
    order = np.random.default_rng(0).permutation(y_true.size)
    assert mean_iou(y_true.ravel()[order], y_pred.ravel()[order], num_classes) == pytest.approx(value, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(label_maps())
def test_agrees_with_keras_mean_iou(case):
    """keras.metrics.MeanIoU also averages over the classes with a non-zero denominator only."""
    y_true, y_pred, num_classes = case
    metric = keras.metrics.MeanIoU(num_classes=num_classes, dtype="float64")
    metric.update_state(y_true.ravel(), y_pred.ravel())
    # Keras adds an epsilon to every ratio.
    assert mean_iou(y_true, y_pred, num_classes) == pytest.approx(float(metric.result()), abs=1e-6)


# ----------------------------------------------------------------------------- the reference FCN

@pytest.fixture(scope="module")
def fcn():
    keras.utils.set_random_seed(0)
    return build_fcn(11)


def layer_names(model):
    return [type(layer).__name__ for layer in model.layers]


def test_fcn_is_fully_convolutional(fcn):
    names = layer_names(fcn)
    assert not {"Dense", "Flatten"} & set(names)
    assert "Conv2DTranspose" in names or "UpSampling2D" in names
    assert names.count("MaxPooling2D") == 2
    assert tuple(fcn.inputs[0].shape) == (None, None, None, 1)


@pytest.mark.parametrize("size", [(64, 64), (96, 128), (36, 20)])
def test_fcn_keeps_the_size_and_gives_probabilities_per_pixel(fcn, size):
    x = np.random.default_rng(1).random((2, *size, 1)).astype(np.float32)
    p = fcn.predict(x, verbose=0)
    assert p.shape == (2, *size, 11)
    assert p.min() >= 0
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, atol=1e-5)


def test_fcn_num_classes_and_loss():
    fcn4 = build_fcn(4)
    assert fcn4.output_shape == (None, None, None, 4)
    assert fcn4.loss == "sparse_categorical_crossentropy"
    assert fcn4.layers[-1].get_config()["activation"] == "softmax"


def test_fcn_survives_the_sandbox_round_trip(fcn, tmp_path):
    """The saved reference model passes the harness' allow-list and loads with safe_mode."""
    from grader.config import AssignmentConfig
    from grader.sandbox.models import load_model_bytes, read_config, refusal

    fcn.save(tmp_path / "fcn.keras")
    data = (tmp_path / "fcn.keras").read_bytes()
    allowed = set(AssignmentConfig().allowed_layers)
    assert refusal(read_config(data), allowed) is None
    loaded = load_model_bytes(data, allowed, max_params=AssignmentConfig().max_model_params)
    x = np.zeros((1, 32, 48, 1), np.float32)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), fcn.predict(x, verbose=0), atol=1e-6)


# ----------------------------------------------------------------------------- a short training run

def test_short_training_run_segments_held_out_digits():
    """The notebook's recipe, shortened: small canvases of one digit, evaluated on 64x64 canvases of 1-3."""
    start = time.perf_counter()
    keras.utils.set_random_seed(0)
    tensorflow.config.experimental.enable_op_determinism()
    x, y = data.load_digits(ROOT / "assignments/fcn/digits.npz")
    images, masks = data.make_segmentation_set(x, y, n=3000, size=32, max_digits=1, seed=0)
    model = build_fcn(11, learning_rate=1e-2)
    model.fit(images, masks, epochs=4, batch_size=16, verbose=0)
    hx, hy = data.holdout_digits()
    test_images, test_masks = data.make_segmentation_set(hx, hy, n=100, seed=1)
    predicted = model.predict(test_images, verbose=0).argmax(axis=-1)
    assert predicted.shape == test_masks.shape
    value = mean_iou(test_masks, predicted, 11)
    background_only = mean_iou(test_masks, np.zeros_like(test_masks), 11)
    assert value > max(0.18, 2 * background_only), f"mean IoU {value:.3f}"  # 0.255 measured
    print(f"mean IoU {value:.3f} after {time.perf_counter() - start:.0f} s")


# ----------------------------------------------------------------------------- the notebook's copy of the data code

def test_notebook_copies_the_data_functions_exactly():
    """fcn.ipynb's locked data cell holds reference.data's functions verbatim (same canvases as the checks)."""
    notebook = json.loads((ROOT / "assignments/fcn/fcn.ipynb").read_text())
    code = "\n".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code")
    for function in (data.load_digits, data.make_segmentation_set):
        assert inspect.getsource(function) in code, function.__name__
    assert "BACKGROUND = 0\nINK = 0.3\n" in code
