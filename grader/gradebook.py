"""Scores into nbgrader's gradebook, so formgrader, manual grading and ``nbgrader export`` keep working.

Only ``Grade.auto_score`` is ever written for a student; ``manual_score`` (a TA's
grade) is never touched, and nbgrader's ``Grade.score`` prefers it.  Every write
is idempotent: recording the same result again leaves the same state.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import json
from pathlib import Path
from typing import Iterator

import nbgrader.api
from alembic.script import ScriptDirectory
from nbgrader import utils as nbutils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.dbutil import ALEMBIC_DIR
from nbgrader.preprocessors import ClearOutput, ClearSolutions, ComputeChecksums, LockCells

from grader import late
from grader.assignment import Assignment
from grader.course import Course, as_course
from grader.errors import UserError
from grader.timestamps import parse_timestamp


class GradebookError(UserError):
    """The gradebook can not take these scores (e.g. the notebook changed after submissions)."""


def course_db_url(course: Path) -> str:
    """The SQLAlchemy URL of the course's ``gradebook.db`` (nbgrader's default location)."""
    return f"sqlite:///{Path(course).resolve() / 'gradebook.db'}"


def alembic_head() -> str:
    """nbgrader's migration head, read in-process from its alembic scripts.

    nbgrader itself runs ``alembic heads`` in a subprocess whenever it creates a
    gradebook: about 5 s here, and ``FileNotFoundError: 'alembic'`` when the venv
    is not activated. Reading the same scripts in-process takes 0.2 s and needs no PATH.
    """
    return ScriptDirectory(ALEMBIC_DIR).get_current_head()


nbgrader.api.get_alembic_version = alembic_head


@contextlib.contextmanager
def open_gradebook(db_url: str) -> Iterator[Gradebook]:
    """nbgrader's ``Gradebook`` at ``db_url`` (created if missing), closed on exit."""
    with Gradebook(db_url) as gb:
        yield gb


def ensure_assignment(gb: Gradebook, assignment: Assignment) -> None:
    """Create or update the assignment, its notebook and its cells as ``nbgrader generate_assignment`` would.

    Grade, solution and source cells are stored like nbgrader's ``SaveCells``
    (sources and checksums of the student version).  Changing the set of cells
    of a notebook that already has submissions is refused, as nbgrader does.
    """
    name = assignment.name
    wanted = _cells(assignment)
    gb.update_or_create_assignment(name)
    try:
        notebook = gb.find_notebook(name, name)
    except MissingEntry:
        notebook = None
    if notebook is not None and _stored_cells(notebook) != {kind: set(cells) for kind, cells in wanted.items()}:
        if notebook.submissions:
            raise GradebookError(f"the cells of {name}.ipynb changed but the gradebook already holds "
                                 f"{len(notebook.submissions)} submission(s) of it; nbgrader can not re-map them")
        gb.remove_notebook(name, name)
        notebook = None
    if notebook is None:
        kernelspec = assignment.source.metadata.get("kernelspec", {})
        gb.add_notebook(name, name, kernelspec=json.dumps(kernelspec))
    for cell_id, info in wanted["grade"].items():
        gb.update_or_create_grade_cell(cell_id, name, name, **info)
    for cell_id in wanted["solution"]:
        gb.update_or_create_solution_cell(cell_id, name, name)
    for cell_id, info in wanted["source"].items():
        gb.update_or_create_source_cell(cell_id, name, name, **info)


def _cells(assignment: Assignment) -> dict[str, dict[str, dict]]:
    """What nbgrader's SaveCells stores, computed from the student version of the source."""
    nb, resources = copy.deepcopy(assignment.source), {}
    for preprocessor in (LockCells(), ClearSolutions(), ClearOutput(), ComputeChecksums()):
        nb, resources = preprocessor.preprocess(nb, resources)
    cells: dict[str, dict[str, dict]] = {"grade": {}, "solution": {}, "source": {}}
    for cell in nb.cells:
        cell_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if nbutils.is_grade(cell):
            cells["grade"][cell_id] = {"max_score": float(cell.metadata.nbgrader["points"]),
                                       "cell_type": cell.cell_type}
        if nbutils.is_solution(cell):
            cells["solution"][cell_id] = {}
        if nbutils.is_grade(cell) or nbutils.is_solution(cell) or nbutils.is_locked(cell):
            cells["source"][cell_id] = {"cell_type": cell.cell_type, "locked": nbutils.is_locked(cell),
                                        "source": cell.source,
                                        "checksum": cell.metadata.nbgrader.get("checksum")}
    return cells


def _stored_cells(notebook) -> dict[str, set[str]]:
    return {"grade": {c.name for c in notebook.grade_cells},
            "solution": {c.name for c in notebook.solution_cells},
            "source": {c.name for c in notebook.source_cells}}


