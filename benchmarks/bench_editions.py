"""What a second language costs: the gate with shared results against grading both editions, and pages.

    python benchmarks/bench_editions.py [--name conv2d] [--pages 200]

In one run, on the same machine:
- `grader gate NAME` as it runs by default (one edition graded, the other proved to be the same
  programs and sharing its results) against `--all-editions` (both graded): wall times and ratio;
- `grader release NAME` (two editions) wall time;
- rendering the feedback page of one real graded result `--pages` times in English and in
  Hungarian (the catalog lookups, Babel's number and date formats): per page and the ratio.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader import feedback, release  # noqa: E402
from grader.assignment import Assignment  # noqa: E402
from grader.gate import run_gate  # noqa: E402
from grader.grade import GradingJob, grade  # noqa: E402
from grader.sampleclass import submission, write_submission  # noqa: E402

os.environ["PATH"] = f"{Path(sys.executable).parent}:{os.environ['PATH']}"  # nbgrader runs alembic


def timed(function) -> tuple[float, object]:
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


def gate_times(assignment: Assignment) -> dict:
    shared_s, (_problems, shared) = timed(lambda: run_gate(assignment))
    both_s, (_problems, both) = timed(lambda: run_gate(assignment, all_editions=True))
    assert all(line.ok for line in shared + both), "the gate failed: fix it before measuring"
    return {"shared_s": shared_s, "all_editions_s": both_s, "ratio": shared_s / both_s,
            "graded_shared": sum(not line.shared_from for line in shared), "graded_all": len(both)}


def page_times(assignment: Assignment, pages: int, scratch: Path) -> dict:
    variant = assignment.variants()[0]
    path = write_submission(scratch, "wrong", assignment.name, submission(assignment, variant, "hu"))
    result = grade(GradingJob("wrong", assignment.name, str(path), str(assignment.root.parent)))
    order = tuple(assignment.grade_cells)
    times = {}
    for language in ("en", "hu"):
        feedback.render(result, order, language=language)  # warm: catalogs and templates load once
        samples = [timed(lambda lang=language: feedback.render(result, order, language=lang))[0]
                   for _ in range(pages)]
        times[language] = statistics.median(samples)
    return {"en_ms": 1000 * times["en"], "hu_ms": 1000 * times["hu"], "ratio_hu_en": times["hu"] / times["en"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="conv2d")
    parser.add_argument("--pages", type=int, default=200)
    args = parser.parse_args()
    assignment = Assignment.find(args.name)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        release_s, _folders = timed(lambda: release.release(assignment, Path(tmp) / "release"))
        pages = page_times(assignment, args.pages, Path(tmp))
    gate = gate_times(assignment)
    print(f"machine: {platform.node()} {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"grader release {args.name} (en + hu): {release_s:.2f} s")
    print(f"grader gate {args.name}: shared {gate['shared_s']:.1f} s ({gate['graded_shared']} notebooks graded), "
          f"--all-editions {gate['all_editions_s']:.1f} s ({gate['graded_all']} graded), "
          f"ratio {gate['ratio']:.2f}")
    print(f"feedback page: en {pages['en_ms']:.2f} ms, hu {pages['hu_ms']:.2f} ms, "
          f"ratio hu/en {pages['ratio_hu_en']:.2f} (median of {args.pages})")


if __name__ == "__main__":
    main()
