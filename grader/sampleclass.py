"""Sample classes built from an assignment's own material, for the demo, the gate and benchmarks."""

from __future__ import annotations

from pathlib import Path

import nbformat

from grader import paths
from grader.assignment import Assignment
from grader.i18n import SOURCE_LANGUAGE
from grader.notebook.variants import Variant, fill_solutions

HOSTILE = {
    "hostile-infinite-loop": "while True:\n    pass\n",
    "hostile-exit": "import os\nos._exit(0)\n",
    "hostile-patch-numpy": ("import numpy as np\nnp.allclose = lambda *a, **k: True\n"
                            "np.testing.assert_allclose = lambda *a, **k: None\n"),
}


def release_notebook(assignment: Assignment, language: str = SOURCE_LANGUAGE) -> nbformat.NotebookNode:
    """The released student notebook of the ``language`` edition; tells the instructor how to make it when it
    is missing."""
    path = assignment.release_path(language=language)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: run `grader release {assignment.name}` first")
    return nbformat.read(path, as_version=4)


def submission(assignment: Assignment, variant: Variant | None,
               language: str = SOURCE_LANGUAGE) -> nbformat.NotebookNode:
    """The notebook a student of the ``language`` edition would hand in for ``variant`` (None: the solution)."""
    return fill_solutions(release_notebook(assignment, language), assignment.source,
                          variant.cells if variant else None)


def hostile(assignment: Assignment, code: str, language: str = SOURCE_LANGUAGE) -> nbformat.NotebookNode:
    """The released stub with ``code`` prepended to its first solution cell: any score it gets is a hole."""
    notebook = release_notebook(assignment, language)
    first = next(c for c in notebook.cells if c.get("metadata", {}).get("nbgrader", {}).get("solution"))
    first.source = code + first.source
    return notebook


def sample_notebooks(assignment: Assignment, language: str = SOURCE_LANGUAGE) -> dict[str, nbformat.NotebookNode]:
    """student id -> notebook of the ``language`` edition: solution, stub, the known-wrong variants and a few
    hostile ones.

    Assignments that train networks (``needs_gpu``) take a minute per notebook on a CPU: their
    sample class has one variant and no hostile submissions, so the demo stays short.
    """
    heavy = assignment.config.needs_gpu
    notebooks = {"solution": submission(assignment, None, language), "stub": release_notebook(assignment, language)}
    for variant in assignment.variants()[:1] if heavy else assignment.variants():
        notebooks[f"variant-{variant.name}"] = submission(assignment, variant, language)
    for student, code in {} if heavy else HOSTILE.items():
        notebooks[student] = hostile(assignment, code, language)
    return notebooks


def write_submission(course: Path, student: str, assignment: str, notebook) -> Path:
    """Put ``notebook`` (a NotebookNode, or raw bytes for broken files) where nbgrader expects it."""
    path = paths.submitted_notebook(course, student, assignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(notebook, bytes):
        path.write_bytes(notebook)
    else:
        nbformat.write(notebook, path)
    return path


def build_class(course: Path, assignment: Assignment) -> list[str]:
    """Write the sample class into ``course/submitted``; returns the student ids."""
    students = []
    for student, notebook in sample_notebooks(assignment).items():
        write_submission(course, student, assignment.name, notebook)
        students.append(student)
    write_submission(course, "broken-json", assignment.name, b'{"cells": [ this is not json')
    return [*students, "broken-json"]
