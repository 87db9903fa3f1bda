"""The checker's handle on one sandboxed student process.

:class:`StudentProcess` writes the rebuilt program and every input into the job's
inbox (which the sandbox sees read-only), starts the runner inside bubblewrap under
resource limits in a fresh private scratch, and turns ``call("conv2d", x, w, b)`` into
a request line plus ``.npy`` files. Replies are validated here (:mod:`protocol`);
results are read from the scratch without following links (:mod:`jobdir`) and loaded
with ``allow_pickle=False``; anything malformed counts as a crash.
"""

from __future__ import annotations

import builtins
import io
import json
import math
import os
import re
import secrets
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from grader.config import SandboxLimits
from grader.i18n import Message, _, _n
from grader.sandbox import bwrap, gpu, protocol, seccomp
from grader.sandbox.disk import DiskWatch
from grader.sandbox.errors import (
    StudentCodeError,
    StudentCrashed,
    StudentFailure,
    StudentMissing,
    StudentTimeout,
    StudentUnavailable,
)
from grader.sandbox.jobdir import JobDir
from grader.sandbox.memory import MemoryCap, memory_cap
from grader.sandbox.models import ModelFile, ModelGate

MAX_REPLY_BYTES = 1 << 20
# When the grader runs as root, each job's student process runs as one of these unprivileged host uids.
HOST_UIDS = range(200_000, 265_536)
# Exception classes whose names may be shown after the process saw hidden inputs: fixed names carry no data.
SHOWN_ERRORS = frozenset(
    {name for name, value in vars(builtins).items() if isinstance(value, type) and issubclass(value, BaseException)}
    | {"AxisError", "LinAlgError", "InvalidArgumentError", "ResourceExhaustedError"})
CELL_LINE = re.compile(r"cell ([\w.-]+), line ([0-9]{1,6})")
BLOCKED_IMPORT = re.compile(r"(\w+)(?:\.[\w.]+)? is not available in this assignment\b.*")
SANDBOX_ENV = {
    "HOME": "/scratch/home",
    "TMPDIR": "/scratch/tmp",
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "MPLBACKEND": "Agg",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    # On GPU workers: no TF32 (float32 at ~1e-3 error otherwise) and deterministic kernels.
    "NVIDIA_TF32_OVERRIDE": "0",
    "TF_DETERMINISTIC_OPS": "1",
    "TF_FORCE_GPU_ALLOW_GROWTH": "true",
    "PYTHONHASHSEED": "0",
}


def _rlimits(limits: SandboxLimits, *, count_processes: bool) -> dict[str, int]:
    """The limits the runner sets on itself; RLIMIT_NPROC only where no cgroup counts processes."""
    found = {
        "RLIMIT_CPU": int(limits.cpu_seconds),
        "RLIMIT_FSIZE": int(limits.max_file_mb) << 20,
        "RLIMIT_NOFILE": int(limits.max_open_files),
    }
    return {**found, "RLIMIT_NPROC": int(limits.max_processes)} if count_processes else found


def host_uid() -> int | None:
    """The unprivileged host uid a job's student process runs as when the grader is root, else None."""
    return HOST_UIDS[secrets.randbelow(len(HOST_UIDS))] if os.geteuid() == 0 else None


