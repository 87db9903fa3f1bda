"""Image segmentation (képszegmentálás) with a fully convolutional network (lecture 10, last slides).

``mean_iou`` is plain numpy; ``build_fcn`` imports Keras only when it is called,
so importing :mod:`reference` stays cheap for the numpy-only assignments.

Mean IoU, exactly as computed here
----------------------------------
For every class ``c`` in ``0 .. num_classes - 1``, counted over *all* pixels of
the whole set at once (not image by image)::

    TP_c = #(y_true == c and y_pred == c)
    FP_c = #(y_true != c and y_pred == c)
    FN_c = #(y_true == c and y_pred != c)
    IoU_c = TP_c / (TP_c + FP_c + FN_c)

A class is *present* when it occurs in ``y_true`` or in ``y_pred``
(``TP_c + FP_c + FN_c > 0``).  The mean IoU is the mean of ``IoU_c`` over the
present classes only; a class absent from both label maps has an undefined
``0 / 0`` IoU and is left out (neither 0 nor 1), as the FCN paper's evaluation
and common practice do.  A class predicted but not in ``y_true`` is present and
counts with IoU 0.
"""

from __future__ import annotations

import numpy as np

DOWNSAMPLING = 4  # the encoder halves H and W twice; inputs must be divisible by this


def confusion_counts(y_true, y_pred, num_classes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-class (TP, FP, FN) over every pixel of the two label maps, each an int64 array (num_classes,)."""
    t, p = _labels(y_true, "y_true", num_classes), _labels(y_pred, "y_pred", num_classes)
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred must have the same shape, got {t.shape} and {p.shape}")
    confusion = np.bincount((t * num_classes + p).ravel(), minlength=num_classes * num_classes)
    confusion = confusion.reshape(num_classes, num_classes)  # rows: true class, columns: predicted
    tp = np.diag(confusion)
    return tp, confusion.sum(axis=0) - tp, confusion.sum(axis=1) - tp


def per_class_iou(y_true, y_pred, num_classes: int) -> np.ndarray:
    """IoU of every class as float64 (num_classes,); NaN for a class absent from both label maps."""
    tp, fp, fn = confusion_counts(y_true, y_pred, num_classes)
    union = tp + fp + fn
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, tp / np.maximum(union, 1), np.nan)


def mean_iou(y_true, y_pred, num_classes: int) -> float:
    """Mean intersection over union of two integer label maps of the same (any) shape.

    Args:
        y_true: the correct labels (címke), integers in ``0 .. num_classes - 1``, any shape.
        y_pred: the predicted labels, same shape and range.
        num_classes: the number of classes.

    Returns:
        The mean, over the classes present in ``y_true`` or ``y_pred``, of
        TP / (TP + FP + FN) counted over all pixels at once, as a Python float in [0, 1].
    """
    if isinstance(num_classes, bool) or int(num_classes) != num_classes or num_classes < 1:
        raise ValueError(f"num_classes must be a positive integer, got {num_classes!r}")
    iou = per_class_iou(y_true, y_pred, int(num_classes))
    present = ~np.isnan(iou)
    if not present.any():
        raise ValueError("mean_iou needs at least one pixel")
    return float(np.mean(iou[present]))


def _labels(y, name: str, num_classes: int) -> np.ndarray:
    y = np.asarray(y)
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
            raise ValueError(f"{name} must hold integer labels")
        y = y.astype(np.int64)
    elif y.dtype.kind not in "iub":
        raise ValueError(f"{name} must hold integer labels, got dtype {y.dtype}")
    y = y.astype(np.int64)
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"{name} has labels outside 0..{num_classes - 1}")
    return y


def build_fcn(num_classes: int = 11, filters: tuple[int, int, int] = (8, 16, 32), learning_rate: float = 5e-3):
    """A small fully convolutional network for per-pixel classification, compiled.

    Encoder: a 3x3 convolution, 2x2 max pooling, a 3x3 convolution, 2x2 max pooling
    (downsampling factor 4), two 3x3 convolutions at 1/4 resolution.  Decoder: two
    stride-2 ``Conv2DTranspose`` layers (2x2 kernels) back to full size, each joined
    by a skip connection (``Concatenate``) with the encoder's features of the same
    size, as in the FCN paper.  Head: a 1x1 ``Conv2D`` with ``num_classes`` filters and
    a softmax over the last (class) axis.  No ``Dense``/``Flatten``: the input is
    ``(None, None, 1)``, any H and W divisible by 4.  Compiled with Adam and
    sparse_categorical_crossentropy (labels are class numbers per pixel).
    """
    import keras
    from keras import layers

    f1, f2, f3 = filters
    inputs = keras.Input((None, None, 1))
    e1 = layers.Conv2D(f1, 3, padding="same", activation="relu")(inputs)                         # H x W
    e2 = layers.Conv2D(f2, 3, padding="same", activation="relu")(layers.MaxPooling2D(2)(e1))     # H/2
    b = layers.MaxPooling2D(2)(e2)                                                                # H/4
    b = layers.Conv2D(f3, 3, padding="same", activation="relu")(b)
    b = layers.Conv2D(f3, 3, padding="same", activation="relu")(b)
    d2 = layers.Conv2DTranspose(f2, 2, strides=2, activation="relu")(b)                          # H/2
    d2 = layers.Concatenate()([d2, e2])
    d1 = layers.Conv2DTranspose(f1, 2, strides=2, activation="relu")(d2)                         # H x W
    d1 = layers.Concatenate()([d1, e1])
    outputs = layers.Conv2D(num_classes, 1, activation="softmax")(d1)  # per-pixel class probabilities
    model = keras.Model(inputs, outputs, name="fcn")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model
