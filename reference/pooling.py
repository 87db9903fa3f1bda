"""Max and average pooling (pooling réteg, downsampling) as Keras defines them (lecture 10).

Arrays are channels-last (NHWC) and every channel is pooled on its own.  Like
``keras.layers.MaxPooling2D`` / ``AveragePooling2D``:

- ``stride`` defaults to the pool size (non-overlapping windows);
- ``"valid"`` uses only windows that fit inside the input:
  ``floor((n - k) / s) + 1`` positions per axis;
- ``"same"`` gives ``ceil(n / s)`` positions; the missing cells are added with
  :func:`reference.padding.same_padding` (the smaller half before, the larger
  after), and they never count: they cannot win a max and are left out of an
  average, which divides by the number of *real* cells in the window.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from reference.padding import same_padding


def max_pool2d(x, pool_size, stride=None, padding="valid") -> np.ndarray:
    """Largest value of every ``ph x pw`` window, channel by channel (``keras.layers.MaxPooling2D``).

    Args:
        x: batch of images, shape ``(N, H, W, C)``.
        pool_size: window size, an int or ``(ph, pw)``.
        stride: step between windows, an int or ``(sh, sw)``; None (default) means the pool size.
        padding: ``"valid"`` or ``"same"`` (Keras' definition; padded cells never win).

    Returns:
        float64 array of shape ``(N, H', W', C)``.
    """
    x, pool, step, pads = _prepare(x, pool_size, stride, padding, "max_pool2d")
    padded = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)), constant_values=-np.inf)
    windows = _windows(padded, pool, step)
    return np.ascontiguousarray(windows.max(axis=(-2, -1)))


def avg_pool2d(x, pool_size, stride=None, padding="valid") -> np.ndarray:
    """Mean of every ``ph x pw`` window, channel by channel (``keras.layers.AveragePooling2D``).

    With ``padding="same"`` a window that reaches over the border averages only
    the real cells it covers (as Keras and TensorFlow do), not the padding.

    Args:
        x: batch of images, shape ``(N, H, W, C)``.
        pool_size: window size, an int or ``(ph, pw)``.
        stride: step between windows, an int or ``(sh, sw)``; None (default) means the pool size.
        padding: ``"valid"`` or ``"same"``.

    Returns:
        float64 array of shape ``(N, H', W', C)``.
    """
    x, pool, step, pads = _prepare(x, pool_size, stride, padding, "avg_pool2d")
    padded = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    sums = _windows(padded, pool, step).sum(axis=(-2, -1))
    # Real cells per window: a product of per-axis counts, since the padding is a frame.
    counts = [_real_cells(x.shape[axis], pool[i], step[i], pads[i]) for i, axis in enumerate((1, 2))]
    return np.ascontiguousarray(sums / np.multiply.outer(*counts)[None, :, :, None])


# ----------------------------------------------------------------------------- helpers

def _prepare(x, pool_size, stride, padding, function: str):
    """Validate the arguments: (float64 x, (ph, pw), (sh, sw), ((top, bottom), (left, right)))."""
    array = np.asarray(x)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{function}: x must hold real numbers, got dtype {array.dtype}")
    if array.ndim != 4:
        raise ValueError(f"{function}: x must be 4-D (N, H, W, C), got shape {array.shape}")
    x = array.astype(np.float64, copy=False)
    pool = _pair(pool_size, "pool_size", function)
    step = pool if stride is None else _pair(stride, "stride", function)
    mode = padding.lower() if isinstance(padding, str) else None
    if mode not in ("valid", "same"):
        raise ValueError(f"{function}: padding must be 'valid' or 'same', got {padding!r}")
    h, w = x.shape[1:3]
    if mode == "valid":
        if pool[0] > h or pool[1] > w:
            raise ValueError(f"{function}: the {pool[0]}x{pool[1]} pool is larger than the {h}x{w} input; "
                             f"'valid' pooling needs pool_size <= (H, W) (or use padding='same')")
        return x, pool, step, ((0, 0), (0, 0))
    if h < 1 or w < 1:
        raise ValueError(f"{function}: the input must be at least 1x1, got {h}x{w}")
    return x, pool, step, (same_padding(h, pool[0], step[0]), same_padding(w, pool[1], step[1]))


def _pair(value, name: str, function: str) -> tuple[int, int]:
    """An int or a pair of ints, each at least 1, as a tuple (Keras accepts both)."""
    items = (value, value) if np.ndim(value) == 0 else tuple(value)
    if len(items) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))
                                  for v in items):
        raise TypeError(f"{function}: {name} must be an int or a pair of ints, got {value!r}")
    if min(items) < 1:
        raise ValueError(f"{function}: {name} must be at least 1, got {value!r}")
    return int(items[0]), int(items[1])


def _windows(padded: np.ndarray, pool: tuple[int, int], step: tuple[int, int]) -> np.ndarray:
    """view[n, i, j, c, u, v] = padded[n, i * sh + u, j * sw + v, c]: no copy."""
    return sliding_window_view(padded, pool, axis=(1, 2))[:, ::step[0], ::step[1]]


def _real_cells(n: int, k: int, s: int, pads: tuple[int, int]) -> np.ndarray:
    """How many of the ``k`` cells of each window along an axis lie inside the unpadded input."""
    before, after = pads
    starts = np.arange((n + before + after - k) // s + 1) * s - before
    return (np.minimum(starts + k, n) - np.maximum(starts, 0)).astype(np.float64)

