"""Import an LMS bulk download (a zip from Canvas or Moodle) into ``COURSE/submitted/``.

Naming schemes recognised (the student's own file name comes last):

- Canvas: ``{login}_{userid}_{submissionid}_{filename}``, with ``_late`` after the
  login for a late submission (``smithj_late_12345_67890_conv2d.ipynb``); Canvas
  appends ``-N`` before the extension of a resubmitted file (``conv2d-1.ipynb``).
  The student id is the Canvas login.
- Moodle: ``{Full Name}_{participantid}_assignsubmission_file_/{filename}``
  (a folder per student) or the flattened
  ``{Full Name}_{participantid}_assignsubmission_file_{filename}``.
  The student id is the Moodle participant id.

With a roster the ids are mapped: either Canvas' own gradebook export (columns
``Student, ID, SIS User ID, SIS Login ID, Section``: the Canvas user id ``ID``
becomes the ``SIS Login ID``, else the ``SIS User ID``) or any CSV with the
columns ``lms_id`` and ``student_id`` (``lms_id`` is matched against the Canvas
user id, the Canvas login, the Moodle participant id and the Moodle full name).

Each student's latest notebook (by the zip entry's time, then Canvas' ``-N``)
becomes ``submitted/STUDENT/NAME/NAME.ipynb``; its time is written beside it as
``timestamp.txt`` in nbgrader's format (``%Y-%m-%d %H:%M:%S.%f UTC``).  Older
notebooks, a student's non-notebook files and files that match no scheme are
reported; unmatched files are copied to ``submitted/.unmatched/``.  Nothing is
dropped silently.

The zip is untrusted: only base names are used (no path traversal), symbolic
links and encrypted entries are skipped, files over 100 MiB are refused, and a
zip whose files add up to more than 2 GiB is refused as a whole.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import os
import re
import stat
import tempfile
import zipfile
from pathlib import Path
from zoneinfo import ZoneInfo

from grader import paths
from grader.timestamps import TIMESTAMP_FILE, timestamp_text

MAX_FILE_BYTES = 100 * 2**20
MAX_TOTAL_BYTES = 2 * 2**30
MAX_ENTRIES = 100_000
UNMATCHED_DIR = ".unmatched"

_CANVAS = re.compile(r"^(?P<login>[A-Za-z0-9][A-Za-z0-9.\-]*?)(?P<late>_late)?_(?P<userid>\d+)_(?P<subid>\d+)_"
                     r"(?P<file>.+)$", re.I)
_MOODLE = re.compile(r"^(?:.*/)?(?P<fullname>[^/]+?)_(?P<pid>\d+)_assignsubmission_(?P<plugin>[a-z]+)_"
                     r"(?P<rest>.*)$")
_RESUBMISSION = re.compile(r"^(?P<stem>.+)-(?P<n>\d{1,3})(?P<ext>\.[^.]+)$")
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_JUNK = re.compile(r"(^|/)(__MACOSX/|\.DS_Store$|Thumbs\.db$|desktop\.ini$)")


class CollectError(ValueError):
    """The zip can not be imported at all (not a zip, too large)."""


@dataclasses.dataclass
class Entry:
    """One file of the zip, identified."""

    name: str                       # the entry's name in the zip (untrusted, only shown)
    info: zipfile.ZipInfo
    lms: str = ""                   # "canvas", "moodle" or "" (unmatched)
    student: str = ""
    filename: str = ""              # the file name the student uploaded, Canvas' -N removed
    version: int = 0                # Canvas' -N
    late: bool = False
    when: datetime.datetime | None = None
    note: str = ""

    @property
    def is_notebook(self) -> bool:
        return self.filename.lower().endswith(".ipynb")

    @property
    def size(self) -> int:
        return self.info.file_size


@dataclasses.dataclass
class CollectReport:
    """What ``collect`` did; every entry of the zip is in exactly one list."""

    collected: list[Entry] = dataclasses.field(default_factory=list)
    superseded: list[tuple[Entry, Entry]] = dataclasses.field(default_factory=list)  # (older, winner)
    not_notebooks: list[Entry] = dataclasses.field(default_factory=list)
    unmatched: list[tuple[str, Path, str]] = dataclasses.field(default_factory=list)  # (entry, copied to, why)
    skipped: list[tuple[str, str]] = dataclasses.field(default_factory=list)          # (entry, why)
    not_in_roster: list[str] = dataclasses.field(default_factory=list)
    replaced: list[str] = dataclasses.field(default_factory=list)                     # students re-collected


# ----------------------------------------------------------------------------- rosters

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

    @property
    def keys(self) -> list[str]:
        """The LMS names and ids this row answers to."""
        return [k for k in (self.canvas_id, self.lms_id, self.sis_login_id, self.sis_user_id, self.name) if k]


CANVAS_ROSTER_COLUMNS = ("Student", "ID", "SIS Login ID", "Section")


def read_roster(path: Path) -> list[RosterRow]:
    """Canvas' gradebook export, or a CSV with ``lms_id`` and ``student_id`` columns."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in reader.fieldnames or []]
        reader.fieldnames = header
        rows = list(reader)
    if all(c in header for c in CANVAS_ROSTER_COLUMNS):
        out = []
        for row in rows:
            clean = {k: (v or "").strip() for k, v in row.items() if k}
            if not clean.get("ID") or clean.get("Student", "").lower() in ("points possible", ""):
                continue  # Canvas' "Points Possible" and muted/blank rows
            student = clean.get("SIS Login ID") or clean.get("SIS User ID") or clean["ID"]
            out.append(RosterRow(student_id=student, name=clean.get("Student", ""), canvas_id=clean["ID"],
                                 sis_user_id=clean.get("SIS User ID", ""), sis_login_id=clean.get("SIS Login ID", ""),
                                 section=clean.get("Section", "")))
        return out
    if "lms_id" in header and "student_id" in header:
        return [RosterRow(student_id=(r["student_id"] or "").strip(), lms_id=(r["lms_id"] or "").strip())
                for r in rows if (r.get("student_id") or "").strip() and (r.get("lms_id") or "").strip()]
    raise ValueError(f"{path}: not a roster: expected Canvas' gradebook export (columns "
                     f"{', '.join(CANVAS_ROSTER_COLUMNS)}) or the columns lms_id,student_id; got {', '.join(header)}")


