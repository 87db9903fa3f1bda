"""Import an LMS bulk download (a zip from Canvas or Moodle) into ``COURSE/submitted/``.

Naming schemes recognised (the student's own file name comes last):

- Canvas: ``{sortablename}_{userid}_{submissionid}_{filename}``, with ``_late``
  after the name for a late submission (``nagybence_late_20002_7000102_conv2d.ipynb``);
  Canvas appends ``-N`` before the extension of a resubmitted file (``conv2d-1.ipynb``).
  The sortable name is the student's name lowercased with everything but letters
  and digits removed; Canvas keeps any letter (``kovácsanna``).
- Moodle: ``{Full Name}_{participantid}_assignsubmission_file_/{filename}``
  (a folder per student) or the flattened
  ``{Full Name}_{participantid}_assignsubmission_file_{filename}``.

Identity never comes from a name: a student is the Canvas user id or the Moodle
participant id, and two students with one name stay two students.  Without a
roster that id is the student id (``id_format="sortable-name_userid"`` prefixes
the sortable name: ``nagybence_20002``).  A roster maps ids to the institution's:
either Canvas' own gradebook export (columns ``Student, ID, SIS User ID, SIS Login
ID, Section``: the Canvas user id ``ID`` becomes the ``SIS Login ID``, else the
``SIS User ID``) or any CSV with the columns ``lms_id`` and ``student_id``
(``lms_id`` is a Canvas user id or a Moodle participant id; failing that it may be
the Canvas sortable name or the Moodle full name).  A roster that sends files of
two different LMS users to one student id is refused with both files named, before
anything is written; a user the roster lacks keeps the LMS id.

Each student's latest notebook (by the LMS time, then Canvas' ``-N``) becomes
``submitted/STUDENT/NAME/NAME.ipynb``; its time is written beside it as
``timestamp.txt`` in nbgrader's format (``%Y-%m-%d %H:%M:%S.%f UTC``) and Canvas'
``-N`` in ``.collect.json``.  Time only moves forward: a notebook already there is
replaced only by a newer one (time, then ``-N``); an older one is reported and not
written, and collecting the same zip again changes nothing and says so.  Older
notebooks of the zip, non-notebook files and files that match no scheme are
reported; unmatched files are copied to ``submitted/.unmatched/`` once (a copy
with the same bytes already there is not made again).  Nothing is dropped silently.

The zip is untrusted: only base names are used (no path traversal), symbolic
links and encrypted entries are skipped, files over 100 MiB are refused, and a
zip whose files add up to more than 2 GiB is refused as a whole.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import itertools
import json
import os
import re
import stat
import tempfile
import unicodedata
import zipfile
from pathlib import Path
from zoneinfo import ZoneInfo

from grader import paths
from grader.errors import UserError
from grader.roster import RosterRow, name_key, read_roster
from grader.timestamps import TIMESTAMP_FILE, read_timestamp, timestamp_text
from grader.untrusted import UnsafeFile, read_regular_file

MAX_FILE_BYTES = 100 * 2**20
MAX_TOTAL_BYTES = 2 * 2**30
MAX_ENTRIES = 100_000
MAX_RECORD_BYTES = 4096
UNMATCHED_DIR = ".unmatched"
RECORD_FILE = ".collect.json"
ID_FORMATS = ("userid", "sortable-name_userid")
UNCHANGED = "unchanged"

_CANVAS = re.compile(r"^(?P<name>[^\W_]*?)(?P<late>_(?i:late))?_(?P<userid>\d+)_(?P<subid>\d+)_(?P<file>.+)$")
_MOODLE = re.compile(r"^(?:.*/)?(?P<fullname>[^/]+?)_(?P<pid>\d+)_assignsubmission_(?P<plugin>[a-z]+)_"
                     r"(?P<rest>.*)$")
_RESUBMISSION = re.compile(r"^(?P<stem>.+)-(?P<n>\d{1,3})(?P<ext>\.[^.]+)$")
_SAFE_ID = re.compile(r"^[^\W_][\w.@-]{0,63}$")
_JUNK = re.compile(r"(^|/)(__MACOSX/|\.DS_Store$|Thumbs\.db$|desktop\.ini$)")


class CollectError(UserError):
    """The zip can not be imported at all (not a zip, too large, a roster that merges two students)."""


@dataclasses.dataclass
class Entry:
    """One file of the zip, identified."""

    name: str                       # the entry's name in the zip (untrusted, only shown)
    info: zipfile.ZipInfo
    lms: str = ""                   # "canvas", "moodle" or "" (unmatched)
    user: str = ""                  # the Canvas user id or the Moodle participant id: the identity
    lms_name: str = ""              # the Canvas sortable name or the Moodle full name (shown, never an identity)
    student: str = ""
    matched_by: str = ""            # how the roster found the student ("" without one or when it lacks the user)
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

    collected: list[Entry] = dataclasses.field(default_factory=list)                 # written
    unchanged: list[Entry] = dataclasses.field(default_factory=list)                 # already collected
    older: list[tuple[Entry, str]] = dataclasses.field(default_factory=list)         # (not written, why)
    superseded: list[tuple[Entry, Entry]] = dataclasses.field(default_factory=list)  # (older, winner)
    not_notebooks: list[Entry] = dataclasses.field(default_factory=list)
    without_notebook: list[Entry] = dataclasses.field(default_factory=list)              # kept, graded ungradable
    unmatched: list[tuple[str, Path, str]] = dataclasses.field(default_factory=list)  # (entry, copied to, why)
    unmatched_kept: list[tuple[str, Path]] = dataclasses.field(default_factory=list)  # already in .unmatched
    skipped: list[tuple[str, str]] = dataclasses.field(default_factory=list)          # (entry, why)
    not_in_roster: list[str] = dataclasses.field(default_factory=list)
    replaced: dict[str, str] = dataclasses.field(default_factory=dict)                # student -> what was replaced

    @property
    def changed(self) -> bool:
        """True when this collect wrote anything."""
        return bool(self.collected or self.unmatched)


# ----------------------------------------------------------------------------- rosters

@dataclasses.dataclass
class RosterIndex:
    """A roster looked up by LMS user id first, by name only when the id is not on it (the first row wins)."""

    by_id: dict[str, str]
    by_name: dict[str, str]

    @classmethod
    def of(cls, rows: list[RosterRow]) -> RosterIndex:
        by_id: dict[str, str] = {}
        by_name: dict[str, str] = {}
        for row in rows:
            for key in (row.canvas_id, row.lms_id):
                if key:
                    by_id.setdefault(key, row.student_id)
            if row.lms_id:
                by_name.setdefault(name_key(row.lms_id), row.student_id)
        return cls(by_id, by_name)

    def find(self, entry: Entry) -> tuple[str, str] | None:
        """(student id, how it was found) for ``entry``, or None when the roster lacks its user."""
        if entry.user in self.by_id:
            return self.by_id[entry.user], f"user id {entry.user}"
        name = name_key(entry.lms_name)
        if name and name in self.by_name:
            return self.by_name[name], f"name {entry.lms_name!r}"
        return None



# ----------------------------------------------------------------------------- naming schemes

def entry_name(info: zipfile.ZipInfo) -> str:
    """The entry's name as Unicode (NFC): a UTF-8 name without the zip's UTF-8 flag is decoded as UTF-8."""
    name = info.filename
    if not info.flag_bits & 0x800:
        try:
            name = name.encode("cp437").decode("utf-8")
        except UnicodeError:
            pass
    return unicodedata.normalize("NFC", name)


def sortable_name(name: str) -> str:
    """Canvas' sortable name of ``name``: lowercased, everything but letters and digits removed."""
    return re.sub(r"[\W_]", "", name).lower()


