"""The TA's copy of a graded notebook: ``autograded/STUDENT/NAME/NAME.ipynb`` with the grader's findings in it.

nbgrader's formgrader shows this file to a TA doing manual grading. A plain copy of the
submission shows no grading at all, so under each graded cell this module inserts one
read-only markdown cell (an *annotation*) with what the grading result records about
that cell: the visible test's outcome as the grader ran it (passed, or the error line)
and, for each hidden check that scores the cell, its title, outcome, points and message.

The copy stays a notebook that formgrader and ``nbgrader export`` accept: the original
cells, their nbgrader metadata (grade ids, checksums) and their outputs are left as they
are; an annotation carries no nbgrader metadata (it is not a graded cell) but
``{"grader": {"annotation": true}}``, ``editable: false`` and ``deletable: false``.

What an annotation leaves out, and why:

- The sandbox does not capture a cell's printed output, so only the outcome the runner
  reported (and the result stores) is shown; nothing more crosses the sandbox boundary.
- A check's TA-only ``detail`` (the checker's traceback) is not copied in: formgrader's
  "Generate feedback" (``nbgrader generate_feedback``) turns this very file into the
  student's ``feedback/`` page, and ``detail`` may hold hidden inputs. The annotation says
  where it is (``result.json``); the check messages are the ones the student's feedback
  page shows anyway.

Every text in an annotation is escaped (:func:`escape`): student-controlled text (error
lines, exception class names inside messages) could otherwise inject HTML, markdown
links or images, or MathJax into the TA's browser, because formgrader renders markdown.

Only the notebook the result graded is copied (its sha256 must match the result's), and
the copy is written atomically. An ungradable submission gets a plain copy when its
bytes parse as a notebook (within the same bounds as grading), otherwise no copy; an
old copy that no longer matches the result is removed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import unicodedata
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from grader.notebook.cells import grade_id
from grader.notebook.submission import MAX_NOTEBOOK_BYTES, Ungradable, parse_submission
from grader.results import clean_text
from grader.untrusted import UnsafeFile, read_regular_file

ANNOTATION = {"annotation": True}
TITLE_CHARS = 300
MESSAGE_CHARS = 1000
ERROR_CHARS = 300
ID_CHARS = 100
_LOG = logging.getLogger(__name__)
_HIDDEN = ("Cc", "Cf", "Co", "Cs", "Zl", "Zp")  # controls, bidi and zero-width marks, private use, separators


def escape(text: object, limit: int) -> str:
    """``text`` cut to ``limit`` characters, as markdown that renders as exactly that text and nothing else.

    ASCII punctuation becomes a numeric character reference (``<`` is ``&#60;``, ``[`` is
    ``&#91;``, ``$`` is ``&#36;``): markdown and HTML read a reference as a literal
    character, never as syntax, so no tag, link, image, emphasis or math delimiter
    survives. Line breaks and tabs become spaces; control, format (bidi, zero-width)
    and private-use characters become U+FFFD. Letters, digits, spaces and other
    Unicode text stay as they are.
    """
    text = clean_text(str(text))
    if len(text) > limit:
        text = text[:limit - 1] + "…"
    out = []
    for char in text:
        if char in "\t\n\r":
            out.append(" ")
        elif char.isascii():
            out.append(char if char.isalnum() or char == " " else f"&#{ord(char)};")
        else:
            out.append("\ufffd" if unicodedata.category(char) in _HIDDEN else char)
    return "".join(out)


def literal(text: object, limit: int) -> str:
    """``text`` escaped (:func:`escape`) inside ``<code>``, which MathJax also leaves alone."""
    return f"<code>{escape(text, limit)}</code>"


def _points(value: object) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) and not isinstance(value, bool) else "?"


def annotation_source(cell: str, result: dict) -> str:
    """The markdown of the annotation for the graded cell ``cell``, or ``""`` when the result says nothing about it."""
    checks = [c for c in result.get("checks", []) if isinstance(c, dict) and c.get("cell") == cell]
    visible = [t for t in result.get("visible_tests", []) if isinstance(t, dict) and t.get("cell") == cell]
    if not checks and not visible:
        return ""
    scores = result.get("cells", {}).get(cell, {})
    lines = [f"**Autograder (for the TA)**, cell {literal(cell, ID_CHARS)}: "
             f"{_points(scores.get('score'))} / {_points(scores.get('max_score'))} points", ""]
    for test in visible[:1]:
        outcome = "passed" if test.get("passed") is True else f"failed: {literal(test.get('error', ''), ERROR_CHARS)}"
        lines += [f"Visible test, as the grader ran it: **{outcome}**", ""]
    if checks:
        lines.append("Hidden checks:")
        lines.append("")
    for check in checks:
        message, title = check.get("message") or "", check.get("title") or check.get("name", "")
        lines.append(f"- **{escape(check.get('outcome', ''), 20)}** ({_points(check.get('score'))} / "
                     f"{_points(check.get('points'))}): {escape(title, TITLE_CHARS)}"
                     + (f": {literal(message, MESSAGE_CHARS)}" if message else ""))
    if any(check.get("detail") for check in checks):
        lines += ["", "A traceback for TAs is in this folder's <code>result.json</code> "
                      "(a check&#39;s <code>detail</code>); it is never shown to the student."]
    return "\n".join(lines).rstrip() + "\n"


def _annotation_cell(source: str, notebook: NotebookNode, taken: set[str]) -> NotebookNode:
    """A read-only markdown cell with no nbgrader metadata; a fresh cell id where the notebook's format has ids."""
    cell = nbformat.v4.new_markdown_cell(source)
    cell.metadata = nbformat.from_dict({"grader": dict(ANNOTATION), "editable": False, "deletable": False})
    cell.pop("id", None)
    if (notebook.get("nbformat"), notebook.get("nbformat_minor", 0)) >= (4, 5):
        number = 1
        while f"grader-annotation-{number}" in taken:
            number += 1
        cell["id"] = f"grader-annotation-{number}"
        taken.add(cell["id"])
    return cell


def annotate(notebook: NotebookNode, result: dict) -> NotebookNode:
    """``notebook`` with an annotation under the first cell of each graded cell id of ``result``.

    The graded cells come from the result (``cells``, then any cell a check or visible test
    names); one missing from the notebook (deleted, or its metadata changed) gets its
    annotation at the end, saying so. The original cells are not modified.
    """
    graded = list(result.get("cells", {}))
    for item in [*result.get("checks", []), *result.get("visible_tests", [])]:
        if isinstance(item, dict) and isinstance(item.get("cell"), str) and item["cell"] not in graded:
            graded.append(item["cell"])
    sources = {cell: annotation_source(cell, result) for cell in graded}
    taken = {str(c.get("id")) for c in notebook.cells if c.get("id") is not None}
    cells, placed = [], set()
    for cell in notebook.cells:
        cells.append(cell)
        key = grade_id(cell)
        if key in sources and key not in placed:
            placed.add(key)
            if sources[key]:
                cells.append(_annotation_cell(sources[key], notebook, taken))
    for key in graded:
        if key not in placed and sources[key]:
            note = f"*This notebook has no cell {literal(key, ID_CHARS)} (deleted, or its metadata changed).*\n\n"
            cells.append(_annotation_cell(note + sources[key], notebook, taken))
    copy = NotebookNode({**notebook})
    copy.cells = cells
    return copy


def _umask() -> int:
    """The process's umask, read without changing it (Linux), else the usual 022."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


def _write_bytes(path: Path, data: bytes) -> None:
    """``data`` into ``path`` through a synced temp file in its folder and a rename: whole or not there.

    The file gets the mode a plain copy would (0666 less the umask), so a formgrader run by
    another user of a shared course can read it, as it could read the plain copy before.
    """
    descriptor, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            os.fchmod(handle.fileno(), 0o666 & ~_umask())
            handle.write(data)
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        os.unlink(temp)
        raise


def _remove(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def copy_bytes(submitted: Path, result: dict) -> bytes | None:
    """The bytes of the TA's copy of ``submitted`` for ``result``, or None when there is to be no copy.

    None for a result that is neither graded nor ungradable, for a file that is
    unreadable, a link, over the notebook size limit, not the one the result graded
    (another sha256) or not a notebook. Raises only on a fault of the annotation itself.
    """
    if result.get("status") not in ("graded", "ungradable"):
        return None
    try:
        data = read_regular_file(submitted, MAX_NOTEBOOK_BYTES)
        notebook = parse_submission(data)
    except (OSError, UnsafeFile, Ungradable):
        return None
    if not result.get("notebook_sha256") or hashlib.sha256(data).hexdigest() != result["notebook_sha256"]:
        return None
    if result["status"] == "ungradable":
        return data
    # nbformat's own v4 writer, without the schema validation of nbformat.writes: a student's
    # notebook that breaks the schema (it still parsed and was graded) is copied as it is, unlogged.
    return nbformat.v4.writes(annotate(notebook, result)).encode("utf-8")


def write_copy(submitted: Path, destination: Path, result: dict) -> bool:
    """Write the TA's copy of ``submitted`` to ``destination`` (see the module docstring); True if one was written.

    Never raises for a bad notebook or a fault here: there is then no copy (an old one is
    removed, so the copy never contradicts ``result.json``), and a fault is logged.
    """
    try:
        data = copy_bytes(Path(submitted), result)
        if data is not None:
            _write_bytes(destination, data)
            return True
    except Exception as error:  # a bug here must not stop the batch: the result is already stored
        _LOG.warning("no annotated copy of %s: %s: %s", destination, type(error).__name__, str(error)[:300])
    try:
        _remove(destination)
    except OSError:
        pass
    return False
