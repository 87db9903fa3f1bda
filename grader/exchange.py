"""nbgrader's exchange, as the course configures it: its submissions, collecting them, releasing feedback.

The course's ``nbgrader_config.py`` (beside ``grader.toml``) says where the exchange is
(``Exchange.root``) and which course it holds (``CourseDirectory.course_id``); collecting
and releasing go through the classes of nbgrader's ``ExchangeFactory``, so an exchange
plugged in there is used as well. Submissions are listed from the exchange's inbound folder
(``{student}+{assignment}+{timestamp}[+{random}]``, nbgrader's own layout), which is also
where ``grader watch`` listens for new ones.

Everything in the inbound folder is written by students: names are parsed, never followed
into other folders, and a submission's secret is read bounded.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path

from grader.errors import UserError
from grader.untrusted import UnsafeFile, read_regular_file

NBGRADER_CONFIG = "nbgrader_config.py"
SECRET_BYTES = 4096


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
    if len(parts) < 3 or name.startswith(".") or not all(parts[:3]) or not _is_timestamp(parts[2]):
        return None
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
        """Every submission in the inbound folder (of ``assignments``, when given), in arrival order."""
        try:
            names = os.listdir(self.inbound)
        except FileNotFoundError:
            return []
        found = (parse_folder(name) for name in names)
        return sorted(s for s in found if s is not None and (assignments is None or s.assignment in assignments))

    def secret(self, submission: Submission) -> str | None:
        """The submission's ``submission_secret.txt`` (its feedback's key), None if it has no readable one."""
        try:
            data = read_regular_file(self.inbound / submission.folder / "submission_secret.txt", SECRET_BYTES)
        except (OSError, UnsafeFile):  # not there yet (submit still copying), a link, a FIFO, too large
            return None
        return data.decode("ascii", "replace").strip() or None

    def feedback_released(self, submission: Submission, secret: str) -> bool:
        """Whether feedback for this submission is in the exchange, where ``nbgrader fetch_feedback`` finds it."""
        from nbgrader.utils import notebook_hash

        name = notebook_hash(secret=secret, notebook_id=submission.assignment)
        return (self.outbound_feedback / f"{name}.html").is_file()

    def collect(self, submission: Submission, root: Path) -> None:
        """Copy this submission into ``root/submitted/`` as nbgrader's collect does, unless a newer one is there.

        nbgrader's collect takes a student's newest submission; grader watch may need an older one
        (the newest on time, when a late one came after it), so it runs the collect step's own
        copy (``do_copy``: its ignore, include and size rules) on the submission it chose.
        """
        import shutil

        from nbgrader.utils import parse_utc

        coursedir = self._coursedir(submission.assignment, submission.student, root)
        step = self.factory.Collect(coursedir=coursedir, config=self.config, update=True, check_owner=False)
        dest = Path(coursedir.format_path(coursedir.submitted_directory, submission.student, submission.assignment))
        if dest.is_dir():
            existing = coursedir.get_existing_timestamp(str(dest))
            if existing is not None and existing >= parse_utc(submission.timestamp):
                return
            shutil.rmtree(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        step.do_copy(str(self.inbound / submission.folder), str(dest))

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
