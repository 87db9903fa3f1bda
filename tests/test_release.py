"""grader.release: the student version, its determinism, the staleness check and the leak guard."""

from __future__ import annotations

import ast
import json
import textwrap
from pathlib import Path

import nbformat
import pytest

from grader.assignment import Assignment
from grader.cli import main
from grader.release import LeakError, assert_no_leak, assignment_names, release, stale_files


def released_files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def edit_source(assignment: Assignment, grade_id: str, source: str) -> Assignment:
    nb = nbformat.read(assignment.source_path, as_version=4)
    cell(nb, grade_id).source = source
    nbformat.write(nb, assignment.source_path)
    return Assignment.find(assignment.name, assignment.root.parent)


def test_release_is_the_stub_with_data_files_and_nothing_hidden(toy, tmp_path):
    (toy.grading_dir / "variants").mkdir()
    (toy.grading_dir / "variants" / "wrong.py").write_text("# %% square_impl\ndef square(x): return x\n")
    (toy.root / "data" / "grading").mkdir(parents=True)
    (toy.root / "data" / "grading" / "answers.txt").write_text("49\n")
    (toy.root / "data" / "digits.csv").write_text("1,2\n")

    out, = release(toy, tmp_path / "release")  # one edition: its prose has no language tags

    assert out == tmp_path / "release" / "en" / "toy"
    assert released_files(out) == {"toy.ipynb", "data.csv", "data/digits.csv"}
    nb = nbformat.read(out / "toy.ipynb", as_version=4)
    stub = cell(nb, "square_impl").source
    assert "raise NotImplementedError()" in stub
    assert "return x * x" not in stub and "BEGIN SOLUTION" not in stub
    assert cell(nb, "square_tests").source == "assert square(3) == 9"
    assert cell(nb, "cube_tests").metadata.nbgrader["points"] == 3
    assert "return x * x" not in (out / "toy.ipynb").read_text()


def test_release_is_byte_identical_when_rebuilt(toy, tmp_path):
    first, = release(toy, tmp_path / "a")
    second, = release(toy, tmp_path / "b")
    for name in released_files(first):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_cells_without_ids_get_stable_ids(toy, tmp_path):
    data = json.loads(toy.source_path.read_text())
    for c in data["cells"]:
        del c["id"]
    toy.source_path.write_text(json.dumps(data))
    toy = Assignment.find("toy", toy.root.parent)

    first = (release(toy, tmp_path / "a")[0] / "toy.ipynb").read_bytes()
    second = (release(toy, tmp_path / "b")[0] / "toy.ipynb").read_bytes()

    assert first == second
    assert [c["id"] for c in json.loads(first)["cells"]] == ["cell-0", "cell-1", "cell-2", "cell-3"]


def test_release_replaces_an_old_release(toy, tmp_path):
    old = tmp_path / "release" / "en" / "toy"
    old.mkdir(parents=True)
    (old / "leftover.txt").write_text("old")
    release(toy, tmp_path / "release")
    assert "leftover.txt" not in released_files(old)


def test_stale_files_detects_edits_deletions_and_extras(toy, tmp_path):
    root = tmp_path / "release"
    assert stale_files(toy, root) == ["missing: en/data.csv", "missing: en/toy.ipynb"]
    release(toy, root)
    assert stale_files(toy, root) == []

    (root / "en" / "toy" / "data.csv").unlink()
    (root / "en" / "toy" / "notes.txt").write_text("stray")
    assert stale_files(toy, root) == ["missing: en/data.csv", "extra: en/notes.txt"]

    release(toy, root)
    edited = edit_source(toy, "square_tests", "assert square(4) == 16")
    assert stale_files(edited, root) == ["changed: en/toy.ipynb"]

    (root / "toy").mkdir()
    (root / "toy" / "toy.ipynb").write_text("{}")
    assert stale_files(edited, root)[0] == "extra: toy/ (the layout before editions: remove it)"


