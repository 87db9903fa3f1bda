"""Build the student versions ``release/NAME/`` from ``assignments/NAME/`` (nbgrader generate_assignment).

Without NAME every assignment is released.  The release never contains
``assignments/NAME/grading/``; it is refused if the notebook quotes a hidden
check's name or the secret seed.  With --check nothing is written: the exit
status is 1 when a committed release differs from a fresh build.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from grader import paths
from grader.assignment import Assignment, AssignmentError
from grader.release import ReleaseError, assignment_names, release, stale_files


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME", help="assignments to release (default: all)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a committed release is out of date")
    parser.add_argument("--assignments", type=Path, default=None,
                        help="the assignments source folder (default: the package's assignments/)")
    parser.add_argument("--release-dir", type=Path, default=None,
                        help="where the student versions go (default: the package's release/)")


def run(args: argparse.Namespace) -> int:
    assignments = args.assignments or paths.assignments_root()
    release_root = args.release_dir or paths.release_root()
    names = args.names or assignment_names(assignments)
    if not names:
        print(f"no assignments under {assignments}")
        return 1
    status = 0
    for name in names:
        try:
            assignment = Assignment.find(name, assignments)
            if args.check:
                problems = stale_files(assignment, release_root)
                if problems:
                    status = 1
                    print(f"{name}: STALE: " + "; ".join(problems)
                          + f" (fix: run `grader release {name}` and commit {release_root.name}/{name})")
                else:
                    print(f"{name}: up to date")
            else:
                print(f"{name}: released to {release(assignment, release_root)}")
        except (AssignmentError, ReleaseError) as error:
            status = 1
            print(f"{name}: FAILED: {error}")
    return status
