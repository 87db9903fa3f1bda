"""The TA's copy of a graded notebook: real conv2d submissions graded through the sandbox, then annotated.

One module-scoped batch grades the solution, a known-wrong variant, a submission whose
error texts are HTML/markdown injections, one whose graded test cell was deleted and two
ungradable files; the tests read ``autograded/STUDENT/conv2d/conv2d.ipynb`` beside each
``result.json``.
"""

import html
import json
import re
from pathlib import Path

import nbformat
import pytest

from grader import paths, results
from grader.assignment import Assignment
from grader.autograde import autograde, store
from grader.cluster import client_factory
from grader.feedback import write_feedback
from grader.grade import GradingJob
from grader.notebook import annotate as annotate_module
from grader.notebook.annotate import annotate, escape, write_copy
from grader.notebook.cells import grade_id
from grader.notebook.variants import Variant
from grader.sampleclass import submission, write_submission

ASSIGNMENT = Assignment.find("conv2d")
GRADED_CELLS = ("correlate2d_tests", "conv2d_tests")
PAYLOAD = ("<script>alert(1)</script> [click](javascript:alert(1)) ![i](http://evil.example/x.png) "
           "$\\href{javascript:alert(1)}{x}$ **bold** `tick` <b>b</b>")
EVIL = (f"Evil = type('<img src=x onerror=alert(1)>', (Exception,), {{}})\nPAYLOAD = {PAYLOAD!r}\n")
INJECTION = Variant("inject", "", (), "", {
    # a solution cell that raises: the hidden checks' messages quote its error verbatim
    "correlate2d_impl": EVIL + "raise Evil(PAYLOAD)\n",
    # a function that raises on the visible test: the visible test's error line is the student's
    "conv2d_impl": EVIL + "def conv2d(x, w, b):\n    raise Evil(PAYLOAD)\n",
})
UNSAFE = ("<script", "<img", "<b>", "javascript:", "](", "![", "$", "**bold**", "`tick`")


def _without_test_cell(notebook, key):
    notebook.cells = [c for c in notebook.cells if grade_id(c) != key]
    return notebook


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    wrong = next(v for v in ASSIGNMENT.variants() if v.name == "flipped_kernel")
    write_submission(course, "solution", "conv2d", submission(ASSIGNMENT, None))
    write_submission(course, "wrong", "conv2d", submission(ASSIGNMENT, wrong))
    write_submission(course, "inject", "conv2d", submission(ASSIGNMENT, INJECTION))
    write_submission(course, "no-test-cell", "conv2d", _without_test_cell(submission(ASSIGNMENT, None), "conv2d_tests"))
    write_submission(course, "broken-json", "conv2d", b'{"cells": [ not json')
    write_submission(course, "no-solution-cell", "conv2d",
                     _without_test_cell(submission(ASSIGNMENT, None), "conv2d_impl"))
    summary = autograde(course, ASSIGNMENT, client_factory=client_factory(workers=2), progress=False)
    assert summary.ok and summary.graded == 4 and summary.ungradable == 2, summary
    return course


def _folder(course, student):
    return paths.autograded_dir(course, student, "conv2d")


def _result(course, student):
    return results.read(_folder(course, student) / results.RESULT_FILE)


def _copy(course, student):
    return nbformat.read(_folder(course, student) / "conv2d.ipynb", as_version=nbformat.NO_CONVERT)


def _submitted(course, student):
    return nbformat.read(paths.submitted_notebook(course, student, "conv2d"), as_version=nbformat.NO_CONVERT)


def _is_annotation(cell):
    return cell.metadata.get("grader", {}).get("annotation") is True


def _annotation_under(notebook, key):
    """The annotation cell right under the graded cell ``key`` (asserting there is one)."""
    index = next(i for i, c in enumerate(notebook.cells) if grade_id(c) == key)
    below = notebook.cells[index + 1]
    assert _is_annotation(below), (key, below)
    return below.source


def test_each_graded_cell_has_its_checks_messages_right_under_it(course):
    result, copy = _result(course, "wrong"), _copy(course, "wrong")
    assert result["score"] < result["max_score"]
    for key in GRADED_CELLS:
        text = _annotation_under(copy, key)
        cell = result["cells"][key]
        assert f"{cell['score']:g} / {cell['max_score']:g} points" in text
        for check in result["checks"]:
            shown = escape(check["title"], annotate_module.TITLE_CHARS)
            assert (shown in text) == (check["cell"] == key), (key, check["name"])
            if check["cell"] == key:
                assert f"**{check['outcome']}** ({check['score']:g} / {check['points']:g})" in text
                if check["message"]:
                    assert escape(check["message"], annotate_module.MESSAGE_CHARS) in text
        visible = next(t for t in result["visible_tests"] if t["cell"] == key)
        assert not visible["passed"]
        assert "Visible test, as the grader ran it: **failed: " in text
        assert escape(visible["error"], annotate_module.ERROR_CHARS) in text


