"""A course roster: who the students are, what the LMS calls them, and their names and emails.

Two formats are read:

- Canvas' own gradebook export (Grades > Export): columns ``Student, ID, SIS User
  ID, SIS Login ID, Section``. The student id is the SIS Login ID, else the SIS
  User ID, else the Canvas user id ``ID``; ``Student`` is "Last, First".
- Any CSV with the columns ``lms_id`` and ``student_id`` (the LMS id is a Canvas
  user id or a Moodle participant id, failing that the name the LMS shows), and
  optionally ``name`` and ``email``.

A roster is a file the TA downloaded; a file that is not one (another CSV, a
spreadsheet, binary bytes) is refused with a :class:`RosterError` that names it.
"""

from __future__ import annotations

import csv
import dataclasses
import unicodedata
from pathlib import Path

from grader.errors import UserError

CANVAS_ROSTER_COLUMNS = ("Student", "ID", "SIS Login ID", "Section")
MAX_ROSTER_BYTES = 64 << 20
CANVAS_TEST_STUDENT = "Student, Test"


class RosterError(UserError):
    """The roster file cannot be read as a roster."""


@dataclasses.dataclass(frozen=True)
class RosterRow:
    """One student of a roster: our student id and what the LMS calls them."""

    student_id: str
    name: str = ""
    canvas_id: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""
    lms_id: str = ""
    email: str = ""

    @property
    def first_and_last_name(self) -> tuple[str, str]:
        """(first, last) as nbgrader's gradebook stores them: Canvas' "Last, First" is split at the comma."""
        last, comma, first = self.name.partition(",")
        return (first.strip(), last.strip()) if comma else ("", self.name.strip())


def read_roster(path: Path) -> list[RosterRow]:
    """The students of Canvas' gradebook export, or of a CSV with ``lms_id`` and ``student_id`` columns."""
    header, rows = _read_csv(Path(path))
    if all(c in header for c in CANVAS_ROSTER_COLUMNS):
        return _canvas_rows(rows)
    if "lms_id" in header and "student_id" in header:
        return [RosterRow(student_id=r["student_id"], lms_id=r["lms_id"], name=r.get("name", ""),
                          email=r.get("email", "")) for r in rows if r.get("student_id") and r.get("lms_id")]
    raise RosterError(f"{path}: not a roster: expected Canvas' gradebook export (columns "
                      f"{', '.join(CANVAS_ROSTER_COLUMNS)}) or the columns lms_id,student_id; "
                      f"got {', '.join(header) or 'no header'}")


def _read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """(header, rows) of a UTF-8 CSV, every value stripped; anything else raises RosterError naming ``path``."""
    try:
        if path.stat().st_size > MAX_ROSTER_BYTES:
            raise RosterError(f"{path}: a roster of over {MAX_ROSTER_BYTES >> 20} MiB is not a roster")
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [h.strip() for h in reader.fieldnames or []]
            reader.fieldnames = header
            rows = [{k: (v or "").strip() for k, v in row.items() if isinstance(k, str) and isinstance(v, str)}
                    for row in reader]
    except UnicodeDecodeError:
        raise RosterError(f"{path}: not a CSV file (not UTF-8 text): save the roster as CSV (UTF-8)") from None
    except csv.Error as error:
        raise RosterError(f"{path}: not a CSV file ({error})") from None
    except OSError as error:
        raise RosterError(f"{path}: cannot read the roster ({error.strerror or error})") from None
    return header, rows


def _canvas_rows(rows: list[dict[str, str]]) -> list[RosterRow]:
    out = []
    for row in rows:
        if not row.get("ID") or row.get("Student", "").lower() in ("points possible", ""):
            continue  # Canvas' "Points Possible" and muted/blank rows
        if row.get("Student") == CANVAS_TEST_STUDENT and not row.get("SIS Login ID") and not row.get("SIS User ID"):
            continue  # the fake student of Canvas' "Student View", in every course's export
        student = row.get("SIS Login ID") or row.get("SIS User ID") or row["ID"]
        out.append(RosterRow(student_id=student, name=row.get("Student", ""), canvas_id=row["ID"],
                             sis_user_id=row.get("SIS User ID", ""), sis_login_id=row.get("SIS Login ID", ""),
                             section=row.get("Section", "")))
    return out


def name_key(name: str) -> str:
    """A name as a roster and a file name may both spell it (NFC, case folded)."""
    return unicodedata.normalize("NFC", name).casefold().strip()
