"""Code cells a student added outside the solution cells: the grader drops them, and the feedback says so.

The grader runs the source notebook's own cells with only the student's solution cells swapped in
(:mod:`grader.notebook.rebuild`), so a helper function or an import in a cell the student added does
not exist when the hidden checks call the student's functions. Feedback names each dropped cell by
its position in the notebook and by the names it defines at top level: text from the notebook file
itself, written before any hidden input existed, so it may be shown (SECURITY.md). The names are
found by bounded line patterns, never by parsing the student's code.
"""

from __future__ import annotations

import re

from grader.i18n import Message, _
from grader.validate import extra_code_cells

MAX_CELLS = 10     # dropped cells recorded per submission
MAX_NAMES = 6      # names recorded per dropped cell
MAX_SOURCE = 100_000  # characters of a cell looked at for names
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")
_NAME = NAME.pattern
_DEFINITION = re.compile(rf"^(?:(?:async[ \t]+)?def|class)[ \t]+({_NAME})\b|^({_NAME})[ \t]*(?::[^=\n]*)?=(?!=)", re.M)
_IMPORT = re.compile(r"^(?:from[ \t]+[\w.]+[ \t]+)?import[ \t]+\(?([\w., \t]+)", re.M)
_IMPORTED = re.compile(rf"({_NAME})(?:\.[\w.]*)?(?:[ \t]+as[ \t]+({_NAME}))?")


def defined_names(source: str) -> list[str]:
    """Names a cell defines at top level (functions, classes, plain assignments, imports), in order, capped."""
    source = source[:MAX_SOURCE]
    found = [(m.start(), m.group(1) or m.group(2)) for m in _DEFINITION.finditer(source)]
    for line in _IMPORT.finditer(source):
        found += [(line.start(), m.group(2) or m.group(1)) for part in line.group(1).split(",")
                  if (m := _IMPORTED.fullmatch(part.strip()))]
    return list(dict.fromkeys(name for _start, name in sorted(found, key=lambda item: item[0])))[:MAX_NAMES]


def added_cells(source, submission) -> list[dict]:
    """``[{"position": 1-based cell number, "defines": [names]}]`` of the code cells the grader drops."""
    return [{"position": index + 1, "defines": defined_names(submission.cells[index].source)}
            for index in extra_code_cells(source, submission)[:MAX_CELLS]]


def clean_cells(value: object) -> list[dict]:
    """The ``not_graded_cells`` of a stored result, each field checked (a result file is read as untrusted)."""
    cells = []
    for item in value[:MAX_CELLS] if isinstance(value, list) else []:
        position = item.get("position") if isinstance(item, dict) else None
        names = item.get("defines") if isinstance(item, dict) else None
        if type(position) is int and 0 < position < 1_000_000:
            names = names[:MAX_NAMES] if isinstance(names, list) else []
            cells.append({"position": position,
                          "defines": [n for n in names if isinstance(n, str) and NAME.fullmatch(n)]})
    return cells


def cell_phrases(cells: list[dict]) -> list[Message]:
    """Each dropped cell in words, ``code cell 4 (defines helper and np)``: a list placeholder's value."""
    return [_("code cell {position} (defines {names})", position=c["position"], names=list(c["defines"]))
            if c["defines"] else _("code cell {position}", position=c["position"]) for c in cells]


def describe(cells: list[dict]) -> Message | str:
    """``code cell 4 (defines helper and np) and code cell 7``: the dropped cells in words; ``""`` when none."""
    return _("{cells}", cells=cell_phrases(cells)) if cells else ""
