"""A hostile student against the Hungarian and English editions (grader.i18n, grader.notebook.editions).

Real notebooks of the conv2d assignment, graded in the sandbox, whose code raises exceptions with
markup, format fields and hidden inputs in their class names and messages, and whose metadata names
an edition in every way but the right one; then the pages and the report made from their results,
and from result files tampered with where the messages are kept (``message_i18n``, ``reason_i18n``).
"""

from __future__ import annotations

import json

import nbformat
import pytest

from grader import feedback, i18n
from grader.assignment import Assignment
from grader.cli import main
from grader.grade import GradingJob, grade
from grader.notebook.cells import grade_id, is_solution
from grader.report import write_report
from grader.results import new_result, write_atomic
from grader.sampleclass import submission, write_submission

ASSIGNMENT = Assignment.find("conv2d")
MARKUP = "<script>alert(1)</script><img src=x onerror=alert(2)>"
FIELDS = "{0.__class__}{x}{what:>99999999}{{y}}"
SECRET = "SECRET"
ADDED = "added cell"


def _notebook(code: dict[str, str] | None = None, language: str = "hu", metadata=None):
    """A notebook of the ``language`` edition with the solution cells of ``code`` (grade id -> source) replaced."""
    notebook = submission(ASSIGNMENT, ASSIGNMENT.variants()[0], language)
    for cell in notebook.cells:
        if is_solution(cell) and grade_id(cell) in (code or {}):
            cell.source = code[grade_id(cell)]
    if code and ADDED in code:  # a code cell of the student's own, which the grader drops
        notebook.cells.append(nbformat.v4.new_code_cell(code[ADDED]))
    if metadata is not None:
        notebook.metadata["grader"] = metadata
    return notebook


