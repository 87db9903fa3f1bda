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
