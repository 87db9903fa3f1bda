"""An in-process stand-in for the sandboxed student, shared by the hidden-check tests in tests/assignments.

``Harness(assignment)`` builds the student program by exec-ing the notebook's locked code cells and
its solution cells (the instructor's code, or a variant's) in one namespace, and runs the hidden
checks against a ``LocalStudent``. Its ``call`` runs the function from that namespace the way the
sandbox does: array arguments are copied and checked for in-place changes, other arguments travel
as JSON (tuples stay tuples), and a result comes back as a plain number, a tuple of numbers or a
numeric array (numpy scalars arrive as 0-d arrays).

With ``sandbox_errors`` (the default) an exception in the student's function becomes a
``StudentCodeError`` (its message withheld when the call had inputs, as in the harness) and a
missing function a ``StudentMissing``, so a property check reports the smallest case for it;
without it the student's exception propagates unchanged.
"""

from __future__ import annotations

import builtins
import contextlib
import gc
import json
import re
import time

import numpy as np

from grader.assignment import Assignment
from grader.checks.run import check_rng
from grader.notebook.cells import grade_id, is_graded, is_solution, solution_code
from grader.sandbox.errors import MESSAGE_WITHHELD, StudentCodeError, StudentMissing

__all__ = ["Harness", "LocalStudent", "builtins_hiding", "check_rng", "own_cpu_time", "travel"]


def travel(value):
    """An argument as it arrives on the other side of the sandbox."""
    if isinstance(value, np.ndarray):
        return np.array(value, copy=True)
    decoded = json.loads(json.dumps(value))  # numpy scalars or objects fail here, as in the sandbox
    return tuple(decoded) if isinstance(value, tuple) else decoded


class LocalStudent:
    """``student`` as a check sees it, calling plain Python functions instead of a sandbox."""

    def __init__(self, namespace: dict, *, sandbox_errors: bool = True):
        self.namespace = namespace
        self.sandbox_errors = sandbox_errors
        self.last_mutated: tuple[int, ...] = ()
        self.calls = 0

    def call(self, name, *args, **kwargs):
        function = self.namespace.get(name)
        if not callable(function):
            if self.sandbox_errors:
                raise StudentMissing(f"{name} is not defined")
            raise KeyError(name)
        self.calls += 1
        given = [travel(a) for a in args]
        before = [a.copy() if isinstance(a, np.ndarray) else None for a in given]
        try:
            result = function(*given, **{k: travel(v) for k, v in kwargs.items()})
        except Exception as error:
            if self.sandbox_errors:
                shown = f"; {MESSAGE_WITHHELD}" if args or kwargs else f": {error}"
                raise StudentCodeError(f"{name} raised {type(error).__name__}{shown}") from error
            raise
        self.last_mutated = tuple(i for i, (a, b) in enumerate(zip(given, before))
                                  if b is not None and not (a.shape == b.shape and a.dtype == b.dtype
                                                            and np.array_equal(a, b)))
        if type(result) in (int, float, bool):
            return result
        if isinstance(result, (tuple, list)) and all(type(v) in (int, float, bool) for v in result):
            return tuple(result)
        array = np.asarray(result)
        if self.sandbox_errors and array.dtype.kind not in "biuf":
            raise StudentCodeError(f"{name} returned {type(result).__name__}; expected an array of numbers")
        return np.array(array, copy=True)


def builtins_hiding(forbidden) -> dict:
    """Builtins whose ``import`` of a forbidden top-level module fails, as in the sandbox."""
    real_import = builtins.__import__

    def guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0 and name.split(".")[0] in forbidden:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real_import(name, globals, locals, fromlist, level)

    return {**vars(builtins), "__import__": guarded_import}


class Harness:
    """One assignment's program and hidden checks, run in this process."""

    def __init__(self, assignment: Assignment, *, sandbox_errors: bool = True):
        self.assignment = assignment
        self.sandbox_errors = sandbox_errors

    def student(self, namespace: dict) -> LocalStudent:
        return LocalStudent(namespace, sandbox_errors=self.sandbox_errors)

    def program(self, cells: dict | None = None, *, tests: bool = False, forbidden=()) -> dict:
        """Run the notebook's code cells top to bottom (test cells only if ``tests``).

        Solution cells named in ``cells`` get that code, the others the instructor's.
        A cell that raises is skipped, as in a notebook: the later cells still run,
        unless ``tests`` is set, when the error propagates.
        """
        cells = cells or {}
        namespace = {"__builtins__": builtins_hiding(set(forbidden)), "__name__": "__main__"}
        for cell in self.assignment.source.cells:
            if cell.cell_type != "code" or (is_graded(cell) and not tests):
                continue
            code = cells.get(grade_id(cell), solution_code(cell.source)) if is_solution(cell) else cell.source
            try:
                exec(compile(code, f"<cell {grade_id(cell)}>", "exec"), namespace)
            except Exception:
                if tests:
                    raise
        return namespace

    def run_checks(self, namespace: dict, seed: int | None = None) -> dict:
        """Outcome of every check: None when it passed, else the exception it ended with."""
        seed = self.assignment.config.seed if seed is None else seed
        outcomes = {}
        for item in self.assignment.checks:
            try:
                item.function(self.student(namespace), check_rng(seed, item.name))
                outcomes[item.name] = None
            except Exception as error:  # the harness scores any exception as a failed check
                outcomes[item.name] = error
        return outcomes

    def stub_cells(self) -> dict:
        """The released notebook's solution cells: the solution region becomes NotImplementedError."""
        region = re.compile(r"^([ \t]*)### BEGIN SOLUTION.*?### END SOLUTION[ \t]*$", re.DOTALL | re.MULTILINE)
        return {grade_id(c): region.sub(r"\1# YOUR CODE HERE\n\1raise NotImplementedError()", c.source)
                for c in self.assignment.source.cells if is_solution(c)}


@contextlib.contextmanager
def own_cpu_time():
    """CPU time of this thread, not wall time, without collecting the garbage of earlier tests.

    The checks, hypothesis and the student's functions all run in this thread, so what it measures is
    their own cost, whatever else the machine (or TensorFlow, imported by other tests) runs. Objects
    left by earlier tests are frozen first: a full collection of a large heap would be charged here.
    """
    gc.collect()
    gc.freeze()
    start = time.thread_time()
    try:
        yield lambda: time.thread_time() - start
    finally:
        gc.unfreeze()
