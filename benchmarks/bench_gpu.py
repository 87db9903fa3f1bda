"""The GPU grading benchmark (issue 13): time, memory and speed-up per job, GPU against CPU, and the checks' spread.

On a GPU grading machine set up with ``make gpu-worker``, in ONE call (estimated 7 minutes on 16 cores
and one NVIDIA H200; the default plan alone, without --seeds and --variants, 2.3 minutes; the plan and
its estimate are printed first, and no job starts after ``--budget-s``):

    PATH=$PWD/.venv/bin:$PATH python benchmarks/bench_gpu.py --seeds 3 --variants --json gpu.json

Every grading job runs in a fresh child process (no TensorFlow state carried from job to job) through
``grader.grade.grade``, the job a grading worker runs (bubblewrap sandbox, memory cap, every hidden check):

1. The machine: nvidia-smi's GPU name, driver and memory, the CPU count, TensorFlow's version and devices.
2. Always, one job at a time: the instructor's solution of lenet, transfer and fcn graded on the GPU
   (``GradingJob(gpu=True)``: it must find the GPU, or its result is an error) and with the GPU hidden
   (``CUDA_VISIBLE_DEVICES=-1``, ``gpu=False``). Per job: wall time of the child, the grading time
   (``timings.total_s``), the student code's time, score, failed checks, peak GPU memory (nvidia-smi
   polled every 0.1 s in a thread, minus its level before the job), the student process tree's peak
   RAM, the checker's RSS; per assignment the speed-up CPU / GPU of this very run.
3. ``--seeds N``: the solution again with the notebook's seeds moved by s = 1..N (each
   ``keras.utils.set_random_seed(K)`` in the locked cells of a copy of the source notebook becomes
   K + s; the grader takes locked cells from the source, so the copy is graded as its own assignments
   root) on each device. Then, per figure a check measures
   (``grader.checks.measure``), min-max per device over the N + 1 runs and the largest GPU - CPU
   difference at the same seeds, and every run's score (all must be full marks): the table that each
   checks.py docstring states.
4. ``--variants``: every known-wrong variant (must lose points on its targets) and every correct
   alternative (must score full marks and pass the visible tests), judged as ``grader gate`` judges
   them, on the GPU (on the CPU when there is none). The jobs of 3 and 4 run ``--jobs`` at a time
   (default 6 on 16 CPUs), the figures of the timing jobs give a fresh estimate before they start.
5. The projection for 300 students x 6 assignments (1,800 jobs) on k = 1, 2, 4, 8, 16 workers from the
   per-job grading times measured here (numpy jobs: ``--numpy-s``, 2.6 s, BENCHMARKS.md's figure), in
   the shape of BENCHMARKS.md's "Projection" section.

Without a usable GPU (no nvidia-smi, no GPU listed, or TensorFlow sees none) it says so in capitals and
measures the CPU columns only; ``--cpu-only`` asks for that (on a small machine add ``--budget-s 0``).

Exit status: 0 when every figure the run reports was measured and every expectation held; 1 when one
did not hold (a solution or alternative below full marks, a variant that kept its points, a GPU job
whose processes saw no GPU, a CPU job that saw one, a job that crashed or timed out); 3 when no GPU was
found although the run was not ``--cpu-only`` (the CPU figures were measured, the GPU ones were not);
4 when the time budget (``--budget-s``, default 500 s, so that the call fits a 10-minute slot) ran out
and jobs were skipped (named in the output). ``--json FILE`` writes the raw figures, after each phase too.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import nbformat

from grader.assignment import Assignment
from grader.gate import ALTERNATIVE
from grader.gate import _judge as gate_judge  # the gate's own verdict on one result
from grader.sampleclass import submission, write_submission

KERAS = ("lenet", "transfer", "fcn")
STUDENTS = 300
NUMPY_ASSIGNMENTS = 3        # conv2d, padding_stride, pooling
NUMPY_JOB_S = 2.6            # BENCHMARKS.md's projection: the 1-worker conv2d figure of issue 6
ORCHESTRATOR_S = 0.2         # BENCHMARKS.md: the orchestrator's time per result, a floor on any batch
WORKERS = (1, 2, 4, 8, 16)
POLL_S = 0.1
BUDGET_S = 500
JOB_TIMEOUT_S = 420
NVIDIA_SMI_MEMORY = ("nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits")
NVIDIA_SMI_INFO = ("nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader")
SEED_CALL = re.compile(r"(keras\.utils\.set_random_seed\()(\d+)(\))")
# Rough seconds per job for the printed estimate: the CPU figures are the 2-core machine's grading times in
# BENCHMARKS.md (a 16-core machine is faster); the GPU ones a guess (no GPU run yet). Jobs run side by side
# (--jobs) are taken to slow each other by CONCURRENT_SLOWDOWN.
ESTIMATE_S = {"gpu": {"lenet": 15, "transfer": 10, "fcn": 20}, "cpu": {"lenet": 15, "transfer": 8, "fcn": 36}}
CONCURRENT_SLOWDOWN = 1.6
PROBE_S = 15

# One grading job in a fresh interpreter: its RUSAGE_SELF is the checker's alone, no TensorFlow state is shared.
CHILD = r"""
import json, resource, sys, time
start = time.perf_counter()
from grader.grade import GradingJob, grade
spec = json.loads(sys.argv[1])
doc = grade(GradingJob(spec["student"], spec["assignment"], spec["notebook"], spec["root"],
                       confined=spec["confined"], gpu=spec["gpu"]))
