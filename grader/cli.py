"""The ``grader`` command: one module per subcommand in ``grader.commands``."""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = ["release", "gate", "autograde", "export", "feedback", "validate", "demo"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand, each documented by its module."""
    parser = argparse.ArgumentParser(
        prog="grader",
        description="Release, sandbox-grade and report the CNN course's nbgrader assignments.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"grader.commands.{name}")
        sub = subparsers.add_parser(name, help=module.HELP, description=module.__doc__,
                                    formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
