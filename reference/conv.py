"""2D convolution layers as the course defines them (lecture 10).

Like Keras' ``Conv2D`` and ``tf.nn.conv2d`` these compute a *cross-correlation*:
the kernel is not flipped.  Arrays are channels-last (NHWC), kernels are
``(U, V, P, Q)``: a ``U x V`` window over ``P`` input channels for each of ``Q``
filters.  By default only "valid" positions are computed (no padding, stride 1);
``conv2d`` also takes the lecture's other hyperparameters, zero padding
(kiegészítés) and stride (lépésköz), with Keras' exact ``padding="same"``.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from reference.padding import padding_amounts, zero_pad


def correlate2d(x, w) -> np.ndarray:
    """Single-channel valid cross-correlation, the lecture's formula.

    ``y[i, j] = sum_u sum_v x[i + u, j + v] * w[u, v]`` (no kernel flip).

    Args:
        x: input image, shape ``(H, W)``.
        w: kernel, shape ``(U, V)`` with ``1 <= U <= H`` and ``1 <= V <= W``.

    Returns:
        float64 array of shape ``(H - U + 1, W - V + 1)``.
    """
    x = _real_array(x, "correlate2d", "x")
    w = _real_array(w, "correlate2d", "w")
    _expect_ndim(x, 2, "(H, W)", "correlate2d", "x")
    _expect_ndim(w, 2, "(U, V)", "correlate2d", "w")
    _check_kernel_fits(x.shape, w.shape, "correlate2d")
    return conv2d(x[None, :, :, None], w[:, :, None, None], np.zeros(1))[0, :, :, 0]


def conv2d(x, w, b, stride=1, padding=0) -> np.ndarray:
    """Multi-channel, multi-filter cross-correlation plus a bias per filter, with padding and stride.

    On the zero-padded input ``xp`` this is
    ``y[n, i, j, q] = b[q] + sum_u sum_v sum_p xp[n, s*i + u, s*j + v, p] * w[u, v, p, q]``,
    which is what ``keras.layers.Conv2D(Q, (U, V), strides=s, padding=...)`` computes
    (before its activation).  With the defaults it is the valid, stride-1 convolution.

    Args:
        x: batch of images, shape ``(N, H, W, P)``.
        w: kernels, shape ``(U, V, P, Q)``.
        b: biases, shape ``(Q,)``.
        stride: step of the window, an int ``s >= 1`` or a pair ``(s_h, s_w)``.
        padding: an int ``p >= 0`` (``p`` zeros on every side of H and W), ``"valid"``
            (no padding) or ``"same"`` (Keras': ``ceil(H / s_h) x ceil(W / s_w)`` outputs, the
            smaller half of the padding before, the larger after).

    Returns:
        float64 array of shape ``(N, H', W', Q)`` with
        ``H' = floor((H + top + bottom - U) / s_h) + 1`` (``output_size``), likewise ``W'``.
    """
    x = _real_array(x, "conv2d", "x")
    w = _real_array(w, "conv2d", "w")
    b = _real_array(b, "conv2d", "b")
    _expect_ndim(x, 4, "(N, H, W, P)", "conv2d", "x")
    _expect_ndim(w, 4, "(U, V, P, Q)", "conv2d", "w")
    if x.shape[3] != w.shape[2]:
        raise ValueError(f"conv2d: x has P={x.shape[3]} input channels (x.shape[3]) but w expects "
                         f"P={w.shape[2]} (w.shape[2]); x {x.shape}, w {w.shape}")
    if b.shape != (w.shape[3],):
        raise ValueError(f"conv2d: b must have shape (Q,) = ({w.shape[3]},), one bias per filter; "
                         f"got {b.shape}")
    s_h, s_w = _strides(stride, "conv2d")
    (u, v), (h, w_) = w.shape[:2], x.shape[1:3]
    if u < 1 or v < 1:
        raise ValueError(f"conv2d: the kernel must be at least 1x1, got {u}x{v}")
    pads = padding_amounts(h, u, padding, s_h), padding_amounts(w_, v, padding, s_w)
    if pads != ((0, 0), (0, 0)):
        x = zero_pad(x, pads)  # a new array: the caller's x is never written to
    _check_kernel_fits(x.shape[1:3], (u, v), "conv2d", (h, w_))
    # windows[n, i, j, p, u, v] = xp[n, s_h*i + u, s_w*j + v, p]: a strided view, nothing is copied.
    windows = sliding_window_view(x, (u, v), axis=(1, 2))[:, ::s_h, ::s_w]
    return np.ascontiguousarray(np.einsum("nijpuv,uvpq->nijq", windows, w, optimize=True) + b)


def _strides(stride, function: str) -> tuple[int, int]:
    """``stride`` (an int or a pair of ints, each at least 1) as ``(s_h, s_w)``."""
    pair = (stride, stride) if np.ndim(stride) == 0 else tuple(stride)
    if len(pair) != 2 or not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 1
                                 for s in pair):
        raise ValueError(f"{function}: stride must be an int >= 1 or a pair of them, got {stride!r}")
    return int(pair[0]), int(pair[1])


def _real_array(value, function: str, name: str) -> np.ndarray:
    """``value`` as a float64 array (the caller's own array when it already is one: never write to it)."""
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{function}: {name} must hold real numbers, got dtype {array.dtype}")
    return array.astype(np.float64, copy=False)


def _expect_ndim(array: np.ndarray, ndim: int, layout: str, function: str, name: str) -> None:
    if array.ndim != ndim:
        raise ValueError(f"{function}: {name} must be {ndim}-D {layout}, got shape {array.shape}")


def _check_kernel_fits(image: tuple, kernel: tuple, function: str, unpadded: tuple | None = None) -> None:
    """Reject empty kernels and kernels larger than the (padded) image (the output would be empty)."""
    (h, w), (u, v) = image, kernel
    if u < 1 or v < 1:
        raise ValueError(f"{function}: the kernel must be at least 1x1, got {u}x{v}")
    if u > h or v > w:
        if unpadded is not None and tuple(unpadded) != (h, w):
            raise ValueError(f"{function}: the {u}x{v} kernel is larger than the {unpadded[0]}x{unpadded[1]} "
                             f"input padded to {h}x{w}")
        raise ValueError(f"{function}: the {u}x{v} kernel is larger than the {h}x{w} input; "
                         f"'valid' cross-correlation needs U <= H and V <= W")