def test_a_full_score_copy_says_every_check_passed(course):
    copy = _copy(course, "solution")
    for key in GRADED_CELLS:
        text = _annotation_under(copy, key)
        assert "Visible test, as the grader ran it: **passed**" in text
        assert "**failed**" not in text and "**error**" not in text
    assert sum(map(_is_annotation, copy.cells)) == len(GRADED_CELLS)


@pytest.mark.parametrize("student", ["solution", "wrong", "inject", "no-test-cell"])
def test_the_copy_is_a_valid_notebook_with_the_original_cells_untouched(course, student):
    copy, original = _copy(course, student), _submitted(course, student)
    nbformat.validate(copy)
    assert [c for c in copy.cells if not _is_annotation(c)] == original.cells  # source, metadata, outputs, ids
    assert copy.metadata == original.metadata
    assert (copy.nbformat, copy.nbformat_minor) == (original.nbformat, original.nbformat_minor)
    ids = [c.get("id") for c in copy.cells]
    assert len(set(ids)) == len(ids)


def test_annotations_are_read_only_and_not_graded_cells(course):
    for student in ("solution", "wrong", "inject"):
        notes = [c for c in _copy(course, student).cells if _is_annotation(c)]
        assert notes
        for cell in notes:
            assert cell.cell_type == "markdown"
            assert dict(cell.metadata) == {"grader": {"annotation": True}, "editable": False, "deletable": False}
            assert "nbgrader" not in cell.metadata


def test_student_text_in_messages_cannot_inject_html_markdown_or_math(course):
    result, copy = _result(course, "inject"), _copy(course, "inject")
    visible = next(t for t in result["visible_tests"] if t["cell"] == "conv2d_tests")
    assert PAYLOAD in visible["error"]  # the attack reached the result: the copy must defuse it
    assert any(PAYLOAD in c["message"] for c in result["checks"] if c["cell"] == "correlate2d_tests")
    for key in GRADED_CELLS:
        text = _annotation_under(copy, key)
        assert not [s for s in UNSAFE if s in text], text
        assert set(re.findall(r"<[^>]*>", text)) <= {"<code>", "</code>"}
        assert PAYLOAD in html.unescape(text)  # the TA still reads exactly what the student wrote


def test_formgrader_renders_the_copy_with_the_payload_as_text(course):
    from nbconvert import HTMLExporter
    from nbgrader.server_extensions.formgrader import handlers

    exporter = HTMLExporter(template_name="formgrade", extra_template_basedirs=[handlers.template_path])
    resources = {"assignment_id": "conv2d", "notebook_id": "conv2d", "submission_id": "id", "index": 0, "total": 1,
                 "base_url": "", "student": "inject", "last_name": None, "first_name": None,
                 "notebook_path": "autograded/inject/conv2d/conv2d.ipynb"}
    page, _ = exporter.from_filename(str(_folder(course, "inject") / "conv2d.ipynb"), resources=resources)
    assert "Autograder (for the TA)" in page
    for tag in ("<script>alert", "<img src=x", "<b>b</b>", 'href="javascript', "evil.example/x.png\""):
        assert tag not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; [click](javascript:alert(1))" in page


def test_a_deleted_graded_cell_gets_its_annotation_at_the_end(course):
    copy = _copy(course, "no-test-cell")
    assert not [c for c in copy.cells if grade_id(c) == "conv2d_tests"]
    _annotation_under(copy, "correlate2d_tests")
    last = copy.cells[-1]
    assert _is_annotation(last)
    assert "This notebook has no cell <code>conv2d&#95;tests</code>" in last.source
    assert "conv2d reproduces the lecture" in html.unescape(last.source)


def test_ungradable_submissions_keep_a_plain_copy_only_if_it_parses(course):
    assert _result(course, "broken-json")["status"] == "ungradable"
    assert not (_folder(course, "broken-json") / "conv2d.ipynb").exists()
    assert _result(course, "no-solution-cell")["status"] == "ungradable"
    assert ((_folder(course, "no-solution-cell") / "conv2d.ipynb").read_bytes()
            == paths.submitted_notebook(course, "no-solution-cell", "conv2d").read_bytes())


def test_nothing_from_the_annotations_reaches_the_feedback_pages(course):
    pages, problems = write_feedback(course, "conv2d")
    assert pages and not problems
    for path in (course / "feedback").rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            assert "Autograder (for the TA)" not in text and "grader-annotation" not in text, path
            assert "Hidden checks:" not in text and "as the grader ran it" not in text, path


