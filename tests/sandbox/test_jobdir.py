"""The job's folders: the checker writes only its inbox and never follows what the student planted in the scratch."""

import os
import subprocess
import threading

import pytest

from grader.sandbox.errors import StudentCrashed
from grader.sandbox.jobdir import JobDir


@pytest.fixture
def job(tmp_path):
    folder = JobDir(tmp_path)
    folder.new_scratch()
    yield folder
    folder.close()


def test_the_job_folder_is_private_and_the_scratch_fresh_for_every_start(job, tmp_path):
    assert job.root.stat().st_mode & 0o777 == 0o700
    assert job.scratch.stat().st_mode & 0o777 == 0o700
    first = job.scratch
    (first / "planted").write_text("x")
    job.new_scratch()
    assert not first.exists() and sorted(p.name for p in job.scratch.iterdir()) == ["home", "tmp"]


def test_a_result_that_is_a_link_is_refused_and_its_target_untouched(job, tmp_path):
    secret = tmp_path / "gradebook.db"
    secret.write_text("grades")
    os.symlink(secret, job.scratch / "out-1.npy")
    with pytest.raises(StudentCrashed, match="plain file"):
        job.read_result("out-1.npy", 1 << 20)
    assert secret.read_text() == "grades"


def test_a_fifo_as_result_fails_at_once_instead_of_blocking(job):
    os.mkfifo(job.scratch / "out-1.npy")
    done = []
    reader = threading.Thread(target=lambda: done.append(pytest.raises(StudentCrashed, job.read_result,
                                                                       "out-1.npy", 1 << 20)))
    reader.start()
    reader.join(5)
    assert done, "reading a FIFO blocked the checker"


@pytest.mark.parametrize("make", [os.mkdir, lambda p: os.symlink("/dev/zero", p)], ids=["folder", "device-link"])
def test_anything_but_a_regular_file_is_refused(job, make):
    make(job.scratch / "out-1.npy")
    with pytest.raises(StudentCrashed):
        job.read_result("out-1.npy", 1 << 20)


def test_results_are_bounded_in_size(job):
    (job.scratch / "out-1.npy").write_bytes(b"x" * 2048)
    assert len(job.read_result("out-1.npy", 4096)) == 2048
    with pytest.raises(StudentCrashed, match="over"):
        job.read_result("out-1.npy", 1024)


@pytest.mark.parametrize("name", ["../inbox/x", "", "..", "sub/out"])
def test_result_names_cannot_leave_the_scratch(job, name):
    with pytest.raises(StudentCrashed):
        job.read_result(name, 1024)


def test_the_inbox_never_follows_or_overwrites_a_planted_name(job, tmp_path):
    target = tmp_path / "canary"
    target.write_text("keep")
    os.symlink(target, job.inbox / "in-1-0.npy")  # only the checker can write the inbox; even so
    with pytest.raises(FileExistsError):
        job.put("in-1-0.npy", b"data")
    assert target.read_text() == "keep"


def test_close_removes_everything_even_folders_the_student_locked(job):
    locked = job.scratch / "locked"
    (locked / "inner").mkdir(parents=True)
    (locked / "inner" / "f").write_text("x")
    os.chmod(locked / "inner", 0)
    os.chmod(locked, 0)
    root = job.root
    job.close()
    assert not root.exists()


def test_close_removes_trees_deeper_than_recursion_and_longer_than_path_max(job):
    folder = os.open(job.scratch, os.O_RDONLY)
    for _ in range(1500):  # deeper than Python's recursion limit, and past PATH_MAX
        os.mkdir("a" * 200, dir_fd=folder)
        inner = os.open("a" * 200, os.O_RDONLY, dir_fd=folder)
        os.close(folder)
        folder = inner
    os.close(os.open("file", os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=folder))
    os.symlink("/etc", "link", dir_fd=folder)
    os.close(folder)
    root = job.root
    job.close()
    assert not root.exists() and os.path.exists("/etc/passwd")


def test_folders_of_killed_workers_are_swept_by_the_next_job(tmp_path):
    gone = subprocess.Popen(["true"])
    gone.wait()
    orphan = tmp_path / f"grader-job-{gone.pid}-abc"
    (orphan / "inbox").mkdir(parents=True)
    (orphan / "inbox" / "in-1-0.npy").write_bytes(b"hidden")
    living = tmp_path / f"grader-job-{os.getpid()}-def"
    living.mkdir()
    other = tmp_path / "grader-jobs-notes"
    other.mkdir()
    JobDir(tmp_path).close()
    assert not orphan.exists() and living.exists() and other.exists()
