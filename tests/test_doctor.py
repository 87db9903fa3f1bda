"""grader doctor: every confinement property holds here, and the probes notice when one does not."""

import functools

import grader.doctor
from grader.cli import main
from grader.sandbox.process import StudentProcess


def test_doctor_passes_on_this_machine(tmp_path, capsys):
    (tmp_path / "gradebook.db").write_text("")
    assert main(["doctor", "--course", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out and "the sandbox confines student code" in out


def test_doctor_notices_an_unconfined_process(monkeypatch, tmp_path):
    monkeypatch.setattr(grader.doctor, "StudentProcess", functools.partial(StudentProcess, confined=False))
    failed = {f.claim for f in grader.doctor.examine(tmp_path) if not f.ok}
    assert "the reference package cannot be imported" in failed
    assert "no network to the outside world" in failed or "student code runs as an unprivileged user" in failed
    assert "assignments/*/grading, reference/, the course and its gradebook are invisible" in failed


def test_doctor_gpu_on_a_machine_without_one_fails_and_says_what_is_missing(capsys):
    assert main(["doctor", "--gpu"]) == 1
    out = capsys.readouterr().out
    assert "the sandbox confines student code" in out, "the sandbox table comes first, and passes"
    assert "in a sandbox started as a grading job's:" in out and "in the checker (this process):" in out
    for line in ("FAIL  TensorFlow sees a GPU (none)", "FAIL  TensorFlow is built with CUDA",
                 "ok    TF32 is off (float32 at full precision, as on a CPU)",
                 "ok    op determinism is on (TF_DETERMINISTIC_OPS)", "FAIL  GPU memory growth is on"):
        assert out.count(line) == 2, line  # in the sandbox and in the checker
    assert "grading jobs here would NOT run on a GPU:" in out
    assert "install the gpu extra in the worker's environment (make gpu-worker)" in out


def test_examine_gpu_reports_unconfined_where_the_sandbox_cannot_start(monkeypatch):
    from grader.sandbox.bwrap import SandboxUnavailable

    def no_bwrap():
        raise SandboxUnavailable("no bubblewrap here")

    monkeypatch.setattr(grader.doctor, "probe", no_bwrap)
    found = grader.doctor.examine_gpu()
    assert not found.confined and found.places()[0][0] == "an unconfined student process"
    assert found.sandbox["tensorflow"] and found.sandbox["gpus"] == []
    assert any(p.startswith("TensorFlow sees no GPU (in an unconfined student process and in the checker")
               for p in found.problems())
