"""The reference pooling equals Keras' MaxPooling2D / AveragePooling2D and the lecture's examples."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import pytest
import tensorflow  # noqa: F401  (imported once here, before Keras builds its first layer)
from hypothesis import given, settings
from hypothesis import strategies as st

import reference
from reference.pooling import avg_pool2d, max_pool2d

LECTURE_X = np.array([[5, 2, -3, 0], [2, -1, 4, -1], [-4, -4, -3, 0], [3, 5, 0, -1]])
LECTURE_MAX = np.array([[5, 4], [5, 0]])
LECTURE_AVG = np.array([[2, 0], [0, -1]])

LAYERS = {"max": keras.layers.MaxPooling2D, "avg": keras.layers.AveragePooling2D}
FUNCTIONS = {"max": max_pool2d, "avg": avg_pool2d}


def keras_pool(kind, x, pool_size, stride, padding):
    """What the Keras layer computes, in float64."""
    layer = LAYERS[kind](pool_size=pool_size, strides=stride, padding=padding, dtype="float64")
    return keras.ops.convert_to_numpy(layer(np.asarray(x, dtype=np.float64)))


def pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def fits(shape, pool_size, padding):
    ph, pw = pair(pool_size)
    return padding == "same" or (ph <= shape[1] and pw <= shape[2])


def expected_shape(shape, pool_size, stride, padding):
    (ph, pw), (sh, sw) = pair(pool_size), pair(pool_size if stride is None else stride)
    n, h, w, c = shape
    if padding == "same":
        return n, -(-h // sh), -(-w // sw), c
    return n, (h - ph) // sh + 1, (w - pw) // sw + 1, c


# ----------------------------------------------------------------------------- the lecture

def test_lecture_max_pooling():
    y = max_pool2d(LECTURE_X.reshape(1, 4, 4, 1), 2)
    assert y.dtype == np.float64 and y.shape == (1, 2, 2, 1)
    np.testing.assert_array_equal(y[0, :, :, 0], LECTURE_MAX)


def test_lecture_average_pooling():
    y = avg_pool2d(LECTURE_X.reshape(1, 4, 4, 1), (2, 2))
    assert y.dtype == np.float64 and y.shape == (1, 2, 2, 1)
    np.testing.assert_array_equal(y[0, :, :, 0], LECTURE_AVG)


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_lecture_examples_match_keras(kind):
    x = LECTURE_X.reshape(1, 4, 4, 1)
    np.testing.assert_array_equal(FUNCTIONS[kind](x, 2), keras_pool(kind, x, 2, None, "valid"))


def test_exported_from_the_package():
    assert reference.max_pool2d is max_pool2d and reference.avg_pool2d is avg_pool2d
    assert {"max_pool2d", "avg_pool2d"} <= set(reference.__all__)


# ----------------------------------------------------------------------------- Keras, a grid and random cases

SHAPES = [(1, 4, 4, 1), (2, 5, 7, 3), (1, 6, 3, 2), (2, 7, 8, 1)]   # even, odd, mixed sides


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("stride", [None, 1, 2, 3, (1, 2), (3, 1)], ids=str)
@pytest.mark.parametrize("pool_size", [1, 2, 3, (1, 2), (2, 3), (3, 1)], ids=str)
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_matches_keras_grid(kind, pool_size, stride, padding):
    rng = np.random.default_rng(11)
    for shape in SHAPES:
        if not fits(shape, pool_size, padding):
            continue
        x = rng.normal(size=shape)
        expected = keras_pool(kind, x, pool_size, stride, padding)
        result = FUNCTIONS[kind](x, pool_size, stride, padding)
        assert result.dtype == np.float64
        assert result.shape == expected.shape == expected_shape(shape, pool_size, stride, padding)
        np.testing.assert_allclose(result, expected, rtol=0, atol=1e-10, err_msg=f"{kind} {shape}")


sizes = st.integers(1, 3)


@st.composite
def pool_cases(draw, max_side=8):
    """Random (x, pool_size, stride, padding); 'valid' pools fit the input, 'same' ones may not."""
    padding = draw(st.sampled_from(["valid", "same"]))
    pool_size = draw(st.one_of(sizes, st.tuples(sizes, sizes)))
    stride = draw(st.one_of(st.none(), sizes, st.tuples(sizes, sizes)))
    ph, pw = pair(pool_size)
    low_h, low_w = (ph, pw) if padding == "valid" else (1, 1)
    shape = (draw(st.integers(1, 2)), draw(st.integers(low_h, max_side)), draw(st.integers(low_w, max_side)),
             draw(st.integers(1, 3)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.normal(size=shape) - draw(st.sampled_from([0.0, 3.0]))   # sometimes all negative
    return x, pool_size, stride, padding


@settings(max_examples=60, deadline=None)
@given(pool_cases(), st.sampled_from(["max", "avg"]))
def test_matches_keras_random(case, kind):
    x, pool_size, stride, padding = case
    expected = keras_pool(kind, x, pool_size, stride, padding)
    result = FUNCTIONS[kind](x, pool_size, stride, padding)
    assert result.shape == expected.shape == expected_shape(x.shape, pool_size, stride, padding)
    np.testing.assert_allclose(result, expected, rtol=0, atol=1e-10)


# ----------------------------------------------------------------------------- the rules, one by one

def naive_pool(kind, x, pool_size, stride, padding):
    """Pooling with plain loops over every output cell, padding by hand."""
    (ph, pw), (sh, sw) = pair(pool_size), pair(pool_size if stride is None else stride)
    n_, h, w, c_ = x.shape
    _, out_h, out_w, _ = expected_shape(x.shape, pool_size, stride, padding)
    top = max((out_h - 1) * sh + ph - h, 0) // 2
    left = max((out_w - 1) * sw + pw - w, 0) // 2
    out = np.zeros((n_, out_h, out_w, c_))
    for n in range(n_):
        for i in range(out_h):
            for j in range(out_w):
                for c in range(c_):
                    cells = [x[n, r, s, c] for r in range(i * sh - top, i * sh - top + ph)
                             for s in range(j * sw - left, j * sw - left + pw) if 0 <= r < h and 0 <= s < w]
                    out[n, i, j, c] = max(cells) if kind == "max" else sum(cells) / len(cells)
    return out


@settings(max_examples=40, deadline=None)
@given(pool_cases(max_side=6), st.sampled_from(["max", "avg"]))
def test_matches_naive_loops(case, kind):
    x, pool_size, stride, padding = case
    np.testing.assert_allclose(FUNCTIONS[kind](x, pool_size, stride, padding),
                               naive_pool(kind, x, pool_size, stride, padding), rtol=0, atol=1e-12)


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_channels_are_pooled_separately(kind):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 5, 6, 3))
    whole = FUNCTIONS[kind](x, (2, 3), 1, "same")
    for c in range(3):
        np.testing.assert_allclose(whole[..., c:c + 1], FUNCTIONS[kind](x[..., c:c + 1], (2, 3), 1, "same"),
                                   rtol=0, atol=1e-14)


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("pool_size", [2, 3, (2, 3)], ids=str)
def test_stride_defaults_to_the_pool_size(kind, pool_size):
    x = np.random.default_rng(6).normal(size=(2, 7, 9, 2))
    for padding in ("valid", "same"):
        np.testing.assert_array_equal(FUNCTIONS[kind](x, pool_size, padding=padding),
                                      FUNCTIONS[kind](x, pool_size, pool_size, padding))
    np.testing.assert_array_equal(FUNCTIONS[kind](x, pool_size), FUNCTIONS[kind](x, pool_size, None, "valid"))


def test_padded_cells_never_win_a_max():
    x = -1.0 - np.random.default_rng(7).random(size=(1, 5, 5, 2))     # every value below zero
    y = max_pool2d(x, 2, padding="same")                               # 5 -> 3: one padded row and column
    assert y.shape == (1, 3, 3, 2) and np.all(y < 0)
    np.testing.assert_array_equal(y[0, 2, 2], x[0, 4, 4])              # the corner window holds one real cell


def test_padded_cells_are_not_counted_in_an_average():
    ones = np.ones((1, 5, 4, 1))
    np.testing.assert_array_equal(avg_pool2d(ones, 3, 2, "same"), np.ones((1, 3, 2, 1)))
    x = np.arange(20.0).reshape(1, 5, 4, 1)
    # 5 rows, pool 2, stride 2 -> 3 rows; the last window holds only row 4 (padding after, not before)
    np.testing.assert_array_equal(avg_pool2d(x, 2, padding="same")[0, 2, :, 0], [(16 + 17) / 2, (18 + 19) / 2])


def test_same_padding_is_asymmetric_like_keras():
    x = np.arange(5.0).reshape(1, 5, 1, 1)      # pool 2, stride 1: one padded cell, after the input
    np.testing.assert_array_equal(max_pool2d(x, (2, 1), 1, "same")[0, :, 0, 0], [1, 2, 3, 4, 4])
    np.testing.assert_array_equal(avg_pool2d(x, (2, 1), 1, "same")[0, :, 0, 0], [0.5, 1.5, 2.5, 3.5, 4])


def test_pool_larger_than_the_input_with_same_padding():
    x = np.random.default_rng(8).normal(size=(1, 2, 1, 1))
    for kind in ("max", "avg"):
        np.testing.assert_allclose(FUNCTIONS[kind](x, 3, padding="same"), keras_pool(kind, x, 3, None, "same"),
                                   rtol=0, atol=1e-12)


def test_integer_inputs_give_float64():
    x = LECTURE_X.reshape(1, 4, 4, 1)
    y = avg_pool2d(x, 3, 1)
    assert y.dtype == np.float64 and max_pool2d(x, 2).dtype == np.float64
    np.testing.assert_allclose(y[0, :, :, 0], [[-2 / 9, -6 / 9], [2 / 9, -1 / 9]], rtol=0, atol=1e-15)


def test_inputs_are_not_modified_and_results_own_their_memory():
    x = np.random.default_rng(9).normal(size=(2, 5, 5, 3))
    copy = x.copy()
    for function in (max_pool2d, avg_pool2d):
        for padding in ("valid", "same"):
            y = function(x, 2, 1, padding)
            assert y.flags.c_contiguous and y.flags.owndata or not np.shares_memory(x, y)
            y += 1.0
    np.testing.assert_array_equal(x, copy)


def test_accepts_nested_lists_and_numpy_ints():
    x = LECTURE_X.reshape(1, 4, 4, 1).tolist()
    np.testing.assert_array_equal(max_pool2d(x, np.int64(2))[0, :, :, 0], LECTURE_MAX)
    np.testing.assert_array_equal(avg_pool2d(x, [2, 2], [2, 2])[0, :, :, 0], LECTURE_AVG)


@pytest.mark.parametrize("args, error, message", [
    (((4, 4, 1), 2), ValueError, r"max_pool2d: x must be 4-D \(N, H, W, C\), got shape \(4, 4, 1\)"),
    (((1, 4, 4, 1), 0), ValueError, r"pool_size must be at least 1, got 0"),
    (((1, 4, 4, 1), (2, 2, 2)), TypeError, r"pool_size must be an int or a pair of ints"),
    (((1, 4, 4, 1), 2.0), TypeError, r"pool_size must be an int or a pair of ints, got 2.0"),
    (((1, 4, 4, 1), True), TypeError, r"pool_size must be an int or a pair of ints, got True"),
    (((1, 4, 4, 1), 2, 0), ValueError, r"stride must be at least 1, got 0"),
    (((1, 4, 4, 1), 2, (1, -1)), ValueError, r"stride must be at least 1, got \(1, -1\)"),
    (((1, 4, 4, 1), 2, None, "full"), ValueError, r"padding must be 'valid' or 'same', got 'full'"),
    (((1, 4, 4, 1), 2, None, 1), ValueError, r"padding must be 'valid' or 'same', got 1"),
    (((1, 3, 5, 1), (4, 2)), ValueError, r"the 4x2 pool is larger than the 3x5 input"),
])
def test_errors(args, error, message):
    shape, *rest = args
    with pytest.raises(error, match=message):
        max_pool2d(np.zeros(shape), *rest)


def test_avg_errors_name_the_function_and_reject_text():
    with pytest.raises(ValueError, match=r"avg_pool2d: the 3x3 pool is larger than the 2x2 input"):
        avg_pool2d(np.zeros((1, 2, 2, 1)), 3)
    with pytest.raises(TypeError, match="x must hold real numbers"):
        avg_pool2d(np.array([[[["a"]]]]), 1)


def test_padding_is_case_insensitive_like_keras():
    x = np.random.default_rng(10).normal(size=(1, 5, 5, 1))
    np.testing.assert_array_equal(max_pool2d(x, 2, padding="SAME"), max_pool2d(x, 2, padding="same"))
