"""A semester from a course directory outside the checkout, through the real commands.

Canvas: Hungarian names, two students with one name, a resubmission, a late file, an
extension, an older zip collected after a newer one, a roster student who submitted
nothing, a manual grade with a comment, and a resubmission that makes a result stale.
Every student's final row is asserted in our CSV, the Canvas CSV and ``nbgrader export``,
and the same numbers in the feedback pages and the report.  Moodle: the same for its
zip, its roster with names and emails, and its grading worksheet.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from grader import paths
from grader.assignment import Assignment
from grader.gradebook import course_db_url, open_gradebook
from grader.sampleclass import release_notebook, submission

ASSIGNMENT = Assignment.find("conv2d")
BIN = Path(sys.executable).parent
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
CONFIG = """roster = "canvas-gradebook.csv"
timezone = "Europe/Budapest"

[late]
method = "per_day"
percent_per_day = 10

[due]
conv2d = 2024-10-10T23:59:00+02:00

[extensions.conv2d]
SZABE1 = "3 days"
"""
ROSTER = (  # Canvas' Grades > Export: SIS Login IDs are Neptun codes
    "\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,conv2d (5501)\n"
    "    Points Possible,,,,,10.00\n"
    '"Kovács, Anna",20001,,KOVAN1,CNN,\n'
    '"Nagy, Bence",20002,,NAGYB1,CNN,\n'
    '"Nagy, Bence",20012,,NAGYB2,CNN,\n'
    '"Tóth, Dániel",20003,,TOTHD1,CNN,\n'
    '"Szabó, Éva",20004,,SZABE1,CNN,\n'
    '"Kiss, Péter",20005,,KISSP1,CNN,\n'
    '"Horváth, Zsófia",20006,,HORVZ1,CNN,\n'
    '"Student, Test",29999,,,CNN,\n'
)
TOTH_LATE = 122460  # 2024-10-12 10:00 CEST is 1 d 10 h 1 min after 2024-10-10 23:59 CEST


def notebook(kind: str) -> bytes:
    """A real submission: the solution, the stub, or a known-wrong variant."""
    if kind == "python":
        return b"def conv2d(x, w, b):\n    return x\n"
    if kind == "solution":
        nb = submission(ASSIGNMENT, None)
    elif kind == "stub":
        nb = release_notebook(ASSIGNMENT)
    else:
        nb = submission(ASSIGNMENT, next(v for v in ASSIGNMENT.variants() if v.name == kind))
    return nbformat.writes(nb).encode()


def make_zip(path: Path, entries: list[tuple[str, tuple, str]]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, when, kind in entries:
            info = zipfile.ZipInfo(name, date_time=when)
            info.flag_bits |= 0x800  # Canvas writes UTF-8 names
            archive.writestr(info, notebook(kind))
    return path


def grader(*args: str) -> str:
    """Run ``grader`` in a subprocess from outside the checkout; returns its output."""
    done = subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, env=ENV,
                          cwd=Path("/"), timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def nbgrader_export(course: Path) -> dict[str, dict]:
    out = course / "nbgrader-export.csv"
    subprocess.run([str(BIN / "nbgrader"), "export", f"--db={course_db_url(course)}", f"--to={out}"], cwd=course,
                   check=True, capture_output=True, env=ENV)
    return {row["student_id"]: row for row in read_csv(out)}


@pytest.fixture(scope="module")
def semester(tmp_path_factory) -> Path:
    """The course after two collects (the newer zip first) and one autograde run."""
    root = tmp_path_factory.mktemp("semester")
    course = root / "course"
    course.mkdir()
    (course / "grader.toml").write_text(CONFIG, encoding="utf-8")
    (course / "canvas-gradebook.csv").write_text(ROSTER, encoding="utf-8")
    newer = make_zip(root / "oct12.zip", [
        ("kovácsanna_20001_7000101_conv2d.ipynb", (2024, 10, 9, 10, 0, 0), "solution"),
        ("nagybence_20002_7000102_conv2d.ipynb", (2024, 10, 8, 9, 0, 0), "solution"),
        ("nagybence_20002_7000112_conv2d-1.ipynb", (2024, 10, 10, 20, 0, 0), "flipped_kernel"),
        ("nagybence_20012_7000103_conv2d.ipynb", (2024, 10, 9, 9, 0, 0), "stub"),
        ("tóthdániel_late_20003_7000104_conv2d.ipynb", (2024, 10, 12, 10, 0, 0), "solution"),
        ("szabóéva_late_20004_7000105_conv2d.ipynb", (2024, 10, 12, 10, 0, 0), "solution"),
        ("horváthzsófia_20006_7000106_conv2d.py", (2024, 10, 9, 10, 0, 0), "python"),
    ])
    older = make_zip(root / "oct08.zip", [("kovácsanna_20001_7000100_conv2d.ipynb", (2024, 10, 7, 10, 0, 0), "stub")])
    grader("collect", "conv2d", "--zip", str(newer), "--course", str(course))
    said = grader("collect", "conv2d", "--zip", str(older), "--course", str(course))
    assert "older" in said
    grader("autograde", "conv2d", "--course", str(course), "--workers", "1", "--quiet")
    return course


def export_rows(course: Path) -> dict[str, dict]:
    out = course / "grades.csv"
    grader("export", "conv2d", "--csv", str(out), "--course", str(course))
    return {row["student_id"]: row for row in read_csv(out)}


def test_every_roster_student_has_a_final_row_everywhere(semester):
    rows = export_rows(semester)
    assert {s: (r["status"], r["score"], r["late"], r["seconds_late"], r["late_penalty"]) for s, r in rows.items()} \
        == {"KOVAN1": ("graded", "10.0", "", "", ""),               # the older zip did not go back in time
            "NAGYB1": ("graded", rows["NAGYB1"]["score"], "", "", ""),
            "NAGYB2": ("graded", "0.0", "", "", ""),                # one name, two students
            "SZABE1": ("graded", "10.0", "", "", ""),               # late by the due date, inside the extension
            "TOTHD1": ("graded", "8.0", "yes", str(TOTH_LATE), "2.0"),  # two started days, 10 % each
            "KISSP1": ("missing", "", "", "", ""),                  # on the roster, nothing submitted
            "HORVZ1": ("ungradable", "0.0", "", "", "")}            # only a .py: ungradable, with the reason
    assert "no conv2d.ipynb in the submission (found conv2d.py)" in rows["HORVZ1"]["reason"]
    assert 0 < float(rows["NAGYB1"]["score"]) < 10                   # the resubmitted, flipped kernel counts
    assert "Student, Test" not in str(rows)

    theirs = nbgrader_export(semester)
    assert {s: float(r["score"]) for s, r in theirs.items()} == {
        **{s: float(r["score"]) for s, r in rows.items() if r["score"]}, "KISSP1": 0.0}
    assert float(theirs["TOTHD1"]["late_submission_penalty"]) == 2.0
    assert (theirs["KOVAN1"]["first_name"], theirs["KOVAN1"]["last_name"]) == ("Anna", "Kovács")

    canvas = semester / "canvas.csv"
    said = grader("export", "conv2d", "--format", "canvas", "--csv", str(canvas), "--course", str(semester))
    table = {r["SIS Login ID"]: r for r in read_csv(canvas)[1:]}
    assert {s: r["conv2d (5501)"] for s, r in table.items()} == {
        s: ("" if not r["score"] else f"{float(r['score']):g}") for s, r in rows.items()}
    assert table["NAGYB2"]["ID"] == "20012" and table["KOVAN1"]["Student"] == "Kovács, Anna"
    assert "KISSP1: no score (missing: no submission); left blank" in said
    assert "TOTHD1: late by 1 d 10 h 1 min, 2 point(s) taken off" in said


def test_missing_students_get_zero_only_when_the_course_says_so(semester, tmp_path):
    config = semester / "grader.toml"
    original = config.read_text()
    try:
        config.write_text("missing_score_zero = true\n" + original)
        rows = export_rows(semester)
        canvas = tmp_path / "canvas.csv"
        grader("export", "conv2d", "--format", "canvas", "--csv", str(canvas), "--course", str(semester))
    finally:
        config.write_text(original)
    assert rows["KISSP1"]["score"] == "0.0"
    assert {r["SIS Login ID"]: r["conv2d (5501)"] for r in read_csv(canvas)[1:]}["KISSP1"] == "0"


def test_feedback_and_report_show_lateness_and_the_missing(semester, tmp_path):
    grader("feedback", "conv2d", "--course", str(semester))
    page = (semester / "feedback" / "TOTHD1" / "conv2d" / "conv2d.html").read_text()
    assert "8 / 10" in page
    assert "Submitted 1 day, 10 hours, 1 minute after the due date: 2 points were taken off" in page
    assert 'id="late"' not in (semester / "feedback" / "SZABE1" / "conv2d" / "conv2d.html").read_text()
    report = tmp_path / "report.html"
    grader("report", "conv2d", "--html", str(report), "--course", str(semester))
    html = report.read_text()
    assert '<p id="missing"><code>KISSP1</code></p>' in html and '<b id="late-count">1</b>' in html
    assert "<td><code>TOTHD1</code></td><td>1 day, 10 hours, 1 minute</td>" in html


def test_a_manual_grade_and_comment_reach_feedback_export_and_report(semester):
    with open_gradebook(course_db_url(semester)) as gb:
        gb.find_grade("conv2d_tests", "conv2d", "conv2d", "NAGYB2").manual_score = 1.5
        comment = gb.find_comment("conv2d_impl", "conv2d", "conv2d", "NAGYB2")
        comment.manual_comment = "Nearly: see the slides on <padding>"
        gb.db.commit()
    assert export_rows(semester)["NAGYB2"]["score"] == "1.5"
    assert float(nbgrader_export(semester)["NAGYB2"]["score"]) == 1.5
    grader("feedback", "conv2d", "--course", str(semester))
    page = (semester / "feedback" / "NAGYB2" / "conv2d" / "conv2d.html").read_text()
    assert "1.5 / 10" in page and "Nearly: see the slides on &lt;padding&gt;" in page
    from grader.report import load

    assert {r["student"]: r["score"] for r in load(semester, "conv2d").results}["NAGYB2"] == 1.5


def test_a_resubmission_is_stale_everywhere_until_it_is_regraded(semester, tmp_path):
    newest = make_zip(tmp_path / "oct13.zip", [("kovácsanna_20001_7000199_conv2d-1.ipynb", (2024, 10, 9, 11, 0, 0),
                                                "missing_bias")])
    grader("collect", "conv2d", "--zip", str(newest), "--course", str(semester))
    stale = export_rows(semester)["KOVAN1"]
    assert (stale["status"], stale["score"]) == ("stale", "")
    canvas = tmp_path / "canvas.csv"
    said = grader("export", "conv2d", "--format", "canvas", "--csv", str(canvas), "--course", str(semester))
    assert {r["SIS Login ID"]: r["conv2d (5501)"] for r in read_csv(canvas)[1:]}["KOVAN1"] == ""
    assert "KOVAN1: no score (stale" in said
    grader("feedback", "conv2d", "--course", str(semester))
    assert "you handed in a new notebook" in (semester / "feedback" / "KOVAN1" / "conv2d" / "conv2d.html").read_text()

    grader("autograde", "conv2d", "--course", str(semester), "--workers", "1", "--quiet")
    row = export_rows(semester)["KOVAN1"]
    assert row["status"] == "graded" and 0 < float(row["score"]) < 10


MOODLE_ROSTER = ("lms_id,student_id,name,email\n"
                 "301,NAGYB1,Nagy Bence,bence.nagy@hallgato.example.hu\n"
                 "302,NAGYB2,Nagy Bence,bence.nagy2@hallgato.example.hu\n"
                 "303,HORVZ1,Horváth Zsófia,zsofia.horvath@hallgato.example.hu\n"
                 "304,KISSP1,Kiss Péter,peter.kiss@hallgato.example.hu\n")


def test_moodle_zip_roster_and_grading_worksheet(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    (course / "grader.toml").write_text('roster = "participants.csv"\n[late]\nmethod = "zero"\n'
                                        '[due]\nconv2d = 2024-10-10T23:59:00Z\n', encoding="utf-8")
    (course / "participants.csv").write_text(MOODLE_ROSTER, encoding="utf-8")
    download = make_zip(tmp_path / "moodle.zip", [
        ("Nagy Bence_301_assignsubmission_file_/conv2d.ipynb", (2024, 10, 9, 10, 0, 0), "solution"),
        ("Nagy Bence_302_assignsubmission_file_/conv2d.ipynb", (2024, 10, 9, 10, 0, 0), "stub"),
        ("Horváth Zsófia_303_assignsubmission_file_conv2d.ipynb", (2024, 10, 11, 10, 0, 0), "solution"),  # late
    ])
    earlier = make_zip(tmp_path / "moodle-earlier.zip", [
        ("Nagy Bence_301_assignsubmission_file_/conv2d.ipynb", (2024, 10, 8, 10, 0, 0), "stub")])
    grader("collect", "conv2d", "--zip", str(download), "--course", str(course))
    assert "older than the collected notebook" in grader("collect", "conv2d", "--zip", str(earlier),
                                                         "--course", str(course))
    grader("autograde", "conv2d", "--course", str(course), "--workers", "1", "--quiet")
    worksheet = tmp_path / "moodle.csv"
    grader("export", "conv2d", "--format", "moodle", "--csv", str(worksheet), "--course", str(course))
    rows = {r["Identifier"]: r for r in read_csv(worksheet)}
    assert {i: (r["Full name"], r["Status"], r["Grade"]) for i, r in rows.items()} == {
        "Participant 301": ("Nagy Bence", "graded", "10"), "Participant 302": ("Nagy Bence", "graded", "0"),
        "Participant 303": ("Horváth Zsófia", "graded", "0"), "Participant 304": ("Kiss Péter", "missing", "")}
    assert rows["Participant 304"]["Email address"] == "peter.kiss@hallgato.example.hu"
    assert rows["Participant 303"]["Feedback comments"] == "late by 10 h 1 min"     # 'zero': late scores 0
    theirs = nbgrader_export(course)
    assert {s: float(r["score"]) for s, r in theirs.items()} == {"NAGYB1": 10, "NAGYB2": 0, "HORVZ1": 0, "KISSP1": 0}
    assert float(theirs["HORVZ1"]["raw_score"]) == 10 and float(theirs["HORVZ1"]["late_submission_penalty"]) == 10
    assert theirs["HORVZ1"]["email"] == "zsofia.horvath@hallgato.example.hu"


def test_the_course_lives_outside_the_checkout(semester):
    assert paths.project_root() not in semester.parents
    assert not (semester / "assignments").exists()          # the package's conv2d, found from anywhere
