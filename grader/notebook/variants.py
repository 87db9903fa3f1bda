"""Submissions written as plain Python files, one section per solution cell.

Known-wrong variants (``assignments/NAME/grading/variants/*.py``) and the test
fixtures use this format::

    # variant: flipped kernel, i.e. true convolution instead of cross-correlation
    # targets: correlate2d_matches_reference, conv2d_matches_reference
    # %% correlate2d_impl
    import numpy as np
    def correlate2d(x, w):
        ...

Each ``# %% GRADE_ID`` line starts the code of the solution cell with that
grade id; solution cells that are not named keep the instructor's solution.
``# targets:`` names the hidden checks the variant must fail.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from grader.notebook.cells import grade_id, is_solution, solution_code

_SECTION = re.compile(r"^# %% (\S+)[ \t]*$", re.M)
_HEADER = re.compile(r"^# (variant|targets|expect): *(.*)$", re.M)


@dataclasses.dataclass(frozen=True)
class Variant:
    """A submission given as code for some solution cells."""

    name: str
    description: str
    targets: tuple[str, ...]
    expect: str
    cells: dict[str, str]


def read_variant(path: Path) -> Variant:
    """Parse a variant file; see the module docstring for the format."""
    text = Path(path).read_text()
    parts = _SECTION.split(text)
    header = dict(_HEADER.findall(parts[0]))
    cells = {parts[i]: parts[i + 1].strip("\n") + "\n" for i in range(1, len(parts), 2)}
    return Variant(
        name=Path(path).stem,
        description=header.get("variant", "").strip(),
        targets=tuple(t.strip() for t in header.get("targets", "").split(",") if t.strip()),
        expect=header.get("expect", "").strip(),
        cells=cells,
    )


def read_variants(folder: Path) -> list[Variant]:
    """All variant files of a folder, sorted by name."""
    return [read_variant(p) for p in sorted(Path(folder).glob("*.py")) if not p.name.startswith("_")]


def fill_solutions(release: NotebookNode, source: NotebookNode, cells: dict[str, str] | None = None) -> NotebookNode:
    """The released notebook with its solution cells filled in, as a student would hand it in.

    Cells named in ``cells`` get that code; the others get the instructor's solution from ``source``.
    """
    cells = cells or {}
    unknown = set(cells) - {grade_id(c) for c in release.cells if is_solution(c)}
    if unknown:
        raise KeyError(f"no solution cell with grade id {', '.join(sorted(unknown))}")
    solutions = {grade_id(c): solution_code(c.source) for c in source.cells if is_solution(c)}
    filled = copy.deepcopy(release)
    for cell in filled.cells:
        if is_solution(cell):
            cell.source = cells.get(grade_id(cell), solutions.get(grade_id(cell), cell.source))
    return filled


def write_variant_notebook(release_path: Path, source_path: Path, variant: Variant | None, out: Path) -> Path:
    """Write the notebook a student would submit for ``variant`` (None: the instructor's solution)."""
    release = nbformat.read(release_path, as_version=4)
    source = nbformat.read(source_path, as_version=4)
    notebook = fill_solutions(release, source, variant.cells if variant else None)
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, out)
    return out
