"""Scale-out figures on a loopback Dask cluster: real `dask scheduler` and `dask worker` processes.

    python benchmarks/bench_cluster.py [--n 40] [--noop 200] [--jobs 24] [--sleep 2] [--plot PNG]

Measured through the orchestrator's own client path (``grader.cluster.client_factory(scheduler=...)``):

1. scheduling overhead: ``--noop`` trivial tasks submitted at once, per-task wall = wall / n,
   and the round trip of one trivial task at a time (median);
2. end-to-end overhead of a grading job: ``grader.autograde.autograde`` over ``--jobs`` jobs that
   each sleep ``--sleep`` seconds and return a valid result (validated, written atomically and
   recorded in the gradebook as usual); from each job's worker-side timestamps and its
   result.json mtime: a worker's idle gap between jobs + the job-end-to-result-on-disk latency,
   and the orchestrator's own time per result (validate, store, gradebook);
3. grading throughput (submissions/s) of an ``--n``-submission conv2d class (real notebooks,
   sandbox, hidden checks, gradebook) with 1 and with 2 workers, and their ratio.

Writes a PNG plot and prints (and stores in .bench/cluster.json) a JSON report.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import itertools
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_autograde import machine, make_class

import grader.autograde
from grader.assignment import Assignment
from grader.cluster import client_factory
from grader.results import new_result
from grader.sampleclass import submission, write_submission

BIN = Path(sys.executable).parent
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}


def noop(i: int) -> int:
    return i


def sleep_job(seconds: float, cells: dict, job) -> dict:
    """A stand-in grading job: sleeps, then returns a valid graded result (zero points) with its timestamps."""
    from distributed import get_worker

    start = time.time()
    time.sleep(seconds)
    return new_result(job.student, job.assignment, "graded", notebook_sha256="0" * 64, cells=cells,
                      max_score=sum(c["max_score"] for c in cells.values()),
                      timings={"start": start, "end": time.time()}, sandbox={"worker": str(get_worker().name)})


class LoopbackCluster:
    """`dask scheduler` and `dask worker` processes on 127.0.0.1, each in its own process group."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.processes: list[subprocess.Popen] = []
        self.spawn("scheduler", "scheduler", "--host", "127.0.0.1", "--port", str(self.port), "--no-dashboard")

    def spawn(self, name: str, *args: str) -> None:
        with open(self.workdir / f"{name}.log", "w") as log:
            self.processes.append(subprocess.Popen([str(BIN / "dask"), *args], cwd=ROOT, env=ENV, stdout=log,
                                                   stderr=subprocess.STDOUT, start_new_session=True))

    def add_worker(self) -> None:
        index = len(self.processes) - 1
        self.spawn(f"worker{index}", "worker", self.address, "--nworkers", "1", "--nthreads", "1",
                   "--no-dashboard", "--name", f"w{index}", "--local-directory", str(self.workdir / f"w{index}"))
        self.wait_for_workers(index + 1)
        with client_factory(scheduler=self.address)() as client:  # warm: a long-running worker has these loaded
            client.run(importlib.import_module, "grader.grade")

    def wait_for_workers(self, count: int, timeout: float = 300) -> None:
        from distributed import Client

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with Client(self.address, timeout=10) as client:
                    client.wait_for_workers(count, timeout=max(1.0, deadline - time.monotonic()))
                    return
            except (OSError, TimeoutError):
                time.sleep(0.5)
        raise RuntimeError(f"the cluster did not reach {count} workers; logs in {self.workdir}")

    def stop(self) -> None:
        for process in reversed(self.processes):
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def scheduling_overhead(address: str, n: int) -> dict:
    from distributed import as_completed

    with client_factory(scheduler=address)() as client:
        client.submit(noop, -1, pure=False).result()  # warm: the function reaches the workers once
        start = time.perf_counter()
        futures = [client.submit(noop, i, pure=False, retries=1) for i in range(n)]
        for _ in as_completed(futures):
            pass
        batch = time.perf_counter() - start
        round_trips = []
        for i in range(30):
            start = time.perf_counter()
            client.submit(noop, i, pure=False, retries=1).result()
            round_trips.append(time.perf_counter() - start)
    return {"tasks": n, "batch_wall_s": round(batch, 3), "per_task_ms": round(1000 * batch / n, 2),
            "round_trip_median_ms": round(1000 * statistics.median(round_trips), 2)}


