"""Zero padding (kiegészítés) and stride (lépésköz): the reference equals Keras, TensorFlow and the lecture."""

import math
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import reference  # noqa: E402
from reference.padding import padding_amounts, same_padding  # noqa: E402

TOL = {"rtol": 0, "atol": 1e-10}

# The lecture's "Konvolúciós háló hiperparaméterei / Padding" slide: a 6x6 image, zero padded to 8x8,
# correlated with the 3x3 vertical edge filter.
LECTURE_X = np.array([[3, 3, 4, 4, 7, 0],
                      [9, 7, 6, 5, 8, 2],
                      [6, 5, 5, 6, 9, 2],
                      [7, 1, 3, 2, 7, 8],
                      [0, 3, 7, 1, 8, 3],
                      [4, 0, 4, 3, 2, 2]])
LECTURE_PADDED = np.array([[0, 0, 0, 0, 0, 0, 0, 0],
                           [0, 3, 3, 4, 4, 7, 0, 0],
                           [0, 9, 7, 6, 5, 8, 2, 0],
                           [0, 6, 5, 5, 6, 9, 2, 0],
                           [0, 7, 1, 3, 2, 7, 8, 0],
                           [0, 0, 3, 7, 1, 8, 3, 0],
                           [0, 4, 0, 4, 3, 2, 2, 0],
                           [0, 0, 0, 0, 0, 0, 0, 0]])
EDGE = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]])
# What the reference computes (and Keras/TensorFlow agree, see below). The slide shows a partly filled
# output, "-10 -13 1" on the first row and "-9 3 0" on the second. -10, 1, 3 and 0 are at their places
# here: y[0, 0], y[0, 2], y[1, 1], y[1, 2]. The slide's -13 and -9 are not y[0, 1] and y[1, 0]: by hand,
# y[0, 1] = (0 + 3 + 9) - (0 + 4 + 6) = 2 and y[1, 0] = (0 + 0 + 0) - (3 + 7 + 5) = -15; -13 and -9 are
# y[2, 0] and y[3, 0], further down the first column. The slide's text extraction drops the empty cells
# of the partly filled grid, so those two are most likely misplaced there; we test the computed values.
LECTURE_Y = np.array([[-10, 2, 1, -5, 7, 15],
                      [-15, 3, 0, -9, 11, 24],
                      [-13, 8, 0, -10, 1, 24],
                      [-9, -2, 0, -9, -4, 24],
                      [-4, -3, -2, -3, -7, 17],
                      [-3, -7, -1, 1, -1, 10]])


def random_case(rng, n, h, w_, u, v, p, q):
    return rng.normal(size=(n, h, w_, p)), rng.normal(size=(u, v, p, q)), rng.normal(size=q)


def tf_conv2d(x, w, b, stride, padding):
    """tf.nn.conv2d plus the bias; ``padding`` "valid"/"same" or an int (explicit zeros on every side)."""
    if isinstance(padding, str):
        tf_padding = padding.upper()
    else:
        tf_padding = [[0, 0], [padding, padding], [padding, padding], [0, 0]]
    strides = list(stride) if np.ndim(stride) else stride
    return tf.nn.conv2d(tf.constant(x), tf.constant(w), strides=strides, padding=tf_padding).numpy() + b


def keras_conv2d(x, w, b, stride, padding):
    """``keras.layers.Conv2D`` in float64 with the given weights (no activation, use_bias=True)."""
    layer = keras.layers.Conv2D(w.shape[3], w.shape[:2], strides=stride, padding=padding, use_bias=True,
                                dtype="float64")
    layer.build(x.shape)
    layer.set_weights([w, b])
    return keras.ops.convert_to_numpy(layer(x))


# ----------------------------------------------------------------------------- Keras and TensorFlow

SIZES = [(5, 6), (8, 7), (4, 4)]              # odd and even heights and widths
KERNELS = [(1, 1), (2, 3), (3, 2), (4, 4)]    # odd and even kernel sizes


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("kernel", KERNELS, ids=lambda k: f"{k[0]}x{k[1]}")
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_matches_tf_nn_conv2d_grid(size, kernel, stride, padding):
    rng = np.random.default_rng([*size, *kernel, stride])
    x, w, b = random_case(rng, 2, *size, *kernel, 3, 2)
    expected = tf_conv2d(x, w, b, stride, padding)
    result = reference.conv2d(x, w, b, stride=stride, padding=padding)
    assert result.dtype == np.float64
    np.testing.assert_allclose(result, expected, **TOL)


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("stride", [1, 2, 3, (2, 1)])
@pytest.mark.parametrize("shapes", [((2, 7, 6, 3), (3, 3, 3, 2)), ((1, 6, 8, 1), (2, 4, 1, 3)),
                                    ((2, 5, 5, 2), (4, 1, 2, 2))], ids=["odd", "even", "mixed"])
