"""The ``stale`` status: a stored result whose notebook is no longer the one in ``submitted/``.

A result records the sha256 of the notebook it graded. When a student's notebook is
replaced (a newer collect, a resubmission) the old result still sits in ``autograded/``
until the next ``grader autograde``; export, feedback and the report then show it as
stale, never as its old score.
"""

from __future__ import annotations

from pathlib import Path

from grader import paths
from grader.notebook.submission import sha256

STALE_REASON = ("the notebook in submitted/ changed after this result was graded: "
                "run `grader autograde {name}` to grade the new one")


def is_stale(course: Path, folder: str, name: str, result: dict) -> bool:
    """Whether ``result`` graded another notebook than ``submitted/FOLDER/NAME/NAME.ipynb`` holds now.

    Results without a recorded hash (harness errors, a notebook that was a link) cannot be stale.
    """
    recorded = result.get("notebook_sha256")
    if not isinstance(recorded, str) or not recorded or result.get("status") not in ("graded", "ungradable"):
        return False
    notebook = paths.submitted_notebook(course, folder, name)
    try:
        current = sha256(notebook) if notebook.is_file() and not notebook.is_symlink() else ""
    except OSError:
        current = ""
    return current != recorded


def as_stale(result: dict, name: str) -> dict:
    """``result`` shown as stale: no score, no checks, the reason and what to do."""
    return {**result, "status": "stale", "reason": STALE_REASON.format(name=name), "score": 0.0, "checks": [],
            "visible_tests": [], "cells": {}}


def current(course: Path, folder: str, name: str, result: dict) -> dict:
    """``result``, or its stale view when the notebook it graded was replaced."""
    return as_stale(result, name) if is_stale(course, folder, name, result) else result
