"""The students' self-check: its own wheel holds nothing students may not have, and works alone.

The wheel is installed into a fresh venv (nothing else in it but its dependencies) and run, as a
student runs it, from a folder holding only release/conv2d/ and the student's notebook, with
bubblewrap and with bubblewrap hidden from PATH.

Dependencies come from a local wheelhouse (``$SELFCHECK_WHEELHOUSE``, default
``~/.cache/cnn-grader/selfcheck-wheels``), filled from PyPI by ``pip download`` the first time;
without it and without a network, the venv tests are skipped. The venv takes 5-20 s to make
(20 s on a loaded 2-core machine), each run of the tool about a second.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import nbformat
import pytest

from grader import selfcheck
from grader.assignment import Assignment
from grader.notebook.cells import SOLUTION_REGION
from grader.notebook.variants import Variant
from grader.sampleclass import release_notebook, submission
from tests.test_validate import FLIPPED

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = Assignment.find("conv2d")
WHEELHOUSE = Path(os.environ.get("SELFCHECK_WHEELHOUSE", Path.home() / ".cache" / "cnn-grader" / "selfcheck-wheels"))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    return selfcheck.build(tmp_path_factory.mktemp("selfcheck-wheel"))


# ----------------------------------------------------------------------------- what students install

def secrets() -> dict[str, str]:
    """Text that must never reach a student, and where it comes from."""
    found = {}
    for config in ROOT.glob("assignments/*/grading/config.toml"):
        found[str(tomllib.loads(config.read_text())["seed"])] = f"the hidden seed of {config}"
    for source in ROOT.glob("assignments/*/*.ipynb"):
        for cell in nbformat.read(source, as_version=4).cells:
            for region in SOLUTION_REGION.findall(cell.source):
                for line in region.splitlines():
                    if len(line.strip()) >= 40 and not line.strip().startswith("#"):   # distinctive code lines
                        found[line.strip()] = f"a solution line of {source.name}"
    for module in ROOT.glob("reference/*.py"):
        for line in module.read_text().splitlines():
            if len(line.strip()) >= 50 and not line.strip().startswith(("#", '"""')):
                found[line.strip()] = f"a line of {module.relative_to(ROOT)}"
    return found