@contextlib.contextmanager
def one_transaction(session) -> Iterator[None]:
    """Run nbgrader's helpers, which commit after every row, as one transaction with one commit.

    Each commit of a SQLite gradebook is an fsync (~90 ms on a busy disk): a new student took
    three. Inside the block their commits only flush; on an error everything is rolled back.
    """
    session.commit = session.flush  # the instance attribute shadows Session.commit
    try:
        yield
    except BaseException:
        del session.commit
        session.rollback()
        raise
    del session.commit
    session.commit()


class GradebookWriter:
    """The gradebook held open for a batch: the assignment is ensured once, then one commit per record."""

    def __init__(self, db_url: str, assignment: Assignment):
        self.db_url = db_url
        self.assignment = assignment
        self._stack = contextlib.ExitStack()
        self._gb: Gradebook | None = None

    def __enter__(self) -> "GradebookWriter":
        self._gb = self._stack.enter_context(open_gradebook(self.db_url))
        ensure_assignment(self._gb, self.assignment)
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    def apply_course(self, course: Course, students: set[str] | None = None) -> None:
        """Write the course's due date, extensions, late penalties and roster into the gradebook (one commit).

        With ``students``, only their extensions and penalties (a run that graded only them).
        """
        with one_transaction(self._gb.db):
            apply_course(self._gb, self.assignment.name, course, students)

    def record(self, result: dict) -> None:
        """Write one result's auto scores in one transaction (``error`` results write nothing)."""
        self.record_many([result])

    def record_many(self, results: list[dict]) -> None:
        """Write the auto scores of ``results`` in one transaction: all of them or none."""
        with one_transaction(self._gb.db):
            for result in results:
                if result.get("status") != "error":
                    self._write(result)

    def _write(self, result: dict) -> None:
        student, submitted_at, auto = _auto_scores(self.assignment, result)
        gb, name = self._gb, self.assignment.name
        gb.update_or_create_student(student)
        with gb.db.no_autoflush:  # nbgrader's add_submission builds its rows before adding them
            gb.update_or_create_submission(name, student, **({"timestamp": submitted_at} if submitted_at else {}))
        for cell_id, score in auto.items():
            grade = gb.find_grade(cell_id, name, name, student)
            if grade.manual_score is None:
                grade.needs_manual_grade = False
            elif grade.auto_score != score:
                grade.needs_manual_grade = True
            grade.auto_score = score


def apply_course(gb: Gradebook, name: str, course: Course, students: set[str] | None = None) -> None:
    """Bring the gradebook in line with ``grader.toml``: due date, extensions, late penalties, roster names.

    With ``students``, only their submissions' extensions and penalties, and no roster: what a
    run that graded only them changed (``grader watch`` does this every round).

    The due date is written only when the course config has one (nbgrader's own
    config may have set it); every submission's extension is the config's, and its
    late penalty is recomputed from the current scores (manual grades included) by
    nbgrader's ``LateSubmissionPlugin`` (:func:`grader.late.penalty`). Roster
    students are added with their names and emails, so ``nbgrader export`` lists
    the students who submitted nothing. Idempotent.
    """
    due = course.due_date(name)
    gb.update_or_create_assignment(name, **({"duedate": _naive_utc(due)} if due else {}))
    for row in course.roster if students is None else ():
        first, last = row.first_and_last_name
        names = {"first_name": first, "last_name": last, "email": row.email}
        gb.update_or_create_student(row.student_id, **{key: value for key, value in names.items() if value})
    for submission in _submissions(gb, name, students):
        student = submission.student.id
        submission.extension = course.extension(name, student)
        seconds_late = submission.total_seconds_late
        for notebook in submission.notebooks:
            points = late.penalty(course.config.late, student, float(notebook.score), seconds_late)
            notebook.late_submission_penalty = points or None


def _submissions(gb: Gradebook, name: str, students: set[str] | None) -> list:
    """The assignment's submissions (of ``students`` only, when given: one query each, not the whole class)."""
    if students is None:
        return list(gb.find_assignment(name).submissions)
    found = []
    for student in sorted(students):
        try:
            found.append(gb.find_submission(name, student))
        except MissingEntry:
            pass
    return found


def _naive_utc(when: datetime.datetime) -> datetime.datetime:
    """A time as nbgrader stores it: UTC without a zone."""
    return when.astimezone(datetime.timezone.utc).replace(tzinfo=None)


def record(db_url: str, assignment: Assignment, results: list[dict]) -> None:
    """Write the auto scores of grading results into the gradebook at ``db_url``.

    ``graded`` results score each grade cell from ``result["cells"]``;
    ``ungradable`` ones score 0 on every cell; ``error`` ones write nothing.
    Only ``auto_score`` is set: a TA's ``manual_score`` survives, and the grade is
    flagged for review (as nbgrader's autograder does) when the auto score under it changes.
    Every result is validated before anything is written.
    """
    for result in results:
        if result.get("status") != "error":
            _auto_scores(assignment, result)
    with GradebookWriter(db_url, assignment) as writer:
        writer.record_many(results)


