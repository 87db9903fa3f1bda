"""The hostile and faulty suite: every case gets its required outcome, contained in bounded time,
and the control submission graded in the same batch gets full marks."""

import pytest

from grader import paths, results
from grader.autograde import autograde
from grader.cluster import client_factory
from tests.hostile.suite import ASSIGNMENT, build, verdict

# The slowest containment allowed: the notebook program's wall limit plus process start and cleanup.
CONTAINMENT_S = ASSIGNMENT.config.limits.program_timeout_s + 30


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = tmp_path_factory.mktemp("hostile-class")
    suite = build(course)
    summary = autograde(course, ASSIGNMENT, client_factory=client_factory(workers=2), progress=False)
    stored = {s: results.read(paths.autograded_dir(course, s, "conv2d") / "result.json") for s in suite}
    return course, suite, stored, summary


def test_the_suite_is_large_enough(graded):
    _, suite, _, _ = graded
    assert len(suite) >= 30


def test_the_batch_finishes_with_a_result_for_every_case(graded):
    _, suite, stored, summary = graded
    assert summary.ok, summary.errors
    assert [s for s in suite if stored[s] is None] == []


def test_every_case_gets_its_required_outcome(graded):
    _, suite, stored, _ = graded
    wrong = {s: verdict(case, stored[s]) for s, case in suite.items() if verdict(case, stored[s])}
    assert wrong == {}


def test_every_case_is_contained_in_bounded_time(graded):
    _, suite, stored, _ = graded
    slow = {s: stored[s]["timings"].get("total_s") for s in suite
            if stored[s]["timings"].get("total_s", 0) > CONTAINMENT_S}
    assert slow == {}


def test_reasons_are_recorded(graded):
    _, suite, stored, _ = graded
    for student, case in suite.items():
        result = stored[student]
        if case.expect == "ungradable":
            assert result["reason"], student
        elif case.expect == "zero":
            assert all(c["message"] for c in result["checks"] if c["outcome"] != "passed"), student


def test_specific_containment_messages(graded):
    _, _, stored, _ = graded
    outcome = {s: {c["outcome"] for c in r["checks"]} for s, r in stored.items() if r and r["checks"]}
    messages = {s: " ".join(c["message"] for c in r["checks"]) for s, r in stored.items() if r}
    assert outcome["hostile-infinite_loop"] == {"timeout"}
    assert "memory limit" in messages["hostile-memory_bomb"]
    assert outcome["hostile-kill_self"] == {"crashed"}
    assert "MiB" in stored["file-100mb"]["reason"]
    assert "symbolic link" in stored["file-symlink"]["reason"]
    assert "LEAK" not in messages["hostile-smuggle_inputs"]
    assert "the message of an error on hidden inputs is not shown" in messages["hostile-smuggle_inputs"]
