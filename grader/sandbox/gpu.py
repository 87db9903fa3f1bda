"""Whether a job graded on a GPU really has one: the runner's report on TensorFlow and the GPU, explained.

The report comes from :func:`grader.sandbox.runner.prepare_gpu`, run inside the sandbox before
any student code (the ``gpu`` message) or in the checker itself. A GPU worker that fails it
refuses to join (:mod:`grader.gpuworker`), ``grader doctor --gpu`` prints it, and a job that was
given a GPU and fails it is an ``error`` result, never quietly graded on the CPU.

Why a GPU grades as a CPU does. GPU jobs train with TF32 off (float32 convolutions and matmuls
at full precision, as on a CPU) and op determinism on, under which Keras 3 trains without XLA.
A GPU then differs from a CPU only in the order of the floating-point sums inside cuDNN and
cuBLAS, which training turns into another, equally good network, as another random start does;
the Keras checks' bars are set on the spread over random starts (each ``checks.py`` docstring).
Under determinism TensorFlow refuses the ops it cannot run deterministically on a GPU (the "not
currently available" messages of libtensorflow_cc.so.2, 2.21). Of what the assignments' allowed
layers use, only the backprop of a frozen BatchNormalization is among them; nearest
UpSampling2D is a repeat in Keras 3, bilinear has a deterministic gradient, MaxPooling2D's
comes from cuDNN.
"""

from __future__ import annotations

import dataclasses

INSTALL = "install the gpu extra in the worker's environment (make gpu-worker)"


class GpuMissing(RuntimeError):
    """A job that must run on a GPU found none (or not set up as grading requires): the harness's failure."""


@dataclasses.dataclass(frozen=True)
class Requirement:
    """One thing grading on a GPU needs, and whether the report shows it."""

    claim: str
    ok: bool
    problem: str


def requirements(report: dict) -> list[Requirement]:
    """Every requirement, in the order an administrator would fix them."""
    nodes, wheels = report["device_nodes"], report["cuda_wheels"]
    tensorflow = report["tensorflow"] or "TensorFlow"
    cpu_only = bool(report["tensorflow"]) and not report["cuda_build"]
    return [
        Requirement(f"the NVIDIA device nodes are there ({', '.join(nodes) or 'none'})", bool(nodes),
                    "no /dev/nvidia* device nodes: is the NVIDIA driver loaded, and are the devices "
                    "passed into this container?"),
        Requirement("the NVIDIA driver library libcuda.so.1 loads", not report["driver"],
                    f"libcuda.so.1 does not load ({report['driver']}): install the NVIDIA driver"),
        Requirement("TensorFlow loads", not report["error"], f"TensorFlow does not load ({report['error']})"),
        Requirement(f"TensorFlow is built with CUDA ({tensorflow})", report["cuda_build"] or not report["tensorflow"],
                    f"TensorFlow {report['tensorflow']} is a CPU-only build (tensorflow-cpu): {INSTALL}"),
        Requirement(f"the CUDA libraries are installed (pip wheels: {', '.join(wheels) or 'none'})",
                    bool(wheels) or bool(report["gpus"]),  # a GPU found uses a system CUDA: fine too
                    "" if cpu_only else f"no CUDA library wheels (nvidia-cudnn-cu12, nvidia-cublas-cu12, ...): "
                                        f"{INSTALL}"),
        Requirement(f"TensorFlow sees a GPU ({', '.join(report['gpus']) or 'none'})", bool(report["gpus"]),
                    "TensorFlow sees no GPU"),
        Requirement("TF32 is off (float32 at full precision, as on a CPU)", not report["tf32"],
                    "TF32 is on: float32 results differ from a CPU's"),
        Requirement("op determinism is on (TF_DETERMINISTIC_OPS)", report["determinism"],
                    "op determinism is off: set TF_DETERMINISTIC_OPS=1"),
        Requirement("GPU memory growth is on (processes share the card)", report["memory_growth"],
                    "GPU memory growth is off" if report["gpus"] else ""),  # no GPU: said above
    ]


def unreported(error: str) -> dict:
    """The report of a process that could not report: nothing found, ``error`` saying why."""
    return {"device_nodes": [], "driver": "not checked", "cuda_wheels": [], "tensorflow": "", "cuda_build": False,
            "gpus": [], "tf32": True, "determinism": False, "memory_growth": False, "error": error}


def problems(report: dict) -> list[str]:
    """What is missing for grading on a GPU, each saying what to do; empty when nothing is.

    A requirement whose failure another one already explains (no wheels for a CPU-only
    TensorFlow, no memory growth without a GPU) fails in :func:`requirements` but adds no line.
    """
    return [r.problem for r in requirements(report) if not r.ok and r.problem]


def require(report: dict, where: str) -> None:
    """Raise :class:`GpuMissing` naming everything missing in ``where`` unless the report shows a usable GPU."""
    missing = problems(report)
    if missing:
        raise GpuMissing(f"{where}: {'; '.join(missing)}")
