"""nbgrader's exchange, as the course configures it: its submissions, collecting them, releasing feedback.

The course's ``nbgrader_config.py`` (beside ``grader.toml``) says where the exchange is
(``Exchange.root``) and which course it holds (``CourseDirectory.course_id``); collecting
and releasing go through the classes of nbgrader's ``ExchangeFactory``, so an exchange
plugged in there is used as well. Submissions are listed from the exchange's inbound folder
(``{student}+{assignment}+{timestamp}[+{random}]``, nbgrader's own layout), which is also
where ``grader watch`` listens for new ones. A course that plugs its own exchange classes into
nbgrader's ``ExchangeFactory`` gets :class:`PluggedExchange` instead (:func:`open_exchange`):
listed, collected and released by those classes.

Everything in the inbound folder is written by students (nbgrader makes it writable by all):
a submission folder that is a symbolic link is no submission; files are read through the
folder's own descriptor with ``O_NOFOLLOW``, bounded, and only regular files at its top level
are collected (links, FIFOs and subfolders are left out); and a folder must belong to the
student it names (or to whoever runs the grader), so nobody can submit in another's name.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import pwd
import shutil
from collections.abc import Iterator
from pathlib import Path

from grader.errors import UserError
from grader.timestamps import SECRET_FILE, TIMESTAMP_FILE
from grader.untrusted import UnsafeFile, read_regular_file

NBGRADER_CONFIG = "nbgrader_config.py"
SECRET_BYTES = 4096
MAX_FILES = 200  # files collected from one submission folder; the rest are left out (and named as one line)


class ExchangeError(UserError):
    """The course has no usable nbgrader exchange configuration."""


@dataclasses.dataclass(frozen=True, order=True)
class Submission:
    """One ``nbgrader submit`` in the inbound folder; ordered by arrival (its timestamp), then name."""

    timestamp: str
    student: str
    assignment: str
    folder: str  # the inbound folder's name: the submission's identity


def parse_folder(name: str) -> Submission | None:
    """The submission an inbound folder name describes, split as nbgrader's collect splits it; else None."""
    parts = name.rsplit("+", 3)
    if len(parts) < 3 or not all(parts[:3]) or not _is_timestamp(parts[2]):
        return None
    if any(part.startswith(".") or not part.isprintable() for part in parts[:2]):
        return None  # "..", hidden names, control characters: never a path component or a line in a report
    return Submission(parts[2], parts[0], parts[1], name)


def _is_timestamp(text: str) -> bool:
    from nbgrader.utils import parse_utc

    try:
        parse_utc(text)
    except (ValueError, OverflowError, TypeError):
        return False
    return True