def roster_lookup(rows: list[RosterRow]) -> dict[str, str]:
    """LMS name or id -> student id (the first row wins a duplicated key)."""
    lookup: dict[str, str] = {}
    for row in rows:
        for key in row.keys:
            lookup.setdefault(key, row.student_id)
    return lookup


# ----------------------------------------------------------------------------- naming schemes

def identify(entry: Entry, tz: datetime.tzinfo) -> Entry:
    """Fill in the LMS, the student, the file name and the time of ``entry`` from its name."""
    name = entry.name.replace("\\", "/")
    base = name.rsplit("/", 1)[-1]
    entry.when = datetime.datetime(*entry.info.date_time, tzinfo=tz).astimezone(datetime.timezone.utc)
    moodle = _MOODLE.match(name)
    canvas = _CANVAS.match(base)
    if moodle:
        entry.lms, entry.student = "moodle", moodle["pid"]
        entry.filename = moodle["rest"].rsplit("/", 1)[-1] or base
        entry.note = moodle["fullname"]
        if moodle["plugin"] != "file":
            entry.filename = f"{moodle['plugin']}:{entry.filename}"  # online text and other plugins
    elif canvas:
        entry.lms, entry.student, entry.late = "canvas", canvas["login"], bool(canvas["late"])
        entry.filename = canvas["file"]
        entry.note = canvas["userid"]
        resubmitted = _RESUBMISSION.match(entry.filename)
        if resubmitted:
            entry.filename = resubmitted["stem"] + resubmitted["ext"]
            entry.version = int(resubmitted["n"])
    return entry


