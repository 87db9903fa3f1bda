"""Arguments and output shared by several subcommands."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

from grader.cluster import before_cluster
from grader.course import CONFIG_FILE, Course
from grader.doctor import examine
from grader.errors import UserError
from grader.sandbox.bwrap import SandboxUnavailable, probe


def add_course_argument(parser) -> None:
    parser.add_argument("--course", type=Path, default=Path("."),
                        help=f"the course directory, with its {CONFIG_FILE} (default: the current directory)")


def load_course(args, create: bool = False) -> Course:
    """The course of ``--course``, its grader.toml read (a bad one is a one-line error naming the file).

    A course directory that does not exist is an error, unless ``create`` (``grader new``) makes it.
    """
    if create:
        args.course.mkdir(parents=True, exist_ok=True)
    if not args.course.is_dir():
        raise UserError(f"{args.course}: no such course directory (--course names the folder that holds "
                        f"submitted/ and {CONFIG_FILE})")
    return Course.load(args.course)


def require_sandbox(unsafe: bool, course: Path | None = None) -> bool:
    """True when the sandbox works and confines (the doctor's probes); else exit, or with ``unsafe`` warn.

    With a ``course`` (``grader autograde``) and without ``unsafe``, only bubblewrap's quick probe runs
    here: the full self-test, which starts a sandbox, runs just before the batch starts or joins its
    Dask cluster (:func:`grader.cluster.before_cluster`) and exits there when it fails. A re-run with
    nothing to grade skips it; no submission is graded without it. ``unsafe`` needs the answer now.
    """

    def refuse(problem: SandboxUnavailable) -> bool:
        if not unsafe:
            sys.exit(f"error: {problem}")
        print(f"WARNING: grading WITHOUT a sandbox: {problem}", file=sys.stderr)
        return False

    def self_test() -> bool:
        failed = [f.claim for f in examine(course) if not f.ok]
        if failed:
            return refuse(SandboxUnavailable("the sandbox self-test failed: " + "; ".join(failed)
                                             + " (see `grader doctor`)"))
        return True

    try:
        probe()
    except SandboxUnavailable as problem:
        return refuse(problem)
    if course is None or unsafe:
        return self_test()
    before_cluster(self_test)
    return True


def print_table(rows: list[tuple]) -> None:
    """student | status | score | reason, aligned for a terminal."""
    header = ("student", "status", "score", "reason")
    lines = [(s, status, f"{score:g}/{total:g}", textwrap.shorten(reason, 70, placeholder=" ..."))
             for s, status, score, total, reason in rows]
    widths = [max(len(str(r[i])) for r in [header, *lines]) for i in range(3)]
    for row in [header, *lines]:
        print("  ".join(str(v).ljust(w) for v, w in zip(row[:3], widths)) + "  " + row[3])
