"""grader gate: passes for the real assignment, and fails for each way an assignment can be broken."""

import shutil

import pytest

from grader.assignment import Assignment
from grader.cli import main
from grader.gate import consistency_problems, run_gate
from grader.paths import assignments_root
from grader.release import assignment_names, release


def copy_of_conv2d(tmp_path) -> Assignment:
    """A private copy, released beside it (tmp_path/release) as a course's own assignment would be."""
    shutil.copytree(assignments_root() / "conv2d", tmp_path / "assignments" / "conv2d")
    assignment = Assignment.find("conv2d", tmp_path / "assignments")
    release(assignment)
    return assignment


KERAS = [name for name in assignment_names() if Assignment.find(name).config.needs_gpu]
NUMPY = [name for name in assignment_names() if name not in KERAS]


@pytest.mark.timeout(3000)  # the Keras gates run every variant's notebook, training included
@pytest.mark.parametrize("name", KERAS)
def test_the_keras_gates_pass_in_both_editions_with_one_training_run_each(name, capsys):
    """The Hungarian notebooks are graded (the other tests grade English ones); the English share their results."""
    assert main(["gate", name, "--graded-edition", "hu"]) == 0
    out = capsys.readouterr().out
    assert f"gate {name}: PASSED" in out and "variant-" in out
    hungarian = [line for line in out.splitlines() if line.startswith("ok    hu  ")]
    english = [line for line in out.splitlines() if line.startswith("ok    en  ")]
    assert hungarian and len(english) == len(hungarian)
    assert all(line.endswith("(same program as hu: its result)") for line in english)


@pytest.mark.timeout(1200)
@pytest.mark.parametrize("name", NUMPY)
def test_the_numpy_gates_pass_and_grade_both_editions_identically(name):
    """Every notebook is graded in both editions: the same score and the same outcome for every check."""
    problems, lines = run_gate(Assignment.find(name), all_editions=True)
    assert not problems and all(line.ok for line in lines), [line for line in lines if not line.ok]
    by_edition = {language: {line.student: (line.score, line.outcomes) for line in lines if line.edition == language}
                  for language in ("en", "hu")}
    assert len(by_edition["en"]) > 5 and by_edition["en"] == by_edition["hu"]
    assert not any(line.shared_from for line in lines)


def test_gate_fails_when_a_variant_does_not_lose_its_target(tmp_path):
    assignment = copy_of_conv2d(tmp_path)
    solution = (tmp_path / "assignments" / "conv2d" / "grading" / "variants" / "missing_bias.py").read_text()
    harmless = solution.split("# %%")[0] + "# %% conv2d_impl\n" + _instructor_conv2d(assignment)
    (tmp_path / "assignments" / "conv2d" / "grading" / "variants" / "not_wrong.py").write_text(harmless)
    problems, lines = run_gate(assignment)
    bad = [line for line in lines if not line.ok]
    assert [(line.edition, line.student) for line in bad] == [("en", "variant-not_wrong"), ("hu", "variant-not_wrong")]
    assert bad[1].shared_from == "en"  # the Hungarian notebook is the same program: it shares the result
    assert "passed its target" in bad[0].problem


def test_an_edition_the_assignment_does_not_have_is_refused(toy, capsys):
    assert main(["gate", "toy", "--course", str(toy.root.parent.parent), "--graded-edition", "hu"]) != 0
    assert "toy has no hu edition (its editions: en)" in capsys.readouterr().err


def test_points_that_do_not_add_up_are_reported(tmp_path):
    copy_of_conv2d(tmp_path)
    checks = tmp_path / "assignments" / "conv2d" / "grading" / "checks.py"
    checks.write_text(checks.read_text().replace('cell="conv2d_tests", points=1', 'cell="conv2d_tests", points=2', 1))
    problems = consistency_problems(Assignment.find("conv2d", tmp_path / "assignments"))
    assert any("conv2d_tests" in p and "add up to 7" in p for p in problems)


def _instructor_conv2d(assignment: Assignment) -> str:
    from grader.notebook.cells import grade_id, solution_code

    return next(solution_code(c.source) for c in assignment.source.cells if grade_id(c) == "conv2d_impl")