def _lms_keys(entry: Entry) -> list[str]:
    """The names a roster may know this entry's student by, most specific first."""
    if entry.lms == "canvas":
        return [entry.note, entry.student]      # user id, login
    if entry.lms == "moodle":
        return [entry.student, entry.note]      # participant id, full name
    return []


def safe_file_name(name: str) -> str:
    """A harmless base name for a file from the zip (no directories, no leading dot, no odd characters)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = re.sub(r"[^A-Za-z0-9._ -]", "_", base).strip(" .")
    return base[:120] or "unnamed"


# ----------------------------------------------------------------------------- the import

def collect(zip_path: Path, assignment: str, course: Path, *, roster: Path | None = None,
            timezone: str = "UTC", max_file_bytes: int = MAX_FILE_BYTES,
            max_total_bytes: int = MAX_TOTAL_BYTES) -> CollectReport:
    """Import ``zip_path`` into ``course/submitted/``; see the module docstring."""
    tz = ZoneInfo(timezone)
    lookup = roster_lookup(read_roster(roster)) if roster else None
    report = CollectReport()
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as error:
        raise CollectError(f"{zip_path} is not a readable zip file: {error}") from error
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            raise CollectError(f"{zip_path} holds {len(infos)} entries (more than {MAX_ENTRIES}): refused")
        total = sum(i.file_size for i in infos)
        if total > max_total_bytes:
            raise CollectError(f"{zip_path} unpacks to {total / 2**20:.0f} MiB, more than "
                               f"{max_total_bytes / 2**20:.0f} MiB: refused (a zip bomb?)")
        by_student: dict[str, list[Entry]] = {}
        unmatched: list[Entry] = []
        for info in infos:
            if info.is_dir():
                continue
            why = _skip_reason(info, max_file_bytes)
            if why:
                report.skipped.append((info.filename, why))
                continue
            entry = Entry(name=info.filename, info=info)
            if _unsafe_path(info.filename):
                entry.note = "unsafe path in the zip, saved under its base name"
                unmatched.append(entry)
                continue
            identify(entry, tz)
            if not entry.lms:
                entry.note = "no Canvas or Moodle file name"
                unmatched.append(entry)
                continue
            if lookup is not None:
                mapped = next((lookup[k] for k in _lms_keys(entry) if k in lookup), None)
                if mapped is None:
                    if entry.student not in report.not_in_roster:
                        report.not_in_roster.append(entry.student)
                else:
                    entry.student = mapped
            if not _SAFE_ID.match(entry.student):
                entry.lms, entry.note = "", f"the student id {entry.student!r} is not a safe folder name"
                unmatched.append(entry)
                continue
            if not entry.is_notebook:
                report.not_notebooks.append(entry)
                continue
            by_student.setdefault(entry.student, []).append(entry)

        for student, entries in sorted(by_student.items()):
            ranked = sorted(entries, key=lambda e: (e.when, e.version, e.filename == f"{assignment}.ipynb", e.name))
            winner = ranked[-1]
            try:
                data = _read(archive, winner.info, max_file_bytes)
            except CollectError as error:
                report.skipped.extend((e.name, str(error)) for e in ranked)
                continue
            if _write_submission(course, student, assignment, data, winner.when):
                report.replaced.append(student)
            report.collected.append(winner)
            report.superseded.extend((older, winner) for older in ranked[:-1])

        folder = course / "submitted" / UNMATCHED_DIR
        for entry in unmatched:
            try:
                data = _read(archive, entry.info, max_file_bytes)
            except CollectError as error:
                report.skipped.append((entry.name, str(error)))
                continue
            folder.mkdir(parents=True, exist_ok=True)
            target = _free_path(folder, safe_file_name(entry.name))
            _write_atomic(target, data)
            report.unmatched.append((entry.name, target, entry.note))
    return report


def _unsafe_path(name: str) -> bool:
    """True for an absolute entry name or one that climbs out of the zip (``..``)."""
    name = name.replace("\\", "/")
    return name.startswith("/") or bool(re.match(r"^[A-Za-z]:", name)) or ".." in name.split("/")


def _skip_reason(info: zipfile.ZipInfo, max_file_bytes: int) -> str:
    if _JUNK.search(info.filename.replace("\\", "/")):
        return "operating-system metadata, not a submission"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "a symbolic link, not a file"
    if info.flag_bits & 0x1:
        return "encrypted"
    if info.file_size > max_file_bytes:
        return f"{info.file_size / 2**20:.1f} MiB, larger than the {max_file_bytes / 2**20:g} MiB allowed per file"
    return ""


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, max_file_bytes: int) -> bytes:
    """The entry's bytes, never more than ``max_file_bytes`` (zipfile also stops at the declared size)."""
    try:
        with archive.open(info) as handle:
            data = handle.read(max_file_bytes + 1)
    except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError, EOFError) as error:
        raise CollectError(f"unreadable in the zip: {error}") from error
    if len(data) > max_file_bytes:
        raise CollectError(f"larger than the {max_file_bytes / 2**20:g} MiB allowed per file")
    return data


