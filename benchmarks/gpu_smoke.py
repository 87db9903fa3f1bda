"""Grade the Keras solution notebooks on this machine's GPU and print scores and timings.

    python benchmarks/gpu_smoke.py [NAME ...]        (default: lenet transfer fcn)

Run it on a GPU grading worker. It reports which devices TensorFlow sees, then grades each
assignment's instructor solution through the normal job (sandbox with the GPU device nodes
bound in, TF32 off, deterministic ops) and prints score, wall time and the student code's
time. Where bubblewrap is missing it grades unconfined and says so.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.assignment import Assignment  # noqa: E402
from grader.grade import GradingJob, grade  # noqa: E402
from grader.sampleclass import submission, write_submission  # noqa: E402
from grader.sandbox.bwrap import SandboxUnavailable, probe  # noqa: E402


def devices() -> list[str]:
    import tensorflow as tf

    return [d.name for d in tf.config.list_physical_devices()]


def main() -> None:
    names = sys.argv[1:] or ["lenet", "transfer", "fcn"]
    try:
        probe()
        confined = True
    except SandboxUnavailable as problem:
        print(f"WARNING: no sandbox here ({problem}); grading unconfined")
        confined = False
    print("TensorFlow devices in the checker:", ", ".join(devices()))
    rows = {}
    with tempfile.TemporaryDirectory() as course:
        for name in names:
            assignment = Assignment.find(name)
            path = write_submission(Path(course), "solution", name, submission(assignment, None))
            start = time.perf_counter()
            result = grade(GradingJob("solution", name, str(path), str(assignment.root.parent), confined))
            rows[name] = {"score": f"{result['score']:g}/{result['max_score']:g}",
                          "wall_s": round(time.perf_counter() - start, 1),
                          "student_s": result["timings"].get("student_s"),
                          "peak_memory_mb": result["sandbox"].get("peak_memory_mb"),
                          "failed": [c["name"] for c in result["checks"] if c["outcome"] != "passed"]}
            print(name, json.dumps(rows[name]), flush=True)
    print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
