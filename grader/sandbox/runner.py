"""The student runner: executes inside the sandbox, never in a trusted process.

It is started by :mod:`grader.sandbox.process` as
``python -I runner.py INBOX SCRATCH PROGRAM`` inside bubblewrap, and must stay a
standalone script (standard library and numpy only: nothing of ``grader`` or
``reference`` is visible in the sandbox).

1. It reads ``INBOX/PROGRAM`` (JSON) and lowers its own resource limits (irreversibly:
   the sandbox has no capabilities).
2. It splits in two. The *courier* keeps the pipes to the checker, makes itself
   undumpable (so no process of its uid can open its descriptors or memory) and
   relays messages. The *executor* closes every way to the checker but a socket to
   the courier, sends what the student code prints to ``output.log`` and runs it.
   Student code therefore cannot write the checker's pipe; a message it slips onto
   the socket arrives out of turn, and the courier reports that instead of relaying it.
3. The executor runs the rebuilt notebook program cell by cell, recording each
   cell's error, then answers the checker's requests, one JSON line each. Inputs are
   ``.npy`` (or ``.keras``) files in the read-only INBOX, results files in SCRATCH.
4. A program marked ``"gpu"`` (an assignment graded on a GPU) first gets TensorFlow set up
   the way grading on a GPU requires (:func:`prepare_gpu`: TF32 off, memory growth on), and the
   executor reports what it found before any student code runs, so that report is the runner's
   own. That is the one place the runner imports more than numpy: TensorFlow, which the
   student's program imports anyway.

Everything it reports is untrusted: the checker validates every message.
"""

import builtins
import ctypes
import glob
import importlib.util
import json
import os
import resource
import selectors
import signal
import socket
import sys
import time
import traceback

import numpy as np

MAX_MESSAGE = 300
MAX_LINE = 1 << 20
PR_SET_DUMPABLE = 4
OUT_OF_TURN_LINE = (json.dumps({"protocol_violation": "the student process sent a message out of turn"})
                    + "\n").encode()


def lower_limits(limits):
    """Set soft and hard limits at once, so the student code can never raise them."""
    for name, value in limits.items():
        kind = getattr(resource, name)
        resource.setrlimit(kind, (value, value))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def redirect_output(log_path):
    """fds 0-2 become /dev/null and the output log: the checker's pipes are gone from this process."""
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(null)
    os.close(log)
    # A full output log makes writes fail (EFBIG) instead of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def describe(error):
    """Exception type, a short message and the student's line, without the runner's frames."""
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    where = ""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename.startswith("<cell "):
            where = f"{frame.filename[1:-1]}, line {frame.lineno}"
            break
    return {"error": type(error).__name__, "message": message[:MAX_MESSAGE], "where": where}


