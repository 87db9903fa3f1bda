"""Hidden checks of the transfer assignment (never released).

Structure: ``build_transfer_model`` is called in the sandbox on the trusted pretrained network
(``assignments/transfer/pretrained.keras``, the same file students get) and the model it returns
comes back as a real keras.Model, read safely from a .keras file. Its layers are matched with the
pretrained network's by name (the functional API reuses the layer objects, names included), nested
models opened up, so any correct way of building it passes: functional or Sequential, the Keras
guide's frozen base called with ``training=False``, ``Dense(1, sigmoid)`` or ``Dense(1)`` plus
``Activation("sigmoid")``, losses and optimizers by name or as objects (grading/alternatives/ holds
one of each, and the gate grades them).

Behaviour: ``model_ft``, ``model_scratch`` and ``model_unfrozen``, the models the notebook trained,
are read back the same way. Frozen weights must be bit-identical to pretrained.keras (nothing but
training them can change a bit, on a CPU or a GPU), and the models are scored on the 5s and 8s of
the 1,000 held-out digits, which never leave the checker.

Thresholds, measured with the reference solution over 24 random starts (the notebook's seeds 1, 2, 3
moved to s, s+1, s+2 for s = 1, 4, ..., 70; ``python tests/assignments/test_transfer_checks.py``
prints the table), on the 174 hidden 5s and 8s (the notebook's seeds, s = 1, in brackets):

- model_ft: accuracy 0.856-0.948 (0.902) against MIN_ACCURACY 0.80; crossentropy 0.183-0.340 (0.254).
- model_scratch: accuracy 0.523-0.914 (0.822); crossentropy 0.639-0.681 (0.657).
- model_scratch's crossentropy minus model_ft's: 0.312-0.456 (0.402) against MIN_LOSS_GAP 0.1; on the
  80 validation images, which the visible test uses, 0.290-0.476 (0.396).
- model_unfrozen (conv2 unfrozen, SGD at 0.001 for 5 more epochs): accuracy 0.868-0.954 (0.897).
- The accuracy margin model_ft - model_scratch, which transfer_beats_scratch_on_hidden_digits compared
  before issue 12, was 0.000-0.305 (0.080): at s = 19 the model trained from scratch guessed as well
  (0.914 both), so a correct solution whose code draws its random numbers in another order could lose
  the point. Its crossentropy, still 0.641 there, tells the two apart at every start.

With the notebook's seeds the alternatives in grading/alternatives/ draw their random numbers as the
solution does (model_ft 0.902, model_scratch 0.822, gap 0.402; model_unfrozen 0.897, or 0.908 for the
nested bases), except dense_activation, whose Dropout draws more: 0.868, 0.833 (an accuracy margin of
only 0.035), gap 0.387, 0.908. The notebook states 0.80, 0.1 and 0.001. Messages name layers,
accuracies and losses, never hidden images.

Each graded run records, for TAs only, the figures these bars are set on (``measure``: the
check's ``measured`` in result.json, never in feedback): model_ft's ``accuracy``, both
crossentropies and their ``loss_gap``, model_unfrozen's ``accuracy``. ``python
benchmarks/bench_gpu.py --seeds N`` prints their spread on the CPU and on a GPU.

On a GPU (issue 13): the bars above leave room for a GPU's numerics as they do for another random
start (``grader.sandbox.gpu`` says why). Measured: TensorFlow's GPU build (tensorflow[and-cuda] 2.21)
run on a CPU grades the solution 10/10, as the CPU build does. Not measured: the spread on a GPU, as
no device was lent to the task that wrote this; ``python benchmarks/bench_gpu.py --seeds 3
--variants`` on a GPU machine prints it beside the CPU's.
Frozen weights stay bit-identical on a GPU too: nothing but training changes them.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from grader.checks import CheckFailed, check, measure, shape_mismatch
from grader.checks.keras import compiled_loss
from grader.i18n import _, _n
from reference.transfer import binary_accuracy, binary_crossentropy, target_holdout

PRETRAINED = Path(__file__).resolve().parents[1] / "pretrained.keras"
MIN_ACCURACY = 0.80       # stated in the notebook; the reference reaches 0.856-0.948 (see above)
MIN_LOSS_GAP = 0.1        # stated in the notebook; the reference's gap is 0.312-0.456
MAX_UNFROZEN_RATE = 0.001  # stated in the notebook: a tenth of SGD's default learning rate
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
        raise CheckFailed(_("{name} should be a keras.Model, got {type}", name=what, type=type(value).__name__))
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
            raise CheckFailed(_("the model should have exactly one output: the new head"))
        return outputs[0]
    return model.layers[-1].name


def _tensor_sources(node):
    """The names of the layers whose outputs a functional config's inbound node passes to its layer."""
    if isinstance(node, dict):
        if node.get("class_name") == "__keras_tensor__":
            history = (node.get("config") or {}).get("keras_history")
            return [history[0]] if isinstance(history, (list, tuple)) and history and isinstance(history[0], str) \
                else []
        return [name for value in node.values() for name in _tensor_sources(value)]
    if isinstance(node, (list, tuple)):  # get_config() gives tuples where the saved JSON has lists
        return [name for value in node for name in _tensor_sources(value)]
    return []


