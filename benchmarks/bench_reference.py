"""The reference conv2d against tf.nn.conv2d (float64, CPU), in one run.

    python benchmarks/bench_reference.py [--repeat 5]

Case from issue 3: x (8, 64, 64, 16), w (3, 3, 16, 32), stride 2, padding "same".
Reports the best of --repeat runs for each and the ratio reference / TensorFlow.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import reference  # noqa: E402


def best_of(repeat: int, function) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=(8, 64, 64, 16)), rng.normal(size=(3, 3, 16, 32)), rng.normal(size=32)
    ours = reference.conv2d(x, w, b, stride=2, padding="same")
    theirs = (tf.nn.conv2d(x, w, strides=2, padding="SAME") + b).numpy()
    assert np.allclose(ours, theirs, atol=1e-9), "reference and TensorFlow disagree"
    t_ref = best_of(args.repeat, lambda: reference.conv2d(x, w, b, stride=2, padding="same"))
    t_tf = best_of(args.repeat, lambda: (tf.nn.conv2d(x, w, strides=2, padding="SAME") + b).numpy())
    print(json.dumps({"reference_s": t_ref, "tensorflow_s": t_tf, "ratio": t_ref / t_tf,
                      "shape": list(ours.shape)}, indent=1))


if __name__ == "__main__":
    main()
