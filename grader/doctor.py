"""Prove that the sandbox confines: run probes inside it and compare with what must hold.

``grader doctor`` prints the table; ``grader autograde`` runs the same probes before
every batch and refuses to grade when one fails (unless --unsafe-no-sandbox).
``grader doctor --gpu`` and GPU workers (:mod:`grader.gpuworker`) also check, with
:func:`examine_gpu`, that TensorFlow finds the GPU where grading jobs use it.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path

from grader import paths
from grader.config import SandboxLimits
from grader.sandbox import gpu
from grader.sandbox.bwrap import SandboxUnavailable, probe
from grader.sandbox.errors import StudentFailure
from grader.sandbox.process import StudentProcess
from grader.sandbox.runner import prepare_gpu

MARKER = "GRADER_DOCTOR_SECRET"
LIMITS = SandboxLimits(memory_mb=512, program_timeout_s=60, max_processes=64, max_disk_mb=64, shm_mb=16)
# The GPU probe loads TensorFlow and initialises CUDA, as a Keras grading job does.
GPU_LIMITS = SandboxLimits(memory_mb=4096, program_timeout_s=180, restarts=0)

PROBE = '''
import ctypes, errno, os, resource, socket

_libc = ctypes.CDLL(None, use_errno=True)

def _fails(action):
    try:
        action()
        return 0
    except Exception:
        return 1

def _connect(host):
    socket.create_connection((host, 80), timeout=2).close()

def _write(path):
    open(path, "w").close()

def _identity():
    """0: root inside; 1: a non-root uid of the host itself; 2: a non-root uid of a user namespace."""
    if os.getuid() == 0:
        return 0
    return 1 if open("/proc/self/uid_map").read().split() == ["0", "0", "4294967295"] else 2

def _no_capabilities():
    fields = dict(line.split(":", 1) for line in open("/proc/self/status"))
    return all(int(fields[name], 16) == 0 for name in ("CapEff", "CapPrm", "CapAmb", "CapBnd"))

def _processes_started(limit):
    children = []
    try:
        for _ in range(limit + 16):
            pid = os.fork()
            if pid == 0:  # a small process, so that a memory watchdog summing RSS does not step in
                os.execv("/bin/sleep", ["sleep", "30"])
            children.append(pid)
    except OSError:
        pass
    for pid in children:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    return len(children)

def _refused(number, *args):
    return _libc.syscall(number, *args) == -1 and ctypes.get_errno() == errno.EPERM

def _tmpfs_at_most(path, limit):
    found = os.statvfs(path)
    return found.f_blocks * found.f_frsize <= limit

def _channel_closed():
    targets = [f"/proc/{os.getppid()}/fd/{fd}" for fd in range(8)]
    return not any(_fails(lambda: os.close(os.open(t, os.O_WRONLY | os.O_NONBLOCK))) == 0 for t in targets)

def probes(hidden):
    info = os.stat(os.getcwd())  # the scratch
    return [
        _fails(lambda: _connect("127.0.0.1")),
        _fails(lambda: _connect("1.1.1.1")),
        int(not any(os.path.exists(path) for path in hidden)),
        _fails(lambda: __import__("reference")),
        _fails(lambda: __import__("grader")),
        int("%(marker)s" not in os.environ),
        _identity(),
        int(_no_capabilities()),
        _fails(lambda: _write("/usr/grader-doctor")),
        int(0 < _processes_started(%(nproc)d) < %(nproc)d),
        int(resource.getrlimit(resource.RLIMIT_CPU)[1] == %(cpu)d),
        int(resource.getrlimit(resource.RLIMIT_FSIZE)[1] == %(fsize)d),
        int(len([pid for pid in os.listdir("/proc") if pid.isdigit()]) <= 4),
        int(_tmpfs_at_most("/dev/shm", %(shm)d) and _fails(lambda: _write("/dev/grader-doctor"))),
        int(_tmpfs_at_most("/tmp", %(disk)d)),
        int("Seccomp:\t2" in open("/proc/self/status").read() and _refused(101, 16, 1, 0, 0)
            and _refused(321, 0, 0, 0) and _refused(250, 0, 0)),
        int(_libc.unshare(0x10000000) != 0),
        int(_channel_closed()),
        int(info.st_mode & 0o777 == 0o700 and info.st_uid == os.getuid()),
    ]
''' % {"marker": MARKER, "nproc": LIMITS.max_processes, "cpu": LIMITS.cpu_seconds, "fsize": LIMITS.max_file_mb << 20,
        "shm": LIMITS.shm_mb << 20, "disk": LIMITS.max_disk_mb << 20}

UNPRIVILEGED = 6
CLAIMS = [
    "no network to the host's loopback",
    "no network to the outside world",
    "assignments/*/grading, reference/, the course and its gradebook are invisible",
    "the reference package cannot be imported",
    "the grader package cannot be imported",
    "the harness's environment variables are not passed in",
    "student code runs as an unprivileged user, on the host too",
    "student code holds no capabilities",
    "the system folders are read-only",
    f"processes and threads are capped at {LIMITS.max_processes} (cgroup pids, else RLIMIT_NPROC)",
    "CPU time limit (RLIMIT_CPU) is set",
    "file size limit (RLIMIT_FSIZE) is set",
    "own pid namespace: no other processes visible",
    "/dev is read-only and /dev/shm a sized tmpfs",
    "/tmp is a sized tmpfs",
    "a seccomp filter refuses ptrace, bpf and the kernel keyring",
    "no nested user namespaces",
    "the checker's channel cannot be reached from student code",
    "the scratch folder is private to the student process",
]


@dataclasses.dataclass(frozen=True)
class Finding:
    """One property of the sandbox and whether it held."""

    claim: str
    ok: bool


def hidden_paths(course: Path | None) -> list[str]:
    """Paths that must not exist inside the sandbox."""
    root = paths.project_root()
    found = [str(p) for p in (root / "assignments").glob("*/grading")] + [str(root / "reference")]
    if course is not None:
        found += [str(course.resolve()), str(course.resolve() / "gradebook.db")]
    return found


def examine(course: Path | None = None) -> list[Finding]:
    """Run every probe in a fresh sandbox; also checks the memory cap and that nothing is left after."""
    cells = [{"id": "doctor", "kind": "solution", "source": PROBE}]
    os.environ[MARKER] = "1"
    try:
        with tempfile.TemporaryDirectory(prefix="grader-doctor-") as workdir:
            with StudentProcess(cells, [], LIMITS, workdir=Path(workdir)) as process:
                values, _ = process.call("probes", (hidden_paths(course),), {}, timeout=60)
                memory = Finding(f"memory is capped ({process.memory_cap_kind})", process.memory_cap_kind != "none")
            left = Finding("nothing of the job is left afterwards", not os.listdir(workdir))
    except StudentFailure as failure:
        return [Finding(f"the sandbox starts ({failure})", False)]
    finally:
        del os.environ[MARKER]
    values = list(values)
    values[UNPRIVILEGED] = _unprivileged_on_the_host(values[UNPRIVILEGED])
    return [*(Finding(claim, bool(value)) for claim, value in zip(CLAIMS, values)), memory, left]


def _unprivileged_on_the_host(identity: int) -> bool:
    """A uid of the host that is not root, or a user namespace made by a grader that is not root.

    A user namespace maps the sandbox to the uid of whoever ran bubblewrap, which the
    probe cannot see from inside (bwrap nests namespaces): the grader's own uid decides.
    """
    return identity == 1 or (identity == 2 and os.geteuid() != 0)


@dataclasses.dataclass(frozen=True)
class GpuExamination:
    """TensorFlow's view of the GPU where grading uses it: a sandbox started as a job's, and the checker."""

    confined: bool
    sandbox: dict
    checker: dict

    def places(self) -> list[tuple[str, dict]]:
        """(where, report) pairs, in the order they are printed."""
        where = "a sandbox started as a grading job's" if self.confined else "an unconfined student process"
        return [(where, self.sandbox), ("the checker (this process)", self.checker)]

    def problems(self) -> list[str]:
        """What is missing, each saying where; empty when this machine can grade on its GPU."""
        found: dict[str, list[str]] = {}
        for where, report in self.places():
            for problem in gpu.problems(report):
                found.setdefault(problem, []).append(where.split(" (")[0])
        return [f"{problem} (in {' and in '.join(places)})" for problem, places in found.items()]


def examine_gpu() -> GpuExamination:
    """Start a student process the way a job graded on a GPU starts it, and read its GPU report.

    Confined when bubblewrap works here, else unconfined (as ``--unsafe-no-sandbox`` jobs run).
    The checker's report comes from this process, set up as :mod:`grader.grade` sets it up.
    """
    try:
        probe()
        confined = True
    except SandboxUnavailable:
        confined = False
    try:
        with tempfile.TemporaryDirectory(prefix="grader-doctor-gpu-") as workdir:
            with StudentProcess([], [], GPU_LIMITS, confined=confined, workdir=Path(workdir), gpu=True) as process:
                process.start()
                sandbox = process.gpu_report
    except StudentFailure as failure:
        sandbox = gpu.unreported(f"the student process did not start: {failure}")
    return GpuExamination(confined, sandbox, prepare_gpu())
