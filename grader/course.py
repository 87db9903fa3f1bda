"""A course directory and its one config file, ``COURSE/grader.toml``.

The course directory follows nbgrader (``submitted/``, ``autograded/``,
``feedback/``, ``gradebook.db``).  ``grader.toml`` at its root holds everything a
semester needs besides the submissions: where the course's own assignments live,
the roster, due dates, extensions and the late policy.  Every key has a
description and a default (the ``help`` of each field below); a course without
the file gets the defaults.  Example::

    assignments = "assignments"          # the course's own NAME/NAME.ipynb sources
    roster = "roster.csv"                # Canvas' gradebook export, or lms_id,student_id[,name,email]
    timezone = "Europe/Budapest"         # for due dates written without an offset
    missing_score_zero = false           # exports give students without a submission 0 (else blank)

    [late]
    method = "per_day"                   # none | zero | per_day (nbgrader's LateSubmissionPlugin)
    percent_per_day = 10.0

    [due]
    conv2d = 2024-10-10T23:59:00+02:00

    [extensions.conv2d]
    "20001" = "2 days"                   # a duration, or a personal due date

    [watch]                              # grader watch, before the due date
    feedback = "hidden"                  # hidden: every check | visible: visible tests and score | score
    hidden_feedback_per_hour = 3         # per student; later submissions are graded, their feedback waits
    counts = "latest_on_time"            # or latest: which submission's grade counts

    language = "hu"                      # the report's language; each notebook's feedback is in its edition's

Assignments are found in the course's folder first, then among the package's own
(``grader.paths.assignments_root()``, which ``$GRADER_HOME`` can move).
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import re
import tomllib
from pathlib import Path
from zoneinfo import ZoneInfo

from grader import paths
from grader.assignment import Assignment, AssignmentError
from grader.config import from_table, setting
from grader.errors import UserError
from grader.i18n import LANGUAGES
from grader.roster import RosterRow, read_roster

CONFIG_FILE = "grader.toml"
LATE_METHODS = ("none", "zero", "per_day")
FEEDBACK_LEVELS = ("hidden", "visible", "score")
COUNTS = ("latest_on_time", "latest")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(weeks?|days?|hours?|minutes?)\b", re.I)


class CourseConfigError(UserError):
    """``grader.toml`` cannot be used; the message names the file and the key."""


@dataclasses.dataclass(frozen=True)
class LatePolicy:
    """How late work is penalised, by nbgrader's ``LateSubmissionPlugin`` (see :mod:`grader.late`)."""

    method: str = setting("none", "none: no penalty; zero: a late submission scores 0; per_day: lose "
                                 "percent_per_day of the score for every started day late")
    percent_per_day: float = setting(10.0, "with method = 'per_day': percent of the score lost per started day")


@dataclasses.dataclass(frozen=True)
class WatchPolicy:
    """What ``grader watch`` gives a submission before its due date (after it: everything, late policy applied)."""

    feedback: str = setting("hidden", "feedback before the due date: hidden (every hidden check's outcome), "
                                      "visible (the visible tests and the score) or score (the score only)")
    hidden_feedback_per_hour: int = setting(0, "per student and assignment, before the due date: at most this many "
                                               "submissions an hour get feedback; later ones are graded and "
                                               "their page says when it comes (0: no limit)")
    counts: str = setting("latest_on_time", "which submission's grade counts: latest_on_time (a later, late one "
                                             "still gets feedback, from a copy kept apart) or latest")
    check_owner: bool = setting(True, "refuse a submission whose folder in the exchange belongs to another user "
                                      "than the student it names (or the user running grader watch): on a "
                                      "JupyterHub every student is a user, and nbgrader's inbound is writable by all")
    report_every_s: float = setting(300.0, "seconds between refreshes of report/NAME.html while grader watch "
                                           "runs (0: never)")


