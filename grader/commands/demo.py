"""Run the whole product once on a sample class.

Checks that release/ is up to date, builds a class in COURSE/submitted (the
instructor's solution, the released stub, every known-wrong variant, a few
hostile submissions and a broken file), grades it on a local Dask cluster in
the sandbox, writes feedback pages and NAME.csv, and prints the table.
"""

from __future__ import annotations

from pathlib import Path

from grader.commands.common import print_table, require_sandbox
from grader.demo import run_demo
from grader.release import assignment_names


def add_arguments(parser) -> None:
    parser.add_argument("names", nargs="*", help="assignments (default: all)")
    parser.add_argument("--course", default="demo-course", help="folder for the sample class (default: demo-course)")
    parser.add_argument("--workers", type=int, default=None, help="local worker processes (default: CPU count)")
    parser.add_argument("--unsafe-no-sandbox", action="store_true", help="run without bubblewrap")


def run(args) -> int:
    course = Path(args.course)
    summaries = run_demo(course, args.names or assignment_names(), workers=args.workers,
                         confined=require_sandbox(args.unsafe_no_sandbox))
    for name, summary in summaries.items():
        print(f"\n== {name} ==")
        print_table(sorted(summary.rows))
        print(f"{summary.graded} graded, {summary.ungradable} ungradable, {len(summary.errors)} errors")
    print(f"\nresults: {course}/autograded  feedback: {course}/feedback  gradebook: {course}/gradebook.db  "
          f"CSV: {', '.join(str(course / f'{n}.csv') for n in summaries)}")
    return 0 if all(s.ok for s in summaries.values()) else 1
