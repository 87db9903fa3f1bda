"""Hidden checks of the lenet assignment (never released).

Structure checks read the model that ``build_lenet()`` returns (a real keras.Model,
read back safely from a .keras file). The behaviour checks use data students never
see: the trained ``model`` is scored on the 1,000 held-out digits, and the feature
model and the filter visualisation are tried on LeNets with random weights drawn
from the hidden seed, built both as ``keras.Sequential`` and with the functional API.

Keras models built with the functional API cannot come back out of the sandbox
(the model allow-list refuses their '__keras_tensor__' graph entries), so the feature
model and the filter images are made inside the sandbox by the notebook's locked
helpers ``feature_model_output(model, images, index)`` and
``filter_image(model, filter_index, conv_index)``, which call the student's
``build_feature_model`` and ``visualize_filter``; only their arrays come back. The checks
compare them with the reference, so a score still comes only from the checker's comparison.
Both helpers first pass the model through the notebook's locked ``with_input``: Keras 3
defines a Sequential model's ``input`` (the lecture's ``model_pre.input``) only once the
model has been called on a tensor, and a model loaded from a .keras file never has been.

Filter visualisation, measured (reference.visualize_filter, hidden-style random weights,
30 LeNets, every filter; "unsaturated": mean activation on random images within +-0.7):

- the reference's rise on unsaturated filters: first layer 0.12-0.92 (5th percentile 0.16),
  second layer 0.14-1.02 (5th percentile 0.22); on saturated ones it falls to 0.025, which
  is why only unsaturated filters are tried;
- another start (seed 7) or 100 steps of 0.5 instead of 40 of 1.0: 0.92-1.08 times the
  reference's rise (12 LeNets, all 16 second-layer filters), so RELATIVE_GAIN = 0.5 leaves a
  correct solution a factor of 1.8;
- wrong ones: the unchanged grey start image rises by -0.10 to +0.12; gradient descent
  by -1.1 to -0.09; the mean over all 16 second-layer filters instead of filter k by
  -0.56 to +0.65 (median 0.26 times the reference's rise); ignoring ``conv_index`` fails
  on the filters numbered 6 and above, which the second-layer check always includes.

Messages name layers, shapes, accuracies and activations, never hidden images.

Each graded run records, for TAs only, the figures these bars are set on (``measure``: the
check's ``measured`` in result.json, never in feedback): ``accuracy`` of the trained model, and
per filter check the least ``rise_over_bar`` (the student's rise over the rise it needed; 1 or
more passes), ``rise`` and ``reference_rise``. ``python benchmarks/bench_gpu.py --seeds N``
prints their spread on the CPU and on a GPU.

On a GPU (issue 13): the bars above leave room for a GPU's numerics as they do for another random
start (``grader.sandbox.gpu`` says why). Measured: TensorFlow's GPU build (tensorflow[and-cuda] 2.21)
run on a CPU grades the solution 10/10, as the CPU build does. Not measured: the spread on a GPU, as
no device was lent to the task that wrote this; ``python benchmarks/bench_gpu.py --seeds 3
--variants`` on a GPU machine prints it beside the CPU's.
The filter figures move only with a device's numerics (the hidden seed draws the LeNets).
"""

import numpy as np

from grader.checks import CheckFailed, check, expect_array, expect_close, expect_shape, measure, shape_mismatch
from grader.checks.keras import compiled_loss
from grader.i18n import _, _n
from reference.data import holdout_digits, pad_to_32
from reference.lenet import (
    INPUT_SHAPE,
    LAYER_TYPES,
    N_PARAMETERS,
    build_feature_model,
    build_lenet,
    expected_output_shapes,
    filter_activations,
    visualize_filter,
)

ACCURACY_THRESHOLD = 0.85     # stated in the notebook; the reference reaches about 0.93
ACTIVATION_GAIN = 0.05        # stated in the notebook: the least rise of a filter's mean activation
RELATIVE_GAIN = 0.5           # stated in the notebook: and at least half of the reference's rise
SATURATED = 0.7               # a filter whose mean activation on random images is beyond +-0.7 is not tried
EXPECTED_ACTIVATIONS = ["tanh", "tanh", "tanh", "tanh", "softmax"]
TIMEOUT = 120                 # seconds per call: Keras models cross the sandbox as files
N_IMAGES = 8


# ----------------------------------------------------------------------------- helpers

def _keras():
    import keras

    return keras


def _student_lenet(student):
    """The model ``build_lenet()`` returns, or a failure that says what came back instead."""
    model = student.call("build_lenet")
    if not isinstance(model, _keras().Model):
        raise CheckFailed(_("build_lenet() should return a keras.Model, got {type}", type=type(model).__name__))
    return model