@dataclasses.dataclass(frozen=True)
class CourseConfig:
    """The settings of one course, read from ``COURSE/grader.toml``."""

    assignments: str = setting("assignments", "folder of the course's own assignments (NAME/NAME.ipynb and "
                                             "NAME/grading/), relative to the course directory; the package's "
                                             "assignments are found too")
    roster: str = setting("", "the roster CSV, relative to the course directory: Canvas' gradebook export, or the "
                             "columns lms_id,student_id (optionally name, email); every student on it gets a row "
                             "in every export and the report")
    timezone: str = setting("UTC", "IANA time zone of due dates written without an offset, and of the times in "
                                  "an LMS zip")
    missing_score_zero: bool = setting(False, "exports give roster students without a submission 0 points; "
                                             "false leaves their score empty, so the LMS keeps what it has")
    late: LatePolicy = dataclasses.field(default_factory=LatePolicy,
                                         metadata={"help": "the late policy, the [late] table"})
    due: dict = setting({}, "due date per assignment, the [due] table: conv2d = 2024-10-10T23:59:00+02:00")
    extensions: dict = setting({}, "per assignment, per student id: a duration ('2 days', '36 hours') or a "
                                  "personal due date, the [extensions.NAME] tables")
    watch: WatchPolicy = dataclasses.field(default_factory=WatchPolicy,
                                           metadata={"help": "grader watch's feedback policy, the [watch] table"})
    language: str = setting("en", "the course's language (en or hu): the report's, and the feedback's for a "
                                  "notebook that does not say which edition it is (each edition says so itself)")


