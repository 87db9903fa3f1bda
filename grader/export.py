"""One CSV row per student of an assignment: status and reason from the results, scores from the gradebook."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from grader import paths
from grader.assignment import Assignment
from grader.gradebook import course_db_url, scores

RESULT_FILE = "result.json"
NOT_GRADED = "not graded yet: run grader autograde {name}"


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
    for student in _student_dirs(course / "submitted"):
        if paths.submitted_notebook(course, student, name).is_file():
            students.setdefault(student, {"status": "missing", "reason": NOT_GRADED.format(name=name)})
    default_db = Path(course) / "gradebook.db"
    if db_url is None and not default_db.is_file():
        graded = {}
    else:
        graded = scores(db_url or course_db_url(course), name)
    out = []
    for student in sorted(students):
        result, score = students[student], graded.get(student)
        row = {"student_id": student, "status": result.get("status", ""),
               "score": score["score"] if score else "", "max_score": assignment.max_score,
               "reason": result.get("reason", "")}
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
        writer.writerows(data)
    return len(data)


def _results(course: Path, name: str) -> dict[str, dict]:
    """The result document of every student of ``name`` under ``autograded/`` (unreadable ones as errors)."""
    found = {}
    for student in _student_dirs(course / "autograded"):
        path = paths.autograded_dir(course, student, name) / RESULT_FILE
        if not path.is_file():
            continue
        try:
            result = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            result = {"status": "error", "reason": f"unreadable {path}: {error}"}
        found[student] = result if isinstance(result, dict) else {"status": "error", "reason": f"{path} is not a result"}
    return found


def _student_dirs(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
