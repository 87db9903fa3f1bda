"""Per-student feedback pages, rendered only from the result documents.

A page shows scores, each check's title, outcome and message, and the visible
tests; it never shows the hidden check code, hidden inputs, or the TA-only
``detail`` field of a check.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

from grader import paths, results

_ENV = jinja2.Environment(loader=jinja2.PackageLoader("grader", "templates"), autoescape=True,
                          undefined=jinja2.StrictUndefined)
STUDENT_FIELDS = ("name", "title", "cell", "points", "score", "outcome", "message")


def student_view(result: dict) -> dict:
    """The part of a result a student may see."""
    view = {k: v for k, v in result.items() if k != "checks"}
    view["checks"] = [{k: c.get(k, "") for k in STUDENT_FIELDS} for c in result.get("checks", [])]
    view.setdefault("visible_tests", [])
    return view


def render(result: dict) -> str:
    """The HTML feedback page of one result."""
    return _ENV.get_template("feedback.html").render(r=student_view(result))


def write_feedback(course: Path, assignment: str) -> list[Path]:
    """Write ``feedback/STUDENT/NAME/NAME.html`` for every stored result; returns the pages."""
    written = []
    for path in sorted((course / "autograded").glob(f"*/{assignment}/{results.RESULT_FILE}")):
        result = results.read(path)
        if result is None or result["status"] == "error":
            continue
        out = paths.feedback_dir(course, result["student"], assignment) / f"{assignment}.html"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(render(result))
        written.append(out)
    return written