class StudentProcess:
    """A student program running in the sandbox, restarted on demand after a crash.

    ``files`` (the data released beside the notebook) are copied into each start's fresh
    scratch directory, which is the program's working directory.

    ``cells`` holds each cell's outcome from the first start, as the student process reported
    it (informational: nothing is scored from it); ``student_seconds`` the time the student
    code itself reported (program cells plus calls).

    Once a call has handed the process the checker's inputs (hidden data), nothing it
    chooses to say reaches feedback: its errors are shown as a built-in exception class
    only, never with their message, a line number or a name it chose.
    """

    def __init__(self, cells: list[dict], forbidden: list[str], limits: SandboxLimits,
                 *, confined: bool = True, workdir: Path | None = None, allowed_layers=(),
                 files: tuple[Path, ...] = (), gpu: bool = False, require_gpu: bool = False,
                 max_model_params: int | None = None):
        self.limits = limits
        self.gpu = gpu or require_gpu
        self.require_gpu = require_gpu
        self.gpu_report: dict | None = None
        self.gpu_missing = ""  # why a start of a require_gpu process found no usable GPU
        self.files = tuple(Path(f) for f in files)
        self.confined = confined
        self.forbidden = list(forbidden)
        self._uid = host_uid() if confined else None
        self.job = JobDir(workdir, owner=None if self._uid is None else (self._uid, self._uid))
        self._models = ModelGate(set(allowed_layers), max_model_params, self.job, confined=confined,
                                 workdir=workdir)
        self._cells = cells
        self._proc: subprocess.Popen | None = None
        self._cap: MemoryCap | None = None
        self._disk: DiskWatch | None = None
        self._deadline = time.monotonic() + limits.submission_timeout_s
        self._buffer = b""
        self._calls = 0
        self._saw_hidden_inputs = False
        self._starts = 0
        self._start_failure: Exception | None = None
        self._program_cells: list[dict] = []
        self._launched = 0.0
        self.cells: list[dict] = []
        self.student_seconds = 0.0
        self.memory_cap_kind = "none"
        self.peak_memory_bytes = 0

    # -- lifecycle -------------------------------------------------------------------------

    def _argv(self, program: str, seccomp_fd: int) -> list[str]:
        if self.confined:
            return bwrap.command(self.job, program, self.forbidden, self._env(), gpu=self.gpu,
                                 tmp_bytes=int(self.limits.max_disk_mb) << 20,
                                 shm_bytes=int(self.limits.shm_mb) << 20, seccomp_fd=seccomp_fd,
                                 host_uid=self._uid)
        return [sys.executable, "-I", "-B", str(bwrap.RUNNER), str(self.job.inbox), str(self.job.scratch), program]

    def _env(self) -> dict[str, str]:
        """The sandbox's whole environment; a GPU job keeps the worker's choice of device."""
        visible = os.environ.get("CUDA_VISIBLE_DEVICES")
        env = {**SANDBOX_ENV, "HOME": f"{bwrap.SANDBOX_SCRATCH}/home", "TMPDIR": f"{bwrap.SANDBOX_SCRATCH}/tmp"}
        if not self.confined:
            env.update(HOME=str(self.job.scratch / "home"), TMPDIR=str(self.job.scratch / "tmp"),
                       PATH=os.environ.get("PATH", ""))
        return {**env, "CUDA_VISIBLE_DEVICES": visible} if self.gpu and visible is not None else env

    def start(self) -> None:
        """Run the notebook program; raises if it crashes or times out before it is ready."""
        self.launch()
        self.wait_until_ready()

    def launch(self) -> None:
        """Start the process; :meth:`wait_until_ready` then waits for its program.

        Call it from a thread that outlives the process: bubblewrap's ``--die-with-parent``
        follows the thread that started it, so a process launched from a short-lived thread
        would be killed with it. Waiting may happen on any thread.
        """
        if self._start_failure is not None:
            raise type(self._start_failure)(_("the notebook program could not run: {reason}",
                                              reason=self._start_failure.message))
        if self._starts > self.limits.restarts:
            raise StudentUnavailable(_n("gave up after the student process failed {count} time",
                                        "gave up after the student process failed {count} times", self._starts))
        self._starts += 1
        self.job.new_scratch(self.files)
        # A restart only needs the definitions: the visible tests ran the first time.
        self._program_cells = [c for c in self._cells if self._starts == 1 or c["kind"] != "test"]
        self._cap = memory_cap(int(self.limits.memory_mb) << 20, int(self.limits.max_processes))
        self.memory_cap_kind = self._cap.kind
        program = {"cells": self._program_cells, "test_cell_timeout": self.limits.test_cell_timeout_s,
                   "rlimits": _rlimits(self.limits, count_processes=not self._cap.caps_processes), "gpu": self.gpu}
        self._launched = time.perf_counter()
        self._spawn(self.job.put(f"program-{self._starts}.json", json.dumps(program).encode()).name)

    def wait_until_ready(self) -> None:
        """Wait for the launched program's start message and take its cells' outcomes.

        A GPU program first reports TensorFlow's view of the GPU (:attr:`gpu_report`); with
        ``require_gpu`` a report without a usable GPU kills the process at once and raises
        :class:`grader.sandbox.gpu.GpuMissing`: the job must never go on on the CPU.
        """
        try:
            if self.gpu:
                self._take_gpu_report()
            ready = self._read_reply(self.limits.program_timeout_s, _("running the notebook program"))
            cells = self._checked(protocol.ready, ready, self._program_cells)
        except (StudentCrashed, StudentTimeout) as failure:
            self._start_failure = failure
            raise
        if self._starts == 1:
            self.cells = cells
        self.student_seconds += min(sum(c["seconds"] for c in cells), time.perf_counter() - self._launched)

    def _take_gpu_report(self) -> None:
        """Read the runner's GPU report (sent before any student code ran)."""
        where = "the student process was given a GPU, but"
        try:
            message = self._read_reply(self.limits.program_timeout_s, _("loading TensorFlow"))
            self.gpu_report = self._checked(protocol.gpu_report, message)
        except StudentFailure as failure:
            if not self.require_gpu:
                raise
            self.gpu_missing = f"{where} it did not report on TensorFlow ({failure})"
            raise gpu.GpuMissing(self.gpu_missing) from None
        if self.require_gpu:
            try:
                gpu.require(self.gpu_report, where)
            except gpu.GpuMissing as missing:
                self.kill()
                self.gpu_missing = str(missing)
                raise

    def _spawn(self, program: str) -> None:
        with seccomp.filter_file() if self.confined else open(os.devnull, "rb") as rules:
            self._proc = subprocess.Popen(
                self._cap.wrap(self._argv(program, rules.fileno())), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL, cwd=self.job.root, env=self._env(), start_new_session=True,
                pass_fds=(rules.fileno(),),
            )
        self._cap.watch(self._proc.pid)
        self._disk = DiskWatch(self.job.scratch, int(self.limits.max_disk_mb) << 20, self._proc.pid,
                               max_entries=int(self.limits.max_files))
        self._buffer = b""

    def prestart_model_gate(self) -> None:
        """Start the confined model evaluator now, alongside the student's program (for Keras assignments)."""
        self._models.prestart()

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def kill(self) -> None:
        """Kill the whole process tree (process group, pid namespace, cgroup)."""
        if self._proc is not None:
            try:
                os.killpg(self._proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._proc.wait()
            for stream in (self._proc.stdin, self._proc.stdout):
                stream.close()
        if self._cap is not None:
            self.peak_memory_bytes = max(self.peak_memory_bytes, self._cap.peak_bytes())
            self._cap.close()
        if self._disk is not None:
            self._disk.stop()
        self._proc = None
        self._cap = None

    def close(self) -> None:
        """Kill the process and delete the job's folders: nothing of the job is left."""
        self.kill()
        self._models.close()
        self.job.close()

    def __enter__(self) -> "StudentProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- calls ----------------------------------------------------------------------------

    def call(self, name: str, args: tuple, kwargs: dict, timeout: float) -> tuple[object, list[int]]:
        """Call the student's ``name(*args, **kwargs)``; returns (result, mutated argument indices)."""
        return self._request("call", name, timeout, args, kwargs)

    def get(self, name: str, timeout: float):
        """The value of the variable ``name`` the notebook program defined (an array, number or model)."""
        return self._request("get", name, timeout)[0]

    def _request(self, op: str, name: str, timeout: float, args: tuple = (), kwargs: dict | None = None):
        if not self.alive():
            self.start()
        self._calls += 1
        request = {"op": op, "name": name, "out": f"out-{self._calls}",
                   "args": [self._encode(a, f"{i}") for i, a in enumerate(args)],
                   "kwargs": {k: self._encode(v, k) for k, v in (kwargs or {}).items()}}
        self._saw_hidden_inputs = self._saw_hidden_inputs or bool(args or kwargs)
        started = time.perf_counter()
        self._send(request)
        doing = _("calling {function}", function=name) if op == "call" else _("reading {name}", name=name)
        answer = self._read_reply(timeout, doing, calling=name if op == "call" else "")
        reply = self._checked(protocol.reply, answer, len(args))
        self.student_seconds += min(reply["seconds"], time.perf_counter() - started)  # never more than it took
        if reply["ok"]:
            return self._decode(reply["result"], request["out"]), reply["mutated"]
        if reply["missing"]:
            raise self._missing(name)
        error, raised = self._student_error(reply)
        raise StudentCodeError(_("{function} raised {error}", function=name, error=error), raised=raised)

    def _checked(self, validate, *args):
        """``validate(*args)``; a protocol violation kills the process before it is raised."""
        try:
            return validate(*args)
        except protocol.ProtocolViolation:
            self.kill()
            raise

    def _encode(self, value, tag: str) -> dict:
        if isinstance(value, np.ndarray):
            buffer = io.BytesIO()
            np.save(buffer, value, allow_pickle=False)
            return {"npy": self.job.put(f"in-{self._calls}-{tag}.npy", buffer.getvalue()).name}
        if isinstance(value, ModelFile):
            return {"keras": self.job.put(value.name, value.data).name}
        if hasattr(value, "save") and type(value).__module__.startswith("keras"):
            return {"keras": self._models.put_trusted(value, f"in-{self._calls}-{tag}.keras").name}
        json.dumps(value)
        return {"json": list(value), "tuple": True} if isinstance(value, tuple) else {"json": value}

    def _decode(self, result: dict, out_base: str):
        if "json" in result:
            value = result["json"]
            if isinstance(value, list) and all(_plain_number(v) for v in value):
                return tuple(value)
            if _plain_number(value):
                return value
            raise StudentCrashed(_("the student process sent a malformed value"))
        max_bytes = int(self.limits.max_file_mb) << 20
        if result.get("npy") == out_base + ".npy":
            return _load_array(self.job.read_result(result["npy"], max_bytes))
        if result.get("keras") == out_base + ".keras":
            return self._models.load(self.job.read_result(result["keras"], max_bytes), result["keras"],
                                     verbatim=not self._saw_hidden_inputs)
        raise StudentCrashed(_("the student process named a result file it was not given"))

    def _missing(self, name: str) -> StudentMissing:
        """``name`` is not defined: the first solution cell that raised is the likely reason."""
        failed = [c for c in self.cells if c["kind"] == "solution" and not c["ok"]]
        if not failed:
            return StudentMissing(_("{function} is not defined", function=name))
        first = failed[0]
        error, raised = self._student_error(first, verbatim=True)
        return StudentMissing(_("{function} is not defined: your solution cell '{cell}' raised {error}",
                                function=name, cell=first["id"], error=error), raised=raised)

    def _student_error(self, reply: dict, *, verbatim: bool = False) -> tuple[Message | str, str]:
        """The student's exception as feedback may show it (see the class docstring), and the class name it shows.

        What the student process reported (its exception's class name and message, a cell id)
        goes into the message as placeholder values, never as message text.
        """
        error = reply.get("error", "")
        if verbatim or not self._saw_hidden_inputs:
            lines = {c["id"]: c["source"].count("\n") + 1 for c in self._program_cells}
            where = CELL_LINE.fullmatch(reply.get("where", ""))
            if not (where and int(where.group(2)) <= lines.get(where.group(1), 0)):
                where = None
            named, message = error or _("an error"), reply.get("message")
            place = _("cell {cell}, line {line}", cell=where.group(1), line=where.group(2)) if where else None
            if message and place:
                return _("{error}: {message} ({where})", error=named, message=message, where=place), error
            if message:
                return _("{error}: {message}", error=named, message=message), error
            if place:
                return _("{error} ({where})", error=named, where=place), error
            return named, error
        blocked = BLOCKED_IMPORT.fullmatch(reply.get("message", ""))
        if error in ("ImportError", "ModuleNotFoundError") and blocked and blocked.group(1) in self.forbidden:
            return _("{error}: {module} is not available in this assignment (the grader hides it)",
                     error=error, module=blocked.group(1)), error
        if reply.get("not_numeric") is True:
            return _("TypeError: returned a value that is not a number, a Keras model or an array of numbers"), \
                "TypeError"
        if error in SHOWN_ERRORS:
            return _("{error}; the message of an error on hidden inputs is not shown", error=error), error
        return _("an exception; the message of an error on hidden inputs is not shown"), ""

    # -- pipe -----------------------------------------------------------------------------

    def _send(self, request: dict) -> None:
        try:
            self._proc.stdin.write((json.dumps(request) + "\n").encode())
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # the process is gone; reading the reply reports how it ended

    def _read_reply(self, timeout: float, doing: Message, calling: str = "") -> dict:
        """The next reply line, within ``timeout``; ``doing`` says what the process was doing, if it never comes.

        ``calling``: the student function being called (see :class:`grader.sandbox.errors.StudentFailure`).
        """
        budget = self._deadline - time.monotonic()
        if budget < timeout:
            timeout, calling = max(budget, 0.0), ""
            doing = _("{doing} (the submission's time budget of {seconds} s ran out)", doing=doing,
                      seconds=self.limits.submission_timeout_s)
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(self._proc.stdout, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not selector.select(remaining):
                    self.kill()
                    raise StudentTimeout(_("timed out after {seconds} s while {doing}", seconds=timeout,
                                           doing=doing), calling=calling)
                chunk = os.read(self._proc.stdout.fileno(), 65536)
                if not chunk:
                    raise StudentCrashed(self._crash(doing), calling=calling)
                self._buffer += chunk
                if len(self._buffer) > MAX_REPLY_BYTES:
                    self.kill()
                    raise StudentCrashed(_("the student process flooded the reply channel"), calling=calling)
        line, self._buffer = self._buffer.split(b"\n", 1)
        return self._checked(protocol.parse_line, line)

    def _crash(self, doing: Message) -> Message:
        """Why the process ended while ``doing`` (its output closed), once it has been killed."""
        status = self._proc.wait()
        over_memory, disk = self._cap.exceeded(), self._disk
        self.kill()
        if over_memory:
            return _("killed while {doing}: memory limit of {mb} MiB exceeded", doing=doing, mb=self.limits.memory_mb)
        if disk.exceeded and disk.hidden is not None:
            return _("killed while {doing}: it hid part of its scratch folder from the disk cap: {why}", doing=doing,
                     why=disk.hidden)
        if disk.exceeded:
            return _("killed while {doing}: it wrote more than {mb} MiB or {entries} files and folders",
                     doing=doing, mb=disk.limit_bytes >> 20, entries=disk.max_entries)
        if status == -signal.SIGKILL or status == 128 + signal.SIGKILL:
            return _("killed while {doing} (SIGKILL: the hard CPU time limit, or the code killed itself)", doing=doing)
        if status in (-signal.SIGXCPU, 128 + signal.SIGXCPU):
            return _("CPU time limit of {seconds} s exceeded while {doing}", seconds=self.limits.cpu_seconds,
                     doing=doing)
        if self._saw_hidden_inputs:  # its exit status is a number it chose: a channel, so not shown
            return _("the student process ended while {doing}", doing=doing)
        return _("the student process ended (exit status {status}) while {doing}", status=str(status), doing=doing)


def _declared_size_fits(data: bytes) -> None:
    """Raise ValueError unless the .npy header in ``data`` declares no more bytes than the file holds."""
    stream = io.BytesIO(data)
    version = np.lib.format.read_magic(stream)
    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, _fortran_order, dtype = read_header(stream, max_header_size=10000)
    if dtype.hasobject or dtype.itemsize * math.prod(shape) > len(data) - stream.tell():
        raise ValueError("the header declares more data than the file holds")


def _plain_number(value) -> bool:
    return type(value) in (int, float, bool) and (type(value) is not float or np.isfinite(value))


def _load_array(data: bytes) -> np.ndarray:
    """An array from the bytes of a result file the student wrote: no pickles, numbers only.

    The header's shape and dtype must fit in the bytes that follow it, so a few bytes that
    declare a huge array cannot make the checker allocate it.
    """
    try:
        _declared_size_fits(data)
        array = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError, MemoryError, TypeError, OverflowError):
        raise StudentCrashed(_("the student's result is not a valid .npy array")) from None
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "biuf":
        raise StudentCrashed(_("the student's result is not an array of numbers"))
    return array