def _path(model):
    """The layers from the model's output back to its input, nested models opened up (Sequential or functional).

    A functional model is followed along each layer's one input; a layer with several inputs (a
    Concatenate, an Add) ends the walk with a failed check, since the head must sit on one tensor.
    """
    def opened(layer):
        return _path(layer) if isinstance(layer, _keras().Model) else [layer]

    if isinstance(model, _keras().Sequential) or "output_layers" not in model.get_config():
        return [inner for layer in reversed(model.layers) for inner in opened(layer)]
    entries = {entry.get("name"): entry for entry in model.get_config().get("layers", [])}
    found, name, seen = [], _output_layer_name(model), set()
    while name is not None and name not in seen:
        seen.add(name)
        layer = model.get_layer(name)
        if type(layer).__name__ == "InputLayer":
            break
        found += opened(layer)
        nodes = entries.get(name, {}).get("inbound_nodes") or []
        sources = _tensor_sources(nodes[0].get("args", []) if nodes and isinstance(nodes[0], dict) else [])
        if len(sources) > 1:
            raise CheckFailed(_("the new head should be applied to exactly one tensor: "
                                "pretrained.layers[-2].output"))
        name = sources[0] if sources else None
    return found


PASS_THROUGH = ("Dropout",)   # identity at inference: allowed between the features, the head and its activation


def _activation(layer) -> str:
    return str(layer.get_config().get("activation"))


def _head(model):
    """(the new Dense(1) head, the activations after it, the name of the layer it is applied to or None).

    The head is ``Dense(1, activation="sigmoid")`` or ``Dense(1)`` followed by ``Activation("sigmoid")``;
    ``Dropout`` layers (and linear activations) may sit between the features, the head and its sigmoid,
    and a new ``Flatten`` on the pretrained layer before ``features`` counts as ``features``. Only a
    missing head fails here; its activation and its source are for the caller to judge.
    """
    path = _path(model)
    activations, index = [], 0
    while index < len(path) and type(path[index]).__name__ in PASS_THROUGH + ("Activation",):
        if type(path[index]).__name__ == "Activation":
            activations.append(_activation(path[index]))
        index += 1
    if index == len(path):
        raise CheckFailed(_("the output comes from an input layer; expected a new Dense(1) head with a sigmoid "
                            "(Dense(1, activation=\"sigmoid\"), or Dense(1) and Activation(\"sigmoid\"))"))
    if type(path[index]).__name__ != "Dense":
        kind = type(path[index]).__name__
        if kind[0] in "AEIOU":
            raise CheckFailed(_("the output comes from an {kind} layer; expected a new Dense(1) head with a sigmoid "
                                "(Dense(1, activation=\"sigmoid\"), or Dense(1) and Activation(\"sigmoid\"))",
                                kind=kind))
        raise CheckFailed(_("the output comes from a {kind} layer; expected a new Dense(1) head with a sigmoid "
                            "(Dense(1, activation=\"sigmoid\"), or Dense(1) and Activation(\"sigmoid\"))",
                            kind=kind))
    head = path[index]
    activations = [_activation(head), *reversed(activations)]
    index += 1
    while index < len(path) and (type(path[index]).__name__ in PASS_THROUGH or (
            type(path[index]).__name__ == "Activation" and _activation(path[index]) == "linear")):
        index += 1
    source = path[index] if index < len(path) else None
    # A new Flatten on the pretrained layer that feeds `features` computes exactly `features`.
    penultimate, before = _trusted().layers[-2], _trusted().layers[-3]
    if (source is not None and type(source).__name__ == type(penultimate).__name__ == "Flatten"
            and index + 1 < len(path) and path[index + 1].name == before.name):
        return head, activations, penultimate.name
    return head, activations, (source.name if source is not None else None)


