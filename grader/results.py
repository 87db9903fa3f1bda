"""The result document of one grading job, and how it is stored: atomically, never half-written."""

from __future__ import annotations

import datetime
import json
import os
import tempfile
from pathlib import Path

SCHEMA = 1
STATUSES = ("graded", "ungradable", "error")
RESULT_FILE = "result.json"


def now() -> str:
    """The current UTC time, ISO 8601."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def new_result(student: str, assignment: str, status: str, reason: str = "", **fields) -> dict:
    """A result document with every required key."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    return {"schema": SCHEMA, "student": student, "assignment": assignment, "status": status,
            "reason": reason, "notebook_sha256": "", "score": 0.0, "max_score": 0.0, "cells": {},
            "checks": [], "timings": {}, "graded_at": now(), "submitted_at": None,
            "sandbox": {}, **fields}


def validate(doc: object) -> dict:
    """Check the shape of a result that came back from a worker; raise ValueError if malformed."""
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA or doc.get("status") not in STATUSES:
        raise ValueError("not a result document")
    for key, kind in (("student", str), ("assignment", str), ("cells", dict), ("checks", list),
                      ("score", (int, float)), ("max_score", (int, float))):
        if not isinstance(doc.get(key), kind):
            raise ValueError(f"result field {key!r} is malformed")
    return doc


def write_atomic(path: Path, doc: dict) -> None:
    """Write JSON to a temp file in the same folder, fsync it, then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w") as handle:
            json.dump(doc, handle, indent=1, sort_keys=True)
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


def read(path: Path) -> dict | None:
    """The stored result, or None if absent or unreadable."""
    try:
        return validate(json.loads(Path(path).read_text()))
    except (OSError, ValueError):
        return None