@dataclasses.dataclass(frozen=True)
class Course:
    """A course directory with its configuration."""

    root: Path
    config: CourseConfig

    @classmethod
    def load(cls, root: Path | str = ".") -> "Course":
        """The course at ``root``, with ``root/grader.toml`` if it exists; a bad file raises CourseConfigError."""
        root = Path(root)
        path = root / CONFIG_FILE
        if not path.is_file():
            return cls(root, CourseConfig())
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            late = from_table(LatePolicy, data.pop("late", {}), f"{path} [late]")
            watch = from_table(WatchPolicy, data.pop("watch", {}), f"{path} [watch]")
            config = from_table(CourseConfig, {**data, "late": late, "watch": watch}, str(path))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, TypeError, ValueError) as error:
            raise CourseConfigError(f"{path}: {error}") from None
        course = cls(root, config)
        course.check()
        return course

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_FILE

    @property
    def assignments_dir(self) -> Path:
        """The course's own assignments folder (it may not exist)."""
        return self.root / self.config.assignments

    @property
    def roster_path(self) -> Path | None:
        return self.root / self.config.roster if self.config.roster else None

    @functools.cached_property
    def roster(self) -> list[RosterRow]:
        """The students of the configured roster ([] without one); a bad file raises RosterError."""
        return read_roster(self.roster_path) if self.roster_path else []

    @functools.cached_property
    def timezone(self) -> datetime.tzinfo:
        return ZoneInfo(self.config.timezone)

    def assignment(self, name: str) -> Assignment:
        """The assignment ``name``: the course's own, else the package's; the error lists both folders."""
        folders = [self.assignments_dir, paths.assignments_root()]
        for folder in folders:
            if (folder / name / f"{name}.ipynb").is_file():
                return Assignment.find(name, folder)
        raise AssignmentError(f"no assignment {name!r} in {folders[0]} or {folders[1]} "
                              f"(known: {', '.join(self.assignment_names()) or 'none'})")

    def assignment_names(self) -> list[str]:
        """Every assignment the course can use: its own and the package's, by name."""
        folders = [self.assignments_dir, paths.assignments_root()]
        return sorted({p.name for folder in folders if folder.is_dir() for p in folder.iterdir()
                       if (p / f"{p.name}.ipynb").is_file()})

    def due_date(self, name: str) -> datetime.datetime | None:
        """The due date of assignment ``name`` (aware, UTC), or None when it has none."""
        value = self.config.due.get(name)
        return None if value is None else self._aware(value, f"[due] {name}")

    def extension(self, name: str, student: str) -> datetime.timedelta | None:
        """The extension ``student`` has for ``name`` (None when none), as nbgrader stores it."""
        value = self.config.extensions.get(name, {}).get(student)
        if value is None:
            return None
        where = f"[extensions.{name}] {student}"
        if isinstance(value, str):
            return parse_duration(value, f"{self.config_path}: {where}")
        due = self.due_date(name)
        if due is None:
            raise CourseConfigError(f"{self.config_path}: {where}: a personal due date needs [due] {name}")
        return self._aware(value, where) - due

    def seconds_late(self, name: str, student: str, submitted_at: datetime.datetime | None) -> float:
        """How late a submission at ``submitted_at`` is, by nbgrader's rule (0 without a due date or a time)."""
        due = self.due_date(name)
        if due is None or submitted_at is None:
            return 0.0
        due += self.extension(name, student) or datetime.timedelta(0)
        return max(0.0, (submitted_at - due).total_seconds())

    def check(self) -> None:
        """Raise CourseConfigError on a value that would only fail later (an unknown method, a bad date)."""
        config, where = self.config, self.config_path
        if config.late.method not in LATE_METHODS:
            raise CourseConfigError(f"{where}: [late] method must be one of {', '.join(LATE_METHODS)}, "
                                    f"not {config.late.method!r}")
        if not 0 <= config.late.percent_per_day <= 100:
            raise CourseConfigError(f"{where}: [late] percent_per_day must be between 0 and 100")
        if config.watch.feedback not in FEEDBACK_LEVELS:
            raise CourseConfigError(f"{where}: [watch] feedback must be one of {', '.join(FEEDBACK_LEVELS)}, "
                                    f"not {config.watch.feedback!r}")
        if config.watch.counts not in COUNTS:
            raise CourseConfigError(f"{where}: [watch] counts must be one of {', '.join(COUNTS)}, "
                                    f"not {config.watch.counts!r}")
        if config.language not in LANGUAGES:
            raise CourseConfigError(f"{where}: language must be one of {', '.join(LANGUAGES)}, not {config.language!r}")
        if config.watch.hidden_feedback_per_hour < 0 or config.watch.report_every_s < 0:
            raise CourseConfigError(f"{where}: [watch] hidden_feedback_per_hour and report_every_s must be 0 or more")
        try:
            ZoneInfo(config.timezone)
        except (ValueError, KeyError) as error:
            raise CourseConfigError(f"{where}: timezone {config.timezone!r} is not an IANA time zone") from error
        for name in config.due:
            self.due_date(name)
        for name, students in config.extensions.items():
            if not isinstance(students, dict):
                raise CourseConfigError(f"{where}: [extensions.{name}] must be a table of student = extension")
            for student in students:
                self.extension(name, student)

    def _aware(self, value: object, where: str) -> datetime.datetime:
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            value = datetime.datetime.combine(value, datetime.time(23, 59, 59))
        if not isinstance(value, datetime.datetime):
            raise CourseConfigError(f"{self.config_path}: {where}: expected a date and time such as "
                                    f"2024-10-10T23:59:00+02:00, got {value!r}")
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.timezone)
        return value.astimezone(datetime.timezone.utc)


def as_course(course: Path | str | Course) -> Course:
    """``course`` itself, or the course loaded from that directory."""
    return course if isinstance(course, Course) else Course.load(course)


def parse_duration(text: str, where: str = "duration") -> datetime.timedelta:
    """'2 days', '36 hours', '1 week 2 days 30 minutes' as a timedelta; anything else raises CourseConfigError."""
    parts = _DURATION_PART.findall(text)
    if not parts or _DURATION_PART.sub("", text).strip(" ,and"):
        raise CourseConfigError(f"{where}: {text!r} is not a duration such as '2 days' or '36 hours'")
    units = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}
    return sum((datetime.timedelta(**{units[unit[0].lower()]: float(amount)}) for amount, unit in parts),
               datetime.timedelta(0))