def _effectively_trainable(model, wanted) -> bool:
    return any(effective for layer, effective in _flat_layers(model) if layer is wanted)


def _changed_weights(model, where):
    """Names of the kept pretrained layers that are missing from ``model`` or whose weights differ in any bit.

    ``where`` is what the message calls ``model``: a noun phrase (a message) or a variable's name.
    """
    layers = _by_name(model)
    problems = []
    for reference_layer in _kept_layers():
        found = layers.get(reference_layer.name)
        if found is None:
            raise CheckFailed(_("{model} has no layer {layer}: keep the pretrained layers "
                                "(build on pretrained.layers[-2].output; do not rebuild or clone them)",
                                model=where, layer=repr(reference_layer.name)))
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


BINARY_CROSSENTROPY = ("binarycrossentropy", "bce")


def _loss_class(model) -> str:
    """The normalised class name of a loss given as an object (its own ``name`` may be anything the student chose)."""
    loss = ((model.get_compile_config() if hasattr(model, "get_compile_config") else None) or {}).get("loss")
    return str(loss.get("class_name", "")).lower().replace("_", "") if isinstance(loss, dict) else ""


@functools.cache
def _keras_loss_names() -> frozenset:
    """Keras' own losses, normalised like compiled_loss's names: the only loss names a message repeats."""
    return frozenset(name.lower().replace("_", "") for name in dir(_keras().losses) if not name.startswith("_"))


def _on_hidden_set(measure, model, name):
    x, y = _hidden_set()
    try:
        return measure(model, x, y)
    except Exception as error:  # noqa: BLE001  (a model with the wrong output shape cannot be scored)
        raise CheckFailed(_("{model} could not label the hidden digits ({error}): it should take (n, 32, 32, 1) "
                            "images and output (n, 1) probabilities", model=name, error=type(error).__name__)) from None


def _hidden_accuracy(model, name):
    return _on_hidden_set(binary_accuracy, model, name)


def _hidden_loss(model, name):
    return _on_hidden_set(binary_crossentropy, model, name)


def _in_order(activations):
    """The activations one after the other, as code reads in every language ("'relu' -> 'sigmoid'"), 'linear' for
    none (one flat text: a model with many layers must not nest a message per layer)."""
    return " -> ".join(repr(name) for name in activations) if activations else repr("linear")


# ----------------------------------------------------------------------------- build_transfer_model (4 points)

@check(cell="transfer_model_tests", points=1, timeout=TIMEOUT)
def head_is_one_sigmoid_unit_on_the_penultimate_layer(student, rng):
    """The new head is a sigmoid Dense(1) on the penultimate pretrained layer's output; the old last layer is gone."""
    model = _built_model(student)
    dropped, penultimate = _trusted().layers[-1].name, _trusted().layers[-2].name
    if tuple(model.output_shape) != (None, 1):
        what = _("the model's output")
        raise CheckFailed(_("{problem}: one probability per image",
                            problem=shape_mismatch(tuple(model.output_shape), (None, 1), what)))
    head, activations, source = _head(model)
    if head.name in {layer.name for layer in _trusted().layers}:
        raise CheckFailed(_("the output layer is the pretrained layer {layer}; add a new Dense(1) head",
                            layer=repr(head.name)))
    if head.get_config().get("units") != 1:
        raise CheckFailed(_("the head is a Dense layer with more than one unit; expected a new Dense(1) head"))
    squashing = [name for name in activations if name != "linear"]
    if squashing != ["sigmoid"]:
        raise CheckFailed(_("the head's activation is {activations}; expected one 'sigmoid' (the probability of an 8)",
                            activations=_in_order(squashing)))
    if source == dropped or dropped in _by_name(model):
        raise CheckFailed(_("the model still contains the pretrained network's last layer {dropped}: drop it and "
                            "apply the head to pretrained.layers[-2].output ({penultimate})",
                            dropped=repr(dropped), penultimate=repr(penultimate)))
    if source != penultimate:
        if source:
            raise CheckFailed(_("the head is applied to the output of {source}; expected the penultimate pretrained "
                                "layer {penultimate} (pretrained.layers[-2].output)",
                                source=repr(source), penultimate=repr(penultimate)))
        raise CheckFailed(_("the head is applied to the model's input; expected the penultimate pretrained "
                            "layer {penultimate} (pretrained.layers[-2].output)", penultimate=repr(penultimate)))


