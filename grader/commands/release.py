"""Build the student versions ``release/LANG/NAME/`` from ``assignments/NAME/`` (nbgrader generate_assignment).

One edition per language the source notebook's prose is written in (release/en/NAME, release/hu/NAME).

Assignments are found in the course's folder (--course, grader.toml's
`assignments`) first, then among the package's; without NAME every assignment of
the course is released (the package's six when the course has none of its own),
to release/ beside its assignments folder.  The release never contains
``assignments/NAME/grading/``; it is refused if the notebook quotes a hidden
check's name or the secret seed.  With --check nothing is written: the exit
status is 1 when a committed release differs from a fresh build.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from grader import paths
from grader.assignment import AssignmentError
from grader.commands.common import add_course_argument, load_course
from grader.release import ReleaseError, assignment_names, release, stale_files


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME", help="assignments to release (default: all)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a committed release is out of date")
    add_course_argument(parser)
    parser.add_argument("--release-dir", type=Path, default=None,
                        help="where the student versions go (default: release/ beside each assignment's folder)")


def run(args: argparse.Namespace) -> int:
    course = load_course(args)
    names = args.names or assignment_names(course.assignments_dir) or assignment_names(paths.assignments_root())
    if not names:
        print(f"no assignments under {course.assignments_dir} or {paths.assignments_root()}")
        return 1
    status = 0
    for name in names:
        try:
            assignment = course.assignment(name)
            release_root = args.release_dir or assignment.release_root
            if args.check:
                problems = stale_files(assignment, release_root)
                if problems:
                    status = 1
                    print(f"{name}: STALE: " + "; ".join(problems)
                          + f" (fix: run `grader release {name}` and commit {release_root.name}/*/{name})")
                else:
                    print(f"{name}: up to date")
            else:
                folders = release(assignment, release_root)
                print(f"{name}: released to " + ", ".join(str(folder) for folder in folders))
        except (AssignmentError, ReleaseError) as error:
            status = 1
            print(f"{name}: FAILED: {error}")
    return status