def identify(entry: Entry, tz: datetime.tzinfo) -> Entry:
    """Fill in the LMS, the user, the name, the file name and the time of ``entry`` from its name."""
    name = entry.name.replace("\\", "/")
    base = name.rsplit("/", 1)[-1]
    entry.when = datetime.datetime(*entry.info.date_time, tzinfo=tz).astimezone(datetime.timezone.utc)
    moodle = _MOODLE.match(name)
    canvas = _CANVAS.match(base)
    if moodle:
        entry.lms, entry.user, entry.lms_name = "moodle", moodle["pid"], moodle["fullname"]
        entry.filename = moodle["rest"].rsplit("/", 1)[-1] or base
        if moodle["plugin"] != "file":
            entry.filename = f"{moodle['plugin']}:{entry.filename}"  # online text and other plugins
    elif canvas:
        entry.lms, entry.user, entry.lms_name = "canvas", canvas["userid"], canvas["name"]
        entry.late, entry.filename = bool(canvas["late"]), canvas["file"]
        resubmitted = _RESUBMISSION.match(entry.filename)
        if resubmitted:
            entry.filename = resubmitted["stem"] + resubmitted["ext"]
            entry.version = int(resubmitted["n"])
    return entry


def default_student_id(entry: Entry, id_format: str) -> str:
    """The student id of an entry the roster does not map: its user id, or ``sortablename_userid``."""
    prefix = sortable_name(entry.lms_name) if id_format == "sortable-name_userid" else ""
    return f"{prefix}_{entry.user}" if prefix else entry.user