@check(cell="transfer_model_tests", points=1, timeout=TIMEOUT)
def pretrained_layers_frozen_and_head_trainable(student, rng):
    """Every pretrained layer with weights is frozen (trainable = False) in the new model; the head is trainable."""
    model = _built_model(student)
    layers = _by_name(model)
    for reference_layer in _kept_layers():
        found = layers.get(reference_layer.name)
        if found is None:
            raise CheckFailed(_("the pretrained layer {layer} is missing from the model",
                                layer=repr(reference_layer.name)))
        if found[1]:
            raise CheckFailed(_("the pretrained layer {layer} is trainable; freeze every pretrained layer "
                                "(layer.trainable = False) before compiling", layer=repr(reference_layer.name)))
    try:
        head = _head(model)[0]
    except CheckFailed:  # no Dense head at all: the head's own check says so
        head = None
    if head is not None and not _effectively_trainable(model, head):
        raise CheckFailed(_("the new head is frozen; it is the one layer that must stay trainable"))
    if not model.trainable_weights:
        raise CheckFailed(_("the model has no trainable weights at all"))


@check(cell="transfer_model_tests", points=1, timeout=TIMEOUT)
def pretrained_weights_reused(student, rng):
    """The model reuses the pretrained layers with their weights (bit-identical) and adds no weights but the head's."""
    model = _built_model(student)
    changed = _changed_weights(model, _("the model"))
    if changed:
        raise CheckFailed(_("the weights of {layers} differ from the pretrained network's: build on the pretrained "
                            "layers themselves, do not re-initialise, clone or train them here", layers=changed))
    pretrained = {layer.name for layer in _trusted().layers}
    extra = [layer for layer, _effective in _flat_layers(model)
             if layer.get_weights() and layer.name not in pretrained and type(layer).__name__ != "Dense"]
    if extra:
        raise CheckFailed(_("the model adds a {layer} layer with weights: the model is the pretrained layers you "
                            "keep plus the Dense(1) head, nothing else with weights", layer=type(extra[0]).__name__))


@check(cell="transfer_model_tests", points=1, timeout=TIMEOUT)
def compiled_with_binary_crossentropy(student, rng):
    """build_transfer_model compiles the model with the binary crossentropy loss (on probabilities)."""
    model = _built_model(student)
    name, logits = compiled_loss(model)
    if name is None:
        raise CheckFailed(_("the model is not compiled: call compile(loss=\"binary_crossentropy\", "
                            "optimizer=\"sgd\")"))
    if name not in BINARY_CROSSENTROPY and _loss_class(model) not in BINARY_CROSSENTROPY:
        if name in _keras_loss_names():
            raise CheckFailed(_("the loss is {loss}; a single sigmoid unit for a two-class task needs "
                                "loss=\"binary_crossentropy\"", loss=repr(name)))
        raise CheckFailed(_("the loss is not binary crossentropy; a single sigmoid unit for a two-class task needs "
                            "loss=\"binary_crossentropy\""))
    if logits:
        raise CheckFailed(_("the loss uses from_logits=True, but the sigmoid head already outputs probabilities"))


# ----------------------------------------------------------------------------- fine-tuning (2 points)

