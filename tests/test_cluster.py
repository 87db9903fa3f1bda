"""Scale-out on a real Dask cluster: `dask scheduler` and `dask worker` processes on loopback.

A conv2d class graded through ``--scheduler`` gets the grades a local ``--workers 2``
run gives; so does a batch that loses a worker to ``kill -9`` halfway. The orchestrator's
own ``kill -9`` is tested in tests/test_autograde.py.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import dask
import distributed  # noqa: F401  (its config defaults must be loaded before dask.config.set)
import pytest

import grader.autograde
import grader.cluster
from grader import paths, results
from grader.assignment import Assignment
from grader.autograde import autograde
from grader.cluster import SchedulerUnreachable, client_factory
from grader.gradebook import course_db_url, scores
from grader.sampleclass import release_notebook, submission, write_submission

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
ASSIGNMENT = Assignment.find("conv2d")
ALTERNATIVES = ASSIGNMENT.alternatives()
BATCH_TIMEOUT_S = 400  # the machine running the tests may be busy: generous, but bounded


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def build(course: Path) -> list[str]:
    """Ten real conv2d submissions: the solution, the stub, every known-wrong variant, correct alternatives."""
    notebooks = {"solution": submission(ASSIGNMENT, None), "stub": release_notebook(ASSIGNMENT)}
    notebooks.update({f"variant-{v.name}": submission(ASSIGNMENT, v) for v in ASSIGNMENT.variants()})
    notebooks.update({f"alt-{v.name}": submission(ASSIGNMENT, v) for v in ALTERNATIVES})
    for student, notebook in notebooks.items():
        write_submission(course, student, "conv2d", notebook)
    return sorted(notebooks)


def grades(course: Path) -> dict[str, tuple]:
    """student -> (status, score) from the result files, plus the gradebook's total."""
    book = scores(course_db_url(course), "conv2d")
    out = {}
    for folder in sorted((course / "submitted").iterdir()):
        result = results.read(paths.autograded_dir(course, folder.name, "conv2d") / results.RESULT_FILE)
        out[folder.name] = (result and result["status"], result and result["score"],
                            book.get(folder.name, {}).get("score"))
    return out


def autograde_cli(course: Path, *extra: str, assignment: str = "conv2d") -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "grader", "autograde", assignment, "--course", str(course),
                             "--quiet", *extra], cwd=ROOT, env=ENV, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish(process: subprocess.Popen, timeout: float = BATCH_TIMEOUT_S, returncode: int = 0) -> str:
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        pytest.fail(f"autograde did not finish in {timeout} s:\n{output[-3000:]}")
    assert process.returncode == returncode, output[-3000:]
    return output


class Cluster:
    """A `dask scheduler` and `dask worker` processes, each in its own process group, on 127.0.0.1."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.processes: list[subprocess.Popen] = []
        self.workers: list[subprocess.Popen] = []

    def _spawn(self, name: str, *args: str) -> subprocess.Popen:
        with open(self.workdir / f"{name}.log", "w") as log:
            process = subprocess.Popen([str(BIN / "dask"), *args], cwd=ROOT, env=ENV, start_new_session=True,
                                       stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def start(self, workers: int, *worker_args: str) -> Cluster:
        self._spawn("scheduler", "scheduler", "--host", "127.0.0.1", "--port", str(self.port), "--no-dashboard")
        for i in range(workers):
            self.add_worker(f"w{i}", *worker_args)
        self.wait_for_workers(workers)
        return self

    def add_worker(self, name: str, *worker_args: str) -> subprocess.Popen:
        """Start one single-threaded `dask worker` (``worker_args`` appended), without waiting for it."""
        worker = self._spawn(f"worker-{name}", "worker", self.address, "--nworkers", "1", "--nthreads", "1",
                             "--no-dashboard", "--name", name, "--local-directory", str(self.workdir / name),
                             *worker_args)
        self.workers.append(worker)
        return worker

    def wait_for_workers(self, count: int, timeout: float = 180) -> None:
        """Until the scheduler has exactly ``count`` workers (it takes a while on a busy machine)."""
        from distributed import Client

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with Client(self.address, timeout=10) as client:
                    while time.monotonic() < deadline:
                        if len(client.scheduler_info(n_workers=-1)["workers"]) == count:
                            return
                        time.sleep(0.2)
            except OSError:
                time.sleep(0.5)
        logs = "\n".join(p.read_text()[-1500:] for p in sorted(self.workdir.glob("*.log")))
        pytest.fail(f"the cluster did not reach {count} workers in {timeout} s:\n{logs}")

    def kill(self, process: subprocess.Popen) -> None:
        """``kill -9`` a process group: the `dask worker` command, its nanny and its worker process."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill(process)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[list[str], dict]:
    """The class graded by a local `--workers 2` run: what every cluster run must reproduce."""
    course = tmp_path_factory.mktemp("local")
    students = build(course)
    finish(autograde_cli(course, "--workers", "2"))
    expected = grades(course)
    assert all(status == "graded" for status, _, _ in expected.values()), expected
    assert expected["solution"][1] == ASSIGNMENT.max_score and expected["stub"][1] == 0
    return students, expected


