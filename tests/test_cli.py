"""The command line: every subcommand documents itself."""

import subprocess
import sys

import pytest

from grader.cli import COMMANDS


def test_top_level_help_lists_every_command():
    out = subprocess.run([sys.executable, "-m", "grader", "--help"], capture_output=True, text=True, check=True).stdout
    assert all(name in out for name in COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_each_command_has_help(name):
    done = subprocess.run([sys.executable, "-m", "grader", name, "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "usage: grader" in done.stdout


def test_unknown_assignment_is_one_line_not_a_traceback():
    done = subprocess.run([sys.executable, "-m", "grader", "gate", "no_such_assignment"],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert "no assignment 'no_such_assignment'" in done.stderr and "Traceback" not in done.stderr


def test_version_names_the_installed_package():
    from importlib.metadata import version

    done = subprocess.run([sys.executable, "-m", "grader", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == f"grader {version('cnn-grader')}"


def test_table_reasons_are_shortened_at_a_word(capsys):
    from grader.commands.common import print_table

    reason = "the notebook is 100 MiB, over the 50 MiB limit: clear the outputs (Kernel > Restart & Clear) and save"
    print_table([("ada", "ungradable", 0.0, 10.0, reason)])
    shown = capsys.readouterr().out.splitlines()[-1].split("0/10", 1)[1].strip()
    assert shown.endswith(" ...") and reason.startswith(shown[:-4]) and reason[len(shown) - 4] == " "


# The CLI as the console script runs it, then two facts: was Dask imported (no cluster starts without it),
# and how many times the doctor's sandbox self-test ran.
FACTS = (
    "import sys, grader.doctor; calls = []; examine = grader.doctor.examine\n"
    "grader.doctor.examine = lambda *a, **k: calls.append(1) or examine(*a, **k)\n"
    "from grader.cli import main; code = main(sys.argv[1:])\n"
    "print('FACTS', int('distributed' in sys.modules), len(calls), file=sys.stderr); sys.exit(code)"
)


def _autograde_with_facts(course) -> tuple[str, tuple[int, int]]:
    done = subprocess.run([sys.executable, "-c", FACTS, "autograde", "conv2d", "--course", str(course),
                           "--workers", "1", "--quiet"], capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, done.stderr[-3000:]
    dask, self_tests = done.stderr.split("FACTS")[1].split()[:2]
    return done.stdout, (int(dask), int(self_tests))


def test_a_rerun_with_nothing_to_grade_starts_no_cluster_and_no_sandbox(tmp_path):
    from grader.assignment import Assignment
    from grader.sampleclass import release_notebook, submission, write_submission

    conv2d = Assignment.find("conv2d")
    write_submission(tmp_path, "solution", "conv2d", submission(conv2d, None))
    write_submission(tmp_path, "stub", "conv2d", release_notebook(conv2d))
    out, facts = _autograde_with_facts(tmp_path)
    assert "2 graded" in out and facts == (1, 1)  # the batch: a cluster, after one self-test
    out, facts = _autograde_with_facts(tmp_path)
    assert "0 graded, 0 ungradable, 0 errors, 2 unchanged (skipped)" in out
    assert facts == (0, 0)  # Dask never imported, so no cluster; the self-test skipped: nothing would run


def test_a_batch_with_work_is_refused_when_the_deferred_self_test_fails(tmp_path, monkeypatch):
    """The self-test waits for the cluster, but a failing one still stops the batch before anything is graded."""
    import grader.cluster
    import grader.commands.common
    from grader.assignment import Assignment
    from grader.cli import main
    from grader.doctor import Finding
    from grader.sampleclass import submission, write_submission

    write_submission(tmp_path, "solution", "conv2d", submission(Assignment.find("conv2d"), None))
    monkeypatch.setattr(grader.cluster, "_pending_checks", [])
    monkeypatch.setattr(grader.commands.common, "examine", lambda course: [Finding("the scratch is private", False)])
    with pytest.raises(SystemExit) as refused:
        main(["autograde", "conv2d", "--course", str(tmp_path), "--workers", "1", "--quiet"])
    assert "the sandbox self-test failed: the scratch is private" in str(refused.value.code)
    assert not (tmp_path / "autograded").exists() and grader.cluster._pending_checks == []
