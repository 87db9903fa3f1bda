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
COURSE_CONFIG = 'assignments = "../assignments"  # the toy fixture is copied beside the course\n'
HEADER = "student_id,status,score,max_score,square_tests,cube_tests,late,seconds_late,late_penalty,reason"
ON_TIME = {"late": "", "seconds_late": "", "late_penalty": ""}



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
    (course / "grader.toml").write_text(COURSE_CONFIG)
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
    assert columns(toy) == ["student_id", "status", "score", "max_score", "square_tests", "cube_tests",
                            "late", "seconds_late", "late_penalty", "reason"]


def test_export_rows(toy, course, tmp_path):
    out = tmp_path / "grades.csv"
    assert write_csv(toy, course, out) == 4
    assert out.read_text().splitlines()[0] == HEADER
    assert read_csv(out) == [
        {"student_id": "alice", "status": "graded", "score": "3.5", "max_score": "5.0",
         "square_tests": "1.0", "cube_tests": "2.5", **ON_TIME, "reason": ""},
        {"student_id": "bob", "status": "ungradable", "score": "0.0", "max_score": "5.0",
         "square_tests": "0.0", "cube_tests": "0.0", **ON_TIME, "reason": "invalid JSON"},
        {"student_id": "carol", "status": "error", "score": "", "max_score": "5.0",
         "square_tests": "", "cube_tests": "", **ON_TIME, "reason": "sandbox crashed 3 times"},
        {"student_id": "dave", "status": "pending", "score": "", "max_score": "5.0",
         "square_tests": "", "cube_tests": "", **ON_TIME, "reason": "not graded yet: run grader autograde toy"},
    ]


def test_export_without_a_gradebook_lists_statuses(toy, tmp_path):
    course = tmp_path / "course"
    (course / "submitted" / "erin" / "toy").mkdir(parents=True)
    shutil.copy(TOY / "toy.ipynb", course / "submitted" / "erin" / "toy" / "toy.ipynb")
    write_csv(toy, course, tmp_path / "grades.csv")
    assert [(r["student_id"], r["status"], r["score"]) for r in read_csv(tmp_path / "grades.csv")] == [
        ("erin", "pending", "")]
    assert not (course / "gradebook.db").exists()


def test_totals_equal_nbgrader_export(toy, course, tmp_path):
    ours = tmp_path / "ours.csv"
    assert main(["export", "toy", "--csv", str(ours), "--course", str(course)]) == 0
    bindir = Path(sys.executable).parent
    theirs = course / "nbgrader.csv"
    subprocess.run([str(bindir / "nbgrader"), "export", f"--db={course_db_url(course)}", f"--to={theirs}"],
                   cwd=course, check=True, capture_output=True,
                   env={**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"})

    nbgrader_totals = {row["student_id"]: float(row["score"]) for row in read_csv(theirs)}
    our_totals = {row["student_id"]: float(row["score"]) for row in read_csv(ours) if row["score"]}
    assert nbgrader_totals == our_totals == {"alice": 3.5, "bob": 0.0}
    assert {float(row["max_score"]) for row in read_csv(theirs)} == {5.0}


# ----------------------------------------------------------------------------- --format canvas

CANVAS_EXPORT = (  # what Canvas' Grades > Export writes (BOM, a Points Possible row, read-only totals)
    "\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,toy (4242),Assignments Current Score,Current Score\n"
    "    Points Possible,,,,,5.00,(read only),(read only)\n"
    '"Liddell, Alice",1001,A-1,alice,Sec 1,,,\n'
    '"Builder, Bob",1002,B-2,bob,Sec 2,,,\n'
    '"Dent, Arthur",1004,D-4,dave,Sec 1,,,\n'
    '"Student, Test",9999,,,Sec 1,,,\n'
)


@pytest.fixture
def canvas_roster(tmp_path) -> Path:
    path = tmp_path / "canvas-gradebook-export.csv"
    path.write_text(CANVAS_EXPORT, encoding="utf-8")
    return path


def read_rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_canvas_export_with_the_canvas_roster(toy, course, canvas_roster, tmp_path, capsys):
    out = tmp_path / "canvas.csv"
    assert main(["export", "toy", "--format", "canvas", "--roster", str(canvas_roster), "--csv", str(out),
                 "--course", str(course)]) == 0
    assert read_rows(out) == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "toy (4242)"],
        ["Points Possible", "", "", "", "", "5"],
        ["Liddell, Alice", "1001", "A-1", "alice", "Sec 1", "3.5"],   # the gradebook's score: manual grade counts
        ["Builder, Bob", "1002", "B-2", "bob", "Sec 2", "0"],          # ungradable scores 0
        ["carol", "", "", "carol", "", ""],                            # harness error: left blank, not in roster
        ["Dent, Arthur", "1004", "D-4", "dave", "Sec 1", ""],          # not graded yet: left blank
    ]
    printed = capsys.readouterr().out
    assert "carol: not in the roster" in printed and "dave: no score (pending" in printed
    assert "4 student(s) written" in printed