def test_leak_guard_refuses_a_notebook_quoting_the_seed(toy, tmp_path):
    leaky = edit_source(toy, "intro", "The hidden inputs use seed 918273645.")
    with pytest.raises(LeakError, match="918273645"):
        release(leaky, tmp_path / "release")
    assert not (tmp_path / "release" / "en" / "toy").exists()


def test_leak_guard_refuses_a_notebook_naming_a_hidden_check(toy, tmp_path):
    leaky = edit_source(toy, "intro", "Graded by `cubes_secret_inputs`.")
    with pytest.raises(LeakError, match="cubes_secret_inputs"):
        release(leaky, tmp_path / "release")


def test_leak_guard_refuses_hidden_files(toy, tmp_path):
    good, = release(toy, tmp_path / "release")
    assert_no_leak(good, toy)
    for planted in ("grading/notes.txt", "sub/checks.py", "config.toml"):
        target = good / planted
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("x")
        with pytest.raises(LeakError, match=planted):
            assert_no_leak(good, toy)
        target.unlink()


def test_a_default_seed_is_not_a_secret(toy, tmp_path):
    (toy.grading_dir / "config.toml").write_text("needs_gpu = false\n")
    plain = edit_source(toy, "intro", "Seed 0 is used in the visible tests.")
    release(plain, tmp_path / "release")


def test_assignment_names_lists_folders_with_their_notebook(toy, tmp_path):
    (tmp_path / "assignments" / "not_one").mkdir()
    assert assignment_names(tmp_path / "assignments") == ["toy"]


def test_release_command_check_and_fix(toy, tmp_path, capsys):
    args = ["release", "--course", str(tmp_path), "--release-dir", str(tmp_path / "release")]
    assert main(args + ["--check"]) == 1
    assert "run `grader release toy` and commit release/*/toy" in capsys.readouterr().out
    assert main(args) == 0
    assert main(args + ["--check"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "toy: up to date"
    assert main(args + ["nope"]) == 1


def test_release_needs_no_gradebook(toy, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no alembic: creating a gradebook would fail
    release(toy, tmp_path / "release")
    assert not list(tmp_path.rglob("*.db"))


def code_lines(source: str) -> set[str]:
    """Statements of ``source`` without docstrings or comments, as ast.unparse writes them (long ones only)."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            body.pop(0)
    return {line.strip() for line in ast.unparse(tree).splitlines() if len(line.strip()) > 30}


@pytest.mark.parametrize("name", assignment_names())
def test_committed_release_is_up_to_date_and_leaks_nothing(name):
    """release/LANG/NAME is what `grader release NAME` builds, in both editions, and holds no hidden or trusted code."""
    from grader import paths
    from grader.notebook.cells import SOLUTION_REGION

    assignment = Assignment.find(name)
    assert stale_files(assignment) == [], f"run `grader release {name}` and commit release/*/{name}"
    assert assignment.languages == ("en", "hu")
    editions = [assignment.release_path(language=language).parent for language in assignment.languages]
    for released in editions:
        assert_no_leak(released, assignment)
    student_code = "\n".join(ast.unparse(ast.parse(c.source)) for released in editions
                             for p in released.rglob("*.ipynb")
                             for c in nbformat.read(p, as_version=4).cells if c.cell_type == "code")
    hidden = [(assignment.grading_dir / "checks.py").read_text(),
              *(p.read_text() for p in (assignment.grading_dir / "variants").glob("*.py")),
              # reference/data.py loads the shipped digits: public by design, notebooks carry a copy
              *(p.read_text() for p in (paths.project_root() / "reference").rglob("*.py") if p.name != "data.py"),
              *(textwrap.dedent(m.group(1)) for c in assignment.source.cells
                for m in SOLUTION_REGION.finditer(c.source))]
    secret = set().union(*(code_lines(source) for source in hidden))
    assert sorted(line for line in secret if line in student_code) == []
