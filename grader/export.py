"""One CSV row per student of an assignment: status and reason from the results, scores from the gradebook.

Three formats: the plain CSV (:func:`write_csv`, the default), Canvas' gradebook
import (:func:`write_canvas_csv`) and Moodle's grading worksheet (:func:`write_moodle_csv`).
Lateness is a column of the plain CSV; Canvas' import would turn an extra column
into a new assignment, so there it is a note printed for the TA, and in Moodle's
worksheet it goes to the feedback comment.

Student ids, names and reasons are text a student controls: they are read cleaned
(:func:`grader.results.clean`) and written so that no spreadsheet runs them as a
formula (:func:`spreadsheet_safe`).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from grader import gradebook, paths, results, staleness
from grader.assignment import Assignment
from grader.course import Course, as_course
from grader.late import late_text
from grader.roster import RosterError, RosterRow, read_roster

RESULT_FILE = "result.json"
NOT_GRADED = "not graded yet: run grader autograde {name}"
NO_SUBMISSION = "no submission"
LATE_COLUMNS = ("late", "seconds_late", "late_penalty")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
WARNING_REASON_CHARS = 200
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def spreadsheet_safe(value):
    """``value`` as a CSV cell that no spreadsheet runs as a formula (OWASP's CSV injection advice).

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    leading single quote; numbers, and text that is just a number, are left as they are.
    """
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def columns(assignment: Assignment) -> list[str]:
    """The CSV header: fixed columns around one column per grade cell, in notebook order."""
    return ["student_id", "status", "score", "max_score", *assignment.grade_cells, *LATE_COLUMNS, "reason"]


def rows(assignment: Assignment, course: Path | Course, db_url: str | None = None,
         roster: list[RosterRow] | None = None) -> list[dict]:
    """The rows of the export, sorted by student id: every student with a result, a submission or a roster row.

    Statuses: a result's own (``graded``, ``ungradable``, ``error``, or ``stale``
    when the notebook changed since), ``pending`` for a submission without a result
    yet, ``missing`` for a roster student with no submission.  Scores are nbgrader's
    (manual grades count, the late penalty is taken off) and blank when the gradebook
    holds none; a missing student scores 0 only with ``missing_score_zero`` in the
    course config.  ``db_url`` defaults to the course's gradebook, ``roster`` to the course's.
    """
    course = as_course(course)
    name = assignment.name
    students = _results(course.root, name)
    for folder in _student_dirs(course.root / "submitted"):
        if (course.root / "submitted" / folder / name).is_dir():
            pending = {"status": "pending", "reason": NOT_GRADED.format(name=name)}
            students.setdefault(results.clean_text(folder), pending)
    for row in course.roster if roster is None else roster:
        students.setdefault(row.student_id, {"status": "missing", "reason": NO_SUBMISSION})
    graded = gradebook.course_scores(course, name, db_url)
    return [_row(assignment, course, student, students[student], graded.get(student)) for student in sorted(students)]


def _row(assignment: Assignment, course: Course, student: str, result: dict, score: dict | None) -> dict:
    status = _text(result.get("status"))
    if status == "stale":
        score = None  # never the old score
    late = score["seconds_late"] if score else 0.0
    row = {"student_id": student, "status": status, "score": score["score"] if score else "",
           "max_score": assignment.max_score, "late": "yes" if late > 0 else "",
           "seconds_late": round(late) if late > 0 else "",
           "late_penalty": score["late_penalty"] if score and score["late_penalty"] else "",
           "reason": _text(result.get("reason"))}
    if status == "missing" and course.config.missing_score_zero:
        row["score"] = 0.0
    row.update({cell: score["cells"].get(cell, "") if score else "" for cell in assignment.grade_cells})
    return row


def write_csv(assignment: Assignment, course: Path | Course, csv_path: Path, db_url: str | None = None) -> int:
    """Write the export of ``assignment`` to ``csv_path``; returns the number of student rows."""
    data = rows(assignment, course, db_url)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    with open(csv_path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns(assignment))
        writer.writeheader()
        writer.writerows({key: spreadsheet_safe(value) for key, value in row.items()} for row in data)
    return len(data)


CANVAS_FIXED = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
POINTS_POSSIBLE = "Points Possible"


def canvas_column(assignment: Assignment, roster_path: Path | None = None) -> str:
    """The assignment's column title: the roster's ``NAME (12345)`` column when it has one, else ``NAME``.

    Canvas matches an import column to an existing assignment by the id in
    parentheses; a title without an id makes Canvas offer to create a new assignment.
    """
    if roster_path is not None:
        with open(roster_path, newline="", encoding="utf-8-sig") as handle:
            header = [h.strip() for h in next(csv.reader(handle), [])]
        pattern = re.compile(rf"^{re.escape(assignment.name)}\s*\(\d+\)$", re.I)
        found = [h for h in header if pattern.match(h)]
        if len(found) == 1:
            return found[0]
    return assignment.name


def canvas_rows(assignment: Assignment, course: Path | Course, roster_path: Path | None = None,
                column: str | None = None, db_url: str | None = None) -> tuple[list[str], list[list], list[str]]:
    """(header, rows, warnings) of a CSV that Canvas' gradebook import accepts.

    The header is Canvas' own (``Student, ID, SIS User ID, SIS Login ID, Section``)
    plus one assignment column; the first row is ``Points Possible``.  With
    ``roster_path`` (Canvas' gradebook export) each student id is matched with
    the roster's SIS Login ID, SIS User ID or Canvas ID and the row gets the
    Canvas user id, name and section; without it (or for a student the roster
    lacks) ``ID`` stays empty and the student id goes to ``SIS Login ID``.
    A score is blank (Canvas leaves the grade unchanged) when the gradebook has
    none: a harness error or a submission not graded yet.
    """
    course = as_course(course)
    roster_path, roster = _roster(course, roster_path)
    if roster_path is not None and not any(r.canvas_id for r in roster):
        raise RosterError(f"{roster_path}: --format canvas needs Canvas' gradebook export as the roster "
                         "(columns Student, ID, SIS User ID, SIS Login ID, Section)")
    by_key: dict[str, object] = {}
    for field in ("student_id", "sis_login_id", "sis_user_id", "canvas_id"):
        for row in roster:
            if getattr(row, field):
                by_key.setdefault(getattr(row, field), row)
    title = column or canvas_column(assignment, roster_path)
    header = [*CANVAS_FIXED, title]
    out: list[list] = [[POINTS_POSSIBLE, "", "", "", "", _number(assignment.max_score)]]
    warnings = []
    for row in rows(assignment, course, db_url, roster):
        student = row["student_id"]
        score = "" if row["score"] == "" else _number(row["score"])
        match = by_key.get(student)
        if match is None:
            if roster_path is not None:
                warnings.append(f"{student}: not in the roster; Canvas must find them by SIS Login ID")
            out.append([student, "", "", student, "", score])
        else:
            out.append([match.name or student, match.canvas_id, match.sis_user_id,
                        match.sis_login_id or student, match.section, score])
        if score == "":
            reason = row["reason"][:WARNING_REASON_CHARS]
            warnings.append(f"{student}: no score ({row['status']}: {reason}); left blank")
        if row["late"]:
            warnings.append(f"{student}: late by {late_text(row['seconds_late'])}"
                            + (f", {row['late_penalty']:g} point(s) taken off" if row["late_penalty"] else ""))
    return header, out, warnings


def write_canvas_csv(assignment: Assignment, course: Path | Course, csv_path: Path, roster_path: Path | None = None,
                     column: str | None = None, db_url: str | None = None) -> tuple[int, list[str]]:
    """Write the Canvas gradebook import to ``csv_path``; returns (student rows, warnings)."""
    header, data, warnings = canvas_rows(assignment, course, roster_path, column, db_url)
    _write_rows(csv_path, header, data)
    return len(data) - 1, warnings


MOODLE_COLUMNS = ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
                  "Last modified (submission)", "Feedback comments"]
_TRAILING_ID = re.compile(r"(?:^|_)(\d+)$")


def moodle_rows(assignment: Assignment, course: Path | Course, roster_path: Path | None = None,
                db_url: str | None = None) -> tuple[list[list], list[str]]:
    """(rows, warnings) of Moodle's grading worksheet (Assignment > Upload grading worksheet).

    Moodle matches a row by its ``Identifier``, "Participant N": N is the roster's
    ``lms_id`` for the student, else the student id when collect made it from the
    participant id (``12345`` or ``name_12345``).  A student with no participant
    id is left out and named in the warnings; a score Moodle should not touch is blank.
    """
    course = as_course(course)
    roster_path, roster = _roster(course, roster_path)
    by_student = {row.student_id: row for row in roster}
    out, warnings = [], []
    for row in rows(assignment, course, db_url, roster):
        student = row["student_id"]
        found = by_student.get(student)
        participant = found.lms_id if found and found.lms_id.isdigit() else _trailing_id(student)
        if not participant:
            warnings.append(f"{student}: no Moodle participant id (give a roster with lms_id); left out")
            continue
        late = f"late by {late_text(row['seconds_late'])}" if row["late"] else ""
        out.append([f"Participant {participant}", found.name if found else "", found.email if found else "",
                    row["status"], "" if row["score"] == "" else _number(row["score"]), _number(assignment.max_score),
                    "", late])
    return out, warnings


def write_moodle_csv(assignment: Assignment, course: Path | Course, csv_path: Path, roster_path: Path | None = None,
                     db_url: str | None = None) -> tuple[int, list[str]]:
    """Write Moodle's grading worksheet to ``csv_path``; returns (student rows, warnings)."""
    data, warnings = moodle_rows(assignment, course, roster_path, db_url)
    _write_rows(csv_path, MOODLE_COLUMNS, data)
    return len(data), warnings


def _roster(course: Course, roster_path: Path | None) -> tuple[Path | None, list[RosterRow]]:
    """(path, rows) of the roster given on the command line, else the course's; (None, []) without one."""
    roster_path = roster_path or course.roster_path
    return roster_path, read_roster(roster_path) if roster_path is not None else []


def _trailing_id(student: str) -> str:
    found = _TRAILING_ID.search(student)
    return found.group(1) if found else ""


def _write_rows(csv_path: Path, header: list[str], data: list[list]) -> None:
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    with open(csv_path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows([spreadsheet_safe(value) for value in row] for row in data)


def _number(value) -> str:
    """A score as Canvas shows it: 3.5, 10 (no trailing .0)."""
    text = f"{float(value):.4f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _results(course: Path, name: str) -> dict[str, dict]:
    """The cleaned result of every student of ``name`` under ``autograded/`` (unreadable ones as errors).

    Keyed by the cleaned folder name, which is the student id.
    """
    found = {}
    for folder in _student_dirs(course / "autograded"):
        path = paths.autograded_dir(course, folder, name) / RESULT_FILE
        if not path.is_file():
            continue
        try:
            result = results.load(path)
        except (OSError, ValueError) as error:
            result = {"status": "error", "reason": results.clean_text(f"unreadable {RESULT_FILE}: {error}")}
        if not isinstance(result, dict):
            result = {"status": "error", "reason": f"{RESULT_FILE} is not a result"}
        found[results.clean_text(folder)] = staleness.current(course, folder, name, result)
    return found


def _text(value: object) -> str:
    """A result field as CSV text ("" for a missing one)."""
    return "" if value is None else value if isinstance(value, str) else str(value)


def _student_dirs(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
