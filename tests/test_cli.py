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
