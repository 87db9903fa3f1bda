"""Grade one submission: the checker process's whole job, run on a Dask worker.

It reads the notebook defensively, rebuilds the program from the source
notebook, starts the student process in the sandbox, runs the hidden checks
and returns a result document. It never writes the gradebook: the orchestrator does.
"""

from __future__ import annotations

import dataclasses
import importlib
import threading
import time
from pathlib import Path

from grader.assignment import Assignment
from grader.checks.run import MAX_MESSAGE, NAME_ERROR, run_checks
from grader.i18n import SOURCE_LANGUAGE, Message, MessageError, _, as_message, choose_language
from grader.notebook.added import added_cells, cell_phrases
from grader.notebook.editions import edition_of
from grader.notebook.rebuild import rebuild
from grader.notebook.submission import Ungradable, read_submission_with_digest, sha256
from grader.results import new_result
from grader.sandbox import gpu
from grader.sandbox.errors import StudentFailure
from grader.sandbox.process import StudentProcess
from grader.sandbox.runner import prepare_gpu

# The runner's message for a visible test cell it interrupted (grader.sandbox.runner.CellTimeout), said in words here.
CELL_TIMEOUT = ("CellTimeout", "the visible test cell took too long and was interrupted")


@dataclasses.dataclass(frozen=True)
class GradingJob:
    """Everything a worker needs to grade one (student, assignment) pair: plain paths and names."""

    student: str
    assignment: str
    notebook: str
    assignments_root: str
    confined: bool = True
    workdir: str | None = None
    submitted_at: str | None = None
    problem: Message | str = ""
    gpu: bool = False  # scheduled with resources={"GPU": 1}: it must find the GPU, or it is an error
    language: str = SOURCE_LANGUAGE  # the course's language: for a notebook that does not name its edition


def _empty_cells(assignment: Assignment) -> dict:
    return {key: {"score": 0.0, "max_score": points} for key, points in assignment.grade_cells.items()}


def preload(modules: list[str]) -> threading.Thread:
    """Import ``modules`` in a background thread (a missing one is left for the checks to report)."""
    def load() -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except ImportError:
                pass

    thread = threading.Thread(target=load, name="checker-preload", daemon=True)
    thread.start()
    return thread


class GradingFailed(RuntimeError):
    """The harness failed on a job; a one-line message, with no deep traceback to carry across Dask."""


def grade(job: GradingJob) -> dict:
    """The result document of ``job``: graded, or ungradable with the reason.

    A failure of the harness itself becomes :class:`GradingFailed` with a short message: a
    traceback thousands of frames deep (a student can make one) could not even be sent back
    by a Dask worker, and the batch would wait for it forever.
    """
    try:
        return _grade(job)
    except Exception as error:
        raise GradingFailed(f"{type(error).__name__}: {str(error)[:300]}") from None


def _grade(job: GradingJob) -> dict:
    start = time.perf_counter()
    assignment = Assignment.find(job.assignment, Path(job.assignments_root))
    base = {"max_score": assignment.max_score, "cells": _empty_cells(assignment),
            "submitted_at": job.submitted_at, "sandbox": {"confined": job.confined}}
    path = Path(job.notebook)
    digest = ""
    base["language"] = choose_language(job.language)
    try:
        if job.problem:
            raise Ungradable(job.problem)
        notebook, digest = read_submission_with_digest(path)  # the hash of exactly the bytes graded
        base["language"] = edition_of(notebook, base["language"])
        source = assignment.edition(base["language"])  # the same program in every edition, its messages in this one
        program = rebuild(source, notebook)
        dropped = added_cells(source, notebook)  # code cells outside the solution cells: not run
    except Ungradable as reason:
        digest = digest or (sha256(path) if path.is_file() and not path.is_symlink() else "")
        return new_result(job.student, job.assignment, "ungradable", reason.message, notebook_sha256=digest,
                          timings={"total_s": round(time.perf_counter() - start, 3)}, **base)
    config = assignment.config
    preload(config.checker_preload)
    workdir = Path(job.workdir) if job.workdir else None
    with StudentProcess(program, config.forbidden_modules, config.limits, confined=job.confined,
                        workdir=workdir, allowed_layers=config.allowed_layers, max_model_params=config.max_model_params,
                        files=assignment.release_files(), gpu=config.needs_gpu, require_gpu=job.gpu) as process:
        if "keras" in config.checker_preload:  # the checks read student models: measure them in the evaluator
            process.prestart_model_gate()
        start_failure = None
        try:
            process.start()
        except StudentFailure as failure:
            start_failure = failure  # each check reports how the program failed
        except gpu.GpuMissing as missing:
            return _no_gpu(job, str(missing), base, start, digest)
        if config.needs_gpu:
            try:
                base["sandbox"]["gpu"] = _devices(job, process.gpu_report)
            except gpu.GpuMissing as missing:
                return _no_gpu(job, str(missing), base, start, digest)
        checks = run_checks(assignment.checks, process, config.seed, start_failure)
        if process.gpu_missing:  # a restart for a later check found the GPU gone
            return _no_gpu(job, process.gpu_missing, base, start, digest)
        visible = [_visible_outcome(c) for c in process.cells if c.get("kind") == "test"]
        student_seconds = process.student_seconds
    base["sandbox"].update(memory_cap=process.memory_cap_kind,
                           peak_memory_mb=round(process.peak_memory_bytes / 2**20, 1))
    for check in checks:
        base["cells"][check["cell"]]["score"] += check["score"]
    point_to_dropped_cells(checks, dropped)
    return new_result(
        job.student, job.assignment, "graded", notebook_sha256=digest, checks=checks,
        score=sum(c["score"] for c in checks), visible_tests=visible, not_graded_cells=dropped,
        timings={"total_s": round(time.perf_counter() - start, 3), "student_s": round(student_seconds, 3)},
        **base,
    )


