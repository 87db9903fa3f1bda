"""grader export: the CSV's rows and columns, and totals equal to the real ``nbgrader export``'s."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.cli import main
from grader.export import columns, write_csv
from grader.gradebook import course_db_url, open_gradebook, record

TOY = Path(__file__).parent / "fixtures" / "nbgrader" / "toy"



def result(student, status="graded", square=2.0, cube=3.0, reason="") -> dict:
    cells = {"square_tests": {"score": square, "max_score": 2.0}, "cube_tests": {"score": cube, "max_score": 3.0}}
    return {"schema": 1, "student": student, "assignment": "toy", "status": status, "reason": reason,
            "score": square + cube, "max_score": 5.0, "cells": cells if status == "graded" else {},
            "submitted_at": None}



@pytest.fixture
def course(tmp_path, toy, empty_gradebook) -> Path:
    """alice graded (a TA changed one cell by hand), bob ungradable, carol a harness error, dave not graded yet."""
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(empty_gradebook, course / "gradebook.db")
    results = [result("alice", square=1.0, cube=3.0), result("bob", "ungradable", reason="invalid JSON"),
               result("carol", "error", reason="sandbox crashed 3 times")]
    for item in results:
        folder = course / "autograded" / item["student"] / "toy"
        folder.mkdir(parents=True)
        (folder / "result.json").write_text(json.dumps(item))
    for student in ("alice", "bob", "carol", "dave"):
        (course / "submitted" / student / "toy").mkdir(parents=True)
        shutil.copy(TOY / "toy.ipynb", course / "submitted" / student / "toy" / "toy.ipynb")
    record(course_db_url(course), toy, results)
    with open_gradebook(course_db_url(course)) as gb:
        gb.find_grade("cube_tests", "toy", "toy", "alice").manual_score = 2.5
        gb.db.commit()
    return course


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_columns_follow_the_notebook(toy):
    assert columns(toy) == ["student_id", "status", "score", "max_score", "square_tests", "cube_tests", "reason"]


def test_export_rows(toy, course, tmp_path):
    out = tmp_path / "grades.csv"
    assert write_csv(toy, course, out) == 4
    assert out.read_text().splitlines()[0] == "student_id,status,score,max_score,square_tests,cube_tests,reason"
    assert read_csv(out) == [
        {"student_id": "alice", "status": "graded", "score": "3.5", "max_score": "5.0",
         "square_tests": "1.0", "cube_tests": "2.5", "reason": ""},
        {"student_id": "bob", "status": "ungradable", "score": "0.0", "max_score": "5.0",
         "square_tests": "0.0", "cube_tests": "0.0", "reason": "invalid JSON"},
        {"student_id": "carol", "status": "error", "score": "", "max_score": "5.0",
         "square_tests": "", "cube_tests": "", "reason": "sandbox crashed 3 times"},
        {"student_id": "dave", "status": "missing", "score": "", "max_score": "5.0",
         "square_tests": "", "cube_tests": "", "reason": "not graded yet: run grader autograde toy"},
    ]


def test_export_without_a_gradebook_lists_statuses(toy, tmp_path):
    course = tmp_path / "course"
    (course / "submitted" / "erin" / "toy").mkdir(parents=True)
    shutil.copy(TOY / "toy.ipynb", course / "submitted" / "erin" / "toy" / "toy.ipynb")
    write_csv(toy, course, tmp_path / "grades.csv")
    assert [(r["student_id"], r["status"], r["score"]) for r in read_csv(tmp_path / "grades.csv")] == [
        ("erin", "missing", "")]
    assert not (course / "gradebook.db").exists()


def test_totals_equal_nbgrader_export(toy, course, tmp_path):
    ours = tmp_path / "ours.csv"
    assert main(["export", "toy", "--csv", str(ours), "--course", str(course),
                 "--assignments", str(tmp_path / "assignments")]) == 0
    bindir = Path(sys.executable).parent
    theirs = course / "nbgrader.csv"
    subprocess.run([str(bindir / "nbgrader"), "export", f"--db={course_db_url(course)}", f"--to={theirs}"],
                   cwd=course, check=True, capture_output=True,
                   env={**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"})

    nbgrader_totals = {row["student_id"]: float(row["score"]) for row in read_csv(theirs)}
    our_totals = {row["student_id"]: float(row["score"]) for row in read_csv(ours) if row["score"]}
    assert nbgrader_totals == our_totals == {"alice": 3.5, "bob": 0.0}
    assert {float(row["max_score"]) for row in read_csv(theirs)} == {5.0}
