"""The ``grader`` command: one module per subcommand in ``grader.commands``.

Only the chosen subcommand's module is imported, so ``grader --help`` and the
light commands start fast (the gradebook and Dask are heavy imports).
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = {
    "release": "build release/LANG/NAME (one edition per language) from assignments/NAME; --check: fail if stale",
    "gate": "solution = full marks, stub = 0, each known-wrong variant loses points",
    "autograde": "grade all submissions of an assignment (sandboxed, hidden checks, gradebook)",
    "export": "one CSV row per student: status, score, a column per grade cell, reason",
    "feedback": "write per-student HTML feedback from the results",
    "report": "class statistics as one self-contained HTML page with plots",
    "collect": "import an LMS bulk download (Canvas, Moodle zip) into submitted/",
    "new": "scaffold a new assignment that passes the release gate as generated",
    "validate": "for students: run a notebook as the grader would, visible tests only",
    "doctor": "prove the sandbox confines student code on this machine",
    "watch": "grade each nbgrader submission as it lands; release its feedback to the exchange",
    "status": "queue, in flight, latency and errors of a running grader watch",
    "demo": "release, build a sample class, grade it, print the table",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; the arguments of ``command`` (None: every command) come from its module."""
    parser = argparse.ArgumentParser(
        prog="grader",
        description="Release, sandbox-grade and report the CNN course's nbgrader assignments.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, help in COMMANDS.items():
        sub = subparsers.add_parser(name, help=help, formatter_class=argparse.RawDescriptionHelpFormatter)
        if command in (None, name):
            module = importlib.import_module(f"grader.commands.{name}")
            sub.description = module.__doc__
            module.add_arguments(sub)
            sub.set_defaults(run=module.run)
    return parser


def _version() -> str:
    """The installed package's version (a checkout that is not installed says so)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cnn-grader")
    except PackageNotFoundError:
        return "(not installed: run make)"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status.

    Mistakes a user can fix (an unknown assignment, a bad grader.toml or roster, a
    missing release, a folder in the way) end with one line, ``grader COMMAND:
    MESSAGE`` (the message names the file at fault first), and status 2 instead of
    a traceback.
    """
    argv = sys.argv[1:] if argv is None else argv
    command = next((a for a in argv if not a.startswith("-")), None)
    args = build_parser(command if command in COMMANDS else "").parse_args(argv)
    from grader.errors import UserError

    try:
        return args.run(args)
    except (UserError, FileNotFoundError, FileExistsError) as error:
        print(f"grader {args.command}: {_one_line(error)}", file=sys.stderr)
        return 2


def _one_line(error: Exception) -> str:
    """The error as one line; an OS error names its file first, as every other message does."""
    if isinstance(error, OSError) and error.filename:
        return f"{error.filename}: {error.strerror or error}"
    return " ".join(str(error).split())


if __name__ == "__main__":
    sys.exit(main())
