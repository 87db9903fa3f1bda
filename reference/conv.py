"""2D convolution layers as the course defines them (lecture 10).

Like Keras' ``Conv2D`` and ``tf.nn.conv2d`` these compute a *cross-correlation*:
the kernel is not flipped.  Arrays are channels-last (NHWC), kernels are
``(U, V, P, Q)``: a ``U x V`` window over ``P`` input channels for each of ``Q``
filters.  Only "valid" positions are computed (no padding, stride 1).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


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


def conv2d(x, w, b) -> np.ndarray:
    """Multi-channel, multi-filter valid cross-correlation plus a bias per filter.

    ``y[n, i, j, q] = b[q] + sum_u sum_v sum_p x[n, i + u, j + v, p] * w[u, v, p, q]``,
    which is what ``keras.layers.Conv2D(Q, (U, V))`` computes (before its activation).

    Args:
        x: batch of images, shape ``(N, H, W, P)``.
        w: kernels, shape ``(U, V, P, Q)``.
        b: biases, shape ``(Q,)``.

    Returns:
        float64 array of shape ``(N, H - U + 1, W - V + 1, Q)``.
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
    _check_kernel_fits(x.shape[1:3], w.shape[:2], "conv2d")
    # windows[n, i, j, p, u, v] = x[n, i + u, j + v, p]: a view, nothing is copied.
    windows = sliding_window_view(x, w.shape[:2], axis=(1, 2))
    return np.ascontiguousarray(np.einsum("nijpuv,uvpq->nijq", windows, w, optimize=True) + b)


def _real_array(value, function: str, name: str) -> np.ndarray:
    """``value`` as a float64 array (the caller's own array when it already is one: never write to it)."""
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{function}: {name} must hold real numbers, got dtype {array.dtype}")
    return array.astype(np.float64, copy=False)


def _expect_ndim(array: np.ndarray, ndim: int, layout: str, function: str, name: str) -> None:
    if array.ndim != ndim:
        raise ValueError(f"{function}: {name} must be {ndim}-D {layout}, got shape {array.shape}")


def _check_kernel_fits(image: tuple, kernel: tuple, function: str) -> None:
    """Reject empty kernels and kernels larger than the image (valid output would be empty)."""
    (h, w), (u, v) = image, kernel
    if u < 1 or v < 1:
        raise ValueError(f"{function}: the kernel must be at least 1x1, got {u}x{v}")
    if u > h or v > w:
        raise ValueError(f"{function}: the {u}x{v} kernel is larger than the {h}x{w} input; "
                         f"'valid' cross-correlation needs U <= H and V <= W")
