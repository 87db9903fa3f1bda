"""Start a new assignment from a scaffold that passes the release gate as generated.

Writes into the course directory (--course, default .; the assignments folder
named in its grader.toml, default assignments/), never into the installed
package: assignments/NAME/NAME.ipynb (nbgrader source: an intro, a locked imports
cell, one solution cell NAME_impl defining solve(x), one graded test cell
NAME_tests), assignments/NAME/grading/ (checks.py with one hidden check,
config.toml with a fresh secret seed, variants/wrong.py with one known-wrong
variant) and reference/NAME.py beside the assignments folder (the function the check
compares with).
Never overwrites: an existing assignment, release or reference module of that
name is refused.

Then: fill in the notebook, the reference, the checks and the variants; run
`grader release NAME` and `grader gate NAME`; commit.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from grader.commands.common import add_course_argument, load_course
from grader.scaffold import new_assignment


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME", help="the new assignment's name, a Python identifier, e.g. attention")
    add_course_argument(parser)


def run(args: argparse.Namespace) -> int:
    course = load_course(args, create=True)
    root = course.assignments_dir.parent
    written = new_assignment(args.name, root, course.assignments_dir.name)
    for path in written:
        print(f"wrote {path}")
    where = "" if course.root.resolve() == Path.cwd() else f" --course {course.root}"
    print(f"next: edit them, then `grader release {args.name}{where}` and `grader gate {args.name}{where}`; commit "
          f"{course.config.assignments}/{args.name}, reference/{args.name}.py and release/{args.name}")
    return 0
