"""Start a new assignment from a scaffold that passes the release gate as generated.

Writes assignments/NAME/NAME.ipynb (nbgrader source: an intro, a locked imports
cell, one solution cell NAME_impl defining solve(x), one graded test cell
NAME_tests), assignments/NAME/grading/ (checks.py with one hidden check,
config.toml with a fresh secret seed, variants/wrong.py with one known-wrong
variant) and reference/NAME.py (the function the check compares with).
Never overwrites: an existing assignment, release or reference module of that
name is refused.

Then: fill in the notebook, the reference, the checks and the variants; run
`grader release NAME` and `grader gate NAME`; commit.
"""

from __future__ import annotations

import argparse
import sys

from grader import paths
from grader.scaffold import new_assignment


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME", help="the new assignment's name, a Python identifier, e.g. attention")


def run(args: argparse.Namespace) -> int:
    root = paths.project_root()
    try:
        written = new_assignment(args.name, root)
    except ValueError as error:
        print(f"grader new: {error}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path.relative_to(root)}")
    print(f"next: edit them, then `grader release {args.name}` and `grader gate {args.name}`; commit "
          f"assignments/{args.name}, reference/{args.name}.py and release/{args.name}")
    return 0
