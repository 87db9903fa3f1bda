"""What a running `grader watch` is doing: queue, in flight, graded today, errors, latency.

Reads COURSE/.grader-watch/status.json, which the watcher rewrites after every round.
Latency is from `nbgrader submit` to feedback released into the exchange.
"""

from __future__ import annotations

from grader.commands.common import add_course_argument, load_course
from grader.watch import read_status


def add_arguments(parser) -> None:
    add_course_argument(parser)


def run(args) -> int:
    course = load_course(args)
    status = read_status(course.root)
    if status is None:
        print(f"no grader watch has run for {course.root} (no status file)")
        return 1
    p50, p95 = status.percentile(0.5), status.percentile(0.95)
    latency = "none yet" if p50 is None else f"p50 {p50:.1f} s, p95 {p95:.1f} s ({len(status.latencies)} graded)"
    print(f"started {status.started}, updated {status.updated}")
    print(f"queue {status.queue}, in flight {status.in_flight}, graded today {status.graded_today}")
    print(f"latency, submission to feedback: {latency}")
    print(f"errors: {len(status.errors)}")
    for error in status.errors[-10:]:
        print(f"  {error}")
    return 0
