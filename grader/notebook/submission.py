"""Reading a submitted notebook defensively: anything unusable becomes an Ungradable reason."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import nbformat
from nbformat import NotebookNode

MAX_NOTEBOOK_BYTES = 50 << 20


class Ungradable(ValueError):
    """The submission cannot be graded; the message says why and what to do."""


def sha256(path: Path) -> str:
    """Hex digest of the file's bytes (reads in chunks; large files are fine)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_submission(path: Path) -> NotebookNode:
    """Parse a submitted notebook or raise :class:`Ungradable` with a reason a student can act on."""
    path = Path(path)
    if path.is_symlink() or not path.is_file():
        raise Ungradable(f"{path.name} is not a regular file (links are not accepted)")
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        raise Ungradable(f"the notebook is {size >> 20} MiB, over the {MAX_NOTEBOOK_BYTES >> 20} MiB limit: "
                         "clear the outputs (Kernel > Restart & Clear Output) and submit again")
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise Ungradable("the file is not UTF-8 text, so it is not a Jupyter notebook") from None
    except ValueError as error:
        raise Ungradable(f"the file is not valid JSON ({error}); was it saved by Jupyter?") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise Ungradable("the file is JSON but not a Jupyter notebook (no list of cells)")
    if data.get("nbformat") != 4:
        raise Ungradable(f"the notebook has nbformat {data.get('nbformat')!r}; expected 4: "
                         "download the released notebook again and copy your code into it")
    for index, cell in enumerate(data["cells"]):
        if not isinstance(cell, dict) or not isinstance(cell.get("source", ""), (str, list)):
            raise Ungradable(f"cell {index} is malformed")
        if isinstance(cell.get("source"), list):
            cell["source"] = "".join(str(part) for part in cell["source"])
    return nbformat.from_dict(data)
