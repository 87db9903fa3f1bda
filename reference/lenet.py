"""The lecture's simplified LeNet-5 in Keras, its feature-map model, and the numbers around it.

Lecture 10 ("Keras, LeNet-5 (egyszerűsített)") builds::

    Conv2D(6, (5, 5), tanh) on (32, 32, 1) -> AveragePooling2D((2, 2)) -> Conv2D(16, (5, 5), tanh)
    -> AveragePooling2D((2, 2)) -> Flatten -> Dense(120, tanh) -> Dense(84, tanh) -> Dense(10, softmax)

with 61,706 parameters, compiled with ``categorical_crossentropy``, and reads the first
convolutional layer's feature maps (heatmaps) through a second, functional-API model
``Model(inputs, [probabilities, first conv output])``.  Activation maximisation ("find the input
that excites a filter") works on the first Conv2D layer and on the second, deeper one.

Keras is imported inside the functions, so ``import reference`` stays numpy-only and fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import keras

INPUT_SHAPE = (32, 32, 1)
N_PARAMETERS = 61_706
LAYER_TYPES = ("Conv2D", "AveragePooling2D", "Conv2D", "AveragePooling2D", "Flatten", "Dense", "Dense", "Dense")
ACTIVATIONS = ("tanh", None, "tanh", None, None, "tanh", "tanh", "softmax")


def expected_output_shapes() -> list[tuple[int, ...]]:
    """Output shape of every layer of the lecture's LeNet-5, without the batch axis, in order."""
    return [(28, 28, 6), (14, 14, 6), (10, 10, 16), (5, 5, 16), (400,), (120,), (84,), (10,)]


def build_lenet(learning_rate: float = 3e-3, *, functional: bool = False):
    """The lecture's simplified LeNet-5, compiled (Adam, categorical crossentropy, accuracy).

    A ``keras.Sequential`` as on the LeNet slide, or with ``functional=True`` the same layers
    through the functional API as on the heatmap slide (``Model(inputs=[inp_t], outputs=[t2])``).
    """
    import keras
    from keras import layers

    stack = [
        layers.Conv2D(6, (5, 5), activation="tanh"),
        layers.AveragePooling2D(pool_size=(2, 2)),
        layers.Conv2D(16, (5, 5), activation="tanh"),
        layers.AveragePooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dense(120, activation="tanh"),
        layers.Dense(84, activation="tanh"),
        layers.Dense(10, activation="softmax"),
    ]
    if functional:
        inp_t = keras.Input(shape=INPUT_SHAPE)
        t = inp_t
        for layer in stack:
            t = layer(t)
        model = keras.Model(inputs=[inp_t], outputs=[t], name="lenet5_functional")
    else:
        model = keras.Sequential([keras.Input(shape=INPUT_SHAPE), *stack], name="lenet5")
    model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.Adam(learning_rate),
                  metrics=["accuracy"])
    return model


def conv_layers(model: keras.Model) -> list:
    """The ``Conv2D`` layers of ``model`` (Sequential or functional), in order."""
    import keras

    return [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]


def first_conv_layer(model: keras.Model) -> keras.layers.Conv2D:
    """The first ``Conv2D`` layer of ``model`` (Sequential or functional)."""
    found = conv_layers(model)
    if not found:
        raise ValueError("the model has no Conv2D layer")
    return found[0]


def build_feature_model(model: keras.Model) -> keras.Model:
    """Functional API: the same weights, outputs ``[probabilities, first conv layer's feature maps]``."""
    import keras

    return keras.Model(inputs=model.inputs, outputs=[model.outputs[0], first_conv_layer(model).output])


def filter_activations(model, images, conv_index: int = 0):
    """Mean activation of every filter of Conv2D layer ``conv_index`` (0: the first), (n_images, n_filters)."""
    import keras
    import numpy as np

    conv = keras.Model(inputs=model.inputs[0], outputs=conv_layers(model)[conv_index].output)
    maps = keras.ops.convert_to_numpy(conv(np.asarray(images, dtype=np.float32), training=False))
    return maps.mean(axis=(1, 2)).astype(np.float64)


def filter_activation(model, images, filter_index: int, conv_index: int = 0):
    """Mean activation of filter ``filter_index`` of Conv2D layer ``conv_index``, one number per image."""
    return filter_activations(model, images, conv_index)[:, filter_index]


def visualize_filter(model, filter_index: int, steps: int = 40, learning_rate: float = 1.0, conv_index: int = 0,
                     *, seed: int = 0):
    """Gradient ascent on a (1, 32, 32, 1) input, kept in [0, 1], to excite one filter of a Conv2D layer.

    ``conv_index`` picks the layer: 0 the first Conv2D layer (6 filters, 28x28 maps), 1 the second,
    deeper one (16 filters, 10x10 maps). Starts from grey (0.5) with a little noise; each step moves
    the image ``learning_rate`` along the gradient of the filter's mean activation, normalised to
    length 1, and clips it to [0, 1].
    """
    import keras
    import numpy as np
    import tensorflow as tf

    conv = keras.Model(inputs=model.inputs[0], outputs=conv_layers(model)[conv_index].output)
    start = np.random.default_rng(seed).uniform(0.4, 0.6, size=(1, *INPUT_SHAPE)).astype(np.float32)
    image = tf.Variable(start)
    for _ in range(steps):
        with tf.GradientTape() as tape:
            activation = tf.reduce_mean(conv(image, training=False)[..., filter_index])
        gradient = tf.math.l2_normalize(tape.gradient(activation, image))
        image.assign(tf.clip_by_value(image + learning_rate * gradient, 0.0, 1.0))
    return image.numpy()
