"""Latency, burst drain and memory of `grader watch` on conv2d, against `grader autograde`, in one run.

    python benchmarks/bench_watch.py [--sequential 20] [--burst 300] [--burst-window 60] [--workers 2]
                                     [--checkout DIR] [--json FILE]

Sets up a course, an nbgrader exchange and conv2d released into it with nbgrader's own
commands (tests/test_watch.py's ``Course``), then runs ``grader watch conv2d --course C
--workers 2`` (default batch and rescan) as a subprocess and measures:

1. **One submission at a time.** ``--sequential`` students (the solution, the released stub
   and the known-wrong variants, cycled) each run the real ``nbgrader submit`` with their own
   HOME; the next one submits only after the previous one's feedback is fetchable, i.e. its
   ``{notebook_hash(secret)}.html`` is in the exchange's feedback folder, where ``nbgrader
   fetch_feedback`` looks. Latency is reported from nbgrader's own timestamp (what ``grader
   status`` reports) and from the start of the ``nbgrader submit`` command. The students'
   working folders are copies of one ``nbgrader fetch_assignment`` (fetching is not timed). One
   warm-up submission before them is reported apart (the watcher's first round).
2. **A burst.** ``--burst`` distinct students' submissions arrive evenly spread over
   ``--burst-window`` seconds. They are NOT made by ``nbgrader submit`` (one Python start per
   submission would load this 2-core machine more than the watcher): each is written straight
   into the exchange's inbound folder exactly as ``nbgrader submit`` lays it out
   (``{student}+conv2d+{timestamp}+{random}`` with ``conv2d.ipynb``, ``timestamp.txt`` in
   nbgrader's ``%Y-%m-%d %H:%M:%S.%f UTC`` and ``submission_secret.txt`` = ``secrets.token_hex(64)``,
   nbgrader's permissions), under a dot-name first and renamed into place atomically. Reported: the
   drain time (first arrival to last feedback page), latency p50/p95/max (arrival to page), and the
   RSS of the watcher process alone and of its process tree (Dask workers, sandboxes), sampled
   every 0.5 s: at the burst's start, its peak and at its end.
3. **The batch it replaces.** The burst students' ``submitted/`` folders, as the watcher collected
   them, are copied into a fresh course and graded by ``grader autograde conv2d --workers 2 --quiet``;
   reported: its wall time, seconds per submission for both, and the ratio watch / autograde.

Also reported: the watcher's rounds during the burst (from its status file), the grading jobs'
own time (``result.json`` timings) and so how busy the two workers were, and the load average at
the start and end (the machine is shared). ``--checkout`` runs ``grader watch`` and ``grader
autograde`` from another checkout (e.g. ``git archive HEAD`` unpacked: the committed grader, not a
working tree someone is editing), with this environment's Python; the set-up always uses this one.
Exit status 0 even when a goal is missed; the report says which were met.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import nbformat  # noqa: E402
import psutil  # noqa: E402
from bench_autograde import ENV, machine  # noqa: E402  (this folder is on sys.path: the script's own)
from nbgrader.utils import notebook_hash  # noqa: E402

from grader import paths, results  # noqa: E402
from grader.assignment import Assignment  # noqa: E402
from grader.sampleclass import release_notebook, submission  # noqa: E402
from tests.test_exchange_feedback import COURSE_ID, environment, nbgrader  # noqa: E402
from tests.test_watch import Course  # noqa: E402

NAME = "conv2d"
GOALS = {"sequential_p50_s": 5.0, "sequential_p95_s": 15.0, "ratio_watch_to_autograde": 1.0}
TIMEOUT_S = 1800


def percentile(values: list[float], fraction: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(fraction * 100) - 1]


def summary(values: list[float]) -> dict:
    return {"n": len(values), "p50_s": round(percentile(values, 0.5), 3), "p95_s": round(percentile(values, 0.95), 3),
            "max_s": round(max(values), 3), "min_s": round(min(values), 3)}


def notebook_pool(assignment: Assignment) -> list[tuple[str, nbformat.NotebookNode]]:
    return [("solution", submission(assignment, None)), ("stub", release_notebook(assignment)),
            *((f"variant-{v.name}", submission(assignment, v)) for v in assignment.variants())]


class Monitor(threading.Thread):
    """Watches the feedback folder (first time each page is seen), the watcher's RSS and its status file."""

    def __init__(self, course: Course, pid: int):
        super().__init__(daemon=True)
        self.feedback = course.exchange / COURSE_ID / "feedback"
        self.status_file = course.course / ".grader-watch" / "status.json"
        self.process = psutil.Process(pid)
        self.seen: dict[str, float] = {}  # page name -> monotonic time first seen
        self.rss: list[tuple[float, float, float, int]] = []  # (time, watcher MiB, tree MiB, processes)
        self.updates: list[tuple[float, str]] = []  # (time, status "updated") at each change
        self.done = threading.Event()

    def run(self) -> None:
        next_rss = 0.0
        while not self.done.is_set():
            now = time.monotonic()
            try:
                for name in os.listdir(self.feedback):
                    self.seen.setdefault(name, now)
            except FileNotFoundError:
                pass
            try:
                updated = json.loads(self.status_file.read_text())["updated"]
                if not self.updates or self.updates[-1][1] != updated:
                    self.updates.append((now, updated))
            except (OSError, ValueError, KeyError):
                pass
            if now >= next_rss:
                next_rss = now + 0.5
                self.rss.append((now, *self.tree_rss()))
            time.sleep(0.05)

    def tree_rss(self) -> tuple[float, float, int]:
        try:
            main = self.process.memory_info().rss
            children = self.process.children(recursive=True)
        except psutil.Error:
            return 0.0, 0.0, 0
        total = main
        for child in children:
            try:
                total += child.memory_info().rss
            except psutil.Error:
                pass
        return main / 2**20, total / 2**20, 1 + len(children)

    def wait_for(self, page: str, deadline_s: float = TIMEOUT_S) -> float:
        deadline = time.monotonic() + deadline_s
        while page not in self.seen:
            if time.monotonic() > deadline:
                raise SystemExit(f"no feedback page {page} after {deadline_s} s")
            time.sleep(0.02)
        return self.seen[page]


