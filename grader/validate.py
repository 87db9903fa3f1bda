"""For students: run a notebook as the grader would (same rebuild, same sandbox), visible tests only."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

from grader.assignment import Assignment
from grader.notebook.cells import grade_id, is_graded, is_solution
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
    # solution cells are graded; edited test cells are reported by test_cell_warnings
    skip = {grade_id(c) for c in source.cells if is_solution(c) or is_graded(c)} - {None}
    return [i for i, c in enumerate(submission.cells)
            if c.get("cell_type") == "code" and grade_id(c) not in skip and c.source.strip()
            and c.source.strip() not in known]


MAX_OUTPUT_BYTES = 5 << 20


def output_bytes(submission) -> int:
    """Bytes the stored outputs of the notebook's code cells take (images, printed text, tracebacks)."""
    return sum(len(json.dumps(cell.get("outputs", []), ensure_ascii=False).encode())
               for cell in submission.cells if cell.get("cell_type") == "code")


def test_cell_warnings(release, submission) -> list[str]:
    """Visible test cells of the release that the submission deleted, re-labelled or edited.

    The grader runs the released test cells whatever the notebook holds, so none of
    this changes the score; but the student's own run then tests something else
    than the grader does, and nbgrader's tools lose track of the cells.
    """
    tests = [c for c in release.cells if is_graded(c) and not is_solution(c) and c.get("cell_type") == "code"]
    by_id: dict[str, list] = {}
    for cell in submission.cells:
        if grade_id(cell):
            by_id.setdefault(grade_id(cell), []).append(cell)
    warnings = []
    for test in tests:
        key, code = grade_id(test), test.source.strip()
        mine = by_id.get(key, [])
        if not mine:
            twin = next((c for c in submission.cells
                         if c.get("cell_type") == "code" and c.source.strip() == code), None)
            if twin is not None:
                now = f"grade id {grade_id(twin)!r}" if grade_id(twin) else "no grade id"
                warnings.append(f"the test cell {key} has {now} now (its metadata was changed): the grader runs "
                                "the released cell anyway; restore it from the released notebook")
            else:
                warnings.append(f"the test cell {key} was deleted or replaced: the grader runs the released "
                                "cell anyway, so your results can differ from the grader's; restore it from the "
                                "released notebook")
        elif len(mine) > 1:
            warnings.append(f"the test cell {key} appears {len(mine)} times: keep one copy")
        elif mine[0].source.strip() != code:
            warnings.append(f"the test cell {key} was edited: the grader runs the released version, "
                            "so your results can differ from the grader's")
    return warnings


def notebook_warnings(release, submission) -> list[str]:
    """What makes a notebook fragile to grade, though it is gradable: test cells, output size."""
    warnings = test_cell_warnings(release, submission)
    size = output_bytes(submission)
    if size > MAX_OUTPUT_BYTES:
        warnings.append(f"the outputs take {size / 2**20:.1f} MiB (more than {MAX_OUTPUT_BYTES >> 20} MiB): "
                        "clear outputs before submitting (Kernel > Restart & Clear Output, then save)")
    return warnings


def validate(path: Path, assignment: Assignment, *, confined: bool) -> Validation:
    """Rebuild and run ``path`` against the released notebook; report cells, warnings and time."""
    report = Validation()
    source = release_notebook(assignment)
    try:
        submission = read_submission(path)
    except Ungradable as reason:
        report.ungradable = str(reason)
        return report
    report.warnings += notebook_warnings(source, submission)
    try:
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
