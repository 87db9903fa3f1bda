"""The trusted grading harness of the CNN course (see DESIGN.md: orchestrator, checker, sandbox)."""

import os
import sys

# jsonschema (imported by nbformat) tries the optional rfc3987_syntax package, which builds a
# grammar at import time: 2.8 s in every process that reads a notebook. Notebooks use no IRI
# formats, so mark it absent; jsonschema then skips that format check.
sys.modules.setdefault("rfc3987_syntax", None)

# The checker evaluates students' Keras models: on GPU workers without TF32 and with
# deterministic kernels, like the sandbox (set before TensorFlow is imported).
os.environ.setdefault("NVIDIA_TF32_OVERRIDE", "0")
os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
