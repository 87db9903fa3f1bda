"""Grade every nbgrader submission as it lands and release its feedback into the exchange.

A long-running service for a course on a JupyterHub: students submit with nbgrader's
Assignments tab (``nbgrader submit``) and, minutes later, fetch their feedback with it
(``nbgrader fetch_feedback``). Reads the exchange from the course's nbgrader_config.py
(c.CourseDirectory.course_id, c.Exchange.root). kill -9 and a restart lose nothing and
grade nothing twice. `grader status --course COURSE` shows what it is doing.
"""

from __future__ import annotations

import signal

from grader.cluster import client_factory
from grader.commands.common import add_course_argument, load_course, require_sandbox
from grader.watch import Watcher


def add_arguments(parser) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help="assignments to watch (default: every assignment of the course)")
    add_course_argument(parser)
    parser.add_argument("--workers", type=int, default=None, help="local worker processes (default: CPU count)")
    parser.add_argument("--scheduler", default=None, help="address of a running Dask scheduler, tcp://HOST:8786")
    parser.add_argument("--batch", type=int, default=16, help="most submissions graded in one round (default 16)")
    parser.add_argument("--rescan", type=float, default=5.0,
                        help="seconds between rescans of the exchange when no file event came (default 5)")
    parser.add_argument("--once", action="store_true", help="grade what is waiting, then exit")
    parser.add_argument("--unsafe-no-sandbox", action="store_true",
                        help="run student code unconfined (only where bubblewrap cannot work)")


def run(args) -> int:
    course = load_course(args)
    names = args.names or course.assignment_names()
    for name in names:
        course.assignment(name)  # an unknown name is a one-line error before anything starts
    confined = require_sandbox(args.unsafe_no_sandbox, course.root)
    watcher = Watcher(course, names, client_factory(args.workers, args.scheduler), confined=confined,
                      batch_size=args.batch, rescan_s=args.rescan)
    signal.signal(signal.SIGTERM, lambda *_: watcher.shutdown())
    print(f"watching {', '.join(names)} in {watcher.exchange.inbound}", flush=True)
    try:
        watcher.run(once=args.once)
    except KeyboardInterrupt:
        pass
    print("stopped; nothing is lost: a restart picks up where this left off", flush=True)
    return 0
