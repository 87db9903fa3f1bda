"""The hostile and faulty suite: every case gets its required outcome, contained in bounded time,
and the control submission graded in the same batch gets full marks."""

import csv
import json
import re
import sqlite3

import nbformat
import pytest

from grader import paths, results
from grader.autograde import autograde
from grader.cluster import client_factory
from grader.export import write_csv
from grader.feedback import write_feedback
from tests.hostile.suite import ASSIGNMENT, CANARY, CANARY_TEXT, FORMULA_STUDENT, build, verdict

# The slowest containment allowed: the notebook program's wall limit plus process start and cleanup.
CONTAINMENT_S = ASSIGNMENT.config.limits.program_timeout_s + 30


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = tmp_path_factory.mktemp("hostile-class")
    suite = build(course)
    summary = autograde(course, ASSIGNMENT, client_factory=client_factory(workers=2), progress=False)
    stored = {s: results.read(paths.autograded_dir(course, s, "conv2d") / "result.json") for s in suite}
    return course, suite, stored, summary


def test_the_suite_is_large_enough(graded):
    _, suite, _, _ = graded
    assert len(suite) >= 30


def test_the_batch_finishes_with_a_result_for_every_case(graded):
    _, suite, stored, summary = graded
    assert summary.ok, summary.errors
    assert [s for s in suite if stored[s] is None] == []


def test_every_case_gets_its_required_outcome(graded):
    _, suite, stored, _ = graded
    wrong = {s: verdict(case, stored[s]) for s, case in suite.items() if verdict(case, stored[s])}
    assert wrong == {}


def test_every_case_is_contained_in_bounded_time(graded):
    _, suite, stored, _ = graded
    slow = {s: stored[s]["timings"].get("total_s") for s in suite
            if stored[s]["timings"].get("total_s", 0) > CONTAINMENT_S}
    assert slow == {}


def test_reasons_are_recorded(graded):
    _, suite, stored, _ = graded
    for student, case in suite.items():
        result = stored[student]
        if case.expect == "ungradable":
            assert result["reason"], student
        elif case.expect == "zero":
            assert all(c["message"] for c in result["checks"] if c["outcome"] != "passed"), student


def test_specific_containment_messages(graded):
    _, _, stored, _ = graded
    outcome = {s: {c["outcome"] for c in r["checks"]} for s, r in stored.items() if r and r["checks"]}
    messages = {s: " ".join(c["message"] for c in r["checks"]) for s, r in stored.items() if r}
    assert outcome["hostile-infinite_loop"] == {"timeout"}
    assert "memory limit" in messages["hostile-memory_bomb"]
    assert outcome["hostile-kill_self"] == {"crashed"}
    assert "MiB" in stored["file-100mb"]["reason"]
    assert "symbolic link" in stored["file-symlink"]["reason"]
    assert "LEAK" not in messages["hostile-smuggle_inputs"]
    assert "the message of an error on hidden inputs is not shown" in messages["hostile-smuggle_inputs"]


def test_attacks_on_the_checkers_paths_change_nothing_outside_the_sandbox(graded):
    course, suite, stored, _ = graded
    assert (course / CANARY).read_text() == CANARY_TEXT
    control = paths.submitted_notebook(course, "control-solution", "conv2d")
    assert nbformat.read(control, as_version=4).cells, "another student's notebook was damaged"
    with sqlite3.connect(course / "gradebook.db") as db:
        students = {row[0] for row in db.execute("select id from student")}
    assert set(suite) <= students, "the gradebook lost students"


def test_every_result_is_strict_json(graded):
    course, suite, _, _ = graded
    for student in suite:
        text = (paths.autograded_dir(course, student, "conv2d") / "result.json").read_text(encoding="utf-8")
        json.loads(text, parse_constant=lambda name: pytest.fail(f"{student}: {name} in result.json"))


def test_feedback_and_exports_cover_every_other_student(graded, tmp_path):
    course, suite, stored, _ = graded
    pages, failures = write_feedback(course, "conv2d")
    assert failures == []
    assert {p.parent.parent.name for p in pages} >= {s for s in suite if stored[s]["status"] == "graded"}
    csv_path = tmp_path / "grades.csv"
    write_csv(ASSIGNMENT, course, csv_path)
    cells = [cell for row in csv.reader(csv_path.open(encoding="utf-8")) for cell in row]
    assert "'" + FORMULA_STUDENT in cells and FORMULA_STUDENT not in cells


def test_forged_messages_never_reach_the_result(graded):
    _, _, stored, _ = graded
    forged = stored["hostile-forge_ready"]
    assert not any(t["passed"] for t in forged["visible_tests"]), "the forged start message was believed"
    assert {c["outcome"] for c in forged["checks"]} <= {"crashed", "error"}


def test_line_numbers_carry_nothing_out(graded):
    _, _, stored, _ = graded
    messages = " ".join(c["message"] for c in stored["hostile-smuggle_line_numbers"]["checks"])
    assert not re.search(r"line \d", messages)


def test_a_bad_timestamp_is_ignored_with_a_warning(graded):
    _, _, stored, _ = graded
    result = stored["file-bad-timestamp"]
    assert result["submitted_at"] is None and result["warnings"]


def test_what_a_result_is_never_reaches_feedback(graded):
    _, _, stored, _ = graded
    messages = " ".join(c["message"] for c in stored["hostile-smuggle_result_shapes"]["checks"])
    assert "424242" not in messages and "313131" not in messages and "int8" not in messages
    assert "171" not in messages and "exit status" not in messages


def test_trusted_parsing_never_errs_on_student_bytes(graded):
    _, _, stored, _ = graded
    assert {c["outcome"] for c in stored["hostile-huge_npy_header"]["checks"]} == {"crashed"}


def test_nothing_hides_from_the_disk_cap(graded):
    _, _, stored, _ = graded
    for student in ("hostile-hide_beyond_path_max", "hostile-deep_folders"):
        messages = " ".join(c["message"] for c in stored[student]["checks"])
        assert "scratch" in messages or "MiB" in messages, student
