"""Keras models that cross the trust boundary: read once as bytes, checked, measured in confinement, loaded.

A ``.keras`` file is a zip holding ``config.json`` (the architecture) and the
weights. The checker reads the student's file once, into memory, and every step
works on those same bytes:

1. Every object named in the config must be a built-in Keras class, and every layer
   must be on the assignment's allow-list: a ``Lambda`` layer, a custom class or a
   Python function (all of which carry code) is refused with a fixed message.
2. A confined *evaluator* (a sandboxed process running :data:`EVALUATOR` under its own
   memory and time caps) builds the model from the bytes, loads its weights (Keras
   checks them against the declared shapes) and answers with its parameter count. A
   file that declares a huge model costs the evaluator its memory cap, never the checker.
3. Only a model that loaded there, within the assignment's ``max_model_params``, is built in the checker,
   with ``safe_mode=True``, from the checker's private copy of the same bytes.
"""

from __future__ import annotations

import dataclasses
import io
import json
import threading
import zipfile
from pathlib import Path

from grader.config import SandboxLimits
from grader.i18n import Message, _
from grader.sandbox.errors import StudentCodeError, StudentFailure, StudentTimeout

MAX_CONFIG_BYTES = 4 << 20
MODEL_CLASSES = {"Sequential", "Functional", "Model"}
EVALUATOR = """
import keras

def count_params(model):
    return int(model.count_params())
"""
EVALUATOR_LIMITS = SandboxLimits(memory_mb=1024, program_timeout_s=120, check_timeout_s=120, cpu_seconds=300,
                                 max_disk_mb=64, restarts=0)
MALFORMED = _("the saved model is not a valid .keras file")


@dataclasses.dataclass(frozen=True)
class ModelFile:
    """The bytes of a .keras file, passed into a sandbox as a model (the evaluator's input)."""

    name: str
    data: bytes


def _objects(node):
    """Every serialized object ({"class_name": ..., "module": ...}) in a Keras config tree."""
    if isinstance(node, dict):
        if "class_name" in node:
            yield node
        for value in node.values():
            yield from _objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from _objects(value)


def keras_function_names() -> set[str]:
    """Built-in Keras losses, activations and metrics, which a config names as plain functions."""
    import keras

    return {name for package in (keras.losses, keras.activations, keras.metrics)
            for name in dir(package) if not name.startswith("_") and callable(getattr(package, name))}


def keras_layer_names() -> set[str]:
    """The names of Keras' own layer classes: the only layer names a message may repeat."""
    import keras

    return {name for name in dir(keras.layers) if not name.startswith("_")}


def refusal(config: dict, allowed_layers: set[str], *, name_layers: bool = True) -> Message | None:
    """Why this model config is refused, or None if every object in it is acceptable.

    Functional models hold ``__keras_tensor__`` entries (plain data about their
    connections); a loss or activation given as a function is stored by name and
    accepted when the name is a built-in Keras function (Keras never stores code for it).
    Messages are fixed texts: the only word from the file they may repeat is the name of
    a real Keras layer, and only with ``name_layers`` (before the process saw hidden inputs).
    """
    functions = None
    for item in _objects(config):
        name, module = str(item.get("class_name")), str(item.get("module") or "")
        if name == "__keras_tensor__":
            continue
        if name == "function" and module == "builtins":
            functions = functions if functions is not None else keras_function_names()
            if item.get("config") in functions:
                continue
            return _("the model uses a function that is not a built-in Keras function: give activations and "
                     "losses by name")
        if name == "Lambda":
            return _("the model contains a Lambda layer, which carries Python code: use built-in layers only")
        if not module.startswith("keras") or item.get("registered_name") not in (None, name):
            return _("the model contains a class or function defined in your notebook: custom classes and "
                     "functions are not accepted, use built-in Keras layers and activations by name")
        if module.startswith("keras.layers") and name not in allowed_layers | MODEL_CLASSES:
            if name_layers and name in keras_layer_names():
                return _("the model uses a layer {layer} that this assignment does not accept", layer=name)
            return _("the model uses a layer that this assignment does not accept")
    return None


