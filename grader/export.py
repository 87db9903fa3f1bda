"""One CSV row per student of an assignment: status and reason from the results, scores from the gradebook.

Two formats: the plain CSV (:func:`write_csv`, the default) and Canvas' gradebook
import (:func:`write_canvas_csv`).

Student ids, names and reasons are text a student controls: they are read cleaned
(:func:`grader.results.clean`) and written so that no spreadsheet runs them as a
formula (:func:`spreadsheet_safe`).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from grader import paths, results, staleness
from grader.assignment import Assignment
from grader.gradebook import course_db_url, scores

RESULT_FILE = "result.json"
NOT_GRADED = "not graded yet: run grader autograde {name}"
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
    return ["student_id", "status", "score", "max_score", *assignment.grade_cells, "reason"]


def rows(assignment: Assignment, course: Path, db_url: str | None = None) -> list[dict]:
    """The rows of the export, sorted by student id.

    Students are those with a result under ``autograded/`` plus those with a
    submitted notebook but no result yet (status ``missing``).  Scores are
    nbgrader's (manual grades count) and blank when the gradebook holds no
    submission of the student; ``db_url`` defaults to the course's gradebook.
    """
    name = assignment.name
    students = _results(course, name)
    for folder in _student_dirs(course / "submitted"):
        if paths.submitted_notebook(course, folder, name).is_file():
            missing = {"status": "missing", "reason": NOT_GRADED.format(name=name)}
            students.setdefault(results.clean_text(folder), missing)
    default_db = Path(course) / "gradebook.db"
    if db_url is None and not default_db.is_file():
        graded = {}
    else:
        graded = scores(db_url or course_db_url(course), name)
    out = []
    for student in sorted(students):
        result = students[student]
        score = None if result.get("status") == "stale" else graded.get(student)  # never the old score
        row = {"student_id": student, "status": _text(result.get("status")),
               "score": score["score"] if score else "", "max_score": assignment.max_score,
               "reason": _text(result.get("reason"))}
        row.update({cell: score["cells"].get(cell, "") if score else "" for cell in assignment.grade_cells})
        out.append(row)
    return out


def write_csv(assignment: Assignment, course: Path, csv_path: Path, db_url: str | None = None) -> int:
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


def canvas_rows(assignment: Assignment, course: Path, roster_path: Path | None = None,
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
    from grader.collect import read_roster

    roster = read_roster(roster_path) if roster_path is not None else []
    if roster_path is not None and not any(r.canvas_id for r in roster):
        raise ValueError(f"{roster_path}: --format canvas needs Canvas' gradebook export as the roster "
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
    for row in rows(assignment, course, db_url):
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
    return header, out, warnings


def write_canvas_csv(assignment: Assignment, course: Path, csv_path: Path, roster_path: Path | None = None,
                     column: str | None = None, db_url: str | None = None) -> tuple[int, list[str]]:
    """Write the Canvas gradebook import to ``csv_path``; returns (student rows, warnings)."""
    header, data, warnings = canvas_rows(assignment, course, roster_path, column, db_url)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    with open(csv_path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows([spreadsheet_safe(value) for value in row] for row in data)
    return len(data) - 1, warnings


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
