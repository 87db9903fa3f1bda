"""Regrades: exactly the students asked for, and a forced run that is interrupted is finished by the next run."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from grader import paths, regrade, results
from grader.assignment import Assignment
from grader.autograde import autograde
from grader.cluster import client_factory
from grader.sampleclass import release_notebook, submission, write_submission

ASSIGNMENT = Assignment.find("conv2d")
ENV = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}


def _class(course: Path, n: int) -> list[str]:
    students = [f"s{i:02d}" for i in range(n)]
    for i, student in enumerate(students):
        notebook = submission(ASSIGNMENT, None) if i % 2 == 0 else release_notebook(ASSIGNMENT)
        write_submission(course, student, "conv2d", notebook)
    return students


def _graded_at(course: Path, students: list[str]) -> dict[str, str]:
    return {s: results.read(paths.autograded_dir(course, s, "conv2d") / "result.json")["graded_at"] for s in students}


def _cli(course: Path, *extra) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "grader", "autograde", "conv2d", "--course", str(course),
                             "--workers", "1", "--quiet", *extra], env=ENV, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _forced_run_under_way(course: Path, n: int = 8) -> tuple[subprocess.Popen, list[str], dict]:
    """A graded class, and a forced regrade of it that has just stored its first new result."""
    students = _class(course, n)
    assert _cli(course).wait(timeout=300) == 0
    before = _graded_at(course, students)
    forced = _cli(course, "--force")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and _graded_at(course, students) == before:
        time.sleep(0.05)
    return forced, students, before


def test_the_record_keeps_who_is_left(tmp_path):
    regrade.promise(tmp_path, "conv2d", {"a", "b"})
    regrade.fulfilled(tmp_path, "conv2d", "a")
    assert regrade.pending(tmp_path, "conv2d") == {"b"}
    regrade.fulfilled(tmp_path, "conv2d", "b")
    assert regrade.pending(tmp_path, "conv2d") == set()
    assert not list((tmp_path / "autograded").glob(".regrade-*"))


def test_only_the_students_asked_for_are_graded(tmp_path):
    students = _class(tmp_path, 3)
    summary = autograde(tmp_path, ASSIGNMENT, client_factory=client_factory(workers=1), progress=False,
                        students=[students[1]])
    assert summary.to_grade == 1 and summary.graded == 1
    assert [s for s in students if (paths.autograded_dir(tmp_path, s, "conv2d") / "result.json").exists()] == \
        [students[1]]


def test_a_forced_run_killed_midway_is_finished_by_the_next_plain_run(tmp_path):
    forced, students, before = _forced_run_under_way(tmp_path)
    os.killpg(forced.pid, signal.SIGKILL)
    forced.wait()
    assert regrade.pending(tmp_path, "conv2d"), "the kill came too late to test anything"
    assert _cli(tmp_path).wait(timeout=300) == 0
    after = _graded_at(tmp_path, students)
    assert [s for s in students if after[s] == before[s]] == [], "a promised regrade was dropped"
    assert regrade.pending(tmp_path, "conv2d") == set()


def test_ctrl_c_prints_one_line_and_the_same_command_finishes(tmp_path):
    forced, _, _ = _forced_run_under_way(tmp_path)
    os.killpg(forced.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole process group
    _, err = forced.communicate(timeout=120)
    assert forced.returncode == 130, err
    assert "interrupted: " in err and "run the same command to finish" in err and "Traceback" not in err, err
    assert _cli(tmp_path, "--force").wait(timeout=300) == 0
    assert regrade.pending(tmp_path, "conv2d") == set()