def _graded_result(detail=""):
    result = results.new_result("s", "conv2d", "graded", notebook_sha256="", score=0.0, max_score=1.0,
                                cells={"conv2d_tests": {"score": 0.0, "max_score": 1.0}})
    result["checks"] = [{"name": "c", "title": "t", "cell": "conv2d_tests", "points": 1.0, "score": 0.0,
                         "outcome": "failed", "message": "m", "detail": detail}]
    return result


def test_the_ta_only_detail_stays_in_result_json():
    notebook = submission(ASSIGNMENT, None)
    text = _annotation_under(annotate(notebook, _graded_result("Traceback: hidden x=[1, 2, 3]")), "conv2d_tests")
    assert "hidden x" not in html.unescape(text) and "Traceback" not in text
    assert "<code>result.json</code>" in text
    assert "result.json" not in _annotation_under(annotate(notebook, _graded_result()), "conv2d_tests")


def test_the_ta_only_measurements_stay_in_result_json():
    result = _graded_result()
    result["checks"][0]["measured"] = {"hidden_iou_margin": 0.734519}
    text = json.dumps(annotate(submission(ASSIGNMENT, None), result))
    assert "hidden_iou_margin" not in text and "734519" not in text and "measured" not in text


def test_annotating_leaves_the_notebook_it_was_given_alone():
    notebook = submission(ASSIGNMENT, None)
    before = json.dumps(notebook, sort_keys=True)
    annotate(notebook, _graded_result())
    assert json.dumps(notebook, sort_keys=True) == before


def test_a_notebook_replaced_since_grading_gets_no_copy_and_the_old_one_goes(course, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "conv2d.ipynb").write_text("an old copy")
    submitted = paths.submitted_notebook(course, "wrong", "conv2d")
    replaced = tmp_path / "conv2d.ipynb"
    replaced.write_bytes(submitted.read_bytes().replace(b"np.", b"np. "))
    assert not write_copy(replaced, folder / "conv2d.ipynb", _result(course, "wrong"))
    assert not (folder / "conv2d.ipynb").exists()
    assert write_copy(submitted, folder / "conv2d.ipynb", _result(course, "wrong"))


def test_a_fault_in_the_annotation_never_stops_store(course, tmp_path, monkeypatch):
    def broken(notebook, result):
        raise RuntimeError("a bug")

    monkeypatch.setattr(annotate_module, "annotate", broken)
    job = GradingJob(student="wrong", assignment="conv2d", assignments_root=str(ASSIGNMENT.root.parent),
                     notebook=str(paths.submitted_notebook(course, "wrong", "conv2d")))
    store(tmp_path, _result(course, "wrong"), job)
    assert results.read(_folder(tmp_path, "wrong") / results.RESULT_FILE) == _result(course, "wrong")
    assert not (_folder(tmp_path, "wrong") / "conv2d.ipynb").exists()


@pytest.mark.parametrize("text, shown", [
    ("<script>alert(1)</script>", "&#60;script&#62;alert&#40;1&#41;&#60;&#47;script&#62;"),
    ("[x](javascript:y)", "&#91;x&#93;&#40;javascript&#58;y&#41;"),
    ("![i](http://e/x.png)", "&#33;&#91;i&#93;&#40;http&#58;&#47;&#47;e&#47;x&#46;png&#41;"),
    ("$x$ `c` *e*", "&#36;x&#36; &#96;c&#96; &#42;e&#42;"),
    ("line\none\ttab", "line one tab"),
    ("bidi\u202eevil\u200b", "bidi\ufffdevil\ufffd"),
    ("árvíztűrő tükörfúrógép", "árvíztűrő tükörfúrógép"),
])
def test_escape_leaves_no_markup(text, shown):
    assert escape(text, 100) == shown
    assert html.unescape(escape(text, 100)).replace("\ufffd", "") == re.sub(r"[\t\n]", " ", text).translate(
        {0x202E: None, 0x200B: None})


def test_escape_bounds_the_length():
    assert html.unescape(escape("<" * 5000, 300)) == "<" * 299 + "…"


def test_store_writes_the_copy_atomically(course, tmp_path):
    submitted = paths.submitted_notebook(course, "wrong", "conv2d")
    destination = tmp_path / "conv2d.ipynb"
    assert write_copy(Path(submitted), destination, _result(course, "wrong"))
    assert [p.name for p in tmp_path.iterdir()] == ["conv2d.ipynb"]  # no temp file left behind
    nbformat.validate(nbformat.read(destination, as_version=nbformat.NO_CONVERT))
