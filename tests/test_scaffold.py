"""grader new: the scaffold passes release and the gate as generated, in a course directory of its own (never
the installed package); never overwrites."""

from __future__ import annotations

import re
import tomllib

import nbformat
import pytest

import reference  # noqa: F401  the real package is imported: the scaffold's checks must still find its stub
from grader.assignment import Assignment
from grader.cli import main
from grader.notebook.cells import grade_id, is_graded, is_solution, points


@pytest.fixture
def project(tmp_path, monkeypatch):
    """An empty course directory, the current directory of every command (--course defaults to it)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_new_assignment_releases_and_passes_the_gate(project, tmp_path, capsys):
    assert main(["new", "warmup"]) == 0
    assert {p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file()} == {
        "assignments/warmup/warmup.ipynb", "assignments/warmup/grading/checks.py",
        "assignments/warmup/grading/config.toml", "assignments/warmup/grading/variants/wrong.py",
        "reference/warmup.py"}

    assignment = Assignment.find("warmup", project / "assignments")
    cells = assignment.source.cells
    assert [grade_id(c) for c in cells if is_solution(c)] == ["warmup_impl"]
    assert [grade_id(c) for c in cells if is_graded(c)] == ["warmup_tests"]
    locked = [c for c in cells if c.metadata.get("nbgrader", {}).get("locked") and c.cell_type == "code"]
    assert "import numpy as np" in locked[0].source
    assert [(c.cell, c.points) for c in assignment.checks] == [("warmup_tests", points(cells[3]))]
    assert re.fullmatch(r"\d{9}", str(assignment.config.seed))

    assert main(["release", "warmup"]) == 0
    released = (project / "release" / "en" / "warmup" / "warmup.ipynb").read_text()
    assert "raise NotImplementedError" in released and "2 * np.asarray" not in released
    assert str(assignment.config.seed) not in released
    assert main(["release", "--check", "warmup"]) == 0

    capsys.readouterr()
    assert main(["gate", "warmup"]) == 0
    out = capsys.readouterr().out
    assert "gate warmup: PASSED" in out
    assert re.search(r"ok\s+en\s+solution\s+2/2", out) and re.search(r"ok\s+en\s+stub\s+0/2", out)
    assert re.search(r"ok\s+en\s+variant-wrong\s+0/2", out)

    from grader.sampleclass import submission

    solution = tmp_path / "warmup.ipynb"
    nbformat.write(submission(assignment, None), solution)
    assert main(["validate", str(solution)]) == 0                # the visible tests pass for the solution
    assert "all visible tests pass" in capsys.readouterr().out


def test_new_refuses_to_overwrite(project, capsys):
    assert main(["new", "warmup"]) == 0
    notebook = project / "assignments" / "warmup" / "warmup.ipynb"
    notebook.write_text(notebook.read_text().replace("Replace this introduction", "My own introduction"))
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    capsys.readouterr()

    assert main(["new", "warmup"]) == 2
    assert "refusing to overwrite" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in project.rglob("*") if p.is_file()} == before

    (project / "reference" / "conv.py").write_text("# an existing reference module\n")
    assert main(["new", "conv"]) == 2                            # would clobber reference/conv.py
    assert not (project / "assignments" / "conv").exists()


@pytest.mark.parametrize("name", ["Conv", "two words", "1st", "class", "../escape", "a-b"])
def test_new_refuses_names_that_are_not_identifiers(project, name, capsys):
    assert main(["new", name]) == 2
    assert "must be a lower-case Python identifier" in capsys.readouterr().err
    assert not (project / "assignments").exists()


def test_each_scaffold_gets_its_own_secret_seed(project):
    assert main(["new", "first"]) == 0 and main(["new", "second"]) == 0
    seeds = {tomllib.loads((project / "assignments" / n / "grading" / "config.toml").read_text())["seed"]
             for n in ("first", "second")}
    assert len(seeds) == 2


def test_new_writes_into_the_course_config_folder_never_the_package(tmp_path, capsys):
    from grader import paths

    package = sorted(p.name for p in paths.assignments_root().iterdir())
    course = tmp_path / "course"
    course.mkdir()
    (course / "grader.toml").write_text('assignments = "homework"\n')
    assert main(["new", "attention", "--course", str(course)]) == 0
    assert (course / "homework" / "attention" / "attention.ipynb").is_file()
    assert (course / "reference" / "attention.py").is_file()
    assert sorted(p.name for p in paths.assignments_root().iterdir()) == package
    assert main(["release", "attention", "--course", str(course)]) == 0
    assert (course / "release" / "en" / "attention" / "attention.ipynb").is_file()   # beside the course's own folder
    assert "--course" in capsys.readouterr().out                             # the next step names the course
