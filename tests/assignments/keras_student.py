"""The student of the Keras assignments' check tests (lenet, fcn): models travel through .keras files.

``KerasStudent`` is ``proxy.LocalStudent`` whose Keras arguments and results cross a ``.keras``
file both ways, as through the sandbox: the runner loads the checker's models with
``safe_mode=True``, and the model gate reads the student's back under the assignment's layer
allow-list. So a Sequential model reaches the student's function without a defined
``model.input``, exactly as in a real grading job.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
from proxy import LocalStudent, travel

from grader.gate import consistency_problems
from grader.notebook.cells import is_solution
from grader.sandbox.models import read_config, refusal


def through_a_file(model, allowed_layers=None):
    """``model`` saved and loaded again; with ``allowed_layers``, refused as the model gate would."""
    import keras

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        model.save(path)
        if allowed_layers is not None:
            reason = refusal(read_config(Path(path).read_bytes()), set(allowed_layers))
            assert reason is None, reason
        return keras.models.load_model(path, safe_mode=True, compile=True)


def _crossing(value, allowed_layers=None):
    import keras

    if isinstance(value, keras.Model):
        return through_a_file(value, allowed_layers)
    return travel(value)


class KerasStudent(LocalStudent):
    """A student process whose Keras models cross .keras files; errors propagate unchanged."""

    def __init__(self, namespace: dict, allowed_layers):
        super().__init__(namespace, sandbox_errors=False)
        self.allowed_layers = set(allowed_layers)

    def call(self, name, *args, **kwargs):
        self.calls += 1
        result = self.namespace[name](*[_crossing(a) for a in args], **{k: _crossing(v) for k, v in kwargs.items()})
        self.last_mutated = ()
        import keras

        if isinstance(result, keras.Model):
            return through_a_file(result, self.allowed_layers)
        if type(result) in (int, float, bool):
            return result
        return np.array(np.asarray(result), copy=True)

    def get(self, name):
        return _crossing(self.namespace[name], self.allowed_layers)


def run_checks(assignment, namespace: dict, names, seed: int | None = None) -> dict:
    """Outcome of the named checks: None when passed, else the exception (the harness fails any exception)."""
    from grader.checks.run import check_rng

    seed = assignment.config.seed if seed is None else seed
    checks = {c.name: c for c in assignment.checks}
    outcomes = {}
    for name in names:
        try:
            checks[name].function(KerasStudent(namespace, assignment.config.allowed_layers), check_rng(seed, name))
            outcomes[name] = None
        except Exception as error:  # noqa: BLE001
            outcomes[name] = error
    return outcomes


class LocalProcess:
    """What ``grader.checks.run.run_check`` calls the student process, answered by a ``KerasStudent``."""

    def __init__(self, assignment, namespace: dict):
        self.limits = assignment.config.limits
        self.student = KerasStudent(namespace, assignment.config.allowed_layers)

    def call(self, name, args, kwargs, timeout):
        return self.student.call(name, *args, **kwargs), []

    def get(self, name, timeout):
        return self.student.get(name)


def outcome(assignment, namespace: dict, name: str, seed: int | None = None) -> dict:
    """The outcome document of one check, run as the harness runs it (its TA-only ``measured`` included)."""
    from grader.checks.run import run_check

    check = next(c for c in assignment.checks if c.name == name)
    return run_check(check, LocalProcess(assignment, namespace), assignment.config.seed if seed is None else seed)


def program_in_folder(harness, cells: dict) -> dict:
    """``harness.program(cells)`` run in the assignment's folder, where its data cell finds its files."""
    cwd = os.getcwd()
    os.chdir(harness.assignment.root)
    try:
        return harness.program(cells)
    finally:
        os.chdir(cwd)


def failures(outcomes: dict) -> dict:
    return {name: f"{type(error).__name__}: {error}" for name, error in outcomes.items() if error is not None}


def check_the_corpus(assignment, grade_cells: dict, alternatives: set) -> None:
    """Points add up, variants target real checks, and the named alternatives are marked correct solutions."""
    assert assignment.grade_cells == grade_cells
    assert consistency_problems(assignment) == []
    found = {a.name: a for a in assignment.alternatives()}
    assert set(found) >= alternatives
    solution_ids = {c.metadata["nbgrader"]["grade_id"] for c in assignment.source.cells if is_solution(c)}
    for alternative in found.values():
        assert not alternative.targets and alternative.description.startswith("correct"), alternative.name
        assert set(alternative.cells) <= solution_ids, alternative.name
