"""data/pretrain.py: the committed pretrained network and target set are the recorded ones, and rebuild.

The network is trained again here (about 15 s of CPU) into a temporary folder, never into the repository.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json

import numpy as np
import pytest

from grader.paths import project_root
from reference.data import holdout_digits, load_digits

ROOT = project_root()
RECORD = json.loads((ROOT / "data" / "pretrained.json").read_text())
TARGET = ROOT / "assignments" / "transfer" / "target.npz"


def pretrain_script():
    """data/pretrain.py imported as a module from its path (data/ is not a package)."""
    spec = importlib.util.spec_from_file_location("pretrain_script", ROOT / "data" / "pretrain.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def as_uint8(x: np.ndarray) -> np.ndarray:
    """load_digits' float32 images back to the stored uint8 pixels (exact: they were k / 255)."""
    return np.rint(x[..., 0] * 255.0).astype(np.uint8)


def test_committed_pretrained_network_has_the_recorded_sha256():
    committed = (ROOT / RECORD["file"]).read_bytes()
    assert hashlib.sha256(committed).hexdigest() == RECORD["sha256"], \
        ("assignments/transfer/pretrained.keras is not the file data/pretrained.json records: "
         "run python data/pretrain.py")
    assert RECORD["classes"] == [0, 1, 2, 3, 4]
    assert 0.95 <= RECORD["source_accuracy"] <= 1.0
    released = ROOT / "release" / "hu" / "transfer" / "pretrained.keras"
    if released.exists():
        assert released.read_bytes() == committed, "release/transfer is stale: run grader release transfer"


def test_target_set_is_the_scripts_and_holds_only_training_digits():
    expected = pretrain_script().target_set()
    with np.load(TARGET, allow_pickle=False) as data:
        stored = {key: data[key] for key in data.files}
    assert sorted(stored) == ["x", "x_val", "y", "y_val"]
    for key, value in expected.items():
        assert stored[key].dtype == value.dtype and np.array_equal(stored[key], value), key
    assert stored["x"].shape == (20, 28, 28) and stored["x"].dtype == np.uint8
    assert stored["x_val"].shape == (80, 28, 28)
    assert np.bincount(stored["y"]).tolist() == [10, 10] and np.bincount(stored["y_val"]).tolist() == [40, 40]

    train_x, train_y = load_digits(ROOT / "assignments" / "lenet" / "digits.npz")
    by_image = {img.tobytes(): int(label) for img, label in zip(as_uint8(train_x), train_y)}
    hidden = {img.tobytes() for img in as_uint8(holdout_digits()[0])}
    images = np.concatenate([stored["x"], stored["x_val"]])
    labels = np.concatenate([stored["y"], stored["y_val"]])
    assert len({img.tobytes() for img in images}) == len(images), "an image is both in training and validation"
    for image, label in zip(images, labels):
        assert image.tobytes() not in hidden, "a hidden digit leaked into the released target set"
        assert by_image[image.tobytes()] == (8 if label == 1 else 5)


@pytest.mark.slow
def test_training_reproduces_the_recorded_source_accuracy(tmp_path):
    record = pretrain_script().main(["--out", str(tmp_path)])
    assert (tmp_path / RECORD["file"]).is_file() and (tmp_path / "data" / "pretrained.json").is_file()
    assert abs(record["source_accuracy"] - RECORD["source_accuracy"]) <= 0.02, \
        f"retrained: {record['source_accuracy']:.4f}, recorded: {RECORD['source_accuracy']:.4f}"
    assert record["parameters"] == RECORD["parameters"] and record["architecture"] == RECORD["architecture"]
