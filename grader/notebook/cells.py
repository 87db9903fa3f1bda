"""nbgrader cell metadata, read the way nbgrader writes it (schema version 3)."""

from __future__ import annotations

import re

from nbformat import NotebookNode

SOLUTION_REGION = re.compile(r"^[ \t]*### BEGIN SOLUTION[ \t]*\n(.*?)^[ \t]*### END SOLUTION[ \t]*\n?", re.S | re.M)


def nbgrader_meta(cell: NotebookNode) -> dict:
    """The cell's ``metadata.nbgrader`` dict, or an empty dict."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def grade_id(cell: NotebookNode) -> str | None:
    """The cell's nbgrader ``grade_id``, if it has one."""
    value = nbgrader_meta(cell).get("grade_id")
    return value if isinstance(value, str) else None


def is_solution(cell: NotebookNode) -> bool:
    """True for a code cell the student writes (nbgrader ``solution: true``)."""
    return cell.get("cell_type") == "code" and bool(nbgrader_meta(cell).get("solution"))


def is_graded(cell: NotebookNode) -> bool:
    """True for a cell that carries points (nbgrader ``grade: true``)."""
    return bool(nbgrader_meta(cell).get("grade"))


def points(cell: NotebookNode) -> float:
    """The points of a graded cell (0 for any other cell)."""
    return float(nbgrader_meta(cell).get("points", 0)) if is_graded(cell) else 0.0


def solution_code(source: str) -> str:
    """The instructor's solution: the source cell with the BEGIN/END SOLUTION marker lines removed."""
    return SOLUTION_REGION.sub(lambda match: match.group(1), source)
