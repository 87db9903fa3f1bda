"""grader watch end to end: nbgrader's own student commands, a temporary exchange, the watcher as a subprocess.

Students, each with their own HOME (so their own nbgrader cache), run ``nbgrader
fetch_assignment``, ``nbgrader submit`` and ``nbgrader fetch_feedback`` against an exchange
configured as a course would configure it; ``grader watch`` runs beside them as its own
process. Each student gets feedback for their own submission, and never another's; a
resubmission gets its own page; ``kill -9`` of the watcher mid-burst and a restart end with
one feedback page per graded submission and the gradebook a batch run gives.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

import grader.watch
from grader import paths, results
from grader.assignment import Assignment
from grader.gradebook import course_db_url, scores
from grader.sampleclass import release_notebook, submission
from tests.test_exchange_feedback import COURSE_ID, REPO, environment, nbgrader, write_config

CONV2D = Assignment.find("conv2d")
WAIT_S = 240  # a busy machine grades slowly; every wait below is bounded


class Course:
    """A course directory, an exchange, and conv2d released into it by the instructor."""

    def __init__(self, root: Path):
        self.root, self.course, self.exchange = root, root / "C", root / "exchange"
        self.instructor = root / "instructor-home"
        self.exchange.mkdir()
        self.instructor.mkdir()
        write_config(self.course, self.exchange, self.course)
        shutil.copytree(CONV2D.release_path().parent, self.course / "release" / "conv2d")
        nbgrader(self.course, self.instructor, "release_assignment", "conv2d")
        self.watchers: list[subprocess.Popen] = []

    def home(self, student: str) -> Path:
        return self.root / f"home-{student}"

    def work(self, student: str) -> Path:
        return self.home(student) / "work"

    def fetch(self, student: str) -> None:
        write_config(self.work(student), self.exchange)
        nbgrader(self.work(student), self.home(student), "fetch_assignment", "conv2d")

    def submit(self, student: str, notebook) -> None:
        if not (self.work(student) / "conv2d").is_dir():
            self.fetch(student)
        nbformat.write(notebook, self.work(student) / "conv2d" / "conv2d.ipynb")
        nbgrader(self.work(student), self.home(student), "submit", "conv2d", "--student", student)

    def fetch_feedback(self, student: str) -> list[str]:
        """The texts of every feedback page the student has fetched so far, oldest submission first."""
        nbgrader(self.work(student), self.home(student), "fetch_feedback", "conv2d")
        pages = sorted((self.work(student) / "conv2d" / "feedback").glob("*/conv2d.html"))
        return [page.read_text() for page in pages]

    def watch(self, *extra: str) -> subprocess.Popen:
        log = open(self.root / f"watch-{len(self.watchers)}.log", "w")
        process = subprocess.Popen([sys.executable, "-m", "grader", "watch", "conv2d", "--course", str(self.course),
                                    "--workers", "2", "--rescan", "2", *extra], cwd=REPO,
                                   env=environment(self.instructor), stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self.watchers.append(process)
        return process

    def stop(self) -> None:
        for process in self.watchers:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)

    def released(self) -> int:
        return len(list((self.exchange / COURSE_ID / "feedback").glob("*.html")))

    def wait_for_released(self, count: int) -> None:
        deadline = time.monotonic() + WAIT_S
        while self.released() < count:
            if time.monotonic() > deadline or any(p.poll() not in (None, -signal.SIGKILL) for p in self.watchers):
                logs = "\n".join(p.read_text()[-3000:] for p in sorted(self.root.glob("watch-*.log")))
                pytest.fail(f"{self.released()} of {count} feedback pages released:\n{logs}")
            time.sleep(0.5)


@pytest.fixture
def course(tmp_path):
    course = Course(tmp_path)
    try:
        yield course
    finally:
        course.stop()


def score_on(page: str) -> str:
    return page.split('<p class="score">', 1)[1].split("</p>", 1)[0]


def test_each_student_gets_feedback_for_their_own_submission_and_never_another(course):
    course.watch()
    handed_in = {"alice": submission(CONV2D, None), "bob": release_notebook(CONV2D),
                 "chen": submission(CONV2D, CONV2D.variants()[0])}
    for student, notebook in handed_in.items():
        course.submit(student, notebook)
    course.wait_for_released(3)
    for student in handed_in:
        [page] = course.fetch_feedback(student)
        assert f"feedback for {student}<" in page
        assert not any(f"feedback for {other}<" in page for other in handed_in if other != student)
    assert score_on(course.fetch_feedback("alice")[0]) == "10 / 10"
    assert score_on(course.fetch_feedback("bob")[0]) == "0 / 10"

    course.submit("bob", submission(CONV2D, None))  # bob resubmits: a page of its own
    course.wait_for_released(4)
    pages = course.fetch_feedback("bob")
    assert [score_on(p) for p in pages] == ["0 / 10", "10 / 10"]
    assert scores(course_db_url(course.course), "conv2d")["bob"]["score"] == CONV2D.max_score


def test_kill_9_mid_burst_then_a_restart_grades_every_submission_once(course):
    students = [f"s{i:02d}" for i in range(8)]
    for index, student in enumerate(students):
        course.submit(student, submission(CONV2D, None) if index % 2 else release_notebook(CONV2D))
    first = course.watch("--batch", "2")
    deadline = time.monotonic() + WAIT_S
    while course.released() < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(first.pid, signal.SIGKILL)  # mid-burst: some released, some graded, some not started
    first.wait(timeout=30)
    assert 0 < course.released() < len(students)
    course.watch("--once")
    course.watchers[-1].wait(timeout=WAIT_S)
    assert course.released() == len(students), "one page per submission, none twice"
    for student in students:
        assert len(course.fetch_feedback(student)) == 1
    book = scores(course_db_url(course.course), "conv2d")
    watched = {s: book[s]["score"] for s in students}
    assert watched == {s: (CONV2D.max_score if i % 2 else 0.0) for i, s in enumerate(students)}

    batch = course.root / "batch"  # the same notebooks graded by one batch run
    shutil.copytree(course.course / "submitted", batch / "submitted")
    done = subprocess.run([sys.executable, "-m", "grader", "autograde", "conv2d", "--course", str(batch),
                           "--workers", "2", "--quiet"], cwd=REPO, env=environment(course.instructor),
                          capture_output=True, text=True, timeout=WAIT_S)
    assert done.returncode == 0, done.stderr
    assert {s: v["score"] for s, v in scores(course_db_url(batch), "conv2d").items()} == watched
    for student in students:
        result = results.read(paths.autograded_dir(course.course, student, "conv2d") / results.RESULT_FILE)
        assert result["status"] == "graded"


def test_status_shows_what_the_watcher_did(course):
    course.submit("alice", submission(CONV2D, None))
    watcher = course.watch("--once")
    watcher.wait(timeout=WAIT_S)
    done = subprocess.run([sys.executable, "-m", "grader", "status", "--course", str(course.course)], cwd=REPO,
                          env=environment(course.instructor), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "queue 0, in flight 0, graded today 1" in done.stdout
    assert "latency, submission to feedback: p50 " in done.stdout and "errors: 0" in done.stdout
    assert (course.course / "report" / "conv2d.html").is_file(), "the class report is refreshed while it runs"


def put_submission(course: Course, student: str, notebook, when: datetime.datetime) -> None:
    """What ``nbgrader submit`` leaves in the inbound folder, written directly (its own layout and formats)."""
    stamp = when.strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    folder = course.exchange / COURSE_ID / "inbound" / f"{student}+conv2d+{stamp}+{secrets.token_hex(4)}"
    folder.mkdir()
    nbformat.write(notebook, folder / "conv2d.ipynb")
    (folder / "timestamp.txt").write_text(stamp)
    (folder / "submission_secret.txt").write_text(secrets.token_hex(64))


def released_page(course: Course, student: str) -> str:
    """The student's newest feedback page as released into the exchange."""
    from nbgrader.utils import notebook_hash

    inbound = sorted((course.exchange / COURSE_ID / "inbound").glob(f"{student}+conv2d+*"))
    secret = (inbound[-1] / "submission_secret.txt").read_text()
    page = course.exchange / COURSE_ID / "feedback" / f"{notebook_hash(secret=secret, notebook_id='conv2d')}.html"
    return page.read_text()


