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


def test_a_keras_job_given_a_gpu_that_finds_none_is_an_error_not_a_cpu_grade(tmp_path):
    from grader.grade import GradingJob, grade
    from grader.sampleclass import submission, write_submission

    transfer = Assignment.find("transfer", project_root() / "assignments")
    path = write_submission(tmp_path, "solution", "transfer", submission(transfer, None))
    result = grade(GradingJob("solution", "transfer", str(path), str(transfer.root.parent), gpu=True))
    assert result["status"] == "error" and result["score"] == 0 and result["checks"] == []
    assert result["reason"].startswith("the student process was given a GPU, but: no /dev/nvidia* device nodes")
    assert "TensorFlow sees no GPU" in result["reason"] and "Nothing was graded on the CPU instead" in result["reason"]
    assert result["sandbox"]["gpu"] == {"required": True, "student": [], "checker": []}
    assert result["notebook_sha256"], "the error names the notebook it was about"

    on_a_cpu = grade(GradingJob("solution", "transfer", str(path), str(transfer.root.parent)))
    assert on_a_cpu["status"] == "graded" and on_a_cpu["score"] == transfer.max_score
    assert on_a_cpu["sandbox"]["gpu"] == {"required": False, "student": [], "checker": []}


def test_a_checker_given_a_gpu_that_finds_none_refuses_too():
    import pytest

    from grader.grade import GradingJob, _devices
    from grader.sandbox.gpu import GpuMissing

    job = GradingJob("s", "transfer", "x.ipynb", "/nowhere", gpu=True)
    with pytest.raises(GpuMissing, match="^the checker was given a GPU, but: .*TensorFlow sees no GPU"):
        _devices(job, {"gpus": ["NVIDIA H200"]})
    assert _devices(GradingJob("s", "transfer", "x.ipynb", "/nowhere"), None) == {
        "required": False, "student": [], "checker": []}


def test_numpy_jobs_record_no_gpu(tmp_path):
    from grader.grade import GradingJob, grade
    from grader.sampleclass import submission, write_submission

    conv2d = Assignment.find("conv2d", project_root() / "assignments")
    path = write_submission(tmp_path, "solution", "conv2d", submission(conv2d, None))
    result = grade(GradingJob("solution", "conv2d", str(path), str(conv2d.root.parent), gpu=False))
    assert result["status"] == "graded" and "gpu" not in result["sandbox"]
