"""End to end: a class of real conv2d notebooks graded through the sandbox, the checks and the gradebook.

One module-scoped batch grades every kind of submission once (the instructor's
solution, the released stub, each known-wrong variant, correct alternatives and
broken files); the tests below read its results. Hostile submissions have their
own suite in tests/hostile/.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from grader import paths, results
from grader.assignment import Assignment
from grader.autograde import autograde
from grader.cluster import client_factory
from grader.gradebook import course_db_url, scores
from grader.notebook.variants import read_variants
from grader.sampleclass import release_notebook, submission, write_submission

FIXTURES = Path(__file__).parent / "fixtures" / "conv2d"
ASSIGNMENT = Assignment.find("conv2d")
VARIANTS = {v.name: v for v in ASSIGNMENT.variants()}
ALTERNATIVES = {v.name: v for v in [*ASSIGNMENT.alternatives(), *read_variants(FIXTURES / "alternatives")]}


def build(course: Path) -> dict[str, str]:
    """Write the class; returns student -> expectation ("full", "zero", "ungradable", "variant")."""
    expect = {}

    def add(student, notebook, expectation):
        write_submission(course, student, "conv2d", notebook)
        expect[student] = expectation

    add("solution", submission(ASSIGNMENT, None), "full")
    add("stub", release_notebook(ASSIGNMENT), "zero")
    for name, variant in VARIANTS.items():
        add(f"variant-{name}", submission(ASSIGNMENT, variant), "variant")
    for name, variant in ALTERNATIVES.items():
        add(f"alt-{name}", submission(ASSIGNMENT, variant), variant.expect)
    add("broken-json", b'{"cells": [ not json', "ungradable")
    add("not-a-notebook", b"\x89PNG\r\n\x1a\n binary", "ungradable")
    add("two-notebooks", submission(ASSIGNMENT, None), "ungradable")
    nbformat.write(submission(ASSIGNMENT, None), course / "submitted" / "two-notebooks" / "conv2d" / "copy.ipynb")
    return expect


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    expect = build(course)
    started = time.monotonic()
    summary = autograde(course, ASSIGNMENT, client_factory=client_factory(workers=2), progress=False)
    elapsed = time.monotonic() - started
    stored = {s: results.read(paths.autograded_dir(course, s, "conv2d") / "result.json") for s in expect}
    return course, expect, stored, summary, elapsed


def test_every_submission_gets_a_result_and_the_batch_succeeds(graded):
    _, expect, stored, summary, _ = graded
    assert summary.ok, summary.errors
    assert all(stored[s] is not None for s in expect)
    assert summary.graded + summary.ungradable == len(expect)


def test_solution_and_correct_alternatives_score_full_marks(graded):
    _, expect, stored, _, _ = graded
    for student in [s for s, e in expect.items() if e == "full"]:
        result = stored[student]
        assert result["status"] == "graded", student
        assert result["score"] == result["max_score"] == ASSIGNMENT.max_score, (student, result["checks"])


def test_stub_and_delegating_submissions_score_zero(graded):
    _, expect, stored, _, _ = graded
    for student in [s for s, e in expect.items() if e == "zero"]:
        assert stored[student]["status"] == "graded", (student, stored[student]["reason"])
        assert stored[student]["score"] == 0, (student, [(c["name"], c["outcome"]) for c in stored[student]["checks"]])


def test_each_variant_loses_points_on_the_checks_it_targets(graded):
    _, _, stored, _, _ = graded
    assert len(VARIANTS) >= 5
    for name, variant in VARIANTS.items():
        result = stored[f"variant-{name}"]
        failed = {c["name"] for c in result["checks"] if c["outcome"] != "passed"}
        assert result["score"] < result["max_score"]
        assert set(variant.targets) <= failed, (name, failed)


def test_delegating_to_tensorflow_says_why(graded):
    _, _, stored, _, _ = graded
    messages = " ".join(c["message"] for c in stored["alt-tensorflow"]["checks"])
    assert "not available in this assignment" in messages


def test_broken_submissions_are_ungradable_with_reasons(graded):
    _, _, stored, _, _ = graded
    assert "not valid JSON" in stored["broken-json"]["reason"]
    assert "not UTF-8" in stored["not-a-notebook"]["reason"]
    assert "several notebooks" in stored["two-notebooks"]["reason"]
    assert all(stored[s]["status"] == "ungradable" for s in ("broken-json", "not-a-notebook", "two-notebooks"))


def test_gradebook_holds_the_same_scores(graded):
    course, expect, stored, _, _ = graded
    book = scores(course_db_url(course), "conv2d")
    for student, result in stored.items():
        assert book[student]["score"] == pytest.approx(result["score"]), student


def test_feedback_never_contains_hidden_code_or_details(graded):
    from grader.feedback import render

    course, _, stored, _, _ = graded
    hidden = (ASSIGNMENT.grading_dir / "checks.py").read_text()
    secret_lines = [line.strip() for line in hidden.splitlines() if len(line.strip()) > 25
                    and not line.strip().startswith(("#", '"""', "def ", "@check"))]
    for result in stored.values():
        page = render(result)
        assert str(ASSIGNMENT.config.seed) not in page
        assert not [line for line in secret_lines if line in page]
        assert "Traceback" not in page


def test_rerun_skips_graded_notebooks_and_force_regrades(graded):
    course, expect, stored, _, _ = graded
    summary = autograde(course, ASSIGNMENT, client_factory=client_factory(workers=1), progress=False)
    assert summary.skipped == len(expect) and summary.graded == 0