def page_name(secret: str) -> str:
    return f"{notebook_hash(secret=secret, notebook_id=NAME)}.html"


def nbgrader_timestamp_age(timestamp: str, at_wall: float) -> float:
    from nbgrader.utils import parse_utc

    return at_wall - parse_utc(timestamp).replace(tzinfo=datetime.timezone.utc).timestamp()


def submit_with_nbgrader(course: Course, student: str, notebook) -> dict:
    """The real ``nbgrader submit``; returns the submission's page name, timestamp and the command's start."""
    nbformat.write(notebook, course.work(student) / NAME / f"{NAME}.ipynb")
    before = set(os.listdir(course.exchange / COURSE_ID / "inbound"))
    started_mono, started_wall = time.monotonic(), time.time()
    nbgrader(course.work(student), course.home(student), "submit", NAME, "--student", student)
    submit_s = time.monotonic() - started_mono
    [folder] = [n for n in os.listdir(course.exchange / COURSE_ID / "inbound")
                if n not in before and n.startswith(f"{student}+")]
    inbound = course.exchange / COURSE_ID / "inbound" / folder
    return {"page": page_name((inbound / "submission_secret.txt").read_text().strip()),
            "timestamp": (inbound / "timestamp.txt").read_text().strip(),
            "started_mono": started_mono, "started_wall": started_wall, "submit_s": submit_s}


def submit_directly(inbound: Path, student: str, notebook_bytes: bytes) -> str:
    """Lay a submission out as ``nbgrader submit`` does, atomically; returns its feedback page's name."""
    timestamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f %Z")
    import base64

    folder = f"{student}+{NAME}+{timestamp}+{base64.urlsafe_b64encode(os.urandom(9)).decode('ascii')}"
    secret = secrets.token_hex(64)
    temporary = inbound / f".tmp-{student}-{os.urandom(4).hex()}"
    temporary.mkdir()
    (temporary / f"{NAME}.ipynb").write_bytes(notebook_bytes)
    (temporary / "timestamp.txt").write_text(timestamp)
    (temporary / "submission_secret.txt").write_text(secret)
    for child in temporary.iterdir():
        child.chmod(0o644)
    os.rename(temporary, inbound / folder)
    os.chmod(inbound / folder, 0o777)  # as nbgrader submit leaves it
    return page_name(secret)


def start_watcher(course: Course, workers: int, checkout: Path) -> subprocess.Popen:
    log = open(course.root / "watch.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "grader", "watch", NAME, "--course", str(course.course),
                                "--workers", str(workers)], cwd=checkout, env=environment(course.instructor),
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    course.watchers.append(process)
    return process


def sequential_part(course: Course, monitor: Monitor, pool, n: int) -> dict:
    students = [f"seq{i:03d}" for i in range(n + 1)]  # the first: warm-up
    course.fetch(students[0])
    for student in students[1:]:  # each working folder a copy of one fetch (nbgrader's fetch is a copy)
        shutil.copytree(course.work(students[0]), course.work(student))
    rows = []
    for index, student in enumerate(students):
        kind, notebook = pool[index % len(pool)]
        sent = submit_with_nbgrader(course, student, notebook)
        seen_mono = monitor.wait_for(sent["page"])
        seen_wall = sent["started_wall"] + (seen_mono - sent["started_mono"])
        rows.append({"student": student, "kind": kind, "submit_command_s": round(sent["submit_s"], 3),
                     "from_timestamp_s": round(nbgrader_timestamp_age(sent["timestamp"], seen_wall), 3),
                     "from_command_start_s": round(seen_mono - sent["started_mono"], 3)})
        time.sleep(0.5)  # a student does not submit the instant the previous page appears
    warm, timed = rows[0], rows[1:]
    return {"warm_up": warm, "rows": timed,
            "from_timestamp": summary([r["from_timestamp_s"] for r in timed]),
            "from_command_start": summary([r["from_command_start_s"] for r in timed]),
            "submit_command": summary([r["submit_command_s"] for r in timed])}


