"""benchmarks/bench_gpu.py, the parts that need no GPU and no training: moving a notebook's seeds in a copy of
its assignment, the projection's arithmetic, the nvidia-smi memory poller, and the verdict on a job's devices."""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

import nbformat
import pytest

from grader.assignment import Assignment
from grader.notebook.rebuild import rebuild
from grader.sampleclass import submission

PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_gpu.py"
spec = importlib.util.spec_from_file_location("bench_gpu", PATH)
bench = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = bench  # its dataclass looks its module up
spec.loader.exec_module(bench)


# ----------------------------------------------------------------------------- seeds moved in a copy

def test_only_keras_seed_calls_move():
    source = ("keras.utils.set_random_seed(0)\nkeras.utils.set_random_seed(12)  # twelve\n"
              "tf.random.set_seed(1)\nrandom_lenet('Sequential', seed=3)\nnp.random.default_rng(4)\n")
    moved, count = bench.shift_seeds(source, 5)
    assert count == 2
    assert moved == ("keras.utils.set_random_seed(5)\nkeras.utils.set_random_seed(17)  # twelve\n"
                     "tf.random.set_seed(1)\nrandom_lenet('Sequential', seed=3)\nnp.random.default_rng(4)\n")


def test_the_copy_is_graded_with_moved_seeds_and_the_package_is_untouched(tmp_path):
    package = Assignment.find("transfer")
    before = package.source_path.read_bytes()
    root = bench.shifted_assignment(package, 10, tmp_path)
    copy = Assignment.find("transfer", root)
    assert copy.root == tmp_path / "assignments" / "transfer" and (copy.grading_dir / "checks.py").is_file()
    assert (copy.root / "pretrained.keras").is_file()  # the checks read it beside their folder
    assert copy.release_path() == tmp_path / "release" / "en" / "transfer" / "transfer.ipynb"
    assert [p.name for p in copy.release_files()] == [p.name for p in package.release_files()]
    assert package.source_path.read_bytes() == before
    # The grader takes locked cells from the source: the copy's program trains from the moved seeds.
    program = "\n".join(cell["source"] for cell in rebuild(copy.source, submission(copy, None)))
    assert [f"set_random_seed({k})" in program for k in (10, 11, 12, 13)] == [True] * 4
    assert "set_random_seed(0)" not in program and "set_random_seed(1)" not in program
    assert nbformat.validate(copy.source) is None


def test_a_notebook_without_keras_seeds_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no keras.utils.set_random_seed"):
        bench.shifted_assignment(Assignment.find("conv2d"), 1, tmp_path)


# ----------------------------------------------------------------------------- the projection

def test_the_projection_reproduces_benchmarks_md_from_its_own_figures():
    """BENCHMARKS.md's table: lenet 35 s, transfer 15 s, fcn 75 s per job, numpy 2.6 s, 0.2 s per result."""
    found = bench.projection({"lenet": 35, "transfer": 15, "fcn": 75})
    assert found["jobs"] == 1800 and found["longest"] == "fcn"
    assert (found["keras_total_s"], found["numpy_total_s"]) == (37_500, pytest.approx(2_340))
    first, last = found["rows"][0], found["rows"][-1]
    assert (first["keras_batch_s"], first["numpy_batch_s"], first["all_s"]) == (22_500, pytest.approx(780),
                                                                                pytest.approx(39_840))
    assert last["workers"] == 16 and last["numpy_floor"] and last["numpy_batch_s"] == pytest.approx(60)
    assert not last["keras_floor"] and last["all_s"] == pytest.approx(39_840 / 16)
    text = bench.projection_text(found, "GPU workers")
    assert "| 1 | 6.3 h | 13 min | 11.1 h |" in text
    assert "| 2 | 3.1 h | 6.5 min | 5.5 h |" in text
    assert "| 4 | 94 min | 3.3 min | 2.8 h |" in text
    assert "| 16 | 23 min | 1.0 min (orchestrator floor) | 42 min |" in text
    assert "300 × (35.0 + 15.0 + 75.0) s + 900 × 2.6 s = 37,500 s + 2,340 s ≈ 11.1 h" in text


def test_fast_jobs_on_many_workers_hit_the_orchestrator_floor_everywhere():
    found = bench.projection({"lenet": 1.0, "transfer": 1.0, "fcn": 1.0}, numpy_s=0.5, workers=(64,))
    row = found["rows"][0]
    assert row["keras_floor"] and row["numpy_floor"] and row["all_floor"]
    assert row["all_s"] == pytest.approx(1800 * 0.2)


@pytest.mark.parametrize(("seconds", "text"), [(48.75, "49 s"), (97.5, "1.6 min"), (5625, "94 min"),
                                                (22_500, "6.3 h")])