def safe_file_name(name: str) -> str:
    """A harmless base name for a file from the zip (no directories, no leading dot, no odd characters)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = re.sub(r"[^A-Za-z0-9._ -]", "_", base).strip(" .")
    return base[:120] or "unnamed"


# ----------------------------------------------------------------------------- the import

def collect(zip_path: Path, assignment: str, course: Path, *, roster: Path | None = None,
            timezone: str = "UTC", id_format: str = "userid", max_file_bytes: int = MAX_FILE_BYTES,
            max_total_bytes: int = MAX_TOTAL_BYTES) -> CollectReport:
    """Import ``zip_path`` into ``course/submitted/``; see the module docstring."""
    tz = ZoneInfo(timezone)
    index = RosterIndex.of(read_roster(roster)) if roster else None
    if id_format not in ID_FORMATS:
        raise ValueError(f"unknown id format {id_format!r}: use one of {', '.join(ID_FORMATS)}")
    report = CollectReport()
    with _open_zip(zip_path, max_total_bytes) as archive:
        entries, unmatched = _identify_all(archive, tz, max_file_bytes, report)
        _assign_students(entries, index, id_format, report)
        check_one_user_per_student(entries, f"{roster}: " if roster else "")
        by_student = _sort_entries(entries, unmatched, report)
        for student, ranked in sorted(by_student.items()):
            _collect_student(archive, course, assignment, student, ranked, max_file_bytes, report)
        for entry in report.not_notebooks:
            if entry.student not in by_student:
                _keep_without_notebook(archive, course, assignment, entry, max_file_bytes, report)
        for entry in unmatched:
            _keep_unmatched(archive, course, entry, max_file_bytes, report)
    return report


def _open_zip(zip_path: Path, max_total_bytes: int) -> zipfile.ZipFile:
    """The zip, refused when unreadable, with too many entries or too many bytes unpacked."""
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as error:
        raise CollectError(f"{zip_path} is not a readable zip file: {error}") from error
    infos = archive.infolist()
    total = sum(i.file_size for i in infos)
    if len(infos) > MAX_ENTRIES:
        archive.close()
        raise CollectError(f"{zip_path} holds {len(infos)} entries (more than {MAX_ENTRIES}): refused")
    if total > max_total_bytes:
        archive.close()
        raise CollectError(f"{zip_path} unpacks to {total / 2**20:.0f} MiB, more than "
                           f"{max_total_bytes / 2**20:.0f} MiB: refused (a zip bomb?)")
    return archive


def _identify_all(archive: zipfile.ZipFile, tz: datetime.tzinfo, max_file_bytes: int,
                  report: CollectReport) -> tuple[list[Entry], list[Entry]]:
    """(entries of a Canvas or Moodle file name, unmatched entries); skipped ones go to the report."""
    entries: list[Entry] = []
    unmatched: list[Entry] = []
    for info in archive.infolist():
        if info.is_dir():
            continue
        why = _skip_reason(info, max_file_bytes)
        if why:
            report.skipped.append((entry_name(info), why))
            continue
        entry = Entry(name=entry_name(info), info=info)
        if _unsafe_path(entry.name):
            entry.note = "unsafe path in the zip, saved under its base name"
        elif not identify(entry, tz).lms:
            entry.note = "no Canvas or Moodle file name"
        (entries if entry.lms else unmatched).append(entry)
    return entries, unmatched


def _assign_students(entries: list[Entry], index: RosterIndex | None, id_format: str,
                     report: CollectReport) -> None:
    """Each entry's student id: the roster's for its user, else its default id (the user id)."""
    for entry in entries:
        found = index.find(entry) if index is not None else None
        if found is not None:
            entry.student, entry.matched_by = found
            continue
        entry.student = default_student_id(entry, id_format)
        if index is not None and entry.student not in report.not_in_roster:
            report.not_in_roster.append(entry.student)


def check_one_user_per_student(entries: list[Entry], prefix: str = "") -> None:
    """Raise CollectError, naming both files, when one student id stands for two LMS users."""
    first: dict[str, Entry] = {}
    problems = []
    for entry in entries:
        seen = first.setdefault(entry.student, entry)
        if (seen.lms, seen.user) != (entry.lms, entry.user):
            problems.append(f"student {entry.student!r} would get the files of two LMS users: {_origin(seen)} and "
                            f"{_origin(entry)}")
    if problems:
        raise CollectError(f"{prefix}the roster merges different students (give each LMS user id its own row; "
                           "nothing was collected):\n  " + "\n  ".join(dict.fromkeys(problems)))


def _origin(entry: Entry) -> str:
    how = f", matched by {entry.matched_by}" if entry.matched_by else ""
    return f"{entry.name} (user {entry.user}{how})"


def _sort_entries(entries: list[Entry], unmatched: list[Entry], report: CollectReport) -> dict[str, list[Entry]]:
    """Each student's notebooks; non-notebooks and unsafe ids go to the report or ``unmatched``."""
    by_student: dict[str, list[Entry]] = {}
    for entry in entries:
        if not _SAFE_ID.match(entry.student):
            entry.lms, entry.note = "", f"the student id {entry.student!r} is not a safe folder name"
            unmatched.append(entry)
        elif not entry.is_notebook:
            report.not_notebooks.append(entry)
        else:
            by_student.setdefault(entry.student, []).append(entry)
    return by_student


