"""Check your notebook before you submit it.

Runs it the way the grader rebuilds it (your solution cells, the released test
cells, the grader's own runner; in its sandbox where bubblewrap works) and shows
which visible tests pass, with their whole error messages, which functions are
not implemented yet, the run time, and anything that would make the notebook
ungradable. It also warns about what makes a notebook fragile: test cells
deleted, edited or with changed metadata (grade ids) compared with the release,
code outside the solution cells, and outputs over 5 MiB. Hidden checks are not
run: passing the visible tests does not guarantee full marks.

It needs only what you were given: the released folder (release/LANG/NAME/ for
the edition in language LANG, or release/NAME/, holding NAME.ipynb and its data
files), found beside your notebook, in the current folder or above it, or named
with --release. It speaks the language of your notebook's edition (--language to
choose).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from grader.errors import UserError
from grader.i18n import LANGUAGES, SOURCE_LANGUAGE, Explained, Message, _, text
from grader.sandbox.process import BLOCKED_IMPORT, CELL_LINE
from grader.validate import Validation, find_release, notebook_language, shown_message, validate

INDENT = " " * 16


def add_arguments(parser) -> None:
    parser.add_argument("notebook", type=Path, help="your notebook, e.g. conv2d.ipynb")
    parser.add_argument("--assignment", default=None,
                        help="the assignment's name, e.g. conv2d (default: the notebook's file name; needed when "
                             "you renamed the notebook)")
    parser.add_argument("--release", type=Path, default=None, metavar="FOLDER",
                        help="the released folder of the assignment (holding NAME.ipynb and its data files), or "
                             "the release folder holding it (default: release/LANG/NAME, then release/NAME, beside "
                             "the notebook, in the current folder or above)")
    parser.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                        help="wall time for the whole notebook (default: 120 s, 600 s for a Keras notebook)")
    parser.add_argument("--language", choices=LANGUAGES, default=None,
                        help="the language of what validate says (default: your notebook's edition's, English "
                             "when it has none)")
    # A course directory (grader.toml) of the TAs' package: its release/ is searched too.
    parser.add_argument("--course", type=Path, default=None, help=argparse.SUPPRESS)


def choose_mode() -> tuple[str, Message | str]:
    """How to run the student's code here, and the note that says so when it is not the sandbox ("" when it is)."""
    unconfined = _("your code runs WITHOUT the grader's sandbox, with your own rights, as it does in Jupyter. "
                   "The grader runs it confined: no network, no files outside its folder")
    if os.name != "posix":
        return "portable", _("note: there is no bubblewrap sandbox on Windows: {unconfined}; visible test cells "
                             "have no 10 s time limit here", unconfined=unconfined)
    from grader.sandbox.bwrap import SandboxUnavailable, probe
    from grader.sandbox.seccomp import SeccompUnavailable, build_filter

    if not sys.platform.startswith("linux"):
        return "unconfined", _("note: bubblewrap (the grader's sandbox) exists only on Linux: {unconfined}",
                               unconfined=unconfined)
    try:
        probe()
        build_filter()
    except SandboxUnavailable:
        if shutil.which("bwrap") is None:
            return "unconfined", _("note: bubblewrap is not installed (apt-get install bubblewrap): {unconfined}",
                                   unconfined=unconfined)
        return "unconfined", _("note: bubblewrap cannot create a sandbox here: {unconfined}", unconfined=unconfined)
    except SeccompUnavailable:
        return "unconfined", _("note: libseccomp is missing (apt-get install libseccomp2): {unconfined}",
                               unconfined=unconfined)
    return "sandbox", ""


def _where(where: str) -> Message | str:
    """The runner's ``cell ID, line N`` as a message; anything else as it is."""
    found = CELL_LINE.fullmatch(where)
    return _("cell {cell}, line {line}", cell=found.group(1), line=found.group(2)) if found else where


def _message(error: str, message: str) -> Message | str:
    """A cell's error message as it is, but for the grader's refusal of a hidden module (a message of ours)."""
    blocked = BLOCKED_IMPORT.fullmatch(message)
    if error in ("ImportError", "ModuleNotFoundError") and blocked:
        return _("{module} is not available in this assignment: implement it with numpy (the grader hides this "
                 "library from submissions)", module=blocked.group(1))
    return message


def _outcome(error: str, message: Message | str, where: Message | str) -> Message:
    if where:
        return _("{error}: {message} ({where})", error=error, message=message, where=where)
    return _("{error}: {message}", error=error, message=message)


def describe(cell: dict, language: str = SOURCE_LANGUAGE) -> list[str]:
    """A cell's outcome as lines: the first on the cell's own line, a whole message indented below it.

    The error's own message (a visible test's, in the edition's language) is shown as it is.
    """
    if cell.get("ok"):
        return [_("ok").render(language)]
    if cell.get("error") == "NotImplementedError":
        return [_("not implemented yet").render(language)]
    error = str(cell.get("error"))
    where = _where(cell["where"]) if cell.get("where") else ""
    if cell.get("full_message"):
        lines = shown_message(cell["full_message"], language)
        if len(lines) > 1:
            head = _("{error} ({where}):", error=error, where=where) if where else _("{error}:", error=error)
            return [head.render(language), *(INDENT + line for line in lines)]
        if lines:
            return [_outcome(error, _message(error, lines[0]), where).render(language)]
    return [_outcome(error, _message(error, cell.get("message", "")), where).render(language)]


def print_report(report: Validation, language: str = SOURCE_LANGUAGE) -> None:
    """The report, every line in ``language``: cell outcomes, warnings, why it failed, the summary."""
    def say(message: Message) -> None:
        print(message.render(language))

    if str(report.ungradable):
        for warning in report.warnings:
            say(_("warning: {warning}", warning=warning))
        say(_("UNGRADABLE: {reason}", reason=report.ungradable))
        return
    labels = {"test": _("visible test").render(language), "solution": _("solution").render(language)}
    width = max(len(label) for label in labels.values())
    for cell in report.cells:
        if cell.get("kind") in ("solution", "test"):
            first, *rest = describe(cell, language)
            print(f"{labels[cell['kind']]:{width}}  {cell['id']:24}  {first}")
            for line in rest:
                print(line)
    for warning in report.warnings:
        say(_("warning: {warning}", warning=warning))
    if str(report.failure):
        say(_("FAILED: {reason}", reason=report.failure))
    seconds = round(report.seconds, 1)
    say(_("ran in {seconds} s; all visible tests pass", seconds=seconds) if report.ok
        else _("ran in {seconds} s; fix the lines above", seconds=seconds))


def run(args) -> int:
    edition = notebook_language(args.notebook)
    language = args.language or edition
    try:
        extra = (args.course / "release",) if args.course else ()
        release = find_release(args.assignment, args.notebook, release=args.release, extra_roots=extra,
                               language=edition)
        mode, note = choose_mode()
        if note:
            print(text(note, language))
        if release.in_place:
            print(_("note: no untouched copy of {name}.ipynb was found, so the released cells were taken from your "
                    "notebook (checked against the checksums nbgrader stored in them); keep the folder you were "
                    "given as release/{name}/ beside your work, or pass --release FOLDER, to compare with it",
                    name=release.name).render(language))
        report = validate(args.notebook, release, mode=mode, timeout=args.timeout)
    except UserError as error:   # the command's one line and status 2, in the notebook's language
        message = error.message if isinstance(error, Explained) else str(error)
        print(f"grader validate: {' '.join(text(message, language).split())}", file=sys.stderr)
        return 2
    print_report(report, language)
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
