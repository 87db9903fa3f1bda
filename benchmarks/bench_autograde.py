"""Grade a generated conv2d class with `grader autograde` and with `nbgrader autograde`, in one run.

    python benchmarks/bench_autograde.py [--n 40] [--large 200] [--workers 2]

Both tools get the same real notebooks (the instructor's solution, the known-wrong
variants and two correct alternatives, cycled). nbgrader runs the visible tests
only; ours adds the sandbox and the hidden checks. Reported: wall times and their
ratio, the harness's per-submission overhead (job wall time minus the student
code's own time), and the orchestrator's peak RSS for the small and the large class.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader import results  # noqa: E402
from grader.assignment import Assignment  # noqa: E402
from grader.notebook.variants import read_variants  # noqa: E402
from grader.sampleclass import submission, write_submission  # noqa: E402

ENV = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
ORCHESTRATOR = (
    "import resource, sys; from grader.cli import main; code = main(sys.argv[1:]); "
    "print('PEAK_RSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); sys.exit(code)"
)


def make_class(course: Path, assignment: Assignment, n: int) -> None:
    """n submissions cycling through the solution, the variants and the correct alternatives."""
    pool = [None, *assignment.variants(), *read_variants(ROOT / "tests/fixtures/conv2d/alternatives")]
    pool = [v for v in pool if v is None or v.expect != "zero"]
    notebooks = [submission(assignment, v) for v in pool]
    for i in range(n):
        write_submission(course, f"student{i:04d}", assignment.name, notebooks[i % len(notebooks)])


def run_ours(course: Path, workers: int) -> dict:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", ORCHESTRATOR, "autograde", "conv2d", "--course", str(course),
                           "--workers", str(workers), "--quiet", "--force"],
                          env=ENV, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    rss_kb = int(done.stderr.split("PEAK_RSS_KB")[1].split()[0])
    docs = [results.read(p) for p in (course / "autograded").glob("*/conv2d/result.json")]
    overhead = [d["timings"]["total_s"] - d["timings"].get("student_s", 0) for d in docs]
    student = [d["timings"].get("student_s", 0) for d in docs]
    return {"wall_s": wall, "peak_rss_mb": rss_kb / 1024, "overhead_median_s": statistics.median(overhead),
            "student_median_s": statistics.median(student), "graded": len(docs)}


def run_nbgrader(course: Path, ours: Path, assignment: Assignment) -> dict:
    (course / "source" / "conv2d").mkdir(parents=True)
    shutil.copy(assignment.source_path, course / "source" / "conv2d" / "conv2d.ipynb")
    (course / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.root = %r\n" % str(course))
    subprocess.run(["nbgrader", "generate_assignment", "conv2d", "--force"], cwd=course, env=ENV,
                   capture_output=True, check=True)
    shutil.copytree(ours / "submitted", course / "submitted")
    start = time.perf_counter()
    subprocess.run(["nbgrader", "autograde", "conv2d", "--force"], cwd=course, env=ENV, capture_output=True, check=True)
    return {"wall_s": time.perf_counter() - start}


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    return f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=40, help="class size compared with nbgrader")
    parser.add_argument("--large", type=int, default=200, help="larger class for the memory figure (0: skip)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--workdir", default=str(ROOT / ".bench"))
    args = parser.parse_args()
    work = Path(args.workdir)
    shutil.rmtree(work, ignore_errors=True)
    assignment = Assignment.find("conv2d")
    make_class(work / "ours", assignment, args.n)
    ours = run_ours(work / "ours", args.workers)
    theirs = run_nbgrader(work / "nbgrader", work / "ours", assignment)
    report = {"machine": machine(), "n": args.n, "workers": args.workers, "ours": ours, "nbgrader": theirs,
              "ratio": ours["wall_s"] / theirs["wall_s"]}
    if args.large:
        make_class(work / "large", assignment, args.large)
        report["large"] = {"n": args.large, **run_ours(work / "large", args.workers)}
    (work / "report.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