def _rank(entry: Entry) -> tuple[datetime.datetime, int]:
    """What makes a notebook newer: the LMS time, then Canvas' resubmission number."""
    return entry.when, entry.version


def _collect_student(archive: zipfile.ZipFile, course: Path, assignment: str, student: str, ranked: list[Entry],
                     max_file_bytes: int, report: CollectReport) -> None:
    """Write the student's newest notebook of the zip unless the one already collected is as new or newer."""
    ranked = sorted(ranked, key=lambda e: (*_rank(e), e.filename == f"{assignment}.ipynb", e.name))
    winner = ranked[-1]
    try:
        data = _read(archive, winner.info, max_file_bytes)
    except CollectError as error:
        report.skipped.extend((e.name, str(error)) for e in ranked)
        return
    report.superseded.extend((older, winner) for older in ranked[:-1])
    folder = paths.submitted_notebook(course, student, assignment).parent
    verdict, before = _compare(folder, assignment, winner, data, max_file_bytes)
    if verdict == UNCHANGED:
        report.unchanged.append(winner)
    elif verdict:
        report.older.append((winner, verdict))
    else:
        try:
            _write_submission(folder, assignment, data, winner)
        except OSError as error:
            report.skipped.append((winner.name, f"not written: {error}"))
            return
        report.collected.append(winner)
        if before:
            report.replaced[student] = before


def _compare(folder: Path, assignment: str, winner: Entry, data: bytes,
             max_file_bytes: int) -> tuple[str, str]:
    """(why not to write, what the write replaces): ("", ...) to write, (UNCHANGED, "") when already collected.

    The collected notebook's time is its ``timestamp.txt``, its ``-N`` the one in ``.collect.json``.
    """
    existing = _existing_notebook(folder / f"{assignment}.ipynb", max_file_bytes)
    if existing is None:
        return "", ""
    when, warning = read_timestamp(folder)
    if when is None:
        return (f"a notebook is already collected, without a usable {TIMESTAMP_FILE}"
                f"{f' ({warning})' if warning else ''}: kept; remove it to collect this one"), ""
    version = _recorded_version(folder, existing)
    mine, theirs = _rank(winner), (when, version)
    shown = timestamp_text(when) + (f", resubmission -{version}" if version else "")
    if mine > theirs:
        return "", (f"replaced the notebook of {shown}" if existing != data
                    else f"the same notebook as collected at {shown}, now with its later time")
    if mine == theirs and existing == data:
        return UNCHANGED, ""
    if mine == theirs:
        return f"as new as the collected notebook ({shown}) but different: the collected one is kept", ""
    return f"older than the collected notebook ({shown}): not written", ""