def release_rounds(seen: list[float]) -> dict:
    """The watcher's rounds, told apart by its releases: a round's pages appear together (gaps under 1 s)."""
    groups = [[seen[0]]]
    for at in seen[1:]:
        if at - groups[-1][-1] > 1.0:
            groups.append([])
        groups[-1].append(at)
    sizes = [len(g) for g in groups]
    gaps = [b[-1] - a[-1] for a, b in zip(groups, groups[1:])]  # end of one round's releases to the next's
    return {"count": len(groups), "pages_median": statistics.median(sizes), "pages_max": max(sizes),
            "round_s_median": round(statistics.median(gaps), 2) if gaps else None,
            "release_spread_s_median": round(statistics.median(g[-1] - g[0] for g in groups), 3)}


def burst_part(course: Course, monitor: Monitor, pool, n: int, window_s: float) -> dict:
    inbound = course.exchange / COURSE_ID / "inbound"
    students = [f"burst{i:04d}" for i in range(n)]
    encoded = [nbformat.writes(nb).encode() for _, nb in pool]
    arrivals: dict[str, tuple[str, float]] = {}  # student -> (page, monotonic arrival)
    start = time.monotonic()
    for index, student in enumerate(students):
        due = start + index * window_s / n
        time.sleep(max(0.0, due - time.monotonic()))
        arrivals[student] = (submit_directly(inbound, student, encoded[index % len(encoded)]), time.monotonic())
    spread_s = time.monotonic() - start
    latencies = {s: monitor.wait_for(page) - arrived for s, (page, arrived) in arrivals.items()}
    first = min(a for _, a in arrivals.values())
    last_page = max(monitor.seen[page] for page, _ in arrivals.values())
    drain_s = last_page - first
    window = [r for r in monitor.rss if first - 0.5 <= r[0] <= last_page + 0.5]
    rss = {"start_mb": [round(window[0][1], 1), round(window[0][2], 1)],
           "peak_mb": [round(max(r[1] for r in window), 1), round(max(r[2] for r in window), 1)],
           "end_mb": [round(window[-1][1], 1), round(window[-1][2], 1)],
           "processes_start_peak_end": [window[0][3], max(r[3] for r in window), window[-1][3]],
           "samples": len(window), "note": "[watcher process alone, watcher process tree]"}
    rounds = release_rounds(sorted(monitor.seen[page] for page, _ in arrivals.values()))
    jobs = [results.read(paths.autograded_dir(course.course, s, NAME) / results.RESULT_FILE) for s in students]
    job_s = [d["timings"]["total_s"] for d in jobs if d and "timings" in d]
    return {"students": students, "n": n, "arrival_spread_s": round(spread_s, 2), "drain_s": round(drain_s, 2),
            "per_submission_s": round(drain_s / n, 4), "latency": summary(list(latencies.values())),
            "rss": rss, "rounds": rounds,
            "job_total_s_sum": round(sum(job_s), 1), "job_total_s_median": round(statistics.median(job_s), 3),
            "graded": sum(1 for d in jobs if d and d.get("status") == "graded"),
            "scores": sorted({d.get("score") for d in jobs if d}, key=str)}


def autograde_part(course: Course, students: list[str], workers: int, work: Path, checkout: Path) -> dict:
    batch = work / "batch"
    for student in students:
        shutil.copytree(course.course / "submitted" / student, batch / "submitted" / student)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "grader", "autograde", NAME, "--course", str(batch), "--workers",
                           str(workers), "--quiet"], cwd=checkout, env={**environment(course.instructor),
                                                                     "PATH": ENV["PATH"]},
                          capture_output=True, text=True, timeout=TIMEOUT_S)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"grader autograde failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    jobs = [results.read(p) for p in (batch / "autograded").glob(f"*/{NAME}/{results.RESULT_FILE}")]
    job_s = [d["timings"]["total_s"] for d in jobs if d and "timings" in d]
    return {"n": len(students), "wall_s": round(wall, 2), "per_submission_s": round(wall / len(students), 4),
            "graded": len(jobs), "job_total_s_sum": round(sum(job_s), 1),
            "job_total_s_median": round(statistics.median(job_s), 3)}


