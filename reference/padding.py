"""Zero padding (kiegészítés) and output sizes, with Keras' exact definition of ``"same"``.

Keras (and TensorFlow) pad ``"same"`` so that the output has ``ceil(n / s)``
positions; the padding needed for that is split with the smaller half *before*
and the larger half *after*, so even kernels or strides above 1 pad asymmetrically.
"""

from __future__ import annotations

import math

import numpy as np


def same_padding(n: int, k: int, stride: int) -> tuple[int, int]:
    """Zeros (before, after) that Keras' ``padding="same"`` adds along an axis of size ``n``."""
    total = max((math.ceil(n / stride) - 1) * stride + k - n, 0)
    return total // 2, total - total // 2


def padding_amounts(n: int, k: int, padding, stride: int) -> tuple[int, int]:
    """(before, after) zeros for ``padding`` = an int p (p each side), ``"valid"`` or ``"same"``."""
    if padding == "same":
        return same_padding(n, k, stride)
    if padding == "valid":
        return 0, 0
    if isinstance(padding, (int, np.integer)) and not isinstance(padding, bool) and padding >= 0:
        return int(padding), int(padding)
    raise ValueError(f"padding must be a non-negative int, 'valid' or 'same', got {padding!r}")


def output_size(n: int, k: int, padding, stride: int) -> int:
    """Output positions along one axis: ``floor((n + before + after - k) / stride) + 1``.

    For an int ``padding`` p this is the lecture's ``floor((n + 2p - k) / s) + 1``;
    ``"valid"`` is p = 0 and ``"same"`` gives ``ceil(n / s)``.
    """
    if stride < 1 or k < 1:
        raise ValueError(f"stride and kernel size must be at least 1, got stride={stride}, k={k}")
    before, after = padding_amounts(n, k, padding, stride)
    if n + before + after < k:
        raise ValueError(f"a kernel of size {k} does not fit an input of size {n} padded by {before}+{after}")
    return (n + before + after - k) // stride + 1


def zero_pad(x, p) -> np.ndarray:
    """Pad the H and W axes of an ``(N, H, W, C)`` array with zeros; batch and channels untouched.

    ``p`` is an int (the same on every side) or ``((top, bottom), (left, right))``.
    """
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"zero_pad: x must be 4-D (N, H, W, C), got shape {x.shape}")
    (top, bottom), (left, right) = ((p, p), (p, p)) if np.ndim(p) == 0 else p
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