@check(cell="fine_tune_tests", points=1, timeout=TIMEOUT)
def fine_tuning_leaves_pretrained_weights_untouched(student, rng):
    """After fine-tuning, model_ft's pretrained layers are still frozen and bit-identical to pretrained.keras."""
    model = _trained_model(student, "model_ft")
    changed = _changed_weights(model, "model_ft")
    if changed:
        raise CheckFailed(_("fine-tuning changed the pretrained weights of {layers}: freeze them before compile(), "
                            "and compile again whenever you change trainable after a fit()", layers=changed))
    layers = _by_name(model)
    trainable = [layer.name for layer in _kept_layers() if layers[layer.name][1]]
    if trainable:
        raise CheckFailed(_n("the pretrained layer {layers} of model_ft is trainable; freeze it",
                             "the pretrained layers {layers} of model_ft are trainable; freeze them",
                             len(trainable), layers=trainable))


@check(cell="fine_tune_tests", points=1, timeout=TIMEOUT)
def fine_tuned_model_labels_hidden_digits(student, rng):
    """model_ft labels at least 80% of the hidden 5s and 8s correctly (label 1 for an 8)."""
    accuracy = measure("accuracy", _hidden_accuracy(_trained_model(student, "model_ft"), "model_ft"))
    if accuracy < MIN_ACCURACY:
        raise CheckFailed(_("model_ft labels {accuracy} of the hidden 5s and 8s correctly; at least {needed} expected "
                            "(was the head trained, with binary crossentropy, for EPOCHS epochs?)",
                            accuracy=accuracy, needed=MIN_ACCURACY))


# ----------------------------------------------------------------------------- from scratch (3 points)

@check(cell="scratch_tests", points=1, timeout=TIMEOUT)
def scratch_model_is_fresh_and_trainable(student, rng):
    """model_scratch has model_ft's architecture, every layer trainable, and starts from fresh random weights."""
    scratch = _trained_model(student, "model_scratch")
    model_ft = _trained_model(student, "model_ft")
    shapes = [tuple(w.shape) for w in scratch.get_weights()]
    expected = [tuple(w.shape) for w in model_ft.get_weights()]
    if shapes != expected:
        raise CheckFailed(_("model_scratch's weights do not have the shapes of model_ft's: "
                            "use the same architecture (e.g. keras.models.clone_model(model_ft))"))
    frozen = [layer.name for layer, effective in _flat_layers(scratch) if layer.get_weights() and not effective]
    if frozen:
        named = ", ".join(repr(name) for name in frozen if _pretrained_name(name))
        if named:
            raise CheckFailed(_("layers of model_scratch are frozen ({layers}); from scratch, every layer must be "
                                "trainable (set trainable = True, then compile)", layers=named))
        raise CheckFailed(_("layers of model_scratch are frozen; from scratch, every layer must be trainable "
                            "(set trainable = True, then compile)"))
    # Fresh random kernels are uncorrelated with the pretrained ones (|r| about 0.05 for conv1's 400
    # weights); a copy of the pretrained kernels stays at r > 0.99 after the 50 training steps.
    for layer in _kept_layers():
        for kernel in (w for w in layer.get_weights() if w.ndim > 1):
            for weight in scratch.get_weights():
                if weight.shape == kernel.shape and _correlation(weight, kernel) > MAX_CORRELATION:
                    raise CheckFailed(_("model_scratch's {shape} kernel follows the pretrained {layer} "
                                        "(correlation {correlation}): from scratch means fresh random weights, "
                                        "not the pretrained ones", shape=kernel.shape, layer=repr(layer.name),
                                        correlation=round(_correlation(weight, kernel), 2)))


@check(cell="scratch_tests", points=1, timeout=TIMEOUT)
def scratch_model_trained_with_the_same_budget(student, rng):
    """model_scratch was trained with model_ft's optimizer for as many steps as model_ft."""
    scratch = _trained_model(student, "model_scratch")
    model_ft = _trained_model(student, "model_ft")
    steps, ft_steps = _steps(scratch), _steps(model_ft)
    if ft_steps == 0:
        raise CheckFailed(_("model_ft took no training steps: fine-tune it with fit()"))
    if steps != ft_steps:
        raise CheckFailed(_n("model_scratch took {count} training step, model_ft {ft_steps}: train both with "
                             "EPOCHS epochs of BATCH_SIZE images",
                             "model_scratch took {count} training steps, model_ft {ft_steps}: train both with "
                             "EPOCHS epochs of BATCH_SIZE images", steps, ft_steps=ft_steps))
    (kind, rate), (ft_kind, ft_rate) = _optimizer_kind(scratch), _optimizer_kind(model_ft)
    if kind != ft_kind or not np.isclose(rate, ft_rate, rtol=1e-6):
        raise CheckFailed(_("model_scratch is trained with {optimizer} (learning rate {rate}), model_ft with "
                            "{ft_optimizer} (learning rate {ft_rate}): use the same optimizer",
                            optimizer=str(kind), rate=format(rate, "g"), ft_optimizer=str(ft_kind),
                            ft_rate=format(ft_rate, "g")))


