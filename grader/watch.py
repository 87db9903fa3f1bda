"""grader watch: grade each ``nbgrader submit`` as it lands, and release its feedback into the exchange.

The exchange is the ledger. A submission is done when feedback for it is in the exchange
(nbgrader names that file by the submission's own secret, so ``nbgrader fetch_feedback``
brings it to that student only), or when a newer submission of the same student and
assignment is done: a newer submission replaces an older one still waiting. Everything else
is pending, and each cycle does, for the pending ones:

1. nbgrader's collect of the student's newest submission into ``submitted/`` (update semantics);
2. ``grader autograde`` of those students, on the watcher's Dask cluster (skips what already has
   a result for the same notebook bytes);
3. the students' feedback pages, then nbgrader's release_feedback of each into the exchange.

Every step is idempotent, so ``kill -9`` at any moment and a restart end with one grade per
student and one feedback page per graded submission, the grades a batch run gives. Students
are served in the order they first waited (one job per student at a time, in batches of at most
``batch_size``); file events on the inbound folder wake the loop at once, and a rescan every
``rescan_s`` catches anything an event missed.

Before the due date the course's ``[watch]`` policy decides what a page shows (every hidden
check, the visible tests and the score, or the score only) and how many detailed pages a
student gets an hour. A submission over that limit is graded, and its page shows the score and
says when the rest comes; at that time the full page replaces it (``policy.json`` remembers
which). After the due date every page shows everything, with the late policy applied. The
student's newest submission on time counts (``counts = "latest_on_time"``): a late one after it
is graded apart, in ``.grader-watch/late/`` with its own gradebook, and its page says it does
not count; a student with no submission on time is graded on the late one, with its penalty.

The watcher writes ``COURSE/.grader-watch/status.json`` after every cycle (``grader status``
reads it) and keeps its latencies, submission to released feedback.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import json
import os
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path

from grader import results
from grader.autograde import autograde
from grader.course import Course
from grader.exchange import Submission, open_exchange
from grader.feedback import Note, time_text, write_feedback
from grader.i18n import _, _n
from grader.report import write_report

STATUS_DIR = ".grader-watch"
STATUS_FILE = "status.json"
POLICY_FILE = "policy.json"
KEPT_LATENCIES = 2000
HOUR = datetime.timedelta(hours=1)


@dataclasses.dataclass
class WatchStatus:
    """What ``grader status`` shows: the queue, what is being graded, today's work and its latency."""

    started: str
    updated: str = ""
    queue: int = 0
    in_flight: int = 0
    graded_today: int = 0
    day: str = ""
    errors: list[str] = dataclasses.field(default_factory=list)
    latencies: list[float] = dataclasses.field(default_factory=list)

    def percentile(self, fraction: float) -> float | None:
        """The latency below which ``fraction`` of the recorded ones lie; None before the first."""
        if not self.latencies:
            return None
        if len(self.latencies) == 1:
            return self.latencies[0]
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[round(fraction * 100) - 1]


def status_path(course: Path) -> Path:
    """Where a running watcher keeps its status."""
    return course / STATUS_DIR / STATUS_FILE


def read_status(course: Path) -> WatchStatus | None:
    """The last status a watcher of ``course`` wrote, or None."""
    try:
        document = json.loads(status_path(course).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict):
        return None
    fields = {f.name for f in dataclasses.fields(WatchStatus)}
    try:
        return WatchStatus(**{k: v for k, v in document.items() if k in fields})
    except TypeError:
        return None


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def submitted_at(timestamp: str) -> datetime.datetime:
    """An nbgrader timestamp (``nbgrader submit``'s) as an aware UTC time."""
    from nbgrader.utils import parse_utc

    return parse_utc(timestamp).replace(tzinfo=datetime.timezone.utc)  # parse_utc gives naive UTC


def seconds_since(timestamp: str) -> float:
    """Seconds from an nbgrader timestamp to now."""
    return max(0.0, (_now() - submitted_at(timestamp)).total_seconds())


