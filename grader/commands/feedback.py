"""Write one HTML feedback page per graded student: scores, each check's outcome and message.

Pages go to COURSE/feedback/STUDENT/NAME/NAME.html. They never contain hidden
test code or hidden inputs. A result that cannot be read or rendered is reported
(exit status 1) and the other students' pages are still written. Each page is in the
language of its notebook's edition (the course's language for a notebook that names
none); --language writes every page in one language.
"""

from __future__ import annotations

import sys

from grader.commands.common import add_course_argument, load_course
from grader.feedback import write_feedback
from grader.i18n import LANGUAGES


def add_arguments(parser) -> None:
    parser.add_argument("name", help="assignment name, e.g. conv2d")
    add_course_argument(parser)
    parser.add_argument("--db", default=None, help="gradebook database URL, for manual grades and comments "
                                                   "(default: sqlite COURSE/gradebook.db)")
    parser.add_argument("--language", choices=LANGUAGES, default=None,
                        help="write every page in this language (default: each in its notebook's edition's)")


def run(args) -> int:
    course = load_course(args)
    course.assignment(args.name)  # an unknown name is a one-line error, not zero pages
    pages, problems = write_feedback(course, args.name, args.db, language=args.language)
    print(f"{args.name}: wrote {len(pages)} feedback page(s) under {course.root / 'feedback'}")
    for problem in problems:
        print(f"error: no page for {problem}", file=sys.stderr)
    return 1 if problems else 0
