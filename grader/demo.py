"""The main job on the embedded default: a sample class graded end to end on a local Dask cluster."""

from __future__ import annotations

import shutil
from pathlib import Path

from grader import export, feedback, release
from grader.assignment import Assignment
from grader.autograde import BatchSummary, autograde
from grader.cluster import client_factory
from grader.sampleclass import build_class

MARKER = ".grader-demo"


def prepare_course(course: Path) -> None:
    """Start from an empty course folder; only a previous demo's folder is ever deleted."""
    if course.exists():
        if not (course / MARKER).exists():
            raise FileExistsError(f"{course} exists and is not a demo course: choose another --course")
        shutil.rmtree(course)
    course.mkdir(parents=True)
    (course / MARKER).write_text("made by `grader demo`; safe to delete\n")


def run_demo(course: Path, names: list[str], *, workers: int | None, confined: bool) -> dict[str, BatchSummary]:
    """Check the release, build the class, grade it, write feedback and the CSV, per assignment."""
    prepare_course(course)
    summaries = {}
    for name in names:
        assignment = Assignment.find(name)
        stale = release.stale_files(assignment)
        if stale:
            raise RuntimeError(f"release/*/{name} is stale ({stale[0]}...): run `grader release {name}`")
        build_class(course, assignment)
        summaries[name] = autograde(course, assignment, confined=confined,
                                    client_factory=client_factory(workers))
        feedback.write_feedback(course, name)
        export.write_csv(assignment, course, course / f"{name}.csv")
    return summaries