def _write_submission(course: Path, student: str, assignment: str, data: bytes,
                      when: datetime.datetime) -> bool:
    """Write the notebook and its timestamp; True when it replaced a different, earlier collected notebook."""
    notebook = paths.submitted_notebook(course, student, assignment)
    notebook.parent.mkdir(parents=True, exist_ok=True)
    replaced = notebook.is_file() and not notebook.is_symlink() and notebook.read_bytes() != data
    if notebook.is_symlink():
        notebook.unlink()
    _write_atomic(notebook, data)
    _write_atomic(notebook.parent / TIMESTAMP_FILE, (timestamp_text(when) + "\n").encode())
    return replaced


def _write_atomic(path: Path, data: bytes) -> None:
    descriptor, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.replace(temp, path)
    except BaseException:
        os.unlink(temp)
        raise


def _free_path(folder: Path, name: str) -> Path:
    """``folder/name``, or ``name-2``, ``name-3``... when taken."""
    target, stem, suffix, n = folder / name, Path(name).stem, Path(name).suffix, 1
    while target.exists() or target.is_symlink():
        n += 1
        target = folder / f"{stem}-{n}{suffix}"
    return target


def summary_lines(report: CollectReport, assignment: str, course: Path) -> list[str]:
    """What a TA reads after ``grader collect``."""
    lines = [f"{assignment}: {len(report.collected)} notebook(s) collected into {course / 'submitted'}"]
    for entry in sorted(report.collected, key=lambda e: e.student):
        flags = [f for f, on in (("late", entry.late), ("replaced an earlier collected notebook",
                                                         entry.student in report.replaced)) if on]
        if entry.filename != f"{assignment}.ipynb":
            flags.append(f"uploaded as {entry.filename}, saved as {assignment}.ipynb")
        lines.append(f"  {entry.student:20} {timestamp_text(entry.when)}  from {entry.name}"
                     + (f"  ({'; '.join(flags)})" if flags else ""))
    sections = [
        ("superseded by a later file of the same student (not imported)",
         [f"{old.student}: {old.name} ({timestamp_text(old.when)}), kept {new.name}"
          for old, new in report.superseded]),
        ("not a notebook (not graded)", [f"{e.student}: {e.name}" for e in report.not_notebooks]),
        (f"not imported as a submission (copied to {course / 'submitted' / UNMATCHED_DIR})",
         [f"{name} -> {target.name} ({why})" for name, target, why in report.unmatched]),
        ("skipped", [f"{name}: {why}" for name, why in report.skipped]),
        ("not in the roster (LMS id used as the student id)", report.not_in_roster),
    ]
    for title, items in sections:
        if items:
            unit = "student(s)" if "roster" in title else "file(s)"
            lines.append(f"{len(items)} {unit} {title}:")
            lines += [f"  {item}" for item in items]
    return lines