class Exchange:
    """The course's nbgrader exchange: configuration, inbound listing, collect and release."""

    def __init__(self, course: Path):
        from nbgrader.coursedir import CourseDirectory
        from nbgrader.exchange import ExchangeFactory
        from traitlets.config.loader import PyFileConfigLoader

        config_file = course / NBGRADER_CONFIG
        if not config_file.is_file():
            raise ExchangeError(f"{config_file}: not found; grader watch reads the course's nbgrader configuration "
                                "(c.CourseDirectory.course_id and c.Exchange.root)")
        self.config = PyFileConfigLoader(NBGRADER_CONFIG, path=str(course)).load_config()
        self.config.CourseDirectory.root = str(course)
        self.course = course
        self.log = logging.getLogger("grader.exchange")
        self.coursedir = CourseDirectory(config=self.config)
        self.factory = ExchangeFactory(config=self.config)
        root = self.factory.exchange(coursedir=self.coursedir, config=self.config).root
        if not self.coursedir.course_id:
            raise ExchangeError(f"{config_file}: set c.CourseDirectory.course_id")
        self.inbound = Path(root) / self.coursedir.course_id / "inbound"
        self.outbound_feedback = Path(root) / self.coursedir.course_id / "feedback"

    def submissions(self, assignments: set[str] | None = None) -> list[Submission]:
        """Every submission folder in the inbound folder (of ``assignments``, when given), in arrival order."""
        try:
            with os.scandir(self.inbound) as entries:
                names = [e.name for e in entries if e.is_dir(follow_symlinks=False)]
        except FileNotFoundError:
            return []
        found = (parse_folder(name) for name in names)
        return sorted(s for s in found if s is not None and (assignments is None or s.assignment in assignments))

    @contextlib.contextmanager
    def folder(self, submission: Submission) -> Iterator[int]:
        """A descriptor of the submission's folder, opened without following a link; raises UnsafeFile."""
        try:
            descriptor = os.open(self.inbound / submission.folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError as error:
            raise UnsafeFile(f"{submission.folder} is not a folder ({error.strerror})") from None
        try:
            yield descriptor
        finally:
            os.close(descriptor)

    def owner_problem(self, submission: Submission) -> str:
        """Why the folder's owner may not submit for the student it names ("" when it may)."""
        with self.folder(submission) as descriptor:
            uid = os.fstat(descriptor).st_uid
        if uid == os.geteuid():
            return ""
        try:
            owner = pwd.getpwuid(uid).pw_name
        except KeyError:
            owner = f"uid {uid}"
        return "" if owner == submission.student else f"it names {submission.student} but belongs to {owner}"

    def secret(self, submission: Submission) -> str | None:
        """The submission's ``submission_secret.txt`` (its feedback's key), None if it has no readable one."""
        try:
            with self.folder(submission) as descriptor:
                data = read_regular_file(SECRET_FILE, SECRET_BYTES, dir_fd=descriptor)
        except (OSError, UnsafeFile):  # not there yet (submit still copying), a link, a FIFO, too large
            return None
        return data.decode("ascii", "replace").strip() or None

    def feedback_released(self, submission: Submission, secret: str) -> bool:
        """Whether feedback for this submission is in the exchange, where ``nbgrader fetch_feedback`` finds it."""
        from nbgrader.utils import notebook_hash

        name = notebook_hash(secret=secret, notebook_id=submission.assignment)
        return (self.outbound_feedback / f"{name}.html").is_file()

    def collect(self, submission: Submission, root: Path) -> list[str]:
        """Copy this submission into ``root/submitted/``, unless one as new is there; returns what was left out.

        As nbgrader's collect, with its update rule and its size limit (``max_dir_size``), but for
        the submission chosen (nbgrader's takes the newest; grader watch may want the newest on
        time) and through the folder's descriptor: regular files at its top level only.
        """
        from nbgrader.utils import parse_utc

        coursedir = self._coursedir(submission.assignment, submission.student, root)
        dest = Path(coursedir.format_path(coursedir.submitted_directory, submission.student, submission.assignment))
        if dest.is_dir():
            existing = coursedir.get_existing_timestamp(str(dest))
            if existing is not None and existing >= parse_utc(submission.timestamp):
                return []
        staging = dest.parent / f".{dest.name}.collecting"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        left_out, budget = [], int(coursedir.max_dir_size) * 1000
        with self.folder(submission) as descriptor:
            first = {f"{submission.assignment}.ipynb", TIMESTAMP_FILE, SECRET_FILE}
            names = sorted(os.listdir(descriptor), key=lambda name: (name not in first, name))
            if len(names) > MAX_FILES:
                left_out.append(f"{len(names) - MAX_FILES} files past the first {MAX_FILES}")
            for name in names[:MAX_FILES]:
                try:
                    data = read_regular_file(name, budget, dir_fd=descriptor)
                except (OSError, UnsafeFile) as problem:
                    left_out.append(f"{name}: {problem}")
                    continue
                budget -= len(data)
                (staging / name).write_bytes(data)
        shutil.rmtree(dest, ignore_errors=True)
        staging.rename(dest)
        return left_out

    def release_feedback(self, assignment: str, student: str, root: Path) -> None:
        """nbgrader's release_feedback of the student's page under ``root/feedback/`` into the exchange."""
        coursedir = self._coursedir(assignment, student, root)
        step = self.factory.ReleaseFeedback(coursedir=coursedir, config=self.config)
        try:
            step.start()
        except Exception as error:  # nbgrader's fail() raises ExchangeError after logging
            raise RuntimeError(f"nbgrader release_feedback for {student}/{assignment}: {error}") from None

    def _coursedir(self, assignment: str, student: str, root: Path):
        from nbgrader.coursedir import CourseDirectory

        coursedir = CourseDirectory(config=self.config)
        coursedir.root, coursedir.assignment_id, coursedir.student_id = str(root), assignment, student
        return coursedir


class PluggedExchange(Exchange):
    """An exchange whose classes the course's nbgrader_config.py plugs in (``c.ExchangeFactory.*``).

    Submissions are listed by the plugged ``List`` (``inbound=True``, with its own word on
    whether each one's feedback is out), collected by the plugged ``Collect`` (nbgrader's
    rule: the student's newest) and released by the plugged ``ReleaseFeedback``. The plugin
    authenticates students, so there is no owner check, and since its collect takes the newest
    submission, the newest one counts whatever ``[watch] counts`` says.
    """

    def __init__(self, course: Path):
        super().__init__(course)
        self._done: dict[str, bool] = {}

    def submissions(self, assignments: set[str] | None = None) -> list[Submission]:
        lister = self.factory.List(coursedir=self._coursedir("", "", self.course), config=self.config, inbound=True)
        found, done = [], {}
        for group in lister.start() or []:
            for info in group.get("submissions", []):
                student, assignment, timestamp = info["student_id"], info["assignment_id"], info["timestamp"]
                folder = os.path.basename(str(info.get("path", ""))) or f"{student}+{assignment}+{timestamp}"
                if parse_folder(f"{student}+{assignment}+{timestamp}") is None:
                    continue
                if assignments is None or assignment in assignments:
                    found.append(Submission(timestamp, student, assignment, folder))
                    done[folder] = bool(info.get("has_exchange_feedback"))
        self._done = done
        return sorted(found)

    def secret(self, submission: Submission) -> str | None:
        return submission.folder  # the plugin keeps the secret; only "is it there" matters here

    def feedback_released(self, submission: Submission, secret: str) -> bool:
        return self._done.get(submission.folder, False)

    def owner_problem(self, submission: Submission) -> str:
        return ""

    def collect(self, submission: Submission, root: Path) -> list[str]:
        coursedir = self._coursedir(submission.assignment, submission.student, root)
        step = self.factory.Collect(coursedir=coursedir, config=self.config, update=True, check_owner=False)
        try:
            step.start()
        except Exception as error:  # nbgrader's fail() raises after logging
            raise RuntimeError(f"nbgrader collect for {submission.student}/{submission.assignment}: {error}") from None
        return []


def open_exchange(course: Path) -> Exchange:
    """The course's exchange: nbgrader's own filesystem one, or the classes its configuration plugs in."""
    from nbgrader.exchange import default

    exchange = Exchange(course)
    factory = exchange.factory
    plugged = (factory.list is not default.ExchangeList or factory.collect is not default.ExchangeCollect
               or factory.release_feedback is not default.ExchangeReleaseFeedback)
    return PluggedExchange(course) if plugged else exchange
