"""The sandboxed student process: calls, confinement, limits, and that nothing is left behind."""

import re
import time

import numpy as np
import psutil
import pytest

from grader.config import SandboxLimits
from grader.paths import project_root
from grader.sandbox import gpu
from grader.sandbox.errors import StudentCodeError, StudentCrashed, StudentMissing, StudentTimeout
from grader.sandbox.process import StudentProcess

LIMITS = SandboxLimits(memory_mb=300, program_timeout_s=20, restarts=1)


def program(solution: str) -> list[dict]:
    return [{"id": "imports", "kind": "locked", "source": "import numpy as np\n"},
            {"id": "impl", "kind": "solution", "source": solution}]


def started(solution: str, **limits) -> StudentProcess:
    process = StudentProcess(program(solution), ["tensorflow", "keras"],
                             SandboxLimits(**{**LIMITS.__dict__, **limits}))
    process.start()
    return process


def test_call_returns_plain_array_and_output_goes_to_the_log():
    with started("def double(x):\n    print('noise on stdout')\n    return x * 2\n") as p:
        result, mutated = p.call("double", (np.arange(3.0),), {}, timeout=10)
        assert type(result) is np.ndarray and result.tolist() == [0.0, 2.0, 4.0]
        assert mutated == []
        assert "noise on stdout" in (p.job.scratch / "output.log").read_text()
    assert 10 < p.peak_memory_bytes / 2**20 < LIMITS.memory_mb


def test_in_place_modification_is_reported():
    with started("def scale(x):\n    x *= 2\n    return x\n") as p:
        _, mutated = p.call("scale", (np.ones(3),), {}, timeout=10)
        assert mutated == [0]


def test_always_equal_object_is_refused():
    code = "class Eq:\n    def __eq__(self, o): return True\n\ndef f(x):\n    return Eq()\n"
    refused = "not a number, a Keras model or an array of numbers"
    with started(code) as p, pytest.raises(StudentCodeError, match=refused):
        p.call("f", (np.ones(2),), {}, timeout=10)


def test_ndarray_subclass_comes_back_as_plain_ndarray():
    code = ("class Liar(np.ndarray):\n    def __eq__(self, o): return True\n\n"
            "def f(x):\n    return np.zeros(3).view(Liar)\n")
    with started(code) as p:
        result, _ = p.call("f", (np.ones(2),), {}, timeout=10)
        assert type(result) is np.ndarray and not np.array_equal(result, np.ones(3))


def test_missing_function_names_the_failing_solution_cell():
    with started("raise ValueError('broken cell')\ndef f(x):\n    return x\n") as p:
        with pytest.raises(StudentMissing, match="broken cell"):
            p.call("f", (np.ones(2),), {}, timeout=10)


def test_exit_in_the_program_is_a_crash_every_time():
    process = StudentProcess(program("import os\nos._exit(0)\n"), [], LIMITS)
    with process:
        with pytest.raises(StudentCrashed):
            process.start()
        with pytest.raises(StudentCrashed, match="could not run"):
            process.call("f", (), {}, timeout=5)


def test_infinite_loop_times_out_and_the_next_call_gets_a_fresh_process():
    with started("def spin(x):\n    while True:\n        pass\n\ndef ok(x):\n    return x\n") as p:
        started_at = time.monotonic()
        with pytest.raises(StudentTimeout):
            p.call("spin", (np.ones(1),), {}, timeout=1)
        assert time.monotonic() - started_at < 5
        result, _ = p.call("ok", (np.ones(1),), {}, timeout=10)
        assert result.tolist() == [1.0]


def test_memory_bomb_is_killed_by_the_cap():
    with started("def bomb(x):\n    return np.ones((1 << 30,), dtype=np.uint8) + 1\n", memory_mb=200) as p:
        with pytest.raises(StudentCrashed, match="memory limit of 200 MiB exceeded"):
            p.call("bomb", (np.ones(1),), {}, timeout=20)


def test_no_network_no_hidden_paths_no_trusted_packages(tmp_path):
    root = project_root()
    secret = tmp_path / "gradebook.db"
    secret.write_text("other students' grades")
    probe = f"""
import os, socket
def probes(x):
    found = []
    for path in [{str(root / 'assignments/conv2d/grading')!r}, {str(root / 'reference')!r},
                 {str(secret)!r}, '/etc/shadow']:
        found.append(os.path.exists(path))
    for name in ['reference', 'grader']:
        try:
            __import__(name)
            found.append(True)
        except ImportError:
            found.append(False)
    try:
        socket.create_connection(('127.0.0.1', 22), timeout=1)
        found.append(True)
    except OSError:
        found.append(False)
    found.append(os.getuid() == 0)
    return np.array(found)
"""
    with started(probe) as p:
        result, _ = p.call("probes", (np.ones(1),), {}, timeout=20)
        assert not result.any(), result


def test_forbidden_module_refuses_import_with_a_reason():
    with started("def f(x):\n    import tensorflow\n    return x\n") as p:
        with pytest.raises(StudentCodeError, match="not available in this assignment"):
            p.call("f", (np.ones(1),), {}, timeout=20)


