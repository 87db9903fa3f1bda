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


# ----------------------------------------------------------------------------- fragile notebooks

def _test_cell(notebook, key):
    from grader.notebook.cells import grade_id

    return next(c for c in notebook.cells if grade_id(c) == key)


def test_changed_grade_id_of_a_test_cell_is_flagged():
    from grader.validate import notebook_warnings

    notebook = submission(ASSIGNMENT, None)
    _test_cell(notebook, "conv2d_tests").metadata["nbgrader"]["grade_id"] = "my_tests"
    warnings = notebook_warnings(release_notebook(ASSIGNMENT), notebook)
    assert len(warnings) == 1 and "conv2d_tests has grade id 'my_tests' now" in warnings[0]


def test_deleted_and_edited_test_cells_are_flagged():
    from grader.validate import extra_code_cells, notebook_warnings

    notebook = submission(ASSIGNMENT, None)
    notebook.cells.remove(_test_cell(notebook, "correlate2d_tests"))
    _test_cell(notebook, "conv2d_tests").source = "assert True  # tests removed"
    warnings = notebook_warnings(release_notebook(ASSIGNMENT), notebook)
    assert any("correlate2d_tests was deleted or replaced" in w for w in warnings), warnings
    assert any("conv2d_tests was edited" in w for w in warnings), warnings
    assert extra_code_cells(release_notebook(ASSIGNMENT), notebook) == []   # reported once, not twice


def test_untouched_notebook_has_no_warnings():
    from grader.validate import notebook_warnings

    assert notebook_warnings(release_notebook(ASSIGNMENT), submission(ASSIGNMENT, None)) == []


def test_large_outputs_are_flagged_and_the_run_time_shown(tmp_path, capsys):
    from nbformat.v4 import new_output

    notebook = submission(ASSIGNMENT, None)
    cell = _test_cell(notebook, "conv2d_tests")
    cell.metadata["nbgrader"]["grade_id"] = "renamed_tests"
    cell.outputs = [new_output("display_data", data={"image/png": "A" * (6 << 20)})]   # a 6 MiB plot
    assert main(["validate", str(write(tmp_path, notebook))]) == 0                   # gradable: warnings only
    out = capsys.readouterr().out
    assert "warning: the outputs take 6.0 MiB" in out and "clear outputs before submitting" in out
    assert "warning: the test cell conv2d_tests has grade id 'renamed_tests' now" in out
    assert "ran in " in out and "all visible tests pass" in out


def test_warnings_are_shown_for_an_ungradable_notebook_too(tmp_path, capsys):
    notebook = release_notebook(ASSIGNMENT)
    notebook.cells = [c for c in notebook.cells
                      if c.metadata.get("nbgrader", {}).get("grade_id") not in ("conv2d_impl", "conv2d_tests")]
    assert main(["validate", str(write(tmp_path, notebook))]) == 1
    out = capsys.readouterr().out
    assert "warning: the test cell conv2d_tests was deleted" in out
    assert "UNGRADABLE: the solution cell 'conv2d_impl' is missing" in out