def _proper_layers(model):
    return [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]


def _input_shape(model):
    return tuple(model.inputs[0].shape)[1:]


def _output_shapes(layers, input_shape):
    """Each layer's output shape without the batch axis (by a forward pass if the graph does not say)."""
    try:
        return [tuple(layer.output.shape)[1:] for layer in layers]
    except (ValueError, AttributeError):
        x, shapes = np.zeros((1, *input_shape), np.float32), []
        for layer in layers:
            x = layer(x)
            shapes.append(tuple(x.shape)[1:])
        return shapes


def _random_weights(rng, model):
    """Weights like a trained LeNet's: first-layer kernels N(0, 0.3), Glorot-uniform elsewhere, small biases."""
    weights = []
    for index, value in enumerate(model.get_weights()):
        if value.ndim == 1:
            weights.append(rng.normal(0.0, 0.1, value.shape))
        elif index == 0:
            weights.append(rng.normal(0.0, 0.3, value.shape))
        else:
            limit = np.sqrt(6.0 / (np.prod(value.shape[:-1]) + value.shape[-1]))
            weights.append(rng.uniform(-limit, limit, value.shape))
    return [w.astype(np.float32) for w in weights]


def _random_lenets(rng):
    """(a Sequential LeNet, model) and (a functional LeNet, model): the lecture's LeNet with the same random weights.

    Each model comes with what the messages call it, a noun phrase.
    """
    sequential, functional = build_lenet(), build_lenet(functional=True)
    weights = _random_weights(rng, sequential)
    sequential.set_weights(weights)
    functional.set_weights(weights)
    return [(_("a Sequential LeNet"), sequential), (_("a functional LeNet"), functional)]


def _holdout_images(rng, n=N_IMAGES):
    x, _labels = holdout_digits()
    return pad_to_32(x[np.sort(rng.choice(len(x), size=n, replace=False))])


def _feature_output(index, lenet):
    """What the messages call output ``index`` of the feature model of ``lenet``."""
    if index == 0:
        return _("the feature model's first output (probabilities) for {lenet}", lenet=lenet)
    return _("the feature model's second output (first Conv2D feature maps) for {lenet}", lenet=lenet)


def _check_feature_output(student, rng, index):
    images = _holdout_images(rng)
    for lenet, model in _random_lenets(rng):
        expected = np.asarray(build_feature_model(model).predict(images, verbose=0)[index])
        actual = student.call("feature_model_output", model, images, index)
        label = _feature_output(index, lenet)
        try:
            expect_shape(actual, expected.shape, label)
        except CheckFailed as failure:
            raise CheckFailed(_("{problem} (build_feature_model must return a model with two outputs, in this "
                                "order: the probabilities (n, 10) and the first Conv2D layer's maps "
                                "(n, 28, 28, 6))", problem=failure.message)) from None
        expect_close(actual, expected, rtol=1e-4, atol=1e-5, what=label)


def _visualisation(student, model, filter_index, conv_index, lenet):
    result = student.call("filter_image", model, filter_index, conv_index)
    what = _("visualize_filter(model, {filter_index}, conv_index={conv_index}) for {lenet}",
             filter_index=str(filter_index), conv_index=str(conv_index), lenet=lenet)
    result = expect_shape(result, (1, *INPUT_SHAPE), what)
    if result.dtype.kind != "f":
        raise CheckFailed(_("{call} should return a float array", call=what))
    if not np.all(np.isfinite(result)):
        raise CheckFailed(_("{call} contains NaN or infinite values", call=what))
    return result


def _unsaturated_filters(rng, before, conv_index, n):
    """``n`` unsaturated filters (mean activation on random images within +-SATURATED); in layer 2 one is >= 6."""
    order = [int(k) for k in rng.permutation(len(before))]
    candidates = [k for k in order if abs(before[k]) < SATURATED] or sorted(order, key=lambda k: abs(before[k]))
    if conv_index == 0:
        return candidates[:n]
    high = [k for k in candidates if k >= 6] or [k for k in order if k >= 6]
    return [high[0], *[k for k in candidates if k != high[0]][:n - 1]]


def _too_small_rise(conv_index, **values):
    """The message of a filter of Conv2D layer ``conv_index`` (0 the first, 1 the second) that rose too little."""
    if conv_index == 0:
        return _("for filter {k} of the first Conv2D layer of {lenet} the mean activation is {before} on random "
                 "images and rises by {gain} on your image; the gradient ascent described in the notebook raises it "
                 "by {reference_gain}, and a rise of at least {needed} (0.05, and half of that) is needed", **values)
    return _("for filter {k} of the second Conv2D layer of {lenet} the mean activation is {before} on random "
             "images and rises by {gain} on your image; the gradient ascent described in the notebook raises it "
             "by {reference_gain}, and a rise of at least {needed} (0.05, and half of that) is needed", **values)


