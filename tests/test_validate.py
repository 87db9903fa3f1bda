"""grader validate: what a student sees before submitting."""

import nbformat
from nbformat.v4 import new_code_cell

from grader.assignment import Assignment
from grader.cli import main
from grader.sampleclass import release_notebook, submission

ASSIGNMENT = Assignment.find("conv2d")


def write(tmp_path, notebook):
    path = tmp_path / "conv2d.ipynb"
    nbformat.write(notebook, path)
    return path


def test_solution_passes_all_visible_tests(tmp_path, capsys):
    assert main(["validate", str(write(tmp_path, submission(ASSIGNMENT, None)))]) == 0
    out = capsys.readouterr().out
    assert "all visible tests pass" in out
    assert out.count("ok") >= 4


def test_stub_reports_what_is_not_implemented(tmp_path, capsys):
    assert main(["validate", str(write(tmp_path, release_notebook(ASSIGNMENT)))]) == 1
    out = capsys.readouterr().out
    lines = {line.split()[-4] if "not implemented" in line else "": line for line in out.splitlines()}
    assert "correlate2d_tests" in lines and "conv2d_tests" in lines, out


def test_extra_cells_are_flagged_as_not_graded(tmp_path, capsys):
    notebook = submission(ASSIGNMENT, None)
    notebook.cells.insert(3, new_code_cell("def helper():\n    return 1"))
    main(["validate", str(write(tmp_path, notebook))])
    assert "not a solution cell: the grader ignores it" in capsys.readouterr().out


def test_ungradable_notebook_says_why(tmp_path, capsys):
    path = tmp_path / "conv2d.ipynb"
    path.write_text("{ not json")
    assert main(["validate", str(path)]) == 1
    assert "UNGRADABLE" in capsys.readouterr().out
