"""How long the hidden checks take beyond the student's own code, for plain-loop solutions.

    python benchmarks/bench_checks.py [--repeat 3] [NAME ...]

Grades each assignment's plain-loop alternative (tests/fixtures/NAME/alternatives/loops.py)
through the real sandbox --repeat times and reports the medians of: the whole job, the
student code's own time (program cells and calls, as the runner measures it), and the
difference, which is what the harness and the hidden checks add.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.assignment import Assignment  # noqa: E402
from grader.grade import GradingJob, grade  # noqa: E402
from grader.notebook.variants import read_variant  # noqa: E402
from grader.sampleclass import submission, write_submission  # noqa: E402


def measure(name: str, repeat: int) -> dict:
    assignment = Assignment.find(name)
    notebook = submission(assignment, read_variant(ROOT / "tests/fixtures" / name / "alternatives/loops.py"))
    with tempfile.TemporaryDirectory() as course:
        path = write_submission(Path(course), "loops", name, notebook)
        runs = [grade(GradingJob("loops", name, str(path), str(assignment.root.parent))) for _ in range(repeat)]
    assert all(r["score"] == r["max_score"] for r in runs), f"{name}: the loop solution lost points"
    total = statistics.median(r["timings"]["total_s"] for r in runs)
    student = statistics.median(r["timings"]["student_s"] for r in runs)
    calls = len(runs[0]["checks"])
    return {"job_s": total, "student_s": student, "added_s": total - student, "checks": calls}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", default=["conv2d", "padding_stride", "pooling"])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps({name: measure(name, args.repeat) for name in args.names}, indent=1))


if __name__ == "__main__":
    main()