def test_nothing_is_left_after_close():
    process = started("import subprocess\nchild = subprocess.Popen(['sleep', '300'])\ndef f(x):\n    return x\n")
    scratch = process.job.root
    pid = process._proc.pid
    children = psutil.Process(pid).children(recursive=True)
    assert children
    process.close()
    assert not scratch.exists()
    time.sleep(0.2)
    assert not any(c.is_running() and c.status() != psutil.STATUS_ZOMBIE for c in children)


def test_plain_values_keep_their_python_types():
    code = ("def kinds(*args, **kwargs):\n"
            "    return [type(a).__name__ == n for a, n in zip(args, ['int', 'tuple', 'str', 'list'])]\n")
    with started(code) as p:
        result, _ = p.call("kinds", (3, (2, 2), "same", [1, 2]), {}, timeout=10)
        assert result == (True, True, True, True)


def test_released_files_are_in_the_working_directory(tmp_path):
    data = tmp_path / "digits.npz"
    np.savez(data, x=np.arange(3))
    process = StudentProcess(program("def total():\n    return int(np.load('digits.npz')['x'].sum())\n"),
                             [], LIMITS, files=(data,))
    with process:
        assert process.call("total", (), {}, timeout=10)[0] == 3


def test_filling_the_disk_is_stopped_at_the_cap():
    code = ("def fill(x):\n    block = b'x' * (1 << 20)\n    for i in range(10000):\n"
            "        with open(f'junk{i}', 'wb') as handle:\n            handle.write(block)\n")
    with started(code, max_disk_mb=50) as p:
        with pytest.raises(StudentCrashed, match="wrote more than 50 MiB"):
            p.call("fill", (np.ones(1),), {}, timeout=60)


def test_page_cache_of_written_files_is_not_blamed_on_memory():
    """Written files fill the page cache, which a cgroup charges to the student and the kernel
    reclaims at the limit; a process that then dies of something else was not out of memory."""
    code = ("import os, signal\ndef write(x):\n    block = b'x' * (1 << 20)\n    for i in range(10):\n"
            "        with open(f'data{i}', 'wb') as handle:\n            handle.write(block * 60)\n"
            "    os.kill(os.getpid(), signal.SIGKILL)\n")
    with started(code, memory_mb=300, max_disk_mb=1000, restarts=0) as p:
        with pytest.raises(StudentCrashed) as crash:
            p.call("write", (np.ones(1),), {}, timeout=120)
        assert "memory" not in str(crash.value)


def test_tmp_is_a_small_tmpfs():
    code = ("def fill():\n    with open('/tmp/junk', 'wb') as handle:\n"
            "        for _ in range(100):\n            handle.write(b'x' * (1 << 20))\n")
    with started(code, max_disk_mb=20) as p:
        with pytest.raises(StudentCodeError, match="No space left"):
            p.call("fill", (), {}, timeout=60)


LEAKY = '''\
class Smuggle(Exception):
    pass

def plain():
    raise ValueError("nothing hidden yet")

def leak_message(x):
    raise ValueError(f"LEAK {x.tolist()}")

def leak_class_name(x):
    raise type(f"LEAK{int(x[0] * 1000)}", (Exception,), {})()

def leak_file_name(x):
    exec(compile("raise ValueError()", f"<cell LEAK{int(x[0] * 1000)}>", "exec"))

def leak_line_number(x):
    exec(compile("\\n" * int(x[0] * 1000) + "raise ValueError()", "<cell impl>", "exec"))
'''


def test_errors_before_any_hidden_input_show_their_message():
    shown = r"ValueError: nothing hidden yet \(cell impl, line 5\)"
    with started(LEAKY) as p, pytest.raises(StudentCodeError, match=shown):
        p.call("plain", (), {}, timeout=10)


@pytest.mark.parametrize(("function", "shown"), [
    ("leak_message", "ValueError;"),
    ("leak_class_name", "an exception;"),
    ("leak_file_name", "ValueError;"),
    ("leak_line_number", "ValueError;"),
])
def test_errors_on_hidden_inputs_cannot_carry_them_out(function, shown):
    """Message, class name, file name and line number are all channels the student controls."""
    with started(LEAKY) as p:
        with pytest.raises(StudentCodeError) as error:
            p.call(function, (np.array([0.123456]),), {}, timeout=10)
        assert shown in str(error.value)
        assert "LEAK" not in str(error.value) and "123" not in str(error.value)
        assert not re.search(r"line \d", str(error.value)), "a line number is a channel too"
        with pytest.raises(StudentCodeError) as later:
            p.call("plain", (), {}, timeout=10)
        assert "nothing hidden yet" not in str(later.value), "the process has seen hidden inputs by now"


def test_the_submission_budget_bounds_all_calls_together():
    with started("import time\ndef nap(x):\n    time.sleep(1.5)\n    return x\n", submission_timeout_s=4) as p:
        p.call("nap", (np.ones(1),), {}, timeout=10)
        with pytest.raises(StudentTimeout, match="time budget"):
            for _ in range(5):
                p.call("nap", (np.ones(1),), {}, timeout=10)


