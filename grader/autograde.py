"""The orchestrator: find submissions, schedule grading jobs on Dask, store results and grades.

It never runs student code: workers run :func:`grader.grade.grade`, which starts
the sandbox. What comes back is validated JSON, written atomically under
``autograded/STUDENT/NAME/result.json`` and then recorded in the gradebook.
Re-running skips notebooks whose hash already has a result, so a batch killed
at any point and re-run ends with the same grades.

Durability: the result files are the ledger and gradebook writes are idempotent, so
only this process writes the gradebook and a re-run re-syncs it from the files. A lost
worker's tasks are re-run elsewhere by Dask; a job that still ends in ``KilledWorker``
(its workers died more often than ``distributed.scheduler.allowed-failures``) is
submitted once more before it is recorded as ``error``.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path
from typing import Callable, Iterator

from tqdm import tqdm

from grader import gradebook, paths, regrade, results
from grader.assignment import Assignment
from grader.collect import RECORD_FILE
from grader.course import Course, as_course
from grader.errors import UserError
from grader.grade import GradingJob, grade
from grader.i18n import SOURCE_LANGUAGE, Message, _
from grader.notebook import annotate
from grader.notebook.submission import sha256
from grader.timestamps import SECRET_FILE, TIMESTAMP_FILE, parse_timestamp, read_timestamp, timestamp_text


@dataclasses.dataclass
class BatchSummary:
    """What a batch did, small enough to keep for any class size."""

    graded: int = 0
    ungradable: int = 0
    errors: list[str] = dataclasses.field(default_factory=list)
    skipped: int = 0
    rows: list[tuple[str, str, float, float, str]] = dataclasses.field(default_factory=list)
    warnings: list[str] = dataclasses.field(default_factory=list)
    to_grade: int = 0
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def find_jobs(course: Path, assignment: Assignment, *, confined: bool, students: list[str] | None = None,
              language: str = SOURCE_LANGUAGE) -> Iterator[tuple[GradingJob, list[str]]]:
    """One job per student folder under ``submitted/`` (of ``students``, when given), with warnings for the TA.

    ``language`` is the course's: the feedback language of a notebook that does not name its edition.

    Odd folders become ungradable jobs. The submission time comes from nbgrader's ``timestamp.txt``; an unusable one is
    left out and becomes a warning (:func:`grader.timestamps.read_timestamp`).
    """
    submitted = course / "submitted"
    if not submitted.is_dir():
        return
    folders = submitted.iterdir() if students is None else (
        submitted / s for s in set(students) if "/" not in s and s not in (".", ".."))
    for student_dir in sorted(p for p in folders if p.is_dir()):
        folder = student_dir / assignment.name
        if not folder.is_dir():
            continue
        notebook = paths.submitted_notebook(course, student_dir.name, assignment.name)
        submitted_at, warning = read_timestamp(folder)
        yield GradingJob(student=student_dir.name, assignment=assignment.name, notebook=str(notebook),
                         assignments_root=str(assignment.root.parent), confined=confined,
                         submitted_at=timestamp_text(submitted_at) if submitted_at else None,
                         problem=_folder_problem(folder, notebook), language=language), [warning] if warning else []


def _folder_problem(folder: Path, notebook: Path) -> Message | str:
    """Why a submission folder cannot be graded as it is (the student reads it), or ``""``."""
    others = sorted(p.name for p in folder.glob("*.ipynb") if p != notebook)
    if notebook.is_symlink():
        return _("{notebook} is a symbolic link, not a notebook file", notebook=notebook.name)
    if not notebook.is_file():
        handed_in = others or sorted(p.name for p in folder.iterdir() if p.name not in BOOKKEEPING)[:5]
        if handed_in:  # file names, listed as they are
            return _("no {notebook} in the submission (found {files}): submit the notebook under its released name",
                     notebook=notebook.name, files=", ".join(handed_in))
        return _("no {notebook} in the submission: submit the notebook under its released name",
                 notebook=notebook.name)
    if others:
        return _("the submission holds several notebooks ({notebooks}): submit only {notebook}",
                 notebooks=", ".join([notebook.name, *others]), notebook=notebook.name)
    return ""


BOOKKEEPING = (TIMESTAMP_FILE, RECORD_FILE, SECRET_FILE)


def _is_current(course: Path, job: GradingJob) -> bool:
    stored = results.read(paths.autograded_dir(course, job.student, job.assignment) / results.RESULT_FILE)
    if stored is None or stored["status"] == "error":
        return False
    path = Path(job.notebook)
    digest = sha256(path) if path.is_file() and not path.is_symlink() else ""
    return stored.get("notebook_sha256") == digest and bool(digest)


def store(course: Path, result: dict, job: GradingJob) -> None:
    """Write the result atomically, then the TA's copy of the notebook beside it (nbgrader's layout).

    The copy is annotated with the grading result for formgrader (:mod:`grader.notebook.annotate`);
    a notebook that cannot be copied never stops the batch: the result is already stored.
    """
    folder = paths.autograded_dir(course, job.student, job.assignment)
    results.write_atomic(folder / results.RESULT_FILE, result)
    notebook = Path(job.notebook)
    annotate.write_copy(notebook, folder / notebook.name, result)


def _error_result(job: GradingJob, assignment: Assignment, reason: str) -> dict:
    return results.new_result(job.student, job.assignment, "error", reason, max_score=assignment.max_score)


def autograde(course: Path | Course, assignment: Assignment, *, client_factory: Callable, force: bool = False,
              confined: bool = True, db_url: str | None = None, progress: bool = True,
              students: list[str] | None = None) -> BatchSummary:
    """Grade every submission of ``assignment`` in ``course`` (only ``students``, when given); see the module docstring.

    Each result records how late its submission was by the course config (``seconds_late``);
    at the end the config's due date, extensions, late penalties and roster are written
    into the gradebook. Ctrl-C stops the batch between results: the summary says
    ``interrupted`` and what was graded.
    """
    settings = as_course(course)
    course = settings.root.resolve()
    db_url = db_url or gradebook.course_db_url(course)
    summary = BatchSummary()
    found = dict(find_jobs(course, assignment, confined=confined, students=students,
                           language=settings.config.language))
    jobs = _chosen(list(found), students)
    if force:
        regrade.promise(course, assignment.name, {job.student for job in jobs})
    promised = regrade.pending(course, assignment.name)
    todo = {job: found[job] for job in jobs if job.student in promised or not _is_current(course, job)}
    summary.skipped, summary.to_grade = len(jobs) - len(todo), len(todo)
    if summary.skipped:
        print(f"resuming: {summary.skipped} of {len(jobs)} already graded", file=sys.stderr)
    with gradebook.GradebookWriter(db_url, assignment) as book:
        _sync_gradebook(course, book, [j for j in jobs if j not in todo])
        if todo:
            try:
                _run(course, settings, assignment, book, todo, client_factory, summary, progress)
            except KeyboardInterrupt:
                summary.interrupted = True
        book.apply_course(settings, None if students is None else {job.student for job in jobs})
    return summary


def _chosen(jobs: list[GradingJob], students: list[str] | None) -> list[GradingJob]:
    """The jobs of ``students`` (all when None); a student without a submission folder is an error."""
    if students is None:
        return jobs
    unknown = sorted(set(students) - {job.student for job in jobs})
    if unknown:
        raise UserError(f"no submission folder in submitted/ for: {', '.join(unknown)}")
    return [job for job in jobs if job.student in students]


def _run(course, settings, assignment, book, todo, client_factory, summary, progress) -> None:
    """Submit the jobs (``todo``: job -> its warnings) to Dask and finish each as it completes."""
    from distributed import KilledWorker, as_completed

    with client_factory() as client:
        resources = _resources(assignment, client)

        def submit(job: GradingJob):  # a job sent to a GPU worker must find its GPU (GradingJob.gpu)
            return client.submit(grade, dataclasses.replace(job, gpu=resources is not None),
                                 key=f"grade-{job.assignment}-{job.student}-{os.urandom(4).hex()}",
                                 pure=False, retries=1, resources=resources)

        futures = {submit(job): job for job in todo}
        resubmitted: set[GradingJob] = set()
        completed = as_completed(list(futures))
        with tqdm(total=len(todo), desc=f"grading {assignment.name}", unit="nb", disable=not progress) as bar:
            for future in completed:
                job = futures.pop(future)
                if (future.status == "error" and isinstance(future.exception(), KilledWorker)
                        and job not in resubmitted):  # Dask gave up after its allowed failures: once more
                    resubmitted.add(job)
                    again = submit(job)
                    futures[again] = job
                    completed.add(again)
                    continue
                _finish(course, settings, assignment, book, job, future, summary, todo[job])
                bar.update()


def _resources(assignment: Assignment, client) -> dict | None:
    if not assignment.config.needs_gpu:
        return None
    workers = client.scheduler_info().get("workers", {}).values()
    return {"GPU": 1} if any(w.get("resources", {}).get("GPU") for w in workers) else None


def _finish(course, settings, assignment, book, job, future, summary: BatchSummary, warnings: list[str]) -> None:
    try:
        result = results.validate(results.clean(future.result()))
    except Exception as error:  # the harness failed even after the retry: loud, never silent
        result = _error_result(job, assignment, f"{type(error).__name__}: {error}")
    result = results.clean({**result, "warnings": [*result.get("warnings", []), *warnings],
                            **lateness(settings, job)})
    student = result["student"]  # cleaned: printable and storable whatever the folder is called
    summary.warnings += [f"{student}: {warning}" for warning in warnings]
    store(course, result, job)
    regrade.fulfilled(course, assignment.name, job.student)
    if result["status"] == "error":
        summary.errors.append(f"{student}: {result['reason']}")
    elif not _recorded(book, result, summary):
        return
    else:
        summary.graded += result["status"] == "graded"
        summary.ungradable += result["status"] == "ungradable"
    summary.rows.append((student, result["status"], result["score"], result["max_score"], result["reason"]))


def lateness(course: Course, job: GradingJob) -> dict:
    """``late`` and ``seconds_late`` of a job's submission by the course's due date and extensions."""
    submitted_at = parse_timestamp(job.submitted_at) if job.submitted_at else None
    seconds = course.seconds_late(job.assignment, job.student, submitted_at)
    return {"late": seconds > 0, "seconds_late": seconds}


def _recorded(book, result: dict, summary: BatchSummary) -> bool:
    """Record ``result`` in the gradebook; a failure is this student's error (result.json stays), not the batch's."""
    try:
        book.record(result)
    except Exception as error:  # a database error, or a result the gradebook cannot take
        reason = f"the gradebook could not record the result: {type(error).__name__}: {error}"[:300]
        summary.errors.append(f"{result['student']}: {reason}")
        summary.rows.append((result["student"], "error", result["score"], result["max_score"], reason))
        return False
    return True


def _sync_gradebook(course: Path, book, jobs: list[GradingJob]) -> None:
    """Re-record results a previous batch stored (it may have died before the gradebook write)."""
    stored = [results.read(paths.autograded_dir(course, job.student, job.assignment) / results.RESULT_FILE)
              for job in jobs]
    book.record_many([result for result in stored if result is not None])