def running_cluster(workdir: Path, workers: int, *worker_args: str):
    """A started :class:`Cluster`, stopped when the generator is closed (for fixtures)."""
    cluster = Cluster(workdir)
    try:
        yield cluster.start(workers, *worker_args)
    finally:
        cluster.stop()


@pytest.fixture
def cluster(tmp_path):
    yield from running_cluster(tmp_path, 2)


@pytest.mark.timeout(900)
def test_grades_on_a_real_cluster_equal_a_local_run(reference, cluster, tmp_path):
    students, expected = reference
    course = tmp_path / "course"
    build(course)
    output = finish(autograde_cli(course, "--scheduler", cluster.address))
    assert f"{len(students)} graded, 0 ungradable, 0 errors" in output
    assert grades(course) == expected
    for student in students:  # the scheduler's workers did the work: results carry the sandbox's record
        assert results.read(paths.autograded_dir(course, student, "conv2d") / "result.json")["sandbox"]["confined"]


@pytest.mark.timeout(900)
def test_a_worker_killed_mid_batch_loses_nothing(reference, cluster, tmp_path):
    students, expected = reference
    course = tmp_path / "course"
    build(course)
    batch = autograde_cli(course, "--scheduler", cluster.address)
    deadline = time.monotonic() + BATCH_TIMEOUT_S
    while not list((course / "autograded").glob("*/conv2d/result.json")):
        assert batch.poll() is None and time.monotonic() < deadline, "the batch ended before any result appeared"
        time.sleep(0.02)
    cluster.kill(cluster.workers[0])
    done_at_kill = len(list((course / "autograded").glob("*/conv2d/result.json")))
    assert done_at_kill < len(students), "the batch was over before the worker was killed"
    output = finish(batch)
    assert f"{len(students)} graded, 0 ungradable, 0 errors" in output
    assert grades(course) == expected
    cluster.wait_for_workers(1, timeout=60)  # the victim is gone for good: the survivor did the rest


def _dies_once(markers: str, job):
    """The solution's first run takes its worker down with it (as an OOM kill or a lost node would)."""
    marker = Path(markers) / job.student
    if job.student == "solution" and not marker.exists():
        marker.touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return grader.grade.grade(job)


def _always_dies(markers: str, job):
    (Path(markers) / f"{job.student}-{time.monotonic_ns()}").touch()
    os.kill(os.getpid(), signal.SIGKILL)


@pytest.mark.timeout(600)
def test_killed_worker_is_resubmitted_once_then_recorded_as_error(tmp_path, monkeypatch):
    """With Dask's allowed failures used up (here 0), a KilledWorker job gets one more try, then `error`."""
    course, doomed, markers = tmp_path / "course", tmp_path / "doomed", tmp_path / "markers"
    markers.mkdir()
    write_submission(course, "solution", "conv2d", submission(ASSIGNMENT, None))
    write_submission(course, "stub", "conv2d", release_notebook(ASSIGNMENT))
    write_submission(doomed, "solution", "conv2d", submission(ASSIGNMENT, None))
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        # The dead worker may have held the stub's job too: both come back as KilledWorker, both are resubmitted.
        monkeypatch.setattr(grader.autograde, "grade", functools.partial(_dies_once, str(markers)))
        summary = autograde(course, ASSIGNMENT, client_factory=client_factory(workers=1), progress=False)
        assert summary.ok and summary.graded == 2, summary.errors
        assert [p.name for p in markers.iterdir()] == ["solution"]
        book = scores(course_db_url(course), "conv2d")
        assert (book["solution"]["score"], book["stub"]["score"]) == (ASSIGNMENT.max_score, 0)

        for item in markers.iterdir():
            item.unlink()
        monkeypatch.setattr(grader.autograde, "grade", functools.partial(_always_dies, str(markers)))
        summary = autograde(doomed, ASSIGNMENT, client_factory=client_factory(workers=1), progress=False)
    assert summary.graded == 0 and len(summary.errors) == 1
    assert "KilledWorker" in summary.errors[0], summary.errors
    assert len(list(markers.iterdir())) == 2  # it ran twice: Dask's try and the orchestrator's one more
    stored = results.read(paths.autograded_dir(doomed, "solution", "conv2d") / "result.json")
    assert stored["status"] == "error" and "KilledWorker" in stored["reason"]
    assert scores(course_db_url(doomed), "conv2d") == {}  # an error writes nothing into the gradebook


def test_unreachable_scheduler_is_a_one_line_error(tmp_path):
    write_submission(tmp_path, "solution", "conv2d", submission(ASSIGNMENT, None))
    started = time.monotonic()
    with pytest.raises(SchedulerUnreachable) as error, client_factory(scheduler=f"tcp://127.0.0.1:{free_port()}",
                                                                      timeout=2)():
        pass
    assert "no Dask scheduler answered at tcp://127.0.0.1:" in str(error.value)
    assert "\n" not in str(error.value) and time.monotonic() - started < 60
    process = autograde_cli(tmp_path, "--scheduler", f"tcp://127.0.0.1:{free_port()}")
    output, _ = process.communicate(timeout=180)
    assert process.returncode == 1
    assert "error: no Dask scheduler answered" in output and "Traceback" not in output


