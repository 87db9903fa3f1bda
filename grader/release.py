"""Build the student versions ``release/LANG/NAME/`` of ``assignments/NAME/`` with nbgrader's generate_assignment.

One edition per language the source notebook has prose in (:mod:`grader.notebook.editions`):
``release/en/NAME/NAME.ipynb`` and ``release/hu/NAME/NAME.ipynb``, each with the assignment's data
files and a table of the terms it uses from ``assignments/glossary.toml`` (:mod:`grader.glossary`).
A course publishes the edition folder(s) it wants, e.g. copies ``release/hu/NAME`` to its own
``release/NAME`` for nbgrader's exchange.

nbgrader runs on a throwaway copy of the assignment folder without ``grading/``
(and with ``grading`` in ``CourseDirectory.ignore`` too) with its database
steps switched off (``nbgrader generate_assignment --no-db``; the gradebook
URL points into the throwaway folder anyway), so neither the hidden checks nor
the course's gradebook can be touched.  Cells without ids get deterministic ones, so a rebuild is
byte-identical and ``stale_files`` can compare it with the committed release.
"""

from __future__ import annotations

import ast
import filecmp
import io
import json
import logging
import re
import shutil
import tempfile
from pathlib import Path

import nbformat
from nbgrader.converters import GenerateAssignment
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config

from grader import glossary, paths
from grader.assignment import Assignment
from grader.config import AssignmentConfig
from grader.notebook.editions import edition

HIDDEN_DIR = "grading"
HIDDEN_FILES = ("checks.py", "config.toml")


class ReleaseError(RuntimeError):
    """nbgrader could not build the student version."""


class LeakError(ReleaseError):
    """The student version would reveal hidden grading material."""


def assignment_names(assignments: Path | None = None) -> list[str]:
    """Names of the assignments under ``assignments`` (folders holding ``NAME/NAME.ipynb``), sorted."""
    root = assignments or paths.assignments_root()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / f"{p.name}.ipynb").is_file())


def release(assignment: Assignment, release_root: Path | None = None) -> list[Path]:
    """Build ``release_root/LANG/NAME/`` for every edition (default root: ``release/`` beside its assignments
    folder), replacing what was there; returns the edition folders."""
    root = release_root or assignment.release_root
    folders = []
    for language in assignment.languages:
        dest = root / language / assignment.name
        with tempfile.TemporaryDirectory(prefix="grader-release-") as tmp:
            built = _build(assignment, Path(tmp), language)
            dest.parent.mkdir(parents=True, exist_ok=True)
            if dest.exists():
                shutil.rmtree(dest)
            shutil.copytree(built, dest)
        folders.append(dest)
    return folders


def stale_files(assignment: Assignment, release_root: Path | None = None) -> list[str]:
    """How the committed ``release_root/LANG/NAME/`` of every edition differ from a fresh build; empty when
    up to date. A folder of the old one-language layout (``release_root/NAME/``) counts as extra."""
    root = release_root or assignment.release_root
    problems = [f"extra: {assignment.name}/ (the layout before editions: remove it)"] \
        if (root / assignment.name / f"{assignment.name}.ipynb").is_file() else []
    for language in assignment.languages:
        committed = root / language / assignment.name
        with tempfile.TemporaryDirectory(prefix="grader-release-") as tmp:
            built = _build(assignment, Path(tmp), language)
            fresh, old = _files(built), _files(committed)
            problems += [f"missing: {language}/{name}" for name in sorted(fresh - old)]
            problems += [f"extra: {language}/{name}" for name in sorted(old - fresh)]
            problems += [f"changed: {language}/{name}" for name in sorted(fresh & old)
                         if not filecmp.cmp(built / name, committed / name, shallow=False)]
    return problems


def assert_no_leak(release_dir: Path, assignment: Assignment) -> None:
    """Raise :class:`LeakError` if ``release_dir`` holds or quotes hidden grading material.

    Refused: any path with a ``grading`` component, any ``checks.py`` or
    ``config.toml``, a notebook mentioning a function defined in
    ``grading/checks.py`` or the secret seed of ``grading/config.toml``.
    """
    problems = []
    for name in sorted(_files(release_dir)):
        parts = Path(name).parts
        if HIDDEN_DIR in parts or parts[-1] in HIDDEN_FILES:
            problems.append(f"{name} is hidden grading material")
    secrets = [rf"\b{re.escape(n)}\b" for n in _hidden_function_names(assignment)]
    seed = _secret_seed(assignment)
    if seed is not None:
        secrets.append(rf"\b{seed}\b")
    for notebook in sorted(release_dir.rglob("*.ipynb")):
        text = notebook.read_text(encoding="utf-8")
        problems += [f"{notebook.relative_to(release_dir)} contains the hidden {pattern[2:-2]!r}"
                     for pattern in secrets if re.search(pattern, text)]
    if problems:
        raise LeakError(f"refusing to release {assignment.name}: " + "; ".join(problems))


