"""Dask preload of grading workers: a worker that offers ``GPU=1`` proves it can grade on its GPU, or does not join.

    dask worker tcp://HOST:8786 --resources GPU=1 --preload grader.gpuworker

(``scripts/start_gpu_workers.sh`` starts GPU workers this way.) At start-up the worker
starts a student process exactly as a grading job would (sandbox, GPU device nodes,
environment) and runs :func:`grader.doctor.examine_gpu`: the device nodes, the driver
library, the CUDA libraries, TensorFlow seeing the GPU with TF32 off, determinism and
memory growth on, there and in the worker itself. If anything is missing it logs one line
saying what and refuses to start, so no Keras job is ever sent to a worker that would
grade it on its CPU. A worker without GPU resources is not checked.

A worker started without this preload is still caught per job: a job given a GPU that finds
none is an ``error`` result (:mod:`grader.grade`), graded again by the next run.
"""

from __future__ import annotations

import sys

from grader.doctor import examine_gpu


class GpuWorkerRefused(SystemExit):
    """This worker offers a GPU it cannot grade on; its message says what is missing."""


def refusal(problems: list[str]) -> str:
    """The one line a refusing worker prints."""
    return ("grader: this worker offers GPU=1 but cannot grade on a GPU, so it does not join: "
            + "; ".join(problems)
            + ". Fix these (grader doctor --gpu lists every requirement), or start it as a CPU worker, "
              "without --resources GPU=1 (scripts/start_gpu_workers.sh --cpu N)")


def dask_setup(worker) -> None:
    """Dask's preload hook: check a GPU worker before it joins; raise :class:`GpuWorkerRefused` if it cannot grade."""
    if not worker.state.total_resources.get("GPU"):
        return
    problems = examine_gpu().problems()
    if problems:
        message = refusal(problems)
        print(message, file=sys.stderr, flush=True)
        raise GpuWorkerRefused(message)
    print("grader: GPU check passed: grading jobs here run on the GPU", file=sys.stderr, flush=True)
