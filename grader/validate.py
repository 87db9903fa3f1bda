"""For students: run a notebook as the grader would (same rebuild, same sandbox), visible tests only."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from grader.assignment import Assignment
from grader.notebook.cells import grade_id, is_solution
from grader.notebook.rebuild import rebuild
from grader.notebook.submission import Ungradable, read_submission
from grader.sampleclass import release_notebook
from grader.sandbox.errors import StudentFailure
from grader.sandbox.process import StudentProcess


@dataclasses.dataclass
class Validation:
    """What a student needs to know before submitting."""

    ungradable: str = ""
    warnings: list[str] = dataclasses.field(default_factory=list)
    cells: list[dict] = dataclasses.field(default_factory=list)
    seconds: float = 0.0
    failure: str = ""

    @property
    def ok(self) -> bool:
        return not self.ungradable and not self.failure and all(c.get("ok") for c in self.cells)


def extra_code_cells(source, submission) -> list[int]:
    """Indices of the student's code cells that the grader ignores (not solution cells, not from the release)."""
    known = {c.source.strip() for c in source.cells if c.get("cell_type") == "code" and not is_solution(c)}
    solutions = {grade_id(c) for c in source.cells if is_solution(c)}
    return [i for i, c in enumerate(submission.cells)
            if c.get("cell_type") == "code" and grade_id(c) not in solutions and c.source.strip()
            and c.source.strip() not in known]


def validate(path: Path, assignment: Assignment, *, confined: bool) -> Validation:
    """Rebuild and run ``path`` against the released notebook; report cells, warnings and time."""
    report = Validation()
    source = release_notebook(assignment)
    try:
        submission = read_submission(path)
        program = rebuild(source, submission)
    except Ungradable as reason:
        report.ungradable = str(reason)
        return report
    for index in extra_code_cells(source, submission):
        report.warnings.append(f"code cell {index + 1} is not a solution cell: the grader ignores it "
                               "(move helper functions into a solution cell)")
    start = time.perf_counter()
    config = assignment.config
    with StudentProcess(program, config.forbidden_modules, config.limits, confined=confined,
                        allowed_layers=config.allowed_layers, files=assignment.release_files()) as process:
        try:
            process.start()
        except StudentFailure as failure:
            report.failure = str(failure)
        report.cells = process.cells
    report.seconds = time.perf_counter() - start
    return report