# The notes on students' pages: each a message in the page's language (its result's), with its time written
# that language's way (grader.feedback.Note).
def _last_detailed_note(after: datetime.datetime) -> Note:
    """The note of the hour's last detailed page: when the next detailed feedback comes."""
    return lambda language: _("This is your last detailed feedback for this hour: the next submission's detailed "
                              "feedback comes from {time} on.", time=time_text(after, language))


def _held_note(limit: int, until: str) -> Note:
    """The note of a page held back to the score: how many detailed pages an hour, and when this one comes."""
    return lambda language: _n("Graded. Before the due date you get detailed feedback for {count} submission(s) an "
                               "hour: the feedback for this submission comes at {time}, on this page.",
                               "Graded. Before the due date you get detailed feedback for {count} submission(s) an "
                               "hour: the feedback for this submission comes at {time}, on this page.",
                               limit, time=time_text(until, language))


def _late_apart_note(counting: str) -> Note:
    """The note of late work graded apart: it does not count, the on-time submission of ``counting`` does."""
    when = submitted_at(counting).replace(microsecond=0)
    return lambda language: _("This submission came after the due date, so it does not count: your submission of "
                              "{time}, on time, does (its grade is in the gradebook). This page is feedback only.",
                              time=time_text(when, language))


def _write_json(path: Path, document: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(document), encoding="utf-8")
    os.replace(temporary, path)


def is_late(course: Course, submission: Submission) -> bool | None:
    """Whether the submission came after its due date and the student's extension; None without a due date."""
    due = course.due_date(submission.assignment)
    if due is None:
        return None
    due += course.extension(submission.assignment, submission.student) or datetime.timedelta(0)
    return submitted_at(submission.timestamp) > due


@dataclasses.dataclass(frozen=True, order=True)
class Job:
    """Work for one student and assignment: grade ``newest``; ``first`` is when they began to wait.

    ``counting`` is set for a late submission whose student has an on-time one that counts (its
    timestamp): it is graded apart, for feedback only.
    """

    first: Submission
    newest: Submission
    counting: str = ""


def _who(job: Job) -> tuple[str, str, bool]:
    """A job's student, assignment and whether it is late work apart: at most one job each at a time."""
    return job.newest.student, job.newest.assignment, bool(job.counting)


@dataclasses.dataclass
class FeedbackPolicy:
    """The ``[watch]`` policy applied, with what it must remember: pages held back and recent detailed pages."""

    path: Path
    held: dict[str, str] = dataclasses.field(default_factory=dict)  # inbound folder -> when its full page is due
    detailed: dict[str, list[str]] = dataclasses.field(default_factory=dict)  # "student/NAME" -> release times

    @classmethod
    def load(cls, course: Path) -> "FeedbackPolicy":
        path = course / STATUS_DIR / POLICY_FILE
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            return cls(path, dict(document["held"]), {k: list(v) for k, v in document["detailed"].items()})
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return cls(path)

    def save(self) -> None:
        _write_json(self.path, {"held": self.held, "detailed": self.detailed})

    def due_now(self, folder: str) -> bool:
        """Whether the full page of a held submission may be released now."""
        return folder in self.held and datetime.datetime.fromisoformat(self.held[folder]) <= _now()

    def page(self, course: Course, submission: Submission) -> tuple[str, Note, str]:
        """(level, note, held until or "") of this submission's page, as of now."""
        if is_late(course, submission) is not False:  # late, or no due date: everything
            return "hidden", "", ""
        watch = course.config.watch
        limit, level = watch.hidden_feedback_per_hour, watch.feedback
        if not limit:
            return level, "", ""
        key = f"{submission.student}/{submission.assignment}"
        recent = sorted(t for t in self.detailed.get(key, []) if datetime.datetime.fromisoformat(t) > _now() - HOUR)
        self.detailed[key] = recent
        if len(recent) < limit - 1:
            return level, "", ""
        if len(recent) == limit - 1:  # this page takes the hour's last detailed slot: say when the next comes
            after = (datetime.datetime.fromisoformat(recent[0]) if recent else _now()) + HOUR
            return level, _last_detailed_note(after.replace(microsecond=0)), ""
        until = (datetime.datetime.fromisoformat(recent[-limit]) + HOUR).isoformat(timespec="seconds")
        return "score", _held_note(limit, until), until

    def released(self, submission: Submission, level: str, until: str) -> None:
        """Remember a page just released: held back until ``until``, or a detailed one."""
        if until:
            self.held[submission.folder] = until
            return
        self.held.pop(submission.folder, None)
        if level != "score":
            key = f"{submission.student}/{submission.assignment}"
            self.detailed.setdefault(key, []).append(_now().isoformat(timespec="seconds"))