def test_matches_keras_conv2d_layer(shapes, stride, padding):
    x_shape, w_shape = shapes
    rng = np.random.default_rng(11)
    x, w, b = rng.normal(size=x_shape), rng.normal(size=w_shape), rng.normal(size=w_shape[3])
    expected = keras_conv2d(x, w, b, stride, padding)
    np.testing.assert_allclose(reference.conv2d(x, w, b, stride=stride, padding=padding), expected, **TOL)


@st.composite
def strided_cases(draw, max_side=9):
    """(x, w, b, stride, padding) with any N, H, W, U, V, P, Q, strides 1-3 per axis and valid/same."""
    padding = draw(st.sampled_from(["valid", "same"]))
    h, w_ = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    u = draw(st.integers(1, h if padding == "valid" else max_side))
    v = draw(st.integers(1, w_ if padding == "valid" else max_side))
    stride = draw(st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    n, p, q = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return (*random_case(rng, n, h, w_, u, v, p, q), stride, padding)


@settings(max_examples=80, deadline=None)
@given(strided_cases())
def test_matches_tf_nn_conv2d_random(case):
    x, w, b, stride, padding = case
    np.testing.assert_allclose(reference.conv2d(x, w, b, stride=stride, padding=padding),
                               tf_conv2d(x, w, b, stride, padding), **TOL)


@settings(max_examples=15, deadline=None)
@given(strided_cases(max_side=7))
def test_matches_keras_conv2d_random(case):
    x, w, b, stride, padding = case
    np.testing.assert_allclose(reference.conv2d(x, w, b, stride=stride, padding=padding),
                               keras_conv2d(x, w, b, stride, padding), **TOL)


@pytest.mark.parametrize("p", [0, 1, 2, 3])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("kernel", [(1, 1), (3, 3), (2, 5)], ids=lambda k: f"{k[0]}x{k[1]}")
def test_int_padding_is_tf_on_explicitly_zero_padded_input(kernel, stride, p):
    rng = np.random.default_rng([p, stride, *kernel])
    x, w, b = random_case(rng, 2, 5, 6, *kernel, 2, 3)
    padded = tf.pad(tf.constant(x), [[0, 0], [p, p], [p, p], [0, 0]])
    expected = tf.nn.conv2d(padded, tf.constant(w), strides=stride, padding="VALID").numpy() + b
    result = reference.conv2d(x, w, b, stride=stride, padding=p)
    np.testing.assert_allclose(result, expected, **TOL)
    np.testing.assert_allclose(result, tf_conv2d(x, w, b, stride, p), **TOL)  # TF's explicit padding


def test_defaults_are_the_valid_stride_one_convolution():
    rng = np.random.default_rng(5)
    x, w, b = random_case(rng, 2, 6, 7, 3, 2, 3, 2)
    plain = reference.conv2d(x, w, b)
    assert plain.shape == (2, 4, 6, 2)
    for kwargs in [{"stride": 1, "padding": 0}, {"padding": "valid"}, {"stride": (1, 1)}]:
        np.testing.assert_array_equal(reference.conv2d(x, w, b, **kwargs), plain)


# ----------------------------------------------------------------------------- output_size and "same"

@pytest.mark.parametrize("n", range(1, 10))
@pytest.mark.parametrize("k", range(1, 6))
@pytest.mark.parametrize("stride", [1, 2, 3])
def test_output_size_formula(n, k, stride):
    for p in range(4):
        if n + 2 * p >= k:
            assert reference.output_size(n, k, p, stride) == math.floor((n + 2 * p - k) / stride) + 1
    if n >= k:
        assert reference.output_size(n, k, "valid", stride) == (n - k) // stride + 1
    assert reference.output_size(n, k, "same", stride) == math.ceil(n / stride)


@pytest.mark.parametrize("padding", ["valid", "same", 0, 1, 2])
@pytest.mark.parametrize("stride", [1, 2, 3])
def test_output_size_equals_the_actual_output_shapes(stride, padding):
    rng = np.random.default_rng(9)
    for h, w_, u, v in [(5, 6, 3, 2), (8, 7, 4, 1), (4, 9, 2, 5), (7, 7, 3, 3)]:
        x, w, b = random_case(rng, 1, h, w_, u, v, 1, 2)
        expected = (1, reference.output_size(h, u, padding, stride), reference.output_size(w_, v, padding, stride), 2)
        assert reference.conv2d(x, w, b, stride=stride, padding=padding).shape == expected
        assert tf_conv2d(x, w, b, stride, padding).shape == expected


def test_output_size_returns_a_plain_int():
    for padding in ["same", "valid", 1]:
        assert type(reference.output_size(7, 3, padding, 2)) is int


# The worked example of the notebook: Keras' "same" for even sizes and stride 2.
# (n, k, stride) -> (before, after, output size)
SAME_TABLE = {
    (6, 3, 1): (1, 1, 6),
    (6, 2, 1): (0, 1, 6),
    (6, 4, 1): (1, 2, 6),
    (7, 3, 2): (1, 1, 4),
    (6, 3, 2): (0, 1, 3),
    (8, 4, 2): (1, 1, 4),
    (5, 1, 2): (0, 0, 3),
    (4, 3, 3): (1, 1, 2),
}


@pytest.mark.parametrize("case", SAME_TABLE, ids=str)
def test_same_padding_table(case):
    n, k, stride = case
    before, after, out = SAME_TABLE[case]
    assert same_padding(n, k, stride) == padding_amounts(n, k, "same", stride) == (before, after)
    assert reference.output_size(n, k, "same", stride) == out == (n + before + after - k) // stride + 1
    # and it is what Keras does: a one-hot input shows where each output window starts
    x, w = np.zeros((1, n, 1, 1)), np.zeros((k, 1, 1, 1))
    w[0, 0, 0, 0] = 1.0  # picks the first row of each window, which is xp[stride * i]
    x[0, :, 0, 0] = np.arange(1, n + 1)
    picked = keras_conv2d(x, w, np.zeros(1), (stride, 1), "same")[0, :, 0, 0]
    np.testing.assert_array_equal(picked, [i * stride - before + 1 if i * stride >= before else 0
                                           for i in range(out)])


# ----------------------------------------------------------------------------- zero_pad

def test_zero_pad_shapes_values_and_no_mutation():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 3, 4, 5))
    before = x.copy()
    for p in range(4):
        padded = reference.zero_pad(x, p)
        assert padded.shape == (2, 3 + 2 * p, 4 + 2 * p, 5)
        np.testing.assert_array_equal(padded[:, p:p + 3, p:p + 4, :], x)
        border = np.ones(padded.shape, dtype=bool)
        border[:, p:p + 3, p:p + 4, :] = False
        assert np.all(padded[border] == 0)
    np.testing.assert_array_equal(x, before)
    np.testing.assert_array_equal(reference.zero_pad(x, 0), x)
    assert reference.zero_pad(x, ((0, 1), (2, 0))).shape == (2, 4, 6, 5)