EVIL_CLASS = f"class Evil(Exception):\n    pass\n\nEvil.__name__ = Evil.__qualname__ = {MARKUP + FIELDS!r}\n"
NOTEBOOKS = {
    # raised while the solution cell runs: shown as it is (before any hidden input), as a value
    "raises-when-defined": {"correlate2d_impl": EVIL_CLASS + f"raise Evil({MARKUP + FIELDS!r})\n"},
    # raised by every call: the visible tests show it, the hidden checks must not
    "raises-when-called": {"correlate2d_impl": EVIL_CLASS + "def correlate2d(x, w):\n"
                                                            f"    raise Evil({MARKUP + FIELDS!r})\n"},
    # right on the visible tests, then says what the hidden inputs are, in its message and class name
    "tells-hidden-inputs": {
        "correlate2d_impl": "import numpy as np\nHIDDEN = False\n\ndef correlate2d(x, w):\n"
                            "    if HIDDEN:\n"
                            f"        name = {SECRET!r} + str(np.asarray(x).ravel()[:3].tolist())\n"
                            "        raise type(name, (ValueError,), {})(name + ' {0} <b>')\n"
                            "    x, w = np.asarray(x, float), np.asarray(w, float)\n"
                            "    h, v = x.shape[0] - w.shape[0] + 1, x.shape[1] - w.shape[1] + 1\n"
                            "    return np.array([[np.sum(x[i:i + w.shape[0], j:j + w.shape[1]] * w)\n"
                            "                      for j in range(v)] for i in range(h)])\n",
        "conv2d_impl": "HIDDEN = True\n"},
    # a helper in a cell the grader drops, and a NameError whose name is markup
    "uses-a-dropped-helper": {
        "correlate2d_impl": "def correlate2d(x, w):\n    return helper(x, w)\n",
        "conv2d_impl": f"def conv2d(x, w, b):\n    raise NameError(\"name {MARKUP + FIELDS!r} is not defined\")\n",
        ADDED: f"def helper(x, w):  # {MARKUP}\n    return x\n"},
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict:
    """student -> result of every hostile notebook, in the Hungarian edition."""
    course = tmp_path_factory.mktemp("i18n-hostile")
    found = {}
    for student, code in NOTEBOOKS.items():
        path = write_submission(course, student, "conv2d", _notebook(code))
        found[student] = grade(GradingJob(student, "conv2d", str(path), str(ASSIGNMENT.root.parent)))
    return found


def _pages(result: dict) -> dict[str, str]:
    return {language: feedback.render(result, tuple(ASSIGNMENT.grade_cells), language=language)
            for language in i18n.LANGUAGES}


@pytest.mark.parametrize("student", ["raises-when-defined", "raises-when-called", "uses-a-dropped-helper"])
def test_markup_and_format_fields_from_the_students_exceptions_are_text_in_every_language(graded, student):
    result = graded[student]
    assert result["status"] == "graded" and result["language"] == "hu"
    for language, page in _pages(result).items():
        assert "<script" not in page and "<img" not in page, language
        assert "&lt;script&gt;" in page and "{0.__class__}{x}{what:&gt;99999999}{{y}}" in page, language
        assert "Project-Id-Version" not in page
        assert len(page) < 200_000


def test_nothing_the_student_chose_after_hidden_inputs_is_kept_or_shown_in_any_language(graded):
    result = graded["tells-hidden-inputs"]
    assert result["status"] == "graded"
    failed = [c for c in result["checks"] if c["outcome"] != "passed"]
    assert failed and all(c["message_i18n"] for c in failed)
    assert {test["cell"]: test["passed"] for test in result["visible_tests"]}["correlate2d_tests"]
    assert SECRET not in json.dumps(result)  # neither the English text nor the stored messages
    for language, page in _pages(result).items():
        assert SECRET not in page and "<b>" not in page, language
        assert ("rejtett inputokon" if language == "hu" else "hidden inputs is not shown") in page


@pytest.mark.parametrize("metadata", [{"language": ["hu"]}, {"language": "hu" * 100_000}, {"language": "xx"},
                                      {"language": {"hu": True}}, {"language": None}, "hu", ["hu"], 7,
                                      {"language": "en"}])
def test_the_edition_a_notebook_claims_never_changes_its_grade(tmp_path, metadata):
    plain = write_submission(tmp_path, "plain", "conv2d", _notebook())
    odd = write_submission(tmp_path, "odd", "conv2d", _notebook(metadata=metadata))
    expected, result = (grade(GradingJob(s, "conv2d", str(p), str(ASSIGNMENT.root.parent), language="hu"))
                        for s, p in (("plain", plain), ("odd", odd)))
    assert result["status"] == "graded" and result["language"] in i18n.LANGUAGES
    assert result["language"] == ("en" if metadata == {"language": "en"} else "hu")
    assert (result["score"], [(c["name"], c["outcome"]) for c in result["checks"]]) == \
        (expected["score"], [(c["name"], c["outcome"]) for c in expected["checks"]])
    assert 0 < result["score"] < result["max_score"]


def test_a_helper_in_a_dropped_cell_is_named_in_the_students_language(graded):
    result = graded["uses-a-dropped-helper"]
    assert result["not_graded_cells"] and result["not_graded_cells"][0]["defines"] == ["helper"]
    pages = _pages(result)
    assert "dropped code cell" in pages["en"] and "(defines helper)" in pages["en"]
    assert "(ezeket definiálja: helper)" in pages["hu"]


# ----------------------------------------------------------------------------- tampered result files

def _result(student: str, **fields) -> dict:
    check = {"name": "conv2d_adds_bias_per_filter", "title": "The bias is added once per filter",
             "cell": "conv2d_tests", "points": 1.0, "score": 0.0, "outcome": "failed", "message": "it is wrong",
             "detail": "", "seconds": 0.01, "function": "", "cause": ""}
    cells = {"conv2d_tests": {"score": 1.0, "max_score": 10.0}}
    return new_result(student, "conv2d", "graded", **{  # no notebook_sha256 (no notebook): never stale
        "score": 1.0, "max_score": 10.0, "checks": [check], "cells": cells, "sandbox": {"confined": True},
        "notebook_sha256": "", "language": "hu", **fields})


def _with_message(student: str, stored) -> dict:
    result = _result(student)
    result["checks"][0]["message_i18n"] = stored
    return result


def _store(course, result: dict) -> None:
    write_atomic(course / "autograded" / result["student"] / "conv2d" / "result.json", result)


def test_numbers_past_what_babel_writes_as_digits_never_stop_a_page_or_the_report(tmp_path):
    """Babel writes numbers through decimal's 28-digit context: 1e300 raised InvalidOperation, so one result
    file with a huge (finite) score took down `grader report` and that student's page."""
    _store(tmp_path, _result("alice"))
    _store(tmp_path, _result("mallory", score=1e300, max_score=1e30, seconds_late=60.0, late_penalty=1e29))
    _store(tmp_path, _with_message("trudy", {"id": "{n} of {count} positions", "plural": "{n} of {count} positions",
                                            "count": 10**40, "args": {"n": 1e300, "count": 10**40}}))
    for language in i18n.LANGUAGES:
        report = write_report(tmp_path, "conv2d", tmp_path / f"report-{language}.html", language=language)
        assert len(report.results) == 3
        pages, problems = feedback.write_feedback(tmp_path, "conv2d", language=language)
        assert problems == [] and sorted(p.parent.parent.name for p in pages) == ["alice", "mallory", "trudy"]
        assert "E300" in (tmp_path / "feedback" / "mallory" / "conv2d" / "conv2d.html").read_text()
    assert i18n.format_number(1e300, "hu") == "1E300" and i18n.format_number(-1.5e27, "hu") == "-1,5E27"
    assert i18n.format_number(61706, "hu") == "61\xa0706"
    assert i18n._("{n} s", n=10**30).render("hu") == "1E30 s"


TAMPERED = [
    {"id": "{a}" * 666, "args": {"a": {"list": [{"message": {"id": "{a}" * 666, "args": {"a": "y" * 5000}}}] * 16}}},
    {"id": "{a:>99999999}", "args": {"a": "x"}}, {"id": "{a.__class__.__mro__}", "args": {"a": "x"}},
    {"id": "{count} x", "plural": "{count} xs", "count": 10**4000, "args": {"count": 10**4000}},
    {"id": "", "args": {"a": "header?"}}, {"id": "x", "args": {"a": {"list": "not a list"}}}, [], "text", 7,
    {"id": "{a}", "args": {"a": {"message": {"id": "{a}", "args": {"a": {"list": [{"list": ["x"] * 16}] * 16}}}}}},
]


def test_tampered_stored_messages_fall_back_on_pages_and_in_the_report(tmp_path):
    for index, stored in enumerate(TAMPERED):
        result = _with_message(f"s{index}", stored)
        result["reason_i18n"] = stored if isinstance(stored, dict) else {}
        _store(tmp_path, result)
    for language in i18n.LANGUAGES:
        pages, problems = feedback.write_feedback(tmp_path, "conv2d", language=language)
        assert problems == [] and len(pages) == len(TAMPERED)
        assert all(len(page.read_text()) < 100_000 for page in pages)
        assert "Project-Id-Version" not in "".join(page.read_text() for page in pages)
        assert main(["report", "conv2d", "--course", str(tmp_path), "--html", str(tmp_path / "r.html"),
                     "--language", language]) == 0


# ----------------------------------------------------------------------------- grader validate

@pytest.mark.parametrize("layout", ["only-the-other-edition", "symlinked-notebook"])
def test_validate_on_a_hungarian_notebook_with_an_odd_release_folder_answers_and_never_crashes(
        tmp_path, monkeypatch, capsys, layout):
    english = ASSIGNMENT.release_path(language="en")
    if layout == "only-the-other-edition":  # the notebook says hu; only release/en/conv2d is there
        nbformat.write(nbformat.read(english, as_version=4), _folder(tmp_path / "release" / "en" / "conv2d"))
    else:
        (_folder(tmp_path / "release" / "hu" / "conv2d")).symlink_to(ASSIGNMENT.release_path(language="hu"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRADER_HOME", str(tmp_path / "nowhere"))
    path = tmp_path / "conv2d.ipynb"
    nbformat.write(submission(ASSIGNMENT, None, "hu"), path)
    status = main(["validate", str(path)])
    printed = "".join(capsys.readouterr())
    assert status == (0 if layout == "only-the-other-edition" else 2), printed
    assert "Traceback" not in printed


def _folder(path):
    path.mkdir(parents=True)
    return path / "conv2d.ipynb"
