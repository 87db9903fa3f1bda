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

    def collect(self, assignment: str, student: str) -> None:
        """nbgrader's collect of the student's newest submission into ``submitted/`` (update semantics)."""
        self._run(self.factory.Collect, assignment, student, update=True, check_owner=False)

    def release_feedback(self, assignment: str, student: str) -> None:
        """nbgrader's release_feedback of the student's page(s) under ``feedback/`` into the exchange."""
        self._run(self.factory.ReleaseFeedback, assignment, student)

    def _run(self, make, assignment: str, student: str, **options) -> None:
        from nbgrader.coursedir import CourseDirectory

        coursedir = CourseDirectory(config=self.config)
        coursedir.assignment_id, coursedir.student_id = assignment, student
        step = make(coursedir=coursedir, config=self.config, **options)
        try:
            step.start()
        except Exception as error:  # nbgrader's fail() raises ExchangeError after logging
            raise RuntimeError(f"nbgrader {type(step).__name__} for {student}/{assignment}: {error}") from None
