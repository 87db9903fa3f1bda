"""Feedback pages: what a student may see, escaped, and nothing else."""

from grader.feedback import render, write_feedback
from grader.results import new_result, write_atomic


def result(**fields):
    check = {"name": "conv2d_adds_bias_per_filter", "title": "The bias is added once per filter",
             "cell": "conv2d_tests", "points": 1.0, "score": 0.0, "outcome": "failed",
             "message": "the result differs at 3 of 12 positions", "detail": "Traceback: hidden input x=[1, 2]",
             "seconds": 0.01}
    return new_result("alice", "conv2d", "graded", score=9.0, max_score=10.0, checks=[check],
                      cells={"conv2d_tests": {"score": 5.0, "max_score": 6.0}},
                      sandbox={"confined": True}, notebook_sha256="ab" * 32, **fields)


def test_page_shows_scores_outcomes_and_messages_but_not_details():
    page = render(result())
    assert "9 / 10" in page and "The bias is added once per filter" in page
    assert "differs at 3 of 12 positions" in page
    assert "hidden input" not in page and "Traceback" not in page


def test_student_controlled_text_is_escaped():
    doc = result()
    doc["checks"][0]["message"] = "conv2d raised ValueError: <script>alert(1)</script>"
    page = render(doc)
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_ungradable_page_gives_the_reason(tmp_path):
    doc = new_result("bob", "conv2d", "ungradable", "the file is not valid JSON", max_score=10.0)
    write_atomic(tmp_path / "autograded" / "bob" / "conv2d" / "result.json", doc)
    [page] = write_feedback(tmp_path, "conv2d")
    assert page == tmp_path / "feedback" / "bob" / "conv2d" / "conv2d.html"
    assert "could not be graded: the file is not valid JSON" in page.read_text()


def test_feedback_of_a_failing_variant_names_the_smallest_failing_case(tmp_path):
    """A real padding_stride notebook with the `/` instead of `//` mistake, graded in the sandbox."""
    from grader.assignment import Assignment
    from grader.grade import GradingJob, grade
    from grader.sampleclass import submission, write_submission

    assignment = Assignment.find("padding_stride")
    variant = next(v for v in assignment.variants() if v.name == "true_division")
    path = write_submission(tmp_path, "student", "padding_stride", submission(assignment, variant))
    page = render(grade(GradingJob("student", "padding_stride", str(path), str(assignment.root.parent))))
    assert "fails for " in page and "stride=" in page
