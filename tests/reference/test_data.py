"""The shipped digits: real, pinned, split without overlap; the segmentation canvases they make."""

import hashlib

import numpy as np

from grader.paths import project_root
from reference.data import holdout_digits, load_digits, make_segmentation_set, pad_to_32

ROOT = project_root()
TRAIN_SHA256 = "138a500dba39aec18068123487b1ec92f086c509725f01d54f3a8754dffb16cd"


def content_hash(x, y) -> str:
    return hashlib.sha256(np.ascontiguousarray(x).tobytes() + np.ascontiguousarray(y).tobytes()).hexdigest()


def test_training_copies_are_identical_and_balanced():
    lenet, fcn = (load_digits(ROOT / f"assignments/{name}/digits.npz") for name in ("lenet", "fcn"))
    assert content_hash(*lenet) == content_hash(*fcn) == TRAIN_SHA256
    x, y = lenet
    assert x.shape == (4000, 28, 28, 1) and x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1
    assert np.bincount(y, minlength=10).min() > 350


def test_holdout_is_separate_from_training():
    (x, _), (h, hy) = load_digits(ROOT / "assignments/lenet/digits.npz"), holdout_digits()
    assert h.shape == (1000, 28, 28, 1) and set(hy) == set(range(10))
    train = {img.tobytes() for img in x}
    assert sum(img.tobytes() in train for img in h) == 0


def test_pad_to_32_centres_the_digit():
    x, _ = holdout_digits()
    padded = pad_to_32(x[:2])
    assert padded.shape == (2, 32, 32, 1) and np.array_equal(padded[:, 2:30, 2:30], x[:2])


def test_segmentation_masks_label_the_ink_and_are_reproducible():
    x, y = holdout_digits()
    images, masks = make_segmentation_set(x, y, n=20, seed=7)
    again, same = make_segmentation_set(x, y, n=20, seed=7)
    assert np.array_equal(images, again) and np.array_equal(masks, same)
    assert images.shape == (20, 64, 64, 1) and masks.shape == (20, 64, 64)
    assert set(np.unique(masks)) <= set(range(11)) and (masks > 0).any() and (masks == 0).mean() > 0.5
    assert np.all(images[..., 0][masks > 0] > 0.3)
