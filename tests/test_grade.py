"""The checker job's own helpers (grading itself is exercised on real notebooks by the other tests)."""

import sys

from grader.assignment import Assignment
from grader.grade import preload
from grader.paths import project_root


def test_preload_imports_in_the_background_and_skips_missing_modules(monkeypatch):
    monkeypatch.delitem(sys.modules, "wave", raising=False)
    thread = preload(["no_such_module_anywhere", "wave"])
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert "wave" in sys.modules


def test_assignments_that_check_keras_models_preload_keras():
    for name in ("lenet", "transfer", "fcn"):
        config = Assignment.find(name, project_root() / "assignments").config
        assert config.checker_preload == ["keras"], name


def test_name_errors_point_to_the_cells_the_grader_dropped_and_stay_capped():
    from grader.checks.run import MAX_MESSAGE
    from grader.grade import point_to_dropped_cells

    def checks():
        return [{"function": "conv2d", "cause": "name_error", "message": "conv2d raised NameError"},
                {"function": "conv2d", "cause": "", "message": "conv2d raised ValueError"}]

    untouched = checks()
    point_to_dropped_cells(untouched, [])
    assert untouched == checks()
    pointed = checks()
    point_to_dropped_cells(pointed, [{"position": 3, "defines": ["helper"]}])
    assert pointed[0]["message"] == ("conv2d raised NameError. A name it uses is not defined: code outside the "
                                     "solution cells is not graded, and the grader dropped code cell 3 (defines "
                                     "helper); move what conv2d needs into a solution cell")
    assert pointed[1] == checks()[1]
    many = checks()
    point_to_dropped_cells(many, [{"position": n, "defines": ["x" * 40] * 6} for n in range(1, 11)])
    assert len(many[0]["message"]) == MAX_MESSAGE