doc["bench"] = {"process_s": time.perf_counter() - start,
                "checker_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
with open(spec["out"], "w", encoding="utf-8") as handle:
    json.dump(doc, handle)
"""

TF_DEVICES = r"""
import json
import tensorflow as tf
gpus = tf.config.list_physical_devices("GPU")
details = []
for gpu in gpus:
    try:
        found = tf.config.experimental.get_device_details(gpu)
        details.append(f"{gpu.name}: {found.get('device_name', '?')}, "
                       f"compute capability {found.get('compute_capability')}")
    except Exception as error:
        details.append(f"{gpu.name}: {type(error).__name__}")
print(json.dumps({"tensorflow": tf.__version__, "cuda_build": tf.test.is_built_with_cuda(),
                  "devices": [f"{d.device_type} {d.name}" for d in tf.config.list_physical_devices()],
                  "gpus": [d.name for d in gpus], "gpu_details": details}))
"""


# ----------------------------------------------------------------------------- pure parts (tests/test_bench_gpu.py)

def shift_seeds(source: str, shift: int) -> tuple[str, int]:
    """``source`` with every ``keras.utils.set_random_seed(K)`` made ``K + shift``, and how many there were."""
    return SEED_CALL.subn(lambda m: f"{m.group(1)}{int(m.group(2)) + shift}{m.group(3)}", source)


def shifted_assignment(assignment: Assignment, shift: int, into: Path) -> Path:
    """An assignments root under ``into`` whose copy of ``assignment`` trains with its seeds moved by ``shift``.

    The whole assignment folder (grading/ and its data) is copied, its source notebook's seeds rewritten,
    and its released folders copied beside it (``into/release/LANG/NAME``), where ``Assignment`` looks for the
    released notebook and data. Raises ValueError when the notebook has no seed to move.
    """
    root = into / "assignments"
    copy = root / assignment.name
    shutil.copytree(assignment.root, copy)
    for language in assignment.languages:
        released = assignment.release_path(language=language).parent
        shutil.copytree(released, into / "release" / language / assignment.name)
    path = copy / f"{assignment.name}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    moved = 0
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.source, count = shift_seeds(cell.source, shift)
            moved += count
    if not moved:
        raise ValueError(f"{assignment.source_path} has no keras.utils.set_random_seed(K) to move")
    nbformat.write(notebook, path)
    return root


def parse_memory_used(text: str) -> float | None:
    """MiB in use on all GPUs, from ``nvidia-smi --query-gpu=memory.used`` (one line per GPU); None if unreadable."""
    values = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        match = re.fullmatch(r"(\d+(?:\.\d+)?)(?:\s*MiB)?", line)
        if match is None:
            return None  # "[N/A]", "No devices were found", an error
        values.append(float(match.group(1)))
    return sum(values) if values else None


class GpuMemoryPoller:
    """Peak GPU memory while a ``with`` block runs: ``command`` every ``interval`` s in a thread, minus the baseline.

    ``peak_mb`` is the highest reading minus the one taken on entry (None when ``command`` gave no reading).
    """

    def __init__(self, command=NVIDIA_SMI_MEMORY, interval: float = POLL_S):
        self.command, self.interval = list(command), interval
        self.baseline: float | None = None
        self.highest: float | None = None
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="gpu-memory", daemon=True)

    def sample(self) -> float | None:
        try:
            done = subprocess.run(self.command, capture_output=True, text=True, timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return parse_memory_used(done.stdout) if done.returncode == 0 else None

    def _record(self, value: float | None) -> None:
        if value is not None:
            self.samples += 1
            self.highest = value if self.highest is None else max(self.highest, value)

    def _poll(self) -> None:
        while not self._stop.wait(self.interval):
            self._record(self.sample())

    def __enter__(self) -> "GpuMemoryPoller":
        self.baseline = self.sample()
        self._record(self.baseline)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mb(self) -> float | None:
        if self.baseline is None or self.highest is None:
            return None
        return max(0.0, self.highest - self.baseline)


def projection(keras_s: dict[str, float], numpy_s: float = NUMPY_JOB_S, students: int = STUDENTS,
               workers=WORKERS, orchestrator_s: float = ORCHESTRATOR_S) -> dict:
    """BENCHMARKS.md's projection: ``students`` x (the Keras assignments + 3 numpy ones) on k workers.

    ``keras_s``: seconds per job of each Keras assignment on one worker. A batch is one assignment's
    ``students`` jobs (the Keras column: the longest assignment); no batch is faster than the
    orchestrator's ``orchestrator_s`` per result (the floor).
    """
    keras_total = students * sum(keras_s.values())
    numpy_total = students * NUMPY_ASSIGNMENTS * numpy_s
    jobs = students * (len(keras_s) + NUMPY_ASSIGNMENTS)
    longest = max(keras_s, key=keras_s.get)
    rows = []
    for k in workers:
        keras_batch, numpy_batch = students * keras_s[longest] / k, students * numpy_s / k
        every = (keras_total + numpy_total) / k
        batch_floor, all_floor = students * orchestrator_s, jobs * orchestrator_s
        rows.append({"workers": k,
                     "keras_batch_s": max(keras_batch, batch_floor), "keras_floor": keras_batch < batch_floor,
                     "numpy_batch_s": max(numpy_batch, batch_floor), "numpy_floor": numpy_batch < batch_floor,
                     "all_s": max(every, all_floor), "all_floor": every < all_floor})
    return {"students": students, "jobs": jobs, "keras_s": dict(keras_s), "numpy_s": numpy_s, "longest": longest,
            "keras_total_s": keras_total, "numpy_total_s": numpy_total, "total_s": keras_total + numpy_total,
            "rows": rows}


def duration(seconds: float) -> str:
    """"6.3 h", "94 min", "6.5 min", "48 s": the units BENCHMARKS.md's projection uses (halves rounded up)."""
    def up(value: float, digits: int) -> str:
        return f"{round(value + 1e-9, digits):.{digits}f}"

    if seconds >= 100 * 60:
        return f"{up(seconds / 3600, 1)} h"
    if seconds >= 10 * 60:
        return f"{up(seconds / 60, 0)} min"
    if seconds >= 60:
        return f"{up(seconds / 60, 1)} min"
    return f"{up(seconds, 0)} s"


def projection_text(found: dict, what: str) -> str:
    """The projection as markdown, in the shape of BENCHMARKS.md's section; ``what`` names the workers."""
    keras, students = found["keras_s"], found["students"]
    per_job = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in keras.items())
    terms = " + ".join(f"{seconds:.1f}" for seconds in keras.values())
    numpy_jobs = students * NUMPY_ASSIGNMENTS
    lines = [f"### Projection: {students} students × {len(keras) + NUMPY_ASSIGNMENTS} assignments on k {what}", "",
             f"{found['jobs']:,} grading jobs. Per job on one worker, measured in this run: {per_job}; numpy "
             f"assignments {found['numpy_s']:g} s (BENCHMARKS.md's figure, not measured here).", "",
             f"Total work: {students} × ({terms}) s + {numpy_jobs} × {found['numpy_s']:g} s = "
             f"{found['keras_total_s']:,.0f} s + {found['numpy_total_s']:,.0f} s ≈ {duration(found['total_s'])} "
             "on one worker, divided by k:", "",
             f"| k workers | one Keras batch ({students} jobs; {found['longest']}, the longest) "
             f"| one numpy batch ({students} jobs) | all {found['jobs']:,} jobs |", "|---:|---:|---:|---:|"]
    floor = " (orchestrator floor)"
    for row in found["rows"]:
        lines.append(f"| {row['workers']} | {duration(row['keras_batch_s'])}{floor if row['keras_floor'] else ''} "
                     f"| {duration(row['numpy_batch_s'])}{floor if row['numpy_floor'] else ''} "
                     f"| {duration(row['all_s'])}{floor if row['all_floor'] else ''} |")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- the machine

