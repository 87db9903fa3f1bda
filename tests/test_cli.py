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