def _check_excitation(student, rng, conv_index, per_model=2):
    """The student's image raises the filter's mean activation by ACTIVATION_GAIN and half the reference's rise."""
    random_images = rng.uniform(size=(16, *INPUT_SHAPE)).astype(np.float32)
    least = {"rise_over_bar": [], "rise": [], "reference_rise": []}  # for TAs: the least of each, measured
    for lenet, model in _random_lenets(rng):
        before = filter_activations(model, random_images, conv_index).mean(axis=0)
        for k in _unsaturated_filters(rng, before, conv_index, per_model):
            image = _visualisation(student, model, k, conv_index, lenet)
            gain = float(filter_activations(model, image, conv_index)[0, k]) - before[k]
            reference_gain = float(filter_activations(model, visualize_filter(model, k, conv_index=conv_index),
                                                      conv_index)[0, k]) - before[k]
            needed = max(ACTIVATION_GAIN, RELATIVE_GAIN * reference_gain)
            for name, value in (("rise_over_bar", gain / needed), ("rise", gain), ("reference_rise", reference_gain)):
                least[name].append(value)
                measure(name, min(least[name]))
            if not gain >= needed:
                raise CheckFailed(_too_small_rise(conv_index, k=k, lenet=lenet, before=before[k], gain=gain,
                                                  reference_gain=reference_gain, needed=needed))


# ----------------------------------------------------------------------------- build_lenet (4 points)

@check(cell="build_lenet_tests", points=1, timeout=TIMEOUT)
def lenet_input_and_layer_types(student, rng):
    """build_lenet takes (32, 32, 1) images and has the lecture's layers in order."""
    model = _student_lenet(student)
    shape = _input_shape(model)
    if shape != INPUT_SHAPE:
        what = _("the model's input per image")
        raise CheckFailed(_("{problem}: one grey-scale 32x32 digit (padded from 28x28)",
                            problem=shape_mismatch(shape, INPUT_SHAPE, what)))
    kinds = [type(layer).__name__ for layer in _proper_layers(model)]
    if kinds != list(LAYER_TYPES):
        found, expected = ", ".join(kinds), ", ".join(LAYER_TYPES)
        if "MaxPooling2D" in kinds:
            raise CheckFailed(_("the layers are {found}; expected {expected}; the lecture's LeNet-5 uses "
                                "AveragePooling2D, not MaxPooling2D", found=found, expected=expected))
        raise CheckFailed(_("the layers are {found}; expected {expected}", found=found, expected=expected))


@check(cell="build_lenet_tests", points=1, timeout=TIMEOUT)
def lenet_output_shapes_and_parameters(student, rng):
    """Every layer of build_lenet has the lecture's output shape ("valid" padding), 61,706 parameters in all."""
    model = _student_lenet(student)
    layers = _proper_layers(model)
    for number, layer in enumerate(layers, start=1):
        padding = getattr(layer, "padding", "valid")
        if padding != "valid":
            raise CheckFailed(_("layer {number} ({layer}) uses padding={padding}; the lecture's LeNet-5 uses "
                                "'valid' (no padding), so a 5x5 kernel turns 32x32 into 28x28",
                                number=number, layer=type(layer).__name__, padding=repr(padding)))
    shapes = _output_shapes(layers, _input_shape(model))
    expected = expected_output_shapes()
    for number, (layer, shape, wanted) in enumerate(zip(layers, shapes, expected), start=1):
        if shape != wanted:
            raise CheckFailed(shape_mismatch(shape, wanted, _("the output of layer {number} ({layer}) per image",
                                                              number=number, layer=type(layer).__name__)))
    if len(shapes) < len(expected):
        raise CheckFailed(_("the model has fewer layers than the lecture's {count}", count=len(expected)))
    if len(shapes) > len(expected):
        raise CheckFailed(_("the model has more layers than the lecture's {count}", count=len(expected)))
    if model.count_params() != N_PARAMETERS:
        raise CheckFailed(_n("the model has {count} parameter, expected {expected}",
                             "the model has {count} parameters, expected {expected}",
                             model.count_params(), expected=N_PARAMETERS))