def _auto_scores(assignment: Assignment, result: dict) -> tuple[str, datetime.datetime | None, dict[str, float]]:
    """(student, submitted_at, auto score per grade cell) of one result; raises ValueError on a malformed one."""
    student = result.get("student")
    if not isinstance(student, str) or not student:
        raise ValueError(f"result without a student id: {result!r:.200}")
    if result.get("assignment") != assignment.name:
        raise ValueError(f"result of {student} is for {result.get('assignment')!r}, not {assignment.name!r}")
    status = result.get("status")
    if status == "ungradable":
        return student, _submission_time(result), {cell_id: 0.0 for cell_id in assignment.grade_cells}
    if status != "graded":
        raise ValueError(f"result of {student} has unknown status {status!r}")
    cells = result.get("cells", {})
    missing = [cell_id for cell_id in assignment.grade_cells if cell_id not in cells]
    if missing:
        raise ValueError(f"graded result of {student} has no score for cell(s) {', '.join(missing)}")
    return student, _submission_time(result), {
        cell_id: float(cells[cell_id]["score"]) for cell_id in assignment.grade_cells}


def _submission_time(result: dict) -> datetime.datetime | None:
    """The result's ``submitted_at`` as a time, or None when it has none or an unusable one.

    Results written before timestamp.txt was checked can hold any text; nbgrader would
    fail on it, and with it every later write of the gradebook.
    """
    try:
        return parse_timestamp(result.get("submitted_at")) if result.get("submitted_at") else None
    except ValueError:
        return None


def scores(db_url: str, assignment_name: str, students: set[str] | None = None) -> dict[str, dict]:
    """Per student with a submission: ``{"cells": {grade_id: score}, "score": total, "max_score": ...,
    "manual": [grade_id, ...], "comments": {cell: text}, "late_penalty": points, "seconds_late": s}``.

    A cell's score is nbgrader's ``Grade.score`` (the manual score if set, else the
    auto score, plus extra credit); the total is what ``nbgrader export`` reports
    (the submission's score less any late penalty, never below 0). ``manual`` lists the
    cells a TA graded by hand, ``comments`` the TA's comments entered in formgrader. With
    ``students``, only theirs.
    """
    with open_gradebook(db_url) as gb:
        try:
            assignment = gb.find_assignment(assignment_name)
        except MissingEntry:
            return {}
        out = {}
        for submission in _submissions(gb, assignment_name, students):
            cells = {grade.name: float(grade.score) for notebook in submission.notebooks for grade in notebook.grades}
            penalty = float(submission.late_submission_penalty or 0.0)
            total = max(0.0, float(submission.score) - penalty)
            grades = [grade for notebook in submission.notebooks for grade in notebook.grades]
            comments = {comment.name: comment.comment for notebook in submission.notebooks
                        for comment in notebook.comments if comment.comment}
            out[submission.student.id] = {"cells": cells, "score": total, "max_score": float(assignment.max_score),
                                          "manual": sorted(g.name for g in grades if g.manual_score is not None),
                                          "comments": comments, "late_penalty": penalty,
                                          "seconds_late": float(submission.total_seconds_late)}
        return out


def course_scores(course: Path | Course, assignment_name: str, db_url: str | None = None,
                  students: set[str] | None = None) -> dict[str, dict]:
    """:func:`scores` of the course's gradebook (``db_url``, default COURSE/gradebook.db); {} when there is none.

    With ``students``, only theirs, and the course config applied to them only.

    The course config is applied first (:func:`apply_course`), so late penalties
    follow the current due dates, extensions and manual grades.
    """
    course = as_course(course)
    if db_url is None and not (course.root / "gradebook.db").is_file():
        return {}
    db_url = db_url or course_db_url(course.root)
    with open_gradebook(db_url) as gb:
        try:
            gb.find_assignment(assignment_name)
        except MissingEntry:
            return {}
        with one_transaction(gb.db):
            apply_course(gb, assignment_name, course, students)
    return scores(db_url, assignment_name, students)


def with_final_scores(result: dict, final: dict | None) -> dict:
    """``result`` with the gradebook's scores (manual grades included) and the TA's comments, when it has them."""
    if final is None or result.get("status") != "graded":
        return result
    cells = {cell: {**value, "score": final["cells"].get(cell, value.get("score", 0.0))}
             for cell, value in result.get("cells", {}).items() if isinstance(value, dict)}
    return {**result, "score": final["score"], "cells": cells, "manual": final["manual"],
            "comments": final["comments"], "late_penalty": final["late_penalty"], "seconds_late": final["seconds_late"]}
