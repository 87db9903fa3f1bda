"""Keras models that cross the trust boundary: read as data, checked, then loaded with safe_mode.

A ``.keras`` file is a zip holding ``config.json`` (the architecture) and the
weights. Before Keras deserializes anything, every object named in the config
must be a built-in Keras class, and every layer must be on the assignment's
allow-list: a ``Lambda`` layer, a custom class or a Python function (all of
which carry code) is refused with a message that says so.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from grader.sandbox.errors import StudentCodeError

MAX_CONFIG_BYTES = 16 << 20
MODEL_CLASSES = {"Sequential", "Functional", "Model"}


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


def refusal(config: dict, allowed_layers: set[str]) -> str | None:
    """Why this model config is refused, or None if every object in it is acceptable.

    Functional models hold ``__keras_tensor__`` entries (plain data about their
    connections); a loss or activation given as a function is stored by name and
    accepted when the name is a built-in Keras function (Keras never stores code for it).
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
            return (f"the model uses the function {str(item.get('config'))[:60]!r}, which is not a built-in "
                    "Keras function: give activations and losses by name")
        if name == "Lambda":
            return "the model contains a Lambda layer, which carries Python code: use built-in layers only"
        if not module.startswith("keras") or item.get("registered_name") not in (None, name):
            return (f"the model contains {name!r} from {module or 'your notebook'}: custom classes and "
                    "functions are not accepted, use built-in Keras layers and activations by name")
        if module.startswith("keras.layers") and name not in allowed_layers | MODEL_CLASSES:
            return f"the model uses the layer {name}, which this assignment does not accept"
    return None


def read_config(path: Path) -> dict:
    """The architecture stored in a .keras file, read as plain JSON."""
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("config.json")
            if info.file_size > MAX_CONFIG_BYTES:
                raise StudentCodeError("the saved model's config is too large")
            return json.loads(archive.read(info))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise StudentCodeError(f"the saved model is not a valid .keras file ({error})") from None


def load_model(path: Path, allowed_layers: set[str]):
    """Check ``path`` against the allow-list, then load it with ``safe_mode=True``."""
    reason = refusal(read_config(path), allowed_layers)
    if reason:
        raise StudentCodeError(reason)
    import keras

    try:
        return keras.models.load_model(path, safe_mode=True, compile=True)
    except Exception as error:  # a file that passed the allow-list but does not load is the student's
        raise StudentCodeError(f"the saved model could not be loaded: {type(error).__name__}: {error}"[:300]) from None
