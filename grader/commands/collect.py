"""Import an LMS bulk download (Canvas or Moodle zip) into COURSE/submitted/STUDENT/NAME/NAME.ipynb.

Canvas file names ({sortablename}[_late]_{userid}_{submissionid}_{file}, "-N"
before the extension on a resubmission, any letter in the name): the student id
is the Canvas user id. Moodle ({Full Name}_{participantid}_assignsubmission_file_/{file},
or flattened): the student id is the Moodle participant id. A name is never an
identity: two students with one name are two students. --id-format
sortable-name_userid prefixes the name (nagybence_20002). --roster maps the ids
to your own: Canvas' gradebook export (the Canvas user id becomes the SIS Login
ID) or a CSV with the columns lms_id,student_id (lms_id: the user or participant
id, or else the name); a roster that gives two LMS users one student id is refused
with both files named.

Each student's latest notebook (by the time in the zip, then Canvas' -N) is
imported, with that time in timestamp.txt beside it (nbgrader's format, UTC).
A notebook already collected is replaced only by a newer one: older ones are
listed and not written, and the same zip collected twice changes nothing and
says so. Older notebooks of the zip, non-notebook files and late submissions are
listed; files matching no naming scheme are listed and copied once to
COURSE/submitted/.unmatched/. Unsafe entries (paths with "..", links, files over
100 MiB, zips over 2 GiB unpacked) are never written where they point. Exit
status: 0 when the zip held a student's notebook (collected, or already
collected), 1 when none, 2 when the zip or the roster was refused.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from zoneinfo import ZoneInfoNotFoundError

from grader.collect import ID_FORMATS, CollectError, collect, summary_lines
from grader.commands.common import add_course_argument, load_course


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME", help="the assignment, e.g. conv2d")
    parser.add_argument("--zip", type=Path, required=True, metavar="FILE", help="the LMS bulk download")
    add_course_argument(parser)
    parser.add_argument("--roster", type=Path, default=None, metavar="CSV",
                        help="map LMS ids to student ids: Canvas' gradebook export, or columns lms_id,student_id "
                             "(default: grader.toml's roster)")
    parser.add_argument("--id-format", choices=ID_FORMATS, default="userid",
                        help="the student id of a user the roster lacks (default: userid)")
    parser.add_argument("--timezone", default=None, metavar="TZ",
                        help="the time zone of the times stored in the zip (IANA name, default: grader.toml's "
                             "timezone, else UTC)")


def run(args: argparse.Namespace) -> int:
    course = load_course(args, create=True)
    try:
        report = collect(args.zip, args.name, course.root, roster=args.roster or course.roster_path,
                         timezone=args.timezone or course.config.timezone, id_format=args.id_format)
    except ZoneInfoNotFoundError:
        raise CollectError(f"--timezone {args.timezone!r} is not an IANA time zone such as Europe/Budapest") from None
    for line in summary_lines(report, args.name, course.root):
        print(line)
    return 0 if report.collected or report.unchanged or report.older else 1
