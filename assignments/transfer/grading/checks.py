"""Hidden checks of the transfer assignment (never released).

Structure: ``build_transfer_model`` is called in the sandbox on the trusted pretrained network
(``assignments/transfer/pretrained.keras``, the same file students get) and the model it returns
comes back as a real keras.Model, read safely from a .keras file. Its layers are matched with the
pretrained network's by name (the functional API reuses the layer objects, names included).

Behaviour: ``model_ft`` and ``model_scratch``, the models the notebook trained, are read back the
same way. Frozen weights must be bit-identical to pretrained.keras (CPU, op determinism: nothing
else can explain a changed bit but training them), and both models are scored on the 5s and 8s of
the 1,000 held-out digits, which never leave the checker.

Thresholds, measured with the reference solution over 12 pairs of random starts (seeds s, s+1):
transfer learning 0.856-0.948 on the 174 hidden 5s and 8s (0.902 with the notebook's seeds),
from scratch 0.649-0.833 (0.822), transfer minus scratch 0.057-0.247 (0.080). The notebook states
0.80 and 0.03. Messages name layers and accuracies, never hidden images.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from grader.checks import CheckFailed, check, shape_mismatch
from grader.checks.keras import compiled_loss
from reference.transfer import binary_accuracy, target_holdout

PRETRAINED = Path(__file__).resolve().parents[1] / "pretrained.keras"
MIN_ACCURACY = 0.80       # stated in the notebook; the reference reaches 0.902
MIN_MARGIN = 0.03         # stated in the notebook; the reference's margin is 0.080
MAX_CORRELATION = 0.5     # a scratch kernel this close to the pretrained one was copied from it
TIMEOUT = 120             # seconds per call: models cross the sandbox as .keras files


# ----------------------------------------------------------------------------- helpers

def _keras():
    import keras

    return keras


@functools.cache
def _trusted():
    """A private copy of the pretrained network, loaded once per grading job and never trained."""
    return _keras().models.load_model(PRETRAINED, compile=False)


def _kept_layers():
    """The pretrained layers a transfer model keeps (all but the last) that hold weights: conv1, conv2."""
    return [layer for layer in _trusted().layers[:-1] if layer.get_weights()]


def _flat_layers(model, trainable=True):
    """(layer, effectively trainable) for every layer, nested models opened up."""
    found = []
    for layer in model.layers:
        effective = trainable and bool(layer.trainable)
        if isinstance(layer, _keras().Model):
            found += _flat_layers(layer, effective)
        else:
            found.append((layer, effective))
    return found


def _by_name(model):
    return {layer.name: (layer, effective) for layer, effective in _flat_layers(model)}


def _as_model(value, what):
    if not isinstance(value, _keras().Model):
        raise CheckFailed(f"{what} should be a keras.Model, got {type(value).__name__}")
    return value


def _built_model(student):
    return _as_model(student.call("build_transfer_model", _trusted()), "build_transfer_model(pretrained)")


def _trained_model(student, name):
    return _as_model(student.get(name), name)


def _single(value):
    """The only element of a one-element list (Keras writes outputs=[t] as [[name, 0, 0]])."""
    while isinstance(value, list) and len(value) == 1 and isinstance(value[0], list):
        value = value[0]
    return value


def _output_layer_name(model):
    config = model.get_config()
    if "output_layers" in config:
        outputs = _single(config["output_layers"])
        if not (isinstance(outputs, list) and outputs and isinstance(outputs[0], str)):
            raise CheckFailed("the model should have exactly one output: the new head")
        return outputs[0]
    return model.layers[-1].name


def _head_source(model, head_name):
    """The name of the layer whose output the head is applied to (a nested model's output layer for a nested model)."""
    config = model.get_config()
    if "layers" in config and "output_layers" in config:
        entry = next((c for c in config["layers"] if c.get("name") == head_name), None)
        nodes = (entry or {}).get("inbound_nodes") or []
        args = nodes[0].get("args", []) if nodes and isinstance(nodes[0], dict) else []
        tensor = _single(args[0]) if len(args) == 1 else None
        history = tensor.get("config", {}).get("keras_history") if isinstance(tensor, dict) else None
        if not (isinstance(history, list) and history and isinstance(history[0], str)):
            raise CheckFailed("the new head should be applied to exactly one tensor: pretrained.layers[-2].output")
        source = history[0]
    else:  # Sequential: the head takes the previous layer's output
        order = [layer.name for layer in model.layers]
        index = order.index(head_name)
        if index == 0:
            raise CheckFailed("the new head is the model's first layer: it should sit on pretrained.layers[-2].output")
        source = order[index - 1]
    inner = model.get_layer(source)
    if isinstance(inner, _keras().Model):
        return _head_source_of_nested(inner)
    return source


def _head_source_of_nested(model):
    return _output_layer_name(model) if "output_layers" in model.get_config() else model.layers[-1].name


def _changed_weights(model, where):
    """Names of the kept pretrained layers that are missing from ``model`` or whose weights differ in any bit."""
    layers = _by_name(model)
    problems = []
    for reference_layer in _kept_layers():
        found = layers.get(reference_layer.name)
        if found is None:
            raise CheckFailed(f"{where} has no layer {reference_layer.name!r}: keep the pretrained layers "
                              "(build on pretrained.layers[-2].output; do not rebuild or clone them)")
        mine, theirs = found[0].get_weights(), reference_layer.get_weights()
        same = len(mine) == len(theirs) and all(a.shape == b.shape and np.array_equal(a, b)
                                                 for a, b in zip(mine, theirs))
        if not same:
            problems.append(reference_layer.name)
    return problems


def _correlation(a, b):
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    a, b = a - a.mean(), b - b.mean()
    scale = np.sqrt(np.sum(a * a) * np.sum(b * b))
    return float(np.sum(a * b) / scale) if scale > 0 else 0.0


def _steps(model):
    optimizer = getattr(model, "optimizer", None)
    return int(optimizer.iterations.numpy()) if optimizer is not None else 0


def _optimizer_kind(model):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return None, None
    return type(optimizer).__name__, float(np.asarray(optimizer.learning_rate))


@functools.cache
def _hidden_set():
    return target_holdout()


def _pretrained_name(name: str) -> str:
    """`` 'conv1'`` for a layer name of the pretrained network, else "" (feedback never repeats a student's name)."""
    return f" {name!r}" if name in {layer.name for layer in _trusted().layers} else ""


def _hidden_accuracy(model, name):
    x, y = _hidden_set()
    try:
        return binary_accuracy(model, x, y)
    except Exception as error:  # noqa: BLE001  (a model with the wrong output shape cannot be scored)
        raise CheckFailed(f"{name} could not label the hidden digits ({type(error).__name__}): it should "
                          "take (n, 32, 32, 1) images and output (n, 1) probabilities") from None


# ----------------------------------------------------------------------------- build_transfer_model (4 points)

@check(cell="transfer_model_tests", points=1, timeout=TIMEOUT)
def head_is_one_sigmoid_unit_on_the_penultimate_layer(student, rng):
    """The new head is Dense(1, sigmoid) on the penultimate pretrained layer's output; the old last layer is gone."""
    model = _built_model(student)
    dropped, penultimate = _trusted().layers[-1].name, _trusted().layers[-2].name
    if tuple(model.output_shape) != (None, 1):
        raise CheckFailed(f"the model's output {shape_mismatch(tuple(model.output_shape), (None, 1))}: "
                          "one probability per image")
    head = model.get_layer(_output_layer_name(model))
    config = head.get_config()
    if type(head).__name__ != "Dense" or config.get("units") != 1:
        raise CheckFailed(f"the output layer is a {type(head).__name__} layer; expected a new Dense(1) head")
    if config.get("activation") != "sigmoid":
        raise CheckFailed(f"the head's activation is {config.get('activation')!r}; expected 'sigmoid' "
                          "(the probability of an 8)")
    if head.name in {layer.name for layer in _trusted().layers}:
        raise CheckFailed(f"the output layer is the pretrained layer {head.name!r}; add a new Dense(1) head")
    source = _head_source(model, head.name)
    if source == dropped or dropped in _by_name(model):
        raise CheckFailed(f"the head sits on {source!r} and the model still contains the pretrained network's last "
                          f"layer {dropped!r}: drop it and apply the head to pretrained.layers[-2].output "
                          f"({penultimate!r})")
    if source != penultimate:
        raise CheckFailed(f"the head is applied to the output of {source!r}; expected the penultimate pretrained "
                          f"layer {penultimate!r} (pretrained.layers[-2].output)")


@check(cell="transfer_model_tests", points=1, timeout=TIMEOUT)
def pretrained_layers_frozen_and_head_trainable(student, rng):
    """Every pretrained layer with weights is frozen (trainable = False) in the new model; the head is trainable."""
    model = _built_model(student)
    layers = _by_name(model)
    for reference_layer in _kept_layers():
        found = layers.get(reference_layer.name)
        if found is None:
            raise CheckFailed(f"the pretrained layer {reference_layer.name!r} is missing from the model")
        if found[1]:
            raise CheckFailed(f"the pretrained layer {reference_layer.name!r} is trainable; freeze every pretrained "
                              "layer (layer.trainable = False) before compiling")
    head = model.get_layer(_output_layer_name(model))
    if not head.trainable:
        raise CheckFailed("the new head is frozen; it is the one layer that must stay trainable")
    if not model.trainable_weights:
        raise CheckFailed("the model has no trainable weights at all")


@check(cell="transfer_model_tests", points=1, timeout=TIMEOUT)
def pretrained_weights_reused(student, rng):
    """The new model reuses the pretrained layers with their weights (bit-identical to pretrained.keras)."""
    changed = _changed_weights(_built_model(student), "the model")
    if changed:
        raise CheckFailed(f"the weights of {', '.join(changed)} differ from the pretrained network's: build on "
                          "the pretrained layers themselves, do not re-initialise, clone or train them here")


@check(cell="transfer_model_tests", points=1, timeout=TIMEOUT)
def compiled_with_binary_crossentropy(student, rng):
    """build_transfer_model compiles the model with the binary crossentropy loss (on probabilities)."""
    name, logits = compiled_loss(_built_model(student))
    if name is None:
        raise CheckFailed("the model is not compiled: call compile(loss=\"binary_crossentropy\", optimizer=\"sgd\")")
    if name not in ("binarycrossentropy", "bce"):
        raise CheckFailed(f"the loss is {name!r}; a single sigmoid unit for a two-class task needs "
                          "loss=\"binary_crossentropy\"")
    if logits:
        raise CheckFailed("the loss uses from_logits=True, but the sigmoid head already outputs probabilities")


# ----------------------------------------------------------------------------- fine-tuning (3 points)

@check(cell="fine_tune_tests", points=1, timeout=TIMEOUT)
def fine_tuning_leaves_pretrained_weights_untouched(student, rng):
    """After fine-tuning, model_ft's pretrained layers are still frozen and bit-identical to pretrained.keras."""
    model = _trained_model(student, "model_ft")
    changed = _changed_weights(model, "model_ft")
    if changed:
        raise CheckFailed(f"fine-tuning changed the pretrained weights of {', '.join(changed)}: freeze them before "
                          "compile(), and compile again whenever you change trainable after a fit()")
    layers = _by_name(model)
    trainable = [layer.name for layer in _kept_layers() if layers[layer.name][1]]
    if trainable:
        raise CheckFailed(f"the pretrained layer(s) {', '.join(trainable)} of model_ft are trainable; freeze them")
    norms = [(layer, effective) for layer, effective in _flat_layers(model)
             if type(layer).__name__ == "BatchNormalization"]
    if any(not effective for _, effective in norms):
        # A frozen BatchNormalization runs in inference mode: it must still be exactly as built.
        fresh = [layer for layer, _ in _flat_layers(_built_model(student))
                 if type(layer).__name__ == "BatchNormalization"]
        for position, (layer, effective) in enumerate(norms):
            if effective:
                continue
            before = fresh[position].get_weights() if position < len(fresh) else None
            after = layer.get_weights()
            unchanged = before is not None and len(before) == len(after) and all(
                np.array_equal(a, b) for a, b in zip(before, after))
            if not unchanged:
                raise CheckFailed(f"the frozen BatchNormalization layer{_pretrained_name(layer.name)} changed during "
                                  "fine-tuning "
                                  "(its moving mean/variance or scale/offset); a frozen layer must stay as built")


@check(cell="fine_tune_tests", points=2, timeout=TIMEOUT)
def fine_tuned_model_labels_hidden_digits(student, rng):
    """model_ft labels at least 80% of the hidden 5s and 8s correctly (label 1 for an 8)."""
    accuracy = _hidden_accuracy(_trained_model(student, "model_ft"), "model_ft")
    if accuracy < MIN_ACCURACY:
        raise CheckFailed(f"model_ft labels {accuracy:.3f} of the hidden 5s and 8s correctly; at least "
                          f"{MIN_ACCURACY:.2f} expected (was the head trained, with binary crossentropy, "
                          "for EPOCHS epochs?)")


# ----------------------------------------------------------------------------- from scratch (3 points)

@check(cell="scratch_tests", points=1, timeout=TIMEOUT)
def scratch_model_is_fresh_and_trainable(student, rng):
    """model_scratch has model_ft's architecture, every layer trainable, and starts from fresh random weights."""
    scratch = _trained_model(student, "model_scratch")
    model_ft = _trained_model(student, "model_ft")
    shapes = [tuple(w.shape) for w in scratch.get_weights()]
    expected = [tuple(w.shape) for w in model_ft.get_weights()]
    if shapes != expected:
        raise CheckFailed("model_scratch's weights do not have the shapes of model_ft's: "
                          "use the same architecture (e.g. keras.models.clone_model(model_ft))")
    frozen = [layer.name for layer, effective in _flat_layers(scratch) if layer.get_weights() and not effective]
    if frozen:
        named = ", ".join(repr(name) for name in frozen if _pretrained_name(name))
        raise CheckFailed(f"layers of model_scratch are frozen{f' ({named})' if named else ''}; from scratch, "
                          "every layer must be trainable (set trainable = True, then compile)")
    # Fresh random kernels are uncorrelated with the pretrained ones (|r| about 0.05 for conv1's 400
    # weights); a copy of the pretrained kernels stays at r > 0.99 after the 50 training steps.
    for layer in _kept_layers():
        for kernel in (w for w in layer.get_weights() if w.ndim > 1):
            for weight in scratch.get_weights():
                if weight.shape == kernel.shape and _correlation(weight, kernel) > MAX_CORRELATION:
                    raise CheckFailed(f"model_scratch's {kernel.shape} kernel follows the pretrained {layer.name!r} "
                                      f"(correlation {_correlation(weight, kernel):.2f}): from scratch means fresh "
                                      "random weights, not the pretrained ones")


@check(cell="scratch_tests", points=1, timeout=TIMEOUT)
def scratch_model_trained_with_the_same_budget(student, rng):
    """model_scratch was trained with model_ft's optimizer for as many steps as model_ft."""
    scratch = _trained_model(student, "model_scratch")
    model_ft = _trained_model(student, "model_ft")
    steps, ft_steps = _steps(scratch), _steps(model_ft)
    if ft_steps == 0:
        raise CheckFailed("model_ft took no training steps: fine-tune it with fit()")
    if steps != ft_steps:
        raise CheckFailed(f"model_scratch took {steps} training steps, model_ft {ft_steps}: train both with "
                          "EPOCHS epochs of BATCH_SIZE images")
    (kind, rate), (ft_kind, ft_rate) = _optimizer_kind(scratch), _optimizer_kind(model_ft)
    if kind != ft_kind or not np.isclose(rate, ft_rate, rtol=1e-6):
        raise CheckFailed(f"model_scratch is trained with {kind} (learning rate {rate:g}), model_ft with {ft_kind} "
                          f"(learning rate {ft_rate:g}): use the same optimizer")


@check(cell="scratch_tests", points=1, timeout=TIMEOUT)
def transfer_beats_scratch_on_hidden_digits(student, rng):
    """On the hidden 5s and 8s, model_ft is right at least 0.03 more often than model_scratch."""
    ft = _hidden_accuracy(_trained_model(student, "model_ft"), "model_ft")
    scratch = _hidden_accuracy(_trained_model(student, "model_scratch"), "model_scratch")
    if ft - scratch < MIN_MARGIN:
        raise CheckFailed(f"on the hidden 5s and 8s model_ft reaches {ft:.3f} and model_scratch {scratch:.3f}; "
                          f"transfer learning should lead by at least {MIN_MARGIN:.2f} (is model_scratch really "
                          "trained from fresh random weights, with the same budget, and model_ft fine-tuned?)")