def test_canvas_export_is_what_canvas_reads_back(toy, course, canvas_roster, tmp_path):
    """Re-read the file the way Canvas' importer does: required columns, ids matched, points possible row."""
    from grader.export import write_canvas_csv
    from grader.roster import read_roster

    out = tmp_path / "canvas.csv"
    count, _ = write_canvas_csv(toy, course, out, canvas_roster)
    assert count == 4
    with open(out, newline="", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    assert {"Student", "ID", "SIS Login ID", "Section", "toy (4242)"} <= set(table[0])
    assert table[0]["Student"] == "Points Possible" and table[0]["toy (4242)"] == "5"
    # our file is itself a valid roster (the same shape as Canvas' export): ids survive the round trip
    assert {r.canvas_id: r.sis_login_id for r in read_roster(out)} == {"1001": "alice", "1002": "bob", "1004": "dave"}


def test_canvas_export_without_a_roster_uses_sis_login_ids(toy, course, tmp_path):
    out = tmp_path / "canvas.csv"
    assert main(["export", "toy", "--format", "canvas", "--csv", str(out), "--course", str(course)]) == 0
    rows = read_rows(out)
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "toy"]
    assert rows[1] == ["Points Possible", "", "", "", "", "5"]
    assert [(r[0], r[1], r[3], r[5]) for r in rows[2:]] == [
        ("alice", "", "alice", "3.5"), ("bob", "", "bob", "0"), ("carol", "", "carol", ""), ("dave", "", "dave", "")]


def test_canvas_column_can_be_named_and_a_non_canvas_roster_is_refused(toy, course, tmp_path, capsys):
    out = tmp_path / "canvas.csv"
    assert main(["export", "toy", "--format", "canvas", "--canvas-column", "Toy homework (777)", "--csv", str(out),
                 "--course", str(course)]) == 0
    assert read_rows(out)[0][-1] == "Toy homework (777)"
    generic = tmp_path / "ids.csv"
    generic.write_text("lms_id,student_id\n1001,alice\n")
    assert main(["export", "toy", "--format", "canvas", "--roster", str(generic), "--csv", str(out),
                 "--course", str(course)]) == 2
    assert "needs Canvas' gradebook export" in capsys.readouterr().err


def test_plain_csv_stays_the_default(toy, course, tmp_path):
    out = tmp_path / "plain.csv"
    assert main(["export", "toy", "--csv", str(out), "--course", str(course)]) == 0
    assert out.read_text().splitlines()[0] == HEADER


# ----------------------------------------------------------------------------- text a student controls

@pytest.mark.parametrize("value, written", [
    ("=1+2", "'=1+2"), ("+cmd", "'+cmd"), ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"),
    ("alice", "alice"), ("", ""), ("a=1", "a=1"), (" =1", " =1"),
    ("-1.5", "-1.5"), ("+3", "+3"), ("-2e3", "-2e3"), (-1.5, -1.5), (3, 3), (None, None),
])
def test_spreadsheet_safe(value, written):
    from grader.export import spreadsheet_safe

    assert spreadsheet_safe(value) == written


