"""Late penalties: nbgrader's own LateSubmissionPlugin arithmetic, on the same gradebook nbgrader exports."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.plugins import LateSubmissionPlugin
from nbgrader.preprocessors import AssignLatePenalties
from traitlets.config import Config

from grader.course import Course, LatePolicy
from grader.gradebook import course_db_url, course_scores, open_gradebook, record
from grader.late import CoursePenalty, late_text, penalty

DAY = 86400
CONFIG = """assignments = "../assignments"
[late]
method = "per_day"
percent_per_day = 25
[due]
toy = 2024-03-01T12:00:00Z
[extensions.toy]
extended = "2 days"
"""
SUBMITTED = {"ontime": "2024-03-01 11:00:00.000000 UTC",     # an hour early
             "late": "2024-03-02 13:00:00.000000 UTC",       # 1 day 1 hour late: two started days
             "extended": "2024-03-02 13:00:00.000000 UTC",   # as late, but inside a two-day extension
             "never": None}                                   # no timestamp.txt: never late


@pytest.mark.parametrize("method", ["none", "zero"])
def test_none_and_zero_are_nbgraders_own(method):
    theirs = LateSubmissionPlugin(penalty_method=method)
    for seconds in (1, DAY, 10 * DAY):
        expected = theirs.late_submission_penalty("s", 7.5, seconds) or 0.0
        assert penalty(LatePolicy(method=method), "s", 7.5, seconds) == expected
    assert penalty(LatePolicy(method="zero"), "s", 7.5, 0) == 0.0          # on time: the plugin is not asked


@pytest.mark.parametrize("seconds, lost", [(1, 2.5), (DAY, 2.5), (DAY + 1, 5.0), (3 * DAY, 7.5), (9 * DAY, 10.0)])
def test_per_day_loses_a_share_per_started_day_never_more_than_the_score(seconds, lost):
    assert penalty(LatePolicy(method="per_day", percent_per_day=25), "s", 10.0, seconds) == lost


def test_late_text():
    assert late_text(40) == "40 s" and late_text(3 * 3600 + 300) == "3 h 5 min" and late_text(DAY + 3600) == "1 d 1 h"


def result(student: str) -> dict:
    cells = {"square_tests": {"score": 2.0, "max_score": 2.0}, "cube_tests": {"score": 2.0, "max_score": 3.0}}
    return {"schema": 1, "student": student, "assignment": "toy", "status": "graded", "reason": "", "score": 4.0,
            "max_score": 5.0, "cells": cells, "submitted_at": SUBMITTED[student]}


@pytest.fixture
def late_course(tmp_path, toy, empty_gradebook) -> Course:
    course = tmp_path / "course"
    course.mkdir()
    (course / "grader.toml").write_text(CONFIG)
    shutil.copy(empty_gradebook, course / "gradebook.db")
    record(course_db_url(course), toy, [result(student) for student in SUBMITTED])
    return Course.load(course)


def test_penalties_extensions_and_lateness_in_the_gradebook(late_course):
    scores = course_scores(late_course, "toy")
    assert {s: (v["seconds_late"], v["late_penalty"], v["score"]) for s, v in scores.items()} == {
        "ontime": (0, 0, 4.0), "late": (DAY + 3600, 2.0, 2.0), "extended": (0, 0, 4.0), "never": (0, 0, 4.0)}
    with open_gradebook(course_db_url(late_course.root)) as gb:
        assert gb.find_submission("toy", "extended").extension.days == 2


def test_a_manual_grade_changes_the_penalty_as_nbgrader_would_compute_it(late_course):
    course_scores(late_course, "toy")
    with open_gradebook(course_db_url(late_course.root)) as gb:
        gb.find_grade("cube_tests", "toy", "toy", "late").manual_score = 3.0    # 5 points before the penalty
        gb.db.commit()
    assert course_scores(late_course, "toy")["late"]["late_penalty"] == 2.5


def test_our_penalties_equal_nbgraders_preprocessor_on_the_same_gradebook(late_course, toy):
    ours = {s: v["late_penalty"] for s, v in course_scores(late_course, "toy").items()}
    db_url = course_db_url(late_course.root)
    config = Config({"AssignLatePenalties": {"plugin_class": CoursePenalty},
                     "CoursePenalty": {"penalty_method": "per_day", "percent_per_day": 25.0}})
    notebook = nbformat.read(toy.source_path, as_version=4)
    theirs = {}
    for student in SUBMITTED:
        resources = {"nbgrader": {"notebook": "toy", "assignment": "toy", "student": student, "db_url": db_url}}
        AssignLatePenalties(config=config).preprocess(notebook, resources)
        with open_gradebook(db_url) as gb:
            theirs[student] = float(gb.find_submission("toy", student).late_submission_penalty or 0.0)
    assert theirs == ours == {"ontime": 0.0, "late": 2.0, "extended": 0.0, "never": 0.0}


def test_nbgrader_export_agrees(late_course, tmp_path):
    ours = {s: v["score"] for s, v in course_scores(late_course, "toy").items()}
    bindir = Path(sys.executable).parent
    out = tmp_path / "nbgrader.csv"
    subprocess.run([str(bindir / "nbgrader"), "export", f"--db={course_db_url(late_course.root)}", f"--to={out}"],
                   cwd=late_course.root, check=True, capture_output=True,
                   env={**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"})
    with open(out, newline="") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert {s: float(row["score"]) for s, row in rows.items()} == ours
    assert float(rows["late"]["late_submission_penalty"]) == 2.0 and float(rows["late"]["raw_score"]) == 4.0
