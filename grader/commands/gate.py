"""Prove an assignment is ready to release.

Grades, through the same sandbox and hidden checks as real submissions: the
instructor's solution (must score full marks), the released stub (must score
0), and every known-wrong variant in grading/variants/ (each must lose points
on the checks it names in its '# targets:' line). Also checks that the checks'
points add up to each graded cell's points. Exit status 0 only if all hold.

Every edition (release/LANG/NAME) is gated: one is graded, and each other edition's notebooks share
its results where they are the same program (only the visible tests' messages differ), which the
gate proves for each; --all-editions grades every edition in full.
"""

from __future__ import annotations

from grader.commands.common import add_course_argument, load_course, require_sandbox
from grader.gate import run_gate
from grader.i18n import LANGUAGES


def add_arguments(parser) -> None:
    parser.add_argument("name", help="assignment name, e.g. conv2d")
    add_course_argument(parser)
    parser.add_argument("--workers", type=int, default=None, help="parallel gradings (default: CPU count)")
    parser.add_argument("--unsafe-no-sandbox", action="store_true", help="run without bubblewrap")
    parser.add_argument("--graded-edition", choices=LANGUAGES, default=None,
                        help="the edition graded in full (default: the source notebook's first language)")
    parser.add_argument("--all-editions", action="store_true",
                        help="grade every edition in full instead of sharing results between identical programs")


def run(args) -> int:
    assignment = load_course(args).assignment(args.name)
    problems, lines = run_gate(assignment, confined=require_sandbox(args.unsafe_no_sandbox), workers=args.workers,
                               graded_edition=args.graded_edition, all_editions=args.all_editions)
    for problem in problems:
        print(f"FAIL  {problem}")
    width = max(len(line.student) for line in lines)
    for line in lines:
        mark = "ok  " if line.ok else "FAIL"
        shared = f"  (same program as {line.shared_from}: its result)" if line.shared_from else ""
        print(f"{mark}  {line.edition}  {line.student.ljust(width)}  {line.score:g}/{line.max_score:g}  "
              f"expected {line.expected}" + (f"  -- {line.problem}" if line.problem else "") + shared)
    passed = not problems and all(line.ok for line in lines)
    print(f"gate {args.name}: {'PASSED' if passed else 'FAILED'}")
    return 0 if passed else 1
