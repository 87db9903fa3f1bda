"""Prove that the sandbox confines: run probes inside it and compare with what must hold.

``grader doctor`` prints the table; ``grader autograde`` runs the same probes before
every batch and refuses to grade when one fails (unless --unsafe-no-sandbox).
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path

from grader import paths
from grader.config import SandboxLimits
from grader.sandbox.errors import StudentFailure
from grader.sandbox.process import StudentProcess

MARKER = "GRADER_DOCTOR_SECRET"
LIMITS = SandboxLimits(memory_mb=512, program_timeout_s=60, max_processes=64, max_disk_mb=64)

PROBE = '''
import os, resource, socket

def _fails(action):
    try:
        action()
        return 0
    except Exception:
        return 1

def _connect(host):
    socket.create_connection((host, 80), timeout=2).close()

def _write_system():
    open("/usr/grader-doctor", "w").close()

def probes(hidden):
    results = [
        _fails(lambda: _connect("127.0.0.1")),
        _fails(lambda: _connect("1.1.1.1")),
        int(not any(os.path.exists(path) for path in hidden)),
        _fails(lambda: __import__("reference")),
        _fails(lambda: __import__("grader")),
        int("%(marker)s" not in os.environ),
        int(os.getuid() != 0),
        _fails(_write_system),
        int(resource.getrlimit(resource.RLIMIT_NPROC)[1] == %(nproc)d),
        int(resource.getrlimit(resource.RLIMIT_CPU)[1] == %(cpu)d),
        int(resource.getrlimit(resource.RLIMIT_FSIZE)[1] == %(fsize)d),
        int(len([pid for pid in os.listdir("/proc") if pid.isdigit()]) <= 3),
    ]
    return results
''' % {"marker": MARKER, "nproc": LIMITS.max_processes, "cpu": LIMITS.cpu_seconds, "fsize": LIMITS.max_file_mb << 20}

CLAIMS = [
    "no network to the host's loopback",
    "no network to the outside world",
    "assignments/*/grading, reference/, the course and its gradebook are invisible",
    "the reference package cannot be imported",
    "the grader package cannot be imported",
    "the harness's environment variables are not passed in",
    "student code runs as an unprivileged user",
    "the system folders are read-only",
    "process limit (RLIMIT_NPROC) is set",
    "CPU time limit (RLIMIT_CPU) is set",
    "file size limit (RLIMIT_FSIZE) is set",
    "own pid namespace: no other processes visible",
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
    return [*(Finding(claim, bool(value)) for claim, value in zip(CLAIMS, values)), memory, left]
