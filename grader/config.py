"""Typed configuration of an assignment and of the sandbox it is graded in.

Each assignment may override these defaults in ``assignments/NAME/grading/config.toml``
(never released to students).  Every key has a description and a default;
``grader config-help`` is not needed: read the ``help`` of each field here.
"""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path


def setting(default, help: str):
    """A dataclass field with a default and its ``help`` (a list or dict default is copied for every instance)."""
    if isinstance(default, (list, dict)):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata={"help": help})
    return dataclasses.field(default=default, metadata={"help": help})


@dataclasses.dataclass(frozen=True)
class SandboxLimits:
    """Resource limits for one student process (the notebook program and its calls)."""

    memory_mb: int = setting(2048, "memory cap of the student process tree (cgroup, else RSS watchdog)")
    cpu_seconds: int = setting(300, "CPU time the student process may use in all (RLIMIT_CPU)")
    program_timeout_s: float = setting(60.0, "wall time to execute the rebuilt notebook program")
    test_cell_timeout_s: float = setting(10.0, "wall time of one visible test cell; a slower one is interrupted")
    check_timeout_s: float = setting(30.0, "wall time of one call into the student process, unless a check sets it")
    max_processes: int = setting(512, "processes and threads in the sandbox (cgroup pids controller, else "
                                     "RLIMIT_NPROC)")
    max_file_mb: int = setting(64, "largest file the student process may write, output log included")
    max_disk_mb: int = setting(256, "all files the student process may write in its scratch dir, and the size of its "
                                   "/tmp (a tmpfs)")
    max_files: int = setting(20000, "files and folders the student process may create in its scratch dir")
    shm_mb: int = setting(64, "size of the sandbox's /dev/shm (a tmpfs; /dev itself is read-only)")
    submission_timeout_s: float = setting(600.0, "wall time for one submission: the program and every check")
    max_open_files: int = setting(256, "open file descriptors (RLIMIT_NOFILE)")
    restarts: int = setting(2, "how often a crashed or timed-out student process is restarted")


@dataclasses.dataclass(frozen=True)
class AssignmentConfig:
    """How one assignment is graded."""

    seed: int = setting(0, "seed of the hidden inputs; set a secret one in grading/config.toml")
    forbidden_modules: list = setting(
        ["tensorflow", "keras", "scipy", "torch", "jax", "jaxlib", "cv2", "sklearn"],
        "modules the student code may not import (hidden inside the sandbox)",
    )
    needs_gpu: bool = setting(False, "grade on a GPU worker when the cluster has one")
    allowed_layers: list = setting(
        ["InputLayer", "Conv2D", "Conv2DTranspose", "Dense", "Flatten", "Reshape", "AveragePooling2D",
         "MaxPooling2D", "GlobalAveragePooling2D", "GlobalMaxPooling2D", "UpSampling2D", "ZeroPadding2D",
         "Cropping2D", "Activation", "ReLU", "Softmax", "Dropout", "BatchNormalization", "Concatenate", "Add",
         "Rescaling"],
        "Keras layer classes a student's model may contain (models cross the sandbox as .keras files)",
    )
    max_model_params: int = setting(
        2_000_000, "most parameters a student's Keras model may have; a confined process loads the model and "
                   "counts them before the checker builds it")
    checker_preload: list = setting(
        [], "modules the checker imports in the background while the student program runs, so that a "
            "slow import (['keras'] takes seconds) overlaps the student's time instead of adding to it",
    )
    limits: SandboxLimits = dataclasses.field(default_factory=SandboxLimits,
                                              metadata={"help": "sandbox limits, the [limits] table"})

    @classmethod
    def load(cls, path: Path) -> "AssignmentConfig":
        """Read ``path`` (TOML) if it exists, rejecting unknown keys by name."""
        if not path.exists():
            return cls()
        data = tomllib.loads(path.read_text())
        limits = from_table(SandboxLimits, data.pop("limits", {}), f"{path} [limits]")
        return from_table(cls, {**data, "limits": limits}, str(path))


def from_table(kind, data: dict, where: str):
    """``kind(**data)``, refusing unknown keys by name (``where`` names the file and table)."""
    known = {f.name for f in dataclasses.fields(kind)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return kind(**data)
