"""Check your notebook before you submit it.

Runs it the way the grader rebuilds it (your solution cells, the released test
cells, the grader's own runner; in its sandbox where bubblewrap works) and shows
which visible tests pass, with their whole error messages, which functions are
not implemented yet, the run time, and anything that would make the notebook
ungradable. It also warns about what makes a notebook fragile: test cells
deleted, edited or with changed metadata (grade ids) compared with the release,
code outside the solution cells, and outputs over 5 MiB. Hidden checks are not
run: passing the visible tests does not guarantee full marks.

It needs only what you were given: the released folder (release/NAME/, holding
NAME.ipynb and its data files), found beside your notebook, in the current
folder or above it, or named with --release.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from grader.validate import Validation, find_release, shown_message, validate

INDENT = " " * 16


def add_arguments(parser) -> None:
    parser.add_argument("notebook", type=Path, help="your notebook, e.g. conv2d.ipynb")
    parser.add_argument("--assignment", default=None,
                        help="the assignment's name, e.g. conv2d (default: the notebook's file name; needed when "
                             "you renamed the notebook)")
    parser.add_argument("--release", type=Path, default=None, metavar="FOLDER",
                        help="the released folder of the assignment (holding NAME.ipynb and its data files), or "
                             "the folder holding it (default: release/NAME beside the notebook, in the current "
                             "folder or above)")
    parser.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                        help="wall time for the whole notebook (default: 120 s, 600 s for a Keras notebook)")
    # A course directory (grader.toml) of the TAs' package: its release/ is searched too.
    parser.add_argument("--course", type=Path, default=None, help=argparse.SUPPRESS)


def choose_mode() -> tuple[str, str]:
    """How to run the student's code here, and the note that says so when it is not the sandbox."""
    unconfined = ("your code runs WITHOUT the grader's sandbox, with your own rights, as it does in Jupyter. "
                  "The grader runs it confined: no network, no files outside its folder")
    if os.name != "posix":
        return "portable", (f"note: there is no bubblewrap sandbox on Windows: {unconfined}; visible test cells "
                            "have no 10 s time limit here")
    from grader.sandbox.bwrap import SandboxUnavailable, probe
    from grader.sandbox.seccomp import SeccompUnavailable, build_filter

    if not sys.platform.startswith("linux"):
        return "unconfined", f"note: bubblewrap (the grader's sandbox) exists only on Linux: {unconfined}"
    try:
        probe()
        build_filter()
    except SandboxUnavailable:
        why = ("bubblewrap is not installed (apt-get install bubblewrap)" if shutil.which("bwrap") is None
               else "bubblewrap cannot create a sandbox here")
        return "unconfined", f"note: {why}: {unconfined}"
    except SeccompUnavailable:
        return "unconfined", f"note: libseccomp is missing (apt-get install libseccomp2): {unconfined}"
    return "sandbox", ""


def describe(cell: dict) -> list[str]:
    """A cell's outcome as lines: the first on the cell's own line, a whole message indented below it."""
    if cell.get("ok"):
        return ["ok"]
    if cell.get("error") == "NotImplementedError":
        return ["not implemented yet"]
    where = f" ({cell['where']})" if cell.get("where") else ""
    if cell.get("full_message"):
        lines = shown_message(cell["full_message"])
        if len(lines) > 1:
            return [f"{cell.get('error')}{where}:", *(INDENT + line for line in lines)]
        if lines:
            return [f"{cell.get('error')}: {lines[0]}{where}"]
    return [f"{cell.get('error')}: {cell.get('message', '')}{where}"]


def print_report(report: Validation) -> None:
    if report.ungradable:
        for warning in report.warnings:
            print(f"warning: {warning}")
        print(f"UNGRADABLE: {report.ungradable}")
        return
    for cell in report.cells:
        if cell.get("kind") in ("solution", "test"):
            label = "visible test" if cell["kind"] == "test" else "solution"
            first, *rest = describe(cell)
            print(f"{label:12}  {cell['id']:24}  {first}")
            for line in rest:
                print(line)
    for warning in report.warnings:
        print(f"warning: {warning}")
    if report.failure:
        print(f"FAILED: {report.failure}")
    print(f"ran in {report.seconds:.1f} s; {'all visible tests pass' if report.ok else 'fix the lines above'}")


def run(args) -> int:
    extra = (args.course / "release",) if args.course else ()
    release = find_release(args.assignment, args.notebook, release=args.release, extra_roots=extra)
    mode, note = choose_mode()
    if note:
        print(note)
    if release.in_place:
        print(f"note: no untouched copy of {release.name}.ipynb was found, so the released cells were taken from "
              "your notebook (checked against the checksums nbgrader stored in them); keep the folder you were "
              f"given as release/{release.name}/ beside your work, or pass --release FOLDER, to compare with it")
    report = validate(args.notebook, release, mode=mode, timeout=args.timeout)
    print_report(report)
    return 0 if report.ok else 1


def student_main(argv: list[str] | None = None) -> int:
    """The ``grader`` command of the students' distribution (cnn-grader-selfcheck): ``validate`` only."""
    from importlib.metadata import PackageNotFoundError, version

    from grader.errors import UserError

    try:
        installed = version("cnn-grader-selfcheck")
    except PackageNotFoundError:
        installed = "(not installed)"
    parser = argparse.ArgumentParser(prog="grader", description="The course's self-check for students: "
                                     "grader validate NOTEBOOK runs your notebook the way the grader does.")
    parser.add_argument("--version", action="version", version=f"%(prog)s (self-check) {installed}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub = commands.add_parser("validate", help="run your notebook as the grader would, visible tests only",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(sub)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return run(args)
    except (UserError, FileNotFoundError) as error:
        print(f"grader validate: {' '.join(str(error).split())}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(student_main())
