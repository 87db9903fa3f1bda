"""The hostile and faulty submissions behind SECURITY.md, each with what it tries and what must happen.

Process-level attacks are conv2d submissions in ``tests/fixtures/conv2d/hostile/`` (variant format,
``# variant:`` says what it tries, ``# expect:`` what must happen; ``{COURSE}`` and ``{PROJECT}`` are
replaced by the real paths); notebook-level ones (tampered cells, broken files, a bad timestamp, a
hostile student id) are made here from the released notebook. ``course/canary.txt`` is the file
attacks aim at besides the gradebook and other students' notebooks. ``build(course)`` writes them all
into ``course/submitted`` next to a correct control submission.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Callable

import nbformat

from grader import paths
from grader.assignment import Assignment
from grader.notebook.cells import grade_id, is_graded, is_solution
from grader.notebook.variants import read_variants
from grader.sampleclass import release_notebook, submission, write_submission

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "conv2d" / "hostile"
ASSIGNMENT = Assignment.find("conv2d")
FORMULA_STUDENT = "=1+2"
CANARY = "canary.txt"
CANARY_TEXT = "a file outside the sandbox that no grading job may change\n"


@dataclasses.dataclass(frozen=True)
class Case:
    """One submission of the suite: what it tries, what must happen, how to write it."""

    student: str
    tries: str
    expect: str
    write: Callable[[Path], None]


def _notebook_case(student: str, tries: str, expect: str, make: Callable[[], object]) -> Case:
    return Case(student, tries, expect, lambda course: write_submission(course, student, "conv2d", make()))


def _with_placeholders(variant, course: Path):
    cells = {k: v.replace("{PROJECT}", str(paths.project_root())).replace("{COURSE}", str(course))
             for k, v in variant.cells.items()}
    return dataclasses.replace(variant, cells=cells)


def _fixture_case(variant) -> Case:
    student = f"hostile-{variant.name}"
    return Case(student, variant.description, variant.expect,
                lambda course: write_submission(course, student, "conv2d",
                                                submission(ASSIGNMENT, _with_placeholders(variant, course))))


def _map_tests(notebook, change: Callable):
    notebook = copy.deepcopy(notebook)
    for cell in notebook.cells:
        if is_graded(cell):
            change(cell)
    return notebook


def _tamper(cell):
    cell.source = "pass"
    cell.metadata.nbgrader["points"] = 100
    cell.metadata.nbgrader["grade_id"] += "_renamed"


def _delete_tests(notebook):
    notebook = copy.deepcopy(notebook)
    notebook.cells = [c for c in notebook.cells if not is_graded(c)]
    return notebook


def _duplicate_tests(notebook):
    notebook = copy.deepcopy(notebook)
    extra = []
    for cell in notebook.cells:
        if is_graded(cell):
            twin = copy.deepcopy(cell)
            twin.id = f"{cell.id}-copy"
            twin.metadata.nbgrader["points"] = 100
            extra.append(twin)
    notebook.cells += extra
    return notebook


def _move_tests_first(notebook):
    notebook = copy.deepcopy(notebook)
    notebook.cells = [c for c in notebook.cells if is_graded(c)] + [c for c in notebook.cells if not is_graded(c)]
    return notebook


def _drop_solution_ids(notebook):
    notebook = copy.deepcopy(notebook)
    for cell in notebook.cells:
        if is_solution(cell) and grade_id(cell) == "conv2d_impl":
            del cell.metadata.nbgrader["grade_id"]
    return notebook


def _huge(notebook):
    notebook = copy.deepcopy(notebook)
    notebook.cells.append(nbformat.v4.new_markdown_cell("x" * (100 << 20)))
    return notebook


def _bytes_case(student: str, tries: str, data: bytes) -> Case:
    return Case(student, tries, "ungradable", lambda course: write_submission(course, student, "conv2d", data))


def _symlink_case() -> Case:
    def write(course: Path) -> None:
        path = paths.submitted_notebook(course, "file-symlink", "conv2d")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to("/etc/passwd")

    return Case("file-symlink", "submits a symbolic link to /etc/passwd as its notebook", "ungradable", write)


def _two_notebooks_case() -> Case:
    def write(course: Path) -> None:
        path = write_submission(course, "file-two-notebooks", "conv2d", submission(ASSIGNMENT, None))
        nbformat.write(submission(ASSIGNMENT, None), path.with_name("conv2d-copy.ipynb"))

    return Case("file-two-notebooks", "hands in two notebooks", "ungradable", write)


def _timestamp_case() -> Case:
    def write(course: Path) -> None:
        path = write_submission(course, "file-bad-timestamp", "conv2d", submission(ASSIGNMENT, None))
        path.with_name("timestamp.txt").write_bytes(b"\xff\x00 not a date 9999-99-99 " * 1000)

    return Case("file-bad-timestamp", "a correct notebook with a timestamp.txt that is not a date", "full", write)


def cases() -> list[Case]:
    """Every case of the suite, the correct control submission first."""
    stub, solution = release_notebook(ASSIGNMENT), submission(ASSIGNMENT, None)
    nbformat3 = json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": []}]})
    return [
        _notebook_case("control-solution", "nothing: the instructor's solution, graded in the same batch", "full",
                       lambda: solution),
        *(_fixture_case(v) for v in read_variants(FIXTURES)),
        _notebook_case("cells-tampered-tests", "empties every test cell, sets its points to 100, renames its grade id",
                       "zero", lambda: _map_tests(stub, _tamper)),
        _notebook_case("cells-deleted-tests", "deletes every test cell", "zero", lambda: _delete_tests(stub)),
        _notebook_case("cells-duplicated-tests", "duplicates every test cell with 100 points", "zero",
                       lambda: _duplicate_tests(stub)),
        _notebook_case("cells-moved-tests", "moves the test cells before the solutions (correct code)", "full",
                       lambda: _move_tests_first(solution)),
        _notebook_case("cells-solution-id-removed", "removes the grade id of a solution cell", "ungradable",
                       lambda: _drop_solution_ids(solution)),
        _notebook_case("file-100mb", "hands in a 100 MB notebook", "ungradable", lambda: _huge(solution)),
        _bytes_case("file-invalid-json", "hands in a file that is not JSON", b'{"cells": [ oops'),
        _bytes_case("file-nbformat3", "hands in an nbformat 3 notebook", nbformat3.encode()),
        _bytes_case("file-empty-notebook", "hands in a notebook with no cells",
                    json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}).encode()),
        _bytes_case("file-empty", "hands in an empty file", b""),
        _bytes_case("file-not-utf8", "hands in bytes that are not UTF-8", b"\xff\xfe\xfa not text \x80"),
        _two_notebooks_case(),
        _symlink_case(),
        _timestamp_case(),
        _notebook_case(FORMULA_STUDENT, "a student id that a spreadsheet would run as a formula", "full",
                       lambda: solution),
    ]


def build(course: Path) -> dict[str, Case]:
    """Write every case into ``course/submitted``; returns them by student id."""
    suite = {case.student: case for case in cases()}
    (course / CANARY).write_text(CANARY_TEXT)
    for case in suite.values():
        case.write(course)
    return suite


def verdict(case: Case, result: dict | None) -> str:
    """"" when ``result`` is what ``case`` must get, else what went wrong."""
    if result is None:
        return "no result"
    status, score, top = result["status"], result["score"], result["max_score"]
    if case.expect == "ungradable":
        return "" if status == "ungradable" and result["reason"] else f"expected ungradable, got {status}"
    if status != "graded":
        return f"expected graded, got {status}: {result['reason']}"
    wanted = {"zero": 0.0, "full": top}.get(case.expect)
    if wanted is None:
        wanted = float(case.expect.removeprefix("score="))
    return "" if score == wanted else f"expected {wanted:g}/{top:g}, got {score:g}"
