"""An assignment as the instructor wrote it: source notebook, hidden checks, variants, config."""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import threading
from pathlib import Path

import nbformat

from grader import paths
from grader.checks.api import Check
from grader.config import AssignmentConfig
from grader.errors import UserError
from grader.i18n import SOURCE_LANGUAGE
from grader.notebook.cells import grade_id, is_graded, is_solution, points
from grader.notebook.editions import edition, languages_of
from grader.notebook.variants import Variant, read_variants

_EDITION_LOCK = threading.Lock()


class AssignmentError(UserError):
    """The assignment's own files are inconsistent (an instructor's mistake)."""


@dataclasses.dataclass(frozen=True)
class Assignment:
    """One nbgrader assignment: ``assignments/NAME/NAME.ipynb`` plus ``grading/``."""

    name: str
    root: Path

    @classmethod
    def find(cls, name: str, assignments: Path | None = None) -> "Assignment":
        """The assignment called ``name`` under ``assignments`` (default: the package's)."""
        root = (assignments or paths.assignments_root()) / name
        if not (root / f"{name}.ipynb").is_file():
            known = sorted(p.name for p in root.parent.iterdir() if (p / f"{p.name}.ipynb").is_file()) \
                if root.parent.is_dir() else []
            raise AssignmentError(f"no assignment {name!r} in {root.parent} (known: {', '.join(known) or 'none'})")
        return cls(name=name, root=root)

    @property
    def source_path(self) -> Path:
        return self.root / f"{self.name}.ipynb"

    @property
    def grading_dir(self) -> Path:
        return self.root / "grading"

    @property
    def release_root(self) -> Path:
        """``release/`` beside the assignments folder this assignment lives in (the package's, or a course's)."""
        return self.root.parent.parent / "release"

    def release_path(self, release: Path | None = None, language: str = SOURCE_LANGUAGE) -> Path:
        """The released student notebook of the ``language`` edition: ``release/LANG/NAME/NAME.ipynb``."""
        return (release or self.release_root) / language / self.name / f"{self.name}.ipynb"

    def release_files(self, release: Path | None = None) -> list[Path]:
        """The data files released beside the notebook (what the student's working directory holds).

        Every edition holds the same files; they are read from the source language's edition."""
        folder = self.release_path(release, self.languages[0]).parent
        return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix != ".ipynb") if folder.is_dir() else []

    @functools.cached_property
    def source(self) -> nbformat.NotebookNode:
        return nbformat.read(self.source_path, as_version=4)

    @functools.cached_property
    def languages(self) -> tuple[str, ...]:
        """The languages the source notebook has prose in (its editions), the source language first."""
        return languages_of(self.source)

    @functools.lru_cache(maxsize=None)
    def edition(self, language: str) -> nbformat.NotebookNode:
        """The source notebook as its ``language`` edition (see :mod:`grader.notebook.editions`).

        Built under a lock: grading threads would otherwise run ast.parse at once, which CPython 3.11's
        AST constructor does not survive (SystemError: AST constructor recursion depth mismatch)."""
        with _EDITION_LOCK:
            return edition(self.source, language)

    @functools.cached_property
    def config(self) -> AssignmentConfig:
        return AssignmentConfig.load(self.grading_dir / "config.toml")

    @functools.cached_property
    def grade_cells(self) -> dict[str, float]:
        """Points of every graded cell, by grade id, in notebook order."""
        return {grade_id(c): points(c) for c in self.source.cells if is_graded(c)}

    @functools.cached_property
    def solution_ids(self) -> list[str]:
        """Grade ids of the cells the student writes, in notebook order."""
        return [grade_id(c) for c in self.source.cells if is_solution(c)]

    @property
    def max_score(self) -> float:
        return sum(self.grade_cells.values())

    @functools.cached_property
    def checks(self) -> list[Check]:
        """The hidden checks of ``grading/checks.py``, in the order they are defined."""
        module = _load_module(f"grader_hidden_checks_{self.name}", self.grading_dir / "checks.py")
        found = [v.__grader_check__ for v in vars(module).values() if hasattr(v, "__grader_check__")]
        for item in found:
            if item.cell not in self.grade_cells:
                raise AssignmentError(f"check {item.name} scores cell {item.cell!r}, "
                                      f"which is not a graded cell of {self.source_path.name}")
        return found

    def variants(self) -> list[Variant]:
        """The known-wrong variants of ``grading/variants/``."""
        return read_variants(self.grading_dir / "variants")

    def alternatives(self) -> list[Variant]:
        """Correct solutions written differently (``grading/alternatives/``): each must score full marks."""
        return read_variants(self.grading_dir / "alternatives")


def _load_module(name: str, path: Path):
    if not path.is_file():
        raise AssignmentError(f"missing hidden checks {path}")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
