"""Where the package's assignments live and how a course directory is laid out (nbgrader's)."""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The folder holding ``assignments/`` and ``release/``.

    ``$GRADER_HOME`` wins; else the checkout this package was installed from;
    else the current directory.
    """
    if os.environ.get("GRADER_HOME"):
        return Path(os.environ["GRADER_HOME"]).resolve()
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "assignments").is_dir():
        return checkout
    return Path.cwd()


def assignments_root() -> Path:
    """The instructor's nbgrader source folder."""
    return project_root() / "assignments"


def release_root() -> Path:
    """The generated student versions (committed)."""
    return project_root() / "release"


def submitted_notebook(course: Path, student: str, assignment: str) -> Path:
    """``submitted/STUDENT/NAME/NAME.ipynb``, as nbgrader lays it out."""
    return course / "submitted" / student / assignment / f"{assignment}.ipynb"


def autograded_dir(course: Path, student: str, assignment: str) -> Path:
    """Where the result of one grading job is written."""
    return course / "autograded" / student / assignment


def feedback_dir(course: Path, student: str, assignment: str) -> Path:
    """Where the student's feedback page is written."""
    return course / "feedback" / student / assignment