def flush_output():
    """Push what the student printed into the output log; a full log is not our problem."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass


# The CUDA libraries TensorFlow loads, as the pip wheels of its [and-cuda] extra install them (nvidia.NAME).
CUDA_WHEELS = ("cuda_runtime", "cublas", "cudnn", "cufft", "curand", "cusolver", "cusparse", "nvjitlink")


def _loads(library):
    """'' if the shared library loads, else why not (one line)."""
    try:
        ctypes.CDLL(library)
        return ""
    except OSError as error:
        return str(error).splitlines()[0][:MAX_MESSAGE] if str(error) else "it does not load"


def _installed(module):
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def prepare_gpu():
    """Set TensorFlow up for grading on a GPU and report what this process sees (a JSON-ready dict).

    TF32 is turned off (float32 matmuls and convolutions at full precision, as on a CPU) and
    memory growth turned on for every GPU, so the student process, the checker and the model
    evaluator share one card. Determinism comes from ``TF_DETERMINISTIC_OPS``, which the sandbox
    sets; the report says whether TensorFlow took it. Also used by the checker on itself.
    """
    report = {"device_nodes": sorted(os.path.basename(p) for p in glob.glob("/dev/nvidia*")),
              "driver": _loads("libcuda.so.1"),
              "cuda_wheels": [name for name in CUDA_WHEELS if _installed(f"nvidia.{name}")],
              "tensorflow": "", "cuda_build": False, "gpus": [], "tf32": True, "determinism": False,
              "memory_growth": False, "error": ""}
    try:
        import tensorflow as tf
        from tensorflow.python.framework import config as tf_config

        report.update(tensorflow=tf.__version__, cuda_build=bool(tf.test.is_built_with_cuda()))
        gpus = tf.config.list_physical_devices("GPU")
        for gpu in gpus:
            try:
                tf.config.experimental.set_memory_growth(gpu, True)
            except (RuntimeError, ValueError):  # already initialised: its setting stays as it was
                pass
        tf.config.experimental.enable_tensor_float_32_execution(False)
        report.update(
            gpus=[tf.config.experimental.get_device_details(gpu).get("device_name", gpu.name) for gpu in gpus],
            tf32=bool(tf.config.experimental.tensor_float_32_execution_enabled()),
            determinism=bool(tf_config.is_op_determinism_enabled()),
            memory_growth=bool(gpus) and all(tf.config.experimental.get_memory_growth(gpu) for gpu in gpus),
        )
    except Exception as error:  # a broken TensorFlow is something to report, not to crash on
        report["error"] = f"{type(error).__name__}: {str(error)[:MAX_MESSAGE]}"
    return report


class CellTimeout(BaseException):
    """A visible test cell ran past its time limit (a BaseException: ``except Exception`` cannot hide it)."""


def _interrupt(signum, frame):
    raise CellTimeout("the visible test cell took too long and was interrupted")


def run_program(cells, namespace, test_cell_timeout):
    """Execute every cell in order; an error in one cell does not stop the next.

    Visible test cells get a timer, so a function that hangs on its visible test
    costs that cell, not the whole program.
    """
    outcomes = []
    signal.signal(signal.SIGALRM, _interrupt)
    for cell in cells:
        start = time.perf_counter()
        outcome = {"id": cell["id"], "kind": cell["kind"], "ok": True}
        try:
            if cell["kind"] == "test":
                signal.setitimer(signal.ITIMER_REAL, test_cell_timeout)
            exec(compile(cell["source"], f"<cell {cell['id']}>", "exec"), namespace)
        except BaseException as error:  # SystemExit and KeyboardInterrupt are student errors too
            outcome.update(ok=False, **describe(error))
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        outcome["seconds"] = time.perf_counter() - start
        flush_output()
        outcomes.append(outcome)
    return outcomes


def decode(value, inbox):
    """A request argument: {"json": v} (a tuple if "tuple" is set), {"npy": name} or {"keras": name} in the inbox."""
    if "npy" in value:
        return np.load(os.path.join(inbox, value["npy"]), allow_pickle=False)
    if "keras" in value:
        import keras

        return keras.models.load_model(os.path.join(inbox, value["keras"]), safe_mode=True)
    return tuple(value["json"]) if value.get("tuple") else value["json"]


class NotNumeric(TypeError):
    """A result that cannot travel back: the harness answers it with a fixed message."""


def is_keras_model(value):
    keras = sys.modules.get("keras")
    return keras is not None and isinstance(value, keras.Model)


def encode(result, out_base):
    """Plain numbers travel as JSON, Keras models as .keras files, anything else as a numeric .npy array."""
    if type(result) in (int, float, bool):
        return {"json": result}
    if isinstance(result, (tuple, list)) and all(type(v) in (int, float, bool) for v in result):
        return {"json": list(result)}
    if is_keras_model(result):
        result.save(out_base + ".keras")
        return {"keras": os.path.basename(out_base) + ".keras"}
    array = np.asarray(result)
    if array.dtype.kind not in "biuf":
        raise NotNumeric(f"returned {type(result).__name__} (dtype {array.dtype}); expected an array of numbers")
    np.save(out_base + ".npy", np.array(array, copy=True, subok=False), allow_pickle=False)
    return {"npy": os.path.basename(out_base) + ".npy"}


def missing(name, what):
    return {"ok": False, "missing": True, "error": "NameError", "message": f"{what} {name} is not defined", "where": ""}


def call(request, namespace, inbox, scratch):
    """Answer a "call" request: run the student's function on the given values."""
    function = namespace.get(request["name"])
    if not callable(function):
        return missing(request["name"], "function")
    args = [decode(a, inbox) for a in request["args"]]
    kwargs = {k: decode(v, inbox) for k, v in request["kwargs"].items()}
    before = [a.copy() if isinstance(a, np.ndarray) else None for a in args]
    start = time.perf_counter()
    try:
        result = function(*args, **kwargs)
        seconds = time.perf_counter() - start
        reply = {"ok": True, "result": encode(result, os.path.join(scratch, request["out"]))}
    except BaseException as error:
        seconds = time.perf_counter() - start
        reply = {"ok": False, "missing": False, "not_numeric": isinstance(error, NotNumeric), **describe(error)}
    flush_output()
    mutated = [i for i, (a, b) in enumerate(zip(args, before))
               if b is not None and not (a.shape == b.shape and np.array_equal(a, b, equal_nan=True))]
    reply.update(mutated=mutated, seconds=seconds)
    return reply


def get(request, namespace, inbox, scratch):
    """Answer a "get" request: send a variable the notebook program defined (e.g. a trained model)."""
    if request["name"] not in namespace:
        return missing(request["name"], "variable")
    start = time.perf_counter()
    try:
        reply = {"ok": True, "result": encode(namespace[request["name"]], os.path.join(scratch, request["out"]))}
    except BaseException as error:
        reply = {"ok": False, "missing": False, "not_numeric": isinstance(error, NotNumeric), **describe(error)}
    reply.update(mutated=[], seconds=time.perf_counter() - start)
    return reply


