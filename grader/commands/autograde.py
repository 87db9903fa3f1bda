"""Grade every submission of an assignment in a course directory.

Reads ``COURSE/submitted/STUDENT/NAME/NAME.ipynb``, grades each one in the
sandbox against the hidden checks, writes ``COURSE/autograded/STUDENT/NAME/result.json``
and the scores into the nbgrader gradebook (``COURSE/gradebook.db`` unless --db).
Already graded notebooks (same sha256) are skipped unless --force.
Exit status 0 when every submission got a result (graded or ungradable).
"""

from __future__ import annotations

import sys

from grader.autograde import autograde
from grader.cluster import client_factory
from grader.commands.common import add_course_argument, load_course, print_table, require_sandbox


def add_arguments(parser) -> None:
    parser.add_argument("name", help="assignment name, e.g. conv2d")
    add_course_argument(parser)
    parser.add_argument("--workers", type=int, default=None, help="local worker processes (default: CPU count)")
    parser.add_argument("--scheduler", default=None, help="address of a running Dask scheduler, tcp://HOST:8786")
    parser.add_argument("--force", action="store_true",
                        help="regrade notebooks that already have a result (an interrupted forced run is finished "
                             "by the next run, with or without --force)")
    parser.add_argument("--student", action="append", default=None, metavar="ID",
                        help="grade only this student (repeatable); with --force, regrade exactly them")
    parser.add_argument("--db", default=None, help="gradebook database URL (default: sqlite COURSE/gradebook.db)")
    parser.add_argument("--unsafe-no-sandbox", action="store_true",
                        help="run student code unconfined (only where bubblewrap cannot work; "
                             "recorded in every result)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar and no table")


def run(args) -> int:
    course = load_course(args)
    assignment = course.assignment(args.name)
    confined = require_sandbox(args.unsafe_no_sandbox, course.root)
    summary = autograde(course, assignment, force=args.force, confined=confined, db_url=args.db,
                        client_factory=client_factory(args.workers, args.scheduler), progress=not args.quiet,
                        students=args.student)
    if summary.interrupted:
        done = summary.graded + summary.ungradable + len(summary.errors)
        print(f"interrupted: {done} of {summary.to_grade} graded; run the same command to finish", file=sys.stderr)
        return 130
    if not args.quiet:
        print_table(sorted(summary.rows))
    print(f"{assignment.name}: {summary.graded} graded, {summary.ungradable} ungradable, "
          f"{len(summary.errors)} errors, {summary.skipped} unchanged (skipped)")
    for line in summary.warnings:
        print(f"warning: {line}", file=sys.stderr)
    for line in summary.errors:
        print(f"error: {line}", file=sys.stderr)
    return 0 if summary.ok else 1