def _run_cli(course: Path, *extra) -> subprocess.Popen:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    return subprocess.Popen([sys.executable, "-m", "grader", "autograde", "conv2d", "--course", str(course),
                             "--workers", "2", "--quiet", *extra], env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_batch_killed_midway_and_rerun_ends_with_the_same_grades(tmp_path):
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    for course in (killed, clean):
        write_submission(course, "solution", "conv2d", submission(ASSIGNMENT, None))
        write_submission(course, "stub", "conv2d", release_notebook(ASSIGNMENT))
        for name, variant in VARIANTS.items():
            write_submission(course, f"variant-{name}", "conv2d", submission(ASSIGNMENT, variant))
    assert _run_cli(clean).wait(timeout=300) == 0
    victim = _run_cli(killed)
    deadline = time.monotonic() + 120
    while not list((killed / "autograded").glob("*/conv2d/result.json")) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait()
    done_before = len(list((killed / "autograded").glob("*/conv2d/result.json")))
    assert 0 < done_before
    rerun = _run_cli(killed)
    output, _ = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, output
    assert scores(course_db_url(killed), "conv2d") == scores(course_db_url(clean), "conv2d")
    for student in (p.name for p in (clean / "submitted").iterdir()):
        a = results.read(paths.autograded_dir(killed, student, "conv2d") / "result.json")
        b = results.read(paths.autograded_dir(clean, student, "conv2d") / "result.json")
        assert (a["score"], a["status"]) == (b["score"], b["status"]), student


def test_submission_time_from_timestamp_txt_reaches_the_result_and_the_gradebook(tmp_path):
    from nbgrader.api import Gradebook

    write_submission(tmp_path, "alice", "conv2d", submission(ASSIGNMENT, None))
    (tmp_path / "submitted" / "alice" / "conv2d" / "timestamp.txt").write_text("2026-11-20 09:30:00.000000 UTC\n")
    autograde(tmp_path, ASSIGNMENT, client_factory=client_factory(workers=1), progress=False)
    result = results.read(paths.autograded_dir(tmp_path, "alice", "conv2d") / "result.json")
    assert result["submitted_at"] == "2026-11-20 09:30:00.000000 UTC"
    with Gradebook(course_db_url(tmp_path)) as gb:
        assert gb.find_submission("conv2d", "alice").timestamp.isoformat().startswith("2026-11-20T09:30:00")


def test_an_unusable_timestamp_is_a_warning_and_grading_goes_on(tmp_path):
    """Garbage, binary, huge, out of range, a link, a folder: each result is written with a warning for the TA.

    Broken notebooks keep the sandbox out of it. ``old`` already has a result from before timestamp.txt was
    checked (garbage in ``submitted_at``): re-recording it used to fail the gradebook write on every re-run.
    """
    from grader.notebook.submission import sha256
    from grader.timestamps import TIMESTAMP_FILE

    stamps = {"garbage": lambda p: p.write_text("last tuesday"), "binary": lambda p: p.write_bytes(b"\x00\xff" * 9),
              "huge": lambda p: p.write_bytes(b"2024-03-01 " * 100_000),
              "range": lambda p: p.write_text("1900-01-01 00:00:00.000000 UTC"),
              "link": lambda p: p.symlink_to("/dev/zero"), "folder": lambda p: p.mkdir(),
              "fine": lambda p: p.write_text("2026-11-20 09:30:00.000000 UTC\n")}
    for student, make in [*stamps.items(), ("old", lambda p: p.write_text("garbage"))]:
        write_submission(tmp_path, student, "conv2d", b'{"cells": [ not json')
        make(tmp_path / "submitted" / student / "conv2d" / TIMESTAMP_FILE)
    notebook = paths.submitted_notebook(tmp_path, "old", "conv2d")
    results.write_atomic(paths.autograded_dir(tmp_path, "old", "conv2d") / "result.json", results.new_result(
        "old", "conv2d", "ungradable", "not JSON", notebook_sha256=sha256(notebook), submitted_at="garbage"))
    for _ in range(2):
        summary = autograde(tmp_path, ASSIGNMENT, client_factory=client_factory(workers=1), progress=False)
        assert summary.ok and summary.skipped in (1, len(stamps) + 1)
    stored = {s: results.read(paths.autograded_dir(tmp_path, s, "conv2d") / "result.json") for s in stamps}
    assert all(r["status"] == "ungradable" for r in stored.values())
    assert stored["fine"]["submitted_at"] == "2026-11-20 09:30:00.000000 UTC" and stored["fine"]["warnings"] == []
    for student in set(stamps) - {"fine"}:
        assert stored[student]["submitted_at"] is None, student
        [warning] = stored[student]["warnings"]
        assert warning.startswith("timestamp.txt ignored (") and len(warning) < 200, warning
    assert set(scores(course_db_url(tmp_path), "conv2d")) == set(stamps) | {"old"}


def test_a_result_the_gradebook_refuses_costs_that_student_only(tmp_path, monkeypatch):
    from grader.gradebook import GradebookWriter

    course = tmp_path / "course"
    write_submission(course, "refused", "conv2d", submission(ASSIGNMENT, None))
    write_submission(course, "solution", "conv2d", submission(ASSIGNMENT, None))
    original = GradebookWriter.record

    def record(self, result):
        if result["student"] == "refused":
            raise RuntimeError("database is locked")
        original(self, result)

    monkeypatch.setattr(GradebookWriter, "record", record)
    summary = autograde(course, ASSIGNMENT, client_factory=client_factory(workers=1), progress=False)
    assert [e.split(":")[0] for e in summary.errors] == ["refused"] and summary.graded == 1
    assert results.read(paths.autograded_dir(course, "refused", "conv2d") / "result.json")["score"] == 10
    assert scores(course_db_url(course), "conv2d")["solution"]["score"] == 10