# A round's steps other than grading, timed on the course the burst left (nothing new to grade), in the checkout
# being measured: what every round pays whatever its batch size.
ROUND_STEPS = r"""
import json, sys, time
from pathlib import Path
from grader.autograde import autograde
from grader.course import Course
from grader.feedback import write_feedback
from grader.watch import Watcher
course = Course.load(Path(sys.argv[1])); student = sys.argv[2]
watcher = Watcher(course, ["conv2d"], client_factory=None)
timings = {}
def timed(name, step, *args, **kwargs):
    start = time.perf_counter(); step(*args, **kwargs); timings[name] = round(time.perf_counter() - start, 3)
newest = [s for s in watcher.exchange.submissions({"conv2d"}) if s.student == student][-1]
for _ in range(2):  # the second pass is reported: imports and first opens are done
    timed("pending", watcher.pending)
    timed("collect_one", watcher.exchange.collect, newest, course.root)
    timed("autograde_nothing_to_grade", autograde, course, course.assignment("conv2d"), client_factory=None,
          progress=False, students=[student])
    timed("write_feedback_one", write_feedback, course, "conv2d", students={student})
    timed("release_one", watcher.exchange.release_feedback, "conv2d", student, course.root)
    timed("write_status", watcher.write_status)
print(json.dumps(timings))
"""


def round_steps(course: Course, student: str, checkout: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", ROUND_STEPS, str(course.course), student], cwd=checkout,
                          env=environment(course.instructor), capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        return {"failed": done.stderr[-1500:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sequential", type=int, default=20, help="submissions one at a time (0: skip)")
    parser.add_argument("--burst", type=int, default=300, help="submissions in the burst (0: skip)")
    parser.add_argument("--burst-window", type=float, default=60.0, help="seconds the burst's arrivals spread over")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--checkout", default=str(ROOT), help="the grader checkout to time (default: this one)")
    parser.add_argument("--json", default=None, help="also write the report to this file")
    args = parser.parse_args()
    report = {"machine": machine(), "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "command": " ".join(["python", "benchmarks/bench_watch.py", *sys.argv[1:]]), "workers": args.workers,
              "checkout": str(Path(args.checkout).resolve()), "head": git("rev-parse", "--short", "HEAD"),
              "uncommitted_grader_files": git("status", "--short", "grader").splitlines(),
              "load_average_start": [round(v, 2) for v in os.getloadavg()], "goals": GOALS}
    began = time.monotonic()
    assignment = Assignment.find(NAME)
    pool = notebook_pool(assignment)
    with tempfile.TemporaryDirectory(prefix="bench-watch-") as temporary:
        work = Path(temporary)
        course = Course(work)
        watcher = start_watcher(course, args.workers, Path(args.checkout).resolve())
        monitor = Monitor(course, watcher.pid)
        monitor.start()
        try:
            if args.sequential:
                report["sequential"] = sequential_part(course, monitor, pool, args.sequential)
                print(f"sequential: {json.dumps(report['sequential']['from_timestamp'])}", file=sys.stderr)
            if args.burst:
                burst = burst_part(course, monitor, pool, args.burst, args.burst_window)
                print(f"burst: drain {burst['drain_s']} s, {json.dumps(burst['latency'])}", file=sys.stderr)
        finally:
            monitor.done.set()
            course.stop()
        report["watch_log_tail"] = (course.root / "watch.log").read_text()[-1500:]
        status = json.loads((course.course / ".grader-watch" / "status.json").read_text())
        report["watch_status"] = {k: status[k] for k in ("graded_today", "queue", "in_flight")}
        report["watch_errors"] = status["errors"][-10:]
        if args.burst:
            students = burst.pop("students")
            report["burst"] = burst
            report["round_steps_s"] = round_steps(course, students[0], Path(args.checkout).resolve())
            report["autograde"] = autograde_part(course, students, args.workers, work, Path(args.checkout).resolve())
            report["ratio_watch_to_autograde"] = round(burst["per_submission_s"]
                                                      / report["autograde"]["per_submission_s"], 3)
    report["load_average_end"] = [round(v, 2) for v in os.getloadavg()]
    report["total_wall_s"] = round(time.monotonic() - began, 1)
    met = {}
    if "sequential" in report:
        met["sequential_p50"] = report["sequential"]["from_timestamp"]["p50_s"] <= GOALS["sequential_p50_s"]
        met["sequential_p95"] = report["sequential"]["from_timestamp"]["p95_s"] <= GOALS["sequential_p95_s"]
    if "ratio_watch_to_autograde" in report:
        met["burst_ratio"] = report["ratio_watch_to_autograde"] <= GOALS["ratio_watch_to_autograde"]
    report["goals_met"] = met
    text = json.dumps(report, indent=1)
    if args.json:
        Path(args.json).write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
