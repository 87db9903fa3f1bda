"""The cost of the trust boundary, before and after a change, measured in one run.

    python benchmarks/bench_boundary.py [--before REV] [--n 8]

The revision ``--before`` (default: the last commit before the round-2 boundary) is checked
out into a temporary git worktree; both checkouts then grade the same notebooks in fresh
interpreters, alternating, on this machine:

- harness overhead per numpy submission: a conv2d solution's job wall time minus the time the
  student code itself ran (median of ``--n``; goal at most 0.5 s);
- the transfer solution: grading time over the notebook's own run time (goal at most 1.5),
  and the peak memory of the whole grading process tree (goal at most 3 GiB);
- a 40 KB .keras file that declares two Dense(14000) layers (about 200 million parameters)
  through the model gate: the peak memory of the process tree and how long it took (after only:
  before, that file was built in the checker itself, 9.4 GB).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEFORE = "ad23f97"

# Grades one notebook in a fresh interpreter and samples the RSS of its whole process tree.
GRADE = """
import json, sys, threading, psutil
from grader.grade import GradingJob, grade
peak, stop = [0], threading.Event()
def sample():
    me = psutil.Process()
    while not stop.wait(0.05):
        try:
            tree = [me, *me.children(recursive=True)]
            peak[0] = max(peak[0], sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
threading.Thread(target=sample, daemon=True).start()
doc = grade(GradingJob("bench", sys.argv[1], sys.argv[2], sys.argv[3]))
stop.set()
print(json.dumps({"score": doc["score"], "max_score": doc["max_score"], "total_s": doc["timings"]["total_s"],
                  "student_s": doc["timings"].get("student_s") or 0.0, "tree_peak_mb": peak[0] / 2**20}))
"""

HOSTILE_MODEL = """
import io, json, sys, threading, time, zipfile, psutil
from grader.config import AssignmentConfig
from grader.sandbox.errors import StudentCodeError
from grader.sandbox.models import load_model_bytes
layers = [{"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
           "config": {"batch_shape": [None, 14000], "dtype": "float32", "name": "input"}}]
layers += [{"module": "keras.layers", "class_name": "Dense", "registered_name": None,
            "config": {"units": 14000, "name": f"d{i}", "activation": "linear"}} for i in range(2)]
config = {"module": "keras", "class_name": "Sequential", "registered_name": None,
          "config": {"name": "huge", "layers": layers}}
buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w") as archive:
    archive.writestr("metadata.json", json.dumps({"keras_version": "3.0.0"}))
    archive.writestr("config.json", json.dumps(config))
peak, stop = [0], threading.Event()
def sample():
    me = psutil.Process()
    while not stop.wait(0.05):
        try:
            peak[0] = max(peak[0], sum(p.memory_info().rss for p in [me, *me.children(recursive=True)]))
        except psutil.Error:
            pass
threading.Thread(target=sample, daemon=True).start()
start = time.perf_counter()
try:
    load_model_bytes(buffer.getvalue(), set(AssignmentConfig().allowed_layers),
                     max_params=AssignmentConfig().max_model_params)
    outcome = "loaded"
except StudentCodeError as error:
    outcome = str(error)
stop.set()
print(json.dumps({"bytes": len(buffer.getvalue()), "outcome": outcome, "seconds": time.perf_counter() - start,
                  "tree_peak_mb": peak[0] / 2**20}))
"""


def python(root: Path, code: str, *args: str) -> dict:
    """Run ``code`` with ``root`` as the project; its last stdout line is JSON."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, cwd=root)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark step failed in {root}:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def solution_notebook(root: Path, name: str, folder: Path) -> Path:
    """The instructor's solution as a student hands it in, written into ``folder`` with the released data."""
    code = ("import sys, nbformat; from pathlib import Path; from grader.assignment import Assignment; "
            "from grader.sampleclass import submission; a = Assignment.find(sys.argv[1], Path('assignments')); "
            "nbformat.write(submission(a, None), sys.argv[2]); "
            "[(Path(sys.argv[3]) / f.name).write_bytes(f.read_bytes()) for f in a.release_files()]; print('{}')")
    path = folder / f"{name}.ipynb"
    python(root, code, name, str(path), str(folder))
    return path


def notebook_seconds(path: Path) -> float:
    """The solution notebook's own run time, top to bottom in a fresh kernel (a student's laptop)."""
    code = ("import json, sys, time, nbclient, nbformat; nb = nbformat.read(sys.argv[1], as_version=4); "
            "t = time.perf_counter(); nbclient.NotebookClient(nb, timeout=900, kernel_name='python3', "
            "resources={'metadata': {'path': sys.argv[2]}}).execute(); "
            "print(json.dumps({'s': time.perf_counter() - t}))")
    return python(ROOT, code, str(path), str(path.parent))["s"]


def measure(roots: dict[str, Path], n: int, work: Path) -> dict:
    figures = {label: {"overheads": []} for label in roots}
    conv = solution_notebook(ROOT, "conv2d", work / "conv2d")
    for _ in range(n):
        for label, root in roots.items():
            done = python(root, GRADE, "conv2d", str(conv), str(root / "assignments"))
            figures[label]["overheads"].append(done["total_s"] - done["student_s"])
    transfer = solution_notebook(ROOT, "transfer", work / "transfer")
    notebook_s = notebook_seconds(transfer)
    for label, root in roots.items():
        done = python(root, GRADE, "transfer", str(transfer), str(root / "assignments"))
        figures[label].update(transfer=done, transfer_ratio=done["total_s"] / notebook_s)
    return {"figures": figures, "notebook_s": notebook_s, "hostile_model": python(ROOT, HOSTILE_MODEL)}


def report(found: dict, before: str) -> str:
    lines = [f"| | before ({before}) | after | goal |", "|---|---:|---:|---|"]
    b, a = found["figures"]["before"], found["figures"]["after"]
    lines.append(f"| numpy harness overhead per submission (median of {len(a['overheads'])}) | "
                 f"{statistics.median(b['overheads']):.2f} s | {statistics.median(a['overheads']):.2f} s | ≤ 0.5 s |")
    lines.append(f"| transfer: grading / notebook ({found['notebook_s']:.0f} s) | {b['transfer_ratio']:.2f} | "
                 f"{a['transfer_ratio']:.2f} | ≤ 1.5 |")
    lines.append(f"| transfer: peak memory of the grading process tree | {b['transfer']['tree_peak_mb']:.0f} MiB | "
                 f"{a['transfer']['tree_peak_mb']:.0f} MiB | ≤ 3 GiB |")
    lines.append(f"| transfer: score of the solution | {b['transfer']['score']:g} | {a['transfer']['score']:g} | "
                 f"{a['transfer']['max_score']:g} |")
    h = found["hostile_model"]
    lines.append(f"| a {h['bytes'] / 1024:.0f} KB .keras declaring 2 × Dense(14000): peak tree memory, time | "
                 f"9.4 GB (issue 10) | {h['tree_peak_mb']:.0f} MiB, {h['seconds']:.1f} s | ≤ 3 GiB |")
    return "\n".join(lines) + f"\n\nThe hostile model file was refused: {h['outcome']}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", default=BEFORE, help="the revision to compare with (default: %(default)s)")
    parser.add_argument("--n", type=int, default=8, help="numpy submissions graded by each checkout")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-boundary-") as tmp:
        work = Path(tmp)
        (work / "conv2d").mkdir()
        (work / "transfer").mkdir()
        before = work / "before"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(before), args.before],
                       check=True, capture_output=True)
        try:
            found = measure({"before": before, "after": ROOT}, args.n, work)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(before)], check=False)
    print(f"{os.cpu_count()} cores, Python {platform.python_version()}: python benchmarks/bench_boundary.py")
    print(report(found, args.before))
    return 0


if __name__ == "__main__":
    sys.exit(main())