def test_policy_levels_the_hourly_limit_and_late_work(course, monkeypatch):
    from grader.cluster import client_factory
    from grader.course import Course as Settings
    from grader.watch import Watcher

    now = datetime.datetime.now(datetime.timezone.utc)
    (course.course / "grader.toml").write_text(
        f'[due]\nconv2d = {(now + datetime.timedelta(days=1)).isoformat(timespec="seconds")}\n'
        '[watch]\nfeedback = "visible"\nhidden_feedback_per_hour = 1\n')
    clock = [now]
    monkeypatch.setattr(grader.watch, "_now", lambda: clock[0])
    watcher = Watcher(Settings.load(course.course), ["conv2d"], client_factory(workers=1))

    with watcher.client_factory() as client:
        watcher.client_factory = lambda: contextlib.nullcontext(client)
        put_submission(course, "alice", release_notebook(CONV2D), now)
        assert watcher.cycle() == 1
        first = released_page(course, "alice")
        assert "<h2>Visible tests" in first and "Hidden checks" not in first
        assert "This is your last detailed feedback for this hour: the next submission&#39;s detailed feedback " \
               "comes from " in first
        assert "For your submission of " in first

        put_submission(course, "alice", submission(CONV2D, None), now + datetime.timedelta(minutes=5))
        assert watcher.cycle() == 1
        held = released_page(course, "alice")
        assert score_on(held) == "10 / 10" and "Visible tests" not in held and "<table>" not in held
        assert "detailed feedback for 1 submission(s) an hour: the feedback for this submission comes at " in held
        assert watcher.cycle() == 0, "nothing is due before the hour is over"

        clock[0] = now + datetime.timedelta(minutes=61)
        assert watcher.cycle() == 1
        full = released_page(course, "alice")
        assert "<h2>Visible tests" in full and score_on(full) == "10 / 10"
        assert "This is your last detailed feedback for this hour" in full and " UTC on.</p>" in full
        assert watcher.cycle() == 0

        # After the due date: everything, whatever the policy, and the late line
        (course.course / "grader.toml").write_text(
            f'[due]\nconv2d = {(now - datetime.timedelta(days=1)).isoformat(timespec="seconds")}\n'
            '[watch]\nfeedback = "score"\nhidden_feedback_per_hour = 1\n')
        watcher.course = Settings.load(course.course)
        put_submission(course, "bob", submission(CONV2D, CONV2D.variants()[0]), clock[0])
        assert watcher.cycle() == 1
        late = released_page(course, "bob")
        assert "<h2>Hidden checks</h2>" in late and 'id="late"' in late and "after the due date" in late