def test_zero_pad_keeps_integer_dtype():
    x = np.arange(6).reshape(1, 2, 3, 1)
    padded = reference.zero_pad(x, 1)
    assert padded.dtype == x.dtype
    np.testing.assert_array_equal(padded[0, :, :, 0], [[0, 0, 0, 0, 0], [0, 0, 1, 2, 0],
                                                       [0, 3, 4, 5, 0], [0, 0, 0, 0, 0]])


def test_zero_pad_rejects_non_nhwc():
    with pytest.raises(ValueError, match=r"4-D \(N, H, W, C\)"):
        reference.zero_pad(np.zeros((3, 3)), 1)


# ----------------------------------------------------------------------------- the lecture's examples

def test_lecture_padding_6x6_to_8x8():
    padded = reference.zero_pad(LECTURE_X[None, :, :, None], 1)
    assert padded.shape == (1, 8, 8, 1)
    np.testing.assert_array_equal(padded[0, :, :, 0], LECTURE_PADDED)


def test_lecture_vertical_edge_filter_with_padding_1():
    x, w = LECTURE_X[None, :, :, None], EDGE[:, :, None, None]
    y = reference.conv2d(x, w, np.zeros(1), padding=1)
    assert y.shape == (1, 6, 6, 1) and y.dtype == np.float64  # 6x6 -> 8x8 -> 6x6: the size is kept
    np.testing.assert_array_equal(y[0, :, :, 0], LECTURE_Y)
    # the slide's four values that sit at their places; by hand for the two that do not
    assert (y[0, 0, 0, 0], y[0, 0, 2, 0], y[0, 1, 1, 0], y[0, 1, 2, 0]) == (-10, 1, 3, 0)
    assert np.sum(LECTURE_PADDED[0:3, 1:4] * EDGE) == 2 == y[0, 0, 1, 0]
    assert np.sum(LECTURE_PADDED[1:4, 0:3] * EDGE) == -15 == y[0, 1, 0, 0]
    # padding 1 with a 3x3 kernel is Keras' "same"; Keras and TensorFlow agree
    np.testing.assert_array_equal(reference.conv2d(x, w, np.zeros(1), padding="same"), y)
    np.testing.assert_allclose(keras_conv2d(x.astype(float), w.astype(float), np.zeros(1), 1, "same"), y, **TOL)
    np.testing.assert_allclose(tf_conv2d(x.astype(float), w.astype(float), np.zeros(1), 1, 1), y, **TOL)
    # without padding the 6x6 input shrinks to 4x4: the inner part of the padded result
    np.testing.assert_array_equal(reference.conv2d(x, w, np.zeros(1))[0, :, :, 0], LECTURE_Y[1:5, 1:5])


