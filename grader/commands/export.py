"""Write a CSV for the LMS: one row per student of the course who submitted or has a result.

Columns: student_id, status, score, max_score, one column per grade cell (in
notebook order), reason.  Scores come from the nbgrader gradebook, so manual
grades count and the totals equal ``nbgrader export``'s; status and reason come
from each student's result.json.  A submission without a result is listed with
status "missing".
"""

from __future__ import annotations

import argparse
from pathlib import Path

from grader.assignment import Assignment, AssignmentError
from grader.export import write_csv



def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME", help="the assignment")
    parser.add_argument("--csv", type=Path, required=True, metavar="FILE", help="the CSV file to write")
    parser.add_argument("--course", type=Path, default=Path("."), help="the course directory (default: .)")
    parser.add_argument("--db", default=None, metavar="URL",
                        help="gradebook database URL (default: sqlite gradebook.db in the course directory)")
    parser.add_argument("--assignments", type=Path, default=None,
                        help="the assignments source folder (default: the package's assignments/)")


def run(args: argparse.Namespace) -> int:
    try:
        assignment = Assignment.find(args.name, args.assignments)
    except AssignmentError as error:
        print(f"export: {error}")
        return 1
    count = write_csv(assignment, args.course, args.csv, args.db)
    print(f"{args.name}: {count} student(s) written to {args.csv}")
    return 0
