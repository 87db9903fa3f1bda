"""A result whose notebook was replaced is stale everywhere, never its old score, until it is regraded."""

import nbformat

from grader import paths
from grader.assignment import Assignment
from grader.autograde import autograde
from grader.cluster import client_factory
from grader.export import canvas_rows, rows
from grader.feedback import write_feedback
from grader.report import load, render
from grader.sampleclass import release_notebook, submission, write_submission
from grader.staleness import is_stale

ASSIGNMENT = Assignment.find("conv2d")


def test_a_replaced_notebook_is_stale_in_export_feedback_and_report_until_regraded(tmp_path):
    course = tmp_path / "course"
    write_submission(course, "ada", "conv2d", submission(ASSIGNMENT, None))
    write_submission(course, "bob", "conv2d", submission(ASSIGNMENT, None))
    autograde(course, ASSIGNMENT, client_factory=client_factory(workers=1), progress=False)
    nbformat.write(release_notebook(ASSIGNMENT), paths.submitted_notebook(course, "ada", "conv2d"))

    export = {row["student_id"]: row for row in rows(ASSIGNMENT, course)}
    assert export["ada"]["status"] == "stale" and export["ada"]["score"] == ""
    assert "autograde" in export["ada"]["reason"]
    assert export["bob"]["status"] == "graded" and export["bob"]["score"] == 10
    _, canvas, warnings = canvas_rows(ASSIGNMENT, course)
    assert [row[-1] for row in canvas if row[0] == "ada"] == [""]
    assert any(w.startswith("ada: no score (stale") for w in warnings)
    pages, _ = write_feedback(course, "conv2d")
    page = next(p for p in pages if p.parent.parent.name == "ada").read_text()
    assert "Not graded yet" in page and "10 / 10" not in page
    report = load(course, "conv2d")
    assert report.summary()["stale"] == 1 and report.scores == [10.0]
    assert 'id="stale"' in render(report)

    autograde(course, ASSIGNMENT, client_factory=client_factory(workers=1), progress=False)
    export = {row["student_id"]: row for row in rows(ASSIGNMENT, course)}
    assert export["ada"]["status"] == "graded" and export["ada"]["score"] == 0


def test_results_without_a_recorded_notebook_are_never_stale(tmp_path):
    assert not is_stale(tmp_path, "ada", "conv2d", {"status": "error", "notebook_sha256": ""})
    assert not is_stale(tmp_path, "ada", "conv2d", {"status": "ungradable", "notebook_sha256": ""})
    assert is_stale(tmp_path, "ada", "conv2d", {"status": "graded", "notebook_sha256": "ab" * 32})
