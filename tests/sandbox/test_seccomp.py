"""The seccomp filter: built by libseccomp, and in force inside the sandbox for every process."""

import errno

import numpy as np
import pytest

from grader.config import SandboxLimits
from grader.sandbox import seccomp
from grader.sandbox.process import StudentProcess

PROBE = '''
import ctypes, errno, os
libc = ctypes.CDLL(None, use_errno=True)
SYSCALLS = {"ptrace": 101, "unshare": 272, "bpf": 321, "perf_event_open": 298, "keyctl": 250, "mount": 165,
            "setns": 308, "userfaultfd": 323, "io_uring_setup": 425}

def attempt(name):
    args = {"ptrace": (16, 1, 0, 0), "unshare": (0x10000000,), "bpf": (0, 0, 0),
            "mount": (b"none", b"/tmp", b"tmpfs", 0, 0), "perf_event_open": (0, 0, -1, -1, 0), "keyctl": (0, 0),
            "setns": (0, 0), "userfaultfd": (0,),
            "io_uring_setup": (1, 0)}[name]
    ctypes.set_errno(0)
    result = libc.syscall(SYSCALLS[name], *args)
    return result, ctypes.get_errno()

def errnos(x):
    return [attempt(name)[1] for name in sorted(SYSCALLS)]

def threads_and_forks_work(x):
    import threading
    t = threading.Thread(target=lambda: None)
    t.start(); t.join()
    pid = os.fork()
    if pid == 0:
        os._exit(7)
    return os.WEXITSTATUS(os.waitpid(pid, 0)[1])
'''


def test_the_filter_compiles_to_bpf():
    with seccomp.filter_file() as handle:
        program = handle.read()
    assert len(program) > 0 and len(program) % 8 == 0  # struct sock_filter is 8 bytes


@pytest.fixture(scope="module")
def student():
    cells = [{"id": "probe", "kind": "solution", "source": PROBE}]
    with StudentProcess(cells, [], SandboxLimits(memory_mb=300, program_timeout_s=20)) as process:
        process.start()
        yield process


def test_blocked_syscalls_fail_with_eperm_inside_the_sandbox(student):
    found, _ = student.call("errnos", (np.zeros(1),), {}, timeout=20)
    assert set(found) == {errno.EPERM}, found


def test_threads_and_forks_still_work(student):
    assert student.call("threads_and_forks_work", (np.zeros(1),), {}, timeout=20)[0] == 7