def test_a_hanging_visible_test_costs_only_that_cell():
    cells = [*program("def f(x):\n    while True:\n        pass\n\ndef g(x):\n    return x\n"),
             {"id": "f_tests", "kind": "test", "source": "f(1)"}]
    process = StudentProcess(cells, [], SandboxLimits(**{**LIMITS.__dict__, "test_cell_timeout_s": 1}))
    with process:
        process.start()
        test_cell = process.cells[-1]
        assert not test_cell["ok"] and "interrupted" in test_cell["message"]
        assert process.call("g", (np.ones(1),), {}, timeout=10)[0].tolist() == [1.0]


FORGER = '''
import glob, json, os

def forge(cells):
    line = (json.dumps({"ready": True, "cells": cells}) + "\\n").encode()
    for fd in range(3, 64):  # its own descriptors, the socket to the courier among them
        try:
            os.write(fd, line)
        except OSError:
            pass
    for path in glob.glob("/proc/[0-9]*/fd/*"):  # anyone else's
        try:
            handle = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            os.write(handle, line)
        except OSError:
            pass
        os.close(handle)

forge([{"id": "imports", "kind": "locked", "ok": True, "seconds": 0.0},
       {"id": "impl", "kind": "solution", "ok": True, "seconds": 0.0}])

def f(x):
    return x
'''


def test_messages_student_code_forges_are_never_believed():
    """Its only way out is the courier's socket: a forged message arrives out of turn and ends the run."""
    with StudentProcess(program(FORGER), [], LIMITS) as process:
        with pytest.raises(StudentCrashed, match="out of turn|malformed"):
            process.start()
            process.call("f", (np.ones(1),), {}, timeout=10)


HEADERS = r'''
import os, sys
import numpy as np

_runner = sys.modules["__main__"]

def huge_header(x):
    header = ("{'descr': '<f8', 'fortran_order': False, 'shape': (10000000000000,), }".ljust(117) + "\n").encode()
    data = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + bytes(64)
    def encode(result, out_base):
        with open(out_base + ".npy", "wb") as handle:
            handle.write(data)
        return {"npy": os.path.basename(out_base) + ".npy"}
    _runner.encode = encode
    return x

def exit_with(x):
    os._exit(int(abs(x[0]) * 1000) % 256)
'''


def test_a_header_declaring_a_huge_array_is_refused_without_allocating_it():
    with started(HEADERS) as p, pytest.raises(StudentCrashed, match="not a valid .npy"):
        p.call("huge_header", (np.ones(3),), {}, timeout=10)


def test_an_exit_status_chosen_after_hidden_inputs_is_not_shown():
    with started(HEADERS) as p, pytest.raises(StudentCrashed) as crash:
        p.call("exit_with", (np.array([0.049]),), {}, timeout=10)
    assert "49" not in str(crash.value) and "exit status" not in str(crash.value)


# A student cell that tries to pass for the runner: it writes a GPU report of its own ("I have a GPU")
# to each of its descriptors, the executor's socket to the courier among them.
FORGE_GPU = '''\
import json, os, time
fake = {"device_nodes": ["nvidia0"], "driver": "", "cuda_wheels": ["cudnn"], "tensorflow": "9", "cuda_build": True,
        "gpus": ["Forged GPU"], "tf32": False, "determinism": True, "memory_growth": True, "error": ""}
for fd in range(3, 64):
    try:
        os.write(fd, (json.dumps({"gpu": fake}) + "\\n").encode())
    except OSError:
        pass
time.sleep(SLEEP)
'''


def gpu_process(solution: str, **options) -> StudentProcess:
    return StudentProcess(program(solution), [], SandboxLimits(memory_mb=2048, program_timeout_s=120, restarts=0),
                          **options)


def test_a_gpu_program_reports_tensorflow_before_any_student_code_and_cannot_be_forged():
    with gpu_process(FORGE_GPU.replace("SLEEP", "0"), gpu=True) as process:
        with pytest.raises(StudentCrashed):  # the forged line came where the ready message belongs
            process.start()
        report = process.gpu_report
    assert report["gpus"] == [] and report["cuda_build"] is False and report["tensorflow"]
    assert report["tf32"] is False and report["determinism"] is True


def test_a_process_that_requires_a_gpu_and_finds_none_is_killed_before_its_code_runs_on():
    started = time.monotonic()
    with gpu_process(FORGE_GPU.replace("SLEEP", "60"), require_gpu=True) as process:
        with pytest.raises(gpu.GpuMissing, match="^the student process was given a GPU, but: .*TensorFlow sees no GPU"):
            process.start()
        assert not process.alive()
        assert process.gpu_missing.endswith("TensorFlow sees no GPU")
    assert time.monotonic() - started < 50, "killed at once, not after the student's 60 s cell"


def test_a_cpu_program_sends_no_gpu_report():
    with started("def f():\n    return 1\n") as process:
        assert process.gpu_report is None and process.call("f", (), {}, timeout=10)[0] == 1
