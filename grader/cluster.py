"""Dask clients for grading: an in-process LocalCluster by default, or an existing scheduler.

A real cluster is ``dask scheduler`` on one host and, per GPU, one single-threaded
``dask worker tcp://HOST:8786 --resources GPU=1 --preload grader.gpuworker`` with its own
``CUDA_VISIBLE_DEVICES`` (``scripts/start_gpu_workers.sh`` starts them; the preload refuses a
worker that cannot grade on its GPU). Jobs of assignments that need a GPU ask for
``resources={"GPU": 1}`` whenever some worker offers it (``grader.autograde``), so each GPU
grades one submission at a time, and such a job must find its GPU or it is an ``error``
(``GradingJob.gpu``). A LocalCluster offers no resources: its Keras jobs use the machine's GPU
if TensorFlow finds one, else the CPU. Workers receive :class:`grader.grade.GradingJob` objects holding absolute
paths, so every worker must see the same checkout and course directory (a shared
filesystem) and run the same Python environment.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections.abc import Callable

#: Seconds to wait for ``--scheduler`` before giving up with a one-line error.
CONNECT_TIMEOUT_S = 10.0
#: Memory of one worker process, the checker: its nanny restarts a worker that goes over it, so a
#: grading job that blows up the trusted side costs that job (re-run once, then an error), never the
#: machine. Student processes are not counted here: each has its own cap in its own cgroup.
CHECKER_MEMORY = "4GiB"
#: The embedded scheduler's HTTP server (health and metrics routes; no dashboard): any free loopback
#: port, never 8787, so a machine where 8787 is taken (a dashboard, Jupyter's proxy) gets no warning.
SCHEDULER_HTTP_ADDRESS = "127.0.0.1:0"

#: Checks that must pass before this process starts or joins a cluster (:func:`before_cluster`).
_pending_checks: list[Callable[[], None]] = []


def before_cluster(check: Callable[[], None]) -> None:
    """Run ``check`` once, just before the next cluster this process starts or joins; it may ``sys.exit``.

    ``grader autograde`` defers the sandbox self-test here, so a re-run with nothing to grade
    (no cluster) never pays for it, while every batch that grades is still refused when it fails.
    """
    _pending_checks.append(check)


def _run_pending_checks() -> None:
    while _pending_checks:
        _pending_checks.pop(0)()


@contextlib.contextmanager
def _workers_ignore_ctrl_c():
    """Start worker processes with SIGINT ignored (they inherit it), so Ctrl-C reaches only the orchestrator.

    The orchestrator then stops the batch between results with one line; the workers, which
    would otherwise each print a KeyboardInterrupt traceback, are closed with the cluster.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class SchedulerUnreachable(SystemExit):
    """The scheduler did not answer in time; exits the CLI with a one-line message, no traceback."""


def client_factory(workers: int | None = None, scheduler: str | None = None,
                   timeout: float = CONNECT_TIMEOUT_S) -> Callable:
    """A context-manager factory yielding a ``distributed.Client``.

    ``scheduler`` (``tcp://HOST:8786``) connects to a running cluster, giving up after
    ``timeout`` seconds with :class:`SchedulerUnreachable`; otherwise a LocalCluster of
    ``workers`` single-threaded processes is started and stopped, without a dashboard. Checks
    registered with :func:`before_cluster` run first.
    """

    @contextlib.contextmanager
    def connect():
        _run_pending_checks()
        from distributed import Client, LocalCluster

        logging.getLogger("distributed").setLevel(logging.ERROR)
        if scheduler:
            try:
                client = Client(scheduler, timeout=timeout)
            except (OSError, TimeoutError) as error:
                raise SchedulerUnreachable(
                    f"error: no Dask scheduler answered at {scheduler} within {timeout:g} s "
                    f"({type(error).__name__}); is `dask scheduler` running there and the port reachable?"
                ) from None
            with client:
                yield client
            return
        count = workers or os.cpu_count() or 1
        with _workers_ignore_ctrl_c():
            cluster = LocalCluster(n_workers=count, threads_per_worker=1, processes=True, memory_limit=CHECKER_MEMORY,
                                   dashboard_address=None, silence_logs=logging.ERROR,
                                   scheduler_kwargs={"dashboard_address": SCHEDULER_HTTP_ADDRESS})
        with cluster, Client(cluster) as client:
            yield client

    return connect
