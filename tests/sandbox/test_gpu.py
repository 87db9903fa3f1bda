"""What a job graded on a GPU needs, read from the runner's report: every requirement, and what to do."""

import pytest

from grader.sandbox import gpu

READY = {"device_nodes": ["nvidia0", "nvidia-uvm", "nvidiactl"], "driver": "", "tensorflow": "2.21.0",
         "cuda_wheels": ["cuda_runtime", "cublas", "cudnn"], "cuda_build": True, "gpus": ["NVIDIA H200"],
         "tf32": False, "determinism": True, "memory_growth": True, "error": ""}
# What this kind of machine reports: no driver, tensorflow-cpu.
CPU_MACHINE = {**READY, "device_nodes": [], "driver": "libcuda.so.1: cannot open shared object file",
               "cuda_wheels": [], "cuda_build": False, "gpus": [], "memory_growth": False}


def test_a_ready_gpu_meets_every_requirement():
    assert all(r.ok for r in gpu.requirements(READY))
    assert gpu.problems(READY) == []
    gpu.require(READY, "here")


def test_a_cpu_machine_is_told_what_is_missing_and_what_to_do():
    problems = gpu.problems(CPU_MACHINE)
    assert problems == [
        "no /dev/nvidia* device nodes: is the NVIDIA driver loaded, and are the devices passed into this container?",
        "libcuda.so.1 does not load (libcuda.so.1: cannot open shared object file): install the NVIDIA driver",
        "TensorFlow 2.21.0 is a CPU-only build (tensorflow-cpu): install the gpu extra in the worker's environment "
        "(make gpu-worker)",
        "TensorFlow sees no GPU",
    ]
    with pytest.raises(gpu.GpuMissing, match="^the worker: no /dev/nvidia"):
        gpu.require(CPU_MACHINE, "the worker")
    failed = [r.claim for r in gpu.requirements(CPU_MACHINE) if not r.ok]
    assert "GPU memory growth is on (processes share the card)" in failed, "doctor shows it, problems() does not"


@pytest.mark.parametrize("change, problem", [
    ({"cuda_wheels": [], "gpus": []}, "no CUDA library wheels (nvidia-cudnn-cu12, nvidia-cublas-cu12, ...): "
                                      "install the gpu extra in the worker's environment (make gpu-worker)"),
    ({"tf32": True}, "TF32 is on: float32 results differ from a CPU's"),
    ({"determinism": False}, "op determinism is off: set TF_DETERMINISTIC_OPS=1"),
    ({"memory_growth": False}, "GPU memory growth is off"),
    ({"error": "ImportError: libcudnn.so.9", "tensorflow": ""},
     "TensorFlow does not load (ImportError: libcudnn.so.9)"),
])
def test_each_missing_piece_is_named(change, problem):
    assert problem in gpu.problems({**READY, **change})


def test_a_gpu_found_through_a_system_cuda_needs_no_wheels():
    assert gpu.problems({**READY, "cuda_wheels": []}) == []


def test_a_process_that_could_not_report_fails_every_requirement_it_could_not_show():
    report = gpu.unreported("the student process did not start: killed")
    assert not any(r.ok for r in gpu.requirements(report) if "TensorFlow sees" in r.claim)
    assert "TensorFlow does not load (the student process did not start: killed)" in gpu.problems(report)
