"""Loading the shipped digits and making the segmentation set from them (real data, no downloads).

The same functions appear, as locked cells, in the notebooks that need them; the
hidden checks call these ones with the held-out digits and a hidden seed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HOLDOUT = Path(__file__).with_name("data") / "digits_holdout.npz"
BACKGROUND = 0
INK = 0.3


def load_digits(path) -> tuple[np.ndarray, np.ndarray]:
    """Images as float32 in [0, 1] with a channel axis, (N, 28, 28, 1), and int64 labels 0-9."""
    with np.load(path, allow_pickle=False) as data:
        return (data["x"].astype(np.float32) / 255.0)[..., None], data["y"].astype(np.int64)


def holdout_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1,000 held-out digits the hidden checks evaluate on (never released)."""
    return load_digits(HOLDOUT)


def pad_to_32(x: np.ndarray) -> np.ndarray:
    """28x28 digits centred on a 32x32 canvas, the input size of the lecture's LeNet-5."""
    return np.pad(x, ((0, 0), (2, 2), (2, 2), (0, 0)))


def make_segmentation_set(x: np.ndarray, y: np.ndarray, n: int, size: int = 64, max_digits: int = 3,
                          seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` canvases of ``size`` x ``size`` with 1 to ``max_digits`` digits each, and per-pixel labels.

    Returns images (n, size, size, 1) float32 and masks (n, size, size) int64 where
    0 is background and ``1 + d`` marks the ink (intensity > 0.3) of digit ``d``.
    A digit placed later covers the earlier ones where they overlap.
    """
    rng = np.random.default_rng(seed)
    images = np.zeros((n, size, size, 1), np.float32)
    masks = np.full((n, size, size), BACKGROUND, np.int64)
    for i in range(n):
        for _ in range(rng.integers(1, max_digits + 1)):
            k = rng.integers(len(y))
            top, left = rng.integers(0, size - 28 + 1, size=2)
            digit = x[k, :, :, 0]
            window = images[i, top:top + 28, left:left + 28, 0]
            np.maximum(window, digit, out=window)
            masks[i, top:top + 28, left:left + 28][digit > INK] = 1 + y[k]
    return images, masks
