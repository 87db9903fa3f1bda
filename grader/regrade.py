"""A forced regrade that survives an interruption: its intent is written down before it starts.

``grader autograde NAME --force`` first records which students it will regrade in
``autograded/.regrade-NAME.json``; each student leaves the record once their new result is
stored. A run interrupted in between (Ctrl-C, ``kill -9``, a reboot) leaves the rest in the
record, and the next plain run regrades them even though their notebooks are unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path

from grader import results


def _record(course: Path, name: str) -> Path:
    return course / "autograded" / f".regrade-{name}.json"


def pending(course: Path, name: str) -> set[str]:
    """Students a forced regrade of ``name`` promised and has not finished yet."""
    try:
        found = json.loads(_record(course, name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    students = found.get("students") if isinstance(found, dict) else None
    return {s for s in students if isinstance(s, str)} if isinstance(students, list) else set()


def promise(course: Path, name: str, students: set[str]) -> None:
    """Record that ``students`` will be regraded (added to whatever an earlier run left)."""
    _write(course, name, pending(course, name) | set(students))


def fulfilled(course: Path, name: str, student: str) -> None:
    """``student`` has a new result; the record is removed once nobody is left in it."""
    left = pending(course, name) - {student}
    if left:
        _write(course, name, left)
    else:
        _record(course, name).unlink(missing_ok=True)


def _write(course: Path, name: str, students: set[str]) -> None:
    results.write_atomic(_record(course, name), {"students": sorted(students), "updated_at": results.now()})
