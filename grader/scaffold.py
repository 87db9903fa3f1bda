"""``grader new NAME``: a new assignment that passes ``grader release`` and ``grader gate`` as generated.

It writes, under the project root (``grader.paths.project_root()``):

- ``assignments/NAME/NAME.ipynb``: nbgrader source with an intro, a locked
  imports cell, one solution cell ``NAME_impl`` (``def solve(x)`` returning
  ``2 * x`` as a placeholder) and one graded test cell ``NAME_tests``;
- ``assignments/NAME/grading/checks.py``: one hidden check on ``NAME_tests``
  worth the cell's points, comparing with the reference;
- ``assignments/NAME/grading/config.toml``: a fresh secret seed (``secrets``);
- ``assignments/NAME/grading/variants/wrong.py``: one known-wrong variant;
- ``reference/NAME.py``: the trusted ``solve`` the check compares with.

The hidden checks load ``reference/NAME.py`` by its path relative to
``checks.py`` (``assignments/NAME/grading/checks.py`` -> ``reference/NAME.py``
of the same project), so a project root given by ``$GRADER_HOME`` works even
when the importable ``reference`` package is another checkout's.
"""

from __future__ import annotations

import keyword
import re
import secrets
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader import paths
from grader.errors import UserError

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
POINTS = 2
FUNCTION = "solve"


def check_name(name: str, root: Path, folder: str = "assignments") -> None:
    """Raise UserError for a name that is not a usable identifier, FileExistsError if it is taken."""
    if not NAME_PATTERN.match(name) or keyword.iskeyword(name):
        raise UserError(f"assignment name {name!r} must be a lower-case Python identifier "
                         "(letters, digits, underscores; at most 40 characters), e.g. attention")
    taken = [p for p in (root / folder / name, root / "release" / name, *(root / "release").glob(f"*/{name}"),
                         root / "reference" / f"{name}.py", root / "reference" / name) if p.exists()]
    if taken:
        raise FileExistsError(f"refusing to overwrite: {', '.join(str(p) for p in taken)} already exist(s); "
                              "pick another name or remove it first")