def _run(argv, **kwargs) -> subprocess.CompletedProcess | None:
    try:
        return subprocess.run(list(argv), capture_output=True, text=True, **kwargs)
    except (OSError, subprocess.TimeoutExpired):
        return None


def child_env(device: str) -> dict[str, str]:
    """A child's environment: this venv's bin/ first (nbgrader's alembic), the repository importable;
    the GPU hidden for a CPU job."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
           "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    if device == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = "-1"
    return env


def machine() -> dict:
    """What this machine is: CPUs, nvidia-smi's GPUs, TensorFlow's devices (from a child: this process loads no TF)."""
    info = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpus": os.cpu_count(),
            "cpu_model": "", "platform": platform.platform(), "python": platform.python_version(),
            "load_average": round(os.getloadavg()[0], 2), "nvidia_smi": "", "gpus": [], "tensorflow": {}}
    try:
        info["cpu_model"] = next((line.split(":", 1)[1].strip() for line in
                                  Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), "")
    except OSError:
        pass
    done = _run(NVIDIA_SMI_INFO, timeout=30)
    if done is None:
        info["nvidia_smi"] = "nvidia-smi is not installed (or did not answer)"
    elif done.returncode != 0:
        info["nvidia_smi"] = f"nvidia-smi failed: {(done.stdout + done.stderr).strip()[:200]}"
    else:
        info["gpus"] = [line.strip() for line in done.stdout.splitlines() if line.strip()]
        info["nvidia_smi"] = "ok"
    done = _run([sys.executable, "-c", TF_DEVICES], env=child_env("gpu"), timeout=180)
    if done is not None and done.returncode == 0 and done.stdout.strip():
        info["tensorflow"] = json.loads(done.stdout.strip().splitlines()[-1])
    else:
        info["tensorflow"] = {"error": (done.stderr.strip()[-300:] if done is not None else "did not start")}
    return info


def why_no_gpu(info: dict) -> str:
    """Why this machine cannot grade on a GPU, or "" when it can."""
    tf = info["tensorflow"]
    if not info["gpus"]:
        return info["nvidia_smi"] if info["nvidia_smi"] != "ok" else "nvidia-smi lists no GPU"
    if "error" in tf:
        return f"TensorFlow does not load: {tf['error']}"
    if not tf.get("gpus"):
        build = "a CUDA build" if tf.get("cuda_build") else "a CPU-only build (tensorflow-cpu): run make gpu-worker"
        return (f"nvidia-smi lists {', '.join(info['gpus'])}, but TensorFlow {tf.get('tensorflow')} ({build}) "
                "sees no GPU")
    return ""


def sandbox_confined() -> bool:
    from grader.sandbox.bwrap import SandboxUnavailable, probe

    try:
        probe()
        return True
    except (SandboxUnavailable, OSError, subprocess.TimeoutExpired) as problem:
        print(f"WARNING: no sandbox here ({problem}); grading UNCONFINED, figures are not a worker's", flush=True)
        return False


# ----------------------------------------------------------------------------- jobs

@dataclasses.dataclass
class Job:
    """One grading job of the plan."""

    phase: str              # "timing", "seeds", "variants"
    assignment: str
    device: str             # "gpu" or "cpu"
    student: str            # "solution", "variant-NAME", "alternative-NAME"
    notebook: str
    root: str               # the assignments root it is graded from
    shift: int = 0          # the notebook's seeds moved by this much
    variant: object = dataclasses.field(default=None, repr=False)

    @property
    def label(self) -> str:
        shifted = f" seeds+{self.shift}" if self.shift else ""
        return f"{self.assignment} {self.student}{shifted} on the {self.device.upper()}"


def _expected(job: Job) -> str:
    return "loses points on " + ", ".join(job.variant.targets) if job.variant is not None else "full marks"


def judge(job: Job, result: dict) -> list[str]:
    """What is wrong with a finished job's result: the gate's verdict, and the device it must have run on."""
    problems = []
    if result["status"] != "graded":
        return [f"{result['status']}: {result.get('reason', '')[:300]}"]
    line = gate_judge(job.student, result, job.variant)
    if not line.ok:
        problems.append(f"expected {line.expected}: {line.problem}"[:400])
    seen = result.get("sandbox", {}).get("gpu")
    if seen is None:
        problems.append("the result does not say which devices its processes saw (sandbox.gpu)")
    elif job.device == "gpu" and not (seen.get("required") and seen.get("student") and seen.get("checker")):
        problems.append(f"a GPU job whose processes did not all see the GPU: {seen}")
    elif job.device == "cpu" and (seen.get("student") or seen.get("checker")):
        problems.append(f"a CPU job that saw a GPU: {seen}")
    return problems


def run_job(job: Job, confined: bool, scratch: Path, deadline: float, poll: bool) -> dict:
    """Grade ``job`` in a fresh child process; its row of figures (status "skipped"/"failed" when it did not run)."""
    row = {"phase": job.phase, "assignment": job.assignment, "device": job.device, "student": job.student,
           "shift": job.shift, "expected": _expected(job)}
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return {**row, "status": "skipped", "problems": ["not started: the time budget ran out"]}
    out = scratch / f"{job.phase}-{job.assignment}-{job.device}-{job.student}-{job.shift}.json"
    spec = {"student": job.student, "assignment": job.assignment, "notebook": job.notebook, "root": job.root,
            "confined": confined, "gpu": job.device == "gpu", "out": str(out)}
    timeout = max(30.0, min(JOB_TIMEOUT_S, remaining + 45))
    poller = GpuMemoryPoller() if poll else None
    start = time.perf_counter()
    try:
        if poller:
            poller.__enter__()
        done = subprocess.run([sys.executable, "-c", CHILD, json.dumps(spec)], env=child_env(job.device),
                              capture_output=True, text=True, timeout=timeout)
        failure = "" if done.returncode == 0 and out.is_file() else \
            f"the grading process failed ({done.returncode}): {done.stderr.strip()[-600:]}"
    except subprocess.TimeoutExpired:
        failure = f"the grading process ran past {timeout:.0f} s and was killed"
    finally:
        if poller:
            poller.__exit__()
    row["wall_s"] = round(time.perf_counter() - start, 2)
    row["gpu_peak_mb"] = poller.peak_mb if poller else None
    if failure:
        return {**row, "status": "failed", "problems": [failure]}
    result = json.loads(out.read_text(encoding="utf-8"))
    sandbox, timings = result.get("sandbox", {}), result.get("timings", {})
    row.update(status=result["status"], reason=result.get("reason", ""), score=result["score"],
               max_score=result["max_score"], grading_s=timings.get("total_s"), student_s=timings.get("student_s"),
               student_peak_mb=sandbox.get("peak_memory_mb"), memory_cap=sandbox.get("memory_cap"),
               checker_rss_mb=round(result["bench"]["checker_rss_mb"], 1), devices=sandbox.get("gpu"),
               failed=[c["name"] for c in result["checks"] if c["outcome"] != "passed"],
               measured={c["name"]: c["measured"] for c in result["checks"] if c.get("measured")},
               problems=judge(job, result))
    return row


def run_phase(jobs: list[Job], concurrency: int, confined: bool, scratch: Path, deadline: float,
              gpu: bool) -> tuple[list[dict], float | None]:
    """Every job, ``concurrency`` at a time, each line printed as it ends; (rows, the phase's peak GPU memory)."""
    rows: list[dict] = []
    alone = concurrency == 1
    poller = GpuMemoryPoller() if gpu and not alone else None
    if poller:
        poller.__enter__()
    try:
        with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
            futures = [pool.submit(run_job, job, confined, scratch, deadline, gpu and alone) for job in jobs]
            for job, future in zip(jobs, futures):
                row = future.result()
                rows.append(row)
                print(f"  {job.label}: {_short(row)}", flush=True)
    finally:
        if poller:
            poller.__exit__()
    return rows, (poller.peak_mb if poller else None)


def _short(row: dict) -> str:
    if row["status"] in ("skipped", "failed"):
        return f"{row['status'].upper()}: {row['problems'][0]}"
    text = (f"{row['score']:g}/{row['max_score']:g}, grading {row['grading_s']:.1f} s "
            f"(student {row['student_s'] or 0:.1f} s), child {row['wall_s']:.1f} s")
    if row.get("gpu_peak_mb") is not None:
        text += f", GPU +{row['gpu_peak_mb']:.0f} MiB"
    return text + ("" if not row["problems"] else "; PROBLEM: " + "; ".join(row["problems"]))


# ----------------------------------------------------------------------------- the plan

def build_plan(args, devices: list[str], tmp: Path) -> dict[str, list[Job]]:
    """The jobs of each phase, their notebooks written under ``tmp``."""
    plan: dict[str, list[Job]] = {"timing": [], "seeds": [], "variants": []}
    package = ROOT / "assignments"
    course = tmp / "course"
    for name in args.assignments:
        assignment = Assignment.find(name, package)
        path = write_submission(course, "solution", name, submission(assignment, None))
        plan["timing"] += [Job("timing", name, device, "solution", str(path), str(package)) for device in devices]
        for shift in range(1, args.seeds + 1):
            root = shifted_assignment(assignment, shift, tmp / f"seeds-{shift}")
            copy = Assignment.find(name, root)
            path = write_submission(tmp / f"seeds-{shift}" / "course", "solution", name, submission(copy, None))
            plan["seeds"] += [Job("seeds", name, device, "solution", str(path), str(root), shift) for device in devices]
        if args.variants:
            device = devices[0]
            for variant in assignment.variants():
                student = f"variant-{variant.name}"
                path = write_submission(course, student, name, submission(assignment, variant))
                plan["variants"].append(Job("variants", name, device, student, str(path), str(package),
                                            variant=variant))
            for alternative in assignment.alternatives():
                student = f"{ALTERNATIVE}{alternative.name}"
                path = write_submission(course, student, name, submission(assignment, alternative))
                plan["variants"].append(Job("variants", name, device, student, str(path), str(package)))
    plan["seeds"].sort(key=lambda job: job.shift)
    return plan


def estimate_s(plan: dict[str, list[Job]], concurrency: int, measured: dict | None = None) -> float:
    """A rough wall time for the plan's jobs (see ESTIMATE_S), or for its side-by-side jobs alone from the
    child wall times ``measured[(device, assignment)]`` of the timing jobs."""
    def each(job):
        if measured is not None:
            return measured.get((job.device, job.assignment), ESTIMATE_S[job.device][job.assignment] + 3)
        return ESTIMATE_S[job.device][job.assignment] + 3  # + a fresh interpreter's imports
    sequential = 0 if measured is not None else PROBE_S + sum(each(job) for job in plan["timing"])
    side_by_side = sum(each(job) for phase in ("seeds", "variants") for job in plan[phase])
    return sequential + side_by_side * (CONCURRENT_SLOWDOWN if concurrency > 1 else 1) / concurrency


# ----------------------------------------------------------------------------- reports

def _number(value, digits=1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def timing_table(rows: list[dict]) -> str:
    lines = ["| assignment | device | child wall | grading | student code | score | failed checks | peak GPU memory "
             "| student peak RAM | checker RSS |", "|---|---|---:|---:|---:|---|---|---:|---:|---:|"]
    for r in rows:
        if r["status"] in ("skipped", "failed"):
            lines.append(f"| {r['assignment']} | {r['device'].upper()} | {r['status']}: {r['problems'][0][:80]} "
                         "| | | | | | | |")
            continue
        gpu = "–" if r.get("gpu_peak_mb") is None else f"{r['gpu_peak_mb']:.0f} MiB"
        lines.append(f"| {r['assignment']} | {r['device'].upper()} | {r['wall_s']:.1f} s | {_number(r['grading_s'])} s "
                     f"| {_number(r['student_s'])} s | {r['score']:g}/{r['max_score']:g} | "
                     f"{', '.join(r['failed']) or 'none'} | {gpu} | {_number(r['student_peak_mb'], 0)} MiB "
                     f"({r['memory_cap']}) | {r['checker_rss_mb']:.0f} MiB |")
    return "\n".join(lines)


def speedups(rows: list[dict]) -> dict[str, dict]:
    """Per assignment: CPU / GPU of the grading time and of the student code's time, from the same run."""
    found = {}
    by = {(r["assignment"], r["device"]): r for r in rows if r["status"] not in ("skipped", "failed")}
    for (name, device), cpu in by.items():
        gpu = by.get((name, "gpu"))
        if device == "cpu" and gpu is not None and gpu["grading_s"] and gpu["student_s"]:
            found[name] = {"grading": cpu["grading_s"] / gpu["grading_s"],
                           "student": (cpu["student_s"] or 0) / gpu["student_s"]}
    return found


def spread(rows: list[dict]) -> dict:
    """Per assignment, per ``check.figure``, per device: every value by seed shift; and every score."""
    found: dict = {}
    for r in rows:
        if r["student"] != "solution" or r["status"] != "graded":
            continue
        entry = found.setdefault(r["assignment"], {"figures": {}, "scores": {}})
        entry["scores"].setdefault(r["device"], []).append([r["shift"], r["score"], r["max_score"]])
        for check, measured in r["measured"].items():
            for figure, value in measured.items():
                entry["figures"].setdefault(f"{check}.{figure}", {}).setdefault(r["device"], {})[r["shift"]] = value
    return found


def spread_text(found: dict, devices: list[str]) -> str:
    blocks = []
    for name, entry in found.items():
        runs = {device: len(entry["scores"].get(device, [])) for device in devices}
        header = " | ".join(f"{d.upper()} min–max ({runs[d]} runs)" for d in devices)
        lines = [f"{name}:", "", f"| check.figure | {header} |" + (" largest GPU − CPU, same seeds |"
                                                                    if len(devices) == 2 else ""),
                 "|---|" + "---:|" * (len(devices) + (len(devices) == 2))]
        for figure, by_device in entry["figures"].items():
            cells = []
            for device in devices:
                values = [v for v in by_device.get(device, {}).values() if v is not None]
                cells.append(f"{min(values):.3f}–{max(values):.3f}" if values else "–")
            if len(devices) == 2:
                cpu, gpu = by_device.get("cpu", {}), by_device.get("gpu", {})
                gaps = [abs(gpu[s] - cpu[s]) for s in cpu if s in gpu and None not in (cpu[s], gpu[s])]
                cells.append(f"{max(gaps):.3f}" if gaps else "–")
            lines.append(f"| {figure} | " + " | ".join(cells) + " |")
        for device in devices:
            scores = sorted(entry["scores"].get(device, []))
            full = all(score == top for _, score, top in scores)
            shown = ", ".join(f"{score:g}" for _, score, _ in scores)
            top = scores[0][2] if scores else 0
            lines.append(f"\n{device.upper()} scores (seeds moved by {', '.join(str(s) for s, _, _ in scores)}): "
                         f"{shown} of {top:g}: {'all full marks' if full else 'NOT ALL FULL MARKS'}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def variants_text(rows: list[dict]) -> str:
    lines = ["| assignment | submission | device | expected | score | verdict |", "|---|---|---|---|---|---|"]
    for r in rows:
        score = f"{r['score']:g}/{r['max_score']:g}" if "score" in r else r["status"]
        verdict = "ok" if not r["problems"] else "FAIL: " + "; ".join(r["problems"])[:200]
        lines.append(f"| {r['assignment']} | {r['student']} | {r['device'].upper()} | {r['expected']} | {score} "
                     f"| {verdict} |")
    return "\n".join(lines)


def write_json(path: Path | None, doc: dict) -> None:
    if path is not None:
        path.write_text(json.dumps(doc, indent=1, default=str), encoding="utf-8")


# ----------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assignments", nargs="+", default=list(KERAS), choices=KERAS)
    parser.add_argument("--seeds", type=int, default=0, metavar="N", help="also grade with the seeds moved by 1..N")
    parser.add_argument("--variants", action="store_true", help="also grade every variant and alternative")
    parser.add_argument("--cpu-only", action="store_true", help="measure the CPU columns only (no GPU needed)")
    parser.add_argument("--jobs", type=int, default=max(1, min(6, (os.cpu_count() or 1) // 2)),
                        help="jobs side by side for --seeds and --variants (default: CPUs / 2, at most 6)")
    parser.add_argument("--numpy-s", type=float, default=NUMPY_JOB_S, help="seconds per numpy job in the projection")
    parser.add_argument("--budget-s", type=float, default=BUDGET_S,
                        help="start no job after this many seconds (0: no budget)")
    parser.add_argument("--json", type=Path, help="write the raw figures here")
    args = parser.parse_args(argv)
    started = time.monotonic()
    deadline = started + args.budget_s if args.budget_s > 0 else float("inf")

    info = machine()
    tf = info["tensorflow"]
    print(f"# GPU grading benchmark, {info['date']}\n")
    print(f"Machine: {info['cpus']} CPUs ({info['cpu_model'] or 'model unknown'}), {info['platform']}, "
          f"Python {info['python']}, load average {info['load_average']}")
    print(f"nvidia-smi: {'; '.join(info['gpus']) if info['gpus'] else info['nvidia_smi']}")
    print(f"TensorFlow {tf.get('tensorflow', '?')} (CUDA build: {tf.get('cuda_build', '?')}), devices: "
          f"{', '.join(tf.get('devices', [])) or tf.get('error', 'none')}"
          + (f"; {'; '.join(tf['gpu_details'])}" if tf.get("gpu_details") else ""))
    missing = why_no_gpu(info)
    gpu = not args.cpu_only and not missing
    if not args.cpu_only and missing:
        print(f"\nNO GPU: {missing}.\nTHE GPU COLUMNS ARE NOT MEASURED; only the CPU figures follow "
              "(exit status 3).\n")
    elif args.cpu_only:
        print("\n--cpu-only: the GPU columns are not measured.\n")
    devices = ["gpu", "cpu"] if gpu else ["cpu"]
    confined = sandbox_confined()

    doc: dict = {"machine": info, "gpu": gpu, "no_gpu_reason": missing, "confined": confined,
                 "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}}
    with tempfile.TemporaryDirectory(prefix="bench-gpu-") as folder:
        tmp = Path(folder)
        plan = build_plan(args, devices, tmp)
        estimate = estimate_s(plan, args.jobs)
        print(f"Plan: {len(plan['timing'])} timing jobs one at a time, then {len(plan['seeds'])} seed jobs and "
              f"{len(plan['variants'])} variant jobs {args.jobs} at a time; estimated {duration(estimate)} "
              f"(budget {duration(args.budget_s) if args.budget_s > 0 else 'none'}).", flush=True)
        if args.budget_s > 0 and estimate > args.budget_s:
            print("WARNING: the estimate exceeds the budget: jobs not started by then are skipped (exit status 4). "
                  "Leave out --variants or lower --seeds, or raise --jobs.", flush=True)
        doc["estimate_s"] = estimate
        results_dir = tmp / "results"
        results_dir.mkdir()
        phase_peaks = {}
        print("\n## The solutions, one job at a time (timing)", flush=True)
        doc["timing"], _ = run_phase(plan["timing"], 1, confined, results_dir, deadline, gpu)
        write_json(args.json, doc)
        side = plan["variants"] + plan["seeds"]  # past the budget, the highest seed shifts are the ones left out
        if side:
            walls = {(r["device"], r["assignment"]): r["wall_s"] for r in doc["timing"] if "wall_s" in r}
            left = estimate_s(plan, args.jobs, walls)
            print(f"\n## Seeds and variants, {args.jobs} at a time: {len(side)} jobs, about {duration(left)} from the "
                  f"times just measured (elapsed so far {duration(time.monotonic() - started)})", flush=True)
            rows, phase_peaks["side_by_side"] = run_phase(side, args.jobs, confined, results_dir, deadline, gpu)
            doc["seeds"] = [r for r in rows if r["phase"] == "seeds"]
            doc["variants"] = [r for r in rows if r["phase"] == "variants"]
            doc["side_by_side_gpu_peak_mb"] = phase_peaks["side_by_side"]
            write_json(args.json, doc)

    timing = doc.get("timing", [])
    print("\n## Per job (the solution, one job at a time, each in a fresh process)\n")
    print(timing_table(timing))
    doc["speedup"] = speedups(timing)
    if doc["speedup"]:
        print("\nSpeed-up CPU / GPU, same run: " + "; ".join(
            f"{name} grading {s['grading']:.2f}×, student code {s['student']:.2f}×"
            for name, s in doc["speedup"].items()))
    doc["spread"] = spread(timing + doc.get("seeds", []))
    if args.seeds:
        print(f"\n## What the checks measure, over the notebook's seeds moved by 0..{args.seeds}\n")
        print(spread_text(doc["spread"], devices))
    if doc.get("variants"):
        where = "the GPU" if gpu else "the CPU"
        print(f"\n## Variants and alternatives on {where}\n")
        print(variants_text(doc["variants"]))
    if phase_peaks.get("side_by_side") is not None:
        print(f"\nPeak GPU memory while {args.jobs} jobs ran side by side: {phase_peaks['side_by_side']:.0f} MiB")

    main_device = devices[0]
    measured = {r["assignment"]: r["grading_s"] for r in timing
                if r["device"] == main_device and r["status"] == "graded" and r.get("grading_s")}
    if set(measured) == set(KERAS):
        doc["projection"] = projection({name: round(measured[name], 1) for name in KERAS}, args.numpy_s)
        what = "GPU workers (one H200-class GPU each)" if gpu else "CPU workers like this machine (no GPU measured)"
        print("\n" + projection_text(doc["projection"], what))
    else:
        print("\nNo projection: it needs the grading time of lenet, transfer and fcn on "
              f"{'the GPU' if gpu else 'the CPU'} from this run.")

    every = [r for phase in ("timing", "seeds", "variants") for r in doc.get(phase, [])]
    broken = [r for r in every if r["status"] != "skipped" and r["problems"]]
    skipped = [r for r in every if r["status"] == "skipped"]
    doc["problems"] = [f"{r['assignment']} {r['student']} +{r['shift']} {r['device']}: {'; '.join(r['problems'])}"
                       for r in broken + skipped]
    doc["elapsed_s"] = round(time.monotonic() - started, 1)
    print(f"\nElapsed: {duration(doc['elapsed_s'])} (estimated {duration(estimate)}).")
    if broken:
        status = 1
        print(f"\nFAILED: {len(broken)} job(s) broke an expectation:\n  " + "\n  ".join(doc["problems"][:len(broken)]))
    elif skipped:
        status = 4
        print(f"\nINCOMPLETE: the budget ran out; {len(skipped)} job(s) not run: "
              + ", ".join(f"{r['assignment']} {r['student']} +{r['shift']} {r['device']}" for r in skipped))
    elif missing and not args.cpu_only:
        status = 3
        print(f"\nCPU figures only: NO GPU ({missing}).")
    else:
        status = 0
        print("\nEvery job behaved as expected" + ("." if gpu else " (CPU only)."))
    doc["exit_status"] = status
    write_json(args.json, doc)
    return status


if __name__ == "__main__":
    sys.exit(main())
