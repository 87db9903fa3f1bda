"""The checker's handle on one sandboxed student process.

:class:`StudentProcess` writes the rebuilt program into a private scratch
directory, starts the runner inside bubblewrap under resource limits, and turns
``call("conv2d", x, w, b)`` into a request line plus ``.npy`` files. Replies are
validated here: arrays are loaded with ``allow_pickle=False`` from files the
checker named itself, and anything malformed counts as a crash.
"""

from __future__ import annotations

import builtins
import json
import os
import re
import selectors
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from grader.config import SandboxLimits
from grader.sandbox import bwrap
from grader.sandbox.disk import DiskWatch
from grader.sandbox.errors import (
    MESSAGE_WITHHELD,
    StudentCodeError,
    StudentCrashed,
    StudentMissing,
    StudentTimeout,
    StudentUnavailable,
)
from grader.sandbox.memory import MemoryCap, memory_cap
from grader.sandbox.models import load_model

MAX_REPLY_BYTES = 1 << 20
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


def _rlimits(limits: SandboxLimits) -> dict[str, int]:
    return {
        "RLIMIT_CPU": int(limits.cpu_seconds),
        "RLIMIT_FSIZE": int(limits.max_file_mb) << 20,
        "RLIMIT_NOFILE": int(limits.max_open_files),
        "RLIMIT_NPROC": int(limits.max_processes),
    }