def _devices(job: GradingJob, student: dict | None) -> dict:
    """Where this job's networks ran: the GPUs TensorFlow saw in the student process and in the checker.

    A job given a GPU whose checker finds none raises :class:`grader.sandbox.gpu.GpuMissing`.
    """
    checker = prepare_gpu()
    if job.gpu:
        gpu.require(checker, "the checker was given a GPU, but")
    return {"required": job.gpu, "student": (student or {}).get("gpus", []), "checker": checker["gpus"]}


def _no_gpu(job: GradingJob, reason: str, base: dict, start: float, digest: str) -> dict:
    """The ``error`` result of a job that was given a GPU and found none: it must be graded again on one."""
    base["sandbox"]["gpu"] = {"required": True, "student": [], "checker": []}
    return new_result(job.student, job.assignment, "error",
                      _("{problem}. Nothing was graded on the CPU instead; grade it again on a working GPU worker",
                        problem=reason),
                      notebook_sha256=digest, timings={"total_s": round(time.perf_counter() - start, 3)}, **base)


def point_to_dropped_cells(checks: list[dict], dropped: list[dict]) -> None:
    """Make each "raised NameError" message say that code outside the solution cells was not run.

    The name that is not defined is in the withheld message, but a helper or an import in a
    cell the grader dropped is the usual reason; the dropped cells come from the notebook's
    structure, not from anything the student's code chose, so they may be named.
    """
    if not dropped:
        return
    for check in checks:
        if check["cause"] == NAME_ERROR:
            message = _("{message}. A name it uses is not defined: code outside the solution cells is not graded, "
                        "and the grader dropped {cells}; move what {function} needs into a solution cell",
                        message=_check_message(check), cells=cell_phrases(dropped), function=check["function"])
            check.update(message=str(message)[:MAX_MESSAGE], message_i18n=message.to_json())


def _check_message(check: dict) -> Message:
    """The message of a check's outcome document (:func:`grader.checks.run.run_check`)."""
    try:
        return Message.from_json(check["message_i18n"])
    except (KeyError, MessageError):
        return as_message(check["message"])


def _visible_outcome(cell: dict) -> dict:
    """A visible test cell's outcome as the runner reported it (informational, never scored).

    Its message is the visible test's own, already in the notebook's language: only the runner's
    own words for a cell it interrupted are looked up.
    """
    outcome = {"cell": str(cell.get("id", "")), "passed": cell.get("ok") is True, "error": ""}
    if cell.get("ok"):
        return outcome
    error, said = str(cell.get("error", "")), str(cell.get("message", ""))
    if (error, said) == CELL_TIMEOUT:
        message = _("CellTimeout: the visible test cell took too long and was interrupted")
    else:
        message = _("{error}: {message}", error=error, message=said)
    return {**outcome, "error": str(message)[:300], "error_i18n": message.to_json()}
