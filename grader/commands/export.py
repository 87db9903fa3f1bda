"""Write a CSV for the LMS: one row per student of the course (roster, submission or result).

--format csv (the default) columns: student_id, status, score, max_score, one
column per grade cell (in notebook order), late, seconds_late, late_penalty,
reason.  Scores come from the nbgrader gradebook, so manual grades count, the
late penalty is taken off and the totals equal ``nbgrader export``'s; status and
reason come from each student's result.json.  Statuses: graded, ungradable,
error, stale (resubmitted since it was graded: no score), pending (submitted,
not graded yet), missing (on the roster, no submission).

--format canvas writes Canvas' gradebook import: Student, ID, SIS User ID, SIS
Login ID, Section and one column for the assignment, after a "Points Possible"
row. Give Canvas' own gradebook export (Grades > Export) as the roster (--roster,
or `roster` in grader.toml) so every row carries the Canvas user id and the
assignment column its Canvas id. Scores Canvas should not touch (harness errors,
stale or not graded yet, missing unless grader.toml sets missing_score_zero) are
left blank; late students are listed in the notes.

--format moodle writes Moodle's grading worksheet (Assignment > Upload grading
worksheet), matched by "Participant N".
"""

from __future__ import annotations

import argparse
from pathlib import Path

from grader.commands.common import add_course_argument, load_course
from grader.export import write_canvas_csv, write_csv, write_moodle_csv


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME", help="the assignment")
    parser.add_argument("--csv", type=Path, required=True, metavar="FILE", help="the CSV file to write")
    add_course_argument(parser)
    parser.add_argument("--db", default=None, metavar="URL",
                        help="gradebook database URL (default: sqlite gradebook.db in the course directory)")
    parser.add_argument("--format", choices=("csv", "canvas", "moodle"), default="csv",
                        help="csv: the plain export (default); canvas: Canvas' gradebook import; "
                             "moodle: Moodle's grading worksheet")
    parser.add_argument("--roster", type=Path, default=None, metavar="CSV",
                        help="with --format canvas or moodle: the roster (default: grader.toml's roster)")
    parser.add_argument("--canvas-column", default=None, metavar="TITLE",
                        help="with --format canvas: the assignment column, e.g. 'conv2d (12345)' "
                             "(default: the roster's column for NAME, else NAME)")


def run(args: argparse.Namespace) -> int:
    course = load_course(args)
    assignment = course.assignment(args.name)
    if args.format == "csv":
        count, notes, what = write_csv(assignment, course, args.csv, args.db), [], ""
    elif args.format == "canvas":
        count, notes = write_canvas_csv(assignment, course, args.csv, args.roster, args.canvas_column, args.db)
        what = " (Canvas gradebook import)"
    else:
        count, notes = write_moodle_csv(assignment, course, args.csv, args.roster, args.db)
        what = " (Moodle grading worksheet)"
    for note in notes:
        print(f"note: {note}")
    print(f"{args.name}: {count} student(s) written to {args.csv}{what}")
    return 0
