"""The rebuilt program takes only the student's solution cells; everything else comes from the source."""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.notebook.rebuild import rebuild, strip_magics
from grader.notebook.submission import Ungradable


def cell(source, **meta):
    return new_code_cell(source, metadata={"nbgrader": {"schema_version": 3, **meta}} if meta else {})


def source_notebook():
    return new_notebook(cells=[
        new_markdown_cell("# intro"),
        cell("import numpy as np"),
        cell("def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION",
             solution=True, grade=False, grade_id="f_impl"),
        cell("assert f(1) == 1", grade=True, solution=False, grade_id="f_tests", points=2, locked=True),
    ])


def submission(solution="def f(x):\n    return x", test="assert f(1) == 1", test_id="f_tests"):
    return new_notebook(cells=[
        cell("import numpy as np"),
        cell(solution, solution=True, grade=False, grade_id="f_impl"),
        cell(test, grade=True, solution=False, grade_id=test_id, points=99),
        cell("print('scratch work')"),
    ])


def test_program_uses_student_solution_and_source_tests():
    program = rebuild(source_notebook(), submission(test="pass  # student deleted the test"))
    assert [(c["id"], c["kind"]) for c in program] == [
        ("cell-1", "locked"), ("f_impl", "solution"), ("f_tests", "test")]
    assert program[1]["source"] == "def f(x):\n    return x"
    assert program[2]["source"] == "assert f(1) == 1"
    assert all("scratch work" not in c["source"] for c in program)


def test_renamed_test_cell_changes_nothing():
    program = rebuild(source_notebook(), submission(test_id="renamed"))
    assert program[2]["source"] == "assert f(1) == 1"


def test_missing_solution_cell_is_ungradable():
    student = submission()
    student.cells[1].metadata.nbgrader["grade_id"] = "other"
    with pytest.raises(Ungradable, match="'f_impl' is missing"):
        rebuild(source_notebook(), student)


def test_duplicated_solution_cell_is_ungradable():
    student = submission()
    student.cells.append(nbformat.from_dict(dict(student.cells[1])))
    with pytest.raises(Ungradable, match="appears 2 times"):
        rebuild(source_notebook(), student)


def test_magics_become_pass():
    assert strip_magics("%matplotlib inline\nx = 1\n  !pip install scipy") == (
        "pass  # IPython magic removed by the grader\nx = 1\n  pass  # IPython magic removed by the grader")