FORMULAS = ["=1+2", "+1+cmd", "-2+3+cmd|' -C calc'!A0", "@SUM(A1)", "\t=x", "\r=x"]


@pytest.fixture
def formula_course(tmp_path, toy, empty_gradebook) -> Path:
    """Students whose ids and reasons are spreadsheet formulas; graded ones have numeric scores."""
    course = tmp_path / "formulas"
    course.mkdir()
    (course / "grader.toml").write_text(COURSE_CONFIG)
    shutil.copy(empty_gradebook, course / "gradebook.db")
    docs = [result(student, "ungradable", reason=f"=HYPERLINK(\"http://evil/{i}\")") for i, student in
            enumerate(FORMULAS)] + [result("evil", square=1.0, cube=0.0)]
    for doc in docs:
        folder = course / "autograded" / doc["student"] / "toy"
        folder.mkdir(parents=True)
        (folder / "result.json").write_text(json.dumps(doc))
    record(course_db_url(course), toy, docs)
    return course


def test_formulas_are_escaped_in_the_plain_csv(toy, formula_course, tmp_path):
    out = tmp_path / "grades.csv"
    write_csv(toy, formula_course, out)
    rows = {r["student_id"]: r for r in read_csv(out)}
    assert set(rows) == {"'" + f for f in FORMULAS} | {"evil"}
    for row in rows.values():
        assert not row["student_id"].startswith(("=", "+", "-", "@", "\t", "\r"))
        assert row["reason"] == "" or row["reason"].startswith("'=HYPERLINK")
    assert (rows["evil"]["score"], rows["evil"]["square_tests"], rows["'=1+2"]["score"]) == ("1.0", "1.0", "0.0")


def test_formulas_are_escaped_in_the_canvas_csv(toy, formula_course, tmp_path):
    from grader.export import write_canvas_csv

    roster = tmp_path / "roster.csv"
    roster.write_text("Student,ID,SIS User ID,SIS Login ID,Section,toy (4242)\n"
                      '"=HYPERLINK(""http://evil"")",1003,-C-3,evil,@Sec,\n', encoding="utf-8")
    out = tmp_path / "canvas.csv"
    write_canvas_csv(toy, formula_course, out, roster)
    rows = read_rows(out)
    assert ["'=HYPERLINK(\"http://evil\")", "1003", "'-C-3", "evil", "'@Sec", "1"] in rows
    for row in rows[2:]:
        assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)


def test_hostile_results_never_stop_the_export(toy, tmp_path, capsys):
    """Surrogates, NUL, long text, NaN, a non-UTF-8 folder name and broken files: every student gets a row."""
    course = tmp_path / "hostile"
    course.mkdir()
    (course / "grader.toml").write_text(COURSE_CONFIG)
    docs = {"amy": dict(result("amy", "ungradable"), reason="\udcff\x00" + "x" * 100_000),
            os.fsdecode(b"b\xffob"): result(os.fsdecode(b"b\xffob"), "ungradable", reason="\ud800"),
            "cid": dict(result("cid"), score=float("nan"), status=["graded"]),
            "dan": None}
    for student, doc in docs.items():
        folder = course / "autograded" / student / "toy"
        folder.mkdir(parents=True)
        (folder / "result.json").write_text("{ half" if doc is None else json.dumps(doc))
    out = tmp_path / "grades.csv"
    assert write_csv(toy, course, out) == 4
    rows = {r["student_id"]: r for r in csv.DictReader(out.read_bytes().decode("utf-8").splitlines())}
    assert set(rows) == {"amy", "b\ufffdob", "cid", "dan"}
    assert rows["amy"]["reason"].startswith("\ufffd\ufffdxxx") and len(rows["amy"]["reason"]) <= 20_000
    assert rows["dan"]["status"] == "error" and "unreadable" in rows["dan"]["reason"]
    canvas = tmp_path / "canvas.csv"
    assert main(["export", "toy", "--format", "canvas", "--csv", str(canvas), "--course", str(course)]) == 0
    assert "b\ufffdob" in canvas.read_text(encoding="utf-8") and "amy: no score" in capsys.readouterr().out