def read_config(data: bytes) -> dict:
    """The architecture stored in the bytes of a .keras file, read as plain JSON."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo("config.json")
            if info.file_size > MAX_CONFIG_BYTES:
                raise StudentCodeError(_("the saved model's config is too large"))
            config = json.loads(archive.read(info))
    except StudentCodeError:
        raise
    except Exception:  # bad zip, bad deflate stream, bad JSON, anything: the bytes are the student's
        raise StudentCodeError(MALFORMED) from None
    if not isinstance(config, dict):
        raise StudentCodeError(MALFORMED)
    return config


class ModelGate:
    """Where Keras models cross the sandbox of one job, in both directions."""

    def __init__(self, allowed_layers: set[str], max_params: int | None, job, *, confined: bool = True,
                 workdir: Path | None = None):
        self.allowed_layers = allowed_layers
        self.max_params = max_params
        self.job = job
        self._confined = confined
        self._workdir = workdir
        self._evaluator = None
        self._starting: threading.Thread | None = None

    def prestart(self) -> None:
        """Start the evaluator in the background: importing Keras takes seconds, the student's program overlaps it."""
        if self._evaluator is None and self._starting is None:
            self._evaluator = self._new_evaluator()
            self._evaluator.launch()  # on this thread, which outlives it (see StudentProcess.launch)
            self._starting = threading.Thread(target=self._wait_quietly, name="evaluator-start", daemon=True)
            self._starting.start()

    def _wait_quietly(self) -> None:
        try:
            self._evaluator.wait_until_ready()
        except StudentFailure:
            pass  # the first call reports how the evaluator failed

    def put_trusted(self, model, name: str) -> Path:
        """Save the checker's own ``model`` into the job's inbox as ``name``."""
        import keras

        keras.models.save_model(model, self.job.private / name)
        return self.job.put(name, (self.job.private / name).read_bytes())

    def load(self, data: bytes, name: str, *, verbatim: bool):
        """The student's model from the bytes of its .keras file, or a StudentCodeError saying why not.

        ``verbatim`` (the process has not seen hidden inputs yet) lets Keras' own error
        text and a refused layer's name into the message; otherwise messages are fixed.
        """
        reason = refusal(read_config(data), self.allowed_layers, name_layers=verbatim)
        if reason:
            raise StudentCodeError(reason)
        self._check_size(data, name)
        import keras

        try:
            return keras.models.load_model(self.job.keep_private(name, data), safe_mode=True, compile=True)
        except Exception as error:  # a file that passed every check but does not load is the student's
            if not verbatim:
                raise StudentCodeError(_("the saved model could not be loaded")) from None
            detail = f"{type(error).__name__}: {error}"[:298]
            raise StudentCodeError(_("the saved model could not be loaded: {error}", error=detail)) from None

    def _check_size(self, data: bytes, name: str) -> None:
        """Build the model in the evaluator first: the checker only builds what loaded there within its caps."""
        try:
            count, _mutated = self._evaluator_process().call("count_params", (ModelFile(name, data),), {},
                                                      EVALUATOR_LIMITS.check_timeout_s)
        except StudentTimeout:
            raise StudentCodeError(_("the saved model took too long to load")) from None
        except StudentFailure:
            raise StudentCodeError(_("the saved model could not be loaded within {mb} MiB of memory, or it is not "
                                     "a valid Keras model", mb=EVALUATOR_LIMITS.memory_mb)) from None
        if type(count) is not int:
            raise StudentCodeError(_("the saved model could not be measured"))
        if self.max_params is not None and count > self.max_params:
            raise StudentCodeError(_("the model has more than the {limit} parameters this assignment accepts",
                                     limit=self.max_params))

    def _evaluator_process(self):
        if self._starting is not None:
            self._starting.join()
            self._starting = None
        if self._evaluator is None:
            self._evaluator = self._new_evaluator()
        return self._evaluator

    def _new_evaluator(self):
        from grader.sandbox.process import StudentProcess

        cells = [{"id": "evaluator", "kind": "locked", "source": EVALUATOR}]
        return StudentProcess(cells, [], EVALUATOR_LIMITS, confined=self._confined, workdir=self._workdir,
                              allowed_layers=self.allowed_layers)

    def close(self) -> None:
        """Stop the evaluator, if one was started."""
        if self._starting is not None:
            self._starting.join()
            self._starting = None
        if self._evaluator is not None:
            self._evaluator.close()
            self._evaluator = None


def load_model_bytes(data: bytes, allowed_layers: set[str], *, max_params: int | None = None,
                     confined: bool = True):
    """Check and load the bytes of a .keras file exactly as a grading job does, in a throwaway job folder."""
    from grader.sandbox.jobdir import JobDir

    job = JobDir()
    gate = ModelGate(set(allowed_layers), max_params, job, confined=confined)
    try:
        return gate.load(data, "model.keras", verbatim=True)
    finally:
        gate.close()
        job.close()
