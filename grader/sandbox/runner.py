"""The student runner: executes inside the sandbox, never in a trusted process.

It is started by :mod:`grader.sandbox.process` as
``python -I runner.py program.json`` inside bubblewrap, and must stay a
standalone script (standard library and numpy only: nothing of ``grader`` or
``reference`` is visible in the sandbox).

1. It lowers its own resource limits (irreversibly: the sandbox has no capabilities).
2. It moves the protocol to private file descriptors and sends everything the
   student code prints to ``output.log``.
3. It executes the rebuilt notebook program cell by cell, recording each cell's error.
4. It answers the checker's requests, one JSON line each, with arrays passed as
   ``.npy`` files in the scratch directory.

Everything it reports is untrusted: the checker validates every reply.
"""

import builtins
import json
import os
import resource
import signal
import sys
import time
import traceback

import numpy as np

MAX_MESSAGE = 300


def lower_limits(limits):
    """Set soft and hard limits at once, so the student code can never raise them."""
    for name, value in limits.items():
        kind = getattr(resource, name)
        resource.setrlimit(kind, (value, value))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def redirect_output(log_path):
    """Return the protocol streams; fds 0-2 become /dev/null and the output log."""
    requests = os.fdopen(os.dup(0), "rb", buffering=0)
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    # A full output log makes writes fail (EFBIG) instead of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    return requests, replies


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


def decode(value, scratch):
    """A request argument: {"json": v} (a tuple if "tuple" is set), {"npy": path} or {"keras": path}."""
    if "npy" in value:
        return np.load(os.path.join(scratch, value["npy"]), allow_pickle=False)
    if "keras" in value:
        import keras

        return keras.models.load_model(os.path.join(scratch, value["keras"]))
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


def call(request, namespace, scratch):
    """Answer a "call" request: run the student's function on the given values."""
    function = namespace.get(request["name"])
    if not callable(function):
        return missing(request["name"], "function")
    args = [decode(a, scratch) for a in request["args"]]
    kwargs = {k: decode(v, scratch) for k, v in request["kwargs"].items()}
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


def get(request, namespace, scratch):
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


def serve(requests, replies, namespace, scratch):
    """Answer requests until the checker closes the pipe."""
    for line in requests:
        request = json.loads(line)
        operation = OPERATIONS.get(request.get("op"))
        if operation is None:
            reply = {"ok": False, "missing": False, "error": "ProtocolError",
                     "message": f"unknown op {request.get('op')!r}", "where": ""}
        else:
            reply = operation(request, namespace, scratch)
        replies.write(json.dumps(reply) + "\n")


def main():
    scratch = os.path.dirname(os.path.abspath(sys.argv[1]))
    with open(sys.argv[1]) as handle:
        program = json.load(handle)
    lower_limits(program["rlimits"])
    requests, replies = redirect_output(os.path.join(scratch, "output.log"))
    sys.argv = ["notebook"]
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    outcomes = run_program(program["cells"], namespace, program["test_cell_timeout"])
    replies.write(json.dumps({"ready": True, "cells": outcomes}) + "\n")
    serve(requests, replies, namespace, scratch)


if __name__ == "__main__":
    main()
