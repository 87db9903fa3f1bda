"""The reference convolution equals TensorFlow/Keras, the lecture and a naive loop."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import reference  # noqa: E402

LECTURE_X = np.array([[1, 2, 2, -2], [1, 0, 2, 4], [2, -1, -1, 3], [0, 0, -3, -2]])
LECTURE_W = np.array([[1, 0, 3], [2, -1, -1], [0, 1, -3]])
LECTURE_Y = np.array([[9, -20], [22, 11]])


def naive_conv2d(x, w, b):
    """The formula written out with six loops (plus the bias), nothing clever."""
    n_, h, w_, p_ = x.shape
    u_, v_, _, q_ = w.shape
    out = np.zeros((n_, h - u_ + 1, w_ - v_ + 1, q_))
    for n in range(n_):
        for i in range(h - u_ + 1):
            for j in range(w_ - v_ + 1):
                for q in range(q_):
                    total = b[q]
                    for u in range(u_):
                        for v in range(v_):
                            for p in range(p_):
                                total += x[n, i + u, j + v, p] * w[u, v, p, q]
                    out[n, i, j, q] = total
    return out


@st.composite
def conv_cases(draw, max_side=7):
    """Random (x, w, b) with kernels from 1x1 up to the full input, any N, P, Q."""
    n = draw(st.integers(1, 3))
    h = draw(st.integers(1, max_side))
    w_ = draw(st.integers(1, max_side))
    u = draw(st.integers(1, h))
    v = draw(st.integers(1, w_))
    p = draw(st.integers(1, 4))
    q = draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return rng.normal(size=(n, h, w_, p)), rng.normal(size=(u, v, p, q)), rng.normal(size=q)


def test_lecture_example():
    y = reference.correlate2d(LECTURE_X, LECTURE_W)
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y, LECTURE_Y)


def test_lecture_example_worked_sum_for_11():
    # The lecture's sum for the bottom-right entry: the window x[1:4, 1:4] times w, elementwise.
    assert np.sum(LECTURE_X[1:4, 1:4] * LECTURE_W) == 11 == reference.correlate2d(LECTURE_X, LECTURE_W)[1, 1]


def test_kernel_is_not_flipped():
    # A kernel that picks the right-hand neighbour: no flip means y[i, j] = x[i, j + 1].
    x = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(reference.correlate2d(x, np.array([[0.0, 1.0]])), x[:, 1:])


@settings(max_examples=50, deadline=None)
@given(conv_cases())
def test_matches_tf_nn_conv2d(case):
    x, w, b = case
    expected = tf.nn.conv2d(tf.constant(x), tf.constant(w), strides=1, padding="VALID").numpy() + b
    np.testing.assert_allclose(reference.conv2d(x, w, b), expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize("shapes", [((2, 7, 5, 3), (3, 2, 3, 4)), ((1, 4, 4, 1), (4, 4, 1, 2)),
                                    ((3, 6, 9, 2), (1, 1, 2, 3))])
def test_matches_keras_conv2d_layer(shapes):
    x_shape, w_shape = shapes
    rng = np.random.default_rng(7)
    x, w, b = rng.normal(size=x_shape), rng.normal(size=w_shape), rng.normal(size=w_shape[3])
    layer = keras.layers.Conv2D(w_shape[3], w_shape[:2], padding="valid", dtype="float64")
    layer.build(x_shape)
    layer.set_weights([w, b])
    expected = keras.ops.convert_to_numpy(layer(x))
    np.testing.assert_allclose(reference.conv2d(x, w, b), expected, rtol=0, atol=1e-10)


@settings(max_examples=50, deadline=None)
@given(conv_cases(max_side=6))
def test_matches_naive_loops(case):
    x, w, b = case
    result = reference.conv2d(x, w, b)
    assert result.dtype == np.float64
    assert result.shape == (x.shape[0], x.shape[1] - w.shape[0] + 1, x.shape[2] - w.shape[1] + 1, w.shape[3])
    np.testing.assert_allclose(result, naive_conv2d(x, w, b), rtol=0, atol=1e-10)


@settings(max_examples=50, deadline=None)
@given(conv_cases())
def test_correlate2d_is_conv2d_with_one_channel_and_filter(case):
    x, w, _ = case
    x2, w2 = x[0, :, :, 0], w[:, :, 0, 0]
    expected = reference.conv2d(x2[None, :, :, None], w2[:, :, None, None], np.zeros(1))[0, :, :, 0]
    np.testing.assert_array_equal(reference.correlate2d(x2, w2), expected)


def test_integer_inputs_give_exact_float64():
    rng = np.random.default_rng(3)
    x = rng.integers(-9, 10, size=(2, 5, 6, 3))
    w = rng.integers(-9, 10, size=(2, 3, 3, 2))
    b = rng.integers(-9, 10, size=2)
    result = reference.conv2d(x, w, b)
    assert result.dtype == np.float64
    np.testing.assert_array_equal(result, naive_conv2d(x, w, b))
    assert reference.correlate2d(x[0, :, :, 0], w[:, :, 0, 0]).dtype == np.float64


def test_inputs_are_not_modified():
    rng = np.random.default_rng(4)
    x, w, b = rng.normal(size=(2, 5, 6, 3)), rng.normal(size=(2, 3, 3, 2)), rng.normal(size=2)
    copies = [a.copy() for a in (x, w, b)]
    result = reference.conv2d(x, w, b)
    result += 1.0  # the result owns its memory: writing to it touches no input
    reference.correlate2d(x[0, :, :, 0], w[:, :, 0, 0])
    for original, copy in zip((x, w, b), copies):
        np.testing.assert_array_equal(original, copy)


def test_accepts_nested_lists():
    np.testing.assert_array_equal(reference.correlate2d(LECTURE_X.tolist(), LECTURE_W.tolist()), LECTURE_Y)


@pytest.mark.parametrize("x_shape, w_shape, b_shape, message", [
    ((4, 4, 1), (3, 3, 1, 1), (1,), r"x must be 4-D \(N, H, W, P\), got shape \(4, 4, 1\)"),
    ((1, 4, 4, 1), (3, 3, 1), (1,), r"w must be 4-D \(U, V, P, Q\), got shape \(3, 3, 1\)"),
    ((1, 4, 4, 3), (3, 3, 2, 1), (1,), r"x has P=3 input channels .* but w expects P=2"),
    ((1, 4, 4, 1), (3, 3, 1, 2), (1,), r"b must have shape \(Q,\) = \(2,\).*got \(1,\)"),
    ((1, 4, 4, 1), (3, 3, 1, 2), (2, 1), r"b must have shape \(Q,\)"),
    ((1, 4, 5, 1), (5, 3, 1, 1), (1,), r"5x3 kernel is larger than the 4x5 input"),
    ((1, 4, 5, 1), (3, 6, 1, 1), (1,), r"3x6 kernel is larger than the 4x5 input"),
    ((1, 4, 5, 1), (0, 2, 1, 1), (1,), r"at least 1x1, got 0x2"),
])
def test_conv2d_errors(x_shape, w_shape, b_shape, message):
    with pytest.raises(ValueError, match=message):
        reference.conv2d(np.zeros(x_shape), np.zeros(w_shape), np.zeros(b_shape))


@pytest.mark.parametrize("x_shape, w_shape, message", [
    ((1, 4, 4), (3, 3), r"correlate2d: x must be 2-D \(H, W\), got shape \(1, 4, 4\)"),
    ((4, 4), (3,), r"correlate2d: w must be 2-D \(U, V\), got shape \(3,\)"),
    ((4, 4), (3, 5), r"correlate2d: the 3x5 kernel is larger than the 4x4 input"),
])
def test_correlate2d_errors(x_shape, w_shape, message):
    with pytest.raises(ValueError, match=message):
        reference.correlate2d(np.zeros(x_shape), np.zeros(w_shape))


def test_non_numeric_input_is_a_type_error():
    with pytest.raises(TypeError, match="x must hold real numbers"):
        reference.correlate2d(np.array([["a", "b"]]), np.ones((1, 1)))
