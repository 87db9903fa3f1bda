"""grader.notebook.added: which code cells the grader drops, and the names they define, found without parsing."""

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell

from grader.assignment import Assignment
from grader.notebook.added import MAX_CELLS, MAX_NAMES, added_cells, defined_names, describe
from grader.sampleclass import release_notebook, submission


def test_top_level_definitions_and_imports_are_found_in_order():
    code = ("import numpy as np, os.path\n"
            "from numpy.lib.stride_tricks import (sliding_window_view as windows,\n"
            "from math import *\n"
            "def helper(x):\n    inner = 1\n    return x\n"
            "class Kernel:\n    pass\n"
            "SIZE: int = 3\nSIZE == 4\n")
    assert defined_names(code) == ["np", "os", "windows", "helper", "Kernel", "SIZE"]
    assert defined_names("x = 1\nprint(x)\n" + "".join(f"v{i} = {i}\n" for i in range(20))) == \
        ["x", "v0", "v1", "v2", "v3", "v4"][:MAX_NAMES]
    assert defined_names("print('hi')\n") == [] and defined_names("(" * 100_000) == []


def test_only_cells_a_student_added_are_reported():
    conv2d = Assignment.find("conv2d")
    assert added_cells(conv2d.source, release_notebook(conv2d)) == []
    notebook = submission(conv2d, None)
    notebook.cells[2:2] = [new_code_cell("def helper():\n    return 1\n"), new_markdown_cell("notes"),
                           new_code_cell("   \n"), new_code_cell("print(1)")]
    assert added_cells(conv2d.source, nbformat.from_dict(notebook)) == [
        {"position": 3, "defines": ["helper"]}, {"position": 6, "defines": []}]
    notebook.cells += [new_code_cell(f"x{i} = {i}") for i in range(2 * MAX_CELLS)]
    assert len(added_cells(conv2d.source, notebook)) == MAX_CELLS


def test_dropped_cells_in_words():
    assert describe([]) == ""
    assert str(describe([{"position": 4, "defines": ["helper", "np"]}])) == "code cell 4 (defines helper and np)"
    cells = [{"position": 4, "defines": []}, {"position": 5, "defines": ["f"]}, {"position": 9, "defines": []}]
    assert str(describe(cells)) == "code cell 4, code cell 5 (defines f), and code cell 9"
