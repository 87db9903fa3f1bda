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