def test_the_wheel_holds_nothing_students_may_not_have(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    info = f"cnn_grader_selfcheck-{selfcheck.version()}.dist-info/"
    meta = [n for n in names if n.startswith(info)]
    code = [n for n in names if not n.startswith(info)]
    assert sorted(meta) == [info + n for n in ("METADATA", "RECORD", "WHEEL", "entry_points.txt", "top_level.txt")]
    assert "grader/locale/hu/LC_MESSAGES/grader.mo" in code  # validate speaks Hungarian too
    for name in code:
        assert name.startswith("grader/") and (name.endswith(".py") or name.endswith("LC_MESSAGES/grader.mo")), name
        assert not re.search(r"(^|/)(reference|assignments|grading|release|variants|alternatives|checks)(/|$)", name)
        assert not name.endswith((".ipynb", ".npz", ".npy", ".keras", ".toml")), name
    # only what validate runs on: no grading, checks, gradebook, feedback or release code
    assert {"grader/grade.py", "grader/feedback.py", "grader/gate.py", "grader/release.py", "grader/assignment.py",
            "grader/sampleclass.py", "grader/cli.py"}.isdisjoint(code)
    assert {"grader/validate.py", "grader/commands/validate.py", "grader/sandbox/runner.py",
            "grader/sandbox/process.py", "grader/sandbox/bwrap.py"} <= set(code)
    # the same bytes as the checkout's modules: reused, not forked
    archive = zipfile.ZipFile(wheel)
    for name in code:
        assert archive.read(name) == (ROOT / name).read_bytes(), name
    leaks = {why for text, why in secrets().items() for name in code
             if text in archive.read(name).decode(errors="replace")}
    assert not leaks, leaks


def test_the_wheel_holds_no_hidden_check_text_in_any_language(wheel):
    """The hidden checks' titles and messages live in the checks catalog, which students never get."""
    from grader import catalogs, i18n

    hidden = catalogs.template([(path, method) for path, method in catalogs.checks_sources() if method == "checks"])
    texts = {m.id for m in hidden if isinstance(m.id, str) and len(m.id) > 25}
    texts |= {i18n.translations("hu").gettext(text) for text in texts}
    archive = zipfile.ZipFile(wheel)
    blob = "\n".join(archive.read(n).decode(errors="replace") for n in archive.namelist())
    assert texts and not [text for text in texts if text in blob]


def test_the_wheel_declares_its_command_and_dependencies(wheel):
    archive = zipfile.ZipFile(wheel)
    info = f"cnn_grader_selfcheck-{selfcheck.version()}.dist-info/"
    assert archive.read(info + "entry_points.txt").decode() == (
        "[console_scripts]\ngrader = grader.commands.validate:student_main\n")
    metadata = archive.read(info + "METADATA").decode()
    assert "Name: cnn-grader-selfcheck" in metadata and "Requires-Python: >=3.11" in metadata
    requires = re.findall(r"^Requires-Dist: (\S+)", metadata, re.M)
    assert requires == ["numpy>=2.0", "nbformat>=5.9", "psutil>=5.9", "Babel>=2.12", "pyseccomp>=0.1.2;"]
    assert "nbgrader" not in metadata and "tensorflow" not in metadata


def test_the_build_is_reproducible(wheel, tmp_path):
    assert selfcheck.build(tmp_path).read_bytes() == wheel.read_bytes()


def test_the_build_refuses_a_module_list_that_is_not_closed(monkeypatch, tmp_path):
    monkeypatch.setattr(selfcheck, "MODULES", tuple(m for m in selfcheck.MODULES if m != "grader/untrusted.py"))
    with pytest.raises(selfcheck.BuildError, match=r"imports grader.untrusted, which the self-check does not hold"):
        selfcheck.build(tmp_path)
    monkeypatch.setattr(selfcheck, "MODULES", (*selfcheck.MODULES, "reference/conv2d.py"))
    with pytest.raises(selfcheck.BuildError, match="only modules of the grader package"):
        selfcheck.build(tmp_path)


# ----------------------------------------------------------------------------- a student's machine

def _pip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def student_venv(wheel, tmp_path_factory) -> Path:
    """A fresh venv holding the self-check and its dependencies, nothing else (not even pip)."""
    venv = tmp_path_factory.mktemp("student") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    install = ["--python", str(python), "install", "--quiet", "--no-compile", "--no-index",
               "--find-links", str(WHEELHOUSE), str(wheel)]
    if _pip(*install).returncode != 0:   # first run (or new dependencies): fill the wheelhouse once
        WHEELHOUSE.mkdir(parents=True, exist_ok=True)
        download = _pip("download", "--quiet", "--dest", str(WHEELHOUSE), str(wheel))
        for stale in WHEELHOUSE.glob("cnn_grader_selfcheck-*"):
            stale.unlink()
        if download.returncode != 0:
            pytest.skip(f"no wheels for the self-check's dependencies (no network?): {download.stderr[-300:]}")
        done = _pip(*install)
        assert done.returncode == 0, done.stderr
    listed = subprocess.run([str(python), "-I", "-c", "import importlib.metadata as m; "
                             "print(sorted(d.metadata['Name'].lower() for d in m.distributions()))"],
                            capture_output=True, text=True, check=True).stdout
    assert "cnn-grader-selfcheck" in listed and "cnn-grader'" not in listed and "nbgrader" not in listed, listed
    return venv


@pytest.fixture
def folder(tmp_path) -> Path:
    """What a student has: release/conv2d/ as released, and their notebooks beside it."""
    shutil.copytree(ASSIGNMENT.release_path().parent, tmp_path / "release" / "conv2d")
    notebooks = {"conv2d.ipynb": submission(ASSIGNMENT, None), "stub.ipynb": release_notebook(ASSIGNMENT),
                 "wrong.ipynb": submission(ASSIGNMENT, Variant("flipped", "", (), "", {"correlate2d_impl": FLIPPED})),
                 "HW1_Toth_Daniel_final.ipynb": submission(ASSIGNMENT, None)}
    for name, notebook in notebooks.items():
        nbformat.write(notebook, tmp_path / name)
    return tmp_path


def student_run(venv: Path, folder: Path, *args: str, sandbox: bool) -> subprocess.CompletedProcess:
    """``grader ARGS`` as the student runs it; without ``sandbox``, bubblewrap is not on PATH."""
    path = f"{venv / 'bin'}:{os.environ['PATH']}" if sandbox else str(venv / "bin")
    env = {"PATH": path, "HOME": str(folder), "LANG": "C.UTF-8"}
    return subprocess.run([str(venv / "bin" / "grader"), *args], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=300)


def sandbox_param():
    from grader.sandbox.bwrap import SandboxUnavailable, probe

    try:
        probe()
        works = True
    except SandboxUnavailable:
        works = False
    return [pytest.param(True, id="bubblewrap", marks=pytest.mark.skipif(not works, reason="no working bubblewrap")),
            pytest.param(False, id="no-bubblewrap")]


@pytest.mark.slow
@pytest.mark.parametrize("sandbox", sandbox_param())
def test_the_installed_self_check_works_from_the_release_alone(student_venv, folder, sandbox):
    assert not (folder / "assignments").exists() and not (folder / "reference").exists()
    note = "WITHOUT the grader's sandbox"

    solution = student_run(student_venv, folder, "validate", "conv2d.ipynb", sandbox=sandbox)
    assert solution.returncode == 0, solution.stdout + solution.stderr
    assert "all visible tests pass" in solution.stdout
    assert (note in solution.stdout) is not sandbox
    if not sandbox:
        assert solution.stdout.startswith("note: bubblewrap is not installed"), solution.stdout

    stub = student_run(student_venv, folder, "validate", "stub.ipynb", "--assignment", "conv2d", sandbox=sandbox)
    assert stub.returncode == 1
    assert re.search(r"visible test\s+correlate2d_tests\s+not implemented yet", stub.stdout), stub.stdout
    assert re.search(r"visible test\s+conv2d_tests\s+not implemented yet", stub.stdout), stub.stdout

    wrong = student_run(student_venv, folder, "validate", "wrong.ipynb", "--assignment", "conv2d", sandbox=sandbox)
    assert wrong.returncode == 1
    assert "correlate2d_tests         AssertionError (cell correlate2d_tests, line 6):" in wrong.stdout
    assert "Mismatched elements: 4 / 4 (100%)" in wrong.stdout, wrong.stdout
    assert "Max absolute difference among violations: 31." in wrong.stdout

    renamed = student_run(student_venv, folder, "validate", "HW1_Toth_Daniel_final.ipynb", sandbox=sandbox)
    assert renamed.returncode == 2
    assert "Known: conv2d;" in renamed.stderr   # this folder's release only: nothing of the checkout
    assert "--assignment conv2d" in renamed.stderr


@pytest.mark.slow
def test_the_installed_self_check_has_no_grading_code(student_venv, folder):
    python = str(student_venv / "bin" / "python")
    for module in ("reference", "grader.grade", "grader.checks", "grader.assignment", "nbgrader"):
        done = subprocess.run([python, "-I", "-c", f"import {module}"], cwd=folder, capture_output=True, text=True)
        assert "ModuleNotFoundError" in done.stderr, (module, done.stderr)
    version = student_run(student_venv, folder, "--version", sandbox=False)
    assert version.stdout.strip() == f"grader (self-check) {selfcheck.version()}"
    help_text = student_run(student_venv, folder, "--help", sandbox=False).stdout
    assert "validate" in help_text and "autograde" not in help_text