def test_a_keras_job_sent_to_a_gpu_worker_without_a_gpu_is_an_error_and_graded_again_later(tmp_path):
    """A worker offering GPU=1 without the start-up check (no grader.gpuworker preload) gets the Keras job."""
    transfer = Assignment.find("transfer")
    write_submission(tmp_path, "solution", "transfer", submission(transfer, None))
    result_file = paths.autograded_dir(tmp_path, "solution", "transfer") / results.RESULT_FILE
    cluster = Cluster(tmp_path / "cluster")
    (tmp_path / "cluster").mkdir()
    try:
        cluster.start(1, "--resources", "GPU=1")
        output = finish(autograde_cli(tmp_path, "--scheduler", cluster.address, assignment="transfer"), returncode=1)
    finally:
        cluster.stop()
    result = results.read(result_file)
    assert result["status"] == "error" and result["score"] == 0, output
    assert result["reason"].startswith("the student process was given a GPU, but: ") and "TensorFlow sees no GPU" in \
        result["reason"]
    assert result["sandbox"]["gpu"]["required"] is True
    assert "solution" not in scores(course_db_url(tmp_path), "transfer"), "an error writes no grade"
    assert "1 errors" in output and "error: solution: the student process was given a GPU, but: " in output

    finish(autograde_cli(tmp_path, "--workers", "1", assignment="transfer"))  # elsewhere: a CPU worker
    regraded = results.read(result_file)
    assert regraded["status"] == "graded" and regraded["score"] == transfer.max_score
    assert regraded["sandbox"]["gpu"] == {"required": False, "student": [], "checker": []}
    assert scores(course_db_url(tmp_path), "transfer")["solution"]["score"] == transfer.max_score


def test_start_gpu_workers_script_gives_each_gpu_its_own_worker():
    script = ROOT / "scripts" / "start_gpu_workers.sh"
    gpu = subprocess.run([str(script), "--dry-run", "tcp://10.0.0.1:8786", "2"], capture_output=True, text=True,
                         check=True, env=ENV).stdout.splitlines()
    assert len(gpu) == 2
    for index, line in enumerate(gpu):
        assert f"CUDA_VISIBLE_DEVICES={index} " in line
        for needed in ("TF_FORCE_GPU_ALLOW_GROWTH=true", "NVIDIA_TF32_OVERRIDE=0", "TF_DETERMINISTIC_OPS=1",
                       " worker tcp://10.0.0.1:8786 ", "--nworkers 1", "--nthreads 1", "--resources GPU=1",
                       "--preload grader.gpuworker"):
            assert needed in line, (needed, line)
    cpu = subprocess.run([str(script), "--dry-run", "--cpu", "3", "tcp://10.0.0.1:8786"], capture_output=True,
                         text=True, check=True, env=ENV).stdout.splitlines()
    assert len(cpu) == 1 and "--nworkers 3 --nthreads 1" in cpu[0] and "GPU" not in cpu[0]


def _swell(gib: float) -> int:
    """A checker gone wrong: touches ``gib`` GiB of memory in the worker process itself."""
    import numpy as np

    return int(np.ones(int(gib * (1 << 30)) // 8).sum())


def test_a_checker_over_its_memory_cap_loses_its_worker_not_the_machine():
    from distributed import KilledWorker

    with client_factory(workers=1)() as client:
        limits = {w["memory_limit"] for w in client.scheduler_info()["workers"].values()}
        assert limits == {dask.utils.parse_bytes(grader.cluster.CHECKER_MEMORY)}
        with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
            with pytest.raises(KilledWorker):
                client.submit(_swell, 5.0, pure=False).result(timeout=120)
        assert client.submit(_swell, 0.01, pure=False).result(timeout=60) > 0, "the cluster recovered"


@contextlib.contextmanager
def port_taken(port: int):
    """``port`` is in use on this machine for the duration: by our listener, or by whoever already holds it."""
    listener = socket.socket()
    with contextlib.suppress(OSError):  # already taken: just as good
        listener.bind(("", port))
        listener.listen()
    try:
        with socket.socket() as probe, pytest.raises(OSError):
            probe.bind(("127.0.0.1", port))
        yield
    finally:
        listener.close()


def test_quiet_batch_prints_nothing_on_stderr_though_port_8787_is_taken(tmp_path):
    """No dashboard, and the scheduler's HTTP server takes any free port: no 'Port 8787 is already in use' warning."""
    write_submission(tmp_path, "solution", "conv2d", submission(ASSIGNMENT, None))
    write_submission(tmp_path, "stub", "conv2d", release_notebook(ASSIGNMENT))
    with port_taken(8787):
        done = subprocess.run([sys.executable, "-m", "grader", "autograde", "conv2d", "--course", str(tmp_path),
                               "--workers", "1", "--quiet"], cwd=ROOT, env=ENV, capture_output=True, text=True,
                              timeout=BATCH_TIMEOUT_S)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout == "conv2d: 2 graded, 0 ungradable, 0 errors, 0 unchanged (skipped)\n"
    assert done.stderr == ""