def test_lecture_stride_7x7_to_3x3():
    x = np.arange(49.0).reshape(1, 7, 7, 1)
    w = np.arange(9.0).reshape(3, 3, 1, 1) - 4
    y = reference.conv2d(x, w, np.zeros(1), stride=2)
    assert y.shape == (1, 3, 3, 1)
    assert reference.output_size(7, 3, 0, 2) == reference.output_size(7, 3, "valid", 2) == 3
    # the windows start at rows and columns 0, 2, 4
    for i in range(3):
        for j in range(3):
            assert y[0, i, j, 0] == np.sum(x[0, 2 * i:2 * i + 3, 2 * j:2 * j + 3, 0] * w[:, :, 0, 0])
    np.testing.assert_allclose(y, tf_conv2d(x, w, np.zeros(1), 2, "valid"), **TOL)
    np.testing.assert_allclose(y, keras_conv2d(x, w, np.zeros(1), 2, "valid"), **TOL)


# ----------------------------------------------------------------------------- inputs and errors

def test_integer_inputs_and_no_mutation():
    rng = np.random.default_rng(8)
    x = rng.integers(-9, 10, size=(2, 5, 6, 2))
    w = rng.integers(-9, 10, size=(3, 2, 2, 3))
    b = rng.integers(-9, 10, size=3)
    copies = [a.copy() for a in (x, w, b)]
    for stride, padding in [(2, "same"), (3, 2), (1, "valid")]:
        result = reference.conv2d(x, w, b, stride=stride, padding=padding)
        assert result.dtype == np.float64
        np.testing.assert_allclose(result, tf_conv2d(x.astype(float), w.astype(float), b, stride, padding), **TOL)
        result += 1.0
    for original, copy in zip((x, w, b), copies):
        np.testing.assert_array_equal(original, copy)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"padding": -1}, ValueError, r"padding must be a non-negative int, 'valid' or 'same', got -1"),
    ({"padding": "SAME"}, ValueError, r"padding must be .* got 'SAME'"),
    ({"padding": True}, ValueError, r"padding must be"),
    ({"stride": 0}, ValueError, r"stride must be an int >= 1"),
    ({"stride": 1.5}, ValueError, r"stride must be an int >= 1"),
    ({"stride": (1, 2, 3)}, ValueError, r"stride must be an int >= 1 or a pair"),
])
def test_bad_hyperparameters(kwargs, error, message):
    with pytest.raises(error, match=message):
        reference.conv2d(np.zeros((1, 4, 4, 1)), np.zeros((3, 3, 1, 1)), np.zeros(1), **kwargs)


def test_kernel_larger_than_the_padded_input():
    with pytest.raises(ValueError, match=r"the 7x3 kernel is larger than the 4x5 input padded to 6x7"):
        reference.conv2d(np.zeros((1, 4, 5, 1)), np.zeros((7, 3, 1, 1)), np.zeros(1), padding=1)
    # "same" always fits: a 7x7 kernel on a 4x5 input gives a 4x5 output
    y = reference.conv2d(np.ones((1, 4, 5, 1)), np.ones((7, 7, 1, 1)), np.zeros(1), padding="same")
    assert y.shape == (1, 4, 5, 1)