def sleep_class(course: Path, assignment: Assignment, n: int) -> None:
    notebook = submission(assignment, None)
    for i in range(n):
        write_submission(course, f"s{i:04d}", assignment.name, notebook)


def end_to_end_overhead(address: str, course: Path, assignment: Assignment, seconds: float, n: int) -> dict:
    """autograde() over ``n`` jobs that sleep ``seconds``; timestamps split each job's cost.

    Each job records when it started and ended on its worker; the orchestrator's result.json
    mtime says when it was on disk. Dispatch gap: a worker's idle time between two of its
    jobs (the scheduling cost to throughput). Result latency: job end -> result written by
    the orchestrator (transfer, validation, atomic write). Their sum is the per-job overhead
    over the job's own work, taken from the middle of a batch: the batch's fixed costs
    (connecting, opening the gradebook) are reported apart. The sleep should be long enough that
    results arrive slower than the orchestrator finishes them, or the latency measures its queue.
    """
    from grader import paths, results

    cells = {cell: {"score": 0.0, "max_score": points} for cell, points in assignment.grade_cells.items()}
    sleep_class(course, assignment, n)
    original_grade, original_finish = grader.autograde.grade, grader.autograde._finish
    finishing: list[float] = []

    def timed_finish(*args, **kwargs):  # the orchestrator's own work per result: validate, store, gradebook
        start = time.perf_counter()
        original_finish(*args, **kwargs)
        finishing.append(time.perf_counter() - start)

    grader.autograde.grade = functools.partial(sleep_job, seconds, cells)
    grader.autograde._finish = timed_finish
    try:
        called = time.time()
        summary = grader.autograde.autograde(course, assignment, client_factory=client_factory(scheduler=address),
                                             force=True, progress=False)
        returned = time.time()
    finally:
        grader.autograde.grade, grader.autograde._finish = original_grade, original_finish
    assert summary.graded == n, summary.errors
    docs = []
    for student in (p.name for p in (course / "submitted").iterdir()):
        path = paths.autograded_dir(course, student, assignment.name) / results.RESULT_FILE
        docs.append({**results.read(path), "written": path.stat().st_mtime})
    per_worker: dict[str, list[dict]] = {}
    for doc in docs:
        per_worker.setdefault(doc["sandbox"]["worker"], []).append(doc)
    gaps = []
    for jobs in per_worker.values():
        jobs.sort(key=lambda d: d["timings"]["start"])
        gaps += [b["timings"]["start"] - a["timings"]["end"] for a, b in itertools.pairwise(jobs)]
    latency = [d["written"] - d["timings"]["end"] for d in docs]
    ran = [d["timings"]["end"] - d["timings"]["start"] - seconds for d in docs]
    first_start = min(d["timings"]["start"] for d in docs)
    gap, late = statistics.median(gaps), statistics.median(latency)
    return {"sleep_s": seconds, "jobs": n, "jobs_per_worker": {w: len(j) for w, j in per_worker.items()},
            "dispatch_gap_median_ms": round(1000 * gap, 1), "dispatch_gap_p90_ms": round(1000 * quantile(gaps, 0.9), 1),
            "result_latency_median_ms": round(1000 * late, 1),
            "result_latency_p90_ms": round(1000 * quantile(latency, 0.9), 1),
            "sleep_overrun_median_ms": round(1000 * statistics.median(ran), 1),
            "orchestrator_finish_median_ms": round(1000 * statistics.median(finishing), 1),
            "orchestrator_finish_p90_ms": round(1000 * quantile(finishing, 0.9), 1),
            "overhead_per_job_ms": round(1000 * (gap + late), 1),
            "fixed_cost_before_first_job_s": round(first_start - called, 2),
            "batch_wall_s": round(returned - called, 2)}


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def throughput(address: str, course: Path, assignment: Assignment) -> dict:
    n = len(list((course / "submitted").iterdir()))
    start = time.perf_counter()
    summary = grader.autograde.autograde(course, assignment, client_factory=client_factory(scheduler=address),
                                         force=True, progress=False)
    wall = time.perf_counter() - start
    assert summary.ok and summary.graded == n, summary.errors
    return {"n": n, "wall_s": round(wall, 2), "per_submission_s": round(wall / n, 3),
            "submissions_per_s": round(n / wall, 3)}


