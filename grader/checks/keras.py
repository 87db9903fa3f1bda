"""Helpers for hidden checks that read Keras models (models come back from the sandbox as .keras files)."""

from __future__ import annotations


def _normalised(name) -> str:
    return str(name).lower().replace("_", "")


GENERIC_LOSS_CLASSES = ("LossFunctionWrapper", "Loss")


def compiled_loss(model) -> tuple[str | None, bool]:
    """(loss name, from_logits) the model was compiled with; (None, False) when it was not compiled.

    Read from the compile config, which names a loss the same way however it was given (a string, a
    ``keras.losses`` class or function, a one-element list or dict); the name is lower case without
    underscores, e.g. ``"categoricalcrossentropy"``. A loss object is named by its class, so one given
    its own ``name=`` is still recognised.
    """
    config = model.get_compile_config() if hasattr(model, "get_compile_config") else None
    loss = (config or {}).get("loss")
    if isinstance(loss, list) and len(loss) == 1:
        loss = loss[0]
    if isinstance(loss, dict) and "class_name" not in loss and len(loss) == 1:
        loss = next(iter(loss.values()))
    if loss is None:
        return None, False
    if not isinstance(loss, dict):
        return _normalised(loss), False
    inner = loss.get("config")
    if isinstance(inner, str):  # a loss function: {"class_name": "function", "config": "binary_crossentropy"}
        return _normalised(inner), False
    inner = inner or {}
    kind = loss.get("class_name")
    named = kind if kind and kind not in GENERIC_LOSS_CLASSES else inner.get("name") or kind
    return _normalised(named), bool(inner.get("from_logits", False))
