"""Reading a submitted notebook defensively: anything unusable becomes an Ungradable reason.

A notebook is untrusted bytes parsed in a trusted process, so its size, nesting
depth and number of values are bounded on the raw text before ``json`` builds
anything, and the parsed structure is type-checked before any other code reads it.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import nbformat
import numpy as np
from nbformat import NotebookNode

from grader.i18n import Explained, Message, _
from grader.untrusted import TooLarge, UnsafeFile, read_regular_file

MAX_NOTEBOOK_BYTES = 50 << 20
MAX_DEPTH = 64
MAX_CONTAINERS = 250_000
MAX_VALUES = 2_000_000
SCAN_CHUNK = 8 << 20
QUOTE_CHARS = 60
CELL_TYPES = ("code", "markdown", "raw")
NBGRADER_FLAGS = ("solution", "grade", "locked", "task")


class Ungradable(Explained, ValueError):
    """The submission cannot be graded; the message (a :class:`grader.i18n.Message`) says why and what to do."""


def sha256(path: Path) -> str:
    """Hex digest of the file's bytes (reads in chunks; large files are fine)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def quote(value: object) -> str:
    """``repr(value)`` cut to a few dozen characters: student text never goes into a message whole."""
    text = repr(value) if not isinstance(value, (dict, list)) else type(value).__name__
    return text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS - 1] + "…"


def read_submission(path: Path) -> NotebookNode:
    """Parse a submitted notebook or raise :class:`Ungradable` with a reason a student can act on."""
    return parse_submission(_read_bounded(Path(path)))


def read_submission_with_digest(path: Path) -> tuple[NotebookNode, str]:
    """The parsed notebook and the sha256 of exactly the bytes it was parsed from (one read)."""
    data = _read_bounded(Path(path))
    return parse_submission(data), hashlib.sha256(data).hexdigest()