def test_durations_read_as_in_benchmarks_md(seconds, text):
    assert bench.duration(seconds) == text


# ----------------------------------------------------------------------------- the GPU memory poller

@pytest.mark.parametrize(("text", "mib"), [("1234\n", 1234.0), ("100\n200\n", 300.0), ("512 MiB\n", 512.0),
                                           ("[N/A]\n", None), ("", None), ("No devices were found\n", None)])
def test_nvidia_smi_memory_lines_are_read(text, mib):
    assert bench.parse_memory_used(text) == mib


def fake_nvidia_smi(tmp_path, readings: list[int]) -> list[str]:
    """A command that prints the next of ``readings`` each time it runs (the last one for ever after)."""
    counter = tmp_path / "count"
    counter.write_text("0")
    script = (f"import pathlib; p = pathlib.Path({str(counter)!r}); n = int(p.read_text()); "
              f"p.write_text(str(n + 1)); print({readings!r}[min(n, {len(readings) - 1})])")
    return [sys.executable, "-c", script]


def test_the_poller_reports_the_peak_above_the_level_before_the_job(tmp_path):
    with bench.GpuMemoryPoller(fake_nvidia_smi(tmp_path, [1000, 1500, 4096, 1200]), interval=0.01) as poller:
        deadline = time.monotonic() + 20
        while poller.samples < 5 and time.monotonic() < deadline:
            time.sleep(0.02)
    assert poller.baseline == 1000 and poller.samples >= 5
    assert poller.peak_mb == 3096


def test_a_poller_without_nvidia_smi_reports_nothing(tmp_path):
    for command in (["false"], [str(tmp_path / "no-such-nvidia-smi")], [sys.executable, "-c", "print('[N/A]')"]):
        with bench.GpuMemoryPoller(command, interval=0.01) as poller:
            time.sleep(0.05)
        assert poller.peak_mb is None and poller.samples == 0


# ----------------------------------------------------------------------------- the verdict on a job


def job(device: str, student: str = "solution") -> bench.Job:
    return bench.Job("timing", "lenet", device, student, "n.ipynb", "root")


def graded(seen: dict | None, score: float = 10.0) -> dict:
    result = {"status": "graded", "reason": "", "score": score, "max_score": 10.0, "checks": [],
              "visible_tests": [{"cell": "train_tests", "passed": True}], "sandbox": {}}
    if seen is not None:
        result["sandbox"]["gpu"] = seen
    return result


def test_a_job_must_have_run_where_it_was_sent():
    gpu = "/physical_device:GPU:0"
    assert bench.judge(job("gpu"), graded({"required": True, "student": [gpu], "checker": [gpu]})) == []
    assert bench.judge(job("cpu"), graded({"required": False, "student": [], "checker": []})) == []
    [problem] = bench.judge(job("gpu"), graded({"required": True, "student": [], "checker": [gpu]}))
    assert problem.startswith("a GPU job whose processes did not all see the GPU")
    [problem] = bench.judge(job("cpu"), graded({"required": False, "student": [gpu], "checker": []}))
    assert problem.startswith("a CPU job that saw a GPU")
    assert bench.judge(job("cpu"), graded(None)) == ["the result does not say which devices its processes saw "
                                                     "(sandbox.gpu)"]


def test_a_solution_below_full_marks_or_an_error_is_a_problem():
    seen = {"required": False, "student": [], "checker": []}
    [problem] = bench.judge(job("cpu"), graded(seen, score=8.0))
    assert problem.startswith("expected full marks")
    error = {**graded(seen), "status": "error", "reason": "TensorFlow sees no GPU"}
    assert bench.judge(job("gpu"), error) == ["error: TensorFlow sees no GPU"]


@pytest.mark.parametrize(("info", "reason"), [
    ({"nvidia_smi": "nvidia-smi is not installed (or did not answer)", "gpus": [], "tensorflow": {}},
     "nvidia-smi is not installed"),
    ({"nvidia_smi": "ok", "gpus": [], "tensorflow": {}}, "nvidia-smi lists no GPU"),
    ({"nvidia_smi": "ok", "gpus": ["NVIDIA H200, 570.1, 143771 MiB"],
      "tensorflow": {"tensorflow": "2.21.0", "cuda_build": False, "gpus": []}}, "CPU-only build"),
    ({"nvidia_smi": "ok", "gpus": ["NVIDIA H200, 570.1, 143771 MiB"],
      "tensorflow": {"tensorflow": "2.21.0", "cuda_build": True, "gpus": ["/physical_device:GPU:0"]}}, ""),
])
def test_why_there_is_no_gpu_is_said(info, reason):
    found = bench.why_no_gpu(info)
    assert (reason in found) if reason else found == ""
