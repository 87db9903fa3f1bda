"""The rebuilt program takes only the student's solution cells; everything else comes from the source."""

import copy
import json

import nbformat
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.notebook.rebuild import rebuild, strip_magics
from grader.notebook.submission import Ungradable, read_submission


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


@pytest.mark.parametrize("damage, reason", [
    (lambda nb: nb["cells"][1].update(metadata="solution"), "metadata is not a JSON object"),
    (lambda nb: nb["cells"][1]["metadata"].update(nbgrader="f_impl"), "nbgrader metadata"),
    (lambda nb: nb["cells"][1].pop("source"), "source is not text"),
    (lambda nb: nb["cells"].append(7), "cell 5 is malformed"),
    (lambda nb: nb.update(cells={}), "no list of cells"),
])
def test_malformed_submission_is_ungradable_not_a_crash(damage, reason):
    student = json.loads(json.dumps(submission()))
    damage(student)
    with pytest.raises(Ungradable, match=reason):
        rebuild(source_notebook(), nbformat.from_dict(student))


def test_list_sources_are_joined():
    student = json.loads(json.dumps(submission()))
    student["cells"][1]["source"] = ["def f(x):\n", "    return x"]
    assert rebuild(source_notebook(), nbformat.from_dict(student))[1]["source"] == "def f(x):\n    return x"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8)
KEYS = ["cells", "nbformat", "metadata", "nbgrader", "source", "cell_type", "grade_id", "solution", "grade",
        "points", "id", "outputs", "locked"]


@st.composite
def mutated_notebooks(draw):
    """The student notebook with one to four random changes: values replaced, keys removed or set."""
    doc = json.loads(json.dumps(submission()))
    for _ in range(draw(st.integers(1, 4))):
        parent, key, node = None, None, doc
        while isinstance(node, (dict, list)) and node and draw(st.integers(0, 4)):
            parent, key = node, draw(st.sampled_from(list(node) if isinstance(node, dict) else range(len(node))))
            node = parent[key]
        action = draw(st.sampled_from(["replace", "delete", "set"]))
        if parent is None:
            doc = draw(json_values) if action == "replace" else doc
        elif action == "replace":
            parent[key] = draw(json_values)
        elif action == "delete":
            del parent[key]
        elif isinstance(node, dict):
            node[draw(st.sampled_from(KEYS))] = draw(json_values)
    return doc


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=mutated_notebooks())
@example(doc={"nbformat": 4, "cells": [{"cell_type": "code", "source": "", "metadata": "x"}]})
@example(doc={"nbformat": 4, "cells": [{"cell_type": "code", "source": 1, "metadata": {"nbgrader": []}}]})
def test_rebuild_raises_only_ungradable(doc, tmp_path_factory):
    """Fuzz: any mutation of a notebook is rebuilt or Ungradable, whether read from disk or handed over."""
    for student in (lambda: nbformat.from_dict(copy.deepcopy(doc)), lambda: read_from_disk(doc, tmp_path_factory)):
        try:
            program = rebuild(source_notebook(), student())
        except Ungradable as reason:
            assert 0 < len(str(reason)) < 400
        else:
            assert all(isinstance(c["source"], str) for c in program)


def read_from_disk(doc, tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "f.ipynb"
    path.write_text(json.dumps(doc))
    return read_submission(path)