@check(cell="scratch_tests", points=1, timeout=TIMEOUT)
def transfer_beats_scratch_on_hidden_digits(student, rng):
    """On the hidden 5s and 8s, model_ft's crossentropy is at least 0.1 lower than model_scratch's."""
    ft = measure("model_ft_crossentropy", _hidden_loss(_trained_model(student, "model_ft"), "model_ft"))
    scratch = measure("model_scratch_crossentropy",
                      _hidden_loss(_trained_model(student, "model_scratch"), "model_scratch"))
    if measure("loss_gap", scratch - ft) < MIN_LOSS_GAP:
        raise CheckFailed(_("on the hidden 5s and 8s model_ft's binary crossentropy is {ft} and model_scratch's "
                            "{scratch}; transfer learning's should be at least {gap} lower (is model_scratch really "
                            "trained from fresh random weights, with the same budget, and model_ft fine-tuned?)",
                            ft=ft, scratch=scratch, gap=MIN_LOSS_GAP))


# ----------------------------------------------------------------------------- unfreezing conv2 (1 point)

@check(cell="unfreeze_tests", points=1, timeout=TIMEOUT)
def unfrozen_conv2_retrained_at_a_low_learning_rate(student, rng):
    """model_unfrozen: conv2 retrained after a new compile() at a learning rate of at most 0.001, conv1 untouched.

    conv2 is trainable and its weights changed, conv1 is frozen and bit-identical to pretrained.keras, the
    optimizer's learning rate is at most 0.001, and the model still labels at least 80% of the hidden 5s and 8s.
    """
    model = _trained_model(student, "model_unfrozen")
    layers = _by_name(model)
    first, last = (layer.name for layer in _kept_layers())
    for name in (first, last):
        if name not in layers:
            raise CheckFailed(_("model_unfrozen has no layer {layer}: build it with build_transfer_model, as the "
                                "locked cell does", layer=repr(name)))
    weights = {layer.name: layer.get_weights() for layer in _kept_layers()}
    if layers[first][1] or not all(np.array_equal(a, b) for a, b in zip(layers[first][0].get_weights(),
                                                                         weights[first])):
        raise CheckFailed(_("{first} should stay frozen, with its pretrained weights: unfreeze {last} only",
                            first=repr(first), last=repr(last)))
    if not layers[last][1]:
        raise CheckFailed(_("{layer} of model_unfrozen is still frozen: set trainable = True on it, then compile "
                            "again", layer=repr(last)))
    if all(np.array_equal(a, b) for a, b in zip(layers[last][0].get_weights(), weights[last])):
        raise CheckFailed(_("the weights of {layer} did not change: after a fit(), a changed trainable flag takes "
                            "effect only when you compile() again", layer=repr(last)))
    _optimizer, rate = _optimizer_kind(model)
    if rate is None or not 0 < rate <= MAX_UNFROZEN_RATE * (1 + 1e-6):
        if rate is None:
            raise CheckFailed(_("model_unfrozen is trained with no optimizer; fine-tune the unfrozen layers with a "
                                "learning rate of at most {most}", most=format(MAX_UNFROZEN_RATE, "g")))
        raise CheckFailed(_("model_unfrozen is trained with learning rate {rate}; fine-tune the unfrozen layers with "
                            "a learning rate of at most {most}", rate=format(rate, "g"),
                            most=format(MAX_UNFROZEN_RATE, "g")))
    accuracy = measure("accuracy", _hidden_accuracy(model, "model_unfrozen"))
    if accuracy < MIN_ACCURACY:
        raise CheckFailed(_("model_unfrozen labels {accuracy} of the hidden 5s and 8s correctly; at least {needed} "
                            "expected", accuracy=accuracy, needed=MIN_ACCURACY))
