"""GPU workers on a machine without a GPU: they refuse to join, say what is missing, and grade nothing.

Real `dask scheduler` and `dask worker` processes on loopback, started the ways an
administrator starts them: ``scripts/start_gpu_workers.sh`` (which adds the
``grader.gpuworker`` preload) and a hand-written ``dask worker --resources GPU=1``.
A worker offering GPU=1 without the preload is caught per job instead (tests/test_cluster.py).
"""

from __future__ import annotations

import subprocess
import time

import pytest

from grader.gpuworker import refusal
from tests.test_cluster import BIN, ENV, ROOT, running_cluster

REFUSAL = "grader: this worker offers GPU=1 but cannot grade on a GPU, so it does not join: "
JOIN_TIMEOUT_S = 240  # a busy machine starts TensorFlow slowly; the refusal comes well before


@pytest.fixture
def scheduler(tmp_path):
    yield from running_cluster(tmp_path, 0)


def worker_count(address: str) -> int:
    from distributed import Client

    with Client(address, timeout=10) as client:
        return len(client.scheduler_info(n_workers=-1)["workers"])


def test_start_gpu_workers_refuses_to_join_without_a_gpu_and_says_what_is_missing(scheduler, tmp_path):
    logs = tmp_path / "logs"
    done = subprocess.run([str(ROOT / "scripts" / "start_gpu_workers.sh"), scheduler.address, "1"], cwd=ROOT,
                          env={**ENV, "LOG_DIR": str(logs), "DASK": str(BIN / "dask")}, capture_output=True,
                          text=True, timeout=JOIN_TIMEOUT_S)
    assert done.returncode == 1, done.stdout + done.stderr
    stopped = [line for line in done.stderr.splitlines() if " stopped: " in line]
    assert len(stopped) == 1 and stopped[0].startswith("gpu0-"), done.stderr
    reason = stopped[0].split(" stopped: ", 1)[1]
    assert reason.startswith(REFUSAL), reason
    for missing in ("no /dev/nvidia* device nodes", "libcuda.so.1 does not load",
                    "is a CPU-only build (tensorflow-cpu): install the gpu extra", "TensorFlow sees no GPU",
                    "in a sandbox started as a grading job's and in the checker",
                    "start it as a CPU worker, without --resources GPU=1"):
        assert missing in reason, missing
    assert worker_count(scheduler.address) == 0, "it never joined"


def test_a_hand_started_gpu_worker_with_the_preload_refuses_too(scheduler):
    worker = scheduler.add_worker("by-hand", "--resources", "GPU=1", "--preload", "grader.gpuworker")
    assert worker.wait(timeout=JOIN_TIMEOUT_S) != 0
    log = (scheduler.workdir / "worker-by-hand.log").read_text()
    assert REFUSAL in log and "TensorFlow sees no GPU" in log
    assert worker_count(scheduler.address) == 0


def test_a_cpu_worker_with_the_preload_joins_unchecked(scheduler):
    scheduler.add_worker("cpu", "--preload", "grader.gpuworker")
    scheduler.wait_for_workers(1, timeout=JOIN_TIMEOUT_S)
    time.sleep(1)
    log = (scheduler.workdir / "worker-cpu.log").read_text()
    assert "grader:" not in log, "a worker without GPU resources is not checked"


def test_the_refusal_is_one_line_that_says_what_to_do():
    line = refusal(["TensorFlow sees no GPU (in the checker)"])
    assert "\n" not in line and line.startswith(REFUSAL)
    assert line.endswith("or start it as a CPU worker, without --resources GPU=1 "
                         "(scripts/start_gpu_workers.sh --cpu N)")
    assert "grader doctor --gpu" in line