def test_the_newest_submission_on_time_counts_and_late_work_still_gets_feedback(course):
    from grader.cluster import client_factory
    from grader.course import Course as Settings
    from grader.watch import Watcher

    now = datetime.datetime.now(datetime.timezone.utc)
    due = now - datetime.timedelta(days=1)
    (course.course / "grader.toml").write_text(f'[due]\nconv2d = {due.isoformat(timespec="seconds")}\n'
                                               '[late]\nmethod = "zero"\n')
    watcher = Watcher(Settings.load(course.course), ["conv2d"], client_factory(workers=1))
    with watcher.client_factory() as client:
        watcher.client_factory = lambda: contextlib.nullcontext(client)
        put_submission(course, "alice", submission(CONV2D, None), due - datetime.timedelta(hours=2))
        put_submission(course, "alice", release_notebook(CONV2D), now)  # late, and worse
        put_submission(course, "bob", submission(CONV2D, None), now)  # late, and his only one
        assert watcher.cycle() == 3
        assert watcher.cycle() == 0

    book = scores(course_db_url(course.course), "conv2d")
    assert book["alice"]["score"] == CONV2D.max_score, "the on-time submission counts"
    assert book["bob"]["score"] == 0, "a late one counts when there is no other, with the zero penalty"
    late = released_page(course, "alice")
    assert "so it does not count: your submission of " in late and score_on(late) == "0 / 10"
    assert course.released() == 3, "every submission has its page"
    alice_pages = sorted((course.exchange / COURSE_ID / "inbound").glob("alice+*"))
    assert len(alice_pages) == 2
    on_time = (paths.feedback_dir(course.course, "alice", "conv2d") / "conv2d.html").read_text()
    assert score_on(on_time) == "10 / 10"


