"""Train the pretrained (előtanított) SOURCE network of the `transfer` assignment and cut its TARGET set.

    python data/pretrain.py            # writes the three files below (about 10-20 s of training on a laptop CPU)
    python data/pretrain.py --out DIR  # the same files under DIR instead (tests use this)

Source task: the digits 0-4 of the 4,000 shipped training digits (``assignments/lenet/digits.npz``),
padded to 32x32 with :func:`reference.data.pad_to_32`. The network is a small LeNet-like CNN built with
the functional API in the shape of the lecture's "Példa: pretraining" slide (convolution and pooling, a
``Flatten`` whose output is the penultimate layer, named ``features``, then a 5-way softmax), but with
ReLU, max pooling and 16/32 filters instead of the slide's LeNet (why: below)::

    image (32, 32, 1) -> conv1 Conv2D(16, 5x5, relu) -> pool1 MaxPooling2D(2x2)
      -> conv2 Conv2D(32, 5x5, relu) -> pool2 MaxPooling2D(2x2) -> features Flatten (800)
      -> probs Dense(5, softmax)                                   17,253 parameters

Why not the lecture's tanh/average-pooling LeNet with a Dense(64) penultimate layer: measured on
the 5-vs-8 target task, its penultimate features are hardly better than raw pixels for a linear head
(hidden accuracy 0.75-0.86 with 20 training images), so transfer learning lost to training from
scratch. The 800 ReLU conv features of this network give 0.87-0.93 (see data/README.md).

Training is deterministic (``keras.utils.set_random_seed(0)``, op determinism, CPU only): a rerun on
the same machine gives the same weights, and anywhere the same source accuracy within about 0.01.

Target task (célfeladat): a binary task the network never saw, digit 5 (label 0) versus digit 8
(label 1). ``target.npz`` holds ``x``/``y`` (the small training set, ``TARGET_TRAIN`` per class) and
``x_val``/``y_val`` (a validation part, ``TARGET_VAL`` per class), uint8 (N, 28, 28) images and
int64 labels, all drawn from the *training* digits. The hidden checks evaluate on the 5s and 8s of
``reference/data/digits_holdout.npz``, which this script never writes anywhere.

Outputs (``--out`` replaces the repository root):

- ``assignments/transfer/pretrained.keras``: the trained network (released to students);
- ``assignments/transfer/target.npz``: the target set (released to students);
- ``data/pretrained.json``: the file's sha256, the source accuracy on the held-out digits 0-4, the
  classes, the architecture, the training settings and the target set's composition.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")  # CPU only: the recorded numbers are CPU numbers
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from reference.data import holdout_digits, load_digits, pad_to_32

DIGITS = "assignments/lenet/digits.npz"
MODEL = "assignments/transfer/pretrained.keras"
TARGET = "assignments/transfer/target.npz"
RECORD = "data/pretrained.json"

SOURCE_CLASSES = [0, 1, 2, 3, 4]
TARGET_CLASSES = [5, 8]  # label 0 for a 5, label 1 for an 8
TARGET_TRAIN = 10        # training images per target class: few, as in the lecture's story
TARGET_VAL = 40          # validation images per target class
TARGET_SEED = 58
SEED = 0
EPOCHS = 6
BATCH_SIZE = 32
LEARNING_RATE = 2e-3


def source_set(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The digits 0-4 of (x, y), padded to 32x32, with their labels 0-4."""
    keep = np.isin(y, SOURCE_CLASSES)
    return pad_to_32(x[keep]), y[keep]


def build_source_network(compiled: bool = True):
    """The source CNN: two conv + max-pooling blocks, ``features`` (Flatten, 800), ``probs`` (5-way softmax)."""
    import keras
    from keras.layers import Conv2D, Dense, Flatten, Input, MaxPooling2D

    inp_t = Input(shape=(32, 32, 1), name="image")
    t = Conv2D(16, (5, 5), activation="relu", name="conv1")(inp_t)
    t = MaxPooling2D(pool_size=(2, 2), name="pool1")(t)
    t = Conv2D(32, (5, 5), activation="relu", name="conv2")(t)
    t = MaxPooling2D(pool_size=(2, 2), name="pool2")(t)
    t1 = Flatten(name="features")(t)
    t = Dense(len(SOURCE_CLASSES), activation="softmax", name="probs")(t1)
    model_pre = keras.Model(inputs=inp_t, outputs=t, name="digits_0_4")
    if compiled:
        model_pre.compile(loss="sparse_categorical_crossentropy",
                          optimizer=keras.optimizers.Adam(LEARNING_RATE), metrics=["accuracy"])
    return model_pre