def _existing_notebook(path: Path, max_file_bytes: int) -> bytes | None:
    """The collected notebook's bytes; None when there is none (a link or a non-file is not a collected one)."""
    try:
        return read_regular_file(path, max_file_bytes)
    except (FileNotFoundError, UnsafeFile):
        return None


def _recorded_version(folder: Path, notebook: bytes) -> int:
    """Canvas' ``-N`` of the collected notebook, from ``.collect.json``; 0 when unknown or for another notebook."""
    try:
        record = json.loads(read_regular_file(folder / RECORD_FILE, MAX_RECORD_BYTES))
    except (OSError, ValueError):
        return 0
    if not isinstance(record, dict) or record.get("sha256") != hashlib.sha256(notebook).hexdigest():
        return 0
    version = record.get("version")
    return version if isinstance(version, int) and not isinstance(version, bool) and version >= 0 else 0


def _write_submission(folder: Path, assignment: str, data: bytes, entry: Entry) -> None:
    """The notebook, then its ``timestamp.txt``, then ``.collect.json`` (an interrupted write is redone)."""
    folder.mkdir(parents=True, exist_ok=True)
    _write_atomic(folder / f"{assignment}.ipynb", data)
    _write_atomic(folder / TIMESTAMP_FILE, (timestamp_text(entry.when) + "\n").encode())
    record = {"entry": entry.name, "lms": entry.lms, "user": entry.user, "version": entry.version,
              "late": entry.late, "sha256": hashlib.sha256(data).hexdigest()}
    _write_atomic(folder / RECORD_FILE, (json.dumps(record, ensure_ascii=False, indent=1) + "\n").encode())


def _keep_without_notebook(archive: zipfile.ZipFile, course: Path, assignment: str, entry: Entry,
                           max_file_bytes: int, report: CollectReport) -> None:
    """Keep the file of a student who handed in no notebook in their folder, so they are graded ungradable.

    Only while no notebook of theirs is collected; the file gets a harmless name that is never
    the notebook's or a bookkeeping file's, and a copy already there is not made again.
    """
    folder = paths.submitted_notebook(course, entry.student, assignment).parent
    if (folder / f"{assignment}.ipynb").exists():
        return
    try:
        data = _read(archive, entry.info, max_file_bytes)
        folder.mkdir(parents=True, exist_ok=True)
        name = safe_file_name(entry.filename)
        if name.lower().endswith(".ipynb") or name in (TIMESTAMP_FILE, RECORD_FILE):
            name = f"uploaded-{name}"
        target, already = _unmatched_target(folder, name, data)
        if not already:
            _write_atomic(target, data)
    except (CollectError, OSError) as error:
        report.skipped.append((entry.name, f"not kept: {error}"))
        return
    report.without_notebook.append(entry)


def _keep_unmatched(archive: zipfile.ZipFile, course: Path, entry: Entry, max_file_bytes: int,
                    report: CollectReport) -> None:
    """Copy an unmatched file to ``submitted/.unmatched/``, unless a copy with its bytes is already there."""
    try:
        data = _read(archive, entry.info, max_file_bytes)
    except CollectError as error:
        report.skipped.append((entry.name, str(error)))
        return
    folder = course / "submitted" / UNMATCHED_DIR
    folder.mkdir(parents=True, exist_ok=True)
    target, already = _unmatched_target(folder, safe_file_name(entry.name), data)
    if already:
        report.unmatched_kept.append((entry.name, target))
    else:
        _write_atomic(target, data)
        report.unmatched.append((entry.name, target, entry.note))