class Watcher:
    """The service behind ``grader watch``: see the module docstring."""

    def __init__(self, course: Course, names: list[str], client_factory: Callable, *, confined: bool = True,
                 batch_size: int = 16, rescan_s: float = 5.0):
        self.course = course
        self.names = set(names)
        self.exchange = open_exchange(course.root)
        self.client_factory = client_factory
        self.confined = confined
        self.batch_size = batch_size
        self.rescan_s = rescan_s
        self.status = WatchStatus(started=results.now())
        self.policy = FeedbackPolicy.load(course.root)
        # Late work of students whose on-time submission counts: graded here, apart, for feedback only.
        config = course.config
        self.apart = Course(course.root / STATUS_DIR / "late", dataclasses.replace(
            config, assignments=str(course.assignments_dir.resolve()),
            roster=str(course.roster_path.resolve()) if course.roster_path else ""))
        self.stop = threading.Event()
        self.changed = threading.Event()  # the inbound folder changed since the round began
        self._lock = threading.RLock()  # status and the students being published: shared with the publisher
        self._publishing: set[tuple[str, str, bool]] = set()
        self._reported = 0.0  # time.monotonic() of the last class report
        self._refusals: set[str] = set()

    # -- the ledger -----------------------------------------------------------------------

    def pending(self) -> list[Job]:
        """The work to do, one job per student and assignment (two with a late one apart), in waiting order."""
        groups: dict[tuple[str, str], list[Submission]] = {}
        for submission in self.exchange.submissions(self.names):
            groups.setdefault((submission.student, submission.assignment), []).append(submission)
        queue = []
        for submissions in groups.values():
            on_time = [s for s in submissions if is_late(self.course, s) is False]
            if self.course.config.watch.counts == "latest_on_time" and on_time:
                late = [s for s in submissions if s not in on_time]
                queue += self._jobs(on_time) + self._jobs(late, counting=on_time[-1].timestamp)
            else:
                queue += self._jobs(submissions)
        return sorted(queue)

    def _jobs(self, submissions: list[Submission], counting: str = "") -> list[Job]:
        """The job of one line of submissions (oldest first): its newest not yet done, or a held page now due."""
        waiting, done = [], None
        for submission in submissions:
            secret = self.exchange.secret(submission)
            if secret is None or self._refused(submission):
                continue  # nbgrader submit is still writing it, or it is no submission at all
            if self.exchange.feedback_released(submission, secret):
                waiting, done = [], submission  # done, and everything older is superseded
            else:
                waiting.append(submission)
        if waiting:
            return [Job(waiting[0], waiting[-1], counting)]
        if done is not None and self.policy.due_now(done.folder):
            return [Job(done, done, counting)]  # its held-back page is due
        return []

    def _refused(self, submission: Submission) -> bool:
        """Whether a submission is refused (in another's name); said once in the status."""
        if not self.course.config.watch.check_owner:
            return False
        problem = self.exchange.owner_problem(submission)
        if problem and submission.folder not in self._refusals:
            self._refusals.add(submission.folder)
            self._error(f"{submission.folder}: not graded: {problem}")
        return bool(problem)

    def _error(self, line: str) -> None:
        """Keep one line for ``grader status``: printable (names come from students), at most 300 characters."""
        shown = "".join(c if c.isprintable() else "\ufffd" for c in line[:300])
        with self._lock:
            self.status.errors = (self.status.errors + [shown])[-50:]

    # -- one cycle ------------------------------------------------------------------------

    def cycle(self) -> int:
        """Grade one round of pending submissions and release their pages; returns how many were waiting."""
        rounds, waiting = self.grade_round()
        self.publish(rounds)
        return waiting

    def grade_round(self) -> tuple[list[tuple[Course, str, list[Job]]], int]:
        """Collect and grade one round; returns its (course, assignment, jobs) groups and how many were waiting.

        Students whose previous round is still being published wait for the next round, so a
        student never has two jobs at once and a page always matches its submission.
        """
        with self._lock:
            busy = set(self._publishing)
        queue = [job for job in self.pending() if _who(job) not in busy]
        # A long queue is taken in larger rounds: each round ends by waiting for its slowest job.
        batch = queue[:max(self.batch_size, min(len(queue) // 2, 4 * self.batch_size))]
        with self._lock:
            self._publishing |= {_who(job) for job in batch}
            self.status.queue, self.status.in_flight = len(queue) - len(batch), len(batch)
        self.write_status()
        rounds = []
        for name in sorted({job.newest.assignment for job in batch}):
            jobs = [job for job in batch if job.newest.assignment == name]
            for course, chosen in ((self.course, [j for j in jobs if not j.counting]),
                                   (self.apart, [j for j in jobs if j.counting])):
                rounds.append((course, name, self._collect_and_grade(course, name, chosen)))
        with self._lock:  # the ones that could not be collected are free again
            self._publishing -= {_who(job) for job in batch} - {_who(job) for _, _, jobs in rounds for job in jobs}
        return rounds, len(queue)

    def publish(self, rounds: list[tuple[Course, str, list[Job]]]) -> None:
        """Write and release the pages of a graded round; its students may then be graded again."""
        try:
            for course, name, jobs in rounds:
                if jobs:
                    self._release(course, name, jobs)
        finally:
            with self._lock:
                self._publishing -= {_who(job) for _, _, jobs in rounds for job in jobs}
                self.status.in_flight = len(self._publishing)
            self.write_status()
            self._refresh_reports()

    def _refresh_reports(self) -> None:
        """Rewrite ``report/NAME.html`` of every watched assignment every ``[watch] report_every_s`` seconds."""
        every = self.course.config.watch.report_every_s
        if not every or time.monotonic() - self._reported < every:
            return
        self._reported = time.monotonic()
        for name in sorted(self.names):
            if (self.course.root / "autograded").is_dir():
                self._attempt(f"{name}: report", write_report, self.course, name,
                              self.course.root / "report" / f"{name}.html")

    def _collect_and_grade(self, course: Course, name: str, jobs: list[Job]) -> list[Job]:
        """Collect ``jobs`` into ``course`` (the course, or late work apart) and grade them; returns those collected."""
        collected = []
        for job in jobs:
            try:
                left_out = self.exchange.collect(job.newest, course.root)
            except Exception as error:  # a folder swapped for a link, a full disk: this student only
                self._error(f"{job.newest.student}/{name}: collect: {error}")
                continue
            collected.append(job)
            for line in left_out:
                self._error(f"{job.newest.student}/{name}: not collected: {line}")
        if collected:
            summary = autograde(course, course.assignment(name), client_factory=self.client_factory,
                                confined=self.confined, progress=False,
                                students=sorted({job.newest.student for job in collected}))
            for error in summary.errors:
                self._error(f"{name}: {error}")
        return collected

    def _release(self, course: Course, name: str, jobs: list[Job]) -> None:
        """Write the pages of graded ``jobs`` as the policy says, and release each into the exchange."""
        pages = {job.newest.student: self._page(job) for job in jobs}
        _, problems = write_feedback(course, name, students=set(pages),
                                     pages={student: (level, note) for student, (level, note, _) in pages.items()})
        for problem in problems:
            self._error(f"{name}: feedback: {problem}")
        for job in jobs:
            submission, (level, _, until) = job.newest, pages[job.newest.student]
            again = submission.folder in self.policy.held  # a held page replaced: counted when first released
            if until:  # remembered before the page goes out, so a kill -9 cannot lose the full page
                self.policy.released(submission, level, until)
                self.policy.save()
            if self._attempt(f"{submission.student}/{name}: release", self.exchange.release_feedback, name,
                             submission.student, course.root):
                if not again:
                    self._count(submission)
                self.policy.released(submission, level, until)
        self.policy.save()

    def _page(self, job: Job) -> tuple[str, Note, str]:
        if not job.counting:
            return self.policy.page(self.course, job.newest)
        return "hidden", _late_apart_note(job.counting), ""

    def _attempt(self, what: str, step: Callable, *args) -> bool:
        try:
            step(*args)
        except Exception as error:  # one student's broken submission never stops the service
            self._error(f"{what}: {error}")
            return False
        return True

    def _count(self, submission: Submission) -> None:
        """Count a released page in today's figures and its latency, submission to page."""
        today = _now().date().isoformat()
        latency = round(seconds_since(submission.timestamp), 3)
        with self._lock:
            if self.status.day != today:
                self.status.day, self.status.graded_today = today, 0
            self.status.graded_today += 1
            self.status.latencies = (self.status.latencies + [latency])[-KEPT_LATENCIES:]

    def write_status(self) -> None:
        """Write the status file atomically (``grader status`` may read it at any moment)."""
        with self._lock:
            self.status.updated = results.now()
            document = dataclasses.asdict(self.status)
        _write_json(status_path(self.course.root), document)

    # -- the service ----------------------------------------------------------------------

    def run(self, *, once: bool = False) -> None:
        """Grade until stopped (``once``: until nothing is pending), on one Dask cluster kept for the run.

        Rounds overlap: while one round's pages are written and released (a thread), the next
        round is collected and graded, so the workers do not wait for the pages.
        """
        with self.client_factory() as client:
            self.client_factory = lambda: contextlib.nullcontext(client)
            threading.Thread(target=self._listen, name="inbound-events", daemon=True).start()
            publisher: threading.Thread | None = None
            try:
                while not self.stop.is_set():
                    self.changed.clear()  # an event from now on, even during the round, means look again
                    try:
                        rounds, waiting = self.grade_round()
                    except Exception as error:  # the service outlives a broken round; the next one retries it
                        self._error(f"round failed: {type(error).__name__}: {error}")
                        self.write_status()
                        if once:
                            raise
                        self.stop.wait(self.rescan_s)
                        continue
                    if publisher is not None:
                        publisher.join()
                    publisher = threading.Thread(target=self._publish_quietly, args=(rounds,), name="publisher")
                    publisher.start()
                    taken = sum(len(jobs) for _, _, jobs in rounds)
                    if once and waiting == 0:
                        publisher.join()
                        if not self.pending():
                            return
                        continue
                    if waiting <= taken:  # all of it was in this round: wait for an event or the rescan
                        self.changed.wait(self.rescan_s)
            finally:
                if publisher is not None:
                    publisher.join()

    def _publish_quietly(self, rounds) -> None:
        """:meth:`publish` in the publisher thread; then wake the loop for students who waited on it."""
        try:
            self.publish(rounds)
        except Exception as error:  # the pages are written again by the next round that sees them missing
            self._error(f"publishing failed: {type(error).__name__}: {error}")
        if any(jobs for _, _, jobs in rounds):
            self.changed.set()

    def shutdown(self) -> None:
        """Stop after the round in progress (the SIGTERM of ``systemctl stop``)."""
        self.stop.set()
        self.changed.set()

    def _listen(self) -> None:
        """Set :attr:`changed` on every change in the inbound folder (one watch, kept across rounds)."""
        import watchfiles

        while not self.stop.is_set():
            if not self.exchange.inbound.is_dir():  # nothing released yet: look again later
                self.stop.wait(self.rescan_s)
                continue
            try:
                for _ in watchfiles.watch(self.exchange.inbound, stop_event=self.stop, debounce=50, step=20,
                                          raise_interrupt=False):
                    self.changed.set()
            except Exception as error:  # the folder went away, too many watches: the rescan still runs
                self._error(f"file events: {type(error).__name__}: {error}")
                self.stop.wait(self.rescan_s)