def _build(assignment: Assignment, workdir: Path, language: str) -> Path:
    """Run generate_assignment on a clean copy of the ``language`` edition in ``workdir``; returns the checked
    ``workdir/release/NAME``."""
    name = assignment.name
    source = workdir / "source" / name
    shutil.copytree(assignment.root, source, ignore=shutil.ignore_patterns(HIDDEN_DIR, ".ipynb_checkpoints",
                                                                           "__pycache__", "*.pyc"))
    for notebook in source.glob("*.ipynb"):
        _give_cells_stable_ids(notebook)
    terms = glossary.find(assignment.root.parent, paths.assignments_root())
    _write_edition(source / f"{name}.ipynb", name, language, terms)
    config = Config()
    config.CourseDirectory.root = str(workdir)
    config.CourseDirectory.assignment_id = name
    config.CourseDirectory.db_url = f"sqlite:///{workdir / 'throwaway-gradebook.db'}"
    config.GenerateAssignment.no_database = True
    config.SaveCells.enabled = False
    config.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", HIDDEN_DIR]
    config.GenerateAssignment.force = True
    log, messages = _capturing_logger(name)
    converter = GenerateAssignment(coursedir=CourseDirectory(config=config, log=log), config=config, log=log)
    try:
        converter.start()
    except Exception as error:
        raise ReleaseError(f"nbgrader generate_assignment failed for {name}: {error}\n{messages.getvalue()}") from error
    built = workdir / "release" / name
    if not (built / f"{name}.ipynb").is_file():
        raise ReleaseError(f"nbgrader wrote no {name}.ipynb for {name}:\n{messages.getvalue()}")
    assert_no_leak(built, assignment)
    return built


def _write_edition(path: Path, name: str, language: str, terms: list[glossary.Term]) -> None:
    """Replace the source notebook at ``path`` by its ``language`` edition, its ``terms`` table included."""
    notebook = nbformat.read(path, as_version=4)
    edited = edition(notebook, language, lambda lang: glossary.markdown(terms, name, lang))
    path.write_text(json.dumps(edited, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _give_cells_stable_ids(notebook: Path) -> None:
    """Give id-less cells of an nbformat >= 4.5 notebook fixed ids (nbformat would pick random ones)."""
    data = json.loads(notebook.read_text(encoding="utf-8"))
    if (data.get("nbformat"), data.get("nbformat_minor", 0)) < (4, 5):
        return
    cells = data.get("cells", [])
    used = {cell["id"] for cell in cells if "id" in cell}
    missing = [(index, cell) for index, cell in enumerate(cells) if "id" not in cell]
    for index, cell in missing:
        candidate = f"cell-{index}"
        while candidate in used:
            candidate += "x"
        cell["id"] = candidate
        used.add(candidate)
    if missing:
        notebook.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _capturing_logger(name: str) -> tuple[logging.Logger, io.StringIO]:
    """A private logger that keeps nbgrader's messages for the error report instead of printing them."""
    messages = io.StringIO()
    log = logging.getLogger(f"grader.release.nbgrader.{name}")
    log.propagate = False
    log.setLevel(logging.INFO)
    log.handlers[:] = [logging.StreamHandler(messages)]
    return log, messages


def _files(root: Path) -> set[str]:
    """Paths of the regular files under ``root``, relative, POSIX style."""
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} if root.is_dir() else set()


def _hidden_function_names(assignment: Assignment) -> set[str]:
    checks = assignment.grading_dir / "checks.py"
    if not checks.is_file():
        return set()
    tree = ast.parse(checks.read_text(encoding="utf-8"), filename=str(checks))
    return {node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}


def _secret_seed(assignment: Assignment) -> int | None:
    """The seed of ``grading/config.toml`` when it sets one other than the (public) default."""
    if not (assignment.grading_dir / "config.toml").is_file():
        return None
    seed = assignment.config.seed
    return None if seed == AssignmentConfig().seed else seed