def parse_submission(data: bytes) -> NotebookNode:
    """Parse the bytes of a submitted notebook or raise :class:`Ungradable`."""
    check_shape(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Ungradable(_("the file is not UTF-8 text, so it is not a Jupyter notebook")) from None
    try:
        notebook = json.loads(text, parse_constant=_reject_constant)
    except ValueError as error:
        raise Ungradable(_("the file is not valid JSON ({error}); was it saved by Jupyter?",
                           error=str(error)[:120])) from None
    check_notebook(notebook)
    for cell in notebook["cells"]:
        if isinstance(cell["source"], list):
            cell["source"] = "".join(cell["source"])
    return nbformat.from_dict(notebook)


def _read_bounded(path: Path) -> bytes:
    """The file's bytes, refusing links, non-regular files and anything over the size limit."""
    try:
        return read_regular_file(path, MAX_NOTEBOOK_BYTES)
    except OSError:
        raise Ungradable(_("{file} is missing or unreadable: submit the notebook again", file=path.name)) from None
    except TooLarge:
        raise Ungradable(_("the notebook is over the {mb} MiB limit: clear the outputs (Kernel > Restart & Clear "
                           "Output) and submit again", mb=MAX_NOTEBOOK_BYTES >> 20)) from None
    except UnsafeFile:
        raise Ungradable(_("{file} is not a regular file (links are not accepted)", file=path.name)) from None


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def check_shape(data: bytes) -> None:
    """Raise :class:`Ungradable` when raw JSON is nested too deep or holds too many lists, objects or values."""
    shape = JsonShape.measure(data)
    if shape.in_string:
        raise Ungradable(_("the file is not valid JSON (a string is not closed); was it saved by Jupyter?"))
    if max(shape.containers, shape.closes) > MAX_CONTAINERS:
        raise Ungradable(_("the notebook holds over {limit} lists and objects: clear the outputs (Kernel > Restart & "
                           "Clear Output) and submit again, or download a fresh copy of the released notebook and "
                           "copy your code into it", limit=MAX_CONTAINERS))
    if shape.values > MAX_VALUES:
        raise Ungradable(_("the notebook holds over {limit} values: clear the outputs (Kernel > Restart & Clear "
                           "Output) and submit again, or download a fresh copy of the released notebook and copy "
                           "your code into it", limit=MAX_VALUES))
    if shape.deepest > MAX_DEPTH:
        raise Ungradable(_("the notebook is nested more than {limit} levels deep, so it was not saved by Jupyter: "
                           "download a fresh copy of the released notebook and copy your code into it",
                           limit=MAX_DEPTH))


class JsonShape:
    """Nesting depth and counts of raw JSON, measured without parsing it.

    Escaped backslashes and quotes are removed, quotes then delimit the strings, and
    the brackets and commas outside strings are counted, chunk by chunk: for 50 MiB,
    0.25 to 0.4 s and under 100 MB besides the input (measured on one long string and
    on 17 million empty strings or brackets). ``containers`` counts opening brackets,
    ``closes`` closing ones and ``values`` commas (one less than the values in each list
    or object); past ``MAX_CONTAINERS`` brackets the depth is no longer followed.
    """

    def __init__(self) -> None:
        self.in_string = False
        self.depth = self.deepest = self.containers = self.closes = self.values = 0

    @classmethod
    def measure(cls, data: bytes, chunk: int = SCAN_CHUNK) -> "JsonShape":
        """The shape of ``data``, read ``chunk`` bytes at a time; ``in_string`` is left true when a string is open."""
        bare = data.replace(b"\\\\", b"").replace(b'\\"', b"")
        shape = cls()
        for start in range(0, len(bare), chunk):
            shape.add(np.frombuffer(bare, dtype=np.uint8, count=min(chunk, len(bare) - start), offset=start))
        return shape

    def add(self, text: np.ndarray) -> None:
        """Count one chunk (escaped quotes and backslashes already removed)."""
        in_string = np.bitwise_xor.accumulate(text == ord('"'), dtype=np.uint8).view(bool)
        if self.in_string:
            np.logical_not(in_string, out=in_string)
        self.in_string = bool(in_string[-1])
        outside = ~in_string
        opens = ((text == ord("[")) | (text == ord("{"))) & outside
        closes = ((text == ord("]")) | (text == ord("}"))) & outside
        self.containers += int(np.count_nonzero(opens))
        self.closes += int(np.count_nonzero(closes))
        self.values += int(np.count_nonzero((text == ord(",")) & outside))
        if max(self.containers, self.closes) > MAX_CONTAINERS:
            return
        steps = opens[opens | closes].astype(np.int64) * 2 - 1
        if steps.size:
            levels = np.cumsum(steps) + self.depth
            self.deepest = max(self.deepest, int(levels.max()))
            self.depth = int(levels[-1])


def check_notebook(notebook: object) -> None:
    """Raise :class:`Ungradable` unless ``notebook`` has the types of an nbformat 4 notebook.

    Checks what the grader reads: the top level, every cell's type, source, id and
    metadata, and the nbgrader metadata. Sources may be a string or a list of strings.
    """
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise Ungradable(_("the file is JSON but not a Jupyter notebook (no list of cells): download a fresh copy "
                           "of the released notebook and copy your code into it"))
    version = notebook.get("nbformat")
    if type(version) is not int or version != 4:
        raise Ungradable(_("the notebook has nbformat {version}; expected 4: download a fresh copy of the released "
                           "notebook and copy your code into it", version=quote(version)))
    if not isinstance(notebook.get("metadata", {}), dict):
        raise Ungradable(_("the notebook's metadata is not a JSON object: download a fresh copy of the released "
                           "notebook and copy your code into it"))
    if type(notebook.get("nbformat_minor", 0)) is not int:
        raise Ungradable(_("the notebook's nbformat_minor is not a whole number: download a fresh copy of the "
                           "released notebook and copy your code into it"))
    for index, cell in enumerate(notebook["cells"]):
        problem = _cell_problem(cell)
        if problem is not None:
            raise Ungradable(_("cell {number} is malformed ({problem}): download a fresh copy of the released "
                               "notebook and copy your code into it", number=index + 1, problem=problem))


def _cell_problem(cell: object) -> Message | None:
    """What is wrong with one cell's types, or None."""
    if not isinstance(cell, dict):
        return _("not a JSON object")
    if cell.get("cell_type") not in CELL_TYPES:
        return _("cell_type {value} is not code, markdown or raw", value=quote(cell.get("cell_type")))
    source = cell.get("source")
    if not (_is_text(source) or isinstance(source, list) and all(_is_text(line) for line in source)):
        return _("its source is not text")
    if not _is_text(cell.get("id", "")):
        return _("its id is not a string")
    if not isinstance(cell.get("metadata", {}), dict):
        return _("its metadata is not a JSON object")
    if not isinstance(cell.get("outputs", []), list):
        return _("its outputs are not a list")
    if not isinstance(cell.get("attachments", {}), dict):
        return _("its attachments are not a JSON object")
    return _nbgrader_problem(cell.get("metadata", {}).get("nbgrader", {}))


def _nbgrader_problem(meta: object) -> Message | None:
    """What is wrong with a cell's ``metadata.nbgrader``, or None."""
    if not isinstance(meta, dict):
        return _("its nbgrader metadata is not a JSON object")
    if not _is_text(meta.get("grade_id", "")):
        return _("its nbgrader grade_id is not a string")
    if any(not isinstance(meta.get(flag, False), bool) for flag in NBGRADER_FLAGS):
        return _("an nbgrader flag (solution, grade, locked, task) is not true or false")
    points = meta.get("points", 0)
    if isinstance(points, bool) or not isinstance(points, (int, float)) or not math.isfinite(points):
        return _("its nbgrader points are not a number")
    return None


def _is_text(value: object) -> bool:
    """True for a string that is valid Unicode (JSON escapes can smuggle in lone surrogates)."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
