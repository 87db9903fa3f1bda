"""The orchestrator's gradebook write per result, with and without one transaction per record.

    python benchmarks/bench_gradebook.py [--n 100] [--rounds 3]

Writes ``n`` new students' conv2d results into fresh SQLite gradebooks, in one run:
- ``nbgrader commits``: nbgrader's helpers commit after each row, as before (three
  commits, three fsyncs, for a new student);
- ``one transaction per result``: what ``GradebookWriter.record`` does now;
- ``one transaction per batch``: ``GradebookWriter.record_many`` (a resumed batch).
Reported: the median over rounds of milliseconds per result, and the ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader import gradebook  # noqa: E402
from grader.assignment import Assignment  # noqa: E402


def results(assignment: Assignment, n: int) -> list[dict]:
    cells = {cell: {"score": points, "max_score": points} for cell, points in assignment.grade_cells.items()}
    return [{"schema": 1, "student": f"student{i:04d}", "assignment": assignment.name, "status": "graded",
             "reason": "", "score": assignment.max_score, "max_score": assignment.max_score, "cells": cells}
            for i in range(n)]


@contextlib.contextmanager
def commit_per_row(session):
    """The old behaviour: nbgrader's own commits stand, and the grades get one more."""
    yield
    session.commit()


def per_result_ms(assignment: Assignment, docs: list[dict], mode: str) -> float:
    with tempfile.TemporaryDirectory() as folder:
        with gradebook.GradebookWriter(gradebook.course_db_url(Path(folder)), assignment) as writer:
            start = time.perf_counter()
            if mode == "batch":
                writer.record_many(docs)
            elif mode == "nbgrader":
                with mock.patch.object(gradebook, "one_transaction", commit_per_row):
                    for doc in docs:
                        writer.record(doc)
            else:
                for doc in docs:
                    writer.record(doc)
            return (time.perf_counter() - start) * 1000 / len(docs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100, help="new students per gradebook")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    assignment = Assignment.find("conv2d", ROOT / "assignments")
    docs = results(assignment, args.n)
    modes = {"nbgrader commits": "nbgrader", "one transaction per result": "record",
             "one transaction per batch": "batch"}
    timings = {label: [] for label in modes}
    for _ in range(args.rounds):  # interleaved, so that the machine's load hits every mode alike
        for label, mode in modes.items():
            timings[label].append(per_result_ms(assignment, docs, mode))
    base = statistics.median(timings["nbgrader commits"])
    print(f"{args.n} new students, {args.rounds} rounds, median ms per result:")
    for label, values in timings.items():
        median = statistics.median(values)
        print(f"  {label:28s} {median:7.1f} ms   ({base / median:.1f}x faster than nbgrader commits)")


if __name__ == "__main__":
    main()
