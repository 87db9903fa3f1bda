"""Run each Keras solution notebook top to bottom as a student would, then grade it, in one run.

    python benchmarks/bench_keras.py [--assignments lenet transfer fcn] [--json FILE]

For every assignment: the instructor's solution, in the form a student hands it in,
is executed by nbclient in a fresh kernel in a folder holding the released data
(the student's laptop), then graded by ``grader.grade.grade`` in a fresh process
(the sandboxed student program plus the hidden checks, as a grading worker does).
Reported: both wall times and their ratio, the score, the student process tree's
peak memory (from the result document) and the checker process's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import nbformat  # noqa: E402

from grader.assignment import Assignment  # noqa: E402
from grader.sampleclass import submission  # noqa: E402

KERAS_ASSIGNMENTS = ("lenet", "transfer", "fcn")
GOALS_S = {"lenet": 90, "transfer": 90, "fcn": 180}
MEMORY_GOAL_MB = 3 * 1024
RATIO_GOAL = 1.5

# Runs in a fresh interpreter so that its RUSAGE_CHILDREN is the kernel's peak alone.
EXECUTE = """
import json, resource, sys, time
import nbclient, nbformat
notebook = nbformat.read(sys.argv[1], as_version=4)
start = time.perf_counter()
nbclient.NotebookClient(notebook, timeout=900, kernel_name="python3",
                        resources={"metadata": {"path": sys.argv[2]}}).execute()
print(json.dumps({"wall_s": time.perf_counter() - start,
                  "kernel_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""

# Runs in a fresh interpreter so that its RUSAGE_SELF is the checker's peak alone.
GRADE = """
import json, resource, sys
from grader.grade import GradingJob, grade
doc = grade(GradingJob("bench", sys.argv[1], sys.argv[2], sys.argv[3]))
print(json.dumps({"status": doc["status"], "score": doc["score"], "max_score": doc["max_score"],
                  "total_s": doc["timings"]["total_s"], "student_s": doc["timings"].get("student_s"),
                  "student_peak_mb": doc["sandbox"].get("peak_memory_mb"),
                  "memory_cap": doc["sandbox"].get("memory_cap"),
                  "checker_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _python(code: str, *args: str) -> dict:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark step failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(name: str) -> dict:
    """The notebook and grading figures of one assignment, for the same solution notebook."""
    assignment = Assignment.find(name, ROOT / "assignments")
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
        laptop = Path(tmp)
        for data in assignment.release_files():
            (laptop / data.name).write_bytes(data.read_bytes())
        notebook_path = laptop / f"{name}.ipynb"
        nbformat.write(submission(assignment, None), notebook_path)
        notebook = _python(EXECUTE, str(notebook_path), str(laptop))  # executes a copy: the file is unchanged
        graded = _python(GRADE, name, str(notebook_path), str(ROOT / "assignments"))
    return {"assignment": name, "notebook": notebook, "grading": graded,
            "ratio": graded["total_s"] / notebook["wall_s"],
            "memory_mb": (graded["student_peak_mb"] or 0) + graded["checker_rss_mb"]}


def table(rows: list[dict]) -> str:
    """The markdown table that goes into BENCHMARKS.md."""
    lines = ["| assignment | notebook (goal) | grading | grading / notebook | score | student peak | checker RSS "
             "| sum (goal 3 GiB) |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        n, g = r["notebook"], r["grading"]
        lines.append(f"| {r['assignment']} | {n['wall_s']:.0f} s ({GOALS_S[r['assignment']]} s) | {g['total_s']:.0f} s "
                     f"| {r['ratio']:.2f} | {g['score']:g}/{g['max_score']:g} | {g['student_peak_mb']:.0f} MiB "
                     f"({g['memory_cap']}) | {g['checker_rss_mb']:.0f} MiB | {r['memory_mb']:.0f} MiB |")
    return "\n".join(lines)


def verdict(rows: list[dict]) -> list[str]:
    """The goals each assignment misses (empty when all are met)."""
    misses = []
    for r in rows:
        name = r["assignment"]
        if r["notebook"]["wall_s"] > GOALS_S[name]:
            misses.append(f"{name}: notebook {r['notebook']['wall_s']:.0f} s > {GOALS_S[name]} s")
        if r["ratio"] > RATIO_GOAL:
            misses.append(f"{name}: grading/notebook {r['ratio']:.2f} > {RATIO_GOAL}")
        if r["memory_mb"] > MEMORY_GOAL_MB:
            misses.append(f"{name}: memory {r['memory_mb']:.0f} MiB > {MEMORY_GOAL_MB} MiB")
        if r["grading"]["score"] != r["grading"]["max_score"]:
            misses.append(f"{name}: the solution scored {r['grading']['score']}/{r['grading']['max_score']}")
    return misses


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assignments", nargs="+", default=list(KERAS_ASSIGNMENTS), choices=KERAS_ASSIGNMENTS)
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load = os.getloadavg()[0]
    rows = []
    for name in args.assignments:
        print(f"{name}: running the notebook, then grading it ...", file=sys.stderr, flush=True)
        rows.append(measure(name))
    print(f"{started}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average before the run {load:.1f}\n")
    print(table(rows))
    misses = verdict(rows)
    print("\n" + ("all goals met" if not misses else "goals missed:\n  " + "\n  ".join(misses)))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
