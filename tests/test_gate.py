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


@pytest.mark.timeout(3000)  # the Keras gates run every variant's notebook, training included
@pytest.mark.parametrize("name", assignment_names())
def test_gate_passes_for_every_assignment(name, capsys):
    assert main(["gate", name]) == 0
    out = capsys.readouterr().out
    assert f"gate {name}: PASSED" in out and "variant-" in out


def test_gate_fails_when_a_variant_does_not_lose_its_target(tmp_path):
    assignment = copy_of_conv2d(tmp_path)
    solution = (tmp_path / "assignments" / "conv2d" / "grading" / "variants" / "missing_bias.py").read_text()
    harmless = solution.split("# %%")[0] + "# %% conv2d_impl\n" + _instructor_conv2d(assignment)
    (tmp_path / "assignments" / "conv2d" / "grading" / "variants" / "not_wrong.py").write_text(harmless)
    problems, lines = run_gate(assignment)
    bad = [line for line in lines if not line.ok]
    assert [line.student for line in bad] == ["variant-not_wrong"]
    assert "passed its target" in bad[0].problem


def test_points_that_do_not_add_up_are_reported(tmp_path):
    copy_of_conv2d(tmp_path)
    checks = tmp_path / "assignments" / "conv2d" / "grading" / "checks.py"
    checks.write_text(checks.read_text().replace('cell="conv2d_tests", points=1', 'cell="conv2d_tests", points=2', 1))
    problems = consistency_problems(Assignment.find("conv2d", tmp_path / "assignments"))
    assert any("conv2d_tests" in p and "add up to 7" in p for p in problems)


def _instructor_conv2d(assignment: Assignment) -> str:
    from grader.notebook.cells import grade_id, solution_code

    return next(solution_code(c.source) for c in assignment.source.cells if grade_id(c) == "conv2d_impl")
