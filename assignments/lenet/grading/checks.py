"""Hidden checks of the lenet assignment (never released).

Structure checks read the model that ``build_lenet()`` returns (a real keras.Model,
read back safely from a .keras file). The behaviour checks use data students never
see: the trained ``model`` is scored on the 1,000 held-out digits, and the feature
model and the filter visualisation are tried on LeNets with random weights drawn
from the hidden seed, built both as ``keras.Sequential`` and with the functional API.

Keras models built with the functional API cannot come back out of the sandbox
(the model allow-list refuses their '__keras_tensor__' graph entries), so the feature
model is evaluated inside the sandbox by the notebook's locked helper
``feature_model_output(model, images, index)``, which calls the student's
``build_feature_model``; only its arrays come back. The check compares them with the
reference feature model, so a score still comes only from the checker's comparison.

Messages name layers, shapes, accuracies and activations, never hidden images.
"""

import numpy as np

from grader.checks import CheckFailed, check, expect_array, expect_close, expect_shape, shape_mismatch
from grader.checks.keras import compiled_loss
from reference.data import holdout_digits, pad_to_32
from reference.lenet import (
    INPUT_SHAPE,
    LAYER_TYPES,
    N_PARAMETERS,
    build_feature_model,
    build_lenet,
    expected_output_shapes,
    filter_activation,
)

ACCURACY_THRESHOLD = 0.85     # stated in the notebook; the reference reaches about 0.93
ACTIVATION_GAIN = 0.05        # stated in the notebook; the reference gains 0.15 to 0.6
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
        raise CheckFailed(f"build_lenet() should return a keras.Model, got {type(model).__name__}")
    return model


def _proper_layers(model):
    return [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]


def _input_shape(model):
    return tuple(model.inputs[0].shape)[1:]


def _output_shapes(layers, input_shape):
    """Each layer's output shape without the batch axis (by a forward pass if the graph does not say)."""
    try:
        return [tuple(layer.output.shape)[1:] for layer in layers]
    except (AttributeError, ValueError):
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
    """("Sequential", model) and ("functional", model): the lecture's LeNet with the same random weights."""
    sequential, functional = build_lenet(), build_lenet(functional=True)
    weights = _random_weights(rng, sequential)
    sequential.set_weights(weights)
    functional.set_weights(weights)
    return [("Sequential", sequential), ("functional", functional)]


def _holdout_images(rng, n=N_IMAGES):
    x, _ = holdout_digits()
    return pad_to_32(x[np.sort(rng.choice(len(x), size=n, replace=False))])


def _check_feature_output(student, rng, index, what):
    images = _holdout_images(rng)
    for kind, model in _random_lenets(rng):
        expected = np.asarray(build_feature_model(model).predict(images, verbose=0)[index])
        actual = student.call("feature_model_output", model, images, index)
        label = f"the feature model's {what} for a {kind} LeNet"
        try:
            expect_shape(actual, expected.shape, label)
        except CheckFailed as failure:
            raise CheckFailed(f"{failure} (build_feature_model must return a model with two outputs, in this "
                              "order: the probabilities (n, 10) and the first Conv2D layer's maps "
                              "(n, 28, 28, 6))") from None
        expect_close(actual, expected, rtol=1e-4, atol=1e-5, what=label)


def _visualisation(student, model, filter_index, kind):
    result = student.call("visualize_filter", model, filter_index)
    what = f"visualize_filter(model, {filter_index}) for a {kind} LeNet"
    result = expect_shape(result, (1, *INPUT_SHAPE), what)
    if result.dtype.kind != "f":
        raise CheckFailed(f"{what} should return a float array")
    if not np.all(np.isfinite(result)):
        raise CheckFailed(f"{what} contains NaN or infinite values")
    return result


# ----------------------------------------------------------------------------- build_lenet (4 points)

@check(cell="build_lenet_tests", points=1, timeout=TIMEOUT)
def lenet_input_and_layer_types(student, rng):
    """build_lenet takes (32, 32, 1) images and has the lecture's layers in order."""
    model = _student_lenet(student)
    shape = _input_shape(model)
    if shape != INPUT_SHAPE:
        raise CheckFailed(f"the model's input per image {shape_mismatch(shape, INPUT_SHAPE)}: "
                          "one grey-scale 32x32 digit (padded from 28x28)")
    kinds = [type(layer).__name__ for layer in _proper_layers(model)]
    if kinds != list(LAYER_TYPES):
        hint = ""
        if "MaxPooling2D" in kinds:
            hint = "; the lecture's LeNet-5 uses AveragePooling2D, not MaxPooling2D"
        raise CheckFailed(f"the layers are {', '.join(kinds)}; expected {', '.join(LAYER_TYPES)}{hint}")


@check(cell="build_lenet_tests", points=1, timeout=TIMEOUT)
def lenet_output_shapes_and_parameters(student, rng):
    """Every layer of build_lenet has the lecture's output shape ("valid" padding), 61,706 parameters in all."""
    model = _student_lenet(student)
    layers = _proper_layers(model)
    for number, layer in enumerate(layers, start=1):
        padding = getattr(layer, "padding", "valid")
        if padding != "valid":
            raise CheckFailed(f"layer {number} ({type(layer).__name__}) uses padding={padding!r}; the lecture's "
                              "LeNet-5 uses 'valid' (no padding), so a 5x5 kernel turns 32x32 into 28x28")
    shapes = _output_shapes(layers, _input_shape(model))
    expected = expected_output_shapes()
    for number, (layer, shape, wanted) in enumerate(zip(layers, shapes, expected), start=1):
        if shape != wanted:
            raise CheckFailed(f"the output of layer {number} ({type(layer).__name__}) per image "
                              f"{shape_mismatch(shape, wanted)}")
    if len(shapes) != len(expected):
        raise CheckFailed(f"the model has {'fewer' if len(shapes) < len(expected) else 'more'} layers than the "
                          f"lecture's {len(expected)}")
    if model.count_params() != N_PARAMETERS:
        raise CheckFailed(f"the model has {model.count_params():,} parameters, expected {N_PARAMETERS:,}")


