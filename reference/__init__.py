"""Trusted reference implementations the hidden checks compare student answers with.

Everything here is plain numpy, float64, and never modifies its inputs.
"""

from reference.conv import conv2d, correlate2d
from reference.padding import output_size, zero_pad
from reference.pooling import avg_pool2d, max_pool2d

__all__ = ["conv2d", "correlate2d", "output_size", "zero_pad", "max_pool2d", "avg_pool2d"]

# The lecture's LeNet-5 (Keras is imported inside these functions, so this stays fast).
from reference.lenet import build_feature_model, build_lenet, expected_output_shapes  # noqa: E402

__all__ += ["build_lenet", "build_feature_model", "expected_output_shapes"]

# Image segmentation: mean IoU (numpy) and the reference FCN (Keras imported inside build_fcn).
from reference.fcn import build_fcn, mean_iou  # noqa: E402

__all__ += ["mean_iou", "build_fcn"]

# Transfer learning: the reference transfer model and the hidden 5-vs-8 target set (Keras imported inside).
from reference.transfer import (  # noqa: E402
    binary_accuracy,
    build_scratch_model,
    build_transfer_model,
    target_holdout,
)

__all__ += ["build_transfer_model", "build_scratch_model", "binary_accuracy", "target_holdout"]