class StudentProcess:
    """A student program running in the sandbox, restarted on demand after a crash.

    ``files`` (the data released beside the notebook) are copied into the scratch
    directory, which is the program's working directory, before each start.

    ``cells`` holds each cell's outcome from the first start; ``student_seconds``
    the time the student code itself reported (program cells plus calls).

    Once a call has handed the process the checker's inputs (hidden data), nothing it
    chooses to say reaches feedback: its errors are shown as a built-in exception class
    and a line of a real cell, never with their message.
    """

    def __init__(self, cells: list[dict], forbidden: list[str], limits: SandboxLimits,
                 *, confined: bool = True, workdir: Path | None = None, allowed_layers=(),
                 files: tuple[Path, ...] = (), gpu: bool = False):
        self.limits = limits
        self.gpu = gpu
        self.files = tuple(Path(f) for f in files)
        self.allowed_layers = set(allowed_layers)
        self.confined = confined
        self.forbidden = list(forbidden)
        self.scratch = Path(tempfile.mkdtemp(prefix="grader-job-", dir=workdir))
        self.scratch.chmod(0o777)
        self._program = {"cells": cells, "rlimits": _rlimits(limits), "test_cell_timeout": limits.test_cell_timeout_s}
        self._proc: subprocess.Popen | None = None
        self._cap: MemoryCap | None = None
        self._disk: DiskWatch | None = None
        self._deadline = time.monotonic() + limits.submission_timeout_s
        self._buffer = b""
        self._calls = 0
        self._saw_hidden_inputs = False
        self._starts = 0
        self._start_failure: Exception | None = None
        self.cells: list[dict] = []
        self.student_seconds = 0.0
        self.memory_cap_kind = "none"
        self.peak_memory_bytes = 0

    # -- lifecycle -------------------------------------------------------------------------

    def _argv(self) -> list[str]:
        program = self.scratch / "program.json"
        if self.confined:
            return bwrap.command(self.scratch, self.forbidden, self._env(), gpu=self.gpu,
                                 tmp_bytes=int(self.limits.max_disk_mb) << 20)
        return [sys.executable, "-I", "-B", str(bwrap.RUNNER), str(program)]

    def _env(self) -> dict[str, str]:
        """The sandbox's whole environment; a GPU job keeps the worker's choice of device."""
        visible = os.environ.get("CUDA_VISIBLE_DEVICES")
        return {**SANDBOX_ENV, "CUDA_VISIBLE_DEVICES": visible} if self.gpu and visible is not None else SANDBOX_ENV

    def start(self) -> None:
        """Run the notebook program; raises if it crashes or times out before it is ready."""
        if self._start_failure is not None:
            raise type(self._start_failure)(f"the notebook program could not run: {self._start_failure}")
        if self._starts > self.limits.restarts:
            raise StudentUnavailable("gave up after the student process failed "
                                     f"{self._starts} times")
        self._starts += 1
        for folder in ("home", "tmp"):
            (self.scratch / folder).mkdir(exist_ok=True, mode=0o777)
        for source in self.files:  # fresh copies: a crashed run may have changed them
            shutil.copyfile(source, self.scratch / source.name)
        program = self._program
        if self._starts > 1:  # a restart only needs the definitions: the visible tests ran the first time
            program = {**program, "cells": [c for c in program["cells"] if c["kind"] != "test"]}
        (self.scratch / "program.json").write_text(json.dumps(program))
        self._cap = memory_cap(int(self.limits.memory_mb) << 20)
        self.memory_cap_kind = self._cap.kind
        env = self._env() if self.confined else {**self._env(), "PATH": os.environ.get("PATH", "")}
        self._proc = subprocess.Popen(
            self._cap.wrap(self._argv()), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, cwd=self.scratch, env=env, start_new_session=True,
        )
        self._cap.watch(self._proc.pid)
        self._disk = DiskWatch(self.scratch, int(self.limits.max_disk_mb) << 20, self._proc.pid)
        self._buffer = b""
        try:
            ready = self._read_reply(self.limits.program_timeout_s, "running the notebook program")
        except (StudentCrashed, StudentTimeout) as failure:
            self._start_failure = failure
            raise
        if ready.get("ready") is not True or not isinstance(ready.get("cells"), list):
            self._start_failure = StudentCrashed("the student process sent a malformed start message")
            self.kill()
            raise self._start_failure
        if self._starts == 1:
            self.cells = ready["cells"]
        self.student_seconds += sum(float(c.get("seconds", 0)) for c in self.cells if isinstance(c, dict))

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
        """Kill the process and delete the scratch directory: nothing of the job is left."""
        self.kill()
        shutil.rmtree(self.scratch, ignore_errors=True)

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
        self._send(request)
        reply = self._read_reply(timeout, f"calling {name}" if op == "call" else f"reading {name}")
        self.student_seconds += _number(reply.get("seconds"))
        mutated = [i for i in reply.get("mutated", []) if isinstance(i, int)]
        if reply.get("ok") is True:
            return self._decode(reply.get("result"), request["out"]), mutated
        if reply.get("missing"):
            raise StudentMissing(f"{name} is not defined{self._cell_errors()}")
        raise StudentCodeError(f"{name} raised {self._student_error(reply)}")

    def _encode(self, value, tag: str) -> dict:
        if isinstance(value, np.ndarray):
            relative = f"in-{self._calls}-{tag}.npy"
            np.save(self.scratch / relative, value, allow_pickle=False)
            return {"npy": relative}
        if hasattr(value, "save") and type(value).__module__.startswith("keras"):
            relative = f"in-{self._calls}-{tag}.keras"
            value.save(self.scratch / relative)
            return {"keras": relative}
        json.dumps(value)
        return {"json": list(value), "tuple": True} if isinstance(value, tuple) else {"json": value}

    def _decode(self, result, out_base: str):
        if not isinstance(result, dict):
            raise StudentCrashed("the student process sent a malformed reply")
        if "json" in result:
            value = result["json"]
            if isinstance(value, list) and all(type(v) in (int, float, bool) for v in value):
                return tuple(value)
            if type(value) in (int, float, bool):
                return value
            raise StudentCrashed("the student process sent a malformed value")
        if result.get("npy") == out_base + ".npy":
            return _load_array(self.scratch / result["npy"])
        if result.get("keras") == out_base + ".keras":
            return load_model(_regular_file(self.scratch / result["keras"]), self.allowed_layers)
        raise StudentCrashed("the student process named a result file it was not given")

    def _cell_errors(self) -> str:
        failed = [c for c in self.cells if isinstance(c, dict) and c.get("kind") == "solution" and not c.get("ok")]
        if not failed:
            return ""
        first = failed[0]
        return f": your solution cell {first.get('id')!r} raised {self._student_error(first, verbatim=True)}"

    def _student_error(self, reply: dict, *, verbatim: bool = False) -> str:
        """The student's exception as feedback may show it (see the class docstring)."""
        lines = {c.get("id"): str(c.get("source", "")).count("\n") + 1 for c in self._program["cells"]}
        where = CELL_LINE.fullmatch(str(reply.get("where", "")))
        place = f" ({where.group(0)})" if where and int(where.group(2)) <= lines.get(where.group(1), 0) else ""
        error = str(reply.get("error", ""))
        if verbatim or not self._saw_hidden_inputs:
            message = f": {str(reply['message'])[:300]}" if reply.get("message") else ""
            return f"{error[:80] or 'an error'}{message}{place}"
        blocked = BLOCKED_IMPORT.fullmatch(str(reply.get("message", "")))
        if error in ("ImportError", "ModuleNotFoundError") and blocked and blocked.group(1) in self.forbidden:
            return f"{error}: {blocked.group(1)} is not available in this assignment (the grader hides it){place}"
        if reply.get("not_numeric") is True:
            return "TypeError: returned a value that is not a number, a Keras model or an array of numbers"
        shown = error if error in SHOWN_ERRORS else "an exception"
        return f"{shown}{place}; {MESSAGE_WITHHELD}"

    # -- pipe -----------------------------------------------------------------------------

    def _send(self, request: dict) -> None:
        try:
            self._proc.stdin.write((json.dumps(request) + "\n").encode())
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # the process is gone; reading the reply reports how it ended

    def _read_reply(self, timeout: float, doing: str) -> dict:
        budget = self._deadline - time.monotonic()
        if budget < timeout:
            timeout = max(budget, 0.0)
            doing += f" (the submission's time budget of {self.limits.submission_timeout_s:g} s ran out)"
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(self._proc.stdout, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not selector.select(remaining):
                    self.kill()
                    raise StudentTimeout(f"timed out after {timeout:g} s while {doing}")
                chunk = os.read(self._proc.stdout.fileno(), 65536)
                if not chunk:
                    raise self._crash(doing)
                self._buffer += chunk
                if len(self._buffer) > MAX_REPLY_BYTES:
                    self.kill()
                    raise StudentCrashed("the student process flooded the reply channel")
        line, self._buffer = self._buffer.split(b"\n", 1)
        try:
            reply = json.loads(line)
        except ValueError:
            self.kill()
            raise StudentCrashed("the student process sent a malformed reply") from None
        if not isinstance(reply, dict):
            self.kill()
            raise StudentCrashed("the student process sent a malformed reply")
        return reply

    def _crash(self, doing: str) -> StudentCrashed:
        status = self._proc.wait()
        over_memory, over_disk = self._cap.exceeded(), self._disk.exceeded
        self.kill()
        if over_memory:
            return StudentCrashed(f"killed while {doing}: memory limit of {self.limits.memory_mb} MiB exceeded")
        if over_disk:
            return StudentCrashed(f"killed while {doing}: wrote more than {self.limits.max_disk_mb} MiB of files")
        if status == -signal.SIGKILL or status == 128 + signal.SIGKILL:
            return StudentCrashed(f"killed while {doing} (SIGKILL: the hard CPU time limit, or the code killed itself)")
        if status in (-signal.SIGXCPU, 128 + signal.SIGXCPU):
            return StudentCrashed(f"CPU time limit of {self.limits.cpu_seconds} s exceeded while {doing}")
        return StudentCrashed(f"the student process ended (exit status {status}) while {doing}")


def _number(value) -> float:
    return float(value) if type(value) in (int, float) else 0.0


def _regular_file(path: Path) -> Path:
    """``path`` if the student wrote it as a plain file (not a link, not a device), else a crash."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        raise StudentCrashed("the student process did not write its result file") from None
    if not stat.S_ISREG(mode):
        raise StudentCrashed("the student's result file is not a plain file")
    return path


def _load_array(path: Path) -> np.ndarray:
    """Load a result file the student wrote: a regular file, no links, no pickles, numbers only."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        raise StudentCrashed("the student process did not write its result file") from None
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise StudentCrashed("the student's result file is not a plain file")
        try:
            array = np.load(handle, allow_pickle=False)
        except (ValueError, OSError, EOFError) as error:
            raise StudentCrashed(f"the student's result is not a valid .npy array ({error})") from None
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "biuf":
        raise StudentCrashed("the student's result is not an array of numbers")
    return array

