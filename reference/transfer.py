"""Transfer learning (the `transfer` assignment): the trusted reference and the hidden target set.

The lecture's recipe, steps 3-5: drop the last layer of the pretrained (előtanított) network, put a new
head for the target task on the penultimate layer's output, freeze the pretrained layers and
fine-tune; then unfreeze the last convolutional layer and fine-tune again at a low learning rate.
Keras is imported lazily, so ``import reference`` stays light for the numpy-only assignments.

Keras 3.15 pitfall (see DESIGN.md): ``trainable`` takes effect at ``compile()``; changed after the
first ``fit()`` it is ignored until the model is compiled again. :func:`build_transfer_model` therefore
freezes *before* it compiles, and the model it returns has not been fitted yet.
"""

from __future__ import annotations

import warnings

import numpy as np

from reference.data import holdout_digits, pad_to_32

TARGET_CLASSES = (5, 8)   # the target task (célfeladat): a 5 (label 0) or an 8 (label 1)
SOURCE_CLASSES = (0, 1, 2, 3, 4)
EPOCHS = 10               # the notebook's budget, for fine-tuning and from scratch alike
BATCH_SIZE = 4
OPTIMIZER = "sgd"         # as on the lecture's slides: plain SGD, learning rate 0.01
UNFROZEN = ("conv2",)     # part 4: the pretrained layers unfrozen after the head has learnt
UNFROZEN_EPOCHS = 5
UNFROZEN_LEARNING_RATE = 0.001   # at most this: a tenth of SGD's default


def build_transfer_model(pretrained, n_frozen: int | None = None, optimizer=OPTIMIZER):
    """``pretrained`` without its last layer, with a ``Dense(1, sigmoid)`` head on ``layers[-2].output``.

    The first ``n_frozen`` layers of ``pretrained`` are frozen (``trainable = False``); ``None``
    freezes every layer that is kept (all but the dropped last one), like the lecture's
    ``for layer in model_pre.layers[:6]: layer.trainable = False`` does for its network. The layers
    are shared with ``pretrained`` (that is how Keras' functional API reuses them), so the flags
    change there too. Compiled with ``binary_crossentropy``, not fitted.
    """
    import keras

    kept = pretrained.layers[:-1]
    for layer in kept[:len(kept) if n_frozen is None else n_frozen]:
        layer.trainable = False
    head = keras.layers.Dense(1, activation="sigmoid", name="head")(pretrained.layers[-2].output)
    model = keras.Model(inputs=pretrained.input, outputs=head)
    model.compile(loss="binary_crossentropy", optimizer=optimizer, metrics=["accuracy"])
    return model


def build_scratch_model(model, optimizer=OPTIMIZER):
    """The same architecture as ``model`` with fresh random weights, every layer trainable, compiled."""
    import keras

    scratch = keras.models.clone_model(model)
    for layer in scratch.layers:
        layer.trainable = True
    scratch.compile(loss="binary_crossentropy", optimizer=optimizer, metrics=["accuracy"])
    return scratch


def unfreeze_and_recompile(model, names=UNFROZEN, learning_rate: float = UNFROZEN_LEARNING_RATE):
    """Unfreeze the named pretrained layers of a trained transfer model and compile it again, at a low learning rate.

    Fine-tuning part of the base (finomhangolás): once the head has learnt, the last pretrained layers
    adapt a little to the target task. The model has been fitted already, so in Keras 3 the changed
    ``trainable`` flags take effect only through this ``compile()``; it also brings the new learning rate.
    """
    import keras

    for name in names:
        model.get_layer(name).trainable = True
    model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.SGD(learning_rate=learning_rate),
                  metrics=["accuracy"])
    return model


def probabilities(model, x: np.ndarray) -> np.ndarray:
    """The outputs of a one-unit sigmoid model on ``x``, float64, one per image."""
    # A direct call (inference mode) instead of predict(): no tf.data pipeline, no retracing warnings.
    # Keras warns when a model built with inputs=[t] (the lecture's style) gets a bare array: harmless.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The structure of `inputs` doesn't match")
        batches = [np.asarray(model(x[start:start + 256], training=False)) for start in range(0, len(x), 256)]
    return np.concatenate(batches).astype(np.float64).reshape(len(x), -1)[:, 0]


def binary_predictions(model, x: np.ndarray) -> np.ndarray:
    """0/1 predictions of a one-unit sigmoid model: probability of label 1 above 0.5."""
    return (probabilities(model, x) > 0.5).astype(np.int64)


def binary_accuracy(model, x: np.ndarray, y: np.ndarray) -> float:
    """The fraction of ``x`` that ``model`` (one sigmoid unit) labels as ``y``."""
    return float(np.mean(binary_predictions(model, x) == np.asarray(y)))


def binary_crossentropy(model, x: np.ndarray, y: np.ndarray) -> float:
    """The mean binary crossentropy of ``model``'s probabilities on ``x``, clipped to [1e-7, 1 - 1e-7] as in Keras."""
    p, y = np.clip(probabilities(model, x), 1e-7, 1 - 1e-7), np.asarray(y, dtype=np.float64)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def target_labels(digits: np.ndarray) -> np.ndarray:
    """The target task's labels of the digits 5 and 8: 1 for an 8, 0 for a 5."""
    return (np.asarray(digits) == TARGET_CLASSES[1]).astype(np.int64)


def target_holdout() -> tuple[np.ndarray, np.ndarray]:
    """The hidden 5-vs-8 images (the 5s and 8s of the held-out digits), padded to 32x32, and labels."""
    x, y = holdout_digits()
    keep = np.isin(y, TARGET_CLASSES)
    return pad_to_32(x[keep]), target_labels(y[keep])


def frozen_weights_differ(model, pretrained) -> list[str]:
    """Names of the layers of ``pretrained`` (all but its last) whose weights in ``model`` are not bit-identical."""
    changed = []
    for layer in pretrained.layers[:-1]:
        mine = model.get_layer(layer.name).get_weights()
        if len(mine) != len(layer.get_weights()) or not all(
                np.array_equal(a, b) for a, b in zip(mine, layer.get_weights())):
            changed.append(layer.name)
    return changed