def train_source_network(digits: Path | None = None):
    """Train the source network deterministically; returns (model, seconds of training)."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(SEED)
    tf.config.experimental.enable_op_determinism()
    x, y = source_set(*load_digits(digits or ROOT / DIGITS))
    model_pre = build_source_network()
    start = time.perf_counter()
    model_pre.fit(x, y, epochs=EPOCHS, batch_size=BATCH_SIZE, shuffle=True, verbose=0)
    return model_pre, time.perf_counter() - start


def source_accuracy(model) -> float:
    """Accuracy on the held-out digits 0-4 (the hidden digits, never released)."""
    x, y = source_set(*holdout_digits())
    predicted = np.argmax(model.predict(x, verbose=0, batch_size=256), axis=1)
    return float(np.mean(predicted == y))


def target_set(digits: Path | None = None) -> dict[str, np.ndarray]:
    """The small 5-vs-8 set from the training digits: uint8 images (N, 28, 28), int64 labels (1 for an 8)."""
    with np.load(digits or ROOT / DIGITS, allow_pickle=False) as data:
        x, y = data["x"], data["y"]
    rng = np.random.default_rng(TARGET_SEED)
    train, val = [], []
    for digit in TARGET_CLASSES:
        chosen = rng.permutation(np.flatnonzero(y == digit))[:TARGET_TRAIN + TARGET_VAL]
        train.append(chosen[:TARGET_TRAIN])
        val.append(chosen[TARGET_TRAIN:])
    train, val = rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(val))
    y_train, y_val = ((y[index] == TARGET_CLASSES[1]).astype(np.int64) for index in (train, val))
    return {"x": x[train], "y": y_train, "x_val": x[val], "y_val": y_val}


def save_pretrained(model_pre, path: Path) -> None:
    """Save the trained weights in an uncompiled copy: students get the network, not Adam's state."""
    released = build_source_network(compiled=False)
    released.set_weights(model_pre.get_weights())
    released.save(path)


def weights_sha256(model) -> str:
    """A hash of the weights alone (the .keras file also stores the date it was saved)."""
    digest = hashlib.sha256()
    for array in model.get_weights():
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT, help="write under this folder instead of the repository")
    out = parser.parse_args(argv).out

    model_pre, seconds = train_source_network()
    accuracy = source_accuracy(model_pre)
    for name in (MODEL, TARGET, RECORD):
        (out / name).parent.mkdir(parents=True, exist_ok=True)
    save_pretrained(model_pre, out / MODEL)
    target = target_set()
    np.savez_compressed(out / TARGET, **target)
    record = {
        "file": MODEL,
        "sha256": file_sha256(out / MODEL),
        "weights_sha256": weights_sha256(model_pre),
        "source_accuracy": round(accuracy, 4),
        "source_accuracy_on": "the held-out digits 0-4 of reference/data/digits_holdout.npz",
        "classes": SOURCE_CLASSES,
        "architecture": [f"{layer.name}: {type(layer).__name__}" for layer in model_pre.layers],
        "parameters": int(model_pre.count_params()),
        "training": {"digits": DIGITS, "images": len(source_set(*load_digits(ROOT / DIGITS))[1]),
                     "epochs": EPOCHS, "batch_size": BATCH_SIZE, "optimizer": f"adam lr={LEARNING_RATE}",
                     "seed": SEED, "seconds": round(seconds, 1)},
        "target": {"file": TARGET, "classes": TARGET_CLASSES, "label_1": TARGET_CLASSES[1],
                   "train_per_class": TARGET_TRAIN, "val_per_class": TARGET_VAL, "seed": TARGET_SEED},
    }
    (out / RECORD).write_text(json.dumps(record, indent=2) + "\n")
    print(f"source accuracy {accuracy:.4f} on the held-out digits 0-4 after {seconds:.1f} s of training; "
          f"wrote {MODEL}, {TARGET}, {RECORD} under {out}")
    return record


if __name__ == "__main__":
    main()