def test_hostile_inbound_folders_are_refused_and_nothing_hidden_is_collected(course):
    """nbgrader's inbound is writable by every student: links, FIFOs and submissions in another's name."""
    from grader.cluster import client_factory
    from grader.course import Course as Settings
    from grader.watch import Watcher

    now = datetime.datetime.now(datetime.timezone.utc)
    inbound = course.exchange / COURSE_ID / "inbound"
    put_submission(course, "alice", submission(CONV2D, None), now)
    [alice] = inbound.glob("alice+*")
    (inbound / f"mallory+conv2d+{now.strftime('%Y-%m-%d %H:%M:%S.%f UTC')}+link").symlink_to(alice)
    put_submission(course, "eve", submission(CONV2D, None), now)
    [eve] = inbound.glob("eve+*")
    (eve / "conv2d.ipynb").unlink()
    (eve / "conv2d.ipynb").symlink_to(CONV2D.grading_dir / "checks.py")  # the hidden checks, as her notebook
    os.mkfifo(eve / "a-stuck.fifo")
    put_submission(course, "bob", release_notebook(CONV2D), now)
    [bob] = inbound.glob("bob+*")
    os.chown(bob, 65534, 65534)  # a folder of another user (nobody) in bob's name
    stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    for name in ("..", ".hidden", "x\x1b[2J"):  # a path component, a hidden name, a terminal escape
        shutil.copytree(alice, inbound / f"{name}+conv2d+{stamp}+x")
    for index in range(300):  # more files than a submission may bring
        (eve / f"extra{index:03d}.txt").write_text("x")

    watcher = Watcher(Settings.load(course.course), ["conv2d"], client_factory(workers=1))
    with watcher.client_factory() as client:
        watcher.client_factory = lambda: contextlib.nullcontext(client)
        assert watcher.cycle() == 2  # alice and eve; the link is no submission, bob's folder is refused
        assert watcher.cycle() == 0, (watcher.pending(), watcher.status.errors)
    assert not (course.course / "submitted" / "mallory").exists()
    collected = course.course / "submitted" / "eve" / "conv2d"
    assert {"submission_secret.txt", "timestamp.txt"} <= {p.name for p in collected.iterdir()}
    assert "conv2d.ipynb" not in {p.name for p in collected.iterdir()}
    assert "def " not in "".join(p.read_text() for p in collected.iterdir()), "nothing of checks.py came along"
    errors = "\n".join(watcher.status.errors)
    assert "eve/conv2d: not collected: conv2d.ipynb: conv2d.ipynb is a symbolic link" in errors
    assert "a-stuck.fifo is not a regular file" in errors
    assert f"{bob.name}: not graded: it names bob but belongs to nobody" in errors
    assert not (course.course / "submitted" / "bob").exists()
    assert "files past the first 200" in errors and len(list(collected.iterdir())) == 2 + 196
    assert sorted(p.name for p in (course.course / "submitted").iterdir()) == ["alice", "eve"]
    assert not (course.course / "conv2d").exists() and "\x1b" not in errors
    eve_page = released_page(course, "eve")
    assert "could not be graded" in eve_page and "def " not in eve_page


def test_a_pluggable_exchange_is_listed_collected_and_released_through_its_own_classes(course):
    with open(course.course / "nbgrader_config.py", "a") as config:
        for step, name in (("list", "PluggedList"), ("collect", "PluggedCollect"),
                           ("release_feedback", "PluggedReleaseFeedback")):
            config.write(f"c.ExchangeFactory.{step} = 'tests.fixtures.plugged_exchange.{name}'\n")
    course.submit("alice", submission(CONV2D, None))
    course.submit("bob", release_notebook(CONV2D))
    watcher = course.watch("--once")
    watcher.wait(timeout=WAIT_S)
    assert watcher.returncode == 0
    assert score_on(course.fetch_feedback("alice")[0]) == "10 / 10"
    assert score_on(course.fetch_feedback("bob")[0]) == "0 / 10"
    calls = (course.exchange / "plugged-calls.log").read_text().split()
    assert {"list", "collect", "release_feedback"} <= set(calls), calls
    assert calls.count("collect") == 2 and calls.count("release_feedback") == 2