@check(cell="build_lenet_tests", points=1, timeout=TIMEOUT)
def lenet_activations(student, rng):
    """build_lenet uses tanh in the hidden Conv2D and Dense layers and softmax at the output."""
    model = _student_lenet(student)
    found = [getattr(layer.activation, "__name__", str(layer.activation))
             for layer in _proper_layers(model) if hasattr(layer, "activation")]
    if found != EXPECTED_ACTIVATIONS:
        raise CheckFailed(f"the activations of the Conv2D and Dense layers are {', '.join(found) or 'none'}; "
                          f"expected {', '.join(EXPECTED_ACTIVATIONS)} (tanh as in the lecture, softmax at the output)")


@check(cell="build_lenet_tests", points=1, timeout=TIMEOUT)
def lenet_compiled_loss(student, rng):
    """build_lenet returns a model compiled with the categorical crossentropy loss."""
    name, from_logits = compiled_loss(_student_lenet(student))
    if name is None:
        raise CheckFailed("the model is not compiled: call model.compile(loss=\"categorical_crossentropy\", ...) "
                          "before returning it")
    if name != "categoricalcrossentropy":
        hint = " (the labels are one-hot vectors)" if "sparse" in name else ""
        raise CheckFailed(f"the model is compiled with the loss {name!r}; expected categorical_crossentropy{hint}")
    if from_logits:
        raise CheckFailed("the loss has from_logits=True, but the last layer already applies softmax")


# ----------------------------------------------------------------------------- training (2 points)

@check(cell="train_tests", points=2, timeout=TIMEOUT)
def trained_model_accuracy(student, rng):
    """The trained `model` recognises at least 85% of the held-out digits."""
    model = student.get("model")
    if not isinstance(model, _keras().Model):
        raise CheckFailed(f"the variable model should hold the trained keras.Model, got {type(model).__name__}")
    shape = _input_shape(model)
    if shape != INPUT_SHAPE:
        raise CheckFailed(f"the trained model's input per image {shape_mismatch(shape, INPUT_SHAPE)} (the digits "
                          "after padding), so it cannot be evaluated on them")
    x, y = holdout_digits()
    probabilities = expect_array(np.asarray(model.predict(pad_to_32(x), batch_size=250, verbose=0)),
                                 "the trained model's output")
    if probabilities.shape != (len(y), 10):
        raise CheckFailed(f"the trained model's output has shape {probabilities.shape} for {len(y)} digits, "
                          f"expected ({len(y)}, 10)")
    accuracy = float(np.mean(np.argmax(probabilities, axis=1) == y))
    if not accuracy >= ACCURACY_THRESHOLD:
        raise CheckFailed(f"the trained model recognises {accuracy:.1%} of the {len(y):,} held-out digits; "
                          f"at least {ACCURACY_THRESHOLD:.0%} is needed")


# ----------------------------------------------------------------------------- feature model (2 points)

@check(cell="feature_model_tests", points=1, timeout=TIMEOUT)
def feature_model_probabilities(student, rng):
    """The feature model's first output is the model's own prediction (Sequential and functional LeNets)."""
    _check_feature_output(student, rng, 0, "first output (probabilities)")


@check(cell="feature_model_tests", points=1, timeout=TIMEOUT)
def feature_model_first_conv_maps(student, rng):
    """The feature model's second output is the first Conv2D layer's feature maps (Sequential and functional)."""
    _check_feature_output(student, rng, 1, "second output (first Conv2D feature maps)")


# ----------------------------------------------------------------------------- filter visualisation (2 points)

@check(cell="filter_viz_tests", points=1, timeout=TIMEOUT)
def filter_visualization_shape(student, rng):
    """visualize_filter returns one finite (1, 32, 32, 1) float image."""
    (kind, model), _ = _random_lenets(rng)
    _visualisation(student, model, int(rng.integers(6)), kind)


@check(cell="filter_viz_tests", points=1, timeout=TIMEOUT)
def filter_visualization_excites_filter(student, rng):
    """The image from visualize_filter excites the chosen filter clearly more than random images do."""
    (seq_kind, sequential), (fun_kind, functional) = _random_lenets(rng)
    first, second, third = (int(k) for k in rng.permutation(6)[:3])
    random_images = rng.uniform(size=(16, *INPUT_SHAPE))
    tries = [(seq_kind, sequential, first), (seq_kind, sequential, second), (fun_kind, functional, third)]
    for kind, model, k in tries:
        image = _visualisation(student, model, k, kind)
        before = float(filter_activation(model, random_images, k).mean())
        after = float(filter_activation(model, image, k)[0])
        if not after >= before + ACTIVATION_GAIN:
            raise CheckFailed(f"for filter {k} of a {kind} LeNet the mean activation is {after:+.3f} on your image "
                              f"and {before:+.3f} on random images: a gain of at least {ACTIVATION_GAIN} is needed")
