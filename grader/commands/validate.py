"""Check your notebook before you submit it.

Runs it exactly as the grader rebuilds it (your solution cells, the released
test cells, in the same sandbox) and shows which visible tests pass, which
functions are not implemented yet, the run time, and anything that would make
the notebook ungradable. It also warns about what makes a notebook fragile:
test cells deleted, edited or with changed metadata (grade ids) compared with
the release, code outside the solution cells, and outputs over 5 MiB. Hidden
checks are not run: passing the visible tests does not guarantee full marks.
"""

from __future__ import annotations

from pathlib import Path

from grader.commands.common import add_course_argument, load_course
from grader.sandbox.bwrap import SandboxUnavailable, probe
from grader.validate import validate


def add_arguments(parser) -> None:
    parser.add_argument("notebook", help="your notebook, e.g. conv2d.ipynb")
    parser.add_argument("--assignment", default=None, help="assignment name (default: the notebook's file name)")
    add_course_argument(parser)


def _sandbox_available() -> bool:
    try:
        probe()
        return True
    except SandboxUnavailable:
        print("note: bubblewrap is not available here; running your code without the grader's sandbox")
        return False


def _describe(cell: dict) -> str:
    if cell.get("ok"):
        return "ok"
    if cell.get("error") == "NotImplementedError":
        return "not implemented yet"
    where = f" ({cell['where']})" if cell.get("where") else ""
    return f"{cell.get('error')}: {cell.get('message', '')}{where}"


def run(args) -> int:
    path = Path(args.notebook)
    assignment = load_course(args).assignment(args.assignment or path.stem)
    report = validate(path, assignment, confined=_sandbox_available())
    if report.ungradable:
        for warning in report.warnings:
            print(f"warning: {warning}")
        print(f"UNGRADABLE: {report.ungradable}")
        return 1
    for cell in report.cells:
        if cell.get("kind") in ("solution", "test"):
            label = "visible test" if cell["kind"] == "test" else "solution"
            print(f"{label:12}  {cell['id']:24}  {_describe(cell)}")
    for warning in report.warnings:
        print(f"warning: {warning}")
    if report.failure:
        print(f"FAILED: {report.failure}")
    print(f"ran in {report.seconds:.1f} s; {'all visible tests pass' if report.ok else 'fix the lines above'}")
    return 0 if report.ok else 1
