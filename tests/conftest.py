"""Fixtures shared by the nbgrader-facing tests (release, gradebook, export)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.assignment import Assignment
from grader.gradebook import course_db_url, open_gradebook

TOY = Path(__file__).parent / "fixtures" / "nbgrader" / "toy"


@pytest.fixture
def toy(tmp_path) -> Assignment:
    """A private copy of the toy assignment (grading/ with checks.py and a secret seed included)."""
    shutil.copytree(TOY, tmp_path / "assignments" / "toy")
    return Assignment.find("toy", tmp_path / "assignments")


@pytest.fixture(scope="session")
def empty_gradebook(tmp_path_factory) -> Path:
    """A fresh gradebook made once and copied per test."""
    folder = tmp_path_factory.mktemp("empty-gradebook")
    with open_gradebook(course_db_url(folder)):
        pass
    return folder / "gradebook.db"
