"""Time a re-run of `grader autograde` that has nothing to grade, against the batch that graded the class.

    python benchmarks/bench_noop_rerun.py [--n 12] [--workers 2] [--runs 3] [--checkout DIR]

Builds a conv2d class of ``n`` real submissions (the solution, the stub and the known-wrong
variants, cycled), grades it once with ``grader autograde NAME --course C --quiet``, then runs the
same command ``runs`` times: every notebook is unchanged, so each re-run only re-syncs the gradebook.
Reported: the first run's wall time, the median re-run, their ratio, the command's import floor
(``grader autograde --help``: the same imports, nothing run), and, per re-run, whether Dask was
imported (no cluster can start without it) and how often the doctor's sandbox self-test ran.
``--checkout`` times the grader of another checkout (a ``git worktree`` of an older commit), with
this environment's Python, for a before/after comparison.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_autograde import ENV, machine  # noqa: E402  (this folder is on sys.path: the script's own)

from grader.assignment import Assignment  # noqa: E402
from grader.sampleclass import release_notebook, submission, write_submission  # noqa: E402

# The CLI as the console script runs it, plus two facts printed at exit: was Dask imported, how many self-tests ran.
ORCHESTRATOR = (
    "import sys, grader.doctor; calls = []; examine = grader.doctor.examine\n"
    "grader.doctor.examine = lambda *a, **k: calls.append(1) or examine(*a, **k)\n"
    "from grader.cli import main; code = main(sys.argv[1:])\n"
    "print('NOOP_FACTS', int('distributed' in sys.modules), len(calls), file=sys.stderr); sys.exit(code)"
)


def make_class(course: Path, n: int) -> None:
    assignment = Assignment.find("conv2d")
    pool = [submission(assignment, None), release_notebook(assignment),
            *(submission(assignment, v) for v in assignment.variants())]
    for i in range(n):
        write_submission(course, f"student{i:03d}", "conv2d", pool[i % len(pool)])


def timed(argv: list[str], checkout: Path) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, *argv], cwd=checkout, env=ENV, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return wall, done.stderr


def autograde(course: Path, workers: int, checkout: Path) -> dict:
    wall, stderr = timed(["-c", ORCHESTRATOR, "autograde", "conv2d", "--course", str(course),
                          "--workers", str(workers), "--quiet"], checkout)
    dask, self_tests = (int(v) for v in stderr.split("NOOP_FACTS")[1].split()[:2])
    return {"wall_s": round(wall, 3), "dask_imported": bool(dask), "self_tests": self_tests}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=12, help="class size")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3, help="no-op re-runs (the median is reported)")
    parser.add_argument("--checkout", default=str(ROOT), help="the grader checkout to time (default: this one)")
    args = parser.parse_args()
    checkout = Path(args.checkout).resolve()
    with tempfile.TemporaryDirectory(prefix="bench-noop-") as work:
        course = Path(work) / "course"
        make_class(course, args.n)
        first = autograde(course, args.workers, checkout)
        reruns = [autograde(course, args.workers, checkout) for _ in range(args.runs)]
        floor = statistics.median(timed(["-m", "grader", "autograde", "--help"], checkout)[0]
                                  for _ in range(args.runs))
        shutil.rmtree(course)
    median = statistics.median(r["wall_s"] for r in reruns)
    print(json.dumps({"machine": machine(), "checkout": str(checkout), "n": args.n, "workers": args.workers,
                      "first_run": first, "reruns": reruns, "rerun_median_s": median,
                      "ratio_rerun_to_first": round(median / first["wall_s"], 3),
                      "import_floor_s": round(floor, 3)}, indent=1))


if __name__ == "__main__":
    main()
