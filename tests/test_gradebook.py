"""grader.gradebook: idempotent auto scores in nbgrader's gradebook; manual grades survive."""

from __future__ import annotations

import datetime
import shutil

import pytest
from sqlalchemy import event

from grader.gradebook import GradebookWriter, course_db_url, ensure_assignment, open_gradebook, record, scores


@pytest.fixture
def db(tmp_path, empty_gradebook) -> str:
    shutil.copy(empty_gradebook, tmp_path / "gradebook.db")
    return course_db_url(tmp_path)


def result(student, status="graded", square=2.0, cube=3.0, **extra) -> dict:
    cells = {"square_tests": {"score": square, "max_score": 2.0}, "cube_tests": {"score": cube, "max_score": 3.0}}
    return {"schema": 1, "student": student, "assignment": "toy", "status": status, "reason": "",
            "score": square + cube, "max_score": 5.0, "cells": cells if status == "graded" else {}, **extra}


def state(db_url: str) -> list[tuple]:
    """Everything record() may touch, as comparable rows."""
    with open_gradebook(db_url) as gb:
        rows = [("student", s.id) for s in gb.students]
        for submission in gb.find_assignment("toy").submissions:
            rows.append(("submission", submission.student.id, submission.timestamp))
            for notebook in submission.notebooks:
                rows += [("grade", submission.student.id, g.name, g.auto_score, g.manual_score, g.needs_manual_grade)
                         for g in notebook.grades]
        return sorted(rows, key=repr)


def test_course_db_url_is_the_course_gradebook(tmp_path):
    assert course_db_url(tmp_path) == f"sqlite:///{tmp_path.resolve()}/gradebook.db"


def test_ensure_assignment_mirrors_nbgrader_save_cells(toy, db):
    with open_gradebook(db) as gb:
        ensure_assignment(gb, toy)
        ensure_assignment(gb, toy)
        notebook = gb.find_notebook("toy", "toy")
        assert {c.name: (c.max_score, c.cell_type) for c in notebook.grade_cells} == {
            "square_tests": (2.0, "code"), "cube_tests": (3.0, "code")}
        assert [c.name for c in notebook.solution_cells] == ["square_impl"]
        sources = {c.name: c for c in notebook.source_cells}
        assert set(sources) == {"intro", "square_impl", "square_tests", "cube_tests"}
        assert "raise NotImplementedError()" in sources["square_impl"].source
        assert "return x * x" not in sources["square_impl"].source
        assert sources["square_tests"].locked and sources["square_tests"].checksum
        assert gb.find_assignment("toy").max_score == 5.0


def test_record_then_scores(toy, db):
    record(db, toy, [result("alice", square=1.0, cube=3.0), result("bob", square=0.0, cube=0.5)])
    untouched = {"manual": [], "comments": {}, "late_penalty": 0.0, "seconds_late": 0.0}  # no TA, no due date
    assert scores(db, "toy") == {
        "alice": {"cells": {"square_tests": 1.0, "cube_tests": 3.0}, "score": 4.0, "max_score": 5.0, **untouched},
        "bob": {"cells": {"square_tests": 0.0, "cube_tests": 0.5}, "score": 0.5, "max_score": 5.0, **untouched},
    }


def test_re_recording_is_idempotent(toy, db):
    results = [result("alice", square=1.0, submitted_at="2026-11-27T10:00:00+01:00"), result("bob", cube=0.0)]
    record(db, toy, results)
    before = state(db)
    record(db, toy, results)
    assert state(db) == before
    assert ("submission", "alice", datetime.datetime(2026, 11, 27, 9, 0)) in before
    assert len([row for row in before if row[0] == "grade"]) == 4


@pytest.mark.parametrize("stamp", ["garbage", "9999-12-31 23:59:59-01:00", "1970-01-01 00:00:00 UTC", 12, ["x"],
                                   "2024-03-01 10:00:00 ../../../dev/zero"])
def test_an_unusable_submission_time_is_left_out(toy, db, stamp):
    """Results stored before timestamp.txt was checked can hold anything: the scores are still written, every time."""
    for _ in range(2):
        record(db, toy, [result("alice", submitted_at=stamp), result("bob", "ungradable", submitted_at=stamp)])
    assert scores(db, "toy")["alice"]["score"] == 5.0 and scores(db, "toy")["bob"]["score"] == 0.0


def test_a_manual_grade_survives_a_re_record(toy, db):
    record(db, toy, [result("alice", square=1.0)])
    with open_gradebook(db) as gb:
        grade = gb.find_grade("square_tests", "toy", "toy", "alice")
        grade.manual_score = 2.0
        grade.needs_manual_grade = False
        gb.db.commit()

    record(db, toy, [result("alice", square=1.0)])
    assert scores(db, "toy")["alice"]["cells"]["square_tests"] == 2.0
    assert ("grade", "alice", "square_tests", 1.0, 2.0, False) in state(db)

    record(db, toy, [result("alice", square=0.5)])  # a changed auto score under a manual one: flag for review
    assert ("grade", "alice", "square_tests", 0.5, 2.0, True) in state(db)
    assert scores(db, "toy")["alice"]["score"] == 5.0


def test_ungradable_scores_zero_and_error_writes_nothing(toy, db):
    record(db, toy, [result("alice", status="ungradable"), result("carol", status="error")])
    assert scores(db, "toy") == {"alice": {"cells": {"square_tests": 0.0, "cube_tests": 0.0},
                                           "score": 0.0, "max_score": 5.0, "manual": [], "comments": {},
                                           "late_penalty": 0.0, "seconds_late": 0.0}}
    assert ("student", "carol") not in state(db)


def test_a_malformed_result_writes_nothing(toy, db):
    broken = result("bob")
    del broken["cells"]["cube_tests"]
    with pytest.raises(ValueError, match="cube_tests"):
        record(db, toy, [result("alice"), broken])
    with pytest.raises(ValueError, match="not 'toy'"):
        record(db, toy, [dict(result("alice"), assignment="conv2d")])
    assert scores(db, "toy") == {}


def test_a_new_students_result_is_one_commit(toy, db):
    """nbgrader's helpers commit after each row (three fsyncs for a new student); a record is one."""
    with GradebookWriter(db, toy) as writer:
        commits = []
        event.listen(writer._gb.db, "after_commit", lambda session: commits.append(session))
        writer.record(result("alice"))
        assert len(commits) == 1
    assert scores(db, "toy")["alice"]["score"] == 5.0


def test_record_many_is_all_or_nothing(toy, db):
    broken = result("bob")
    del broken["cells"]["cube_tests"]
    with GradebookWriter(db, toy) as writer:
        with pytest.raises(ValueError, match="cube_tests"):
            writer.record_many([result("alice"), broken])
        writer.record_many([result("carol")])
    assert set(scores(db, "toy")) == {"carol"}
    assert ("student", "alice") not in state(db)


def test_new_gradebook_needs_no_alembic_on_path(toy, tmp_path, monkeypatch):
    db = course_db_url(tmp_path)  # a new gradebook: nbgrader alone would shell out to alembic
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    record(db, toy, [result("alice")])
    assert scores(db, "toy")["alice"]["score"] == 5.0