def plot(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    runs = report["throughput"]
    labels = [f"{k} worker{'s' if k != '1' else ''}" for k in runs]
    rates = [runs[k]["submissions_per_s"] for k in runs]
    bars = left.bar(labels, rates, color=["#7a9cc6", "#2f5d8c"][:len(rates)])
    left.bar_label(bars, fmt="%.2f")
    left.set_ylabel("submissions / s")
    left.set_title(f"conv2d, {report['n']} submissions (ratio {report['throughput_ratio']:.2f})")
    over = report["scheduling"]
    e2e = report["end_to_end"]
    names = ["no-op,\nbatch", "no-op,\nround trip", "grading job,\nend-to-end", "orchestrator\nper result"]
    values = [over["per_task_ms"], over["round_trip_median_ms"], e2e["overhead_per_job_ms"],
              e2e["orchestrator_finish_median_ms"]]
    bars = right.bar(names, values, color="#c67a7a")
    right.bar_label(bars, fmt="%.1f")
    right.axhline(100, color="grey", linestyle="--", linewidth=1, label="goal: 100 ms")
    right.set_ylim(0, 1.25 * max(100, *values))
    right.legend(loc="upper left", fontsize=8, frameon=False)
    right.set_ylabel("ms")
    right.set_title("overhead per job (ms)")
    fig.suptitle(f"Loopback Dask cluster, {os.cpu_count()} cores", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=40, help="conv2d class size for the throughput runs")
    parser.add_argument("--noop", type=int, default=200, help="trivial tasks for the scheduling overhead")
    parser.add_argument("--sleep", type=float, default=2.0, help="seconds a stand-in grading job sleeps")
    parser.add_argument("--jobs", type=int, default=24, help="stand-in grading jobs for the end-to-end overhead")
    parser.add_argument("--plot", default=str(ROOT / "benchmarks" / "cluster_throughput.png"))
    parser.add_argument("--workdir", default=str(ROOT / ".bench" / "cluster"))
    args = parser.parse_args()
    work = Path(args.workdir)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    assignment = Assignment.find("conv2d")
    make_class(work / "class", assignment, args.n)
    report = {"machine": machine(), "load_average_at_start": os.getloadavg(), "n": args.n}
    cluster = LoopbackCluster(work / "cluster")
    try:
        cluster.add_worker()
        make_class(work / "warm", assignment, 2)  # not measured: the first grading job pays for cold caches
        throughput(cluster.address, work / "warm", assignment)
        report["throughput"] = {"1": throughput(cluster.address, work / "class", assignment)}
        cluster.add_worker()
        report["scheduling"] = scheduling_overhead(cluster.address, args.noop)
        report["end_to_end"] = end_to_end_overhead(cluster.address, work / "sleep", assignment, args.sleep, args.jobs)
        report["throughput"]["2"] = throughput(cluster.address, work / "class", assignment)
    finally:
        cluster.stop()
    report["throughput_ratio"] = round(report["throughput"]["2"]["submissions_per_s"]
                                       / report["throughput"]["1"]["submissions_per_s"], 2)
    report["load_average_at_end"] = os.getloadavg()
    plot(report, Path(args.plot))
    report["plot"] = str(Path(args.plot).relative_to(ROOT)) if Path(args.plot).is_relative_to(ROOT) else args.plot
    (work / "cluster.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