@check(cell="build_lenet_tests", points=1, timeout=TIMEOUT)
def lenet_activations(student, rng):
    """build_lenet uses tanh in the hidden Conv2D and Dense layers and softmax at the output."""
    model = _student_lenet(student)
    found = [getattr(layer.activation, "__name__", str(layer.activation))
             for layer in _proper_layers(model) if hasattr(layer, "activation")]
    if found != EXPECTED_ACTIVATIONS:
        expected = ", ".join(EXPECTED_ACTIVATIONS)
        if not found:
            raise CheckFailed(_("the activations of the Conv2D and Dense layers are none; expected {expected} "
                                "(tanh as in the lecture, softmax at the output)", expected=expected))
        raise CheckFailed(_("the activations of the Conv2D and Dense layers are {found}; expected {expected} "
                            "(tanh as in the lecture, softmax at the output)", found=", ".join(found),
                            expected=expected))


@check(cell="build_lenet_tests", points=1, timeout=TIMEOUT)
def lenet_compiled_loss(student, rng):
    """build_lenet returns a model compiled with the categorical crossentropy loss."""
    name, from_logits = compiled_loss(_student_lenet(student))
    if name is None:
        raise CheckFailed(_("the model is not compiled: call model.compile(loss=\"categorical_crossentropy\", ...) "
                            "before returning it"))
    if name != "categoricalcrossentropy":
        if "sparse" in name:
            raise CheckFailed(_("the model is compiled with the loss {loss}; expected categorical_crossentropy "
                                "(the labels are one-hot vectors)", loss=repr(name)))
        raise CheckFailed(_("the model is compiled with the loss {loss}; expected categorical_crossentropy",
                            loss=repr(name)))
    if from_logits:
        raise CheckFailed(_("the loss has from_logits=True, but the last layer already applies softmax"))


# ----------------------------------------------------------------------------- training (2 points)

@check(cell="train_tests", points=2, timeout=TIMEOUT)
def trained_model_accuracy(student, rng):
    """The trained `model` recognises at least 85% of the held-out digits."""
    model = student.get("model")
    if not isinstance(model, _keras().Model):
        raise CheckFailed(_("the variable model should hold the trained keras.Model, got {type}",
                            type=type(model).__name__))
    shape = _input_shape(model)
    if shape != INPUT_SHAPE:
        what = _("the trained model's input per image")
        raise CheckFailed(_("{problem} (the digits after padding), so it cannot be evaluated on them",
                            problem=shape_mismatch(shape, INPUT_SHAPE, what)))
    x, y = holdout_digits()
    probabilities = expect_array(np.asarray(model.predict(pad_to_32(x), batch_size=250, verbose=0)),
                                 _("the trained model's output"))
    if probabilities.shape != (len(y), 10):
        raise CheckFailed(_n("the trained model's output has shape {shape} for {count} digit, expected {expected}",
                             "the trained model's output has shape {shape} for {count} digits, expected {expected}",
                             len(y), shape=probabilities.shape, expected=(len(y), 10)))
    accuracy = measure("accuracy", float(np.mean(np.argmax(probabilities, axis=1) == y)))
    if not accuracy >= ACCURACY_THRESHOLD:
        raise CheckFailed(_n("the trained model recognises {percent}% of the {count} held-out digit; "
                             "at least {needed}% is needed",
                             "the trained model recognises {percent}% of the {count} held-out digits; "
                             "at least {needed}% is needed",
                             len(y), percent=round(100 * accuracy, 1), needed=round(100 * ACCURACY_THRESHOLD)))


# ----------------------------------------------------------------------------- feature model (2 points)

@check(cell="feature_model_tests", points=1, timeout=TIMEOUT)
def feature_model_probabilities(student, rng):
    """The feature model's first output is the model's own prediction (Sequential and functional LeNets)."""
    _check_feature_output(student, rng, 0)


@check(cell="feature_model_tests", points=1, timeout=TIMEOUT)
def feature_model_first_conv_maps(student, rng):
    """The feature model's second output is the first Conv2D layer's feature maps (Sequential and functional)."""
    _check_feature_output(student, rng, 1)


# ----------------------------------------------------------------------------- filter visualisation (2 points)

@check(cell="filter_viz_tests", points=1, timeout=TIMEOUT)
def filter_visualization_first_layer(student, rng):
    """visualize_filter finds an input that excites a filter of the first Conv2D layer (Sequential and functional)."""
    _check_excitation(student, rng, conv_index=0)


@check(cell="filter_viz_tests", points=1, timeout=TIMEOUT)
def filter_visualization_second_layer(student, rng):
    """visualize_filter(..., conv_index=1) excites a filter of the deeper, second Conv2D layer (both model kinds)."""
    _check_excitation(student, rng, conv_index=1)