def _unmatched_target(folder: Path, name: str, data: bytes) -> tuple[Path, bool]:
    """(where to copy, False) at ``name``, ``name-2``...; (the copy, True) when one already holds ``data``."""
    stem, suffix = Path(name).stem, Path(name).suffix
    for n in itertools.count(1):
        target = folder / (name if n == 1 else f"{stem}-{n}{suffix}")
        if not (target.exists() or target.is_symlink()):
            return target, False
        if _holds(target, data):
            return target, True
    raise AssertionError("unreachable")


def _holds(path: Path, data: bytes) -> bool:
    """True when ``path`` is a regular file with exactly ``data``."""
    try:
        return read_regular_file(path, len(data)) == data
    except (OSError, ValueError):
        return False


def _unsafe_path(name: str) -> bool:
    """True for an absolute entry name or one that climbs out of the zip (``..``)."""
    name = name.replace("\\", "/")
    return name.startswith("/") or bool(re.match(r"^[A-Za-z]:", name)) or ".." in name.split("/")


def _skip_reason(info: zipfile.ZipInfo, max_file_bytes: int) -> str:
    """Why an entry is not a file to import at all ("" when it is)."""
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


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``path`` through a temporary file in its folder, so it is whole or absent (a link is replaced)."""
    descriptor, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.replace(temp, path)
    except BaseException:
        os.unlink(temp)
        raise


# ----------------------------------------------------------------------------- the summary

def summary_lines(report: CollectReport, assignment: str, course: Path) -> list[str]:
    """What a TA reads after ``grader collect``."""
    lines = [f"{assignment}: {len(report.collected)} notebook(s) collected into {course / 'submitted'}"]
    if not report.changed and (report.unchanged or report.older):
        lines.append(f"nothing changed: every notebook in this zip is already collected "
                     f"({len(report.unchanged)} the same, {len(report.older)} older or kept)")
    for entry in sorted(report.collected, key=lambda e: e.student):
        lines.append(f"  {entry.student:20} {timestamp_text(entry.when)}  from {entry.name}"
                     + _flags(entry, report, assignment))
    for title, items in _sections(report, course):
        if items:
            unit = "student(s)" if "roster" in title else "file(s)"
            lines.append(f"{len(items)} {unit} {title}:")
            lines += [f"  {item}" for item in items]
    if report.unmatched_kept:
        lines.append(f"{len(report.unmatched_kept)} file(s) matching no LMS naming scheme are already in "
                     f"{course / 'submitted' / UNMATCHED_DIR} from an earlier collect (not copied again)")
    return lines


def _flags(entry: Entry, report: CollectReport, assignment: str) -> str:
    """The notes after a collected notebook's line: late, what it replaced, the name it was uploaded as."""
    flags = ["late"] if entry.late else []
    if entry.student in report.replaced:
        flags.append(report.replaced[entry.student])
    if entry.filename != f"{assignment}.ipynb":
        flags.append(f"uploaded as {entry.filename}, saved as {assignment}.ipynb")
    return f"  ({'; '.join(flags)})" if flags else ""


def _sections(report: CollectReport, course: Path) -> list[tuple[str, list[str]]]:
    """(title, lines) of every list of files that were not written as a student's notebook."""
    return [
        ("not written: the notebook already collected is as new or newer",
         [f"{e.student}: {e.name} ({timestamp_text(e.when)}): {why}" for e, why in report.older]),
        ("superseded by a later file of the same student (not imported)",
         [f"{old.student}: {old.name} ({timestamp_text(old.when)}), kept {new.name}"
          for old, new in report.superseded]),
        ("not a notebook (not graded)", [f"{e.student}: {e.name}" for e in report.not_notebooks
                                         if e not in report.without_notebook]),
        ("kept in the student's folder: no notebook from them, so they are graded as ungradable",
         [f"{e.student}: {e.name}" for e in report.without_notebook]),
        (f"not imported as a submission (copied to {course / 'submitted' / UNMATCHED_DIR})",
         [f"{name} -> {target.name} ({why})" for name, target, why in report.unmatched]),
        ("skipped", [f"{name}: {why}" for name, why in report.skipped]),
        ("not in the roster (LMS id used as the student id)", report.not_in_roster),
    ]
