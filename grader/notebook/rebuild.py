"""The program the grader runs: the source notebook with only the student's solution cells swapped in.

Everything but the solution cells comes from the instructor's source notebook,
so edited, deleted or added test cells in a submission change nothing.
"""

from __future__ import annotations

import re

from nbformat import NotebookNode

from grader.i18n import _, _n
from grader.notebook.cells import grade_id, is_graded, is_solution
from grader.notebook.submission import Ungradable, check_notebook

_MAGIC = re.compile(r"^([ \t]*)[%!].*$", re.M)


def strip_magics(source: str) -> str:
    """Turn IPython magics and shell escapes (``%matplotlib``, ``!pip``) into ``pass`` lines."""
    return _MAGIC.sub(lambda m: f"{m.group(1)}pass  # IPython magic removed by the grader", source)


def student_solutions(source: NotebookNode, submission: NotebookNode) -> dict[str, str]:
    """The student's code for each solution cell of ``source``, found by grade id.

    The submission's structure is checked first (:func:`check_notebook`), so a
    malformed one raises :class:`Ungradable`, never another error.
    """
    check_notebook(submission)
    wanted = [grade_id(c) for c in source.cells if is_solution(c)]
    found: dict[str, list[str]] = {key: [] for key in wanted}
    for cell in submission["cells"]:
        key = grade_id(cell)
        if cell["cell_type"] == "code" and key in found:
            found[key].append(_text(cell["source"]))
    for key, sources in found.items():
        if not sources:
            raise Ungradable(_("the solution cell '{cell}' is missing (deleted, or its metadata changed): download "
                               "the released notebook again and copy your code into its cells", cell=key))
        if len(sources) > 1:
            raise Ungradable(_n("the solution cell '{cell}' appears {count} time: keep one copy",
                                "the solution cell '{cell}' appears {count} times: keep one copy", len(sources),
                                cell=key))
    return {key: sources[0] for key, sources in found.items()}


def rebuild(source: NotebookNode, submission: NotebookNode) -> list[dict]:
    """The cells to execute, in order: ``{"id", "kind", "source"}`` with kind solution/test/locked."""
    solutions = student_solutions(source, submission)
    program = []
    for index, cell in enumerate(source.cells):
        if cell.get("cell_type") != "code":
            continue
        key = grade_id(cell) or f"cell-{index}"
        if is_solution(cell):
            kind, code = "solution", solutions[key]
        else:
            kind, code = ("test" if is_graded(cell) else "locked"), cell.source
        program.append({"id": key, "kind": kind, "source": strip_magics(code)})
    return program


def _text(source: str | list[str]) -> str:
    """A cell's source as one string (nbformat allows a list of lines)."""
    return source if isinstance(source, str) else "".join(source)