def new_assignment(name: str, root: Path | None = None, assignments: str = "assignments") -> list[Path]:
    """Write the scaffold of ``name`` into ``root/assignments`` and ``root/reference`` (default root: the
    project root); returns the files written."""
    root = Path(root or paths.project_root())
    check_name(name, root, assignments)
    folder = root / assignments / name
    files = {
        folder / f"{name}.ipynb": None,
        folder / "grading" / "checks.py": checks_py(name),
        folder / "grading" / "config.toml": config_toml(name, secret_seed()),
        folder / "grading" / "variants" / "wrong.py": wrong_variant(name),
        root / "reference" / f"{name}.py": reference_py(name),
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if text is None:
            nbformat.write(source_notebook(name), path)
        else:
            path.write_text(text, encoding="utf-8")
    return list(files)


def secret_seed() -> int:
    """A fresh random 9-digit seed for the hidden inputs."""
    return 100_000_000 + secrets.randbelow(900_000_000)


def _meta(grade_id: str, *, solution: bool = False, grade: bool = False, locked: bool = False,
          points: float | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def source_notebook(name: str) -> nbformat.NotebookNode:
    """The nbgrader source notebook of the scaffold."""
    intro = (f"# {name}\n\n"
             "*Replace this introduction: what the students implement, the lecture's notation and a worked "
             "example.*\n\n"
             f"Implement `{FUNCTION}(x)` in the cell below. It takes a numpy array `x` and returns a new "
             "float64 array of the same shape holding every element of `x` doubled.")
    impl = (f"def {FUNCTION}(x):\n"
            '    """Every element of x doubled.\n\n'
            "    Args:\n"
            "        x: numpy array of any shape.\n\n"
            "    Returns:\n"
            "        float64 array of the same shape as x, equal to 2 * x.\n"
            '    """\n'
            "    ### BEGIN SOLUTION\n"
            "    return 2 * np.asarray(x, dtype=np.float64)\n"
            "    ### END SOLUTION\n")
    tests = ("# Visible tests: students see and run these; the hidden checks test more.\n"
             f"np.testing.assert_allclose({FUNCTION}(np.array([1.0, -2.5, 0.0])), [2.0, -5.0, 0.0])\n"
             f"assert np.shape({FUNCTION}(np.zeros((2, 3)))) == (2, 3)\n"
             'print("visible tests passed")\n')
    submit = ("## Before you submit\n\n"
              "Restart the kernel and run all cells: the test cell should print \"visible tests passed\". "
              "Then run\n\n"
              f"```\ngrader validate {name}.ipynb\n```\n\n"
              "in a terminal. It executes your notebook the way the grader does and reports the visible tests.")
    cells = [
        new_markdown_cell(intro, id="intro"),
        new_code_cell("import numpy as np", id="imports", metadata=_meta("imports", locked=True)),
        new_code_cell(impl, id=f"{name}-impl", metadata=_meta(f"{name}_impl", solution=True)),
        new_code_cell(tests, id=f"{name}-tests",
                      metadata=_meta(f"{name}_tests", grade=True, locked=True, points=POINTS)),
        new_markdown_cell(submit, id="submit"),
    ]
    notebook = new_notebook(cells=cells)
    notebook.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                         "language_info": {"name": "python"}}
    return notebook


def checks_py(name: str) -> str:
    """The hidden checks: one check worth the test cell's points, comparing with ``reference/NAME.py``."""
    return f'''"""Hidden checks of the {name} assignment (never released).

Scaffolded by `grader new {name}`: replace the placeholder check with your own.
Every check scores part of a graded cell (`cell=`); the points of a cell's checks
must add up to the cell's points in {name}.ipynb (`grader gate {name}` verifies it).
Inputs come from `rng` (the secret seed of config.toml), so students cannot
hard-code answers; messages name shapes, never hidden inputs or expected values.
"""

import importlib.util
from pathlib import Path

from grader.checks import check, expect_close


def _load_reference():
    """reference/{name}.py of the project that holds this assignment (the trusted implementation)."""
    path = Path(__file__).resolve().parents[3] / "reference" / "{name}.py"
    if not path.is_file():
        raise FileNotFoundError(f"the reference implementation {{path}} is missing")
    spec = importlib.util.spec_from_file_location("reference.{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


reference = _load_reference()


@check(cell="{name}_tests", points={POINTS})
def {FUNCTION}_matches_reference(student, rng):
    """{FUNCTION} matches the reference on random arrays of several shapes."""
    for shape in [(int(rng.integers(1, 8)),), (int(rng.integers(2, 5)), int(rng.integers(2, 5)))]:
        x = rng.normal(size=shape)
        expect_close(student.call("{FUNCTION}", x), reference.{FUNCTION}(x),
                     what=f"the result for an input of shape {{shape}}")
'''


def config_toml(name: str, seed: int) -> str:
    return (f"# Hidden grading settings of the {name} assignment (never released).\n"
            f"seed = {seed}\n\n"
            "[limits]\n"
            "program_timeout_s = 30\n"
            "check_timeout_s = 10\n")


def wrong_variant(name: str) -> str:
    return ("# variant: returns x unchanged instead of doubled (a placeholder: replace it with a mistake "
            "students really make)\n"
            f"# targets: {FUNCTION}_matches_reference\n"
            f"# %% {name}_impl\n"
            f"def {FUNCTION}(x):\n"
            "    return np.asarray(x, dtype=np.float64)\n")


def reference_py(name: str) -> str:
    return (f'"""Trusted reference implementation of the {name} assignment (scaffolded by `grader new {name}`)."""\n\n'
            "import numpy as np\n\n\n"
            f"def {FUNCTION}(x):\n"
            '    """Every element of x doubled, as float64 (replace with the real reference)."""\n'
            "    return 2 * np.asarray(x, dtype=np.float64)\n")