OPERATIONS = {"call": call, "get": get}


def serve(channel, namespace, inbox, scratch):
    """Answer the requests the courier relays until it closes the socket."""
    for line in channel:
        request = json.loads(line)
        operation = OPERATIONS.get(request.get("op"))
        if operation is None:
            reply = {"ok": False, "missing": False, "error": "ProtocolError",
                     "message": f"unknown op {str(request.get('op'))[:40]!r}", "where": ""}
        else:
            reply = operation(request, namespace, inbox, scratch)
        channel.write((json.dumps(reply) + "\n").encode())
        channel.flush()


def execute(program, channel, inbox, scratch):
    """The executor: run the notebook program, report its cells, answer requests (student code runs here)."""
    redirect_output(os.path.join(scratch, "output.log"))
    set_dumpable(1)  # its own /proc entries stay its own; the courier's do not
    sys.argv = ["notebook"]
    if program.get("gpu"):  # before any student code: this first message is the runner's own
        channel.write((json.dumps({"gpu": prepare_gpu()}) + "\n").encode())
        channel.flush()
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    outcomes = run_program(program["cells"], namespace, program["test_cell_timeout"])
    channel.write((json.dumps({"ready": True, "cells": outcomes}) + "\n").encode())
    channel.flush()
    serve(channel, namespace, inbox, scratch)


def set_dumpable(value):
    """prctl(PR_SET_DUMPABLE): 0 makes /proc/PID/{fd,mem,environ} of this process closed to its own uid.

    Linux only; elsewhere (``grader validate`` unconfined on a student's Mac) there is no /proc to close.
    """
    if not sys.platform.startswith("linux"):
        return
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE) failed")


def read_line(stream):
    """One line of at most MAX_LINE bytes, or None at the end of the stream."""
    line = stream.readline(MAX_LINE + 1)
    if not line:
        return None
    return line if line.endswith(b"\n") else OUT_OF_TURN_LINE


def pending(sock):
    """Whether the executor sent anything nobody asked for."""
    with selectors.DefaultSelector() as selector:
        selector.register(sock, selectors.EVENT_READ)
        return bool(selector.select(0))


def relay(checker_in, checker_out, sock, executor, reports=0):
    """The courier: one message from the executor per turn, in order; anything out of turn ends the run.

    The first ``reports`` messages (the GPU report) are passed on unasked, before the ready message.
    """
    from_executor = sock.makefile("rb", buffering=0)  # unbuffered: pending() sees every byte not yet read
    to_executor = sock.makefile("wb")
    expected = read_line(from_executor)
    for _ in range(reports):
        if expected is None:
            break
        checker_out.write(expected)
        checker_out.flush()
        expected = read_line(from_executor)  # then the ready message
    while expected is not None:
        checker_out.write(expected)
        checker_out.flush()
        request = checker_in.readline(MAX_LINE)
        if not request:
            break
        if pending(sock):
            checker_out.write(OUT_OF_TURN_LINE)
            checker_out.flush()
            break
        to_executor.write(request)
        to_executor.flush()
        expected = read_line(from_executor)
    finish(executor)


def finish(executor):
    """End the courier the way the executor ended, so the checker can tell a crash, a kill or a CPU limit."""
    try:
        ended, status = os.waitpid(executor, os.WNOHANG)
        if ended == 0:  # still running: the checker is gone or the executor broke the protocol
            os.kill(executor, signal.SIGKILL)
            _, status = os.waitpid(executor, 0)
    except ChildProcessError:
        os._exit(1)
    if os.WIFSIGNALED(status):
        if os.WTERMSIG(status) not in (signal.SIGKILL, signal.SIGSTOP):
            signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
        os.kill(os.getpid(), os.WTERMSIG(status))
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def main():
    inbox, scratch, program_name = sys.argv[1:4]
    os.chdir(scratch)  # here, not in bwrap: only the sandbox's own user may enter the scratch
    with open(os.path.join(inbox, program_name)) as handle:
        program = json.load(handle)
    lower_limits(program["rlimits"])
    checker_in = os.fdopen(0, "rb")
    checker_out = os.fdopen(1, "wb")
    courier_end, executor_end = socket.socketpair()
    set_dumpable(0)  # before the fork: the executor never sees a moment where the courier is open to it
    executor = os.fork()
    if executor == 0:
        courier_end.close()
        channel = executor_end.makefile("rwb")
        try:
            execute(program, channel, inbox, scratch)
        finally:
            os._exit(0)
    executor_end.close()
    relay(checker_in, checker_out, courier_end, executor, reports=1 if program.get("gpu") else 0)


if __name__ == "__main__":
    main()
