"""The release gate: the solution scores full marks, the stub zero, every known-wrong variant loses points.

Every correct solution written differently (``grading/alternatives/``: loops or einsum,
Sequential or functional, ...) must score full marks *and* pass every visible test, so the
visible tests are never stricter than the hidden checks and no hidden check tests a
requirement the notebook does not state.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import tempfile
from pathlib import Path

from grader.assignment import Assignment
from grader.grade import GradingJob, grade
from grader.sampleclass import release_notebook, submission, write_submission

ALTERNATIVE = "alternative-"


@dataclasses.dataclass
class GateLine:
    """One submission the gate graded and whether it behaved as required."""

    student: str
    expected: str
    score: float
    max_score: float
    ok: bool
    problem: str = ""


def consistency_problems(assignment: Assignment) -> list[str]:
    """Checks' points must add up to each cell's points; variants must target existing checks."""
    problems = []
    for cell, points in assignment.grade_cells.items():
        total = sum(c.points for c in assignment.checks if c.cell == cell)
        if abs(total - points) > 1e-9:
            problems.append(f"cell {cell}: the notebook gives {points:g} points, its checks add up to {total:g}")
    names = {c.name for c in assignment.checks}
    for variant in assignment.variants():
        if not variant.targets:
            problems.append(f"variant {variant.name} names no '# targets:' checks")
        problems += [f"variant {variant.name} targets unknown check {t}" for t in variant.targets if t not in names]
    return problems


def _judge(student: str, result: dict, variant) -> GateLine:
    score, top = result["score"], result["max_score"]
    if student == "solution" or student.startswith(ALTERNATIVE):
        failing = [t.get("cell", "") for t in result.get("visible_tests", []) if not t.get("passed")]
        ok, expected = result["status"] == "graded" and score == top and not failing, "full marks, visible tests pass"
        if result["status"] == "graded" and score == top and failing:
            return GateLine(student, expected, score, top, False, "fails visible test(s) " + ", ".join(failing))
    elif student == "stub":
        ok, expected = result["status"] == "graded" and score == 0, "zero"
    else:
        failed = {c["name"] for c in result["checks"] if c["outcome"] != "passed"}
        missed = [t for t in variant.targets if t not in failed]
        ok, expected = score < top and not missed, "loses points on " + ", ".join(variant.targets)
        if missed:
            return GateLine(student, expected, score, top, False, "passed its target(s) " + ", ".join(missed))
    problem = "" if ok else (result["reason"] or "; ".join(
        f"{c['name']}: {c['outcome']} {c['message']}" for c in result["checks"] if c["outcome"] != "passed")[:300])
    return GateLine(student, expected, score, top, ok, problem)


def run_gate(assignment: Assignment, *, confined: bool = True,
             workers: int | None = None) -> tuple[list[str], list[GateLine]]:
    """Grade the solution, the stub and each variant; returns (consistency problems, one line each)."""
    problems = consistency_problems(assignment)
    variants = {f"variant-{v.name}": v for v in assignment.variants()}
    alternatives = {f"{ALTERNATIVE}{v.name}": v for v in assignment.alternatives()}
    notebooks = {"solution": submission(assignment, None), "stub": release_notebook(assignment),
                 **{student: submission(assignment, v) for student, v in {**variants, **alternatives}.items()}}
    with tempfile.TemporaryDirectory(prefix="grader-gate-") as course:
        jobs = {}
        for student, notebook in notebooks.items():
            path = write_submission(Path(course), student, assignment.name, notebook)
            jobs[student] = GradingJob(student, assignment.name, str(path), str(assignment.root.parent), confined)
        with concurrent.futures.ThreadPoolExecutor(workers or os.cpu_count()) as pool:
            done = dict(zip(jobs, pool.map(grade, jobs.values())))
    return problems, [_judge(student, done[student], variants.get(student)) for student in notebooks]
