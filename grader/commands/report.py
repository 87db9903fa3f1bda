"""Class statistics of an assignment as one self-contained HTML page.

Reads COURSE/autograded/*/NAME/result.json and writes FILE: summary numbers
(results, graded, ungradable, harness errors, not graded yet, roster students
without a submission, late, mean, median),
a score histogram, the failure rate of every hidden check (which mistakes are
common, most failed first), the run-time distribution, the ungradable
submissions and harness errors with their reasons, the late submissions with
their penalties, the students with no submission, and warnings for the TA (e.g.
an unusable timestamp.txt). The plots are PNGs inlined into the page, which loads
nothing from the network: mail it or upload it as is. The page is in the course's
language (``language`` in grader.toml), or in the one --language names.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader.commands.common import add_course_argument, load_course
from grader.i18n import LANGUAGES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME", help="the assignment, e.g. conv2d")
    parser.add_argument("--html", type=Path, required=True, metavar="FILE", help="the page to write")
    add_course_argument(parser)
    parser.add_argument("--db", default=None, metavar="URL",
                        help="gradebook database URL, for manual grades and late penalties "
                             "(default: sqlite COURSE/gradebook.db)")
    parser.add_argument("--language", choices=LANGUAGES, default=None,
                        help="the page's language (default: the course's, `language` in grader.toml)")


def run(args: argparse.Namespace) -> int:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("grader report: needs matplotlib for its plots: pip install matplotlib "
              "(it comes with the project's [keras] extra)", file=sys.stderr)
        return 2
    from grader.report import write_report

    course = load_course(args)
    report = write_report(course, args.name, args.html, args.db, language=args.language)
    summary = report.summary()
    if not summary["n"] and not summary["pending"]:
        print(f"note: no results for {args.name} under {args.course / 'autograded'}: "
              f"run `grader autograde {args.name}` first")
    mean = f"{summary['mean']:.2f}" if summary["mean"] is not None else "-"
    print(f"{args.name}: {summary['n']} result(s) ({summary['graded']} graded, {summary['ungradable']} ungradable, "
          f"{summary['error']} error(s)), mean {mean} of {summary['max_score']:g}; written to {args.html}")
    return 0
