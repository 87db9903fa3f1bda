"""The reference LeNet-5: the lecture's architecture, its feature model, filter visualisation, a short training run."""

import ast
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

import reference  # noqa: E402
from grader.paths import project_root  # noqa: E402
from reference.conv import conv2d  # noqa: E402
from reference.data import holdout_digits, load_digits, pad_to_32  # noqa: E402
from reference.lenet import (  # noqa: E402
    ACTIVATIONS,
    LAYER_TYPES,
    N_PARAMETERS,
    conv_layers,
    filter_activation,
    filter_activations,
    first_conv_layer,
    visualize_filter,
)

ASSIGNMENT = project_root() / "assignments" / "lenet"
LAYER_PARAMETERS = [156, 0, 2_416, 0, 0, 48_120, 10_164, 850]


def proper_layers(model):
    return [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]


@pytest.fixture(scope="module", params=["sequential", "functional"])
def lenet(request):
    keras.utils.set_random_seed(1)
    return reference.build_lenet(functional=request.param == "functional")


def test_the_lecture_architecture(lenet):
    layers = proper_layers(lenet)
    assert tuple(lenet.inputs[0].shape) == (None, 32, 32, 1)
    assert [type(layer).__name__ for layer in layers] == list(LAYER_TYPES)
    assert [getattr(getattr(layer, "activation", None), "__name__", None) for layer in layers] == list(ACTIVATIONS)
    assert all(layer.padding == "valid" for layer in layers if hasattr(layer, "padding"))
    assert all(tuple(layer.pool_size) == (2, 2) for layer in layers if hasattr(layer, "pool_size"))
    assert lenet.loss == "categorical_crossentropy"


def test_parameters_61706(lenet):
    assert [layer.count_params() for layer in proper_layers(lenet)] == LAYER_PARAMETERS
    assert lenet.count_params() == N_PARAMETERS == 61_706


def test_per_layer_output_shapes(lenet):
    expected = reference.expected_output_shapes()
    assert expected == [(28, 28, 6), (14, 14, 6), (10, 10, 16), (5, 5, 16), (400,), (120,), (84,), (10,)]
    assert [tuple(layer.output.shape)[1:] for layer in proper_layers(lenet)] == expected
    x = np.zeros((3, 32, 32, 1), np.float32)
    for layer, shape in zip(proper_layers(lenet), expected):
        x = layer(x)
        assert tuple(x.shape) == (3, *shape)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(x).sum(axis=1), 1.0, rtol=1e-5)


def test_feature_model_returns_probabilities_and_first_conv_maps(lenet):
    feature_model = reference.build_feature_model(lenet)
    assert [tuple(t.shape) for t in feature_model.outputs] == [(None, 10), (None, 28, 28, 6)]
    assert first_conv_layer(feature_model) is first_conv_layer(lenet)  # shared layers, shared weights
    x = pad_to_32(holdout_digits()[0][:4])
    probabilities, maps = feature_model.predict(x, verbose=0)
    np.testing.assert_allclose(probabilities, lenet.predict(x, verbose=0), rtol=1e-5, atol=1e-7)
    w, b = first_conv_layer(lenet).get_weights()
    np.testing.assert_allclose(maps, np.tanh(conv2d(x, w, b)), rtol=1e-4, atol=1e-5)


def test_visualize_filter_excites_the_filter():
    keras.utils.set_random_seed(2)
    model = reference.build_lenet()
    kernel, bias = first_conv_layer(model).get_weights()
    random_kernel = np.random.default_rng(2).normal(0, 0.3, kernel.shape).astype(np.float32)
    first_conv_layer(model).set_weights([random_kernel, bias])
    random_images = np.random.default_rng(3).uniform(size=(16, 32, 32, 1))
    for k in (0, 5):
        image = visualize_filter(model, k)
        assert image.shape == (1, 32, 32, 1) and 0 <= image.min() and image.max() <= 1
        assert filter_activation(model, image, k)[0] >= filter_activation(model, random_images, k).mean() + 0.05


def test_visualize_filter_excites_a_filter_of_the_deeper_layer(lenet):
    """conv_index=1: the second Conv2D layer's 16 filters, 10x10 maps; its best input beats the first layer's."""
    assert [layer.filters for layer in conv_layers(lenet)] == [6, 16]
    random_images = np.random.default_rng(4).uniform(size=(16, 32, 32, 1))
    before = filter_activations(lenet, random_images, conv_index=1)
    assert before.shape == (16, 16)
    for k in (3, 12):
        image = visualize_filter(lenet, k, conv_index=1)
        assert image.shape == (1, 32, 32, 1) and 0 <= image.min() and image.max() <= 1
        gain = filter_activation(lenet, image, k, conv_index=1)[0] - before[:, k].mean()
        assert gain >= 0.05, gain
        np.testing.assert_array_equal(filter_activation(lenet, image, k, 1), filter_activations(lenet, image, 1)[:, k])


def test_short_training_run_recognises_held_out_digits():
    """4,000 training digits, 2 epochs (seeded, deterministic ops): already above the notebook's 85% threshold."""
    keras.utils.set_random_seed(0)
    tf.config.experimental.enable_op_determinism()
    x, y = load_digits(ASSIGNMENT / "digits.npz")
    model = reference.build_lenet()
    model.fit(pad_to_32(x), keras.utils.to_categorical(y, 10), epochs=2, batch_size=64, verbose=0)
    hx, hy = holdout_digits()
    accuracy = float(np.mean(np.argmax(model.predict(pad_to_32(hx), verbose=0), axis=1) == hy))
    assert accuracy >= 0.88, accuracy


def test_notebook_loads_the_digits_exactly_like_reference_data():
    """The locked data cell of lenet.ipynb defines load_digits and pad_to_32 that agree bit for bit."""
    notebook = json.loads((ASSIGNMENT / "lenet.ipynb").read_text(encoding="utf-8"))
    cell = next(c for c in notebook["cells"]
                if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "load_data")
    tree = ast.parse("".join(cell["source"]))
    tree.body = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    namespace = {"np": np}
    exec(compile(tree, "lenet.ipynb:load_data", "exec"), namespace)
    path = ASSIGNMENT / "digits.npz"
    (x, y), (nx, ny) = load_digits(path), namespace["load_digits"](path)
    assert x.dtype == nx.dtype and y.dtype == ny.dtype and np.array_equal(x, nx) and np.array_equal(y, ny)
    padded = namespace["pad_to_32"](nx[:5])
    assert padded.dtype == pad_to_32(x[:5]).dtype and np.array_equal(padded, pad_to_32(x[:5]))
