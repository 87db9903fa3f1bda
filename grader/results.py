"""The result document of one grading job, and how it is stored: atomically, never half-written.

Results hold text a student controls (exception messages, cell ids, the folder
name that is the student id), so every document is cleaned (:func:`clean`) on
its way to disk and on its way back: strict UTF-8 JSON, no NaN or Infinity, no
lone surrogates or NUL characters, no string longer than ``MAX_TEXT_CHARS``.

A check's optional ``measured`` (``{name: number or None}``, TA-only figures such as an
accuracy, see :func:`grader.checks.measure`) is validated like the rest; a non-finite figure
is cleaned to None.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import re
import tempfile
from pathlib import Path

from grader.i18n import Message
from grader.untrusted import read_regular_file

SCHEMA = 1
STATUSES = ("graded", "ungradable", "error")
RESULT_FILE = "result.json"
MAX_RESULT_BYTES = 16 << 20
MAX_TEXT_CHARS = 20_000
REPLACEMENT = "\ufffd"
OPTIONAL_FIELDS = (("warnings", list), ("submitted_at", (str, type(None))), ("timings", dict), ("sandbox", dict),
                   ("visible_tests", list), ("notebook_sha256", str), ("graded_at", str), ("late", bool),
                   ("seconds_late", (int, float)), ("language", str), ("reason_i18n", dict))
_UNSAFE_CHARS = re.compile("[\x00\ud800-\udfff]")


def now() -> str:
    """The current UTC time, ISO 8601."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def new_result(student: str, assignment: str, status: str, reason: Message | str = "", **fields) -> dict:
    """A result document with every required key.

    A ``reason`` given as a :class:`grader.i18n.Message` is kept as its English text (``reason``) and
    as the message itself (``reason_i18n``), so that feedback can say it in the student's language.
    """
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    if isinstance(reason, Message):
        fields = {"reason_i18n": reason.to_json(), **fields}
    return {"schema": SCHEMA, "student": student, "assignment": assignment, "status": status,
            "reason": str(reason), "notebook_sha256": "", "score": 0.0, "max_score": 0.0, "cells": {},
            "checks": [], "timings": {}, "graded_at": now(), "submitted_at": None,
            "sandbox": {}, "warnings": [], **fields}


def clean_text(text: str) -> str:
    """``text`` with lone surrogates and NUL replaced by U+FFFD and cut to ``MAX_TEXT_CHARS``."""
    if len(text) > MAX_TEXT_CHARS:
        text = text[:MAX_TEXT_CHARS - 1] + "…"
    return _UNSAFE_CHARS.sub(REPLACEMENT, text)


def clean(value):
    """A copy of a JSON value that strict UTF-8 JSON, HTML and CSV writers all accept.

    Strings (keys too) go through :func:`clean_text`; NaN and infinities become None.
    """
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {clean_text(str(key)): clean(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(item) for item in value]
    return value


def validate(doc: object) -> dict:
    """Check the shape of a result document; raise ValueError if malformed.

    Everything the gradebook, the feedback pages and the report read is checked:
    the fixed fields, each cell's scores and each check's outcome and points.
    """
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA or doc.get("status") not in STATUSES:
        raise ValueError("not a result document")
    for key, kind in (("student", str), ("assignment", str), ("reason", str), ("cells", dict), ("checks", list)):
        if not isinstance(doc.get(key), kind):
            raise ValueError(f"result field {key!r} is malformed")
    for key, kind in OPTIONAL_FIELDS:
        if key in doc and not isinstance(doc[key], kind):
            raise ValueError(f"result field {key!r} is malformed")
    if not _is_number(doc.get("score")) or not _is_number(doc.get("max_score")):
        raise ValueError("result score is not a number")
    if not all(isinstance(c, dict) and _is_number(c.get("score")) and _is_number(c.get("max_score"))
               for c in doc["cells"].values()):
        raise ValueError("a cell score of the result is malformed")
    if not all(isinstance(c, dict) and isinstance(c.get("name"), str) and isinstance(c.get("outcome"), str)
               and _is_number(c.get("score")) and _is_number(c.get("points")) for c in doc["checks"]):
        raise ValueError("a check of the result is malformed")
    if not all(_is_measured(c.get("measured", {})) for c in doc["checks"]):
        raise ValueError("a check's measurements in the result are malformed")
    if not all(isinstance(w, str) for w in doc.get("warnings", [])):
        raise ValueError("a warning of the result is not text")
    return doc


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_measured(value: object) -> bool:
    """A check's ``measured``: names to numbers, or None for a figure that was not finite."""
    return isinstance(value, dict) and all(isinstance(key, str) and (item is None or _is_number(item))
                                           for key, item in value.items())


def write_atomic(path: Path, doc: dict) -> None:
    """Write ``doc``, cleaned, as JSON to a temp file in the same folder, fsync it, then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(clean(doc), handle, indent=1, sort_keys=True, allow_nan=False)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        os.unlink(temp)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def load(path: Path) -> object:
    """The cleaned JSON value of a stored result file (any shape); raises OSError or ValueError.

    Read without following links and at most ``MAX_RESULT_BYTES``; NaN and
    infinities are accepted here and cleaned to None.
    """
    text = read_regular_file(Path(path), MAX_RESULT_BYTES).decode("utf-8")
    try:
        return clean(json.loads(text))
    except RecursionError:
        raise ValueError("the result file is nested too deeply") from None


def read(path: Path) -> dict | None:
    """The stored, cleaned and validated result, or None if absent or unreadable."""
    try:
        return validate(load(path))
    except (OSError, ValueError):
        return None
