"""The package's extras resolve as the README says: `keras` for CPU machines, `gpu` for GPU workers.

Resolved by pip in a fresh virtual environment (``pip install --dry-run --report``), from the
package registry, as `make` and `make gpu-worker` install them; nothing is downloaded beyond
the metadata pip needs, so this runs on any machine, a GPU or not.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CUDA_WHEELS = {"nvidia-cudnn-cu12", "nvidia-cublas-cu12", "nvidia-cuda-runtime-cu12", "nvidia-cufft-cu12"}


@pytest.fixture(scope="module")
def fresh_pip(tmp_path_factory) -> Path:
    venv = tmp_path_factory.mktemp("fresh-venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    return venv / "bin" / "pip"


def resolved(pip: Path, extras: str, report: Path) -> dict[str, str]:
    """name -> version of everything pip would install for the project with ``extras``."""
    done = subprocess.run([str(pip), "install", "--quiet", "--dry-run", "--ignore-installed", "--report", str(report),
                           f"{ROOT}[{extras}]"], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return {re.sub(r"[-_.]+", "-", item["metadata"]["name"]).lower(): item["metadata"]["version"]
            for item in json.loads(report.read_text())["install"]}  # names normalised as PEP 503 says


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the CUDA wheels are for Linux")
def test_the_gpu_extra_brings_tensorflow_with_its_cuda_libraries(fresh_pip, tmp_path):
    found = resolved(fresh_pip, "gpu,postgres", tmp_path / "gpu.json")
    assert "tensorflow" in found and "tensorflow-cpu" not in found, "never both: they install the same files"
    assert CUDA_WHEELS <= set(found), sorted(n for n in found if n.startswith("nvidia"))
    assert "dask" in found and "nbgrader" in found


@pytest.mark.slow
def test_the_default_keras_extra_stays_on_the_cpu(fresh_pip, tmp_path):
    found = resolved(fresh_pip, "test,keras,postgres", tmp_path / "cpu.json")
    assert "tensorflow-cpu" in found and not any(name.startswith("nvidia-") for name in found)
