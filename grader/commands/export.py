"""Write a CSV for the LMS: one row per student of the course who submitted or has a result.

--format csv (the default) columns: student_id, status, score, max_score, one
column per grade cell (in notebook order), reason.  Scores come from the
nbgrader gradebook, so manual grades count and the totals equal ``nbgrader
export``'s; status and reason come from each student's result.json.  A
submission without a result is listed with status "missing".

--format canvas writes Canvas' gradebook import: Student, ID, SIS User ID, SIS
Login ID, Section and one column for the assignment, after a "Points Possible"
row. Give --roster Canvas' own gradebook export (Grades > Export) so every row
carries the Canvas user id and the assignment column its Canvas id; without it
ID stays empty and the student id goes to SIS Login ID. Scores Canvas should not
touch (harness errors, not graded yet) are left blank.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from grader.assignment import Assignment, AssignmentError
from grader.export import write_canvas_csv, write_csv


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME", help="the assignment")
    parser.add_argument("--csv", type=Path, required=True, metavar="FILE", help="the CSV file to write")
    parser.add_argument("--course", type=Path, default=Path("."), help="the course directory (default: .)")
    parser.add_argument("--db", default=None, metavar="URL",
                        help="gradebook database URL (default: sqlite gradebook.db in the course directory)")
    parser.add_argument("--assignments", type=Path, default=None,
                        help="the assignments source folder (default: the package's assignments/)")
    parser.add_argument("--format", choices=("csv", "canvas"), default="csv",
                        help="csv: the plain export (default); canvas: Canvas' gradebook import")
    parser.add_argument("--roster", type=Path, default=None, metavar="CSV",
                        help="with --format canvas: Canvas' gradebook export, for Canvas ids, names and sections")
    parser.add_argument("--canvas-column", default=None, metavar="TITLE",
                        help="with --format canvas: the assignment column, e.g. 'conv2d (12345)' "
                             "(default: the roster's column for NAME, else NAME)")


def run(args: argparse.Namespace) -> int:
    try:
        assignment = Assignment.find(args.name, args.assignments)
    except AssignmentError as error:
        print(f"export: {error}")
        return 1
    if args.format == "canvas":
        try:
            count, warnings = write_canvas_csv(assignment, args.course, args.csv, args.roster,
                                               args.canvas_column, args.db)
        except ValueError as error:
            print(f"export: {error}")
            return 1
        for warning in warnings:
            print(f"note: {warning}")
        print(f"{args.name}: {count} student(s) written to {args.csv} (Canvas gradebook import)")
        return 0
    count = write_csv(assignment, args.course, args.csv, args.db)
    print(f"{args.name}: {count} student(s) written to {args.csv}")
    return 0
