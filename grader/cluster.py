"""Dask clients for grading: an in-process LocalCluster by default, or an existing scheduler."""

from __future__ import annotations

import contextlib
import logging
import os
from typing import Callable


def client_factory(workers: int | None = None, scheduler: str | None = None) -> Callable:
    """A context-manager factory yielding a ``distributed.Client``.

    ``scheduler`` (``tcp://HOST:8786``) connects to a running cluster; otherwise a
    LocalCluster of ``workers`` single-threaded processes is started and stopped.
    """

    @contextlib.contextmanager
    def connect():
        from distributed import Client, LocalCluster

        logging.getLogger("distributed").setLevel(logging.ERROR)
        if scheduler:
            with Client(scheduler) as client:
                yield client
            return
        count = workers or os.cpu_count() or 1
        with LocalCluster(n_workers=count, threads_per_worker=1, processes=True,
                          dashboard_address=None, silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
            yield client

    return connect
