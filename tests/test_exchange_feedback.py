"""End to end through nbgrader's exchange: our feedback pages reach each student by ``fetch_feedback``.

The instructor releases conv2d to a temporary exchange, two students (each with their own
HOME, so their own nbgrader cache) fetch and submit it, the instructor collects, grades with
``grader autograde`` (in the sandbox), writes pages with ``grader feedback`` and publishes them
with ``nbgrader release_feedback``; each student's ``nbgrader fetch_feedback`` must bring back
their own page, byte for byte, and nobody else's.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from grader import paths
from grader.assignment import Assignment
from grader.sampleclass import submission

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # nbgrader's alembic must be on PATH
COURSE_ID = "cnn"


def environment(home: Path) -> dict[str, str]:
    """The caller's environment with ``home`` as HOME and no Jupyter or XDG folders of the caller's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "XDG_"))}
    return {**env, "HOME": str(home), "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}"}


def run(cwd: Path, home: Path, *command: str) -> str:
    done = subprocess.run(command, cwd=cwd, env=environment(home), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{command}:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def nbgrader(cwd: Path, home: Path, *args: str) -> str:
    return run(cwd, home, str(BIN / "nbgrader"), *args)


def grader(home: Path, *args: str) -> str:
    return run(REPO, home, sys.executable, "-m", "grader", *args)


def write_config(folder: Path, exchange: Path, course: Path | None = None) -> None:
    """nbgrader_config.py as a course (``course`` given) or a student's working folder would have it."""
    lines = ["c = get_config()", f"c.CourseDirectory.course_id = {COURSE_ID!r}", f"c.Exchange.root = {str(exchange)!r}"]
    if course is not None:
        lines.append(f"c.CourseDirectory.root = {str(course)!r}")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nbgrader_config.py").write_text("\n".join(lines) + "\n")


def test_each_student_fetches_only_their_own_page_through_the_exchange(tmp_path):
    course, exchange, instructor = tmp_path / "C", tmp_path / "exchange", tmp_path / "instructor-home"
    exchange.mkdir()
    instructor.mkdir()
    write_config(course, exchange, course)
    assignment = Assignment.find("conv2d")
    shutil.copytree(assignment.release_path().parent, course / "release" / "conv2d")
    nbgrader(course, instructor, "release_assignment", "conv2d")

    expected = {"alice": "10 / 10", "bob": "0 / 10"}  # alice hands in the solution, bob the stub as fetched
    work = {}
    for student in expected:
        home = tmp_path / f"home-{student}"
        work[student] = home / "work"
        write_config(work[student], exchange)
        nbgrader(work[student], home, "fetch_assignment", "conv2d")
        if student == "alice":
            nbformat.write(submission(assignment, None), work[student] / "conv2d" / "conv2d.ipynb")
        nbgrader(work[student], home, "submit", "conv2d", "--student", student)

    nbgrader(course, instructor, "collect", "conv2d")
    grader(instructor, "autograde", "conv2d", "--course", str(course), "--workers", "1", "--quiet")
    output = grader(instructor, "feedback", "conv2d", "--course", str(course))
    assert "note:" not in output, output
    for student in expected:
        folder = paths.feedback_dir(course, student, "conv2d")
        assert sorted(p.name for p in folder.iterdir()) == ["conv2d.html", "submission_secret.txt", "timestamp.txt"]
        submitted = paths.submitted_notebook(course, student, "conv2d").parent
        for name in ("submission_secret.txt", "timestamp.txt"):
            assert (folder / name).read_bytes() == (submitted / name).read_bytes()
    nbgrader(course, instructor, "release_feedback", "conv2d")
    assert len(list((exchange / COURSE_ID / "feedback").glob("*.html"))) == 2

    for student, score in expected.items():
        nbgrader(work[student], tmp_path / f"home-{student}", "fetch_feedback", "conv2d")
        [page] = (work[student] / "conv2d" / "feedback").glob("*/*")
        assert page.name == "conv2d.html"
        ours = paths.feedback_dir(course, student, "conv2d") / "conv2d.html"
        assert page.read_bytes() == ours.read_bytes()
        text = page.read_text()
        assert f'<p class="score">{score}</p>' in text and f"feedback for {student}<" in text
        other = next(s for s in expected if s != student)
        assert other not in text
