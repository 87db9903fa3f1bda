"""Per-student feedback pages, rendered only from the result documents.

A page shows scores, each check's title, outcome and message, and the visible
tests; it never shows the hidden check code, hidden inputs, or the TA-only
``detail`` field of a check. Every field is cleaned and typed before it reaches
the template, and one result that cannot be read or rendered never stops the
pages of the other students.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

from grader import gradebook, paths, results, staleness

_ENV = jinja2.Environment(loader=jinja2.PackageLoader("grader", "templates"), autoescape=True,
                          undefined=jinja2.StrictUndefined)
TEXT_FIELDS = ("student", "assignment", "status", "reason", "graded_at", "notebook_sha256")
CHECK_TEXT = ("name", "title", "cell", "outcome", "message")
PROBLEM_CHARS = 300


def student_view(result: dict) -> dict:
    """The part of a result a student may see, each field cleaned and of the type the page expects."""
    result = results.clean(result)
    view = {**_texts(result, TEXT_FIELDS), **_numbers(result, ("score", "max_score"))}
    view["sandbox"] = {"confined": _dict(result.get("sandbox")).get("confined") is True}
    view["cells"] = {key: _numbers(cell, ("score", "max_score")) for key, cell in _dict(result.get("cells")).items()}
    view["checks"] = [{**_texts(check, CHECK_TEXT), **_numbers(check, ("points", "score"))}
                      for check in _list(result.get("checks"))]
    view["manual"] = [str(cell) for cell in _list(result.get("manual"))]
    view["comments"] = {str(cell): str(text) for cell, text in _dict(result.get("comments")).items()}
    view["visible_tests"] = [{**_texts(test, ("cell", "error")), "passed": _dict(test).get("passed") is True}
                             for test in _list(result.get("visible_tests"))]
    return view


def render(result: dict) -> str:
    """The HTML feedback page of one result."""
    return _ENV.get_template("feedback.html").render(r=student_view(result))


def write_feedback(course: Path, assignment: str, db_url: str | None = None) -> tuple[list[Path], list[str]]:
    """Write ``feedback/STUDENT/NAME/NAME.html`` for every stored result; returns (pages, problems).

    Scores are the gradebook's when it has the student (``db_url``, default the course's
    gradebook.db), so a TA's manual grades and comments reach the page and every number on
    it matches ``grader export`` and ``nbgrader export``. A result that cannot be read or
    rendered is skipped and named in the problems; the other students' pages are still
    written. Harness errors get no page.
    """
    final = gradebook.course_scores(course, assignment, db_url)
    written, problems = [], []
    for path in sorted((course / "autograded").glob(f"*/{assignment}/{results.RESULT_FILE}")):
        student = path.parent.parent.name  # the folder is the identity, never the result's own student field
        try:
            page = _write_page(course, student, assignment, path, final.get(student))
        except Exception as error:  # one bad result never stops the other students' pages
            problems.append(results.clean_text(f"{student}: {type(error).__name__}: {error}")[:PROBLEM_CHARS])
            continue
        if page is not None:
            written.append(page)
    return written, problems


def _write_page(course: Path, student: str, assignment: str, path: Path, final: dict | None) -> Path | None:
    """Render and write one student's page; None for a harness error (no page)."""
    result = results.read(path)
    if result is None:
        raise ValueError(f"{results.RESULT_FILE} is unreadable or malformed")
    if result["status"] == "error":
        return None
    result = gradebook.with_final_scores(staleness.current(course, student, assignment, result), final)
    out = paths.feedback_dir(course, student, assignment) / f"{assignment}.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(result), encoding="utf-8")
    return out


def _texts(item: object, keys: tuple[str, ...]) -> dict[str, str]:
    """The string fields ``keys`` of ``item`` ("" where missing or not a string)."""
    item = _dict(item)
    return {key: item[key] if isinstance(item.get(key), str) else "" for key in keys}


def _numbers(item: object, keys: tuple[str, ...]) -> dict[str, float]:
    """The number fields ``keys`` of ``item`` (0 where missing or not a number)."""
    item = _dict(item)
    return {key: float(item[key]) if isinstance(item.get(key), (int, float)) and not isinstance(item[key], bool)
            else 0.0 for key in keys}


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list:
    return value if isinstance(value, list) else []
