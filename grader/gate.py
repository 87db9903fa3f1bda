"""The release gate: the solution scores full marks, the stub zero, every known-wrong variant loses points.

Every edition is gated (:mod:`grader.notebook.editions`). One edition's notebooks are graded; each
other edition's notebooks are rebuilt too, and when every one of them is the same program as its
counterpart (only the visible messages differ: :func:`grader.notebook.editions.same_program`) they
share its results, so a second language costs no second training run. ``all_editions`` grades each
edition in full instead, and a submission whose program differs is always graded.

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
from grader.errors import UserError
from grader.grade import GradingJob, grade
from grader.notebook.editions import same_program
from grader.notebook.rebuild import rebuild
from grader.sampleclass import release_notebook, submission, write_submission

ALTERNATIVE = "alternative-"


@dataclasses.dataclass
class GateLine:
    """One submission the gate graded and whether it behaved as required."""

    student: str
    edition: str
    expected: str
    score: float
    max_score: float
    ok: bool
    problem: str = ""
    shared_from: str = ""  # the edition whose result this line shares (the same program), or "" when graded
    outcomes: dict = dataclasses.field(default_factory=dict)  # check name -> its outcome


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


def _judge(student: str, result: dict, variant, edition: str = "") -> GateLine:
    score, top = result["score"], result["max_score"]
    line = _verdict(student, result, variant, score, top)
    line.edition, line.outcomes = edition, {c["name"]: c["outcome"] for c in result["checks"]}
    return line


def _verdict(student: str, result: dict, variant, score: float, top: float) -> GateLine:
    if student == "solution" or student.startswith(ALTERNATIVE):
        failing = [t.get("cell", "") for t in result.get("visible_tests", []) if not t.get("passed")]
        ok, expected = result["status"] == "graded" and score == top and not failing, "full marks, visible tests pass"
        if result["status"] == "graded" and score == top and failing:
            return GateLine(student, "", expected, score, top, False, "fails visible test(s) " + ", ".join(failing))
    elif student == "stub":
        ok, expected = result["status"] == "graded" and score == 0, "zero"
    else:
        failed = {c["name"] for c in result["checks"] if c["outcome"] != "passed"}
        missed = [t for t in variant.targets if t not in failed]
        ok, expected = score < top and not missed, "loses points on " + ", ".join(variant.targets)
        if missed:
            return GateLine(student, "", expected, score, top, False, "passed its target(s) " + ", ".join(missed))
    problem = "" if ok else (result["reason"] or "; ".join(
        f"{c['name']}: {c['outcome']} {c['message']}" for c in result["checks"] if c["outcome"] != "passed")[:300])
    return GateLine(student, "", expected, score, top, ok, problem)


def run_gate(assignment: Assignment, *, confined: bool = True, workers: int | None = None,
             graded_edition: str | None = None, all_editions: bool = False) -> tuple[list[str], list[GateLine]]:
    """Grade the solution, the stub and each variant in every edition; returns (consistency problems, one
    line per edition and submission).

    ``graded_edition`` (default: the first of the assignment's languages) is graded in full; the others
    share its results where their programs are the same (see the module docstring).
    """
    problems = consistency_problems(assignment)
    variants = {f"variant-{v.name}": v for v in assignment.variants()}
    alternatives = {f"{ALTERNATIVE}{v.name}": v for v in assignment.alternatives()}
    first = graded_edition or assignment.languages[0]
    if first not in assignment.languages:
        raise UserError(f"{assignment.name} has no {first} edition (its editions: {', '.join(assignment.languages)})")
    editions = [first] + [language for language in assignment.languages if language != first]
    notebooks = {(language, student): notebook for language in editions
                 for student, notebook in _notebooks(assignment, language, variants, alternatives).items()}
    graded = {(language, student) for language, student in notebooks
              if all_editions or language == first or not same_program(
                  _program(assignment, language, student, notebooks), _program(assignment, first, student, notebooks))}
    with tempfile.TemporaryDirectory(prefix="grader-gate-") as course:
        jobs = {}
        for language, student in graded:
            folder = Path(course) / language
            path = write_submission(folder, student, assignment.name, notebooks[language, student])
            jobs[language, student] = GradingJob(student, assignment.name, str(path), str(assignment.root.parent),
                                                 confined)
        with concurrent.futures.ThreadPoolExecutor(workers or os.cpu_count()) as pool:
            done = dict(zip(jobs, pool.map(grade, jobs.values())))
    lines = []
    for language, student in notebooks:
        line = _judge(student, done.get((language, student)) or done[first, student], variants.get(student), language)
        line.shared_from = "" if (language, student) in done else first
        lines.append(line)
    return problems, lines


def _notebooks(assignment: Assignment, language: str, variants: dict, alternatives: dict) -> dict:
    """student -> the notebook of the ``language`` edition: the solution, the stub, each variant and alternative."""
    return {"solution": submission(assignment, None, language), "stub": release_notebook(assignment, language),
            **{student: submission(assignment, v, language) for student, v in {**variants, **alternatives}.items()}}


def _program(assignment: Assignment, language: str, student: str, notebooks: dict) -> list[dict]:
    """What the grader would run for one gate notebook (its edition's cells around its solution cells)."""
    return rebuild(assignment.edition(language), notebooks[language, student])
